"""Scale-out over Ray workers (trainer.scale): `--workers 2` stores exactly the episodes
`--workers 1` stores, in the same order, through the one writer; a worker killed with SIGKILL
mid-episode loses only that episode, which is retried on the other worker."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sqlite3
import sys
import threading
import time
from pathlib import Path

import pytest

from app.cli.main import main
from core.store.service import TrajectoryStore

# find_spec, not importorskip: the first test checks that `--workers 1` never imports ray
pytestmark = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                                reason="the scale extra (pip install '.[scale]') is missing")

TASKS = ["webmail-login", "webmail-logout", "shop-open-product", "account-email"]


def stored(db: Path) -> list[tuple[str, int, str, int]]:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute(
            "SELECT task_id, seed, outcome, (SELECT COUNT(*) FROM steps s "
            "WHERE s.episode_id = e.id) FROM episodes e ORDER BY id").fetchall()


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SYMBIOTE_HOME", str(tmp_path / "home"))
    return tmp_path


def bench(home: Path, name: str, workers: int) -> dict[str, object]:
    out = home / f"{name}.json"
    code = main(["bench", "practice", "--tasks", ",".join(TASKS), "--mode", "cloud",
                 "--large", "teacher", "--db", str(home / f"{name}.db"), "--out", str(out),
                 "--workers", str(workers)])
    assert code == 0
    return json.loads(out.read_text())


def test_two_workers_store_the_episodes_one_worker_stores(home: Path) -> None:
    one = bench(home, "one", 1)
    assert "ray" not in sys.modules, "--workers 1 must not import ray"
    two = bench(home, "two", 2)
    expected = [(f"practice/{t}", 1000) for t in TASKS]
    rows_one, rows_two = stored(home / "one.db"), stored(home / "two.db")
    assert [r[:2] for r in rows_one] == expected
    assert rows_two == rows_one  # same tasks, seeds, outcomes and step counts, in job order
    assert all(r[2] == "success" and r[3] > 0 for r in rows_two)
    assert two["workers"] == 2 and two["complete"] and two["leaks"] == 0
    assert two["episodes"] == one["episodes"] == 4
    assert two["router_stats"] == one["router_stats"]  # type: ignore[index]
    # the step rows are the recorder's: same actions, masked the same way
    store_one, store_two = TrajectoryStore(home / "one.db"), TrajectoryStore(home / "two.db")
    for a, b in zip(store_one.episode_ids(), store_two.episode_ids(), strict=True):
        assert ([s.action for s in store_one.episode(a).steps]
                == [s.action for s in store_two.episode(b).steps])


def test_a_worker_killed_mid_episode_is_retried_on_the_other(tmp_path: Path) -> None:
    from trainer.bench.runner import Job
    from trainer.scale import PolicySpec, WorkerPool, run_bench_distributed
    from trainer.suites.practice.tasks import demo_secrets, load_practice_tasks
    from trainer.suites.sites import SiteServer

    names = ["webmail-forward-invoice", "webmail-logout", "shop-open-product", "account-email"]
    store = TrajectoryStore(tmp_path / "kill.db")
    killed: list[dict[str, object]] = []
    with SiteServer() as server, WorkerPool(2) as pool:
        by_id = {t.config.task_id: t for t in load_practice_tasks(server.base_url)}
        jobs = [Job(by_id[n], 7, demo_secrets(server.base_url)) for n in names]

        def kill_mid_episode() -> None:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                for status in pool.statuses():
                    if status.get("index") == 0 and int(status.get("step", 0)) >= 1:
                        os.kill(int(status["pid"]), signal.SIGKILL)
                        killed.append(status)
                        return
                time.sleep(0.05)

        killer = threading.Thread(target=kill_mid_episode, daemon=True)
        killer.start()
        results = run_bench_distributed(jobs, PolicySpec(kind="teacher"), pool, store,
                                        tmp_path / "kill.json", {"suite": "practice"},
                                        mode="cloud", source="teacher")
        killer.join(timeout=5)
    assert killed, "no worker was seen mid-episode"
    assert results["retries"] == 1 and results["worker_deaths"] == 1
    rows = stored(tmp_path / "kill.db")
    assert [r[:2] for r in rows] == [(f"practice/{n}", 7) for n in names]  # nothing lost
    assert all(r[2] == "success" for r in rows)  # the killed one too, on its retry
    episodes = results["episode_list"]
    assert [e["task"] for e in episodes] == [f"practice/{n}" for n in names]  # type: ignore[index]
    assert json.loads((tmp_path / "kill.json").read_text())["complete"] is True
