"""`symbiote bench`: run tasks × seeds through the one agent loop and score them.

Results are rewritten atomically after every episode, so Ctrl-C leaves a valid partial file,
and `resume` goes on from it: a long run (the teacher's data steps take hours on 2 cores) can
stop and continue later without running, or storing, an episode twice.
"""

from __future__ import annotations

import json
import logging
import statistics
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from core.browser.session import BrowserConfig, BrowserSession
from core.errors import ConfigError
from core.loop import EpisodeOptions, EpisodeResult, StepEvent, run_episode
from core.models import Registry
from core.privacy.secrets import NO_SECRETS, Secrets
from core.routing.base import Router
from core.store.recorder import StoreRecorder
from core.store.service import TrajectoryStore
from core.tasks import Task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One episode to run: a task, its seed, and the secrets it may use."""

    task: Task
    seed: int | None = None
    secrets: Secrets = NO_SECRETS


@dataclass
class EpisodeSummary:
    task: str
    seed: int | None
    outcome: str
    reward: float | None
    steps: int
    wall_s: float
    episode_id: int | None
    latencies_ms: list[float] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)
    findings: int = 0
    error: str = ""


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=Path(__file__).resolve().parents[2], timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(ordered[idx], 1)


def task_group(task_id: str) -> str:
    """The task a result row counts under: a generated instance (`synthetic/signin/17`) counts
    under its family."""
    head, _, tail = task_id.rpartition("/")
    return head if head and tail.isdigit() else task_id


def summarize(episodes: list[EpisodeSummary], meta: dict[str, object]) -> dict[str, object]:
    per_task: dict[str, list[EpisodeSummary]] = defaultdict(list)
    for ep in episodes:
        per_task[task_group(ep.task)].append(ep)
    latencies = [ms for ep in episodes for ms in ep.latencies_ms]
    routes = [r for ep in episodes for r in ep.routes]
    n_steps = len(routes) or 1
    return {
        **meta,
        "episodes": len(episodes),
        "success_rate": round(sum(ep.outcome == "success" for ep in episodes)
                              / max(len(episodes), 1), 4),
        "per_task": {
            name: {
                "episodes": len(eps),
                "success_rate": round(sum(e.outcome == "success" for e in eps) / len(eps), 4),
                "mean_steps": round(statistics.mean(e.steps for e in eps), 2),
                "mean_wall_s": round(statistics.mean(e.wall_s for e in eps), 2),
            }
            for name, eps in sorted(per_task.items())
        },
        "step_latency_ms": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)},
        "routes": {"local": round(routes.count("local") / n_steps, 4),
                   "cloud": round(routes.count("cloud") / n_steps, 4)},
        "privacy_findings": sum(ep.findings for ep in episodes),
        "wall_s": round(sum(ep.wall_s for ep in episodes), 1),
        "episode_list": [ep.__dict__ for ep in episodes],
    }


def count_leaks(store: TrajectoryStore, episode_ids: list[int], values: list[str]) -> int:
    """Cloud payloads of these episodes that hold a secret value (should always be 0)."""
    ids = set(episode_ids)
    return sum(1 for row in store.cloud_requests()
               if row["episode_id"] in ids and any(v and v in str(row["payload"])
                                                   for v in values))


def record_small_eval(model: str | None, results: dict[str, object], *, suite: str, tasks: str,
                      seeds: list[int], out: Path) -> str:
    """Put an on-device run's success rate into the model's registry provenance (user models
    only; None: the active model) under a key naming what was measured, e.g. "miniwob dev seeds
    1000-1002"; returns the key. The results' `grounding` (from the policy's configuration)
    marks a run of the model alone."""
    key = f"{suite} {tasks} seeds {min(seeds)}-{max(seeds)}" + (
        " (no grounding)" if results.get("grounding") == "off" else "")
    registry = Registry()
    registry.record_eval(model or registry.active_name, key, {
        "success_rate": results["success_rate"], "episodes": results["episodes"],
        "git_commit": results.get("git_commit", ""), "results": str(out)})
    return key


def write_json_atomic(path: Path, data: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)


# What makes two runs the same bench: a results file resumes only a run of these.
_RUN_KEYS = ("suite", "tasks", "seeds", "small", "large", "grounding", "mode", "slips")


def resumed_episodes(out: Path, meta: dict[str, object],
                     store: TrajectoryStore) -> list[EpisodeSummary]:
    """The finished episodes an earlier, interrupted run of this same bench left in `out`,
    kept only where `store` still holds each one as recorded (a file whose database was
    removed resumes nothing). Another run's file, or one that is not a results file, is one
    clear error: resuming never mixes two runs."""
    if not out.exists():
        return []
    try:
        data = json.loads(out.read_text(encoding="utf-8"))
        episodes = [EpisodeSummary(**e) for e in data["episode_list"]]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot resume from {out}: not a bench results file ({exc})") from exc
    differ = [f"{k} {data.get(k)!r} there, {meta[k]!r} here" for k in _RUN_KEYS
              if k in meta and data.get(k) != meta[k]]
    if differ:
        raise ConfigError(f"cannot resume from {out}: it holds another run ({'; '.join(differ)});"
                          " remove it or write to another --out")
    stored = {row.id: (row.task_id, row.outcome) for row in store.episode_summaries()}
    kept = [e for e in episodes if stored.get(e.episode_id or -1) == (e.task, e.outcome)]
    if len(kept) < len(episodes):
        log.warning("%s: %d of its episodes are not in the database; they run again",
                    out, len(episodes) - len(kept))
    return kept


def run_bench(
    jobs: Iterable[Job],
    router: Router,
    store: TrajectoryStore,
    out: Path,
    meta: dict[str, object],
    *,
    mode: str,
    headless: bool = True,
    max_steps: int | None = None,
    source: str = "bench",
    progress: Callable[[EpisodeSummary], None] | None = None,
    extra_stats: Callable[[], dict[str, object]] | None = None,
    resume: bool = False,
) -> dict[str, object]:
    """Run `jobs` and write their results to `out` after each episode; with `resume`, the
    episodes an interrupted run of the same bench finished in `out` are kept, not rerun."""
    meta = {**meta, "mode": mode}
    episodes = resumed_episodes(out, meta, store) if resume else []
    done = {(e.task, e.seed): e for e in episodes}
    if done:
        log.info("resuming %s: %d episodes done", out, len(done))
    meta = {**meta, "git_commit": git_commit(), "policy": router.id,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    results: dict[str, object] = summarize(episodes, {**meta, "complete": False})
    secret_values: set[str] = set()
    with BrowserSession(BrowserConfig(headless=headless)) as session:
        try:
            for job in jobs:
                finished = done.get((job.task.id, job.seed))
                if finished is not None:
                    secret_values.update(job.secrets.values())
                    if progress is not None:
                        progress(finished)
                    continue
                options = EpisodeOptions(mode=mode, max_steps=max_steps, seed=job.seed,
                                         source=source)
                result = run_episode(job.task, session, router, secrets=job.secrets,
                                     hooks=[StoreRecorder(store)], options=options)
                secret_values.update(job.secrets.values())
                summary = _summary(job.task.id, job.seed, result)
                episodes.append(summary)
                results = summarize(episodes, {**meta, "complete": False,
                                               **(extra_stats() if extra_stats else {})})
                write_json_atomic(out, results)
                if progress is not None:
                    progress(summary)
        except KeyboardInterrupt:
            log.warning("interrupted: %s holds the %d finished episodes", out, len(episodes))
            raise
    leaks = count_leaks(store, [e.episode_id for e in episodes if e.episode_id is not None],
                        sorted(secret_values))
    results = summarize(episodes, {**meta, "complete": True, "leaks": leaks,
                                   **(extra_stats() if extra_stats else {})})
    write_json_atomic(out, results)
    return results


def _summary(task_id: str, seed: int | None, result: EpisodeResult) -> EpisodeSummary:
    steps: list[StepEvent] = result.steps
    return EpisodeSummary(
        task=task_id, seed=seed, outcome=result.outcome, reward=result.reward,
        steps=len(steps), wall_s=round(result.wall_s, 2), episode_id=result.episode_id,
        latencies_ms=[round(s.latency_ms, 1) for s in steps],
        routes=[s.decision.route for s in steps],
        findings=sum(len(s.decision.findings) for s in steps), error=result.error,
    )
