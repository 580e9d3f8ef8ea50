"""One distillation run, shared by `symbiote train` and the symbiotic cycle."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path

from core.models import ModelEntry, Registry, resolve_path
from core.policies.formats import ACTION_FIRST_STYLES
from core.prompts import HISTORY_STEPS
from core.store.service import TrajectoryStore
from trainer.dataset import (
    build_examples,
    build_student_examples,
    data_hash,
    deduplicate,
    load_episodes,
    split,
    write_examples,
)
from trainer.gguf import base_pre_tokenizer, peft_from_gguf
from trainer.train import (
    CACHE,
    TrainConfig,
    TrainError,
    export_adapter,
    export_merged,
    fine_tune,
    is_peft_adapter,
    prepare_base,
    register,
)

log = logging.getLogger(__name__)


def peft_weights(entry: ModelEntry, root: Path, base_hf: Path) -> Path | None:
    """The PEFT folder to continue `entry` from: its own, or else one rebuilt (once, cached)
    from its LoRA GGUF, as on a fresh machine that has only the shipped adapter."""
    peft = resolve_path(entry.peft_dir, root) if entry.peft_dir else None
    if peft is not None and is_peft_adapter(peft):
        return peft
    lora = resolve_path(entry.adapter, root) if entry.adapter else None
    if lora is None or not lora.is_file():
        return None
    stat = lora.stat()
    rebuilt = CACHE / "peft" / f"{entry.name}-{stat.st_size}-{stat.st_mtime_ns}"
    if not is_peft_adapter(rebuilt):
        log.info("%s: rebuilding its PEFT weights from %s", entry.name, lora)
        peft_from_gguf(lora, base_hf, rebuilt)
    return rebuilt


@dataclass
class DistillResult:
    entry: ModelEntry
    gguf: Path
    provenance: dict[str, object]


def distill(*, out_name: str, store: TrajectoryStore | None = None, jsonl: Path | None = None,
            base: str | None = None, sources: list[str], eval_seeds: set[int],
            holdout_tasks: set[str], config: TrainConfig, rationale_share: float = 0.5,
            merge: bool = False, registry: Registry | None = None,
            progress: bool = True, continue_training: bool = True,
            id_copies: int = 0, style: str = "student",
            intents: dict[str, list[str]] | None = None,
            copies: dict[str, int] | None = None,
            history: int = HISTORY_STEPS) -> DistillResult:
    """Distill `out_name` from `base`. When `base` is an adapter whose PEFT weights are known,
    training continues from them (the cycle's round after round); otherwise a fresh LoRA
    starts from the adapter's base model. Adapters are never stacked; a full fine-tune
    (`config.full`) starts from a base or an earlier full fine-tune. `style` is the step
    format the student learns (core.policies.formats: "student" action-first, or the legacy
    "compact" reason-first); `intents` other phrasings of tasks' objectives (by task id);
    `history` how many earlier steps an action-first prompt shows (registered with the
    model, so the loop shows it as many)."""
    registry = registry or Registry()
    resolved = registry.resolve(base)
    continued_from = None
    if config.full and resolved.entry.kind in ("adapter", "merged"):
        raise TrainError(f"full fine-tuning trains a model's own weights; {resolved.name} is "
                         f"an adapter on {resolved.entry.base}: start from a base model or "
                         "an earlier full fine-tune")
    if resolved.entry.kind in ("adapter", "merged"):  # a merged student trains as its adapter
        entry, root = registry.get(resolved.name)
        resolved = registry.resolve(resolved.entry.base)
        peft = peft_weights(entry, root, prepare_base(resolved)) if continue_training else None
        if peft is not None:
            config = replace(config, init_adapter=str(peft))
            continued_from = entry.name
        else:
            log.info("%s: no PEFT weights to continue from; a fresh LoRA on %s",
                     entry.name, entry.base)
    episodes = deduplicate(load_episodes(store, jsonl, sources))
    train_eps = split(episodes, eval_seeds, holdout_tasks)
    if style in ACTION_FIRST_STYLES:
        examples = build_student_examples(train_eps, seed=config.seed, id_copies=id_copies,
                                          intents=intents, copies=copies, style=style,
                                          history=history)
    else:
        examples = build_examples(train_eps, prompt_style=style,
                                  rationale_share=rationale_share, seed=config.seed,
                                  id_copies=id_copies)
    workdir = registry.user_dir / "training" / out_name
    workdir.mkdir(parents=True, exist_ok=True)
    write_examples(examples, workdir / "examples.jsonl")
    kinds = {k: sum(e.kind == k for e in examples) for k in ("action", "rationale")}
    log.info("%d episodes (%d held out) -> %d examples %s", len(train_eps),
             len(episodes) - len(train_eps), len(examples), kinds)
    base_hf = prepare_base(resolved)
    result = fine_tune(base_hf, examples, workdir, config, progress=progress)
    merge = merge or result.full  # a full fine-tune is a whole model: there is no adapter
    suffix = ".Q8_0.gguf" if merge else ".lora.gguf"
    out = registry.user_dir / "models" / (out_name + suffix)
    gguf = (export_merged(result, base_hf, out, base_pre_tokenizer(resolved.model_path))
            if merge else export_adapter(result, base_hf, out))
    provenance: dict[str, object] = {
        "base": resolved.name, "continued_from": continued_from,
        "data_hash": data_hash(examples), "episodes": len(train_eps),
        "examples": kinds, "sources": sources,
        "eval_seeds_excluded": f"{min(eval_seeds)}-{max(eval_seeds)}" if eval_seeds else "",
        "holdout_tasks": sorted(holdout_tasks), "hyperparameters": config.__dict__,
        "id_copies": id_copies, "copies": copies or {}, "rationale_share": rationale_share,
        "style": style, "history_steps": history,
        "steps": result.steps, "train_s": round(result.train_s, 1),
        "train_tokens_per_s": round(result.tokens_per_s, 1), "final_loss": result.final_loss,
        "device": result.device, "precision": result.precision,
    }
    entry = register(registry, out_name, resolved, gguf, merged=merge, provenance=provenance,
                     peft_dir=None if result.full else result.weights_dir,
                     hf_dir=result.weights_dir if result.full else None, style=style,
                     history=history)
    (workdir / "provenance.json").write_text(json.dumps(provenance, indent=2, default=str))
    return DistillResult(entry, gguf, provenance)

