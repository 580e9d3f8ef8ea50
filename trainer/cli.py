"""`symbiote train`: trajectories in the store → a distilled on-device model in the registry."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


def _int_set(text: str | None) -> set[int]:
    """"100-199,250" → {100..199, 250}."""
    out: set[int] = set()
    for part in (text or "").split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-", 1)
            out.update(range(int(lo), int(hi) + 1))
        elif part:
            out.add(int(part))
    return out


def add_train_parser(sub, add_db: Callable) -> None:  # type: ignore[no-untyped-def]
    p = sub.add_parser("train", help="distill a new on-device model from stored trajectories")
    p.add_argument("--base", default=None, help="registry model to start from (default: active)")
    p.add_argument("--out", required=True, help="registry name of the new model")
    p.add_argument("--jsonl", type=Path, default=None, help="train from an export instead of the DB")
    p.add_argument("--sources", default="teacher,speculative,approved,exploration",
                   help="episode sources to learn from")
    p.add_argument("--eval-seeds", default="", help="seeds never trained on, e.g. 1000-1099")
    p.add_argument("--holdout-tasks", default="", help="task ids never trained on (comma list)")
    p.add_argument("--rationale-share", type=float, default=0.5,
                   help="share of steps that also get a rationale-prediction example")
    p.add_argument("--epochs", type=float, default=2.0)
    p.add_argument("--max-steps", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    p.add_argument("--merge", action="store_true", help="write a merged Q8_0 GGUF, not an adapter")
    p.add_argument("--use", action="store_true", help="make the new model the active one")
    p.add_argument("--export-to", type=Path, default=None,
                   help="also copy the GGUF here (e.g. resources/adapters/ to ship it)")
    add_db(p)


def cmd_train(args: argparse.Namespace) -> int:
    import shutil

    from core.cli import UserError, open_store
    from core.models import Registry
    from core.paths import user_data_dir
    from trainer.dataset import (
        DatasetError,
        build_examples,
        data_hash,
        deduplicate,
        load_episodes,
        split,
        write_examples,
    )
    from trainer.train import (
        TrainConfig,
        TrainError,
        export_adapter,
        export_merged,
        prepare_base,
        register,
        train_lora,
    )

    registry = Registry()
    base = registry.resolve(args.base)
    if base.entry.kind == "adapter":  # adapters train from their base, not stacked
        base = registry.resolve(base.entry.base)
    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    try:
        store = None if args.jsonl else open_store(args.db)
        episodes = deduplicate(load_episodes(store, args.jsonl, sources))
        holdout = {t.strip() for t in args.holdout_tasks.split(",") if t.strip()}
        train_eps = split(episodes, _int_set(args.eval_seeds), holdout)
        examples = build_examples(train_eps, rationale_share=args.rationale_share)
    except DatasetError as exc:
        raise UserError(str(exc)) from exc
    workdir = user_data_dir() / "training" / args.out
    workdir.mkdir(parents=True, exist_ok=True)
    write_examples(examples, workdir / "examples.jsonl")
    kinds = {k: sum(e.kind == k for e in examples) for k in ("action", "rationale")}
    print(f"{len(train_eps)} episodes ({len(episodes) - len(train_eps)} held out) → "
          f"{len(examples)} examples {kinds}; data hash {data_hash(examples)}")
    config = TrainConfig(epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                         threads=args.threads, max_steps=args.max_steps)
    try:
        base_hf = prepare_base(base)
        result = train_lora(base_hf, examples, workdir, config)
        out = user_data_dir() / "models" / (args.out + (".Q8_0.gguf" if args.merge else ".lora.gguf"))
        gguf = export_merged(result, base_hf, out) if args.merge else export_adapter(result, base_hf, out)
    except TrainError as exc:
        raise UserError(str(exc)) from exc
    provenance = {
        "base": base.name, "data_hash": data_hash(examples), "episodes": len(train_eps),
        "examples": kinds, "sources": sources, "eval_seeds_excluded": args.eval_seeds,
        "holdout_tasks": sorted(holdout), "hyperparameters": config.__dict__,
        "steps": result.steps, "train_s": round(result.train_s, 1),
        "train_tokens_per_s": round(result.tokens_per_s, 1), "final_loss": result.final_loss,
    }
    register(registry, args.out, base, gguf, merged=args.merge, provenance=provenance)
    (workdir / "provenance.json").write_text(json.dumps(provenance, indent=2, default=str))
    print(f"trained {result.steps} steps in {result.train_s:.0f} s "
          f"({result.tokens_per_s:.0f} tokens/s), final loss {result.final_loss:.3f}")
    print(f"registered {args.out}: {gguf} ({gguf.stat().st_size / 1e6:.1f} MB)")
    if args.export_to:
        args.export_to.mkdir(parents=True, exist_ok=True)
        shutil.copy2(gguf, args.export_to / gguf.name)
        print(f"copied to {args.export_to / gguf.name}")
    if args.use:
        registry.use(args.out)
        print(f"active on-device model: {args.out}")
    return 0
