"""The on-device policy: a small model (core.llm) decoding under a GBNF grammar.

The model's step format (core.policies.formats: reason-first for the base model and students
v1–v4, action-first for students that name the element) gives the prompt, the grammar and the
parser. The grammar holds the current observation's elements, so every output parses and
names a real one. Candidates are ranked by log-probability: the greedy answer first, then (for
k > 1) distinct actions sampled after it. A `Grounder` (core.policies.grounding), when
configured, may move a reason-first model's click to the element its reason describes.

Per step the prompt is rendered and tokenized, the grammar built and checked, and the token
budget computed once (`StepPrompt`), then handed to the model.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.actions import Action, Scroll, Type, grammar_max_chars, parse_action
from core.errors import ActionParseError, ModelError, PolicyError
from core.llm.base import Floor, LanguageModel
from core.policies.base import Candidate, StepContext
from core.policies.formats import BOUNDS, ActionFirst, ReasonFirst, format_for
from core.policies.grounding import Grounder
from core.prompts import chatml

log = logging.getLogger(__name__)
# When the prompt does not fit the context, the observation is cut at an element-line boundary
# (the tail is dropped with a "… N more elements trimmed" marker) in these steps.
TRIM_STEPS = (None, 6000, 4000, 2500, 1500, 800, 400)


@dataclass(frozen=True)
class StepPrompt:
    """One step's model input, computed once."""

    text: str
    tokens: list[int]
    gbnf: str
    max_tokens: int


