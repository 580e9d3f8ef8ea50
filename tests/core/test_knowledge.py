"""Knowledge base: real MiniLM + hnswlib, and its demonstrations in a cloud prompt."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.agent import demonstrations
from core.browser.views import Element, Observation
from core.errors import KnowledgeError
from core.knowledge.service import KnowledgeBase
from core.policies.base import StepContext
from core.privacy.boundary import Boundary
from core.privacy.detector import PrivacyDetector
from core.prompts import prompt_parts
from core.store.service import TrajectoryStore
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
    section = again.demonstrations(k=2)(ctx)
    assert section.startswith("Solved examples") and "EXAMPLE 2" in section
    assert "type [5]" not in section  # its own episode (id 2) is not a demonstration


def test_unreadable_index_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "kb.hnsw").write_bytes(b"garbage")
    (tmp_path / "kb.json").write_text("{}")
    with pytest.raises(KnowledgeError, match="rebuild it"):
        KnowledgeBase(tmp_path / "kb.hnsw")


def test_cloud_prompt_gets_redacted_demonstrations_from_the_kb_next_to_the_db(
        tmp_path: Path, detector: PrivacyDetector) -> None:
    store = TrajectoryStore(tmp_path / "s.db")
    demo = episode(1, "miniwob/enter-text")
    base = KnowledgeBase.for_db(store.path)
    base.add_episodes([demo.model_copy(update={"intent": "Enter 'Kasey Smith' for "
                                               "kasey@mail.example into the field."})])
    base.save()
    retrieve = demonstrations(store)
    assert retrieve is not None
    ctx = StepContext(intent="Enter 'Bob' into the text field.", step=0,
                      observation=Observation("x", "", (Element("5", "textbox", "", 0),)))
    release = Boundary(detector, "hybrid-redact").release(
        prompt_parts(ctx, demonstrations=retrieve(ctx)))
    user = release.parts.user_text()
    assert release.allowed
    assert "Solved examples of similar steps" in user and "ACTION: type [5] [Kasey] [0]" in user
    assert "kasey@mail.example" not in user  # redacted on the device first, like every part
