"""The action language: the one definition every other part derives from.

AgentOccam-compatible, one action per step:

    click [id]            type [id] [text] [press_enter]    select [id] [option]
    scroll [up|down]      go_back                           goto [url]
    note [text]           stop [answer]

Each action kind is one frozen dataclass; its `ARGS` and docstring are the single source. The
parser, the text form (`to_text`), the GBNF grammar given to llama.cpp and the prompt's action
list are generated from them (tests/core/test_actions.py), and the executor dispatches on the
class (core.browser.executor), never on a name string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

from core.errors import ActionParseError

ArgKind = Literal["id", "text", "flag", "direction", "url", "option"]


@dataclass(frozen=True)
class ArgSpec:
    field: str           # the dataclass field that holds it
    kind: ArgKind
    optional: bool = False


@dataclass(frozen=True)
class BaseAction:
    """What every action kind shares: its name, its arguments, its text form."""

    NAME: ClassVar[str] = ""
    ARGS: ClassVar[tuple[ArgSpec, ...]] = ()

    @classmethod
    def usage(cls) -> str:
        return " ".join([cls.NAME, *(f"[{a.field}]" for a in cls.ARGS)])

    @classmethod
    def doc(cls) -> str:
        return " ".join((cls.__doc__ or "").split())

    def to_text(self) -> str:
        """The canonical form the parser reads back."""
        parts = [self.NAME]
        for arg in self.ARGS:
            value = getattr(self, arg.field)
            parts.append(f"[{int(value)}]" if arg.kind == "flag" else f"[{value}]")
        return " ".join(parts)

    def normalized(self) -> str:
        """Comparison key when two policies' actions are matched (speculative synthesis)."""
        return " ".join(self.to_text().lower().split())

    def __str__(self) -> str:
        return self.to_text()


@dataclass(frozen=True)
class ElementAction(BaseAction):
    """An action on one element of the observation, named by its id."""

    id: str


@dataclass(frozen=True)
class Click(ElementAction):
    """Click the element with this id."""

    NAME: ClassVar[str] = "click"
    ARGS: ClassVar[tuple[ArgSpec, ...]] = (ArgSpec("id", "id"),)


@dataclass(frozen=True)
class Type(ElementAction):
    """Clear the field with this id and type the text; press_enter 1 presses Enter after."""

    NAME: ClassVar[str] = "type"
    ARGS: ClassVar[tuple[ArgSpec, ...]] = (ArgSpec("id", "id"), ArgSpec("text", "text"),
                                           ArgSpec("press_enter", "flag", True))
    text: str
    press_enter: bool = False


@dataclass(frozen=True)
class Select(ElementAction):
    """Choose the option with this visible text in the drop-down with this id."""

    NAME: ClassVar[str] = "select"
    ARGS: ClassVar[tuple[ArgSpec, ...]] = (ArgSpec("id", "id"), ArgSpec("option", "option"))
    option: str


@dataclass(frozen=True)
class Scroll(BaseAction):
    """Scroll the page up or down."""

    NAME: ClassVar[str] = "scroll"
    ARGS: ClassVar[tuple[ArgSpec, ...]] = (ArgSpec("direction", "direction"),)
    direction: Literal["up", "down"]


@dataclass(frozen=True)
class GoBack(BaseAction):
    """Go back to the previous page."""

    NAME: ClassVar[str] = "go_back"


@dataclass(frozen=True)
class Goto(BaseAction):
    """Open this URL."""

    NAME: ClassVar[str] = "goto"
    ARGS: ClassVar[tuple[ArgSpec, ...]] = (ArgSpec("url", "url"),)
    url: str


@dataclass(frozen=True)
class Note(BaseAction):
    """Write down a fact to remember for later."""

    NAME: ClassVar[str] = "note"
    ARGS: ClassVar[tuple[ArgSpec, ...]] = (ArgSpec("text", "text"),)
    text: str


@dataclass(frozen=True)
class Stop(BaseAction):
    """Finish the task; give the answer if the task asks a question."""

    NAME: ClassVar[str] = "stop"
    ARGS: ClassVar[tuple[ArgSpec, ...]] = (ArgSpec("answer", "text", True),)
    answer: str = ""


Action = Click | Type | Select | Scroll | GoBack | Goto | Note | Stop
ACTIONS: tuple[type[BaseAction], ...] = (Click, Type, Select, Scroll, GoBack, Goto, Note, Stop)
ACTION_BY_NAME: dict[str, type[BaseAction]] = {cls.NAME: cls for cls in ACTIONS}
# The kinds an `[id]` may point at, per action: the grammar offers `type` only the fields a
# user can type into and `select` only drop-downs (core.policies.local).
EDITABLE_ROLES = frozenset({"textbox", "searchbox", "combobox", "spinbutton", "slider"})
# Roles that only structure a page: ARIA gives them no action, and observe.js shows a clickable
# container under its own role (a `clickable`, a link, a button), never as one of these. The
# grammar offers `click` every element but these. (Text is still offered: a list entry drawn as
# text with a script's click handler reads as StaticText; the MiniWoB teacher clicks such.)
STRUCTURE_ROLES = frozenset({"heading", "table", "row", "rowgroup", "columnheader",
                             "rowheader", "separator"})