class LocalPolicy:
    def __init__(self, llm: LanguageModel, *, temperature: float = 0.0, seed: int | None = None,
                 grounding: Grounder | None = None):
        """temperature > 0 samples (exploration); 0 is greedy (the product's default)."""
        self.llm = llm
        self.temperature = temperature
        self.seed = seed
        self.format = format_for(llm.prompt_style,
                                 copy=grounding is not None and grounding.copies_text,
                                 no_loops=grounding is not None,
                                 history=llm.history_steps)
        # Grounding reads the reason, which only a reason-first model writes before acting.
        # An action-first student gets the helps that fit it instead, when configured: the
        # most likely whole action over the page's action kinds (`_most_likely_kind`, by its
        # own likelihood), the copy grammar, and under any of them the grammar leaves out a
        # click that went round (formats.REVISIT_LIMIT). `off` is the model alone.
        self.grounding = grounding if isinstance(self.format, ReasonFirst) else None
        self.kind_search = (isinstance(self.format, ActionFirst) and grounding is not None
                            and grounding.kind_search)
        self.field_search = self.kind_search and grounding is not None and grounding.field_search
        self._system = self.format.system()
        self.parse_failures = 0
        self.decisions = 0

    @property
    def id(self) -> str:
        suffix = (f"+{self.grounding.name}" if self.grounding is not None
                  else "+fields" if self.field_search else "+kinds" if self.kind_search else "")
        if isinstance(self.format, ActionFirst) and self.format.copy:
            suffix += "+copy"
        return f"local:{self.llm.name}{suffix}"

    def step_prompt(self, context: StepContext) -> StepPrompt:
        budget = self.format.max_chars(context)
        for limit in TRIM_STEPS:
            text = chatml(self._system, self.format.user(context, limit))
            tokens = self.llm.tokenize(text)
            if len(tokens) + budget <= self.llm.n_ctx:
                if limit is not None:
                    log.info("observation trimmed to %d chars to fit the context", limit)
                return StepPrompt(text, tokens, self._grammar(context), budget)
        raise PolicyError("the task text and history alone do not fit the model's context")

    def _grammar(self, context: StepContext) -> str:
        gbnf = self.format.grammar(context)
        if self.llm.check_grammar(gbnf):
            return gbnf
        if isinstance(self.format, ReasonFirst):
            # An option text the grammar cannot spell: keep every action but `select`.
            log.warning("this page's drop-down options break the grammar; select disabled")
            return self.format.grammar(context, options=False)
        raise PolicyError("the action grammar for this page is malformed")

    def propose(self, context: StepContext, k: int = 1) -> list[Candidate]:
        step = self.step_prompt(context)
        try:
            seed = None if self.seed is None else self.seed + context.step
            gen = self.llm.generate(step.tokens, gbnf=step.gbnf, max_tokens=step.max_tokens,
                                    temperature=self.temperature, seed=seed)
        except ModelError as exc:
            raise PolicyError(str(exc)) from exc
        self.decisions += 1
        if self.kind_search:
            gen = self._most_likely_kind(context, step, gen)
        reason, action = self._parse(gen.text, context)
        meta: dict[str, object] = {"n_prompt": gen.n_prompt, "n_reused": gen.n_reused,
                                   "n_generated": gen.n_generated,
                                   "prefill_s": round(gen.prefill_s, 4),
                                   "decode_s": round(gen.decode_s, 4)}
        if self.grounding is not None:
            previous = context.history[-1].action.to_text() if context.history else ""
            grounded = self.grounding.ground(reason, action, context.observation, previous)
            if grounded != action:
                log.info("grounded %s → %s by the reason %r", action, grounded, reason)
                meta["grounded_from"] = action.to_text()
                action = grounded
        best = Candidate(action=action, rationale=reason,
                         score=gen.logprob_after(self.format.score_marker), source=self.id,
                         meta=meta)
        if k <= 1:
            return [best]
        candidates = [best, *self._alternatives(context, step, reason, best, k)]
        return sorted(candidates, key=lambda c: c.score, reverse=True)[:k]

    def _most_likely_kind(self, context: StepContext, step: StepPrompt, greedy):  # type: ignore[no-untyped-def]
        """Greedy decoding commits to the first token: a student whose free choice is a click
        on an element the page lacks starts 'click', and the grammar then forces it down an
        unlikely path (log-prob -10.9 for a click where 'stop []' has -1.2, after a sign-in).
        Decode the greedy action of every other kind on the page too (the prompt is in the KV
        cache: only the few action tokens are decoded) and keep the most likely whole action.
        Each such decoding stops as soon as it falls to the best score so far (`Floor`): an
        action's log-probability only drops token by token, so that one could not win, and
        most kinds are given up at their first token. The choice is the exhaustive search's."""
        assert isinstance(self.format, ActionFirst)
        best, best_score = greedy, greedy.logprob_after(self.format.score_marker)
        try:
            chosen = self.format.parse(greedy.text, context.observation)[1]
        except ActionParseError:
            chosen = None
        first = "act-" + chosen.NAME.replace("_", "-") if chosen is not None else ""
        # With the field search, `type` is searched field by field (the greedy one's field
        # already decoded): each field's greedy text, so the whole action's score says how
        # well that text fits that field.
        searches: list[tuple[str, int | None]] = []
        for kind in self.format.kinds(context):
            if kind == "act-type" and self.field_search:
                done = chosen.id if isinstance(chosen, Type) else None
                searches += [(kind, e.id) for e in self.format.fields(context) if e.id != done]
            elif kind != first:
                searches.append((kind, None))
        for kind, field in searches:
            try:
                gen = self.llm.generate(step.tokens,
                                        gbnf=self.format.grammar(context, kind, field),
                                        max_tokens=step.max_tokens, temperature=0.0,
                                        floor=Floor(self.format.score_marker, best_score))
            except ModelError:
                continue
            score = gen.logprob_after(self.format.score_marker)  # <= best_score if abandoned
            if score > best_score:
                best, best_score = gen, score
        return best

    def _parse(self, text: str, context: StepContext) -> tuple[str, Action]:
        try:
            return self.format.parse(text, context.observation)
        except ActionParseError as exc:
            # The grammar and the token budget make this unreachable; count it if it happens.
            self.parse_failures += 1
            log.warning("unparseable model output %r: %s", text, exc)
            return f"(model output was cut off: {exc})", Scroll("down")

    def _alternatives(self, context: StepContext, step: StepPrompt, reason: str,
                      best: Candidate, k: int) -> list[Candidate]:
        """Distinct actions sampled after the same reason (reason-first) or from the same
        prompt (action-first), scored by their log-probability."""
        obs = context.observation
        if isinstance(self.format, ActionFirst):
            prefix, gbnf, budget = step.tokens, step.gbnf, step.max_tokens
        else:
            prefix = self.llm.tokenize(step.text + f"REASON: {reason}\nACTION: ")
            gbnf = self.format.grammar(context, with_reason=False)
            budget = grammar_max_chars(obs.ids, obs.select_options, with_reason=False,
                                       bounds=BOUNDS)
        seen = {best.action.normalized()}
        found: list[Candidate] = []
        for attempt in range(2 * k):
            if len(found) >= k - 1:
                break
            gen = self.llm.generate(prefix, gbnf=gbnf, temperature=1.0, seed=attempt + 1,
                                    max_tokens=budget)
            try:
                action = (self.format.parse(gen.text, obs)[1]
                          if isinstance(self.format, ActionFirst)
                          else parse_action(gen.text, valid_ids=obs.ids))
            except ActionParseError:
                continue
            if action.normalized() in seen:
                continue
            seen.add(action.normalized())
            found.append(Candidate(action=action, rationale=reason, score=gen.logprob,
                                   source=self.id))
        return found
