"""The pattern recognizers' data: regexes whose named groups hold the private value, with the
checks that reject look-alikes. Plain `re`, no presidio: the loop and the trainer use them to
find credentials in a task without loading the NLP stack (core.privacy.task_secrets), and
core.privacy.recognizers wraps them for presidio.

Each pattern names the group that holds the secret, so a finding covers the value and not its
label: redaction then keeps "password: <PASSWORD_1>" readable for the cloud model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

Check = Callable[[str, re.Match[str]], bool]
# How far past an anchor's hit a match may run (the longest values are 256 characters).
_ANCHOR_TAIL = 400


@dataclass(frozen=True)
class GroupPattern:
    """A regex whose named groups `v`, `v2`, … (first that matched) hold the finding's span.

    `hints`: lower-case substrings one of which a text must hold for the regex to be worth
    running (a substring test is ~100x cheaper than a failing regex scan of a page);
    `gate`: a cheaper test of the same kind. `anchor`: a cheap regex that matches inside
    every match, at most `reach` characters after its start: the full regex then runs only
    around the anchor's hits (an alternation of labels tried at every position of a 40 KB page
    costs ~10 ms; a literal anchor a fraction)."""

    name: str
    regex: re.Pattern[str]
    score: float
    check: Check | None = None
    hints: tuple[str, ...] = ()
    gate: Callable[[str], bool] | None = None
    anchor: re.Pattern[str] | None = None
    reach: int = 40

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        if self.anchor is None:
            yield from self.regex.finditer(text)
            return
        done = 0  # matches never overlap, as with finditer
        for hit in self.anchor.finditer(text):
            if hit.start() < done:
                continue
            match = self.regex.search(text, max(done, hit.start() - self.reach),
                                      min(len(text), hit.end() + _ANCHOR_TAIL))
            if match is not None and match.start() <= hit.start():
                done = match.end()
                yield match


@dataclass(frozen=True)
class FinderPattern:
    """A function that finds (start, end) spans itself: for values a regex cannot delimit
    alone (IBANs of a country's length, card numbers split over page lines, password-shaped
    tokens). Its spans are used as they are (no trimming)."""

    name: str
    find: Callable[[str], Iterable[tuple[int, int]]]
    score: float
    hints: tuple[str, ...] = ()
    gate: Callable[[str], bool] | None = None


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


def spans(patterns: Iterable[GroupPattern | FinderPattern], text: str
          ) -> Iterator[tuple[int, int, float]]:
    """(start, end, score) of every value the patterns find in `text`."""
    lowered: str | None = None
    for pattern in patterns:
        if pattern.hints:
            lowered = text.lower() if lowered is None else lowered
            if not any(hint in lowered for hint in pattern.hints):
                continue
        if pattern.gate is not None and not pattern.gate(text):
            continue
        if isinstance(pattern, FinderPattern):
            for start, end in pattern.find(text):
                yield start, end, pattern.score
            continue
        for match in pattern.finditer(text):
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
    # "…/login?user=bob&pass=hunter2&next=/", "pass=hunter2", "db_pwd=…": a form or URL
    # parameter; the value ends at the next parameter. First: it is the narrower span.
    GroupPattern("password parameter", re.compile(
        r"(?i)(?<![A-Za-z0-9])(?:pass|passwd|password|pwd|pw|passcode|passphrase|pin)="
        r"(?P<v>[^&#\s'\"`]{1,128})"), 0.85, _plausible_password,
        hints=("pass", "pw", "pin")),
    # "password: hunter2", "pw=hunter2", "my password for gmail is hunter2"
    GroupPattern("password labelled", re.compile(
        rf"(?i)\b{_PW_KW}\b(?:[ \t]+(?:for|of|on|to)[ \t]+[^\n:=]{{1,40}}?)?"
        rf"(?:[ \t]*[:=][ \t]*|[ \t]+(?:is|was)[ \t]+){_QUOTED_OR_TOKEN}"), 0.8,
        _plausible_password,
        hints=("pass", "pw")),
    # "log in with password hunter2", "use the password hunter2"
    GroupPattern("password after verb", re.compile(
        rf"(?i)\b(?:with|using|use|enter|type)[ \t]+(?:the[ \t]+|my[ \t]+)?{_PW_KW}[ \t]+"
        rf"{_QUOTED_OR_TOKEN}"), 0.7, _plausible_password,
        hints=("pass", "pw")),
    # 'the password "XjpL"', "password 'a1'": a quoted value right after the word is the
    # password however short (MiniWoB's are 2-6 characters)
    GroupPattern("password quoted", re.compile(
        rf"(?i)\b{_PW_KW}[ \t]+(?:\"(?P<v>[^\"\n{{}}]{{1,128}})\"|'(?P<v2>[^'\n{{}}]{{1,128}})')"),
        0.8,
        hints=("pass", "pw")),
    # "PIN 4821", "my pin is 4821"
    GroupPattern("pin", re.compile(
        r"(?i)\bpin(?:[ \t]+(?:code|number))?(?:[ \t]*[:=][ \t]*|[ \t]+(?:is[ \t]+)?)"
        r"(?P<v>\d{4,8})\b"), 0.7,
        hints=("pin",)),
    # "new password Xk2#pq9", "temporary password: …" is the labelled case; without a colon
    # the value must not be a plain word ("new password twice")
    GroupPattern("password after adjective", re.compile(
        r"(?i)\b(?:new|temporary|temp|initial|default|current|old|wifi|wi-fi|admin|root|master)"
        rf"[ \t]+{_PW_KW}[ \t]+(?P<v>[^\s\"'`]{{4,128}})"), 0.7,
        lambda text, match: _plausible_password(text, match)
        and not match.group("v").strip(".,;:)!?").isalpha(),
        hints=("pass", "pw"), anchor=re.compile(r"(?i)pass|pw"), reach=40),
)

# Keyword-less passwords: a token shaped like one (upper and lower case, a digit and a symbol,
# 8-64 characters: "Zebra-Quartz-9931!"). Hyphens, dots and underscores also join product
# names and codes ("Galaxy-S24-Ultra", "Report_Q3-2024"): with only those, a sign-in word must
# precede on the line. Not lifted from tasks (core.privacy.task_secrets): shape is a guess.
_STRONG_SYMBOLS = frozenset("!#$%&*+=?@^~|;<>")
_TOKEN_CHAR = r"[^\s'\"`]"
# a token of 8-72 characters holding a digit, both cases and a symbol (the lookaheads let the
# regex skip most tokens of a page without a Python call)
_PASSWORD_CANDIDATE = re.compile(
    rf"(?<![^\s'\"`(\[{{])(?={_TOKEN_CHAR}*\d)(?={_TOKEN_CHAR}*[A-Z])(?={_TOKEN_CHAR}*[a-z])"
    rf"(?={_TOKEN_CHAR}*[^\w\s'\"`]){_TOKEN_CHAR}{{8,72}}(?!{_TOKEN_CHAR})")
_LABEL_PREFIX = re.compile(r"^[A-Za-z_][\w.-]{0,30}[=:](?=.)")
_SIGN_IN_WORD = re.compile(
    r"(?i)\b(?:log(?:ged)?[ -]?in(?:to)?|sign(?:ed)?[ -]?in(?:to)?|logon|credentials?"
    r"|user(?:name)?|account|passwords?|passphrase|passcode|pwd|wifi|wi-fi|wlan"
    r"|network[ \t]+key|unlock|authenticate)\b")
_NOT_PASSWORD_SHAPE = re.compile(
    r"(?i)^(?:[a-z][a-z0-9+.-]*://|www\.|[$€£]\d|[/\\]|\d+(?:\.\d+)+)"  # URL, price, version
    r"|^[#@]\w+[!?.]?$"  # hashtag, handle
    r"|^[^@\s]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+$"  # e-mail address
    r"|\.(?:pdf|jpe?g|png|gif|webp|svg|docx?|xlsx?|pptx?|csv|zip|gz|txt|html?|php|aspx?|js"
    r"|css|py|exe|dmg|mp[34]|mov|json|xml)$"  # file name
    r"|\{\{|^<[^<>]*>$|[/\\]")  # placeholders; paths, dates, escapes


def _password_shaped(text: str, start: int, end: int) -> bool:
    value = text[start:end]
    if not 8 <= len(value) <= 64 or _NOT_PASSWORD_SHAPE.search(value):
        return False
    if not (any(c.isupper() for c in value) and any(c.islower() for c in value)
            and any(c.isdigit() for c in value)):
        return False
    symbols = [i for i, c in enumerate(value) if not c.isalnum()]
    if not symbols or _QUERY_STRING.search(value):
        return False
    # base64 padding is no symbol: "aGVsbG8gd29ybGQ=" is an encoded id
    strong = [i for i in symbols if value[i] in _STRONG_SYMBOLS
              and not (value[i] == "=" and value[i:].strip("=") == "")]
    # a '!' or '?' closing the text or line after a letter may be the sentence's ("… the new
    # Galaxy-S24-Ultra!"); after a digit it is the password's ("Zebra-Quartz-9931!")
    closing = end == len(text) or text[end] in "\n'\""
    if strong and not (closing and strong == [len(value) - 1] and value[-1] in "!?"
                       and value[-2].isalpha()):
        return True
    # only hyphens, dots, underscores: a value handed over after a sign-in word ("log in as
    # jdoe with Kestrel-Harbor-88", "admin / Kestrel-Harbor-88"), not a product named after one
    line_start = text.rfind("\n", 0, start) + 1
    return (_HANDED_OVER.search(text, max(line_start, start - 12), start) is not None
            and _SIGN_IN_WORD.search(text, max(line_start, start - 80), start) is not None)


_QUERY_STRING = re.compile(r"[&?][A-Za-z_]\w*=")
_HANDED_OVER = re.compile(r"(?i)(?:\bwith|\busing|\bis|/|:|=)[ \t]*['\"]?$")


def password_shaped_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in _PASSWORD_CANDIDATE.finditer(text):
        start, end = match.span()
        label = _LABEL_PREFIX.match(match.group())
        if label:  # "key=Value": the value (a password parameter has its own pattern)
            start += label.end()
        while start < end and text[start] in "([{":
            start += 1
        while end > start and text[end - 1] in ".,;:)]}?":
            end -= 1
        if _password_shaped(text, start, end):
            yield start, end


PASSWORD_SHAPE_PATTERNS = (FinderPattern("password-shaped token", password_shaped_spans, 0.55),)

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
        r"(?i:\bbearer)[ \t]+(?P<v>[A-Za-z0-9._~+/-]{16,}=*)"), 0.8, _mixed,
        hints=("bearer",)),
    GroupPattern("labelled secret", re.compile(
        r"(?i:\b(?:api[_ -]?key|api[_ -]?token|access[_ -]?token|auth[_ -]?token|secret[_ -]?key"
        r"|client[_ -]?secret|private[_ -]?token|token|secret))[ \t]*(?:[:=]|[ \t]is)[ \t]*"
        r"[\"']?(?P<v>[A-Za-z0-9_\-./+=]{12,})"), 0.7, _mixed,
        hints=("key", "token", "secret")),
    GroupPattern("npm token", re.compile(r"\b(?P<v>npm_[A-Za-z0-9]{36})\b"), 0.95),
    GroupPattern("hugging face token", re.compile(r"\b(?P<v>(?:hf|api_org)_[A-Za-z0-9]{30,40})\b"),
                 0.95),
    GroupPattern("sendgrid key", re.compile(
        r"\b(?P<v>SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,64})"), 0.95),
    GroupPattern("twilio sid", re.compile(r"\b(?P<v>(?:AC|SK)[0-9a-f]{32})\b"), 0.85),
    GroupPattern("webhook url", re.compile(
        r"(?P<v>https?://(?:hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{20,}"
        r"|(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/[\w-]{20,}))"), 0.95),
    GroupPattern("slack app token", re.compile(r"\b(?P<v>xapp-\d-[A-Za-z0-9-]{20,})"), 0.9),
    GroupPattern("vendor token", re.compile(
        r"\b(?P<v>shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}|whsec_[A-Za-z0-9]{24,}|key-[0-9a-f]{32}"
        r"|[0-9a-f]{32}-us\d{1,2}|pypi-AgE[A-Za-z0-9_-]{50,}|do[opr]_v1_[a-f0-9]{64}"
        r"|ya29\.[0-9A-Za-z_-]{20,}|dapi[0-9a-f]{32}|lin_api_[A-Za-z0-9]{40}"
        r"|glsa_[A-Za-z0-9_]{32,}|sq0(?:atp|csp)-[0-9A-Za-z_-]{22,}|\d{8,10}:AA[0-9A-Za-z_-]{33})\b"),
        0.9),
    # AWS secret access keys: 40 base64 characters after an AWS or secret-key label
    GroupPattern("aws secret key", re.compile(
        r"(?i:(?<![A-Za-z])aws(?![A-Za-z])[^\n]{0,40}?"
        r"|(?<![A-Za-z])secret[_ \t-]?(?:access[_ \t-]?)?key(?![A-Za-z])[^\n]{0,12}?)"
        r"(?<![A-Za-z0-9/+=])(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"), 0.9,
        lambda text, match: _mixed(text, match) and not match.group("v").islower(),
        hints=("aws", "secret")),
    # "token=…", "secret=…" in a URL or form body: the value ends at the next parameter
    GroupPattern("token parameter", re.compile(
        r"(?i)(?<![A-Za-z0-9])(?:token|access_token|auth_token|id_token|refresh_token|api_?key"
        r"|api_?token|secret|client_secret|private_token|session_token|x-api-key)="
        r"(?P<v>[^&#\s'\"`]{6,256})"), 0.8, lambda text, match: _plausible_password(text, match),
        hints=("token=", "key=", "secret=")),
    # "API key: 9f8e…", "the token 9f8e7d6c…", a label line then the value on the next line:
    # a high-entropy value after a key/token/secret label
    GroupPattern("labelled high-entropy token", re.compile(
        r"(?i:(?<![A-Za-z0-9])(?:api[_ -]?(?:key|token|secret)"
        r"|access[_ -]?(?:key(?:[_ -]?id)?|token)|auth(?:orization)?[_ -]?(?:token|key)"
        r"|secret[_ -]?(?:access[_ -]?)?key|client[_ -]?secret"
        r"|consumer[_ -]?(?:key|secret)|private[_ -]?token|signing[_ -]?(?:key|secret)"
        r"|webhook[_ -]?secret|session[_ -]?token|refresh[_ -]?token|auth[_ -]?token|token|secret"
        r"|(?<!network )(?<!wi-fi )(?<!wifi )(?<!wpa )(?<!product )key))"
        r"(?:['\"]?[ \t]*\n[ \t]*\[[^\]\n]+\][ \t]+StaticText[ \t]+['\"]"
        r"|['\"][^\n]{0,60}?[ \t]value=['\"]"
        r"|[\"'`]?(?:[ \t]*(?:[:=]|=>)[ \t]*|[ \t]+(?:is[ \t]+)?)[\"'`]?)"
        r"(?P<v>[A-Za-z0-9_\-./+=]{16,256})(?![A-Za-z0-9_\-/+=])"), 0.75,
        lambda text, match: _high_entropy(match.group("v")),
        hints=("key", "token", "secret"), anchor=re.compile(r"(?i)key|token|secret"), reach=30),
)


def _entropy(value: str) -> float:
    counts: dict[str, int] = {}
    for char in value:
        counts[char] = counts.get(char, 0) + 1
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


_WORDY = re.compile(r"[a-z]{8,}|[A-Z]{8,}|://|^\d+$")


_WORD_OR_NUMBER = re.compile(r"[A-Za-z][a-z]*|\d+")


def _high_entropy(value: str) -> bool:
    """A random-looking token: letters and digits, no long word, ≥ 3.3 bits per character;
    not words and numbers joined by hyphens ("Harbor-Kite-2132" is a passphrase)."""
    value = value.rstrip(".")
    parts = re.split(r"[-_.]", value)
    if len(parts) >= 2 and all(_WORD_OR_NUMBER.fullmatch(part) for part in parts):
        return False
    return (len(value) >= 16 and any(c.isdigit() for c in value)
            and any(c.isalpha() for c in value) and _WORDY.search(value) is None
            and _entropy(value) >= 3.3)


_LOWER_WORD = re.compile(r"[a-z]{10,}")
_BASE64_40 = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def _aws_secret_shaped(text: str) -> Iterator[tuple[int, int]]:
    """40 base64 characters with both cases and a digit, no label: an AWS secret access key's
    shape (git commit ids are lower-case hex; checksums in base64 are 28 or 44 long)."""
    for match in _BASE64_40.finditer(text):
        value = match.group()
        upper = sum(c.isupper() for c in value)
        lower = sum(c.islower() for c in value)
        digits = sum(c.isdigit() for c in value)
        if upper >= 3 and lower >= 3 and digits >= 1 and (
                "/" in value or "+" in value or min(upper, lower) >= 6 and digits >= 3) \
                and _LOWER_WORD.search(value) is None:
            yield match.span()


API_KEY_SHAPE_PATTERNS = (FinderPattern("aws secret key shape", _aws_secret_shaped, 0.6),)

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
        r"\b(?P<v>\d{4,8}|\d{3}[ -]\d{3})\b"), 0.6, _otp_context_ok,
        hints=("otp", "2fa", "mfa", "one", "verification", "code")),
    GroupPattern("otp before keyword", re.compile(
        r"(?i)\b(?P<v>\d{4,8})\b[ \t]+is[ \t]+your[ \t]+(?:[\w-]+[ \t]+){0,3}"
        r"(?:code|otp|pin|password|passcode)\b"), 0.8,
        hints=("your",)),
    GroupPattern("google code", re.compile(r"\bG-(?P<v>\d{6})\b"), 0.7),
)

CVV_PATTERNS = (
    GroupPattern("card security code", re.compile(
        r"(?i)\b(?:cvv2?|cvc2?|csc|cid|card[ \t]+(?:security[ \t]+|verification[ \t]+)?code)\b"
        r"[^\n\d]{0,16}?\b(?P<v>\d{3,4})\b"), 0.7,
        hints=("cvv", "cvc", "csc", "cid", "card")),
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
        (65, 65, range(16, 20)), (3500, 3599, range(16, 20)), (2131, 2131, (15,)),
        (1800, 1800, (15,)), (300, 305, range(14, 20)), (36, 36, range(14, 20)),
        (38, 39, range(16, 20)), (62, 62, range(16, 20)), (2200, 2204, range(16, 20)),
        (5018, 5018, range(12, 20)), (5020, 5020, range(12, 20)), (5038, 5038, range(12, 20)),
        (5893, 5893, range(12, 20)), (6304, 6304, range(12, 20)), (6759, 6759, range(12, 20)),
        (6761, 6763, range(12, 20)),
    ))


def _card_number(text: str, match: re.Match[str]) -> bool:
    return card_digits_ok(re.sub(r"\D", "", match.group("v")))


def card_digits_ok(digits: str) -> bool:
    """A payment card number: 12-19 digits, Luhn, an issuer's prefix and length."""
    if not 12 <= len(digits) <= 19 or not _luhn(digits):
        return False
    return any(low <= int(digits[:len(str(low))]) <= high and len(digits) in lengths
               for low, high, lengths in _CARD_RANGES)


