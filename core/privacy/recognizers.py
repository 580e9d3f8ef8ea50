"""Recognizers presidio lacks (passwords, API keys, OTP codes, CVV, birth dates, street
addresses, health data, names in Cyrillic, Chinese and Arabic script; their patterns are in
core.privacy.patterns) and variants of some it has: email and phone (offline, faster), IBAN
in any case and grouping, card numbers with dots or split over page lines, SSNs spaced or
dotted after their label."""

from __future__ import annotations

import re
from collections.abc import Iterable

import tldextract
from presidio_analyzer import LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IpRecognizer,
    PhoneRecognizer,
)

from core.privacy.patterns import (
    ADDRESS_PATTERNS,
    API_KEY_PATTERNS,
    API_KEY_SHAPE_PATTERNS,
    BANK_ACCOUNT_PATTERNS,
    BIRTH_DATE_PATTERNS,
    CARD_PATTERNS,
    CVV_PATTERNS,
    IBAN_PATTERNS,
    MEDICAL_PATTERNS,
    OTP_PATTERNS,
    PASSWORD_PATTERNS,
    PASSWORD_SHAPE_PATTERNS,
    PERSON_PATTERNS,
    PRIVATE_KEY_PATTERNS,
    SPLIT_CARD_PATTERNS,
    SSN_PATTERNS,
    FinderPattern,
    GroupPattern,
    card_digits_ok,
    spans,
)

# The bundled public-suffix snapshot: no fetch, no cache dir (presidio's module-level
# tldextract.extract would try the network on first use and print a traceback offline).
OFFLINE_TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

class GroupPatternRecognizer(LocalRecognizer):
    """A presidio recognizer over GroupPatterns (presidio's PatternRecognizer spans the whole
    match, which would put the label inside the finding)."""

    def __init__(self, entity: str, patterns: Iterable[GroupPattern | FinderPattern], name: str,
                 context: list[str] | None = None) -> None:
        self.patterns = tuple(patterns)
        super().__init__(supported_entities=[entity], name=name, supported_language="en",
                         context=context)

    def load(self) -> None:
        """Nothing to load: the patterns are compiled at import."""

    def analyze(self, text: str, entities: list[str],
                nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        return [RecognizerResult(
            self.supported_entities[0], start, end, score,
            recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                  RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id})
            for start, end, score in spans(self.patterns, text)]


class OfflineEmailRecognizer(EmailRecognizer):
    """presidio's email recognizer, validated against the bundled suffix list, and with a local
    part that cannot start with a quote (observation lines quote values: value='a@b.com')."""

    PATTERNS = [type(EmailRecognizer.PATTERNS[0])(
        "Email (Medium)",
        r"\b[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\b",
        0.5)]

    def __init__(self) -> None:
        super().__init__(patterns=self.PATTERNS, name="EmailRecognizer")

    def validate_result(self, pattern_text: str) -> bool:
        domain = pattern_text.rsplit("@", 1)[-1].lower()
        # RFC 2606/6761 reserved names are not on the suffix list, but an address under them
        # is still somebody's address (test data, intranets): treat it as one.
        if domain.rsplit(".", 1)[-1] in RESERVED_TLDS:
            return True
        return OFFLINE_TLD(domain).fqdn != ""


RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost", "local", "internal"})


class IssuerCheckedCardRecognizer(CreditCardRecognizer):
    """presidio's card recognizer, its Luhn check plus an issuer's prefix and length: its
    pattern takes any 1xxx/3xxx/6xxx digit run, and one in ten passes Luhn ("gift card 1206
    8155 1262 4805", a 15-digit cut of a longer number)."""

    def __init__(self) -> None:
        super().__init__(name="CreditCardRecognizer")

    def validate_result(self, pattern_text: str) -> bool:
        return bool(super().validate_result(pattern_text)) and card_digits_ok(
            re.sub(r"\D", "", pattern_text))


