"""Typed data of the browser concern: what a model sees of a page."""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, unquote_plus, urlsplit, urlunsplit

# Props shown in the observation text, in this order. `value` of a password field is never
# the real value: the extractor writes "<hidden>" when it is filled.
SHOWN_PROPS = ("type", "autocomplete", "value", "placeholder", "checked", "selected",
               "expanded", "required", "disabled", "focused")


@dataclass(frozen=True)
class Element:
    id: str
    role: str
    name: str
    depth: int
    props: dict[str, str] = field(default_factory=dict)
    options: tuple[str, ...] = ()

    def line(self) -> str:
        """`[id] role 'name' prop=value …` — the WebArena/AgentOccam line format."""
        head = f"[{self.id}] {self.role}"
        parts = [f"{head} {self.name!r}" if self.name else head]
        for key in SHOWN_PROPS:
            if key in self.props and self.props[key] != "":
                value = self.props[key]
                quoted = key in ("value", "placeholder")
                parts.append(f"{key}={value!r}" if quoted else f"{key}={value}")
        if self.options:
            parts.append("options=" + repr("|".join(self.options)))
        return " ".join(parts)


def readable_url(url: str) -> str:
    """The URL as a person reads it: percent- and form-encoding decoded (`%40` → `@`), so
    what it carries is plain to the reader, the model and the privacy scan alike."""
    parts = urlsplit(url)
    if "%" not in url and "+" not in parts.query:
        return url
    return urlunsplit(parts._replace(path=unquote(parts.path),
                                     query=unquote_plus(parts.query)))


@dataclass(frozen=True)
class Observation:
    """The only thing any model sees of a page (plus the task and history)."""

    url: str
    title: str
    elements: tuple[Element, ...]
    last_error: str = ""

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.elements]

    def element(self, element_id: str) -> Element | None:
        for element in self.elements:
            if element.id == element_id:
                return element
        return None

    @property
    def select_options(self) -> dict[str, list[str]]:
        return {e.id: list(e.options) for e in self.elements if e.options}

    def tree_text(self, max_chars: int | None = None) -> str:
        """Indented element lines; trimmed to `max_chars` at a line boundary with a marker."""
        lines = [" " * e.depth + e.line() for e in self.elements]
        text = "\n".join(lines)
        if max_chars is not None and len(text) > max_chars:
            kept, size = [], 0
            for line in lines:
                if size + len(line) + 1 > max_chars - 40:
                    break
                kept.append(line)
                size += len(line) + 1
            text = "\n".join(kept) + f"\n… ({len(lines) - len(kept)} more elements trimmed)"
        return text

    def state(self) -> str:
        """A short digest of what the page shows (URL and elements, not the last error): two
        observations with the same state are the same page in the same state."""
        page = self.url + "\n" + self.tree_text()
        return hashlib.blake2b(page.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()

    def text(self, max_chars: int | None = None) -> str:
        header = f"URL: {readable_url(self.url)}"
        if self.last_error:
            header += f"\nLAST ACTION ERROR: {self.last_error}"
        return header + "\n" + self.tree_text(max_chars)


_LINE = re.compile(r"^(?P<indent> *)\[(?P<id>\d+)\] (?P<role>\S+)(?: (?P<rest>.*))?$")
_PROP = re.compile(r"(?P<key>[a-z_]+)=(?P<value>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\S+)")


def _take_literal(text: str) -> tuple[str, str]:
    """Split a leading Python string literal (as `repr` writes names) off `text`."""
    if not text or text[0] not in "'\"":
        return "", text
    quote, i = text[0], 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return ast.literal_eval(text[: i + 1]), text[i + 1:].lstrip()
        i += 1
    return text[1:], ""


def parse_observation_text(text: str) -> Observation:
    """The inverse of `Observation.text()`: what a cloud model or a stored step holds is text,
    and the teacher (or a test double of a cloud model) can act on it again."""
    url, error, elements = "", "", []
    for line in text.splitlines():
        if line.startswith("URL: "):
            url = line[5:].strip()
            continue
        if line.startswith("LAST ACTION ERROR: "):
            error = line[len("LAST ACTION ERROR: "):]
            continue
        match = _LINE.match(line)
        if match is None:
            continue
        name, rest = _take_literal(match.group("rest") or "")
        props: dict[str, str] = {}
        options: tuple[str, ...] = ()
        for prop in _PROP.finditer(rest):
            key, value = prop.group("key"), prop.group("value")
            if value[:1] in "'\"":
                value = ast.literal_eval(value)
            if key == "options":
                options = tuple(value.split("|"))
            else:
                props[key] = value
        elements.append(Element(id=match.group("id"), role=match.group("role"), name=name,
                                depth=len(match.group("indent")), props=props, options=options))
    return Observation(url=url, title="", elements=tuple(elements), last_error=error)