CARD_PATTERNS = (
    GroupPattern("card number (IIN + Luhn)", re.compile(r"\b(?P<v>\d(?:[- ]?\d){11,18})\b"),
                 0.9, _card_number),
    # "4111.1111.1111.1111", "4111\u00a01111…": dots or no-break spaces in groups of four
    # (Amex 4-6-5); free-form dots would take version strings and thousands separators
    GroupPattern("card number, dotted groups", re.compile(
        r"(?<![\d.])(?P<v>\d{4}(?P<sep>[.\u00a0\u2009\u202f])\d{4}(?P=sep)\d{4}(?P=sep)\d{1,7}"
        r"|\d{4}(?P<sep2>[.\u00a0\u2009\u202f])\d{6}(?P=sep2)\d{4,5})(?![\d.])"), 0.9,
        _card_number,
        gate=re.compile(r"\d{4}[.\u00a0\u2009\u202f]\d{4}").search),
)

# A card number split over element lines: a form with four boxes of four digits, or a page
# that prints each group as its own StaticText. Consecutive lines whose name or value is only
# digits, joined, Luhn- and issuer-checked; one finding per group (a span over the lines
# between would cover their markup).
_DIGIT_GROUP_LINE = re.compile(
    r"^[ \t]*\[[^\]\n]+\][ \t]+\S+[ \t]+(?:'(?P<n>\d{3,6})'(?:[^\n]*?[ \t]value='(?P<nv>\d{2,6})')?"
    r"|(?:'[^'\n]*')?[^\n]*?[ \t]value='(?P<v>\d{2,6})')[^\n]*$", re.MULTILINE)