_BRACKETS = re.compile(r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]")


def _bracket_args(rest: str) -> list[str]:
    """Split `[a] [b c] [d]` into its arguments; allows one level of nested brackets."""
    args: list[str] = []
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        if rest[pos].isspace():
            pos += 1
            continue
        match = _BRACKETS.match(rest, pos)
        if match is None:
            raise ActionParseError(
                f"expected an argument in square brackets at {rest[pos:pos + 20]!r}"
            )
        args.append(match.group(1))
        pos = match.end()
    return args


def _arg_value(name: str, arg: ArgSpec, raw: str, valid: set[str] | None) -> object:
    if arg.kind == "id":
        value = raw.strip()
        if not value.isdigit():
            raise ActionParseError(f"{name}: element id must be a number, got {value!r}")
        if valid is not None and value not in valid:
            raise ActionParseError(f"{name}: no element with id [{value}] on this page")
        return value
    if arg.kind == "flag":
        if raw.strip() not in ("0", "1"):
            raise ActionParseError(f"{name}: {arg.field} must be 0 or 1, got {raw!r}")
        return raw.strip() == "1"
    if arg.kind == "direction":
        if raw.strip().lower() not in ("up", "down"):
            raise ActionParseError(f"scroll: direction must be up or down, got {raw!r}")
        return raw.strip().lower()
    if arg.kind == "url":
        if not raw.strip():
            raise ActionParseError("goto: empty url")
        return raw.strip()
    return raw


def parse_action(text: str, valid_ids: Iterable[str] | None = None) -> Action:
    """Parse one action. `valid_ids`, when given, are the ids of the current observation."""
    line = text.strip()
    if not line:
        raise ActionParseError("empty action")
    line = line.splitlines()[0].strip().strip("`").strip()
    name, _, rest = line.partition(" ")
    name = name.strip().lower()
    cls = ACTION_BY_NAME.get(name)
    if cls is None:
        known = ", ".join(c.NAME for c in ACTIONS)
        raise ActionParseError(f"unknown action {name!r}; expected one of: {known}")
    args = _bracket_args(rest)
    required = [a for a in cls.ARGS if not a.optional]
    if len(args) < len(required) or len(args) > len(cls.ARGS):
        raise ActionParseError(f"{name} takes {cls.usage()!r}, got {len(args)} argument(s)")
    valid = set(valid_ids) if valid_ids is not None else None
    values = {arg.field: _arg_value(name, arg, raw, valid)
              for arg, raw in zip(cls.ARGS, args, strict=False)}
    return cls(**values)  # type: ignore[return-value]


def describe_actions() -> str:
    """The action list as the prompts show it, from each kind's usage and docstring."""
    return "\n".join(f"{cls.usage()}: {cls.doc()}" for cls in ACTIONS)


# --- JSON schema (structured output: a cloud model's tool call) ---------------------------

_JSON_TYPES: dict[str, dict[str, object]] = {
    "id": {"type": "string", "pattern": "^[0-9]+$"}, "text": {"type": "string"},
    "flag": {"type": "boolean"}, "direction": {"type": "string", "enum": ["up", "down"]},
    "url": {"type": "string"}, "option": {"type": "string"}}


def action_schema() -> dict[str, object]:
    """A JSON schema of one step's answer: `reason`, the action's kind, and the arguments
    of every kind (each kind reads only its own), derived from the kinds' ARGS."""
    properties: dict[str, object] = {
        "reason": {"type": "string", "description": "why this action, in one sentence"},
        "action": {"type": "string", "enum": [cls.NAME for cls in ACTIONS],
                   "description": "; ".join(f"{cls.usage()}: {cls.doc()}" for cls in ACTIONS)}}
    for cls in ACTIONS:
        for arg in cls.ARGS:
            properties.setdefault(arg.field, dict(_JSON_TYPES[arg.kind]))
    return {"type": "object", "properties": properties, "required": ["reason", "action"]}


def action_from_fields(fields: Mapping[str, object]) -> str:
    """The text form of an answer given as `action_schema` fields (parse it to check it)."""
    cls = ACTION_BY_NAME.get(str(fields.get("action", "")).strip().lower())
    if cls is None:
        raise ActionParseError(f"unknown action {fields.get('action')!r}")
    parts = [cls.NAME]
    for arg in cls.ARGS:
        if arg.field not in fields or fields[arg.field] is None:
            if arg.optional:
                continue
            raise ActionParseError(f"{cls.NAME}: missing {arg.field}")
        value = fields[arg.field]
        parts.append(f"[{int(bool(value))}]" if arg.kind == "flag" else f"[{value}]")
    return " ".join(parts)


# --- GBNF ---------------------------------------------------------------------------------

