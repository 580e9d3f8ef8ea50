"""On-device model speed on real step prompts, models side by side in one run:

    python -m trainer.bench.model_speed --models smollm2-symbiote-v4,smollm2-symbiote-v5

1. Records real step contexts: the teacher works MiniWoB dev tasks, the practice tasks and
   synthetic-web pages in Chromium, and each step's context is kept (a page kind per suite:
   MiniWoB forms carry ~250 characters, practice and synthetic pages 1-2 KB).
2. Replays them in order through each model's on-device policy, KV cache carried across the
   steps of an episode as in a run, and prints per model and page kind: decision latency
   p50/p95, prefill and decode time p50, prompt tokens new vs reused from the cache, decode
   tokens/s and tokens generated per step.
3. Replays the first model's prompts and grammars through bare llama.cpp
   (`Llama.create_completion`, same settings: its sampler chain, which checks the grammar
   against the whole vocabulary at every token) to measure our overhead over it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict

from core.agent import small_policy
from core.browser.session import BrowserSession
from core.llm.llama import LlamaModel
from core.loop import run_episode
from core.policies.base import Candidate, Policy, StepContext
from core.policies.local import LocalPolicy
from core.privacy.secrets import NO_SECRETS, Secrets
from core.routing.base import SingleSeatRouter
from core.tasks import Task
from trainer.bench.runner import percentile
from trainer.suites import reference_teacher
from trainer.suites.miniwob.tasks import MiniWoBTask, dev_task_names
from trainer.suites.sites import SiteServer

Recorded = dict[str, list[list[StepContext]]]  # page kind -> episodes -> steps


class RecordingPolicy:
    """Wraps a policy and keeps every step context it is asked about."""

    def __init__(self, inner: Policy):
        self.inner = inner
        self.contexts: list[StepContext] = []

    @property
    def id(self) -> str:
        return self.inner.id

    def propose(self, context: StepContext, k: int = 1) -> list[Candidate]:
        self.contexts.append(context)
        return self.inner.propose(context, k)


def suite_tasks(base_url: str, suites: list[str], seeds: list[int]
                ) -> list[tuple[str, Task, Secrets]]:
    """(page kind, task, secrets) for the recorded suites."""
    from trainer.suites.practice.tasks import demo_secrets, load_practice_tasks

    tasks: list[tuple[str, Task, Secrets]] = []
    if "miniwob" in suites:
        tasks += [("miniwob", MiniWoBTask(n, s, base_url), NO_SECRETS)
                  for n in dev_task_names() for s in seeds]
    if "practice" in suites:
        secrets = demo_secrets(base_url)
        tasks += [("practice", t, secrets) for t in load_practice_tasks(base_url)]
    if "synthetic" in suites:
        from trainer.suites.synthetic.task import synthetic_tasks

        tasks += [("synthetic", t, t.secrets) for t in
                  synthetic_tasks(base_url, split="train", seeds=range(5000, 5000 + 2))]
    return tasks


def record_contexts(suites: list[str], seeds: list[int]) -> Recorded:
    recorded: Recorded = defaultdict(list)
    with SiteServer() as server, BrowserSession() as session:
        for kind, task, secrets in suite_tasks(server.base_url, suites, seeds):
            recorder = RecordingPolicy(reference_teacher())
            run_episode(task, session, SingleSeatRouter(recorder, route="cloud"),
                        secrets=secrets)
            recorded[kind].append(recorder.contexts)
    return recorded


def replay(policy: LocalPolicy, recorded: Recorded) -> dict[str, dict[str, list[float]]]:
    """Per page kind: latency, prefill, decode (s), new/reused prompt tokens, generated."""
    figures: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for kind, episodes in recorded.items():
        for contexts in episodes:
            for ctx in contexts:
                t0 = time.perf_counter()
                meta = policy.propose(ctx, k=1)[0].meta
                f = figures[kind]
                f["latency"].append(time.perf_counter() - t0)
                for key in ("prefill_s", "decode_s", "n_prompt", "n_reused", "n_generated"):
                    f[key].append(float(meta[key]))  # type: ignore[arg-type]
    return figures


def bare_overhead(policy: LocalPolicy, recorded: Recorded, ours: float) -> float:
    """Replays the policy's prompts and grammars through llama.cpp's own sampler chain
    (`create_completion`, the grammar checked against the whole vocabulary at every token, as
    our decoding did before `LlamaModel._greedy`); prints its p50 per page kind and returns our
    overhead over it (negative: we are faster)."""
    assert isinstance(policy.llm, LlamaModel)
    raw = policy.llm.llm
    raw.reset()
    total = 0.0
    latency: dict[str, list[float]] = defaultdict(list)
    for kind, episodes in recorded.items():
        for contexts in episodes:
            for ctx in contexts:
                step = policy.step_prompt(ctx)
                grammar = policy.llm.grammar(step.gbnf)
                t0 = time.perf_counter()
                raw.create_completion(step.text, grammar=grammar, max_tokens=step.max_tokens,
                                      temperature=0.0, top_k=40, top_p=0.95, min_p=0.05,
                                      repeat_penalty=1.0)
                latency[kind].append((time.perf_counter() - t0) * 1000)
                total += latency[kind][-1] / 1000
    print("bare llama.cpp, its sampler chain, the same prompts: decision p50 "
          + ", ".join(f"{kind} {percentile(ms, 50)} ms" for kind, ms in sorted(latency.items())))
    return ours / total - 1 if total else 0.0


def report(name: str, figures: dict[str, dict[str, list[float]]]) -> float:
    print(f"\n{name}")
    print("| page kind | steps | decision p50 / p95 ms | prefill p50 ms | decode p50 ms "
          "| prompt tokens new + reused | decode tok/s | tokens out |")
    print("|---|---|---|---|---|---|---|---|")
    total = 0.0
    for kind, f in sorted(figures.items()):
        ms = [x * 1000 for x in f["latency"]]
        total += sum(f["latency"])
        rates = [(g - 1) / d for g, d in zip(f["n_generated"], f["decode_s"], strict=True)
                 if d > 0 and g > 1]
        new = statistics.mean(p - r for p, r in zip(f["n_prompt"], f["n_reused"], strict=True))
        print(f"| {kind} | {len(ms)} | {percentile(ms, 50)} / {percentile(ms, 95)} "
              f"| {percentile([x * 1000 for x in f['prefill_s']], 50)} "
              f"| {percentile([x * 1000 for x in f['decode_s']], 50)} "
              f"| {new:.0f} + {statistics.mean(f['n_reused']):.0f} "
              f"| {statistics.median(rates) if rates else 0:.1f} "
              f"| {statistics.mean(f['n_generated']):.1f} |")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="", help="registry models, comma-separated "
                        "(default: the active one)")
    parser.add_argument("--suites", default="miniwob,practice,synthetic")
    parser.add_argument("--seeds", type=int, default=1, help="MiniWoB seeds per dev task")
    parser.add_argument("--grounding", default="rules", help="rules | off")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare llama.cpp replay")
    args = parser.parse_args()
    recorded = record_contexts([s for s in args.suites.split(",") if s],
                               list(range(5000, 5000 + args.seeds)))
    n_steps = sum(len(e) for eps in recorded.values() for e in eps)
    print(f"recorded {n_steps} step contexts: "
          + ", ".join(f"{k} {sum(len(e) for e in v)}" for k, v in sorted(recorded.items())))
    names = [n for n in args.models.split(",") if n] or [None]
    for i, name in enumerate(names):
        policy = small_policy(name, grounding=args.grounding)
        assert isinstance(policy, LocalPolicy)
        settings = policy.llm.settings if isinstance(policy.llm, LlamaModel) else None
        total = report(f"{policy.id} ({policy.format.style} format; threads "
                       f"{settings.n_threads if settings else '?'})", replay(policy, recorded))
        print(f"parse failures: {policy.parse_failures} of {policy.decisions} decisions")
        if i == 0 and not args.no_bare:
            print(f"overhead over bare llama.cpp (same prompts): "
                  f"{bare_overhead(policy, recorded, total):+.1%}")


if __name__ == "__main__":
    main()
