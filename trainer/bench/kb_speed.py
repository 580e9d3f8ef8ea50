"""Knowledge-base retrieval latency: `python -m trainer.bench.kb_speed [--entries 10000]`.

Indexes N synthetic demonstrations (varied intents and observation excerpts in the practice/
MiniWoB style), then times `KnowledgeBase.search` (query embedding + hnswlib k-NN) for
fresh queries and prints p50/p95, plus the cost of building the index.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from core.knowledge.service import KnowledgeBase
from core.store.views import EpisodeRecord, StepRecord
from trainer.bench.runner import percentile

VERBS = ["Click on", "Select", "Enter", "Find", "Open", "Forward", "Delete", "Buy", "Change"]
THINGS = ["the Submit button", "the email from Jamie", "the cheapest flight", "the 3rd tab",
          "the phone number", "the invoice", "a red backpack", "the checkbox labelled Okay",
          "the date 11/23/2016", "the shipping address", "the password", "the second link"]
ROLES = ["button", "link", "textbox", "checkbox", "StaticText", "tab", "option", "heading"]


def synthetic(n: int, seed: int) -> list[EpisodeRecord]:
    rng = random.Random(seed)
    episodes = []
    for i in range(n):
        intent = f"{rng.choice(VERBS)} {rng.choice(THINGS)} #{rng.randint(1, 999)}."
        lines = [f"[{rng.randint(1, 300)}] {rng.choice(ROLES)} '{rng.choice(THINGS)}'"
                 for _ in range(rng.randint(4, 14))]
        episodes.append(EpisodeRecord(
            id=i, task_id=f"synthetic/{i % 50}", intent=intent, start_url="http://x/",
            mode="cloud", policy="teacher", outcome="success", started_at="2026-01-01",
            steps=[StepRecord(idx=0, url="http://x/", observation="URL: x\n" + "\n".join(lines),
                              action=f"click [{rng.randint(1, 300)}]", rationale="because")]))
    return episodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Path(tmp) / "kb.hnsw", capacity=args.entries)
        kb.embedder.encode(["warm up"])
        t0 = time.perf_counter()
        kb.add_episodes(synthetic(args.entries, seed=1))
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        kb.save()
        save_s = time.perf_counter() - t0
        queries = synthetic(args.queries, seed=2)
        times = []
        for q in queries:
            t0 = time.perf_counter()
            kb.search(q.intent, q.steps[0].observation, k=3)
            times.append((time.perf_counter() - t0) * 1000)
    print(f"entries: {len(kb)}; indexing {build_s:.1f} s "
          f"({len(kb) / build_s:.0f} entries/s, embedding included); save {save_s * 1000:.0f} ms")
    print(f"retrieval (embed query + k-NN, k=3): p50 {percentile(times, 50)} ms, "
          f"p95 {percentile(times, 95)} ms over {len(times)} queries")


if __name__ == "__main__":
    main()
