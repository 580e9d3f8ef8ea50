"""Observation-extraction speed: `python -m trainer.bench.observation_speed`
(or `make bench-observe`).

Opens every practice page and a set of MiniWoB dev tasks in headless Chromium and times
`BrowserSession.observe()` (DOM walk + id tagging + text), printing p50/p95 per page set.
"""

from __future__ import annotations

import argparse
import statistics
import time

from core.browser.session import BrowserSession
from core.paths import RESOURCES
from trainer.bench.runner import percentile
from trainer.suites.miniwob.tasks import MiniWoBTask, dev_task_names
from trainer.suites.sites import SiteServer


def practice_pages() -> list[str]:
    root = RESOURCES / "sites"
    return sorted(str(p.relative_to(root)) for p in root.glob("*/*.html"))


def time_observe(session: BrowserSession, repeats: int) -> tuple[list[float], int, int]:
    times = []
    obs = session.observe()
    for _ in range(repeats):
        t0 = time.perf_counter()
        obs = session.observe()
        times.append((time.perf_counter() - t0) * 1000)
    return times, len(obs.elements), len(obs.text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with SiteServer() as server, BrowserSession() as session:
        rows: dict[str, list[float]] = {"practice": [], "miniwob": []}
        sizes: dict[str, list[int]] = {"practice": [], "miniwob": []}
        for page in practice_pages():
            session.goto(server.url(page))
            times, n, chars = time_observe(session, args.repeats)
            rows["practice"] += times
            sizes["practice"].append(chars)
            print(f"  {page:<40} {n:>4} elements {chars:>6} chars  p50 "
                  f"{statistics.median(times):6.1f} ms")
        for name in dev_task_names():
            task = MiniWoBTask(name, 0, server.base_url)
            task.setup(session)
            times, n, chars = time_observe(session, args.repeats)
            task.teardown(session)
            rows["miniwob"] += times
            sizes["miniwob"].append(chars)
            print(f"  miniwob/{name:<32} {n:>4} elements {chars:>6} chars  p50 "
                  f"{statistics.median(times):6.1f} ms")
    for suite, times in rows.items():
        print(f"{suite}: {len(sizes[suite])} pages, mean {statistics.mean(sizes[suite]):.0f} chars;"
              f" observe() p50 {percentile(times, 50)} ms, p95 {percentile(times, 95)} ms")


if __name__ == "__main__":
    main()
