"""Scale-out speed: the same episodes at `--workers 1` (this process, no Ray) and `--workers N`
(Ray workers, trainer.scale), side by side in one run:

    python -m trainer.bench.scale_speed                 # teacher: 24 dev tasks x 2 seeds;
                                                        # model: 12 dev tasks x 2 seeds
    python -m trainer.bench.scale_speed --model-tasks 24 --workers 2

Two cases:
- teacher: the reference solvers alone (the cycle's teacher phases): each step is a page
  observation and an action in Chromium, so the work is the browser's — it scales with cores;
- model: the shipped on-device model (`--mode local`, the active registry model with click
  grounding): each step is a llama.cpp decision, CPU-bound, so two workers on two cores share
  the same compute and cannot gain much.

Printed per case and worker count: setup (workers 1: the router, its model; workers N: Ray's
start and every worker's Chromium and model), the episodes' wall time, the total, episodes/min,
success; then the ratios (workers 1 / workers N). The machine's load (1-minute average) is
sampled through each run, since other jobs may share the cores. Both runs must store the same
episodes (task ids and seeds, in job order); that is checked too.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.agent import AgentConfig, build_router
from core.routing.base import SingleSeatRouter
from core.store.service import TrajectoryStore
from trainer.bench.runner import Job, run_bench
from trainer.scale import PolicySpec, WorkerPool, run_bench_distributed
from trainer.suites import reference_teacher
from trainer.suites.miniwob.tasks import MiniWoBTask, dev_task_names
from trainer.suites.sites import SiteServer


@dataclass
class Run:
    case: str
    workers: int
    episodes: int = 0
    success_rate: float = 0.0
    setup_s: float = 0.0
    episodes_s: float = 0.0
    total_s: float = 0.0
    load: list[float] = field(default_factory=list)
    stored: list[tuple[str, int]] = field(default_factory=list)

    @property
    def per_min(self) -> float:
        return 60 * self.episodes / self.episodes_s if self.episodes_s else 0.0


class LoadSampler:
    """The 1-minute load average, every few seconds, while a run goes."""

    def __init__(self, every_s: float = 5.0):
        self.every_s, self.samples = every_s, [os.getloadavg()[0]]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])


def stored(db: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return [(t, s) for t, s in conn.execute("SELECT task_id, seed FROM episodes ORDER BY id")]


def run_case(case: str, names: list[str], seeds: list[int], workers: int, work: Path,
             small: str | None) -> Run:
    run = Run(case, workers)
    db, out = work / f"{case}-w{workers}.db", work / f"{case}-w{workers}.json"
    store = TrajectoryStore(db)
    mode = "cloud" if case == "teacher" else "local"
    t0 = time.perf_counter()
    with LoadSampler() as load, SiteServer() as server:
        jobs = [Job(MiniWoBTask(n, s, server.base_url), s) for n in names for s in seeds]
        meta = {"suite": "miniwob", "case": case}
        if workers == 1:
            router = (SingleSeatRouter(reference_teacher(), route="cloud") if case == "teacher"
                      else build_router(AgentConfig(mode="local", small=small)))
            run.setup_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            results = run_bench(jobs, router, store, out, meta, mode=mode, source="scale-speed")
            run.episodes_s = time.perf_counter() - t1
        else:
            policy = (PolicySpec(kind="teacher") if case == "teacher"
                      else PolicySpec(kind="agent", mode="local", small=small))
            with WorkerPool(workers) as pool:
                results = run_bench_distributed(jobs, policy, pool, store, out, meta, mode=mode,
                                                source="scale-speed")
            run.episodes_s = float(results["run_wall_s"])  # type: ignore[arg-type]
            run.setup_s = time.perf_counter() - t0 - run.episodes_s
    run.total_s = time.perf_counter() - t0
    run.episodes = int(results["episodes"])  # type: ignore[call-overload]
    run.success_rate = float(results["success_rate"])  # type: ignore[arg-type]
    run.load = load.samples
    run.stored = stored(db)
    store.close()
    return run


def table(runs: list[Run]) -> str:
    lines = ["| case | workers | episodes | success | setup s | episodes s | total s | "
             "episodes/min | load 1-min (mean, max) |", "|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| {r.case} | {r.workers} | {r.episodes} | {r.success_rate:.0%} | "
                     f"{r.setup_s:.1f} | {r.episodes_s:.1f} | {r.total_s:.1f} | "
                     f"{r.per_min:.1f} | {statistics.mean(r.load):.1f}, {max(r.load):.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=2, help="the scaled-out run's workers")
    p.add_argument("--seeds", type=int, default=2, help="seeds per task (from --seed)")
    p.add_argument("--seed", type=int, default=1000)
    p.add_argument("--teacher-tasks", type=int, default=24, help="first N MiniWoB dev tasks")
    p.add_argument("--model-tasks", type=int, default=12, help="first N MiniWoB dev tasks")
    p.add_argument("--small", default=None, help="registry model (default: the active one)")
    p.add_argument("--cases", default="teacher,model")
    p.add_argument("--out", type=Path, default=None, help="also write the figures as JSON")
    args = p.parse_args(argv)

    dev = dev_task_names()
    seeds = list(range(args.seed, args.seed + args.seeds))
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    runs: list[Run] = []
    print(f"{os.cpu_count()} cores; load at start: {subprocess.getoutput('uptime').strip()}")
    with tempfile.TemporaryDirectory(prefix="scale-speed-") as tmp:
        for case in cases:
            names = dev[: args.teacher_tasks if case == "teacher" else args.model_tasks]
            for workers in (1, args.workers):
                print(f"running {case}: {len(names)} tasks x {len(seeds)} seeds, "
                      f"{workers} worker{'s' if workers > 1 else ''} ...", flush=True)
                runs.append(run_case(case, names, seeds, workers, Path(tmp), args.small))
                print(f"  {runs[-1].episodes_s:.1f} s of episodes, {runs[-1].setup_s:.1f} s "
                      f"setup", flush=True)
    print()
    print(table(runs))
    print()
    summary: dict[str, dict[str, float | bool]] = {}
    for case in cases:
        one, many = (next(r for r in runs if r.case == case and r.workers == w)
                     for w in (1, args.workers))
        summary[case] = {
            "episodes_ratio": round(one.episodes_s / many.episodes_s, 2),
            "total_ratio": round(one.total_s / many.total_s, 2),
            "same_episodes": one.stored == many.stored,
        }
        ratios = summary[case]
        print(f"{case}: workers 1 / workers {args.workers}: episodes "
              f"{ratios['episodes_ratio']}x, total (with setup) {ratios['total_ratio']}x; same "
              f"episodes stored (task ids, seeds, order): {ratios['same_episodes']}")
    print(f"load at end: {subprocess.getoutput('uptime').strip()}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"runs": [{k: v for k, v in vars(r).items()
                                                  if k != "stored"} for r in runs],
                                        "ratios": summary, "cores": os.cpu_count()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
