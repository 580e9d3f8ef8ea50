"""Which findings keep a step on the device, per mode. The one place these rules live.

- hybrid (the paper's): any finding of private data.
- hybrid-redact: credentials, payment data and identity numbers; other personal data (names,
  contacts, places) is replaced by placeholders instead. A person's name is identity-class but
  harmless once replaced.
- cloud (comparison only): nothing; vault values are still masked.
- local: everything stays, so nothing is asked.

A DOM_FIELD marks a sensitive field on the page, not a value: an empty password field is not
private data. What is typed into it, or shown in it, is a finding of its own.
"""

from __future__ import annotations

from typing import Literal

from core.privacy.views import Finding

Mode = Literal["local", "cloud", "hybrid", "hybrid-redact"]
MODES: tuple[Mode, ...] = ("local", "cloud", "hybrid", "hybrid-redact")

SENSITIVE_CATEGORIES = frozenset({"credential", "payment", "identity", "health"})
REDACTABLE_TYPES = frozenset({"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "LOCATION", "IP_ADDRESS"})


def keeps_local(finding: Finding, mode: Mode) -> bool:
    if finding.is_signal or mode == "cloud":
        return False
    if finding.entity_type == "UNSCANNED":  # too large to scan in time: assume the worst
        return True
    if mode == "hybrid-redact":
        return (finding.category in SENSITIVE_CATEGORIES
                and finding.entity_type not in REDACTABLE_TYPES)
    return True


def redacts(mode: Mode) -> bool:
    """Whether the mode replaces the findings it lets through by placeholders."""
    return mode == "hybrid-redact"
