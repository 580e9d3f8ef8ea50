"""Measure the MiniWoB++ reference solvers (the teacher): tasks × seeds, success per task.

    .venv/bin/python -m trainer.suites.miniwob.check --seeds 0-4
    .venv/bin/python -m trainer.suites.miniwob.check --tasks click-button,enter-text --seeds 0-9 -v

It also checks the harness: a solver can only succeed if the task adapter, the observation
and the executor all work. `-v` prints the steps of every failed episode.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import defaultdict

from core.browser.session import BrowserSession
from core.loop import EpisodeOptions, EpisodeResult, run_episode
from core.routing.base import SingleSeatRouter
from trainer.suites.miniwob.solvers import SOLVERS
from trainer.suites.miniwob.tasks import MiniWoBTask, dev_task_names, load_task_list
from trainer.suites.seeds import parse_seeds
from trainer.suites.sites import SiteServer
from trainer.teacher import TeacherPolicy


def run_check(names: list[str], seeds: list[int], verbose: bool = False) -> dict[str, list[bool]]:
    results: dict[str, list[bool]] = defaultdict(list)
    router = SingleSeatRouter(TeacherPolicy(SOLVERS))
    with SiteServer() as server, BrowserSession() as session:
        for name in names:
            for seed in seeds:
                task = MiniWoBTask(name, seed, server.base_url)
                episode = run_episode(task, session, router,
                                      options=EpisodeOptions(seed=seed, source="teacher"))
                results[name].append(episode.outcome == "success")
                if verbose and episode.outcome != "success":
                    _print_failure(name, seed, episode)
    return results


def _print_failure(name: str, seed: int, episode: EpisodeResult) -> None:
    print(f"--- {name} seed={seed}: {episode.outcome} reward={episode.reward} "
          f"{episode.error}\n    intent: {episode.intent}")
    for step in episode.steps:
        print(f"    {step.idx}: {step.decision.action} ({step.decision.rationale})"
              + (f" ERROR {step.error}" if step.error else ""))
    if episode.steps:
        print("    last observation:\n      "
              + episode.steps[-1].observation.tree_text(1500).replace("\n", "\n      "))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="", help='"a,b" or "@file" (default: the dev list)')
    parser.add_argument("--seeds", type=parse_seeds, default="0-4", help='"0-4" or "0,3,7"')
    parser.add_argument("-v", "--verbose", action="store_true", help="print failed episodes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        names = load_task_list(args.tasks) if args.tasks else dev_task_names()
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    seeds = args.seeds
    started = time.perf_counter()
    results = run_check(names, seeds, args.verbose)
    total = sum(len(r) for r in results.values())
    wins = sum(sum(r) for r in results.values())
    for name in names:
        runs = results[name]
        print(f"{name:<28} {sum(runs):>3}/{len(runs):<3} {100 * sum(runs) / len(runs):5.1f}%")
    print(f"{'TOTAL':<28} {wins:>3}/{total:<3} {100 * wins / max(total, 1):5.1f}%  "
          f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
