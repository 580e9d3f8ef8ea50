"""What the kind search's floor saves, on real step prompts:

    python -m trainer.bench.kind_floor --model smollm2-symbiote-v9-q8 --suites miniwob,practice

The kind search (`--grounding kinds|copy`, core.policies.local `_most_likely_kind`) decodes the
greedy action of every kind the page allows and keeps the most likely whole action; each of
those decodings stops once it falls to the best score so far (core.llm.base `Floor`). This
records the teacher's step contexts (trainer.bench.model_speed), replays them through the
policy with the floor and without it, and prints per page kind the decodings, the tokens
decoded per step (a count: it does not depend on the machine's load) and whether every chosen
action is the same.
"""

from __future__ import annotations

import argparse

from core.agent import small_policy
from core.llm.base import Generation
from core.policies.local import LocalPolicy
from trainer.bench.model_speed import record_contexts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=None, help="registry model (default: the shipped one)")
    ap.add_argument("--grounding", default="copy", help="kinds | copy")
    ap.add_argument("--suites", default="miniwob,practice")
    args = ap.parse_args()
    recorded = record_contexts(args.suites.split(","), [5000])
    policy = small_policy(args.model, grounding=args.grounding)
    assert isinstance(policy, LocalPolicy) and policy.kind_search, "not a kind search"
    llm = policy.llm
    generate = type(llm).generate.__get__(llm)
    counts = {"decodings": 0, "tokens": 0}
    chosen: dict[str, list[str]] = {}
    for use_floor in (False, True):
        def counted(*a, _floor=use_floor, **kw) -> Generation:  # type: ignore[no-untyped-def]
            if not _floor:
                kw.pop("floor", None)
            gen = generate(*a, **kw)
            counts["decodings"] += 1
            counts["tokens"] += gen.n_generated
            return gen

        llm.generate = counted  # type: ignore[method-assign]
        for kind, episodes in sorted(recorded.items()):
            counts.update(decodings=0, tokens=0)
            actions = [policy.propose(ctx)[0].action.to_text()
                       for contexts in episodes for ctx in contexts]
            agree = sum(a == b for a, b in zip(actions, chosen.get(kind, actions), strict=True))
            same = f"; the same action on {agree} of {len(actions)} steps" if use_floor else ""
            print(f"{'with' if use_floor else 'without'} the floor, {kind}: {len(actions)} "
                  f"steps, {counts['decodings']} decodings, "
                  f"{counts['tokens'] / len(actions):.1f} tokens decoded per step{same}")
            chosen[kind] = actions


if __name__ == "__main__":
    main()
