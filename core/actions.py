"""The action language: the one definition every other part derives from.

AgentOccam-compatible, one action per step:

    click [id]            type [id] [text] [press_enter]    select [id] [option]
    scroll [up|down]      go_back                           goto [url]
    note [text]           stop [answer]

`ACTION_SPECS` is the single source. The parser, the GBNF grammar given to llama.cpp, the
text the prompts show and the executor's dispatch are all generated from it or checked
against it (tests/test_actions.py), never hand-copied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

ArgKind = Literal["id", "text", "flag", "direction", "url", "option"]


@dataclass(frozen=True)
class ArgSpec:
    name: str
    kind: ArgKind
    optional: bool = False


@dataclass(frozen=True)
class ActionSpec:
    name: str
    args: tuple[ArgSpec, ...]
    doc: str

    @property
    def usage(self) -> str:
        parts = [self.name]
        for arg in self.args:
            parts.append(f"[{arg.name}]")
        return " ".join(parts)


ACTION_SPECS: tuple[ActionSpec, ...] = (
    ActionSpec("click", (ArgSpec("id", "id"),), "Click the element with this id."),
    ActionSpec(
        "type",
        (ArgSpec("id", "id"), ArgSpec("text", "text"), ArgSpec("press_enter", "flag", True)),
        "Clear the field with this id and type the text; press_enter 1 presses Enter after.",
    ),
    ActionSpec(
        "select",
        (ArgSpec("id", "id"), ArgSpec("option", "option")),
        "Choose the option with this visible text in the drop-down with this id.",
    ),
    ActionSpec("scroll", (ArgSpec("direction", "direction"),), "Scroll the page up or down."),
    ActionSpec("go_back", (), "Go back to the previous page."),
    ActionSpec("goto", (ArgSpec("url", "url"),), "Open this URL."),
    ActionSpec("note", (ArgSpec("text", "text"),), "Write down a fact to remember for later."),
    ActionSpec(
        "stop",
        (ArgSpec("answer", "text", True),),
        "Finish the task; give the answer if the task asks a question.",
    ),
)
SPECS_BY_NAME = {spec.name: spec for spec in ACTION_SPECS}
ActionName = Literal["click", "type", "select", "scroll", "go_back", "goto", "note", "stop"]


@dataclass(frozen=True)
class Action:
    """A parsed, validated action. Unused fields stay at their defaults."""

    name: ActionName
    id: str = ""
    text: str = ""
    press_enter: bool = False
    option: str = ""
    direction: Literal["up", "down", ""] = ""
    url: str = ""

    def to_text(self) -> str:
        """Render in the canonical form the parser reads back."""
        match self.name:
            case "click":
                return f"click [{self.id}]"
            case "type":
                return f"type [{self.id}] [{self.text}] [{int(self.press_enter)}]"
            case "select":
                return f"select [{self.id}] [{self.option}]"
            case "scroll":
                return f"scroll [{self.direction}]"
            case "go_back":
                return "go_back"
            case "goto":
                return f"goto [{self.url}]"
            case "note":
                return f"note [{self.text}]"
            case "stop":
                return f"stop [{self.text}]"
        raise AssertionError(self.name)

    def normalized(self) -> str:
        """Comparison key used when two policies' actions are matched (speculative synthesis)."""
        return " ".join(self.to_text().lower().split())

    def __str__(self) -> str:
        return self.to_text()


class ActionParseError(ValueError):
    """The text is not one action of the language. The message says precisely why."""


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


def parse_action(text: str, valid_ids: Iterable[str] | None = None) -> Action:
    """Parse one action. `valid_ids`, when given, are the ids of the current observation."""
    line = text.strip()
    if not line:
        raise ActionParseError("empty action")
    line = line.splitlines()[0].strip().strip("`").strip()
    name, _, rest = line.partition(" ")
    name = name.strip().lower()
    spec = SPECS_BY_NAME.get(name)
    if spec is None:
        known = ", ".join(s.name for s in ACTION_SPECS)
        raise ActionParseError(f"unknown action {name!r}; expected one of: {known}")
    args = _bracket_args(rest)
    required = [a for a in spec.args if not a.optional]
    if len(args) < len(required) or len(args) > len(spec.args):
        raise ActionParseError(f"{name} takes {spec.usage!r}, got {len(args)} argument(s)")
    values = dict(zip((a.name for a in spec.args), args, strict=False))
    fields: dict[str, object] = {}
    for arg in spec.args:
        value = values.get(arg.name)
        if value is None:
            continue
        if arg.kind == "id":
            value = value.strip()
            if not value.isdigit():
                raise ActionParseError(f"{name}: element id must be a number, got {value!r}")
            if valid_ids is not None and value not in set(valid_ids):
                raise ActionParseError(f"{name}: no element with id [{value}] on this page")
            fields["id"] = value
        elif arg.kind == "flag":
            if value.strip() not in ("0", "1"):
                raise ActionParseError(f"{name}: {arg.name} must be 0 or 1, got {value!r}")
            fields["press_enter"] = value.strip() == "1"
        elif arg.kind == "direction":
            if value.strip().lower() not in ("up", "down"):
                raise ActionParseError(f"scroll: direction must be up or down, got {value!r}")
            fields["direction"] = value.strip().lower()
        elif arg.kind == "url":
            if not value.strip():
                raise ActionParseError("goto: empty url")
            fields["url"] = value.strip()
        elif arg.kind == "option":
            fields["option"] = value
        else:
            fields["text"] = value
    return Action(name=name, **fields)  # type: ignore[arg-type]


