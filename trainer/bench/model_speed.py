"""On-device model speed on real step prompts: `python -m trainer.bench.model_speed`.

1. Records real step contexts: the teacher works MiniWoB dev tasks (and practice tasks) in
   Chromium; each step's context is kept.
2. Replays them in order through the on-device policy (KV cache reused between steps of an
   episode, as in a real run) and prints prompt tokens (new vs reused), decision latency
   p50/p95 and decode tokens/s.
3. Replays the same prompts and grammars through bare llama.cpp (`Llama.create_completion`,
   same settings) to measure our overhead over it.
"""

from __future__ import annotations

import argparse
import statistics
import time

from core.agent import small_policy
from core.browser.session import BrowserSession
from core.llm.llama import LlamaModel
from core.loop import run_episode
from core.policies.base import Candidate, Policy, StepContext
from core.policies.local import LocalPolicy
from core.routing.base import SingleSeatRouter
from trainer.bench.runner import percentile
from trainer.suites import reference_teacher
from trainer.suites.miniwob.tasks import MiniWoBTask, dev_task_names
from trainer.suites.sites import SiteServer


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


def record_contexts(tasks: list[str], seeds: list[int]) -> list[list[StepContext]]:
    episodes: list[list[StepContext]] = []
    with SiteServer() as server, BrowserSession() as session:
        for name in tasks:
            for seed in seeds:
                recorder = RecordingPolicy(reference_teacher())
                run_episode(MiniWoBTask(name, seed, server.base_url), session,
                            SingleSeatRouter(recorder, route="cloud"))
                episodes.append(recorder.contexts)
    return episodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(dev_task_names()))
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--small", default=None, help="registry model (default: active)")
    parser.add_argument("--grounding", default="rules", help="rules | off")
    args = parser.parse_args()
    tasks = [t for t in args.tasks.split(",") if t]
    episodes = record_contexts(tasks, list(range(5000, 5000 + args.seeds)))
    n_steps = sum(len(e) for e in episodes)
    print(f"recorded {n_steps} step contexts from {len(episodes)} teacher episodes")

    policy = small_policy(args.small, grounding=args.grounding)
    assert isinstance(policy, LocalPolicy) and isinstance(policy.llm, LlamaModel)
    llm = policy.llm
    ours: list[float] = []
    new_tokens: list[int] = []
    reused: list[int] = []
    decode_tps: list[float] = []
    prompts: list[tuple[str, str, int]] = []
    for contexts in episodes:
        for ctx in contexts:
            t0 = time.perf_counter()
            meta = policy.propose(ctx, k=1)[0].meta
            ours.append(time.perf_counter() - t0)
            n_prompt, n_reused = int(meta["n_prompt"]), int(meta["n_reused"])  # type: ignore[call-overload]
            n_generated, decode_s = int(meta["n_generated"]), float(meta["decode_s"])  # type: ignore[call-overload,arg-type]
            new_tokens.append(n_prompt - n_reused)
            reused.append(n_reused)
            if decode_s > 0 and n_generated > 1:
                decode_tps.append((n_generated - 1) / decode_s)
            step = policy.step_prompt(ctx)
            prompts.append((step.text, step.gbnf, step.max_tokens))

    bare: list[float] = []
    raw = llm.llm
    raw.reset()
    for prompt, gbnf, max_tokens in prompts:
        grammar = llm.grammar(gbnf)
        t0 = time.perf_counter()
        raw.create_completion(prompt, grammar=grammar, max_tokens=max_tokens,
                              temperature=0.0, top_k=40, top_p=0.95, min_p=0.05,
                              repeat_penalty=1.0)
        bare.append(time.perf_counter() - t0)

    ms = [x * 1000 for x in ours]
    bare_ms = [x * 1000 for x in bare]
    print(f"model: {llm.name}  n_threads={llm.settings.n_threads} "
          f"n_threads_batch={llm.settings.n_threads_batch or 'all'}")
    total_tokens = statistics.mean(new_tokens) + statistics.mean(reused)
    print(f"prompt tokens per step: mean {total_tokens:.0f} "
          f"(new {statistics.mean(new_tokens):.0f}, reused from KV cache "
          f"{statistics.mean(reused):.0f})")
    print(f"decision latency ms: p50 {percentile(ms, 50)}  p95 {percentile(ms, 95)}")
    print(f"decode tokens/s: {statistics.median(decode_tps):.1f} (median)")
    print(f"bare llama.cpp ms:   p50 {percentile(bare_ms, 50)}  p95 {percentile(bare_ms, 95)}")
    overhead = sum(ours) / sum(bare) - 1
    print(f"overhead over bare llama.cpp (total time, same prompts): {overhead:+.1%}")
    print(f"parse failures: {policy.parse_failures} of {policy.decisions} decisions")


if __name__ == "__main__":
    main()
