"""The trajectory store: steps committed as they happen, kill -9 safe, export round-trips."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.errors import StoreError
from core.store.export import export_jsonl, read_jsonl, redact_episode, to_chat
from core.store.service import TrajectoryStore
from core.store.views import StepRecord

CHILD = r'''
import sys
sys.path.insert(0, {root!r})
from core.browser.session import BrowserSession
from core.loop import run_episode
from core.routing.base import SingleSeatRouter
from core.store.recorder import StoreRecorder
from core.store.service import TrajectoryStore
from core.tasks import AdHocTask
from tests.support.scripted import ScriptedPolicy

store = TrajectoryStore({db!r})
# alternating, so the loop's guard against one action repeated to no effect never stops it
policy = ScriptedPolicy([lambda ctx: "scroll [down]" if ctx.step % 2 == 0 else "scroll [up]"],
                        delay_s=0.3)
task = AdHocTask(intent="scroll forever", start_url={url!r}, max_steps=200)
with BrowserSession() as session:
    run_episode(task, session, SingleSeatRouter(policy), hooks=[StoreRecorder(store)])
'''


def _fake_episode(store: TrajectoryStore, steps: int = 3) -> int:
    episode_id = store.start_episode(task_id="t/1", intent="do it", start_url="http://x/",
                                     mode="local", policy="p")
    for idx in range(steps):
        store.add_step(episode_id, StepRecord(
            idx=idx, url="http://x/", observation=f"URL: http://x/\n[1] button 'B{idx}'",
            action="click [1]", rationale=f"because {idx}", policy_id="p",
            prompt_history=["click [1]"] * idx, latency_ms=12.5))
    store.finish_episode(episode_id, outcome="success", reward=1.0, answer="")
    return episode_id


def test_export_round_trip(tmp_path: Path) -> None:
    store = TrajectoryStore(tmp_path / "db.sqlite")
    ids = [_fake_episode(store), _fake_episode(store, 2)]
    out = tmp_path / "export.jsonl"
    assert export_jsonl(store, out) == 2
    back = read_jsonl(out)
    assert [e.episode for e in back] == [store.episode(i) for i in ids]
    chat = back[0].messages
    assert [m.role for m in chat] == ["system"] + ["user", "assistant"] * 3
    assert chat[2].content == "REASON: because 0\nACTION: click [1]"
    assert "PREVIOUS ACTIONS:\nclick [1]\nclick [1]" in chat[5].content
    assert to_chat(store.episode(ids[0])) == back[0]


def test_corrupt_rows_are_reported(tmp_path: Path) -> None:
    store = TrajectoryStore(tmp_path / "db.sqlite")
    good, bad = _fake_episode(store), _fake_episode(store)
    store.db.execute("UPDATE steps SET findings = '{not json' WHERE episode_id = ?", [bad])
    store.db.conn.commit()
    with pytest.raises(StoreError, match=f"corrupt step row 0 of episode {bad}"):
        store.episode(bad)
    assert [e.id for e in store.iter_episodes([good, bad])] == [good]
    bad_line = tmp_path / "bad.jsonl"
    bad_line.write_text('{"format": "symbiote.episode.v1"}\n')
    with pytest.raises(StoreError, match="bad.jsonl:1"):
        read_jsonl(bad_line)


def test_a_corrupt_row_is_reported_without_the_values_it_holds(tmp_path: Path) -> None:
    store = TrajectoryStore(tmp_path / "db.sqlite")
    bad = _fake_episode(store)
    store.db.execute("UPDATE steps SET latency_ms = 'jamie.rivera@mail.example' "
                     "WHERE episode_id = ?", [bad])
    store.db.conn.commit()
    with pytest.raises(StoreError, match="corrupt step row 0") as raised:
        store.episode(bad)
    assert "jamie.rivera" not in str(raised.value)


def test_a_redacted_episode_leaves_no_text_field_alone(tmp_path: Path) -> None:
    store = TrajectoryStore(tmp_path / "db.sqlite")
    episode = store.episode(_fake_episode(store))
    marked = redact_episode(episode, lambda text, where: f"<{where}>" if text else text)
    step = marked.steps[0]
    assert (marked.intent, marked.start_url, step.url, step.action) == (
        "<task>", "<task>", "<task>", "<task>")
    assert step.observation == "<observation>"
    assert (marked.task_id, marked.mode, step.policy_id) == ("t/1", "local", "p")


def test_unwritable_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot open the database"):
        TrajectoryStore(blocker / "sub" / "db.sqlite")


def test_kill_9_mid_episode_keeps_committed_steps(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>tall</p><div style='height:4000px'></div></body></html>")
    db = tmp_path / "kill.db"
    script = CHILD.format(root=str(Path(__file__).parents[2]), db=str(db), url=page.as_uri())
    child = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        count = 0
        while time.monotonic() < deadline:
            if db.exists():
                try:
                    with sqlite3.connect(db) as conn:
                        count = conn.execute("SELECT COUNT(*) FROM steps").fetchone()[0]
                except sqlite3.OperationalError:
                    count = 0
            if count >= 4:
                break
            time.sleep(0.1)
        assert count >= 4, "the child wrote no steps in time"
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    store = TrajectoryStore(db)
    assert store.integrity_ok()
    (episode_id,) = store.episode_ids()
    episode = store.episode(episode_id)
    assert episode.outcome == "running"  # it never finished
    idxs = [s.idx for s in episode.steps]
    assert len(idxs) >= count and idxs == list(range(len(idxs)))
    assert all(s.action in ("scroll [down]", "scroll [up]") for s in episode.steps)