def split_card_spans(text: str) -> Iterator[tuple[int, int]]:
    if text.count("\n") < 2:
        return
    runs: list[list[tuple[int, int]]] = []
    last_end = -2
    for match in _DIGIT_GROUP_LINE.finditer(text):
        group = "nv" if match.group("nv") else ("n" if match.group("n") else "v")
        span = match.span(group)
        if match.start() != last_end + 1 or not runs:
            runs.append([])
        runs[-1].append(span)
        last_end = match.end()
    for run in runs:
        if len(run) < 2:
            continue
        i = 0
        while i < len(run) - 1:
            digits = ""
            for j in range(i, len(run)):
                digits += text[run[j][0]:run[j][1]]
                if j > i and len(digits) >= 13 and card_digits_ok(digits):
                    yield from run[i:j + 1]
                    i = j
                    break
                if len(digits) >= 19:
                    break
            i += 1


SPLIT_CARD_PATTERNS = (FinderPattern("card number over element lines", split_card_spans, 0.85),)

# --- IBANs in any case and grouping (presidio's recognizer wants upper case) -----------------

# ISO 13616 registry: country -> IBAN length
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}")


def iban_checksum_ok(iban: str) -> bool:
    """ISO 7064 mod 97-10 over the IBAN with its first four characters moved to the end."""
    value = (iban[4:] + iban[:4]).upper()
    if not value.isalnum():
        return False
    return int("".join(str(int(c, 36)) for c in value)) % 97 == 1


