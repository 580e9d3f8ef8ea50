"""Size and start time of the bundle (or of the source tree, for comparison).

    python3 installers/measure.py --bundle dist/symbiote [--tarball dist/symbiote-*.tar.gz]
    python3 installers/measure.py --source          # the same run from .venv, no bundle

Each run starts `symbiote smoke` (installers/symbiote_smoke.py) with QT_QPA_PLATFORM=offscreen
and a fresh SYMBIOTE_HOME, and timestamps its flushed lines from the moment the process is
spawned: time to window (the main window is shown), time to first step (the on-device model
chose its first action in Chromium), and the whole episode. Run 1 may pay for a cold disk
cache; the median is over all runs. Standard library only: it runs with any Python 3.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKS = {"window": re.compile(r"window shown"), "first_step": re.compile(r"\] step 1:"),
         "done": re.compile(r"\] done:")}


def tree_size(path: Path) -> int:
    """Bytes on disk as files (hard links counted once), like `du -sb`."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            st = os.lstat(os.path.join(dirpath, name))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


def biggest(internal: Path, top: int) -> list[tuple[int, str]]:
    sizes = []
    for child in internal.iterdir():
        is_dir = child.is_dir() and not child.is_symlink()
        sizes.append((tree_size(child) if is_dir else child.lstat().st_size, child.name))
    return sorted(sizes, reverse=True)[:top]


def one_run(cmd: list[str], task: str, timeout: float) -> dict[str, float]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with tempfile.TemporaryDirectory(prefix="symbiote-measure-") as home:
        env["SYMBIOTE_HOME"] = home
        t0 = time.perf_counter()
        proc = subprocess.Popen([*cmd, "smoke", "--task", task], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        times: dict[str, float] = {}
        lines: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip())
            for mark, pattern in MARKS.items():
                if mark not in times and pattern.search(line):
                    times[mark] = time.perf_counter() - t0
        code = proc.wait(timeout=timeout)
        times["exit"] = time.perf_counter() - t0
        if code != 0 or "window" not in times:
            tail = "\n".join(lines[-30:])
            sys.exit(f"smoke run failed (exit {code}):\n{tail}")
        return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--bundle", type=Path, help="the bundle folder (dist/symbiote or an "
                       "installed ~/.local/lib/symbiote)")
    where.add_argument("--source", action="store_true", help="run from .venv instead")
    parser.add_argument("--tarball", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--task", default="practice/webmail-logout")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()

    if args.source:
        cmd = [str(ROOT / ".venv" / "bin" / "python"),
               str(ROOT / "installers" / "symbiote_entry.py")]
        print(f"source: {ROOT} (.venv)")
    else:
        exe = args.bundle / "symbiote"
        if not exe.is_file():
            sys.exit(f"no executable at {exe}")
        cmd = [str(exe)]
        print(f"bundle: {args.bundle.resolve()}  {tree_size(args.bundle) / 1e6:.0f} MB unpacked")
        if args.tarball:
            print(f"tarball: {args.tarball.name}  {args.tarball.stat().st_size / 1e6:.0f} MB")
        internal = args.bundle / "_internal"
        if internal.is_dir():
            print("largest parts: " + ", ".join(f"{name} {size / 1e6:.0f} MB"
                                                for size, name in biggest(internal, 10)))
    runs = []
    for i in range(args.runs):
        times = one_run(cmd, args.task, args.timeout)
        runs.append(times)
        print(f"run {i + 1}: " + "  ".join(f"{k} {v:.2f} s" for k, v in times.items()))
    for mark in ("window", "first_step", "done", "exit"):
        values = [r[mark] for r in runs if mark in r]
        if values:
            print(f"median time to {mark:<10} {statistics.median(values):6.2f} s  "
                  f"(runs: {', '.join(f'{v:.2f}' for v in values)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
