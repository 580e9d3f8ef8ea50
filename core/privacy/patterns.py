"""The pattern recognizers' data: regexes whose named groups hold the private value, with the
checks that reject look-alikes. Plain `re`, no presidio: the loop and the trainer use them to
find credentials in a task without loading the NLP stack (core.privacy.task_secrets), and
core.privacy.recognizers wraps them for presidio.

Each pattern names the group that holds the secret, so a finding covers the value and not its
label: redaction then keeps "password: <PASSWORD_1>" readable for the cloud model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

Check = Callable[[str, re.Match[str]], bool]


@dataclass(frozen=True)
class GroupPattern:
    """A regex whose named groups `v`, `v2`, … (first that matched) hold the finding's span."""

    name: str
    regex: re.Pattern[str]
    score: float
    check: Check | None = None


def value_span(match: re.Match[str]) -> tuple[int, int] | None:
    for group, value in match.groupdict().items():
        if group.startswith("v") and value:
            return match.span(group)
    return None


def trim_value(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop sentence punctuation glued to a value ("password: hunter2." -> "hunter2")."""
    while end > start and text[end - 1] in ".,;:)!?'\"" and (end == len(text)
                                                            or text[end].isspace()):
        end -= 1
    return start, end


def spans(patterns: tuple[GroupPattern, ...], text: str) -> Iterator[tuple[int, int, float]]:
    """(start, end, score) of every value the patterns find in `text`."""
    for pattern in patterns:
        for match in pattern.regex.finditer(text):
            span = value_span(match)
            if span is None or (pattern.check is not None and not pattern.check(text, match)):
                continue
            start, end = trim_value(text, *span)
            if end > start:
                yield start, end, pattern.score


# --- passwords -------------------------------------------------------------------------------

_PW_KW = r"(?:password|passwd|pass[ \t]?word|passcode|passphrase|pwd|pw)"
# Words that follow "password:" in UI text and help pages, never a password themselves.
_NOT_A_PASSWORD = frozenset("""
is was are be been has have had must should can cannot will would may might not never no
and or but the a an to for of on in at by with from your my our their his her its this that
it here below above again required incorrect invalid wrong too strength strong weak expired
changed change changes updated saved hint manager protected please enter confirm confirmation
reset forgot forgotten sent set new old current least minimum maximum characters chars
length contain contains match matches policy requirements rules field fields hidden none
null empty optional same different show hide visible reveal needed needs recovery recover
""".split())


def _plausible_password(text: str, match: re.Match[str]) -> bool:
    span = value_span(match)
    if span is None:
        return False
    value = text[span[0]:span[1]].strip(".,;:)!?'\"")
    if len(value) < 4 or value.lower() in _NOT_A_PASSWORD:
        return False
    if set(value) <= set("*•·x●"):  # a masked value shown by the page
        return False
    return not (value.startswith("<") and value.endswith(">")) and "{{" not in value


_QUOTED_OR_TOKEN = r"""(?:"(?P<v>[^"\n]{1,128})"|'(?P<v2>[^'\n]{1,128})'|(?P<v3>[^\s"'`]{1,128}))"""
PASSWORD_PATTERNS = (
    # "password: hunter2", "pw=hunter2", "my password for gmail is hunter2"
    GroupPattern("password labelled", re.compile(
        rf"(?i)\b{_PW_KW}\b(?:[ \t]+(?:for|of|on|to)[ \t]+[^\n:=]{{1,40}}?)?"
        rf"(?:[ \t]*[:=][ \t]*|[ \t]+(?:is|was)[ \t]+){_QUOTED_OR_TOKEN}"), 0.8,
        _plausible_password),
    # "log in with password hunter2", "use the password hunter2"
    GroupPattern("password after verb", re.compile(
        rf"(?i)\b(?:with|using|use|enter|type)[ \t]+(?:the[ \t]+|my[ \t]+)?{_PW_KW}[ \t]+"
        rf"{_QUOTED_OR_TOKEN}"), 0.7, _plausible_password),
    # 'the password "XjpL"', "password 'a1'": a quoted value right after the word is the
    # password however short (MiniWoB's are 2-6 characters)
    GroupPattern("password quoted", re.compile(
        rf"(?i)\b{_PW_KW}[ \t]+(?:\"(?P<v>[^\"\n{{}}]{{1,128}})\"|'(?P<v2>[^'\n{{}}]{{1,128}})')"),
        0.8),
    # "PIN 4821", "my pin is 4821"
    GroupPattern("pin", re.compile(
        r"(?i)\bpin(?:[ \t]+(?:code|number))?(?:[ \t]*[:=][ \t]*|[ \t]+(?:is[ \t]+)?)"
        r"(?P<v>\d{4,8})\b"), 0.7),
)

# --- API keys, tokens, private keys ----------------------------------------------------------


def _mixed(text: str, match: re.Match[str]) -> bool:
    span = value_span(match)
    value = text[span[0]:span[1]] if span else ""
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


