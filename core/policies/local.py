"""The on-device policy: a small GGUF model through llama.cpp, decoding under a GBNF grammar.

The grammar is generated from the action language and the ids of the current observation, so
every output parses and names a real element. Candidates are ranked by log-probability: the
greedy answer first, then (for k > 1) distinct actions sampled after the same reason.

A small model often writes the right reason and clicks the wrong id ('This is the link "eu."'
→ `click [5]`, where [5] is 'Massa'): it names the element well but copies its id badly. The
greedy click is therefore grounded in its own reason, as SeeAct grounds a described element by
its text: see `ground_click`. `SYMBIOTE_GROUNDING=0` turns this off to measure the model alone.
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from dataclasses import replace

from core.actions import (
    Action,
    ActionParseError,
    action_grammar,
    grammar_max_chars,
    parse_action,
    split_reason_action,
)
from core.browser.views import Element, Observation
from core.models import ModelError
from core.policies.base import Candidate, PolicyError, StepContext
from core.policies.llm import Generation, LocalLLM
from core.prompts import chatml, system_prompt, user_prompt

log = logging.getLogger(__name__)

MAX_REASON_CHARS = 100
MAX_TEXT_CHARS = 60
MAX_URL_CHARS = 100
# When the prompt does not fit the context, the observation is cut at an element-line boundary
# (the tail is dropped with a "… N more elements trimmed" marker) in these steps.
TRIM_STEPS = (None, 6000, 4000, 2500, 1500, 800, 400)


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
    if action.name != "click":
        return action
    clicked = observation.element(action.id)
    target = clicked and _described(reason, clicked, observation.elements)
    if target is None or target.id == action.id:
        return action
    grounded = replace(action, id=target.id)
    return action if grounded.to_text() == previous_action else grounded


def grounding_enabled() -> bool:
    return os.environ.get("SYMBIOTE_GROUNDING", "1") != "0"


class LocalPolicy:
    def __init__(self, llm: LocalLLM, *, temperature: float = 0.0, seed: int | None = None,
                 grounding: bool | None = None):
        """temperature > 0 samples (exploration); 0 is greedy (the product's default).
        grounding: see `ground_click`; None reads SYMBIOTE_GROUNDING (on unless "0")."""
        self.llm = llm
        self.temperature = temperature
        self.seed = seed
        self.grounding = grounding_enabled() if grounding is None else grounding
        self._system = system_prompt(llm.prompt_style)
        self.last_generation: Generation | None = None
        self.parse_failures = 0
        self.decisions = 0

    @property
    def id(self) -> str:
        return f"local:{self.llm.name}"

    def max_new_tokens(self, context: StepContext, with_reason: bool = True) -> int:
        """Enough tokens for the longest output the grammar admits: never cut mid-action."""
        obs = context.observation
        return grammar_max_chars(obs.ids, obs.select_options, with_reason=with_reason,
                                 max_text_chars=MAX_TEXT_CHARS,
                                 max_reason_chars=MAX_REASON_CHARS, max_url_chars=MAX_URL_CHARS)

    def prompt(self, context: StepContext) -> str:
        budget = self.max_new_tokens(context)
        for limit in TRIM_STEPS:
            text = chatml(self._system, user_prompt(context, limit))
            if len(self.llm.tokenize(text)) + budget <= self.llm.n_ctx:
                if limit is not None:
                    log.info("observation trimmed to %d chars to fit the context", limit)
                return text
        raise PolicyError("the task text and history alone do not fit the model's context")

    def grammar(self, context: StepContext, with_reason: bool = True) -> str:
        obs = context.observation
        bounds = {"max_text_chars": MAX_TEXT_CHARS, "max_reason_chars": MAX_REASON_CHARS,
                  "max_url_chars": MAX_URL_CHARS}
        gbnf = action_grammar(obs.ids, obs.select_options, with_reason=with_reason, **bounds)
        if self.llm.check_grammar(gbnf):
            return gbnf
        # An option text the grammar cannot spell: keep every action but `select`.
        log.warning("grammar with this page's drop-down options is malformed; select disabled")
        return action_grammar(obs.ids, None, with_reason=with_reason, **bounds)

    def propose(self, context: StepContext, k: int = 1) -> list[Candidate]:
        prompt = self.prompt(context)
        try:
            seed = None if self.seed is None else self.seed + context.step
            gen = self.llm.generate(prompt, gbnf=self.grammar(context),
                                    max_tokens=self.max_new_tokens(context),
                                    temperature=self.temperature, seed=seed)
        except ModelError as exc:
            raise PolicyError(str(exc)) from exc
        self.last_generation = gen
        self.decisions += 1
        try:
            reason, action_text = split_reason_action(gen.text)
            action = parse_action(action_text, valid_ids=context.observation.ids)
        except ActionParseError as exc:
            # The grammar and the token budget make this unreachable; count it if it happens.
            self.parse_failures += 1
            log.warning("unparseable model output %r: %s", gen.text, exc)
            action = parse_action("scroll [down]")
            reason = f"(model output was cut off: {exc})"
        meta: dict[str, object] = {"n_prompt": gen.n_prompt, "n_reused": gen.n_reused,
                                   "n_generated": gen.n_generated}
        if self.grounding:
            previous = context.history[-1].action if context.history else ""
            grounded = ground_click(reason, action, context.observation, previous)
            if grounded != action:
                log.info("grounded %s → %s by the reason %r", action, grounded, reason)
                meta["grounded_from"] = action.to_text()
                action = grounded
        best = Candidate(action=action, rationale=reason, score=gen.logprob_after("ACTION: "),
                         source=self.id, meta=meta)
        candidates = [best]
        if k > 1:
            candidates += self._alternatives(context, prompt, reason, best, k)
        return sorted(candidates, key=lambda c: c.score, reverse=True)[:k] if k > 1 else candidates

    def _alternatives(self, context: StepContext, prompt: str, reason: str, best: Candidate,
                      k: int) -> list[Candidate]:
        """Distinct actions sampled after the same reason, scored by their log-probability."""
        prefix = prompt + f"REASON: {reason}\nACTION: "
        gbnf = self.grammar(context, with_reason=False)
        seen = {best.action.normalized()}
        found: list[Candidate] = []
        for attempt in range(2 * k):
            if len(found) >= k - 1:
                break
            gen = self.llm.generate(prefix, gbnf=gbnf, temperature=1.0, seed=attempt + 1,
                                    max_tokens=self.max_new_tokens(context, with_reason=False))
            try:
                action = parse_action(gen.text, valid_ids=context.observation.ids)
            except ActionParseError:
                continue
            if action.normalized() in seen:
                continue
            seen.add(action.normalized())
            found.append(Candidate(action=action, rationale=reason, score=gen.logprob,
                                   source=self.id))
        return found
