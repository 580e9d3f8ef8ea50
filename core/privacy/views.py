"""Typed data of the privacy concern: what the detector found, and where.

A Finding holds spans, never the matched value: findings are logged and stored in the DB, and a
value there would be exactly the leak the detector exists to prevent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Category = Literal["credential", "payment", "identity", "contact", "location", "health",
                   "other"]
Where = Literal["task", "observation", "action"]

# Entity type -> category. Unknown types fall back to "other".
ENTITY_CATEGORY: dict[str, Category] = {
    "PASSWORD": "credential",
    "API_KEY": "credential",
    "OTP": "credential",
    "PRIVATE_KEY": "credential",
    "VAULT_SECRET": "credential",
    "CREDIT_CARD": "payment",
    "CARD_CVV": "payment",
    "CARD_EXPIRY": "payment",
    "IBAN_CODE": "payment",
    "US_BANK_NUMBER": "payment",
    "CRYPTO": "payment",
    "US_SSN": "identity",
    "US_ITIN": "identity",
    "US_PASSPORT": "identity",
    "US_DRIVER_LICENSE": "identity",
    "DATE_OF_BIRTH": "identity",
    "PERSON": "identity",
    "EMAIL_ADDRESS": "contact",
    "PHONE_NUMBER": "contact",
    "LOCATION": "location",
    "MEDICAL": "health",
    "IP_ADDRESS": "other",
}

# Entity types whose findings mark a sensitive *field* (an observation line), not a value.
# The redactor leaves them alone: there is nothing on the line to hide.
SIGNAL_TYPES = frozenset({"DOM_FIELD"})


def category_of(entity_type: str) -> Category:
    return ENTITY_CATEGORY.get(entity_type, "other")


@dataclass(frozen=True, slots=True)
class Finding:
    """One sensitive span in the task, observation or action text.

    `start`/`end` index into the text that was scanned (`where` says which). For a DOM_FIELD the
    span is the whole observation line and `element_id` names the field; findings about a typed
    value carry the id of the field it was typed into, when known.
    """

    category: Category
    entity_type: str
    where: Where
    start: int
    end: int
    score: float
    source: str
    element_id: str = ""

    def to_dict(self) -> dict[str, object]:
        """The DB form: spans and labels only (no value exists to leak)."""
        data = asdict(self)
        data["score"] = round(self.score, 3)
        return data

    @property
    def is_signal(self) -> bool:
        return self.entity_type in SIGNAL_TYPES

    def overlaps(self, other: Finding) -> bool:
        return self.start < other.end and other.start < self.end