def iban_spans(text: str) -> Iterator[tuple[int, int]]:
    """IBANs written compact or grouped by spaces or hyphens, in any case, of their
    country's length and with a valid checksum."""
    for match in _IBAN_START.finditer(text):
        length = IBAN_LENGTHS.get(match.group()[:2].upper())
        if length is None:
            continue
        chars = [match.group()]
        count, pos = 4, match.end()
        while count < length and pos < len(text):
            char = text[pos]
            if char in " -\u00a0" and pos + 1 < len(text) and text[pos + 1].isalnum() \
                    and text[pos - 1].isalnum():
                pos += 1
                continue
            if not (char.isascii() and char.isalnum()):
                break
            chars.append(char)
            count += 1
            pos += 1
        if count != length or (pos < len(text) and text[pos].isalnum()):
            continue
        iban = "".join(chars)
        if iban[4:].isalpha() or not iban_checksum_ok(iban):
            continue
        yield match.start(), pos


IBAN_PATTERNS = (FinderPattern("iban (any case, checksum)", iban_spans, 0.9),)

# --- bank account and routing numbers after their label -------------------------------------


def _aba_ok(text: str, match: re.Match[str]) -> bool:
    d = [int(c) for c in match.group("v")]
    return sum(w * x for w, x in zip((3, 7, 1) * 3, d, strict=True)) % 10 == 0


BANK_ACCOUNT_PATTERNS = (
    GroupPattern("account number after its label", re.compile(
        r"(?i)\b(?:(?:bank|checking|savings|current)[ \t]+)?(?:account|acct|konto|compte)"
        r"(?:[ \t]*(?:number|no\.?|num|nr\.?|\#|n\u00b0))?(?:['\"]?[ \t]*\n[ \t]*\[[^\]\n]+\][ \t]+"
        r"StaticText[ \t]+['\"]|['\"][^\n]{0,40}?[ \t]value=['\"]|[ \t]*(?:[:#=]|is)?[ \t]*)"
        # 0.85: over the phone recognizer's 0.75 (+0.35 for "number")
        r"(?P<v>\d{8,17})(?![\d-])"), 0.85, hints=("account", "acct", "konto", "compte")),
    GroupPattern("routing number after its label", re.compile(
        r"(?i)\b(?:routing|aba|rtn)(?:[ \t]*(?:number|no\.?|\#))?[ \t]*(?:[:#=]|is)?[ \t]*"
        r"(?P<v>\d{9})(?!\d)"), 0.7, _aba_ok,
        hints=("routing", "aba", "rtn")),
)

# --- US social security numbers spaced or dotted, next to their label ------------------------


def _ssn_ok(text: str, match: re.Match[str]) -> bool:
    digits = re.sub(r"\D", "", match.group("v"))
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


SSN_PATTERNS = (
    GroupPattern("ssn after its label", re.compile(
        r"(?i)\b(?:ssn|ss\#|social[ \t]+security(?:[ \t]+(?:number|no\.?|num|\#))?"
        r"|soc\.?[ \t]*sec\.?(?:[ \t]*(?:no\.?|number|\#))?)(?![a-z])"
        r"(?:['\"]?[ \t]*\n[ \t]*\[[^\]\n]+\][ \t]+StaticText[ \t]+['\"]|[^\n\d]{0,24}?)"
        r"(?<!\d)(?P<v>\d{3}(?P<sep>[ .\-\u00a0]?)\d{2}(?P=sep)\d{4})(?![\d-])"), 0.85, _ssn_ok,
        hints=("ssn", "ss#", "social", "soc")),
)

# --- birth dates and street addresses --------------------------------------------------------

_MONTH = (r"(?:januar|j\u00e4nner|m\u00e4rz|maerz|mai|oktober|dezember|f\u00e9vrier|fevrier"
          r"|avril|juin|juillet|ao\u00fbt|aout|d\u00e9cembre|decembre|enero|abril|agosto|diciembre"
          r"|setiembre|gennaio|maggio|giugno|luglio|settembre|ottobre|dicembre"
          r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*)\.?")
_DATE = (rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|"
         rf"\d{{4}}[/.]\d{{1,2}}[/.]\d{{1,2}}|"
         rf"{_MONTH}[ \t]+\d{{1,2}}(?:st|nd|rd|th)?,?[ \t]+\d{{4}}|"
         rf"\d{{1,2}}(?:st|nd|rd|th|er|\.)?[ \t]+(?:of[ \t]+|de[ \t]+)?{_MONTH},?[ \t]+"
         rf"(?:de[ \t]+)?\d{{4}})")
# A label and its value are often two StaticText lines: "… 'Date of birth'\n [7] StaticText '…",
# or a field's name and its value on one line: "[7] textbox 'Geburtsdatum' value='…'".
_NEXT_LINE = r"['\"]?[ \t]*\n[ \t]*\[[^\]\n]+\][ \t]+StaticText[ \t]+['\"]"
_SAME_LINE_VALUE = r"['\"][^\n]{0,60}?[ \t]value=['\"]"
_BIRTH_LABEL = (
    r"date[ \t]+of[ \t]+birth|d\.?o\.?b\.?|birth[ \t]?(?:date|day)|born(?:[ \t]+on)?"
    r"|geburtsdatum|geburtstag|geb\.|geboren(?:[ \t]+am)?|date[ \t]+de[ \t]+naissance"
    r"|n\u00e9e?[ \t]+le|fecha[ \t]+de[ \t]+nacimiento|f\.[ \t]*(?:de[ \t]+)?nac\."
    r"|nacid[oa][ \t]+el"
    r"|data[ \t]+di[ \t]+nascita|nat[oa][ \t]+il|geboortedatum|data[ \t]+de[ \t]+nascimento")
# a substring of every label above, lower-cased
_BIRTH_HINTS = ("birth", "dob", "d.o.b", "d.ob", "do.b", "born", "geb", "naissance", "n\u00e9",
                "nacimiento", "nac.", "nacid", "nascita", "nato", "nata", "geboorte",
                "nascimento")