API_KEY_PATTERNS = (
    GroupPattern("openai/anthropic key", re.compile(
        r"\b(?P<v>sk-(?:ant-|proj-|live-)?[A-Za-z0-9_-]{20,})"), 0.9),
    GroupPattern("github token", re.compile(
        r"\b(?P<v>gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b"), 0.95),
    GroupPattern("gitlab token", re.compile(r"\b(?P<v>glpat-[A-Za-z0-9_-]{20,})"), 0.95),
    GroupPattern("aws access key", re.compile(r"\b(?P<v>(?:AKIA|ASIA)[0-9A-Z]{16})\b"), 0.9),
    GroupPattern("slack token", re.compile(r"\b(?P<v>xox[abposr]-[A-Za-z0-9-]{10,})"), 0.9),
    GroupPattern("google api key", re.compile(r"\b(?P<v>AIza[0-9A-Za-z_-]{35})"), 0.9),
    GroupPattern("stripe key", re.compile(r"\b(?P<v>[rsp]k_(?:live|test)_[0-9A-Za-z]{16,})"),
                 0.9),
    GroupPattern("jwt", re.compile(
        r"\b(?P<v>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"), 0.9),
    GroupPattern("bearer token", re.compile(
        r"(?i:\bbearer)[ \t]+(?P<v>[A-Za-z0-9._~+/-]{16,}=*)"), 0.8, _mixed),
    GroupPattern("labelled secret", re.compile(
        r"(?i:\b(?:api[_ -]?key|api[_ -]?token|access[_ -]?token|auth[_ -]?token|secret[_ -]?key"
        r"|client[_ -]?secret|private[_ -]?token|token|secret))[ \t]*(?:[:=]|[ \t]is)[ \t]*"
        r"[\"']?(?P<v>[A-Za-z0-9_\-./+=]{12,})"), 0.7, _mixed),
)

PRIVATE_KEY_PATTERNS = (
    GroupPattern("pem private key", re.compile(
        r"(?P<v>-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----"
        r"|\Z))"), 1.0),
)

# --- one-time codes and card security codes --------------------------------------------------

_NOT_OTP_BEFORE = re.compile(
    r"(?i)\b(?:zip|postal|post|area|country|promo|discount|coupon|product|error|status|source"
    r"|http|response|exit|return|color|colour|dial|iso|tax|course|item|sku|class)[ \t]*$")


def _otp_context_ok(text: str, match: re.Match[str]) -> bool:
    """Reject "zip code 94105", "error code 4040": the word before the keyword says what it is."""
    return _NOT_OTP_BEFORE.search(text, max(0, match.start() - 24), match.start()) is None


OTP_PATTERNS = (
    GroupPattern("otp after keyword", re.compile(
        r"(?i)\b(?:otp|2fa|mfa|one[- ]time(?:[ \t]+pass(?:word|code)?)?|verification|"
        r"security[ \t]+code|login[ \t]+code|sign[- ]in[ \t]+code|auth(?:entication)?[ \t]+code|"
        r"confirmation[ \t]+code|access[ \t]+code|code)\b[^\n\d]{0,24}?"
        r"\b(?P<v>\d{4,8}|\d{3}[ -]\d{3})\b"), 0.6, _otp_context_ok),
    GroupPattern("otp before keyword", re.compile(
        r"(?i)\b(?P<v>\d{4,8})\b[ \t]+is[ \t]+your[ \t]+(?:[\w-]+[ \t]+){0,3}"
        r"(?:code|otp|pin|password|passcode)\b"), 0.8),
    GroupPattern("google code", re.compile(r"\bG-(?P<v>\d{6})\b"), 0.7),
)

CVV_PATTERNS = (
    GroupPattern("card security code", re.compile(
        r"(?i)\b(?:cvv2?|cvc2?|csc|cid|card[ \t]+(?:security[ \t]+|verification[ \t]+)?code)\b"
        r"[^\n\d]{0,16}?\b(?P<v>\d{3,4})\b"), 0.7),
)

# --- card numbers presidio's pattern misses (2-series Mastercard, 19-digit, Maestro, JCB 15) -


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


# (IIN prefix range, allowed lengths)
_CARD_RANGES: tuple[tuple[int, int, frozenset[int]], ...] = tuple(
    (low, high, frozenset(lengths)) for low, high, lengths in (
        (4, 4, (13, 16, 19)), (51, 55, (16,)), (2221, 2720, (16,)), (34, 34, (15,)),
        (37, 37, (15,)), (6011, 6011, range(16, 20)), (644, 649, range(16, 20)),
        (65, 65, range(16, 20)), (3528, 3589, range(16, 20)), (2131, 2131, (15,)),
        (1800, 1800, (15,)), (300, 305, range(14, 20)), (36, 36, range(14, 20)),
        (38, 39, range(16, 20)), (62, 62, range(16, 20)), (2200, 2204, range(16, 20)),
        (5018, 5018, range(12, 20)), (5020, 5020, range(12, 20)), (5038, 5038, range(12, 20)),
        (5893, 5893, range(12, 20)), (6304, 6304, range(12, 20)), (6759, 6759, range(12, 20)),
        (6761, 6763, range(12, 20)),
    ))