class PublicIpRecognizer(IpRecognizer):
    """presidio's IP recognizer minus loopback: every local page's URL holds 127.0.0.1, which
    says nothing about anybody."""

    def validate_result(self, pattern_text: str) -> bool | None:
        address = pattern_text.strip("[]")
        if address.startswith("127.") or address in ("::1", "0.0.0.0"):
            return False
        return super().validate_result(pattern_text)


_SEVEN_DIGITS = re.compile(r"(?:\d[^\d\n]{0,3}){6}\d")
# "03.04.1988", "2024-03-04", "1988/04/03": dates libphonenumber takes for numbers; and
# "2024-418150", an order number of the year
_DATE_SHAPED = re.compile(r"\d{1,2}[./-]\d{1,2}[./-](?:19|20)\d{2}"
                          r"|(?:19|20)\d{2}[./-]\d{1,2}[./-]\d{1,2}|(?:19|20)\d{2}-\d{5,8}")


class LinePhoneRecognizer(PhoneRecognizer):
    """presidio's phone recognizer, run only on lines holding 7+ digits. libphonenumber's
    matcher costs ~13 ms per 3 KB observation when run over the whole text; most page lines
    hold no such digit run, so this cuts it to the lines that can match."""

    def __init__(self) -> None:
        super().__init__(name="PhoneRecognizer")

    def analyze(self, text: str, entities: list[str],
                nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        offset = 0
        for line in text.split("\n"):
            if _SEVEN_DIGITS.search(line):
                for result in super().analyze(line, entities, nlp_artifacts):
                    if result.start > 0 and line[result.start - 1] in ":.":
                        continue  # "17:09:08.195552": the tail of a timestamp
                    if _DATE_SHAPED.fullmatch(line, result.start, result.end):
                        continue
                    result.start += offset
                    result.end += offset
                    results.append(result)
            offset += len(line) + 1
        return results


def custom_recognizers() -> list[LocalRecognizer]:
    """The recognizers Symbiote adds to presidio's."""
    return [
        GroupPatternRecognizer("PASSWORD", PASSWORD_PATTERNS + PASSWORD_SHAPE_PATTERNS,
                               "PasswordRecognizer"),
        GroupPatternRecognizer("API_KEY", API_KEY_PATTERNS + API_KEY_SHAPE_PATTERNS,
                               "ApiKeyRecognizer"),
        GroupPatternRecognizer("PRIVATE_KEY", PRIVATE_KEY_PATTERNS, "PrivateKeyRecognizer"),
        GroupPatternRecognizer("OTP", OTP_PATTERNS, "OtpRecognizer"),
        GroupPatternRecognizer("CARD_CVV", CVV_PATTERNS, "CvvRecognizer"),
        GroupPatternRecognizer("CREDIT_CARD", CARD_PATTERNS + SPLIT_CARD_PATTERNS,
                               "CardNumberRecognizer"),
        GroupPatternRecognizer("IBAN_CODE", IBAN_PATTERNS, "IbanAnyCaseRecognizer"),
        GroupPatternRecognizer("US_SSN", SSN_PATTERNS, "SsnLabelRecognizer"),
        GroupPatternRecognizer("US_BANK_NUMBER", BANK_ACCOUNT_PATTERNS, "BankAccountRecognizer"),
        GroupPatternRecognizer("MEDICAL", MEDICAL_PATTERNS, "MedicalRecognizer"),
        GroupPatternRecognizer("PERSON", PERSON_PATTERNS, "NamePatternRecognizer"),
        GroupPatternRecognizer("DATE_OF_BIRTH", BIRTH_DATE_PATTERNS, "BirthDateRecognizer"),
        GroupPatternRecognizer("LOCATION", ADDRESS_PATTERNS, "StreetAddressRecognizer"),
        OfflineEmailRecognizer(),
        LinePhoneRecognizer(),
    ]
