"""Secrets in an episode: the placeholder syntax, where a value may go, and masking.

Models only ever see `{{secret:NAME}}`. The executor asks `Secrets.substitute` for the value at
the moment it types, and `Secrets.guard` decides before that whether this action may use it.
A secret is bound to where it belongs:
- its sites (origins: scheme, host and port): it is typed only on a page of one of them; a
  secret with no site may be typed only where the task itself names it;
- its kind: a password goes only into a password field, a card value only into a payment field
  (type=password, the autocomplete token or the field's label says which, core.privacy.dom).
So neither a page nor a model can have a secret typed into a search box, a message body or a
field of another origin (prompt injection). `mask` blanks the values, in every encoding a page
or a URL can produce, out of every text that is stored, shown, logged or sent.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote, quote_plus, urlparse

from core.actions import Action, Type
from core.browser.views import Observation
from core.errors import SecretMissing
from core.privacy.dom import field_kinds

log = logging.getLogger(__name__)

SECRET_PLACEHOLDER = re.compile(r"\{\{secret:([A-Za-z0-9_.-]+)\}\}")
MASK = "<secret>"
# Values shorter than this are left alone by the masker: masking them would mangle text.
MIN_MASKED = 3
# A case- and space-folded match needs a longer value: short ones occur in ordinary text.
MIN_FOLDED = 6


def placeholder(name: str) -> str:
    return "{{secret:" + name + "}}"


def origin_of(url: str) -> str:
    """scheme://host:port of a URL, lower-cased; '' for one without a host."""
    parsed = urlparse(url)
    if not parsed.hostname:
        return ""
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme, 0)
    return f"{parsed.scheme}://{parsed.hostname}:{port}".lower()


def _misplaced(secret: Secret, named_by_task: bool, here: str, field: set[str]) -> str:
    if secret.sites and here not in {origin_of(s) for s in secret.sites}:
        return f"it belongs to {', '.join(secret.sites)}, not {here or 'this page'}"
    if not secret.sites and not named_by_task:
        return "it has no site and the task does not name it"
    allowed = FIELDS_FOR.get(secret.kind)
    if allowed is not None and not allowed & field:
        return f"the field is not a {secret.kind} field"
    return ""


def encodings(value: str) -> set[str]:
    """The forms a value takes on its way through a page: as typed, percent- and
    form-encoded (a GET form's URL), HTML-escaped, JSON-escaped."""
    forms = {value, quote(value, safe=""), quote_plus(value), quote(value),
             html.escape(value, quote=True), json.dumps(value)[1:-1],
             "".join(f"&#{ord(c)};" for c in value)}
    return {f for f in forms if f}


def fold(text: str) -> str:
    """Only letters and digits, case folded: what survives a page that spaces, dots or
    upper-cases a value ("J E N N I F E R . A L V A R E Z")."""
    return "".join(c for c in text.casefold() if c.isalnum())


def folded_in(values: Iterable[str], text: str) -> bool:
    """Whether any value (long enough to be telling) occurs in `text` once both are folded."""
    folded = fold(text)
    return any(len(fold(v)) >= MIN_FOLDED and fold(v) in folded for v in values)


SecretKind = Literal["password", "card", "otp", "other"]
KINDS: tuple[SecretKind, ...] = ("password", "card", "otp", "other")
# The field entities (core.privacy.dom) each kind may be typed into; "other" goes into any
# editable field, but only where the task names it.
FIELDS_FOR: dict[str, frozenset[str]] = {
    "password": frozenset({"PASSWORD"}),
    "otp": frozenset({"OTP", "PASSWORD"}),
    "card": frozenset({"CREDIT_CARD", "CARD_CVV", "CARD_EXPIRY"}),
}


@dataclass(frozen=True)
class Secret:
    name: str
    value: str = field(repr=False)
    sites: tuple[str, ...] = ()       # origins, e.g. "https://mail.example.com"
    kind: SecretKind = "password"


SecretSource = Callable[[], Iterable[Secret]]


