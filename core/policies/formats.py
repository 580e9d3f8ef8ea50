"""How the on-device model reads a step and writes its action: the student's language.

Two formats, chosen by the model's registry entry (`prompt_style`):

- `ReasonFirst` ("full", "compact": the base model and students v1–v4): `REASON: … ACTION:
  click [12]`, the history before the observation. The reason is decoded before every action.
- `ActionFirst` ("student"): `ACTION: click 'Sign in' [12]` and nothing else at run time. The
  element is named by its visible text before its id, so the model's free choice is the name
  (what the task talks about) and the id only tells apart elements of the same name; the
  grammar lists exactly the page's elements, `type` only its editable fields, `select` only
  its drop-downs with their options and `click` none of its headings, tables or rows. In
  training the target goes on with `\\nREASON: …` (the rationale as an auxiliary task), which
  decoding never spends time on. The observation comes before the history, so the KV cache
  keeps the page across steps that do not change it.

Both render the engine's canonical action in the end: the id is authoritative, the name in an
`ActionFirst` action is only what the model wrote to get there.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from core.actions import (
    EDITABLE_ROLES,
    STRUCTURE_ROLES,
    Action,
    ElementAction,
    GrammarBounds,
    action_grammar,
    grammar_max_chars,
    parse_action,
    split_reason_action,
)
from core.browser.views import Element, Observation
from core.errors import ActionParseError
from core.policies.base import StepContext
from core.prompts import HISTORY_STEPS, NOTES_SHOWN, prompt_parts, system_prompt

BOUNDS = GrammarBounds(text=60, reason=100, url=100)
REF_WORDS = 4
REF_CHARS = 30
ERROR_CHARS = 80
# A click already taken this many times from the very same page state is not offered there
# again: the page is where it was, so the click leads where it led (a loop between two
# controls, A B A B …). Once is allowed: going back to a page to do it right is a plan.
REVISIT_LIMIT = 2


class StepFormat(Protocol):
    style: str
    score_marker: str   # the generation's log-probability counts from here

    def system(self) -> str: ...

    def user(self, context: StepContext, max_observation_chars: int | None = None) -> str: ...

    def grammar(self, context: StepContext) -> str: ...

    def max_chars(self, context: StepContext) -> int: ...

    def parse(self, text: str, observation: Observation) -> tuple[str, Action]: ...


@dataclass(frozen=True)
class ReasonFirst:
    style: str = "compact"
    score_marker: str = "ACTION: "

    def system(self) -> str:
        return system_prompt(self.style)

    def user(self, context: StepContext, max_observation_chars: int | None = None) -> str:
        return prompt_parts(context, max_observation_chars).user_text()

    def grammar(self, context: StepContext, with_reason: bool = True,
                options: bool = True) -> str:
        obs = context.observation
        return action_grammar(obs.ids, obs.select_options if options else None,
                              with_reason=with_reason, bounds=BOUNDS)

    def max_chars(self, context: StepContext) -> int:
        obs = context.observation
        return grammar_max_chars(obs.ids, obs.select_options, bounds=BOUNDS)

    def parse(self, text: str, observation: Observation) -> tuple[str, Action]:
        reason, action_text = split_reason_action(text)
        return reason, parse_action(action_text, valid_ids=observation.ids)


# --- ActionFirst --------------------------------------------------------------------------------

def ref_name(name: str) -> str:
    """The few words an action names its element by (the id tells apart the rest)."""
    return " ".join(name.split()[:REF_WORDS])[:REF_CHARS].strip()


def element_ref(element: Element, item: str = "") -> str:
    name = ref_name(element.name) + (f" of {item}" if item else "")
    return f"{name!r} [{element.id}]"


def named_text(action: Action, element: Element | None, item: str = "") -> str:
    """`click [12]` → `click 'Sign in' [12]`; actions without an element are unchanged.
    `item` (from `item_names`) names which of several same-named elements it is."""
    text = action.to_text()
    if not isinstance(action, ElementAction) or element is None:
        return text
    head = f"{action.NAME} [{action.id}]"
    return f"{action.NAME} {element_ref(element, item)}" + text[len(head):]


# --- items -------------------------------------------------------------------------------------
# A list of invoices, products, posts or messages repeats its controls: seven 'Show details'
# buttons, an 'Add to cart' per product, a 'more' per post. By name alone the model's choice
# among them is an id, which a small model copies badly (it clicked INV-2917's 'Show details'
# for INV-2920). `item_names` gives each such element the name of the item it belongs to, so
# the action names it the way the task does: `click 'Show details of INV-2920' [21]`.
# Text and structure are what items are named by, never themselves named; fields are told
# apart by their form (a newsletter's 'Email' beside a sign-in's), not by an item.
ITEM_SKIP_ROLES = STRUCTURE_ROLES | EDITABLE_ROLES | {"StaticText"}


def item_names(observation: Observation) -> dict[str, str]:
    """For every element whose role and name repeat on the page, the name of its item: the
    first named element, itself not repeated, in the stretch since the previous element of
    the same role and name; for the first one, the element as far before it as the second's
    item is before the second. Items come before their controls in a list (a heading or
    link, then its buttons); where there is no such name, there is none."""
    elements = observation.elements
    groups: dict[tuple[str, str], list[int]] = {}
    for i, e in enumerate(elements):
        if e.name and e.role not in ITEM_SKIP_ROLES:
            groups.setdefault((e.role, e.name), []).append(i)
    repeated = {i for where in groups.values() if len(where) > 1 for i in where}

    def item_at(j: int) -> bool:
        return 0 <= j and bool(elements[j].name) and j not in repeated

    named: dict[str, str] = {}
    for where in groups.values():
        if len(where) < 2:
            continue
        for k, i in enumerate(where[1:], start=1):
            j = next((j for j in range(where[k - 1] + 1, i) if item_at(j)), None)
            if j is not None:
                named[elements[i].id] = ref_name(elements[j].name)
                if k == 1 and item_at(where[0] - (i - j)):
                    named[elements[where[0]].id] = ref_name(elements[where[0] - (i - j)].name)
    return named


_LINE_ID = re.compile(r"^ *\[(\d+)\] ")


def with_items(text: str, items: dict[str, str]) -> str:
    """An observation text with ` of='item'` after the lines of repeated elements."""
    if not items:
        return text
    lines = []
    for line in text.split("\n"):
        m = _LINE_ID.match(line)
        if m and m.group(1) in items:
            line += f" of={items[m.group(1)]!r}"
        lines.append(line)
    return "\n".join(lines)


# A name as `repr` quotes it, the way observation lines and ActionFirst actions write names.
QUOTED_NAME = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
_NAMED = re.compile(rf"^(?P<verb>click|type|select) (?P<name>{QUOTED_NAME}) (?=\[)")


def canonical_text(named: str) -> str:
    """`click 'Sign in' [12]` → `click [12]`."""
    return _NAMED.sub(lambda m: m.group("verb") + " ", named.strip(), count=1)


def history_line(action: str, error: str = "", no_effect: bool = False) -> str:
    line = action
    if error:
        line += f" (failed: {error[:ERROR_CHARS]})"
    elif no_effect:
        line += " (nothing changed)"
    return line


def student_user_prompt(intent: str, observation: str, past: Sequence[str],
                        notes: Sequence[str] = ()) -> str:
    """The user turn of the ActionFirst format: what stays the same across steps first."""
    parts = [f"OBJECTIVE: {intent}", "OBSERVATION:\n" + observation]
    if notes:
        parts.append("NOTES:\n" + "\n".join(notes[-NOTES_SHOWN:]))
    parts.append("PREVIOUS ACTIONS:\n" + ("\n".join(past) if past else "none"))
    return "\n".join(parts)


def student_target(action: str, rationale: str = "") -> str:
    """What the student is taught to write: the action, then (an auxiliary task) why."""
    return f"ACTION: {action}" + (f"\nREASON: {rationale.strip()}" if rationale.strip() else "")


def _lit(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


# --- copied text -------------------------------------------------------------------------------
# What a step types or answers is, in the teacher's data, always something the agent has read:
# a span of the task or a `{{secret:…}}` placeholder in it (1,760 of the 1,798 typed texts in
# make distill-data's trajectories), else of the page (the other 38, and all 165 non-empty
# answers). The copy grammar makes that the only thing it can write: words (and single
# punctuation marks) of those texts, each followed only by what follows it in one of them. A
# student that would re-case a user name ("Tamthor417" for "tamthor417"), invent a value
# ("<142>") or answer with an id ("stop [11]") cannot; a task whose text must be composed
# (reversed, reformatted) cannot be typed either, which is why it is a decoding help measured
# against the model alone. A copy also starts and ends where a whitespace-delimited chunk of
# its source does (punctuation at the chunk's edges aside): every one of the 2,585 copied texts
# in those trajectories does, and a student that stops inside a chunk types "alex" for
# "alex.morgan" (v7 did on 3 of 200 ports of the demo's page, whose URL is in its prompt).
COPY_UNIT = re.compile(r"\{\{secret:[A-Za-z0-9_.-]+\}\}|\w+|[^\w\s]")
COPY_UNITS_MAX = 800


def _chunk_edge(text: str, at: int, step: int) -> bool:
    """Whether position `at` of `text` is a chunk's edge, looking back (step -1: a copy may
    start there) or ahead (step 1: it may end there) over punctuation to a space or the end."""
    i = at - 1 if step < 0 else at
    while 0 <= i < len(text) and not text[i].isspace():
        if text[i].isalnum() or text[i] == "_":
            return False
        i += step
    return True


def copy_sources(context: StepContext) -> tuple[str, ...]:
    """The texts a step may copy from: the task, the notes, then the page's names, values
    and options (in page order)."""
    texts = [context.intent, *context.notes]
    for e in context.observation.elements:
        texts += [e.name, e.props.get("value", ""), *e.options]
    return tuple(t for t in texts if t and t.strip())


@functools.lru_cache(maxsize=4)
def copy_rules(sources: tuple[str, ...], start: str = "copied") -> tuple[str, ...]:
    """GBNF for a text made of the sources' units, each followed by a unit (and the gap) that
    follows it somewhere in them, starting at a unit that starts a chunk somewhere and ending
    at one that ends a chunk somewhere. One rule per distinct unit, so a 2 KB page stays small.
    Cached: the kind search builds one step's grammar once per action kind."""
    index: dict[str, int] = {}
    follows: dict[int, dict[tuple[str, int], None]] = {}
    starts: set[int] = set()
    ends: set[int] = set()
    for text in sources:
        previous, end = None, 0
        for m in COPY_UNIT.finditer(text):
            unit = m.group(0)
            if unit in ("[", "]"):   # the action's own delimiters
                if previous is not None:
                    ends.add(previous)
                previous = None
                continue
            if unit not in index:
                if len(index) >= COPY_UNITS_MAX:
                    break
                index[unit] = len(index)
                follows[index[unit]] = {}
            here = index[unit]
            if previous is not None:
                gap = " " if m.start() > end else ""
                follows[previous][(gap, here)] = None
            if _chunk_edge(text, m.start(), -1):
                starts.add(here)
            if _chunk_edge(text, m.end(), 1):
                ends.add(here)
            previous, end = here, m.end()
        if previous is not None:
            ends.add(previous)
    if not index:
        return (f'{start} ::= ""',)
    rules = [f"{start} ::= " + " | ".join(f"cu-{i}" for i in index.values() if i in starts)]
    for unit, i in index.items():
        nexts = [(f'" " cu-{j}' if gap else f"cu-{j}") for gap, j in follows[i]]
        tail = f" ( {' | '.join(nexts)} )" if nexts else ""
        rules.append(f"cu-{i} ::= {_lit(unit)}" + (tail + "?" if nexts and i in ends else tail))
    return tuple(rules)


