"""Workflow replay vs the agent on the practice tasks: `python -m trainer.bench.workflow_speed
[--tasks a,b] [--runs 3] [--agent local|teacher|none]`.

For each practice task: the teacher solves it once (stored in a temporary DB), the episode is
saved as a workflow (parameters found as `symbiote workflow save` finds them), and then

- the workflow is replayed `--runs` times with no model (what `symbiote workflow run` does; a
  replay that would need the agent counts as not replayed);
- the agent does the task `--runs` times in `--agent` mode (what `symbiote run` does; `local`
  loads the active on-device model once, before timing).

Prints per task and overall: successes and the median wall time of an episode (setup,
observations, actions and the evaluator included), and how many tasks replay from a saved
teacher episode. A figure for the README names this command.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from core.browser.session import BrowserSession
from core.errors import SymbioteError
from core.loop import EpisodeOptions, EpisodeResult, run_episode
from core.routing.base import Router, SingleSeatRouter
from core.store.recorder import StoreRecorder
from core.store.service import TrajectoryStore
from core.workflows.replay import ReplayRouter, parameter_values
from core.workflows.service import workflow_from_episode
from trainer.suites.practice.solvers import SOLVERS
from trainer.suites.practice.tasks import PracticeTask, demo_secrets, load_practice_tasks
from trainer.suites.sites import SiteServer
from trainer.teacher import TeacherPolicy

log = logging.getLogger(__name__)


class NeedsTheAgent(SymbioteError):
    """The replay would hand over to the agent: in this benchmark, a replay that failed."""


@dataclass
class TaskTimes:
    task_id: str
    saved: bool = False
    replay_s: list[float] = field(default_factory=list)
    replay_ok: int = 0
    replay_runs: int = 0
    agent_s: list[float] = field(default_factory=list)
    agent_ok: int = 0
    note: str = ""

    @property
    def replays(self) -> bool:
        return self.saved and self.replay_ok == self.replay_runs > 0


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f}" if values else "     -"


def _teacher() -> Router:
    return SingleSeatRouter(TeacherPolicy(SOLVERS))


def _agent_router(kind: str) -> Router | None:
    if kind == "none":
        return None
    if kind == "teacher":
        return _teacher()
    from core.agent import AgentConfig, build_router

    return build_router(AgentConfig(mode="local"))


def _refuse() -> Router:
    raise NeedsTheAgent("the replay needed the agent")


def bench_task(task: PracticeTask, session: BrowserSession, store: TrajectoryStore,
               runs: int, agent: Router | None) -> TaskTimes:
    times = TaskTimes(task.config.task_id)
    taught = run_episode(task, session, _teacher(), secrets=demo_secrets(),
                         hooks=[StoreRecorder(store)], options=EpisodeOptions(source="teacher"))
    if taught.outcome != "success" or taught.episode_id is None:
        times.note = f"the teacher did not solve it ({taught.outcome})"
        return times
    try:
        workflow = workflow_from_episode(store.episode(taught.episode_id), "bench")
    except SymbioteError as exc:
        times.note = f"not savable: {exc}"
        return times
    times.saved = True
    values = parameter_values(workflow, {})
    for _ in range(runs):
        times.replay_runs += 1
        router = ReplayRouter(workflow, values, _refuse)
        try:
            result = run_episode(task, session, router, secrets=demo_secrets(),
                                 options=EpisodeOptions(source="workflow"))
        except NeedsTheAgent:
            times.note = f"fell back: {router.state.reason}"
            continue
        times.replay_s.append(result.wall_s)
        times.replay_ok += _ok(result, router)
    for _ in range(runs if agent is not None else 0):
        assert agent is not None
        result = run_episode(task, session, agent, secrets=demo_secrets())
        times.agent_s.append(result.wall_s)
        times.agent_ok += result.outcome == "success"
    return times


def _ok(result: EpisodeResult, router: ReplayRouter) -> int:
    return int(result.outcome == "success" and router.state.fell_back_at is None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=None, help="practice task ids, comma-separated "
                        "(default: all 21)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--agent", default="local", choices=("local", "teacher", "none"),
                        help="who does the task for the agent's time (default: the on-device "
                             "model, as `symbiote run` does)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    agent = _agent_router(args.agent)
    results: list[TaskTimes] = []
    with tempfile.TemporaryDirectory() as tmp, SiteServer() as server, \
            BrowserSession() as session:
        store = TrajectoryStore(Path(tmp) / "bench.db")
        tasks = load_practice_tasks(server.base_url)
        wanted = {t.strip() for t in args.tasks.split(",")} if args.tasks else None
        for task in tasks:
            if wanted is not None and task.config.task_id not in wanted:
                continue
            times = bench_task(task, session, store, args.runs, agent)
            results.append(times)
            print(f"{times.task_id:<28} replay {times.replay_ok}/{times.replay_runs} "
                  f"{_median(times.replay_s)} s   agent ({args.agent}) "
                  f"{times.agent_ok}/{len(times.agent_s)} {_median(times.agent_s)} s"
                  + (f"   {times.note}" if times.note else ""), flush=True)
        store.close()
    replayed = [t for t in results if t.replays]
    print(f"\n{len(replayed)} of {len(results)} practice tasks replay from a saved teacher "
          f"episode (every one of {args.runs} replays succeeded, no model)")
    both = [t for t in replayed if t.agent_s]
    if both:
        replay = statistics.median(statistics.median(t.replay_s) for t in both)
        agent_m = statistics.median(statistics.median(t.agent_s) for t in both)
        print(f"median over those tasks of the per-task medians ({args.runs} runs): replay "
              f"{replay:.2f} s, agent ({args.agent}) {agent_m:.2f} s per episode "
              f"({agent_m / replay:.1f}x)")


if __name__ == "__main__":
    main()
