"""Reversible pseudonymization for the hybrid-redact mode (and redacted exports).

Before a text leaves the device, each finding's span becomes a typed placeholder such as
`<EMAIL_7QX2>`; the same value gets the same placeholder for the whole episode, so the cloud
model can still tell "the card I typed" from "the other card". The tag after the type is random
per redactor (per episode), so a page cannot name a placeholder it has not seen. The mapping
stays on the device.

Mapping back is narrow: a placeholder becomes its value again only in the text of a `type`
action for a field of a page where the value was seen (or anywhere in the task's pages, for
values from the task itself), in a `select` option of such a page, and in the `stop` answer or a
`note` (both stay on the device). Never in a URL: a `goto` naming one is refused, and so is a
placeholder this redactor never issued.

Vault values become `{{secret:name}}` instead: the executor fills those in itself, so the value
never passes through a model even on the way back.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from core.actions import Action, Note, Select, Stop, Type
from core.browser.views import Observation
from core.errors import SymbioteError
from core.privacy.secrets import NO_SECRETS, Secrets, origin_of, placeholder
from core.privacy.views import Finding, Where

# Short, readable placeholder stems; other entity types use their own name.
STEMS = {
    "EMAIL_ADDRESS": "EMAIL", "CREDIT_CARD": "CARD", "PHONE_NUMBER": "PHONE", "US_SSN": "SSN",
    "IBAN_CODE": "IBAN", "US_BANK_NUMBER": "BANK_ACCOUNT", "CARD_CVV": "CVV",
    "CARD_EXPIRY": "CARD_EXPIRY", "DATE_OF_BIRTH": "BIRTH_DATE", "IP_ADDRESS": "IP",
    "US_PASSPORT": "PASSPORT", "US_DRIVER_LICENSE": "DRIVER_LICENSE", "US_ITIN": "ITIN",
    "VAULT_SECRET": "SECRET",
}
TAG_ALPHABET = string.ascii_uppercase + string.digits
TAG_LENGTH = 4
PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*)_([0-9A-Z]{4})>")
FROM_TASK = "task"
# A value shorter than this is not replaced where the detector did not find it: it would
# replace parts of ordinary words.
MIN_KNOWN = 4
# An observation has `[id] role …` lines; anything else is scanned as task-like prose.
_OBSERVATION_LINE = re.compile(r"^[ \t]*\[[^\]\s]+\][ \t]+\S", re.MULTILINE)


class PlaceholderError(SymbioteError):
    """A model's action names a placeholder it may not use there."""


class Scanner(Protocol):
    def scan(self, text: str, where: Where) -> list[Finding]: ...


@dataclass
class _Entry:
    value: str
    seen_on: set[str] = field(default_factory=set)  # origins, or FROM_TASK


