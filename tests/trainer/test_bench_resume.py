"""`symbiote bench --resume`: an interrupted run goes on from its results file without running
or storing an episode twice; another run's file is one clear error; episodes the database no
longer holds run again."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import trainer.bench.runner as runner
from app.cli.main import main


def stored(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT task_id, outcome FROM episodes ORDER BY id").fetchall()


class Calls:
    """The seeds run_episode is called for; the run stops (Ctrl-C) on a seed in `stop`."""

    def __init__(self) -> None:
        self.seeds: list[int | None] = []
        self.stop: set[int] = set()


@pytest.fixture()
def calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Calls:
    monkeypatch.setenv("SYMBIOTE_HOME", str(tmp_path / "home"))
    real, calls = runner.run_episode, Calls()

    def counting(task, session, router, **kwargs):  # type: ignore[no-untyped-def]
        calls.seeds.append(kwargs["options"].seed)
        if kwargs["options"].seed in calls.stop:
            raise KeyboardInterrupt
        return real(task, session, router, **kwargs)

    monkeypatch.setattr(runner, "run_episode", counting)
    return calls


def bench(tmp_path: Path, *extra: str, tasks: str = "signin") -> int:
    return main(["bench", "synthetic", "--tasks", tasks, "--episodes", "3", "--seed", "0",
                 "--mode", "cloud", "--large", "teacher", "--db", str(tmp_path / "run.db"),
                 "--out", str(tmp_path / "run.json"), *extra])


def test_an_interrupted_bench_resumes_where_it_stopped(tmp_path: Path,
                                                       calls: Calls) -> None:
    calls.stop.add(1)
    assert bench(tmp_path) == 130  # Ctrl-C during the second episode
    partial = json.loads((tmp_path / "run.json").read_text())
    assert not partial["complete"] and partial["episodes"] == 1
    assert stored(tmp_path / "run.db") == [("synthetic/signin/0", "success")]

    calls.stop.clear()
    calls.seeds.clear()
    assert bench(tmp_path, "--resume") == 0
    assert calls.seeds == [1, 2]  # seed 0 is not run again
    results = json.loads((tmp_path / "run.json").read_text())
    assert results["complete"] and results["episodes"] == 3 and results["success_rate"] == 1.0
    assert [(e["task"], e["seed"]) for e in results["episode_list"]] == [
        ("synthetic/signin/0", 0), ("synthetic/signin/1", 1), ("synthetic/signin/2", 2)]
    assert stored(tmp_path / "run.db") == [(f"synthetic/signin/{s}", "success") for s in range(3)]

    calls.seeds.clear()  # resuming a finished run runs nothing and stores nothing
    assert bench(tmp_path, "--resume") == 0
    assert calls.seeds == [] and len(stored(tmp_path / "run.db")) == 3


def test_resume_refuses_another_runs_file_and_reruns_what_the_db_lost(
        tmp_path: Path, calls: Calls, capsys: pytest.CaptureFixture[str]) -> None:
    calls.stop.add(2)
    assert bench(tmp_path) == 130
    before = (tmp_path / "run.json").read_text()
    assert bench(tmp_path, "--resume", tasks="signup") == 2
    assert "holds another run" in capsys.readouterr().err
    assert (tmp_path / "run.json").read_text() == before  # nothing lost

    (tmp_path / "run.json").write_bytes(b"\xff\x00 not json")
    assert bench(tmp_path, "--resume") == 2
    assert "not a bench results file" in capsys.readouterr().err
    (tmp_path / "run.json").write_text(before)

    (tmp_path / "run.db").unlink()  # the file lists episodes the database no longer holds
    calls.stop.clear()
    calls.seeds.clear()
    assert bench(tmp_path, "--resume") == 0
    assert calls.seeds == [0, 1, 2]
    assert len(stored(tmp_path / "run.db")) == 3


@pytest.mark.parametrize(("flags", "message"), [
    (["--slips", "1"], "--slips needs --speculative"),
    (["--speculative", "--large", "claude"], "--speculative runs with --large teacher"),
    (["--speculative", "--large", "teacher", "--mode", "hybrid"], "leave out --mode"),
])
def test_speculative_data_runs_only_with_the_on_device_teacher(
        tmp_path: Path, flags: list[str], message: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`bench --speculative` sends every page to the large seat, so only the teacher, which
    runs on the device, may be that seat; a wrong combination is one error and runs nothing."""
    assert main(["bench", "synthetic", "--tasks", "signin", "--small", "smollm2-135m-instruct",
                 "--db", str(tmp_path / "run.db"), "--out", str(tmp_path / "run.json"),
                 *flags]) != 0
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run.json").exists()
