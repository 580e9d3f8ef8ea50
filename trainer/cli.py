"""`symbiote train`: trajectories in the store → a distilled on-device model in the registry."""

from __future__ import annotations

import argparse
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
    p.add_argument("--jsonl", type=Path, default=None, help="train from an export, not the DB")
    p.add_argument("--sources", default="teacher,speculative,approved,exploration",
                   help="episode sources to learn from")
    p.add_argument("--eval-seeds", default="", help="seeds never trained on, e.g. 1000-1099")
    p.add_argument("--holdout-tasks", default="", help="task ids never trained on (comma list)")
    p.add_argument("--rationale-share", type=float, default=0.5,
                   help="share of steps that also get a rationale-prediction example")
    p.add_argument("--id-copies", type=int, default=0,
                   help="extra copies of each action example with the page's ids renumbered")
    p.add_argument("--epochs", type=float, default=2.0)
    p.add_argument("--max-steps", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--max-len", type=int, default=768,
                   help="tokens per example; longer ones are skipped (and counted per task)")
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--lora-layers", type=int, default=0,
                   help="LoRA on the top N layers only (0 = all; fewer trains faster)")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    p.add_argument("--merge", action="store_true", help="write a merged Q8_0 GGUF, not an adapter")
    p.add_argument("--use", action="store_true", help="make the new model the active one")
    p.add_argument("--export-to", type=Path, default=None,
                   help="also copy the GGUF here (e.g. resources/adapters/ to ship it)")
    add_db(p)


def cmd_train(args: argparse.Namespace) -> int:
    import shutil

    from core.cli import UserError, open_store
    from trainer.dataset import DatasetError
    from trainer.pipeline import distill
    from trainer.train import TrainConfig, TrainError

    config = TrainConfig(epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                         threads=args.threads, max_steps=args.max_steps,
                         lora_layers=args.lora_layers, max_len=args.max_len)
    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    holdout = {t.strip() for t in args.holdout_tasks.split(",") if t.strip()}
    try:
        result = distill(out_name=args.out, store=None if args.jsonl else open_store(args.db),
                         jsonl=args.jsonl, base=args.base, sources=sources,
                         eval_seeds=_int_set(args.eval_seeds), holdout_tasks=holdout,
                         config=config, rationale_share=args.rationale_share, merge=args.merge,
                         id_copies=args.id_copies)
    except (DatasetError, TrainError) as exc:
        raise UserError(str(exc)) from exc
    p = result.provenance
    print(f"{p['episodes']} episodes -> examples {p['examples']}; data hash {p['data_hash']}")
    print(f"trained {p['steps']} steps in {p['train_s']} s ({p['train_tokens_per_s']} tokens/s),"
          f" final loss {p['final_loss']:.3f}")
    print(f"registered {args.out}: {result.gguf} ({result.gguf.stat().st_size / 1e6:.1f} MB)")
    if args.export_to:
        args.export_to.mkdir(parents=True, exist_ok=True)
        shutil.copy2(result.gguf, args.export_to / result.gguf.name)
        print(f"copied to {args.export_to / result.gguf.name}")
    if args.use:
        from core.models import Registry

        Registry().use(args.out)
        print(f"active on-device model: {args.out}")
    return 0
