"""Speculative data synthesis as a router: the small model's proposal is executed when the
large seat's top-K holds it."""

from __future__ import annotations

from core.actions import parse_action
from core.browser.views import Element, Observation
from core.policies.base import Candidate, StepContext
from trainer.speculative import SpeculativeRouter, accepts


class Fixed:
    def __init__(self, pid: str, actions: list[str]):
        self._id, self.actions = pid, actions

    @property
    def id(self) -> str:
        return self._id

    def propose(self, context: StepContext, k: int = 1) -> list[Candidate]:
        return [Candidate(parse_action(a), f"{self._id} says {a}", -float(i), self._id)
                for i, a in enumerate(self.actions[:k])]


CTX = StepContext(intent="x", observation=Observation("u", "", (Element("3", "button", "A", 0),
                                                               Element("4", "button", "B", 0))))


def test_speculative_accepts_inside_top_k_and_logs_it() -> None:
    router = SpeculativeRouter(Fixed("small", ["click [4]"]),
                               Fixed("large", ["click [3]", "CLICK  [4]", "scroll [down]"]), k=3)
    decision = router.decide(CTX)
    assert decision.action.to_text() == "click [4]" and decision.policy_id == "small"
    assert router.log_rows[-1]["accepted"] is True
    assert router.log_rows[-1]["large_top_k"] == ["click [3]", "click [4]", "scroll [down]"]
    assert decision.candidates[0].source == "small" and len(decision.candidates) == 4
    assert router.acceptance_rate == 1.0


def test_speculative_rejects_outside_top_k_and_logs_it() -> None:
    router = SpeculativeRouter(Fixed("small", ["scroll [up]"]),
                               Fixed("large", ["click [3]", "click [4]", "scroll [down]"]), k=2)
    decision = router.decide(CTX)
    assert decision.action.to_text() == "click [3]" and decision.policy_id == "large"
    assert decision.meta["speculative"]["accepted"] is False  # type: ignore[index]
    assert router.acceptance_rate == 0.0
    small = Candidate(parse_action("scroll [down]"), "", 0, "s")
    large = Fixed("l", ["click [3]", "click [4]", "scroll [down]"])
    assert not accepts(small, large.propose(CTX, 2))
    assert accepts(small, large.propose(CTX, 3))
