"""Sensitive form fields, read from observation lines (`[id] role 'name' prop=value …`).

The page says what a field is for (type=password, autocomplete=cc-number, a "CVV" label) before
anything is typed into it, which no text recognizer can see. A field found here marks its line
(DOM_FIELD) and, when it shows a value, the value as the entity the field implies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

INPUT_ROLES = frozenset({"textbox", "searchbox", "combobox", "spinbutton"})

# HTML autofill tokens (the last token of the attribute counts: "shipping street-address").
AUTOCOMPLETE_TYPES: dict[str, str] = {
    "current-password": "PASSWORD", "new-password": "PASSWORD", "one-time-code": "OTP",
    "cc-number": "CREDIT_CARD", "cc-csc": "CARD_CVV", "cc-exp": "CARD_EXPIRY",
    "cc-exp-month": "CARD_EXPIRY", "cc-exp-year": "CARD_EXPIRY", "cc-name": "PERSON",
    "cc-given-name": "PERSON", "cc-family-name": "PERSON",
    "email": "EMAIL_ADDRESS", "tel": "PHONE_NUMBER", "tel-national": "PHONE_NUMBER",
    "tel-local": "PHONE_NUMBER",
    "street-address": "LOCATION", "address-line1": "LOCATION", "address-line2": "LOCATION",
    "address-line3": "LOCATION", "postal-code": "LOCATION", "address-level1": "LOCATION",
    "address-level2": "LOCATION", "address-level3": "LOCATION", "address-level4": "LOCATION",
    "bday": "DATE_OF_BIRTH", "bday-day": "DATE_OF_BIRTH", "bday-month": "DATE_OF_BIRTH",
    "bday-year": "DATE_OF_BIRTH",
    "name": "PERSON", "given-name": "PERSON", "family-name": "PERSON",
    "additional-name": "PERSON",
}
INPUT_TYPES = {"password": "PASSWORD", "email": "EMAIL_ADDRESS", "tel": "PHONE_NUMBER"}


def autocomplete_kind(value: str) -> str | None:
    """The entity an autocomplete attribute asks for: its last token counts."""
    tokens = value.lower().split()
    return AUTOCOMPLETE_TYPES.get(tokens[-1]) if tokens else None

# Field labels (accessible name or placeholder) of the high-risk kinds. Contact fields are
# left to type=/autocomplete=: "Email" or "Phone" labels alone are too common to be a signal.
# Order matters: "security code" on a card form is a CVV before it is an OTP.
LABEL_TYPES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), entity) for pattern, entity in (
        (r"\bcvv|\bcvc|\bcsc\b|security code|card code|card verification", "CARD_CVV"),
        (r"card number|credit card|debit card|card no\b|\bcc number", "CREDIT_CARD"),
        (r"expiry|expiration|exp\.? date|\bmm ?/ ?yy", "CARD_EXPIRY"),
        (r"password|passcode|passphrase|\bpin\b", "PASSWORD"),
        (r"one[- ]time|verification code|\botp\b|\b2fa\b|authentication code|sms code",
         "OTP"),
        (r"\bssn\b|social security", "US_SSN"),
        (r"\biban\b", "IBAN_CODE"),
        (r"account number|routing number|sort code|bank account", "US_BANK_NUMBER"),
        (r"passport", "US_PASSPORT"),
        (r"driver'?s? licen[cs]e", "US_DRIVER_LICENSE"),
        (r"\btax id|\bitin\b|taxpayer", "US_ITIN"),
        (r"date of birth|birth ?date|\bdob\b|birthday", "DATE_OF_BIRTH"),
    ))

_QUOTED = r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\""
_LINE = re.compile(r"^(?P<indent>[ \t]*)\[(?P<id>[^\]\s]+)\][ \t]+(?P<role>[^\s'\"]+)"
                   rf"(?:[ \t]+(?P<name>{_QUOTED}))?(?P<props>[^\n]*)$", re.MULTILINE)
# Unquoted values may hold spaces ("autocomplete=shipping street-address", "options=New York|…"):
# they run until the next `key=`.
_PROP = re.compile(rf"(?:^|[ \t])(?P<key>[a-z]+)=(?P<val>{_QUOTED}|\S+(?:[ \t]+(?![a-z]+=)\S+)*)")
# Values the observation writes in place of what is really in a field.
_NO_VALUE = frozenset({"", "<hidden>"})


@dataclass(frozen=True)
class DomField:
    element_id: str
    entity_type: str  # what the field holds: PASSWORD, CREDIT_CARD, …
    signal: str  # what gave it away: "type=password", "autocomplete=cc-number", "label"
    line_start: int
    line_end: int
    value_start: int | None = None
    value_end: int | None = None

    @property
    def score(self) -> float:
        return 0.8 if self.signal == "label" else 0.95


def _unquote_span(match: re.Match[str], group: str) -> tuple[int, int, str]:
    start, end = match.span(group)
    raw = match.group(group)
    if len(raw) >= 2 and raw[0] in "'\"" and raw[-1] == raw[0]:
        return start + 1, end - 1, raw[1:-1]
    return start, end, raw


def sensitive_fields(text: str) -> Iterator[DomField]:
    """The form fields on observation lines that hold (or will hold) sensitive data."""
    if "[" not in text:
        return
    for line in _LINE.finditer(text):
        props: dict[str, tuple[int, int, str]] = {}
        for prop in _PROP.finditer(line.group("props")):
            start, end, value = _unquote_span(prop, "val")
            offset = line.start("props")
            props[prop.group("key")] = (start + offset, end + offset, value)
        found = _classify(line.group("role"), line.group("name") or "", props)
        if found is None:
            continue
        entity, signal = found
        value_start = value_end = None
        if "value" in props and props["value"][2] not in _NO_VALUE:
            value_start, value_end = props["value"][0], props["value"][1]
        yield DomField(line.group("id"), entity, signal, line.start("id") - 1, line.end(),
                       value_start, value_end)


def _classify(role: str, name: str, props: dict[str, tuple[int, int, str]]
              ) -> tuple[str, str] | None:
    label = name[1:-1] if len(name) >= 2 else name
    return classify_field(role, label, {key: value for key, (_, _, value) in props.items()})


def classify_field(role: str, label: str, props: dict[str, str]) -> tuple[str, str] | None:
    """(entity, signal) of a form field by its type, autocomplete token or label; None for a
    field that holds nothing sensitive (or an element that is no field)."""
    input_type = props.get("type", "").lower()
    if input_type == "password":
        return INPUT_TYPES[input_type], f"type={input_type}"
    autocomplete = props.get("autocomplete", "")
    if kind := autocomplete_kind(autocomplete):
        return kind, f"autocomplete={autocomplete.lower().split()[-1]}"
    if input_type in INPUT_TYPES:
        return INPUT_TYPES[input_type], f"type={input_type}"
    if role not in INPUT_ROLES and not input_type:
        return None
    text = label + " " + props.get("placeholder", "")
    for pattern, entity in LABEL_TYPES:
        if pattern.search(text):
            return entity, "label"
    return None


def field_kinds(role: str, label: str, props: dict[str, str]) -> set[str]:
    """Every kind a field's signals name: a `type=password` field with autocomplete=cc-csc is
    both a PASSWORD and a CARD_CVV field (the executor asks whether a secret's kind is one)."""
    kinds = set()
    if props.get("type", "").lower() == "password":
        kinds.add("PASSWORD")
    if kind := autocomplete_kind(props.get("autocomplete", "")):
        kinds.add(kind)
    if role in INPUT_ROLES or props.get("type"):
        text = label + " " + props.get("placeholder", "")
        kinds.update(entity for pattern, entity in LABEL_TYPES if pattern.search(text))
    return kinds