class Secrets:
    """The secrets one episode may use. `source` is read on each use (a vault may change)."""

    def __init__(self, source: SecretSource | Iterable[Secret] = ()) -> None:
        if callable(source):
            self._source: SecretSource = source
        else:
            fixed = tuple(source)
            self._source = lambda: fixed

    @classmethod
    def from_mapping(cls, values: dict[str, str], sites: tuple[str, ...] = (),
                     kinds: dict[str, SecretKind] | None = None) -> Secrets:
        return cls(Secret(name, value, sites, (kinds or {}).get(name, "password"))
                   for name, value in values.items())

    def plus(self, extra: Iterable[Secret]) -> Secrets:
        """These secrets and `extra` (the ones a task held itself), extra winning a name."""
        added = tuple(extra)
        names = {s.name for s in added}
        return Secrets(lambda: [s for s in self.items() if s.name not in names] + list(added))

    def items(self) -> list[Secret]:
        return list(self._source())

    def names(self) -> list[str]:
        return [s.name for s in self.items()]

    def values(self) -> list[str]:
        return [s.value for s in self.items() if s.value]

    def __bool__(self) -> bool:
        return bool(self.items())

    # --- use ------------------------------------------------------------------------------

    def substitute(self, text: str) -> str:
        """`text` with each placeholder replaced by its value: the only place a secret's value
        meets the page. The result is never returned to a caller that logs."""
        if "{{secret:" not in text:
            return text
        by_name = {s.name: s.value for s in self.items()}

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in by_name:
                raise SecretMissing(f"no secret named {name!r} for this task (add it with "
                                    "`symbiote secrets set` or in the app's Settings)")
            return by_name[name]

        return SECRET_PLACEHOLDER.sub(value, text)

    def guard(self, action: Action, intent: str, observation: Observation) -> str:
        """Why `action` may not use the secrets it names ('' when it may)."""
        if not isinstance(action, Type):
            return ""
        names = SECRET_PLACEHOLDER.findall(action.text)
        if not names:
            return ""
        by_name = {s.name: s for s in self.items()}
        element = observation.element(action.id)
        kinds = (field_kinds(element.role, element.name, element.props)
                 if element is not None else set())
        here = origin_of(observation.url)
        for name in names:
            secret = by_name.get(name)
            why = ("no such secret" if secret is None
                   else _misplaced(secret, placeholder(name) in intent, here, kinds))
            if why:
                log.warning("refused to type secret %r into [%s]: %s", name, action.id, why)
                return f"refused to type secret {name!r} into [{action.id}]: {why}"
        return ""

    # --- hiding ---------------------------------------------------------------------------

    def _forms(self) -> list[tuple[str, str]]:
        """(form, name) for every encoding of every value a page or URL can produce, longest
        first so a longer form is masked before a shorter one inside it."""
        forms = {(form, s.name) for s in self.items() if len(s.value) >= MIN_MASKED
                 for form in encodings(s.value)}
        return sorted(forms, key=lambda f: -len(f[0]))

    def mask(self, text: str) -> str:
        """Blank out secret values wherever a text echoes them (a typed field, a URL's query,
        a payload), in every encoding `encodings` knows."""
        if not text:
            return text
        for form, _ in self._forms():
            if form in text:
                text = text.replace(form, MASK)
        if folded_in([form for form, _ in self._forms()], text):
            # Only a case- or space-changed echo is left ("P L U M - K I T E"): hide it all.
            return MASK
        return text

    def find_in(self, text: str) -> list[str]:
        """Names of the secrets whose value occurs in `text` in any encoding."""
        if not text:
            return []
        return sorted({name for form, name in self._forms()
                       if form in text or folded_in([form], text)})


NO_SECRETS = Secrets()


class LogMask(logging.Filter):
    """Masks the secrets of the episodes this process runs out of every log record. Front
    ends put it on their log handlers (`install_log_mask`); the loop registers each episode's
    secrets (`watch`) once it knows them, the task's own included."""

    RECENT = 16

    def __init__(self) -> None:
        super().__init__()
        self._watched: list[Secrets] = []

    def watch(self, secrets: Secrets) -> None:
        if secrets is not NO_SECRETS:
            self._watched = [*self._watched[-(self.RECENT - 1):], secrets]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._watched:
            return True
        message = record.getMessage()
        masked = message
        for secrets in self._watched:
            masked = secrets.mask(masked)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


LOG_MASK = LogMask()


def install_log_mask(logger: logging.Logger | None = None) -> None:
    """Put the mask on every handler of `logger` (default: the root logger)."""
    for handler in (logger or logging.getLogger()).handlers:
        if LOG_MASK not in handler.filters:
            handler.addFilter(LOG_MASK)