class Redactor:
    """One per episode: placeholders are stable within it and mean nothing outside it.

    `detector` finds the spans when `redact` is not given findings; `secrets` are the episode's
    secrets, whose values become `{{secret:name}}`.
    """

    def __init__(self, detector: Scanner | None = None, *, secrets: Secrets = NO_SECRETS,
                 rng: random.Random | None = None) -> None:
        self._detector = detector
        self._secrets = secrets
        self._rng = rng or random.SystemRandom()
        self._placeholder_of: dict[str, str] = {}  # value -> placeholder
        self._entries: dict[str, _Entry] = {}      # placeholder -> value and where seen
        self._secret_placeholders: set[str] = set()

    def redact(self, text: str, findings: Sequence[Finding] | None = None,
               where: Where | None = None, url: str | None = "") -> str:
        """`text` with each finding's span replaced. Given findings must come from scanning
        this very text (their spans index into it); without them the detector scans it, as
        `where` or, by default, as an observation when it has `[id] role` lines and as task
        text otherwise. `url` is the page the text shows (empty: the task; None: neither, as
        for an earlier action or a note, which adds no place the value may be restored on).
        DOM_FIELD line markers are left alone."""
        if not text.strip():
            return text
        if findings is None:
            if self._detector is None:
                raise ValueError("Redactor.redact needs findings or a detector")
            scope: Where = where or ("observation" if _OBSERVATION_LINE.search(text)
                                     else "task")
            findings = self._detector.scan(text, scope)
        spans = _non_overlapping(f for f in findings if not f.is_signal and f.end > f.start)
        if not spans:
            return self._known(text, url)
        secret_names = {s.value: s.name for s in self._secrets.items()}
        seen_on = None if url is None else origin_of(url) if url else FROM_TASK
        parts: list[str] = []
        pos = 0
        for finding in spans:
            value = text[finding.start:finding.end]
            parts.append(text[pos:finding.start])
            if value in secret_names:
                token = placeholder(secret_names[value])
                self._secret_placeholders.add(token)
            else:
                token = self._placeholder(value, finding.entity_type)
                if seen_on is not None:
                    self._entries[token].seen_on.add(seen_on)
            parts.append(token)
            pos = finding.end
        parts.append(text[pos:])
        return self._known("".join(parts), url)

    def _known(self, text: str, url: str | None) -> str:
        """Values this redactor already replaced, where the detector missed them this time:
        the same placeholder. A name from the task typed into a field shows in its value and
        in the URL, where no NER runs; without this every later step held the name in clear
        and stayed on the device. A page the value shows on counts as one it was seen on."""
        for value, token in sorted(self._placeholder_of.items(), key=lambda kv: -len(kv[0])):
            if len(value) < MIN_KNOWN or value not in text:
                continue
            text, count = re.subn(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])",
                                  token, text)
            if count and url:
                self._entries[token].seen_on.add(origin_of(url))
        return text

    # --- mapping back ---------------------------------------------------------------------

    def restore_text(self, text: str) -> str:
        """Issued placeholders -> their values, for text shown on this device only."""
        if "<" not in text:
            return text
        return PLACEHOLDER.sub(lambda m: self._value(m.group(0)), text)

    def restore_action(self, action: Action, observation: Observation) -> Action:
        """The action with placeholders mapped back where they may go (module docstring);
        PlaceholderError where they may not."""
        here = origin_of(observation.url)
        if isinstance(action, Type):
            return replace(action, text=self._restore_on(action.text, here))
        if isinstance(action, Select):
            return replace(action, option=self._restore_on(action.option, here))
        if isinstance(action, Stop):
            return replace(action, answer=self.restore_text(action.answer))
        if isinstance(action, Note):
            return replace(action, text=self.restore_text(action.text))
        if PLACEHOLDER.search(action.to_text()):
            raise PlaceholderError(f"{action.NAME} may not carry a placeholder")
        return action

    def _restore_on(self, text: str, origin: str) -> str:
        def back(match: re.Match[str]) -> str:
            token = match.group(0)
            entry = self._entries.get(token)
            if entry is None:
                raise PlaceholderError(f"unknown placeholder {token}")
            if FROM_TASK not in entry.seen_on and origin not in entry.seen_on:
                raise PlaceholderError(f"{token} was not seen on {origin}")
            return entry.value
        return PLACEHOLDER.sub(back, text)

    def _value(self, token: str) -> str:
        entry = self._entries.get(token)
        if entry is None:
            raise PlaceholderError(f"unknown placeholder {token}")
        return entry.value

    def placeholders_in(self, text: str) -> list[str]:
        """The placeholders this redactor issued that occur in `text`, in order, once each
        (what an approval dialog lists as redacted)."""
        found = [m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(0) in self._entries]
        found += [p for p in sorted(self._secret_placeholders) if p in text]
        return list(dict.fromkeys(found))

    @property
    def mapping(self) -> dict[str, str]:
        """placeholder -> value. On-device only: never log or send it."""
        return {token: entry.value for token, entry in self._entries.items()}

    def _placeholder(self, value: str, entity_type: str) -> str:
        if value in self._placeholder_of:
            return self._placeholder_of[value]
        stem = STEMS.get(entity_type, entity_type)
        while True:
            tag = "".join(self._rng.choice(TAG_ALPHABET) for _ in range(TAG_LENGTH))
            token = f"<{stem}_{tag}>"
            if token not in self._entries:
                break
        self._placeholder_of[value] = token
        self._entries[token] = _Entry(value)
        return token


def _non_overlapping(findings: Iterable[Finding]) -> list[Finding]:
    """Earliest first; of overlapping spans the longer wins (the detector already resolves
    overlaps, but findings may be merged from several scans)."""
    kept: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.start, f.start - f.end)):
        if kept and finding.start < kept[-1].end:
            continue
        kept.append(finding)
    return kept
