"""Knowledge base (real MiniLM + hnswlib) and the speculative-synthesis router."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.actions import parse_action
from core.browser.views import Element, Observation
from core.knowledge.service import KnowledgeBase
from core.policies.base import Candidate, StepContext
from core.speculative import SpeculativeRouter, accepts
from core.store.views import EpisodeRecord, StepRecord

TASKS = {
    "miniwob/click-button": ("Click on the 'Submit' button.",
                             "[3] button 'Submit'\n[4] button 'Cancel'",
                             "click [3]"),
    "miniwob/enter-text": ("Enter 'Kasey' into the text field and press Submit.",
                           "[5] textbox ''\n[6] button 'Submit'", "type [5] [Kasey] [0]"),
    "miniwob/choose-list": ("Select Lima from the list and click Submit.",
                            "[7] combobox '' options='Lima|Oslo'\n[8] button 'Submit'",
                            "select [7] [Lima]"),
    "practice/account-email": ("What email address is on my account?",
                               "[2] heading 'Profile'\n[9] StaticText 'Email'", "stop [x]"),
}


def episode(eid: int, task: str) -> EpisodeRecord:
    intent, obs, action = TASKS[task]
    return EpisodeRecord(id=eid, task_id=task, intent=intent,
                         start_url="http://x/", mode="cloud", policy="teacher", source="teacher",
                         outcome="success", started_at="2026-01-01",
                         steps=[StepRecord(idx=0, url="http://x/", observation="URL: x\n" + obs,
                                           action=action, rationale=f"because {task}")])


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    base = KnowledgeBase(tmp_path_factory.mktemp("kb") / "kb.hnsw")
    assert base.add_episodes([episode(i, t) for i, t in enumerate(TASKS, 1)]) == 4
    assert base.add_episodes([episode(1, "miniwob/click-button")]) == 0  # already indexed
    return base


def test_a_known_trajectory_comes_back_for_its_own_task(kb: KnowledgeBase) -> None:
    for task, (intent, obs, action) in TASKS.items():
        hits = kb.search(intent, "URL: x\n" + obs, k=2)
        assert hits[0][0].task_id == task and hits[0][0].action == action
        assert hits[0][1] > hits[1][1]


def test_persisted_index_reloads_and_excludes_the_running_episode(kb: KnowledgeBase) -> None:
    kb.save()
    again = KnowledgeBase(kb.index_path)
    assert len(again) == 4
    intent, obs, _ = TASKS["miniwob/enter-text"]
    ctx = StepContext(intent=intent, episode_id=2,
                      observation=Observation("x", "", (Element("5", "textbox", "", 0),)))
    section = again.demonstrations(k=2, redact=lambda s: s.replace("Kasey", "<PERSON_1>"))(ctx)
    assert section.startswith("Solved examples") and "EXAMPLE 2" in section
    assert "Kasey" not in section  # redacted before it can enter a cloud prompt
    assert "type [5]" not in section  # its own episode (id 2) is not a demonstration


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


def test_unreadable_index_is_a_clear_error(tmp_path: Path) -> None:
    from core.knowledge.service import KnowledgeError

    (tmp_path / "kb.hnsw").write_bytes(b"garbage")
    (tmp_path / "kb.json").write_text("{}")
    with pytest.raises(KnowledgeError, match="rebuild it"):
        KnowledgeBase(tmp_path / "kb.hnsw")


def test_cloud_prompt_gets_redacted_demonstrations_from_the_kb_next_to_the_db(
        tmp_path: Path) -> None:
    from core.agent import AgentConfig, large_policy
    from core.store.service import TrajectoryStore

    store = TrajectoryStore(tmp_path / "s.db")
    demo = episode(1, "miniwob/enter-text")
    base = KnowledgeBase.for_db(store.path)
    base.add_episodes([demo.model_copy(update={"intent": "Enter 'Kasey Smith' for "
                                               "kasey@mail.example into the field."})])
    base.save()
    policy = large_policy(AgentConfig(mode="cloud", large="claude", store=store))
    ctx = StepContext(intent="Enter 'Bob' into the text field.", step=0,
                      observation=Observation("x", "", (Element("5", "textbox", "", 0),)))
    user = policy.build_payload(ctx)["messages"][0]["content"]  # type: ignore[attr-defined,index]
    assert "Solved examples of similar steps" in user and "ACTION: type [5] [Kasey] [0]" in user
    assert "kasey@mail.example" not in user  # redacted on the device first