@dataclass(frozen=True)
class ActionFirst:
    style: str = "student"
    score_marker: str = "ACTION: "
    copy: bool = False   # typed text and answers only copied from what the step read
    no_loops: bool = False  # a click taken REVISIT_LIMIT times from this page state left out
    items: bool = False  # repeated controls named by their item (`item_names`)
    history: int = HISTORY_STEPS  # earlier steps shown: the registry's `history_steps`

    def system(self) -> str:
        return system_prompt(self.style)

    def item_names(self, observation: Observation) -> dict[str, str]:
        return item_names(observation) if self.items else {}

    def user(self, context: StepContext, max_observation_chars: int | None = None) -> str:
        past = [history_line(item.described or item.action.to_text(), item.error,
                             item.no_effect) for item in context.history[-self.history:]]
        observation = with_items(context.observation.text(max_observation_chars),
                                 self.item_names(context.observation))
        return student_user_prompt(context.intent, observation, past, context.notes)

    def _choices(self, context: StepContext) -> tuple[list[Element], list[Element],
                                                      list[Element]]:
        obs = context.observation
        tried = {item.action.to_text() for item in context.history
                 if item.no_effect and item.url == obs.url}
        if self.no_loops:
            here = obs.state()
            taken = Counter(item.action.to_text() for item in context.history
                            if item.state == here)
            tried |= {action for action, n in taken.items() if n >= REVISIT_LIMIT}
        clicks = [e for e in obs.elements if f"click [{e.id}]" not in tried
                  and e.role not in STRUCTURE_ROLES]
        fields = [e for e in obs.elements if e.role in EDITABLE_ROLES and not e.options
                  and e.props.get("disabled") != "true"]
        menus = [e for e in obs.elements if e.options]
        return clicks, fields, menus

    def kinds(self, context: StepContext) -> list[str]:
        """The grammar's action kinds on this page (`act-click`, `act-type`, …)."""
        clicks, fields, menus = self._choices(context)
        return ([k for k, present in (("act-click", clicks), ("act-type", fields),
                                      ("act-select", menus)) if present]
                + ["act-scroll", "act-go-back", "act-stop"])

    def fields(self, context: StepContext) -> list[Element]:
        """The fields a `type` may name on this page."""
        return self._choices(context)[1]

    def grammar(self, context: StepContext, kind: str | None = None,
                field: int | None = None) -> str:
        """The page's action grammar; `kind` (one of `kinds`) restricts it to that kind, and
        `field` (an id of `fields`) a `type` to that one field."""
        clicks, fields, menus = self._choices(context)
        if field is not None:
            fields = [e for e in fields if e.id == field]
        items = self.item_names(context.observation)

        def ref(e: Element) -> str:
            return element_ref(e, items.get(e.id, ""))

        alts = []
        rules = []
        # Empty is a text too: `type [id] []` clears a field (a value typed in the wrong one).
        typed, answer = ("copied?", "copied?") if self.copy else ("text", "text")
        if clicks:
            alts.append("act-click")
            rules.append('act-click ::= "click " ( '
                         + " | ".join(_lit(ref(e)) for e in clicks) + " )")
        if fields:
            alts.append("act-type")
            rules.append('act-type ::= "type " ( '
                         + " | ".join(_lit(ref(e)) for e in fields)
                         + f' ) " [" {typed} "] [" [01] "]"')
        if menus:
            alts.append("act-select")
            pairs = [_lit(ref(e) + " ") + " ( "
                     + " | ".join(_lit(f"[{o}]") for o in e.options) + " )" for e in menus]
            rules.append('act-select ::= "select " ( ' + " | ".join(pairs) + " )")
        alts += ["act-scroll", "act-go-back", "act-stop"]
        rules += ['act-scroll ::= "scroll [" ( "up" | "down" ) "]"',
                  'act-go-back ::= "go_back"',
                  f'act-stop ::= "stop" ( " [" {answer} "]" )?',
                  f"text ::= [^\\n\\[\\]]{{0,{BOUNDS.text}}}"]
        if self.copy:
            rules += copy_rules(copy_sources(context))
        if kind is not None:
            alts = [kind]
        return "\n".join(['root ::= "ACTION: " action', "action ::= " + " | ".join(alts),
                          *rules]) + "\n"

    def max_chars(self, context: StepContext) -> int:
        clicks, fields, menus = self._choices(context)
        items = self.item_names(context.observation)
        longest = max((len(element_ref(e, items.get(e.id, "")))
                       for e in (*clicks, *fields, *menus)), default=0)
        option = max((len(o) for e in menus for o in e.options), default=0)
        return len("ACTION: ") + max(len("type  [] [1]") + longest + BOUNDS.text,
                                     len("select  []") + longest + option,
                                     len("stop []") + BOUNDS.text)

    def parse(self, text: str, observation: Observation) -> tuple[str, Action]:
        line = text.strip()
        if not line.startswith("ACTION:"):
            raise ActionParseError("model output does not start with 'ACTION:'")
        named = line[len("ACTION:"):].strip().splitlines()[0]
        return "", parse_action(canonical_text(named), valid_ids=observation.ids)


ACTION_FIRST_STYLES = ("student", "student-items")


def format_for(style: str, copy: bool = False, no_loops: bool = False,
               history: int = HISTORY_STEPS) -> ReasonFirst | ActionFirst:
    """The step format of a registry `prompt_style` ("student-items": action-first with
    repeated controls named by their item); `copy` (action-first only) restricts typed text
    and answers to copies of what the step read, `no_loops` leaves out a click that went
    round (REVISIT_LIMIT); `history` is how many earlier steps an action-first prompt shows
    (the registry's `history_steps`: what the student was trained with)."""
    if style in ACTION_FIRST_STYLES:
        return ActionFirst(style=style, copy=copy, no_loops=no_loops,
                           items=style == "student-items", history=history)
    return ReasonFirst(style)
