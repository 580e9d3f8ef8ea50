"""Secrets in an episode: the placeholder syntax, where a value may go, and masking.

Models only ever see `{{secret:NAME}}`. The executor asks `Secrets.substitute` for the value at
the moment it types, and `Secrets.guard` decides before that whether this action may use it:
a secret goes only where the user said, or into a field made for it, so a page that talks the
model into typing `{{secret:…}}` into a message body (prompt injection) is refused. `mask`
blanks the values out of every text that is stored, shown or sent.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

from core.actions import Action, Type
from core.browser.views import Observation
from core.errors import SecretMissing
from core.privacy.dom import SECRET_FIELD_KINDS, autocomplete_kind

log = logging.getLogger(__name__)

SECRET_PLACEHOLDER = re.compile(r"\{\{secret:([A-Za-z0-9_.-]+)\}\}")
MASK = "<secret>"
# Values shorter than this are left alone by the masker: masking them would mangle text.
MIN_MASKED = 3
# A case- and space-folded match needs a longer value: short ones occur in ordinary text.
MIN_FOLDED = 6


def placeholder(name: str) -> str:
    return "{{secret:" + name + "}}"


def encodings(value: str) -> set[str]:
    """The forms a value takes on its way through a page: as typed, percent- and
    form-encoded (a GET form's URL), HTML-escaped, JSON-escaped."""
    forms = {value, quote(value, safe=""), quote_plus(value), quote(value),
             html.escape(value, quote=True), json.dumps(value)[1:-1],
             "".join(f"&#{ord(c)};" for c in value)}
    return {f for f in forms if f}


def fold(text: str) -> str:
    """Case and whitespace folded away: what survives a page that spaces or upper-cases."""
    return "".join(text.casefold().split())


def folded_in(values: Iterable[str], text: str) -> bool:
    """Whether any value (long enough to be telling) occurs in `text` once both are folded."""
    folded = fold(text)
    return any(len(v) >= MIN_FOLDED and fold(v) in folded for v in values)


@dataclass(frozen=True)
class Secret:
    name: str
    value: str = field(repr=False)


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
    def from_mapping(cls, values: dict[str, str]) -> Secrets:
        return cls(Secret(name, value) for name, value in values.items())

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
        element = observation.element(action.id)
        props = element.props if element else {}
        made_for_secrets = (props.get("type") == "password"
                            or autocomplete_kind(props.get("autocomplete", ""))
                            in SECRET_FIELD_KINDS)
        for name in SECRET_PLACEHOLDER.findall(action.text):
            if placeholder(name) not in intent and not made_for_secrets:
                log.warning("refused to type secret %r into [%s]", name, action.id)
                return (f"refused to type secret {name!r}: the task does not mention it and "
                        f"[{action.id}] is not a password or payment field")
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