def _gbnf_literal(s: str) -> str:
    escaped = (s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r").replace("\t", "\\t"))
    return '"' + escaped + '"'


@dataclass(frozen=True)
class GrammarBounds:
    """Longest free text per argument: bounds the grammar and so the token budget."""

    text: int = 80
    reason: int = 160
    url: int = 120


def action_grammar(
    ids: Iterable[str],
    select_options: Mapping[str, list[str]] | None = None,
    allow: Iterable[str] | None = None,
    with_reason: bool = True,
    bounds: GrammarBounds = GrammarBounds(),
    ids_for: Mapping[str, Iterable[str]] | None = None,
) -> str:
    """GBNF for `REASON: ... ACTION: <action>`, with ids restricted to the observation's ids.

    Every string this grammar admits parses with `parse_action(..., valid_ids=ids)`.
    `select_options` maps a drop-down's id to its options so `select` can only name a real one;
    `ids_for` narrows the ids an action kind may name (e.g. `type` → editable fields only).
    """
    id_list = _sorted_ids(ids)
    allowed = set(allow) if allow is not None else {c.NAME for c in ACTIONS}
    if not id_list:
        allowed -= {"click", "type", "select"}
    selects = {k: v for k, v in (select_options or {}).items() if k in set(id_list) and v}
    if not selects:
        allowed.discard("select")
    narrowed = {name: _sorted_ids(i for i in chosen if i in set(id_list))
                for name, chosen in (ids_for or {}).items()}
    allowed -= {name for name, chosen in narrowed.items() if not chosen and name != "select"}
    rules: dict[str, str] = {}
    alts: list[str] = []
    for cls in ACTIONS:
        if cls.NAME not in allowed:
            continue
        rule = "act-" + cls.NAME.replace("_", "-")
        if cls is Select:
            pairs = []
            for sid, options in sorted(selects.items()):
                opts = " | ".join(_gbnf_literal(f"[{o}]") for o in options)
                pairs.append(f'"[{sid}] " ( {opts} )')
            rules[rule] = '"select " ( ' + " | ".join(pairs) + " )"
        else:
            id_rule = f"ids-{cls.NAME}" if cls.NAME in narrowed else "elem-id"
            body = [_gbnf_literal(cls.NAME)]
            for arg in cls.ARGS:
                if arg.optional and cls is Stop:
                    body.append('( " [" text "]" )?')
                    continue
                piece = {
                    "id": f'"[" {id_rule} "]"',
                    "text": '"[" text "]"',
                    "flag": '"[" [01] "]"',
                    "direction": '"[" ( "up" | "down" ) "]"',
                    "url": '"[" url "]"',
                    "option": '"[" text "]"',
                }[arg.kind]
                body.append('" " ' + piece)
            rules[rule] = " ".join(body)
        alts.append(rule)
    lines = []
    if with_reason:
        lines.append('root ::= "REASON: " reason "\\nACTION: " action')
        lines.append(f"reason ::= [^\\n]{{1,{bounds.reason}}}")
    else:
        lines.append("root ::= action")
    lines.append("action ::= " + " | ".join(alts))
    lines.extend(f"{name} ::= {body}" for name, body in rules.items())
    if id_list:
        lines.append("elem-id ::= " + " | ".join(_gbnf_literal(i) for i in id_list))
    for name, chosen in narrowed.items():
        if chosen and f"act-{name}" in rules:
            lines.append(f"ids-{name} ::= " + " | ".join(_gbnf_literal(i) for i in chosen))
    lines.append(f"text ::= [^\\n\\[\\]]{{0,{bounds.text}}}")
    lines.append(f'url ::= [a-zA-Z0-9:/._?=&%#+-]{{1,{bounds.url}}}')
    return "\n".join(lines) + "\n"


def _sorted_ids(ids: Iterable[str]) -> list[str]:
    return sorted(set(ids), key=lambda s: (len(s), s))


def grammar_max_chars(ids: Iterable[str], select_options: Mapping[str, list[str]] | None = None,
                      with_reason: bool = True, bounds: GrammarBounds = GrammarBounds()) -> int:
    """An upper bound on the length of any string `action_grammar` admits. A token is at
    least one character, so this many new tokens always lets generation finish an action."""
    longest_id = max((len(i) for i in ids), default=0)
    longest_option = max((len(o) for opts in (select_options or {}).values() for o in opts),
                         default=0)
    action = max(len("type [] [] [1]") + longest_id + bounds.text,
                 len("select [] []") + longest_id + longest_option,
                 len("goto []") + bounds.url, len("stop []") + bounds.text)
    reason = len("REASON: \nACTION: ") + bounds.reason if with_reason else 0
    return reason + action


def split_reason_action(output: str) -> tuple[str, str]:
    """Split a model's `REASON: ... ACTION: ...` output. Missing REASON gives an empty one."""
    text = output.strip()
    match = re.search(r"ACTION:\s*(.*)", text, flags=re.S)
    if match is None:
        raise ActionParseError("model output has no 'ACTION:' line")
    reason_match = re.search(r"REASON:\s*(.*?)\s*ACTION:", text, flags=re.S)
    reason = reason_match.group(1).strip() if reason_match else ""
    return reason, match.group(1).strip().splitlines()[0] if match.group(1).strip() else ""