BIRTH_DATE_PATTERNS = (
    GroupPattern("date of birth", re.compile(
        rf"(?i)\b(?:{_BIRTH_LABEL})(?!\w)(?:{_NEXT_LINE}|{_SAME_LINE_VALUE}|[ \t]*"
        rf"(?:\([^)\n]{{0,20}}\))?[ \t]*(?:[:\-=]|is|was|am|ist(?:[ \t]+der)?|est(?:[ \t]+le)?"
        rf"|es(?:[ \t]+el)?|le|el|il)?[ \t]*)(?P<v>{_DATE})"), 0.8,
        hints=_BIRTH_HINTS),
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
_UK_POSTCODE = r"(?:[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2})"
_UK_SUFFIX = "Close|Rise|Wharf|Parade|Gate|Yard|Embankment|Broadway|Mead|Wynd|Hill"
_DE_UPPER, _DE_LOWER = "A-Z\u00c4\u00d6\u00dc", "a-z\u00e4\u00f6\u00fc\u00df"
_FR_WORD = r"[A-Z\u00c0-\u00dd][\w'\u2019-]*"
_FR_PARTICLE = r"(?:(?:de|du|des|la|le|les|et|sur|aux?|en)[ \t]+|[dl]['\u2019])"
_DE_STREET_HINTS = ("stra\u00dfe", "strasse", "str.", "weg", "gasse", "platz", "allee", "ring",
                    "damm", "ufer", "chaussee", "steig", "pfad")
_FR_STREET_HINTS = ("rue", "avenue", "av.", "boulevard", "bd", "place", "all\u00e9e", "impasse",
                    "chemin", "quai", "route", "cours", "passage", "square", "faubourg",
                    "r\u00e9sidence")
_ES_IT_STREET_HINTS = ("calle", "c/", "avenida", "avda.", "paseo", "camino", "carrer", "rua",
                       "via", "piazza", "corso", "vicolo")
# "Alexanderplatz 5 minutes", "Marktplatz 3 km": a distance or count, not a house number
_NOT_A_QUANTITY = (r"(?![ \t]*(?:minutes?|mins?|hours?|hrs?|km|m|meters?|metres?|miles?|people"
                   r"|persons?|times?|euros?|eur|stars?|days?|weeks?|%|\u20ac)\b)")
_EU_WORD = r"[A-Z\u00c0-\u00dd][\w.'\u2019-]*"
_EU_PARTICLE = (r"(?:de|den|der|dem|des|di|da|du|la|le|les|del|della|von|van|am|an|im|zum|zur"
                r"|auf|bei|sur|sous)")
ADDRESS_PATTERNS = (
    # "Unter den Linden 77, 10117 Berlin", "Piazza del Duomo 1, 50122 Firenze": any street
    # name and house number followed by a five-digit postcode and a town
    GroupPattern("street, postcode and town", re.compile(
        rf"(?<![\w-])(?P<v>{_EU_WORD}(?:[ \t]+(?:{_EU_WORD}|{_EU_PARTICLE})){{0,4}}[ \t]+\d{{1,4}}"
        rf"[a-zA-Z]?,?[ \t]+(?:[A-Z]-)?\d{{5}}[ \t]+{_EU_WORD}(?:[ \t]+{_EU_WORD})?)"), 0.65,
        anchor=re.compile(r"(?<!\d)\d{1,4}[a-zA-Z]?,?[ \t]+(?:[A-Z]-)?\d{5}[ \t]"), reach=200),
    # "1600 Pennsylvania Avenue", "221B Baker Street, London NW1 6XE"
    GroupPattern("us/uk street address", re.compile(
        rf"\b(?P<v>\d{{1,6}}[A-Za-z]?[ \t]+(?:[A-Z][a-z]+[ \t]+){{1,4}}"
        rf"(?:{_STREET_SUFFIX}|{_UK_SUFFIX})\b\.?"
        rf"(?:,?[ \t]+(?:Apt|Suite|Ste|Unit|Flat|#)\.?[ \t]*[\w-]+)?"
        rf"(?:,?[ \t]+(?:[A-Z][a-z]+[ \t]+){{1,2}}{_UK_POSTCODE}\b)?)"), 0.7),
    # "Hauptstraße 12, 10115 Berlin", "Kaiser-Wilhelm-Ring 3a", "Berliner Str. 5"
    GroupPattern("german street address", re.compile(
        rf"(?<![\w-])(?P<v>(?:[{_DE_UPPER}][{_DE_LOWER}]+(?:-[{_DE_UPPER}][{_DE_LOWER}]+)*-?"
        rf"(?:stra\u00dfe|strasse|str\.|weg|gasse|platz|allee|damm|ufer|chaussee|steig|pfad)"
        rf"|(?:[{_DE_UPPER}][{_DE_LOWER}]+[ \t-]){{1,3}}"
        rf"(?:Stra\u00dfe|Strasse|Str\.|Weg|Gasse|Platz|Allee|Ring|Damm|Ufer|Chaussee))"
        rf"[ \t]+\d{{1,4}}[a-zA-Z]?(?:[ \t]*[-/][ \t]*\d{{1,4}}[a-z]?)?(?!\d){_NOT_A_QUANTITY}"
        rf"(?:,?[ \t]+(?:D-)?\d{{5}}[ \t]+[{_DE_UPPER}][\w.-]*"
        rf"(?:[ \t]+(?:(?:am|an|im|in|bei|ob|vor)[ \t]+)?[{_DE_UPPER}][\w.-]*)?)?)"), 0.7,
        hints=_DE_STREET_HINTS),
    # "12 rue de la Paix, 75002 Paris", "5 bis avenue des Champs-Élysées"
    GroupPattern("french street address", re.compile(
        rf"(?<![\w-])(?P<v>\d{{1,4}}(?:[ \t]?(?:bis|ter|[A-D]))?,?[ \t]+"
        rf"(?:[Rr]ue|[Aa]venue|[Aa]v\.|[Bb]oulevard|[Bb]d|[Pp]lace|[Aa]ll\u00e9e|[Ii]mpasse|[Cc]hemin"
        rf"|[Qq]uai|[Rr]oute|[Cc]ours|[Pp]assage|[Ss]quare|[Ff]aubourg|[Rr]\u00e9sidence)[ \t]+"
        rf"{_FR_PARTICLE}*{_FR_WORD}(?:[ \t]+{_FR_PARTICLE}*{_FR_WORD}){{0,4}}"
        rf"(?:,?[ \t]+\d{{5}}[ \t]+{_FR_WORD}(?:[ \t-]{_FR_WORD})*)?)"), 0.7,
        hints=_FR_STREET_HINTS),
    # "Calle Mayor 5, 28013 Madrid", "Via Roma 10, 00184 Roma", "Carrer de Balmes 12"
    GroupPattern("spanish/italian street address", re.compile(
        r"(?<![\w-])(?P<v>(?:Calle|C/|Avenida|Avda\.|Paseo|Camino|Carrer|Rua|Via|Viale"
        r"|Piazza|Corso|Vicolo)[ \t]+(?:(?:de|del|de[ \t]+la|dei|della|delle|degli|di|da|do|dos|das"
        r"|la|el|los|las)[ \t]+)*[A-Z\u00c0-\u00dd][\w'\u2019-]*"
        r"(?:[ \t]+(?:(?:de|del|la|dei|della|di)[ \t]+)*[A-Z\u00c0-\u00dd][\w'\u2019-]*){0,3}"
        r",?[ \t]+"
        r"(?:n[\u00ba\u00b0o]\.?[ \t]*)?\d{1,4}"
        r"[A-Za-z]?(?!\w)(?:,?[ \t]+\d{5}[ \t]+[A-Z\u00c0-\u00dd][\w'\u2019-]*)?)"), 0.65,
        hints=_ES_IT_STREET_HINTS),
)

# --- health data: diagnoses and medications ---------------------------------------------------
# A lexicon term counts only after a context that makes it somebody's ("diagnosed with",
# "prescribed", "my", a "Diagnosis:" label) or, for a prescription drug, with a dose
# ("metformin 500 mg"). Alone it is a topic ("Diabetes Awareness Month", a shop's category).

DIAGNOSES = frozenset("""
diabetes|type 1 diabetes|type 2 diabetes|prediabetes|gestational diabetes|hiv|hiv/aids|hepatitis
|hepatitis a|hepatitis b|hepatitis c|cancer|breast cancer|prostate cancer|lung cancer
|colon cancer|colorectal cancer|skin cancer|ovarian cancer|cervical cancer|pancreatic cancer
|thyroid cancer|leukemia|leukaemia|lymphoma|melanoma|tumor|tumour|brain tumor|depression
|clinical depression|major depressive disorder|postpartum depression|bipolar disorder|bipolar
|schizophrenia|anxiety|anxiety disorder|generalized anxiety disorder|panic disorder
|panic attacks|social anxiety|ptsd|post-traumatic stress disorder|ocd
|obsessive-compulsive disorder|adhd|autism|autism spectrum disorder|asperger's|dementia
|alzheimer's|alzheimer's disease|alzheimers|parkinson's|parkinson's disease|epilepsy
|seizures|multiple sclerosis|amyotrophic lateral sclerosis|huntington's disease|asthma|copd
|emphysema|hypertension
|high blood pressure|high cholesterol|heart disease|heart failure|atrial fibrillation|afib
|coronary artery disease|angina|stroke|crohn's|crohn's disease|ulcerative colitis|colitis
|celiac disease|coeliac disease|ibs|irritable bowel syndrome|lupus|rheumatoid arthritis
|arthritis|osteoarthritis|osteoporosis|fibromyalgia|chronic fatigue syndrome|migraine
|migraines|endometriosis|pcos|polycystic ovary syndrome|infertility|hypothyroidism
|hyperthyroidism|hashimoto's|graves' disease|anemia|anaemia|sickle cell disease
|sickle cell anemia|hemophilia|cystic fibrosis|tuberculosis|covid-19|covid|long covid
|chlamydia|gonorrhea|gonorrhoea|syphilis|herpes|genital herpes|hpv|an std|an sti|anorexia
|anorexia nervosa|bulimia|an eating disorder|binge eating disorder|insomnia|sleep apnea
|narcolepsy|obesity|alcoholism|alcohol use disorder|opioid use disorder|opioid addiction
|addiction|substance use disorder|kidney disease|chronic kidney disease|kidney failure
|cirrhosis|fatty liver disease|psoriasis|eczema|glaucoma|cataracts|macular degeneration
|tinnitus|hearing loss|concussion|pneumonia|bronchitis|shingles|mononucleosis|gout
|scoliosis|erectile dysfunction|borderline personality disorder|personality disorder
|tourette syndrome|down syndrome|cerebral palsy|spina bifida|glioblastoma|sarcoma
|myeloma|hodgkin's lymphoma|diabète|krebs|depressionen|diabetes mellitus
""".replace("\n", "").split("|"))

MEDICATIONS = frozenset("""
metformin|insulin|insulin glargine|lantus|humalog|novolog|lisinopril|atorvastatin|simvastatin
|rosuvastatin|pravastatin|amlodipine|metoprolol|atenolol|propranolol|losartan|valsartan
|hydrochlorothiazide|furosemide|warfarin|apixaban|rivaroxaban|clopidogrel|levothyroxine
|omeprazole|pantoprazole|esomeprazole|sertraline|fluoxetine|escitalopram|citalopram|paroxetine
|bupropion|venlafaxine|desvenlafaxine|duloxetine|mirtazapine|trazodone|amitriptyline
|nortriptyline|lithium|quetiapine|olanzapine|risperidone|aripiprazole|haloperidol|clozapine
|lamotrigine|levetiracetam|valproate|valproic acid|divalproex|carbamazepine|oxcarbazepine
|topiramate|gabapentin|pregabalin|alprazolam|lorazepam|diazepam|clonazepam|buspirone
|zolpidem|eszopiclone|methylphenidate|adderall|ritalin|concerta|vyvanse|lisdexamfetamine
|dextroamphetamine|atomoxetine|strattera|oxycodone|hydrocodone|morphine|fentanyl|tramadol
|codeine|buprenorphine|suboxone|methadone|naltrexone|naloxone|prednisone|prednisolone
|methotrexate|hydroxychloroquine|adalimumab|humira|infliximab|etanercept|enbrel|tamoxifen
|letrozole|anastrozole|chemotherapy|radiation therapy|dialysis|truvada|descovy|biktarvy
|antiretrovirals|antiretroviral therapy|semaglutide|ozempic|wegovy|liraglutide|saxenda
|victoza|tirzepatide|mounjaro|zepbound|jardiance|farxiga|januvia|albuterol|salbutamol
|ventolin|fluticasone|advair|symbicort|montelukast|singulair|sildenafil|viagra|tadalafil
|cialis|finasteride|isotretinoin|accutane|spironolactone|estradiol|testosterone
|progesterone|hormone therapy|hormone replacement therapy|antidepressants|antipsychotics
|xanax|zoloft|prozac|lexapro|celexa|paxil|wellbutrin|effexor|cymbalta|seroquel|abilify
|zyprexa|risperdal|lipitor|crestor|zocor|synthroid|lasix|eliquis|xarelto|plavix|coumadin
|valium|ativan|klonopin|ambien|oxycontin|percocet|vicodin|neurontin|lyrica|lamictal|keppra
|depakote|tegretol|topamax|imitrex|sumatriptan|botox injections|epipen|dupixent|stelara
|keytruda|herceptin|rituximab
""".replace("\n", "").split("|"))


def _lexicon_regex(terms: frozenset[str]) -> str:
    words = sorted(terms, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"[ \t]+").replace("'", "['\u2019]?")
                    for w in words)


