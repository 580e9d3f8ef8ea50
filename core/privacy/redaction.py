"""Reversible pseudonymization for the hybrid-redact mode.

Before a text leaves the device, each finding's span becomes a typed placeholder (`<EMAIL_1>`,
`<CARD_1>`); the same value gets the same placeholder for the whole episode, so the cloud model
can still tell "the card I typed" from "the other card". The mapping stays on the device;
`restore` turns placeholders in the model's answer or action back into values.

Vault values become `{{secret:name}}` instead: the executor fills those in itself, so the value
never passes through a model even on the way back.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from core.privacy.views import Finding, Where

# Short, readable placeholder stems; other entity types use their own name.
STEMS = {
    "EMAIL_ADDRESS": "EMAIL", "CREDIT_CARD": "CARD", "PHONE_NUMBER": "PHONE", "US_SSN": "SSN",
    "IBAN_CODE": "IBAN", "US_BANK_NUMBER": "BANK_ACCOUNT", "CARD_CVV": "CVV",
    "CARD_EXPIRY": "CARD_EXPIRY", "DATE_OF_BIRTH": "BIRTH_DATE", "IP_ADDRESS": "IP",
    "US_PASSPORT": "PASSPORT", "US_DRIVER_LICENSE": "DRIVER_LICENSE", "US_ITIN": "ITIN",
    "VAULT_SECRET": "SECRET",
}
PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*)_(\d+)>")

SecretItems = Callable[[], Iterable[tuple[str, str]]]
# An observation has `[id] role …` lines; anything else is scanned as task-like prose.
_OBSERVATION_LINE = re.compile(r"^[ \t]*\[[^\]\s]+\][ \t]+\S", re.MULTILINE)


class Scanner(Protocol):
    def scan(self, text: str, where: Where) -> list[Finding]: ...


class Redactor:
    """One per episode: placeholders are stable within it and mean nothing outside it.

    `detector` finds the spans when `redact` is not given findings; `secrets` returns the
    vault's (name, value) pairs (SecretVault.items) so vault values become `{{secret:name}}`.
    Without it a vault value gets a `<SECRET_n>` placeholder like any other value. The one
    positional argument may be either (a detector has `.scan`); prefer the keywords.
    """

    def __init__(self, source: Scanner | SecretItems | None = None, *,
                 detector: Scanner | None = None, secrets: SecretItems | None = None) -> None:
        if source is not None and hasattr(source, "scan"):
            detector = detector or source  # type: ignore[assignment]
        elif source is not None:
            secrets = secrets or source  # type: ignore[assignment]
        self._detector = detector
        self._secrets = secrets
        self._placeholder_of: dict[str, str] = {}  # value -> placeholder
        self._value_of: dict[str, str] = {}  # placeholder -> value
        self._secret_placeholders: set[str] = set()
        self._counts: Counter[str] = Counter()

    def redact(self, text: str, findings: Sequence[Finding] | None = None,
               where: Where | None = None) -> str:
        """`text` with each finding's span replaced. Given findings must come from scanning
        this very text (their spans index into it); without them the detector scans it, as
        `where` or, by default, as an observation when it has `[id] role` lines and as task
        text otherwise. DOM_FIELD line markers are left alone."""
        if findings is None:
            if self._detector is None:
                raise ValueError("Redactor.redact needs findings or a detector")
            if not text.strip():
                return text
            scope: Where = where or ("observation" if _OBSERVATION_LINE.search(text)
                                     else "task")
            findings = self._detector.scan(text, scope)
        spans = _non_overlapping(f for f in findings if not f.is_signal and f.end > f.start)
        if not spans:
            return text
        secret_names = {value: name for name, value in (self._secrets() if self._secrets
                                                        else ())}
        parts: list[str] = []
        pos = 0
        for finding in spans:
            value = text[finding.start:finding.end]
            parts.append(text[pos:finding.start])
            if value in secret_names:
                placeholder = f"{{{{secret:{secret_names[value]}}}}}"
                self._secret_placeholders.add(placeholder)
                parts.append(placeholder)
            else:
                parts.append(self._placeholder(value, finding.entity_type))
            pos = finding.end
        parts.append(text[pos:])
        return "".join(parts)

    def restore(self, text: str) -> str:
        """Placeholders this redactor issued -> their values. Unknown placeholders (a model
        inventing `<EMAIL_9>`) and `{{secret:…}}` stay as they are."""
        if "<" not in text:
            return text
        return PLACEHOLDER.sub(lambda m: self._value_of.get(m.group(0), m.group(0)), text)

    def placeholders_in(self, text: str) -> list[str]:
        """The placeholders this redactor issued that occur in `text`, in order, once each
        (what an approval dialog lists as redacted)."""
        found = [m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(0) in self._value_of]
        found += [p for p in sorted(self._secret_placeholders) if p in text]
        return list(dict.fromkeys(found))

    @property
    def mapping(self) -> dict[str, str]:
        """placeholder -> value. On-device only: never log or send it."""
        return dict(self._value_of)

    def _placeholder(self, value: str, entity_type: str) -> str:
        if value in self._placeholder_of:
            return self._placeholder_of[value]
        stem = STEMS.get(entity_type, entity_type)
        self._counts[stem] += 1
        placeholder = f"<{stem}_{self._counts[stem]}>"
        self._placeholder_of[value] = placeholder
        self._value_of[placeholder] = value
        return placeholder


def _non_overlapping(findings: Iterable[Finding]) -> list[Finding]:
    """Earliest first; of overlapping spans the longer wins (the detector already resolves
    overlaps, but findings may be merged from several scans)."""
    kept: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.start, f.start - f.end)):
        if kept and finding.start < kept[-1].end:
            continue
        kept.append(finding)
    return kept
