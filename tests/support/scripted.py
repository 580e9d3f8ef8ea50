"""A scripted test policy (tests only): plays a fixed list of actions, one per step."""

from __future__ import annotations

import time
from collections.abc import Callable

from core.actions import parse_action
from core.policies.base import Candidate, StepContext

ActionFn = Callable[[StepContext], str]


class ScriptedPolicy:
    """Each script entry is action text, or a function of the step context returning it."""

    def __init__(self, script: list[str | ActionFn], delay_s: float = 0.0, id: str = "scripted"):
        self.script = script
        self.delay_s = delay_s
        self._id = id

    @property
    def id(self) -> str:
        return self._id

    def propose(self, context: StepContext, k: int = 1) -> list[Candidate]:
        if self.delay_s:
            time.sleep(self.delay_s)
        entry = self.script[min(context.step, len(self.script) - 1)]
        text = entry(context) if callable(entry) else entry
        return [Candidate(action=parse_action(text), rationale=f"scripted step {context.step}",
                          score=0.0, source=self.id)]


def element_id(context: StepContext, role: str, name: str) -> str:
    for element in context.observation.elements:
        if element.role == role and element.name == name:
            return element.id
    raise AssertionError(f"no {role} {name!r} on the page")
