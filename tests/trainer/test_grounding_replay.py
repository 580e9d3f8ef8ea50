"""`python -m trainer.bench.grounding_replay`: which stored clicks a grounder moves."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.policies.grounding import RuleGrounding
from core.store.service import TrajectoryStore
from core.store.views import StepRecord
from tests.core.test_grounding import INBOX
from trainer.bench.grounding_replay import replay


def test_grounding_replay_lists_the_clicks_the_rules_move(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = TrajectoryStore(tmp_path / "t.db")
    for outcome, reason, click in [("failure", "The trash icon of Fernandina's email.", "19"),
                                   ("success", "The trash icon of Sherline's email.", "19")]:
        eid = store.start_episode(task_id="miniwob/email-inbox-delete", intent="delete it",
                                  start_url="http://x/", mode="local", policy="local:m")
        store.add_step(eid, StepRecord(idx=0, url="http://x/", observation=INBOX.text(),
                                       action=f"click [{click}]", rationale=reason))
        store.finish_episode(eid, outcome=outcome, reward=0.0)
    store.close()
    assert replay(tmp_path / "t.db", RuleGrounding(), None) == {"failure": 1}
    assert "click [19] (img 'trash') -> now click [13] (img 'trash')" in capsys.readouterr().out
