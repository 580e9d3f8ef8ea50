"""Run the teacher on synthetic seeds in real Chromium and print its success per family.

    python -m trainer.suites.synthetic.check --family signin --seeds 0-49
    python -m trainer.suites.synthetic.check --family train --seeds 0-9   # every train family
    python -m trainer.suites.synthetic.check --variety --seeds 0-199      # no browser

It should say 100 % for every family: a failure is a bug in the generator or the solver.
"off plan" counts successful episodes whose steps were not exactly the reference plan.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from core.browser.session import BrowserSession
from core.loop import EpisodeResult, run_episode
from core.routing.base import SingleSeatRouter
from trainer.suites.seeds import parse_seeds
from trainer.suites.sites import SiteServer
from trainer.suites.synthetic.site import families, spec
from trainer.suites.synthetic.task import SyntheticTask, teacher
from trainer.suites.synthetic.variety import measure


def run_one(family: str, seed: int, server: SiteServer,
            session: BrowserSession) -> tuple[EpisodeResult, SyntheticTask]:
    task = SyntheticTask(spec(family, seed), server.base_url)
    result = run_episode(task, session, SingleSeatRouter(teacher()), secrets=task.secrets)
    return result, task


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", action="append", default=[],
                        help="a family, or 'train' / 'heldout' / 'all' (repeatable; default all)")
    parser.add_argument("--seeds", type=parse_seeds, default="0-9", help="e.g. 0-49 or 3,7")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every failed step")
    parser.add_argument("--variety", action="store_true",
                        help="measure how varied the families are instead (no browser)")
    args = parser.parse_args(argv)
    chosen: list[str] = []
    for name in args.family or ["all"]:
        if name in ("train", "heldout"):
            chosen += families(name)  # type: ignore[arg-type]
        elif name == "all":
            chosen += families()
        elif name in families():
            chosen.append(name)
        else:
            parser.error(f"unknown family {name!r}; known: {', '.join(families())}")
    seeds = args.seeds
    if args.variety:
        for family in dict.fromkeys(chosen):
            v = measure(family, seeds)
            print(f"{family:14s} {split_label(family):8s} intents {v.intents:4d}  phrasings "
                  f"{v.phrasings:4d}  page structures {v.structures:4d}  flows {v.flows:4d}  "
                  f"variants {v.variants:4d}  label mechanisms {len(v.mechanisms)}  "
                  f"button names {len(v.buttons)}")
        return 0
    total_ok = total = 0
    with SiteServer() as server, BrowserSession() as session:
        for family in dict.fromkeys(chosen):
            ok, steps, off_plan, started = 0, 0, 0, time.perf_counter()
            for seed in seeds:
                result, task = run_one(family, seed, server, session)
                steps += len(result.steps)
                if result.outcome == "success":
                    ok += 1
                    off_plan += len(result.steps) != len(task.spec.plan)
                    continue
                print(f"  FAIL {task.id}: {result.outcome} {result.error} "
                      f"{'; '.join(task.last_failures)}", flush=True)
                if args.verbose:
                    for step in result.steps:
                        print(f"    {step.decision.action} {step.error}")
            n = len(seeds)
            print(f"{family:14s} {split_label(family):8s} {ok}/{n} = {100 * ok / n:5.1f} %  "
                  f"{steps / n:4.1f} steps/episode  off plan {off_plan}  "
                  f"{time.perf_counter() - started:5.1f} s",
                  flush=True)
            total_ok, total = total_ok + ok, total + n
    print(f"{'all':14s} {'':8s} {total_ok}/{total} = {100 * total_ok / max(total, 1):5.1f} %")
    return 0 if total_ok == total else 1


def split_label(family: str) -> str:
    return "train" if family in families("train") else "heldout"


if __name__ == "__main__":
    sys.exit(main())
