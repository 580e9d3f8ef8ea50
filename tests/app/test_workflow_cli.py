"""`symbiote workflow save|run|list|show|delete` end to end: a teacher episode saved from the
store replays from the command line with another product, no model loaded, no cloud request."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.browser.session import BrowserSession
from core.loop import EpisodeOptions, run_episode
from core.routing.base import SingleSeatRouter
from core.store.recorder import StoreRecorder
from core.store.service import TrajectoryStore
from tests.support.cli import cli
from trainer.suites.practice.solvers import SOLVERS
from trainer.suites.practice.tasks import demo_secrets, load_practice_tasks
from trainer.suites.sites import SiteServer
from trainer.teacher import TeacherPolicy


def test_workflow_commands(server: SiteServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    from core.llm import llama

    monkeypatch.setenv("SYMBIOTE_HOME", str(tmp_path / "home"))
    db = tmp_path / "symbiote.db"
    store = TrajectoryStore(db)
    task = next(t for t in load_practice_tasks(server.base_url)
                if t.config.task_id == "shop-add-socks")
    with BrowserSession() as session:
        taught = run_episode(task, session, SingleSeatRouter(TeacherPolicy(SOLVERS)),
                             secrets=demo_secrets(), hooks=[StoreRecorder(store)],
                             options=EpisodeOptions(source="teacher"))
    assert taught.outcome == "success"

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a replay loaded llama.cpp")
    monkeypatch.setattr(llama.LlamaModel, "__init__", refuse)

    assert cli("workflow", "save", str(taught.episode_id), "--name", "socks",
               "--param", "product=Merino Wool Socks (2 pairs)", "--db", str(db)) == 0
    assert "parameters: product='Merino Wool Socks (2 pairs)', quantity='2'" in \
        capsys.readouterr().out
    assert cli("workflow", "save", "999", "--name", "x", "--db", str(db)) == 2
    assert cli("workflow", "run", "socks", "--set", "product=Enamel Camping Mug",
               "--set", "quantity=3", "--db", str(db)) == 0
    out = capsys.readouterr().out
    assert "replayed 4 of 4 step(s) with no model" in out and "SUCCESS" in out
    last = store.episode(store.episode_ids()[-1])
    assert last.source == "workflow" and last.outcome == "success"
    assert "type [" in last.steps[1].action and last.steps[1].action.endswith("[3] [0]")
    assert store.cloud_requests(last.id) == []
    assert cli("workflow", "run", "socks", "--set", "colour=red", "--db", str(db)) == 2
    assert "no parameter colour" in capsys.readouterr().err

    assert cli("workflow", "list") == 0
    assert "socks" in capsys.readouterr().out
    assert cli("workflow", "show", "socks") == 0
    assert '"{{param:product}}"' in capsys.readouterr().out
    assert cli("workflow", "delete", "socks") == 0
    assert cli("workflow", "show", "socks") == 2