_HEALTH_QUALIFIER = (r"(?:(?:early[- ]stage|late[- ]stage|stage[ \t]+(?:[0-4]|I{1,3}|IV)[abc]?"
                     r"|severe|mild|moderate|chronic|acute|advanced|metastatic|recurrent"
                     r"|clinical|generalized|generalised|juvenile|type[ \t]+[12])[ \t]+)*")
_LEXICON = _lexicon_regex(DIAGNOSES | MEDICATIONS)
# After an explicit context, a word shaped like a condition counts too ("Ehlers-Danlos
# syndrome", "tendinitis").
_HEALTH_TERM = (rf"{_HEALTH_QUALIFIER}(?:{_LEXICON}"
                r"|[a-z]{3,}(?:itis|osis|emia|aemia|oma|pathy|plegia)"
                r"|(?:[A-Z][\w'\u2019-]+[ \t]+){1,2}(?:disease|syndrome|disorder))")
_DOSE = r"\d+(?:[.,]\d+)?[ \t]?(?:mg|mcg|\u00b5g|ug|ml|mL|iu|IU|units?)\b"
# Who has it: "diagnosed with", "treated for", "I take", and the labels of a patient portal.
_HEALTH_CONTEXT = (
    r"diagnosed[ \t]+with|diagnosis[ \t]+(?:of|is|was)|suffer(?:s|ed|ing)?[ \t]+from"
    r"|(?:being[ \t]+)?treated[ \t]+for|treatment[ \t]+(?:for|of)|tested[ \t]+positive[ \t]+for"
    r"|(?:i|he|she|they|we|you)[ \t]+(?:have|has|had|got|take|takes|took|need|needs|use|uses"
    r"|(?:am|is|are|was|were)[ \t]+(?:on|taking|living[ \t]+with)"
    r"|(?:have|has)[ \t]+been[ \t]+(?:diagnosed[ \t]+with|on|taking))"
    r"|i'?ve[ \t]+got|i'?m[ \t]+(?:on|taking|living[ \t]+with)|prescribed"
    r"|prescription[ \t]+(?:for|of)"
    r"|refill(?:[ \t]+(?:of|for))?"
    r"|(?:diagnosis|diagnose|diagnostic|diagn\u00f3stico|condition|conditions|medication"
    r"|medications|prescription|prescriptions|rx|allergies|medical[ \t]+history"
    r"|current[ \t]+medications?|reason[ \t]+for[ \t]+visit|treatment|therapy)[ \t]*:")
# "my insulin", "her chemotherapy", "my son's asthma": the lexicon only, minus words that
# mean something else after a possessive ("my stroke", "my prep", "my anxiety about …").
_POSSESSIVE = (r"(?:my|his|her|their|our|patient'?s?"
               r"|(?:my|his|her|their|our)[ \t]+(?:son|daughter|wife|husband|mother|father|mom"
               r"|dad|partner|child|baby|kid|brother|sister)'?s)")
_AMBIGUOUS_AFTER_POSSESSIVE = frozenset({
    "anxiety", "stroke", "addiction", "cancer", "depression", "covid",
    "testosterone", "therapy", "tumor", "tumour", "hearing loss", "seizures", "gout"})
_FILLER = r"(?:(?:an?|the|some|daily|weekly|low-dose|high-dose|new|usual|[a-z]{2,10})[ \t]+){0,2}?"
_CONNECT = rf"(?:{_NEXT_LINE}|{_SAME_LINE_VALUE}|[ \t]+|(?<=:))"
_LETTERS = re.compile(r"[^\W\d_]+")
# The longest word of each lexicon term: a text without any of them (nor a word shaped like a
# condition) cannot match the health patterns, and most pages hold none.
_HEALTH_WORDS = frozenset(max(_LETTERS.findall(term), key=len)
                          for term in DIAGNOSES | MEDICATIONS)