def describe_actions() -> str:
    """The action list as the prompts show it, from the specs' docs."""
    return "\n".join(f"{spec.usage}: {spec.doc}" for spec in ACTION_SPECS)


# --- GBNF ---------------------------------------------------------------------------------

def _gbnf_literal(s: str) -> str:
    escaped = (s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r").replace("\t", "\\t"))
    return '"' + escaped + '"'


def action_grammar(
    ids: Iterable[str],
    select_options: dict[str, list[str]] | None = None,
    allow: Iterable[str] | None = None,
    with_reason: bool = True,
    max_text_chars: int = 80,
    max_reason_chars: int = 160,
    max_url_chars: int = 120,
) -> str:
    """GBNF for `REASON: ... ACTION: <action>`, with ids restricted to the observation's ids.

    Every string this grammar admits parses with `parse_action(..., valid_ids=ids)`.
    `select_options` maps a drop-down's id to its options so `select` can only name a real one.
    """
    id_list = sorted(set(ids), key=lambda s: (len(s), s))
    allowed = set(allow) if allow is not None else {s.name for s in ACTION_SPECS}
    if not id_list:
        allowed -= {"click", "type", "select"}
    selects = {k: v for k, v in (select_options or {}).items() if k in set(id_list) and v}
    if not selects:
        allowed.discard("select")
    rules: dict[str, str] = {}
    alts: list[str] = []
    for spec in ACTION_SPECS:
        if spec.name not in allowed:
            continue
        rule = "act-" + spec.name.replace("_", "-")
        if spec.name == "select":
            pairs = []
            for sid, options in sorted(selects.items()):
                opts = " | ".join(_gbnf_literal(f"[{o}]") for o in options)
                pairs.append(f'"[{sid}] " ( {opts} )')
            rules[rule] = '"select " ( ' + " | ".join(pairs) + " )"
        else:
            body = [_gbnf_literal(spec.name)]
            for arg in spec.args:
                if arg.optional and spec.name == "stop":
                    body.append('( " [" text "]" )?')
                    continue
                piece = {
                    "id": '"[" elem-id "]"',
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
        lines.append(f"reason ::= [^\\n]{{1,{max_reason_chars}}}")
    else:
        lines.append("root ::= action")
    lines.append("action ::= " + " | ".join(alts))
    lines.extend(f"{name} ::= {body}" for name, body in rules.items())
    if id_list:
        lines.append("elem-id ::= " + " | ".join(_gbnf_literal(i) for i in id_list))
    lines.append(f"text ::= [^\\n\\[\\]]{{0,{max_text_chars}}}")
    lines.append(f'url ::= [a-zA-Z0-9:/._?=&%#+-]{{1,{max_url_chars}}}')
    return "\n".join(lines) + "\n"


def grammar_max_chars(ids: Iterable[str], select_options: dict[str, list[str]] | None = None,
                      with_reason: bool = True, max_text_chars: int = 80,
                      max_reason_chars: int = 160, max_url_chars: int = 120) -> int:
    """An upper bound on the length of any string `action_grammar` admits. A token is at
    least one character, so this many new tokens always lets generation finish an action."""
    longest_id = max((len(i) for i in ids), default=0)
    longest_option = max((len(o) for opts in (select_options or {}).values() for o in opts),
                         default=0)
    action = max(len("type [] [] [1]") + longest_id + max_text_chars,
                 len("select [] []") + longest_id + longest_option,
                 len("goto []") + max_url_chars, len("stop []") + max_text_chars)
    reason = len("REASON: \nACTION: ") + max_reason_chars if with_reason else 0
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
