"""Click grounding: move a click to the element its own reason describes.

A small model often writes the right reason and clicks the wrong id ('This is the link "eu."'
→ `click [5]`, where [5] is 'Massa'): it names the element well but copies its id badly. As
SeeAct grounds a described element by its text, a `Grounder` may move the greedy click. The
on-device policy takes one as configuration (`LocalPolicy(grounding=...)`); `GROUNDERS` names
them for the command line, and the policy's id says which one ran, so a result records it.

`RuleGrounding` is the regex rules written from failure analyses on the MiniWoB dev tasks
(README: "Grounding"); they name dev-task shapes and are measured against the model alone.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Protocol

from core.actions import Action, Click
from core.browser.views import Element, Observation
from core.errors import ConfigError


class Grounder(Protocol):
    name: str
    kind_search: bool   # action-first students: the most likely action over action kinds
    field_search: bool  # … and over the fields a `type` may name, each with its own text
    copies_text: bool   # action-first students: the copy grammar for typed text and answers

    def ground(self, reason: str, action: Action, observation: Observation,
               previous_action: str = "") -> Action: ...


_QUOTED = re.compile(r'"([^"]+)"')


def _mentions(reason: str, name: str) -> bool:
    """`name` occurs in `reason` as a whole phrase, ignoring case."""
    pattern = r"(?<!\w)" + re.escape(name.strip().lower()) + r"(?!\w)"
    return re.search(pattern, reason.lower()) is not None


# "the 2nd checkbox": an ordinal and a role name, as the observation spells roles.
_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th) (checkbox|radio|button|link|tab|textbox)\b",
                      re.IGNORECASE)


def _ground_ordinal(reason: str, elements: tuple[Element, ...]) -> Element | None:
    """The element a reason counts to ("Only the 2nd checkbox should be ticked." → the second
    checkbox on the page), when it names exactly one such element that exists."""
    counted = {(int(n), role.lower()) for n, role in _ORDINAL.findall(reason)}
    if len(counted) != 1:
        return None
    n, role = counted.pop()
    of_role = [e for e in elements if e.role.lower() == role]
    return of_role[n - 1] if 1 <= n <= len(of_role) else None


def _possessive(reason: str, name: str) -> bool:
    """`name` is the possessor in `reason`: "Fernandina's email", "the post of @urna"."""
    name = re.escape(name.strip().lower())
    return re.search(rf"(?<!\w){name}'s(?!\w)|(?<!\w)of {name}(?!\w)", reason.lower()) is not None


def _ground_relative(reason: str, clicked: Element, elements: tuple[Element, ...]
                     ) -> Element | None:
    """Where the reason names one kind of element the page repeats and one anchor as its
    possessor ("The trash icon of Fernandina's email.", five img 'trash'; "Open the 'more' menu
    of @urna's post."): the first element of that kind after the anchor, whatever was clicked.

    The anchor may occur more than once (two posts by @augus): a click that already follows one
    of its occurrences is kept (None). None, too, when the reason names no such kind, several
    kinds, or not exactly one anchor."""
    def kind_of(e: Element) -> tuple[str, str]:
        return e.role, e.name.strip().lower()

    named = [e for e in elements if len(e.name.strip()) >= 3 and _mentions(reason, e.name)]
    anchors = {e.name.strip() for e in named if _possessive(reason, e.name)}
    counts = Counter(kind_of(e) for e in elements)
    kinds = {kind_of(e) for e in named if e.name.strip() not in anchors and counts[kind_of(e)] > 1}
    if len(kinds) != 1 or len(anchors) != 1:
        return None
    kind, anchor = kinds.pop(), anchors.pop()
    following = [next((a for a in elements[i + 1:] if kind_of(a) == kind), None)
                 for i, e in enumerate(elements) if e.name.strip() == anchor]
    targets = [t for t in following if t is not None]
    if not targets or clicked in targets:
        return None
    return targets[0]


def _described(reason: str, clicked: Element, elements: tuple[Element, ...]) -> Element | None:
    """The one element `reason` describes, or None when that is the clicked one or unclear."""
    placed = _ground_ordinal(reason, elements) or _ground_relative(reason, clicked, elements)
    if placed is not None:
        return placed
    quoted = set(_QUOTED.findall(reason))
    if clicked.name in quoted:
        return None
    exact = [e for e in elements if e.name and e.name in quoted]
    if exact:
        return exact[0] if len(exact) == 1 else None
    if not clicked.name.strip() or _mentions(reason, clicked.name):
        return None
    same_role = [e for e in elements if e.role == clicked.role and e.name.strip()
                 and _mentions(reason, e.name)]
    return same_role[0] if len(same_role) == 1 else None


def ground_click(reason: str, action: Action, observation: Observation,
                 previous_action: str = "") -> Action:
    """The click the reason describes, when it names another element than the clicked one.

    In this order, the click moves to:
    - the element the reason counts to: "Only the 2nd checkbox should be ticked.";
    - where the reason names a kind of element the page repeats and its possessor, the first
      one after the possessor: "The trash icon of Fernandina's email." (`_ground_relative`);
    - the one element whose name the reason quotes exactly: "no" → button 'no', not 'No';
    - the one element of the clicked role whose name the reason mentions ("Choose the option
      rAk6PCQ." with radio 'rseLQZ' clicked → radio 'rAk6PCQ'). Not of another role: replayed
      on stored steps, that moved as many right clicks as wrong ones ("This is Ayn's phone."
      onto the heading 'Ayn').
    It is kept when the clicked element is unnamed or its name is in the reason (right or wrong,
    nothing to go by) and no rule before applies, or when the reason fits several elements.
    Other actions are never changed, and a click is never moved onto `previous_action` (as the
    history renders it, `Action.to_text()`): a reason copied from the step before ("This is
    button ONE." again, with the right `click [2]` for TWO) is stale, not a description.
    """
    if not isinstance(action, Click):
        return action
    clicked = observation.element(action.id)
    target = clicked and _described(reason, clicked, observation.elements)
    if target is None or target.id == action.id:
        return action
    grounded = replace(action, id=target.id)
    return action if grounded.to_text() == previous_action else grounded


class RuleGrounding:
    """`ground_click` as a `Grounder`. It reads the reason a reason-first model (v1–v4) writes
    before acting; an action-first student writes none, so for it `rules` is greedy decoding
    under the page's grammar with what it types or answers copied from what the step read
    (core.policies.formats `copy_rules`), less the clicks that went round
    (formats.REVISIT_LIMIT); `off` is greedy decoding under the page's grammar alone, the
    model alone."""

    name = "rules"
    kind_search = False
    field_search = False
    copies_text = True

    def ground(self, reason: str, action: Action, observation: Observation,
               previous_action: str = "") -> Action:
        return ground_click(reason, action, observation, previous_action)


class KindSearch(RuleGrounding):
    """For an action-first student: the most likely whole action over the page's action kinds
    (core.policies.local `_most_likely_kind`). A reason-first model gets the click rules."""

    name = "kinds"
    kind_search = True
    copies_text = False


class CopyGrounding(KindSearch):
    """`kinds`, and the copy grammar: what an action-first student types or answers is copied
    from the task, the notes or the page (core.policies.formats `copy_rules`)."""

    name = "copy"
    copies_text = True


class FieldSearch(CopyGrounding):
    """`copy`, with the `type` kind searched field by field: the most likely whole action
    `type [i] [text]` over every field i the page has, each with the text the model would type
    into it (core.policies.local `_most_likely_kind`). Greedy decoding commits to a field
    before the text; a student that knows the words but not yet which field takes them puts
    "88 Cedar Avenue" into the first field of a form. Scoring the whole action asks the model
    which field it would rather see that text in."""

    name = "fields"
    field_search = True


GROUNDERS: dict[str, type[Grounder] | None] = {
    "rules": RuleGrounding, "kinds": KindSearch, "copy": CopyGrounding,
    "fields": FieldSearch, "off": None}


def make_grounder(name: str) -> Grounder | None:
    """The grounder a configuration names ("off": the model alone)."""
    if name not in GROUNDERS:
        raise ConfigError(f"unknown grounding {name!r}; choose one of: {', '.join(GROUNDERS)}")
    cls = GROUNDERS[name]
    return cls() if cls is not None else None
