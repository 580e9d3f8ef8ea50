"""Speculative data synthesis as a router: the small model's proposal is executed when the
large seat's top-K holds it, and (slips) the student's own mistakes with their corrections."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from core.actions import parse_action
from core.browser.session import BrowserSession
from core.browser.views import Element, Observation
from core.loop import EpisodeOptions, run_episode
from core.policies.base import Candidate, StepContext
from core.privacy.secrets import NO_SECRETS
from core.store.recorder import StoreRecorder
from core.store.service import TrajectoryStore
from trainer.dataset import build_student_examples, load_episodes
from trainer.speculative import SpeculativeRouter, accepts
from trainer.suites.sites import SiteServer
from trainer.suites.synthetic import site as synthetic
from trainer.suites.synthetic.solver import solve
from trainer.suites.synthetic.task import SyntheticTask
from trainer.teacher import TeacherPolicy


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


def test_a_slip_is_executed_with_the_large_models_correction_beside_it() -> None:
    """With slips=1 the first rejected proposal of an episode is executed (DAgger-style), the
    large model's best is kept as the step's label; the next rejection is overridden, and a
    new episode may slip again. A rejected `stop` is never executed: it would end the run."""
    router = SpeculativeRouter(Fixed("small", ["scroll [up]"]),
                               Fixed("large", ["click [3]", "click [4]"]), k=2, slips=1)
    router.start_episode(NO_SECRETS)
    slipped = router.decide(CTX)
    assert slipped.action.to_text() == "scroll [up]" and slipped.policy_id == "small"
    assert [c.meta.get("label", False) for c in slipped.candidates] == [False, True, False]
    assert slipped.candidates[1].action.to_text() == "click [3]"
    assert router.log_rows[-1]["slip"] is True and router.acceptance_rate == 0.0
    overridden = router.decide(CTX)
    assert overridden.action.to_text() == "click [3]" and router.log_rows[-1]["slip"] is False
    router.start_episode(NO_SECRETS)
    assert router.decide(CTX).action.to_text() == "scroll [up]"
    stopper = SpeculativeRouter(Fixed("small", ["stop [done]"]), Fixed("large", ["click [3]"]),
                                k=1, slips=1)
    stopper.start_episode(NO_SECRETS)
    assert stopper.decide(CTX).action.to_text() == "click [3]"


def test_a_slip_through_the_real_loop_is_stored_and_taught_as_its_correction(
        tmp_path: Path, server: SiteServer, session: BrowserSession) -> None:
    """End to end in Chromium: a student that types a wrong value first, the synthetic teacher
    as the large seat. The slip is executed, the teacher recovers, the episode succeeds, the
    store keeps the label, and the examples teach the correction with the slip in history."""
    teacher = TeacherPolicy({}, families={"synthetic/": solve})

    class Slipper:
        id = "slipper"

        def propose(self, context: StepContext, k: int = 1) -> list[Candidate]:
            box = next((e for e in context.observation.elements if e.role == "textbox"), None)
            if context.step == 0 and box is not None:
                return [Candidate(parse_action(f"type [{box.id}] [oops] [0]"), "", 0.0, self.id)]
            return [replace(c, source=self.id) for c in teacher.propose(context, 1)]

    spec = synthetic.spec("signin", 5)
    task = SyntheticTask(replace(spec, max_steps=spec.max_steps + 4), server.base_url)
    store = TrajectoryStore(tmp_path / "t.db")
    router = SpeculativeRouter(Slipper(), teacher, k=3, slips=1)
    result = run_episode(task, session, router, secrets=task.secrets,
                         hooks=[StoreRecorder(store)],
                         options=EpisodeOptions(mode="speculative", source="speculative"))
    assert result.outcome == "success", task.last_failures
    assert [r["slip"] for r in router.log_rows].count(True) == 1
    [episode] = load_episodes(store)
    first = episode.steps[0]
    assert "[oops]" in first.action
    [label] = [str(c["action"]) for c in first.candidates if c.get("label")]
    assert label.split(" ")[0] == spec.plan[0].kind and "oops" not in label
    examples = build_student_examples([episode], style="student-items")
    assert len(examples) == len(episode.steps)
    assert not any("oops" in e.target for e in examples)
    assert any("[oops]" in e.prompt for e in examples)  # the history shows what was done
