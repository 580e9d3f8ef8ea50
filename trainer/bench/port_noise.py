"""How far an irrelevant detail of the prompt moves the on-device student's first decision:

    python -m trainer.bench.port_noise --model smollm2-symbiote-v7-q8 --groundings off,rules

The practice sites are served on a free port, and the page's URL (port included) is the first
line of every step prompt. This opens each task's start page once in Chromium, then asks the
student for its first action on that very page with the URL's port set to each of `--ports`,
and prints per grounding how often the action differs from its most common one (and which
actions it took). A robust student answers the same on every port; the demo test in `make
test` runs on whatever port the machine gives it, so this is the figure behind its flakiness.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

from core.agent import small_policy
from core.browser.session import BrowserSession
from core.browser.views import Observation
from core.policies.base import StepContext
from core.privacy.task_secrets import lift_task_secrets
from trainer.suites.practice.tasks import demo_secrets, load_practice_tasks
from trainer.suites.sites import SiteServer


def first_pages(task_ids: list[str]) -> list[tuple[str, str, Observation]]:
    """(task id, intent as the student reads it, start page observation) per task."""
    pages = []
    with SiteServer() as server, BrowserSession() as session:
        tasks = load_practice_tasks(server.base_url)
        chosen = [t for t in tasks if not task_ids or t.id in task_ids]
        if not chosen:
            raise SystemExit(f"no practice task among {task_ids}; known: "
                             + ", ".join(t.id for t in tasks))
        for task in chosen:
            intent = task.setup(session)
            intent, _ = lift_task_secrets(intent, task.start_url, demo_secrets(server.base_url))
            pages.append((task.id, intent, session.observe()))
            task.teardown(session)
    return pages


def on_port(observation: Observation, port: int) -> Observation:
    parts = urlsplit(observation.url)
    return replace(observation, url=urlunsplit(parts._replace(netloc=f"{parts.hostname}:{port}")))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="registry model (default: the shipped one)")
    ap.add_argument("--groundings", default="off,rules")
    ap.add_argument("--tasks", default="practice/webmail-login",
                    help="comma-separated practice task ids ('' for all 21)")
    ap.add_argument("--ports", default="35000-35199", help="first-last port, inclusive")
    args = ap.parse_args(argv)
    first, last = (int(p) for p in args.ports.split("-"))
    pages = first_pages([t for t in args.tasks.split(",") if t])
    for grounding in args.groundings.split(","):
        policy = small_policy(args.model, grounding=grounding)
        changed = total = 0
        t0 = time.perf_counter()
        for task_id, intent, observation in pages:
            actions: Counter[str] = Counter()
            for port in range(first, last + 1):
                context = StepContext(intent=intent, observation=on_port(observation, port),
                                      task_id=task_id)
                actions[policy.propose(context, k=1)[0].action.to_text()] += 1
            usual, count = actions.most_common(1)[0]
            changed += sum(actions.values()) - count
            total += sum(actions.values())
            others = ", ".join(f"{a} ×{n}" for a, n in actions.most_common()[1:4])
            print(f"{policy.id:46s} {task_id:32s} {usual} on {count} of {sum(actions.values())}"
                  + (f"; else {others}" if others else ""))
        print(f"{policy.id:46s} first action differs from the usual one on {changed} of {total} "
              f"ports×tasks ({100 * changed / total:.1f} %), {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