_CONDITION_SHAPE = ("itis", "osis", "emia", "oma", "pathy", "plegia", "disease", "syndrome",
                    "disorder")
_health_seen: list[object] = [None, False]


def _may_mention_health(text: str) -> bool:
    if text is _health_seen[0]:
        return bool(_health_seen[1])
    found = False
    for word in set(_LETTERS.findall(text.lower())):
        if word in _HEALTH_WORDS or word[:-1] in _HEALTH_WORDS or word.endswith(_CONDITION_SHAPE):
            found = True
            break
    _health_seen[:] = [text, found]
    return found


MEDICAL_PATTERNS = (
    GroupPattern("health term after context", re.compile(
        rf"(?i)\b(?:{_HEALTH_CONTEXT}){_CONNECT}{_FILLER}"
        rf"(?P<v>{_HEALTH_TERM}(?:[ \t]+{_DOSE})?)(?![\w-])"), 0.7,
        lambda text, match: match.group("v").lower() not in _NOT_A_CONDITION,
        gate=_may_mention_health),
    GroupPattern("health term under its label", re.compile(
        rf"(?i)\b(?:diagnosis|diagnoses|diagnose|condition|conditions|medication|medications"
        rf"|prescription|prescriptions|allergies|medical[ \t]+history|current[ \t]+medications?)"
        rf"(?:{_NEXT_LINE}|{_SAME_LINE_VALUE})(?P<v>{_HEALTH_TERM}(?:[ \t]+{_DOSE})?)(?![\w-])"),
        0.7, lambda text, match: match.group("v").lower() not in _NOT_A_CONDITION,
        gate=_may_mention_health),
    GroupPattern("health term after possessive", re.compile(
        rf"(?i)\b{_POSSESSIVE}[ \t]+(?:(?:daily|weekly|new|usual)[ \t]+)?"
        rf"(?P<v>{_HEALTH_QUALIFIER}(?:{_LEXICON})(?:[ \t]+{_DOSE})?)(?![\w-])"), 0.65,
        lambda text, match: match.group("v").lower() not in _AMBIGUOUS_AFTER_POSSESSIVE,
        gate=_may_mention_health),
    FinderPattern("medication with a dose", lambda text: _dosed_medications(text), 0.75,
                  gate=_may_mention_health),
)
# Shape matches that are no condition.
_NOT_A_CONDITION = frozenset({
    "home", "chroma", "aroma", "diploma", "coma", "stoma", "thesis", "basis", "oasis",
    "genesis", "synthesis", "hypothesis", "analysis", "empathy", "sympathy", "apathy",
    "telepathy", "antipathy", "diagnosis", "prognosis", "osmosis", "symbiosis", "oklahoma",
    "tacoma", "sonoma", "idioma", "stigma"})
# The dose first (rare in text), then the one or two words before it against the lexicon: a
# 300-word alternation tried at every word would cost milliseconds per page.
_DOSED = re.compile(rf"(?i)(?<![\w-])(?:(?P<w1>[a-z][\w-]{{1,24}})[ \t]+)?"
                    rf"(?P<w2>[a-z][\w-]{{2,24}})[ \t]+{_DOSE}")


def _dosed_medications(text: str) -> Iterator[tuple[int, int]]:
    for match in _DOSED.finditer(text):
        if match.group("w1") and f"{match.group('w1')} {match.group('w2')}".lower() in MEDICATIONS:
            yield match.start("w1"), match.end()
        elif match.group("w2").lower() in MEDICATIONS:
            yield match.start("w2"), match.end()

# --- person names the English NER cannot read, and names in name fields ----------------------

_NAME_CONTEXT_BEFORE = re.compile(
    r"(?i)(?:\b(?:name|named|called|contact|dear|hi|hello|from|to|cc|for|with|ask|tell|call"
    r"|email|mail|message|invite|meet|pay|send|recipient|customer|patient|user|sender|author"
    r"|signed|regards|mr|mrs|ms|dr)\b"
    r"|имя|фио|уважаема?я?|уважаемый|господин|госпожа|от|для"
    r"|姓名|名字|联系人|收件人|收货人|寄件人|我叫|致|亲爱的"
    r"|الاسم|اسم|السيدة?|عزيزي?|إلى|من)"
    r"[ \t:：,，'\"]*$")


def _name_context(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return _NAME_CONTEXT_BEFORE.search(text, max(line_start, start - 24), start) is not None


# Cyrillic: two or three capitalised words, one of them shaped like a Slavic surname or
# patronymic, or a common first name, or a name context before them.
_CYR_WORD = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
_CYRILLIC_NAME = re.compile(rf"(?<![\w-])(?:{_CYR_WORD})(?:[ \t]+{_CYR_WORD}){{1,2}}(?![\w-])")
_PATRONYMIC = re.compile(r"(?:ович|евич|ич|овна|евна|ична|инична)$")
_SLAVIC_SURNAME = re.compile(
    r"(?:ов|ова|ев|ева|ёв|ёва|ин|ина|ын|ына|ский|цкий|ская|цкая|енко|ук|юк|ян|дзе|швили|ич|ых|их)$")
CYRILLIC_FIRST_NAMES = frozenset("""
Александр Алексей Анатолий Андрей Антон Аркадий Артём Артем Борис Вадим Валентин Валерий
Василий Виктор Виталий Владимир Владислав Вячеслав Геннадий Георгий Григорий Даниил Денис
Дмитрий Евгений Егор Иван Игорь Илья Кирилл Константин Леонид Максим Михаил Никита Николай
Олег Павел Пётр Петр Роман Руслан Сергей Станислав Степан Тимур Фёдор Федор Юрий Ярослав
Тарас Богдан Анастасия Анна Алина Алла Валентина Валерия Вера Виктория Галина Дарья Евгения
Екатерина Елена Елизавета Жанна Зоя Ирина Карина Ксения Лариса Лидия Любовь Людмила Маргарита
Марина Мария Надежда Наталья Наталия Нина Оксана Ольга Полина Раиса Светлана София Софья
Тамара Татьяна Юлия Яна Олена Ганна
""".split())


def _cyrillic_names(text: str) -> Iterator[tuple[int, int]]:
    for match in _CYRILLIC_NAME.finditer(text):
        words = match.group().split()
        if (any(_PATRONYMIC.search(w) for w in words[1:])
                or words[0] in CYRILLIC_FIRST_NAMES or words[-1] in CYRILLIC_FIRST_NAMES
                or _name_context(text, match.start())
                and any(_SLAVIC_SURNAME.search(w) for w in words)):
            yield match.span()


# Chinese: 2-4 Han characters starting with a common surname, standing alone among other
# scripts ("Send it to 王小明") or after a name context (姓名：王小明, "联系人 李娜"), or before
# an honorific (王先生). Within running Chinese text a surname character is too common.
CHINESE_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
    "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古"
    "吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫"
    "寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝")
CHINESE_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容",
                             "长孙", "宇文", "司徒", "夏侯", "令狐")
_HAN = r"\u4e00-\u9fff"
_HONORIFIC_AFTER = re.compile(r"先生|女士|小姐|老师|同学|经理|医生")


_NAME_LABELS_ZH = ("姓名", "名字", "联系人", "收件人", "收货人", "寄件人", "我叫", "患者")


def _surname_at(name: str) -> bool:
    return name[:2] in CHINESE_COMPOUND_SURNAMES or name[:1] in CHINESE_SURNAMES