def _card_number(text: str, match: re.Match[str]) -> bool:
    digits = re.sub(r"\D", "", match.group("v"))
    if not 12 <= len(digits) <= 19 or not _luhn(digits):
        return False
    return any(low <= int(digits[:len(str(low))]) <= high and len(digits) in lengths
               for low, high, lengths in _CARD_RANGES)


CARD_PATTERNS = (
    GroupPattern("card number (IIN + Luhn)", re.compile(r"\b(?P<v>\d(?:[- ]?\d){11,18})\b"),
                 0.9, _card_number),
)

# --- birth dates and street addresses --------------------------------------------------------

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|"
         rf"{_MONTH}[ \t]+\d{{1,2}}(?:st|nd|rd|th)?,?[ \t]+\d{{4}}|"
         rf"\d{{1,2}}(?:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?{_MONTH},?[ \t]+\d{{4}})")
# A label and its value are often two StaticText lines: "… 'Date of birth'\n [7] StaticText '…".
_NEXT_LINE = r"['\"]?[ \t]*\n[ \t]*\[[^\]\n]+\][ \t]+StaticText[ \t]+['\"]"
BIRTH_DATE_PATTERNS = (
    GroupPattern("date of birth", re.compile(
        rf"(?i)\b(?:date[ \t]+of[ \t]+birth|d\.?o\.?b\.?|birth[ \t]?(?:date|day)|born(?:[ \t]+on)?)"
        rf"\b(?:{_NEXT_LINE}|[ \t]*(?:[:\-=]|is|was)?[ \t]*)(?P<v>{_DATE})"), 0.8),
)

# USPS street suffixes (the common ones): a number, 1-4 capitalised words, then one of these.
_STREET_SUFFIX = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    "Terrace|Ter|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq|Trail|Trl|Plaza|Plz|Alley|"
    "Bridge|Brook|Burg|Bypass|Camp|Canyon|Cape|Causeway|Center|Ctr|Cliff|Club|Common|Corner|"
    "Course|Cove|Creek|Crescent|Crest|Crossing|Dale|Dam|Divide|Estate|Estates|Expressway|"
    "Extension|Falls|Ferry|Field|Fields|Flat|Flats|Ford|Forest|Forge|Fork|Fort|Freeway|Garden|"
    "Gardens|Gateway|Glen|Green|Grove|Harbor|Haven|Heights|Hill|Hills|Hollow|Island|Isle|"
    "Junction|Key|Knoll|Lake|Lakes|Landing|Light|Loop|Mall|Manor|Meadow|Meadows|Mews|Mill|"
    "Mills|Mission|Motorway|Mount|Mountain|Neck|Orchard|Oval|Park|Pass|Path|Pike|Pine|Pines|"
    "Point|Points|Port|Prairie|Radial|Ranch|Rapid|Rapids|Rest|Ridge|River|Route|Row|Run|"
    "Shoal|Shoals|Shore|Shores|Spring|Springs|Spur|Station|Stravenue|Stream|Summit|Throughway|"
    "Trace|Track|Trafficway|Tunnel|Turnpike|Underpass|Union|Valley|Viaduct|View|Views|Village|"
    "Ville|Vista|Walk|Wall|Well|Wells|Lock|Locks|Lodge|Skyway|Parkways|Crossroad|Curve|Fall|"
    "Fords|Forks|Glens|Greens|Groves|Harbors|Inlet|Junctions|Keys|Knolls|Lights|Manors|Mounts|"
    "Overpass|Plain|Plains|Ports|Ramp|Ridges|Roads|Routes|Squares|Streets|Tracks|Unions|"
    "Villages|Ways|Avenues|Drives|Courts|Centers|Cliffs|Commons|Corners|Coves|Creeks|Crests|"
    "Extensions|Fields|Gateways|Haven|Heights|Hollows|Isles|Lakes|Loaf|Mall|Meadows|Mews|"
    "Orchards|Parks|Passage|Plazas|Rest|Shoals|Springs|Stations|Summits|Trafficway|Valleys|"
    "Viaduct|Views|Vistas|Walks|Wells")
ADDRESS_PATTERNS = (
    GroupPattern("us street address", re.compile(
        rf"\b(?P<v>\d{{1,6}}[ \t]+(?:[A-Z][a-z]+[ \t]+){{1,4}}(?:{_STREET_SUFFIX})\b\.?"
        rf"(?:,?[ \t]+(?:Apt|Suite|Ste|Unit|#)\.?[ \t]*[\w-]+)?)"), 0.7),
)
