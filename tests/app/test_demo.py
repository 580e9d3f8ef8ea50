"""`make demo` as a user runs it: the shipped default student, on the device, solves the demo
task (the practice webmail's sign-in) in real Chromium. This is the one test in `make test` that
loads the shipped model, so CI keeps the README's first command true."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_default_solves_the_demo_task(tmp_path: Path) -> None:
    env = {**os.environ, "SYMBIOTE_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-m", "app.cli.main", "demo"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mode: local" in result.stdout
    assert "outcome: SUCCESS" in result.stdout, result.stdout
    # the vault's demo password is typed by the executor, never printed
    from trainer.suites.practice.tasks import demo_secrets

    for value in demo_secrets().values():
        assert value not in result.stdout + result.stderr