def _chinese_in_run(run: str) -> tuple[int, int] | None:
    """A name inside a longer Han run: after a glued label (姓名王小明) or before an
    honorific (请联系李娜女士, 王先生)."""
    for label in _NAME_LABELS_ZH:
        at = run.find(label)
        if at != -1:
            rest = run[at + len(label):]
            size = len(rest) if len(rest) <= 3 else 3
            if size >= 2 and _surname_at(rest):
                return at + len(label), at + len(label) + size
    honorific = _HONORIFIC_AFTER.search(run)
    if honorific:
        h = honorific.start()
        for size in (2, 3, 1):  # 李娜女士, 欧阳娜娜女士, 王先生
            if h >= size and _surname_at(run[h - size:h]):
                return h - size, h
    return None


def _chinese_names(text: str) -> Iterator[tuple[int, int]]:
    if _HAN_CHAR.search(text) is None:
        return
    for match in _HAN_RUN_ANY.finditer(text):
        run, base = match.group(), match.start()
        inner = _chinese_in_run(run)
        if inner is not None:
            yield base + inner[0], base + inner[1]
            continue
        if len(run) > 4 or not _surname_at(run):
            continue
        if _name_context(text, match.start()):
            yield match.span()
            continue
        # among words of another script ("Send the report to 王小明 by Friday"): within
        # running Chinese text a surname character starts too many words (高级, 周末, 金额)
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        line = text[line_start:line_end if line_end != -1 else len(text)]
        content = _LINE_MARKUP.sub("", line, count=1)
        if _HAN_CHAR.search(content.replace(run, "", 1)) is None \
                and _LATIN_WORD.search(content) is not None:
            yield match.span()


_HAN_CHAR = re.compile(f"[{_HAN}]")
_HAN_RUN_ANY = re.compile(f"[{_HAN}]{{2,}}")
_LINE_MARKUP = re.compile(r"^[ \t]*\[[^\]\n]+\][ \t]+\S+")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


# Arabic: two to four words, the first a common given name or an "Abd al-" / "Abu" form, or
# any two words after a name context.
ARABIC_FIRST_NAMES = frozenset("""
محمد أحمد احمد محمود مصطفى علي عمر عمرو عثمان خالد يوسف إبراهيم ابراهيم إسماعيل اسماعيل حسن
حسين حمزة طارق سعيد سعد سامي سمير كريم ماجد مازن نبيل وليد ياسر يحيى زياد فيصل فهد سلمان
سلطان ناصر منصور عادل عماد هشام جمال رامي باسم بلال أنس انس آدم ادم إياد رشيد صالح عيسى موسى
هاني حازم جعفر فاطمة عائشة مريم خديجة زينب سارة ساره نور ليلى هدى منى سلمى رنا ريم رانيا دينا
ياسمين أمل امل إيمان ايمان هند سعاد نادية ناديه لينا جميلة حنان سميرة وفاء رحاب آمنة امنة
""".split())
_AR_WORD = r"[\u0621-\u064a\u0671-\u06d3]{2,}"
_ARABIC_NAME = re.compile(rf"(?<![\u0600-\u06ff])(?:{_AR_WORD})(?:[ \t]+{_AR_WORD}){{1,3}}"
                          rf"(?![\u0600-\u06ff])")


def _arabic_names(text: str) -> Iterator[tuple[int, int]]:
    for match in _ARABIC_NAME.finditer(text):
        words = match.group().split()
        if (words[0] in ARABIC_FIRST_NAMES or words[0].startswith(("عبد", "أبو", "ابو"))
                or _name_context(text, match.start())):
            yield match.span()


# Name fields: "[7] textbox 'Full name' value='Maria Garcia'" (the DOM finds it only by its
# autocomplete token). The value must look like a name: 1-4 words of letters.
_NAME_FIELD = re.compile(
    r"(?im)^[ \t]*\[[^\]\n]+\][ \t]+(?:textbox|combobox|searchbox|StaticText)[ \t]+'(?:(?P<named>"
    r"(?:(?:your|full|first|last|given|family|middle|legal|contact|customer|recipient|account"
    r"|billing|shipping|patient|passenger|guest|traveller|traveler|sender)[ \t]+)?(?:name|names"
    r"|holder|card[ \t]*holder(?:[ \t]+name)?|name[ \t]+on[ \t]+card|surname|first[ \t]+name"
    r"|vorname|nachname|nom|pr\u00e9nom|nombre|apellidos?|nome|cognome))"
    r"|to|cc|bcc|from|assignee|assigned[ \t]+to|owner|attendees?|guests?|contact|recipient"
    r"|sender|reviewer|approver|patient|passenger|driver|attention|attn)\b[^'\n]{0,20}'[^\n]*?"
    r"[ \t](?:value|placeholder)='(?P<v>[^'\n]{2,60})'")
# Generic labels ("To", "Assignee") hold a name only when it is written like one.
_NAME_PART = r"(?:[A-Z\u00c0-\u00dd][^\W\d_]*\.?|van|von|de|da|del|der|di|le|la|al|bin|ibn)"
_NAME_CASE = re.compile(rf"^{_NAME_PART}(?:[ \t'-]+{_NAME_PART})+$")
_NAME_VALUE = re.compile(
    r"^(?!e\.?g\.?\b|z\.?b\.?\b|ex\b)[^\W\d_][^\W\d_'.-]*(?:[.'-]?[ \t]*[^\W\d_]+\.?){0,5}$")
_NOT_A_NAME_VALUE = frozenset({"name", "full name", "your name", "first name", "last name",
                               "first and last name", "enter your name", "required", "optional",
                               "john doe", "jane doe", "max mustermann", "erika mustermann"})


def _name_field_values(text: str) -> Iterator[tuple[int, int]]:
    if "value='" not in text and "placeholder='" not in text:
        return
    for match in _NAME_FIELD.finditer(text):
        value = match.group("v").strip()
        if value.lower() in _NOT_A_NAME_VALUE or not _NAME_VALUE.match(value) \
                or len(value.split()) > 4:
            continue
        if not match.group("named") and not _NAME_CASE.match(value):
            continue
        yield match.span("v")


PERSON_PATTERNS = (
    FinderPattern("cyrillic name", _cyrillic_names, 0.7),
    FinderPattern("chinese name", _chinese_names, 0.65),
    FinderPattern("arabic name", _arabic_names, 0.65),
    FinderPattern("name field value", _name_field_values, 0.75),
)

# --- percent-encoding inside text -------------------------------------------------------------

_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def percent_decoded(text: str) -> tuple[str, list[int]] | None:
    """`text` with its percent-encoded runs decoded (`jane%40example.com` -> `jane@…`), and
    for each decoded character (and the end) its offset in `text`; None when nothing is
    encoded. A run that is not UTF-8 is left as it is."""
    if "%" not in text:
        return None
    parts: list[str] = []
    offsets: list[int] = []
    pos = 0
    changed = False
    for match in _PERCENT_RUN.finditer(text):
        try:
            decoded = unquote_to_bytes(match.group()).decode("utf-8")
        except UnicodeDecodeError:
            continue
        if "\n" in decoded:
            continue
        parts.append(text[pos:match.start()])
        offsets.extend(range(pos, match.start()))
        # each decoded character maps to the start of its encoded bytes
        byte_pos = 0
        for char in decoded:
            offsets.append(match.start() + byte_pos * 3)
            byte_pos += len(char.encode("utf-8"))
        parts.append(decoded)
        pos = match.end()
        changed = True
    if not changed:
        return None
    parts.append(text[pos:])
    offsets.extend(range(pos, len(text) + 1))
    return "".join(parts), offsets
