"""Distillation of the on-device model, then export to a GGUF llama.cpp loads.

base GGUF ─(transformers dequantizes)→ clean HF copy ─(peft LoRA, CPU)→ adapter
          ─(llama.cpp's vendored convert_lora_to_gguf)→ adapter GGUF (Llama(lora_path=…))
Optionally merged into a full Q8_0 GGUF. With `full`, no adapter: every weight of the
transformer body trains (the embeddings, tied to the output projection, stay) and the result is
the whole model, written as a Q8_0 GGUF. Checkpoints every N steps; a rerun with the same
config resumes from the last one.

Device and precision: CUDA when `torch.cuda.is_available()`, else the CPU; bf16 autocast
(weights and optimizer stay fp32) where the device does bf16 in hardware — a GPU that says so,
a CPU with AMX or AVX512-BF16 — else fp32 (`--precision` overrides). On this project's Xeon
(AMX) bf16 is 1.7x fp32's tokens/s in a micro-benchmark but only 1.13x over v7's real run, at
1.6x the peak memory (docs/history-wave2.md, v7).
Several GPUs: `accelerate launch --multi_gpu --num_processes N .venv/bin/symbiote train …`
(docs/scale.md): each process takes its own batches of every step and the gradients are
averaged; only the main process writes checkpoints and the adapter, and the GGUF export and
the registry entry stay with it, on the CPU.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import random
import shutil
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.errors import SymbioteError
from core.models import ModelEntry, Registry, ResolvedModel, resolve_path
from core.prompts import HISTORY_STEPS
from trainer.dataset import Example
from trainer.gguf import convert_hf_to_gguf, convert_lora_to_gguf

log = logging.getLogger(__name__)
CACHE = Path(os.environ.get("SYMBIOTE_CACHE", Path.home() / ".cache" / "symbiote"))


class TrainError(SymbioteError):
    """Training cannot proceed (no data, out of memory, missing extra). Says what to do."""


@dataclass
class TrainConfig:
    epochs: float = 2.0
    lr: float = 3e-4
    batch_size: int = 4
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                       "up_proj", "down_proj")
    max_len: int = 768
    # LoRA on the top N layers only (0 = all): backward then stops there, which on this CPU
    # roughly halves the step time; format and task mapping are learned in the top layers.
    lora_layers: int = 0
    warmup_steps: int = 10
    threads: int = 0          # 0 = all cores (measured: 2 threads ~2x 1 thread for LoRA here)
    seed: int = 0
    checkpoint_every: int = 25
    max_steps: int = 0        # 0 = epochs decide
    # Continue from an earlier LoRA (its PEFT folder) instead of a fresh one: the symbiotic
    # cycle distills round after round. Its own r/layers/modules then apply, not the above.
    init_adapter: str = ""
    precision: str = "auto"   # auto | fp32 | bf16 (autocast): auto = bf16 where the hardware has it
    # Full fine-tuning: the transformer body's own weights train, no adapter (the lora_*
    # fields then do not apply). The embeddings stay: they are tied to the output projection,
    # a fifth of SmolLM2-135M, and the vocabulary is not what the student learns.
    full: bool = False

    def key(self) -> str:
        """What the trained weights depend on: a checkpoint resumes under the same key. The
        thread count and the checkpoint interval change the speed, not the result. A field
        added later enters the key only when it is set, so older checkpoints still resume."""
        fields = {k: v for k, v in asdict(self).items() if k not in ("threads", "checkpoint_every")}
        if not self.full:
            del fields["full"]
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]


@dataclass
class TrainResult:
    weights_dir: Path          # the PEFT adapter's folder; with `full`, the whole model's
    steps: int
    train_s: float
    tokens: int
    final_loss: float
    losses: list[float] = field(default_factory=list)
    device: str = "cpu"        # cpu | cuda
    precision: str = "fp32"    # fp32 | bf16 (autocast)
    processes: int = 1         # accelerate launch --num_processes
    full: bool = False         # weights_dir holds the whole model, not an adapter

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.train_s if self.train_s else 0.0


def _torch():  # type: ignore[no-untyped-def]
    try:
        import accelerate  # noqa: F401
        import peft  # noqa: F401
        import torch
        import transformers  # noqa: F401
    except ImportError as exc:
        raise TrainError("training needs the train extra: pip install '.[train]' "
                         f"(missing {exc.name})") from exc
    return torch


PRECISIONS = ("auto", "fp32", "bf16")


def pick_device(torch, precision: str = "auto") -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(device, precision): CUDA if there is one, else the CPU; under "auto" bf16 autocast
    where the device does bf16 in hardware (a CPU's AMX or AVX512-BF16), else fp32."""
    if precision not in PRECISIONS:
        raise TrainError(f"unknown precision {precision!r}: one of {', '.join(PRECISIONS)}")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if precision != "auto":
        return device, precision
    if device == "cuda":
        return device, "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    cpu = torch.cpu
    fast = cpu._is_amx_tile_supported() or cpu._is_avx512_bf16_supported()
    return device, "bf16" if fast else "fp32"


def _accelerator(torch, precision: str = "auto"):  # type: ignore[no-untyped-def]
    """One process of `accelerate launch` (or this process alone): its device and precision.
    Without a launcher this is one process on CUDA or the CPU, as `pick_device` says."""
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState

    device, precision = pick_device(torch, precision)
    mixed = "bf16" if precision == "bf16" else "no"
    state = AcceleratorState._shared_state
    alone = int(os.environ.get("WORLD_SIZE", "1")) == 1
    if state and state.get("_mixed_precision") != mixed and alone:
        # accelerate keeps one state per process; alone, a later run in another precision
        # (the cycle, a test) starts it afresh instead of failing
        AcceleratorState._reset_state(reset_partial_state=True)
    return Accelerator(cpu=device == "cpu",
                       mixed_precision=mixed), precision


def _main_process_first():  # type: ignore[no-untyped-def]
    """Under `accelerate launch` the main process makes shared files (the dequantized base)
    first and the others find them; alone, nothing to wait for."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        from accelerate import PartialState

        return PartialState().main_process_first()
    import contextlib

    return contextlib.nullcontext()


def prepare_base(resolved: ResolvedModel) -> Path:
    """A clean Hugging Face copy of the base GGUF (dequantized), made once and cached."""
    torch = _torch()

    if resolved.entry.hf_dir:
        return resolve_path(resolved.entry.hf_dir, resolved.model_path.parent)
    gguf = resolved.model_path
    stamp = f"{gguf.stem}-{gguf.stat().st_size}"
    out = CACHE / "hf" / stamp
    with _main_process_first():
        if (out / "config.json").exists():
            return out
        return _dequantize(gguf, out, torch)


def _dequantize(gguf: Path, out: Path, torch) -> Path:  # type: ignore[no-untyped-def]
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("dequantizing %s into %s (once)", gguf, out)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name,
                                                 dtype=torch.float32)
    # The weights are dequantized float32 by now, but transformers still marks the model as
    # GGUF-quantized and refuses to save it: drop the marks to get a clean copy.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    tmp.replace(out)
    return out


def _encode(tokenizer, ex: Example, max_len: int) -> tuple[list[int], list[int]] | None:  # type: ignore[no-untyped-def]
    prompt = tokenizer(ex.prompt, add_special_tokens=False)["input_ids"]
    target = tokenizer(ex.target + "<|im_end|>", add_special_tokens=False)["input_ids"]
    if len(prompt) + len(target) > max_len:
        return None
    return prompt + target, [-100] * len(prompt) + target


def target_loss(model, ids, mask, labels, torch):  # type: ignore[no-untyped-def]
    """The mean next-token loss over the target tokens (labels other than -100), as the
    model's own `labels=` loss computes it, with the vocabulary projection and the softmax
    done at the positions that predict a target token only. A step's target is its action
    and reason (20-60 tokens) after a 300-900-token prompt, so the full projection (49k
    logits per prompt token for SmolLM2, 262k for Gemma 3) was mostly thrown away."""
    keep = torch.zeros_like(labels, dtype=torch.bool)
    keep[:, :-1] = labels[:, 1:] != -100
    logits = model(input_ids=ids, attention_mask=mask, logits_to_keep=keep).logits
    return torch.nn.functional.cross_entropy(logits.float(), labels[:, 1:][keep[:, :-1]])


def is_peft_adapter(path: Path) -> bool:
    """A folder `save_pretrained` wrote for a LoRA, which training can continue from."""
    return (path / "adapter_config.json").exists()


def fine_tune(base_hf: Path, examples: list[Example], workdir: Path, config: TrainConfig,
              progress: bool = True) -> TrainResult:
    """Train on `examples` from the HF model in `base_hf`: a LoRA adapter, or with
    `config.full` the body's own weights. Resumes from `workdir`'s checkpoint."""
    torch = _torch()
    from peft import LoraConfig, PeftModel, get_peft_model, set_peft_model_state_dict
    from safetensors.torch import load_file
    from tqdm import tqdm
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not examples:
        raise TrainError("no training examples")
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads or os.cpu_count() or 1)
    accelerator, precision = _accelerator(torch, config.precision)
    device = accelerator.device
    world, rank = accelerator.num_processes, accelerator.process_index
    tokenizer = AutoTokenizer.from_pretrained(base_hf)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    encoded, skipped = [], Counter()
    for ex in examples:
        pair = _encode(tokenizer, ex, config.max_len)
        if pair is None:
            skipped[ex.task_id] += 1
        else:
            encoded.append(pair)
    if skipped:
        log.warning("%d examples longer than --max-len %d tokens skipped: %s",
                    sum(skipped.values()), config.max_len,
                    ", ".join(f"{task} {n}" for task, n in skipped.most_common()))
    if not encoded:
        raise TrainError(f"every example is longer than max_len={config.max_len} tokens")

    model = AutoModelForCausalLM.from_pretrained(base_hf, dtype=torch.float32).to(device)
    if config.full:
        if config.init_adapter:
            raise TrainError("full fine-tuning trains the model's own weights, not an adapter: "
                             "start it from a base or a fully trained model")
        for name, param in model.named_parameters():
            param.requires_grad = _body_weight(name)
    elif config.init_adapter:
        if not is_peft_adapter(Path(config.init_adapter)):
            raise TrainError(f"cannot continue from {config.init_adapter}: no PEFT adapter there")
        model = PeftModel.from_pretrained(model, config.init_adapter, is_trainable=True)
    else:
        n_layers = int(model.config.num_hidden_layers)
        layers = (list(range(max(0, n_layers - config.lora_layers), n_layers))
                  if config.lora_layers else None)
        model = get_peft_model(model, LoraConfig(
            r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
            target_modules=list(config.target_modules), layers_to_transform=layers,
            task_type="CAUSAL_LM"))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=0.0)

    # Batches of similar length waste less compute on padding; order shuffled by seed.
    rng = random.Random(config.seed)
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))
    batches = [order[i:i + config.batch_size] for i in range(0, len(order), config.batch_size)]
    per_epoch = len(batches)
    # N processes (accelerate launch) take N batches per step: the same epochs in 1/N steps
    total = config.max_steps or max(1, math.ceil(per_epoch * config.epochs / world))
    schedule = []
    while len(schedule) < total * world:
        epoch = batches[:]
        rng.shuffle(epoch)
        schedule += epoch
    schedule = schedule[:total * world]

    def lr_at(step: int) -> float:
        if step < config.warmup_steps:
            return config.lr * (step + 1) / config.warmup_steps
        progress_frac = (step - config.warmup_steps) / max(1, total - config.warmup_steps)
        return config.lr * 0.5 * (1 + math.cos(math.pi * progress_frac))

    ckpt = workdir / "checkpoint"
    start, losses, tokens, elapsed = 0, [], 0, 0.0
    state_file = ckpt / "trainer_state.json"
    if state_file.exists():
        state = json.loads(state_file.read_text())
        if state.get("config_key") == config.key() and state.get("n_examples") == len(encoded):
            if config.full:
                _load_body(model, load_file(ckpt / BODY_FILE))
            else:
                set_peft_model_state_dict(model, load_file(ckpt / "adapter_model.safetensors"))
            optimizer.load_state_dict(torch.load(ckpt / "optimizer.pt", weights_only=True))
            start, losses = state["step"], state["losses"]
            tokens, elapsed = state["tokens"], state["elapsed"]
            log.info("resuming from step %d of %d", start, total)
        else:
            log.warning("a checkpoint for another config exists in %s: starting over", ckpt)

    # one process: the model as it is on its device; several: DDP, gradients averaged
    model, optimizer = accelerator.prepare(model, optimizer)
    log.info("training on %s in %s (%d process%s)", device, precision, world,
             "" if world == 1 else "es")
    model.train()
    bar = tqdm(total=total, initial=start, unit="step", desc="distill",
               disable=not progress or not accelerator.is_main_process)
    t0 = time.perf_counter() - elapsed
    try:
        for step in range(start, total):
            batch = [encoded[i] for i in schedule[step * world + rank]]
            width = max(len(ids) for ids, _ in batch)
            ids = torch.tensor([x + [pad_id] * (width - len(x)) for x, _ in batch], device=device)
            labels = torch.tensor([y + [-100] * (width - len(y)) for _, y in batch], device=device)
            mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x, _ in batch],
                                device=device)
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step)
            loss = target_loss(model, ids, mask, labels, torch)
            accelerator.backward(loss)
            accelerator.clip_grad_norm_(params, 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if world > 1:
                loss = accelerator.reduce(loss.detach(), "mean")
                n_tokens = int(accelerator.reduce(mask.sum(), "sum"))
            else:
                n_tokens = int(mask.sum())
            losses.append(round(float(loss.item()), 4))
            tokens += n_tokens
            bar.update(1)
            bar.set_postfix(loss=f"{losses[-1]:.3f}",
                            tok_s=f"{tokens / max(time.perf_counter() - t0, 1e-6):.0f}")
            if (step + 1) % config.checkpoint_every == 0 or step + 1 == total:
                if accelerator.is_main_process:
                    state = {"config_key": config.key(), "n_examples": len(encoded),
                             "step": step + 1, "losses": losses, "tokens": tokens,
                             "elapsed": time.perf_counter() - t0}
                    _save_checkpoint(accelerator.unwrap_model(model), config.full, optimizer,
                                     ckpt, state, torch)
                accelerator.wait_for_everyone()
    except (RuntimeError, MemoryError) as exc:
        if isinstance(exc, MemoryError) or "out of memory" in str(exc).lower():
            raise TrainError(f"out of memory at step {step}: lower --batch-size or --max-len; "
                             f"training resumes from the last checkpoint in {ckpt}") from exc
        raise
    finally:
        bar.close()
    train_s = time.perf_counter() - t0
    weights_dir = workdir / ("model" if config.full else "adapter")
    if accelerator.is_main_process:
        accelerator.unwrap_model(model).save_pretrained(weights_dir, safe_serialization=True)
        if config.full:  # a whole model: the GGUF converter and a later run read it alone
            tokenizer.save_pretrained(weights_dir)
    accelerator.wait_for_everyone()
    if not accelerator.is_main_process:
        # the adapter is written; the GGUF export and the registry entry that follow in the
        # caller (trainer.pipeline) are the main process's alone
        raise SystemExit(0)
    return TrainResult(weights_dir, total, train_s, tokens,
                       float(sum(losses[-10:]) / max(1, len(losses[-10:]))), losses,
                       device=device.type, precision=precision, processes=world,
                       full=config.full)


BODY_FILE = "body.safetensors"  # a full fine-tune's checkpoint: the weights that train


def _body_weight(name: str) -> bool:
    """Whether full fine-tuning trains this parameter: all but the (tied) embeddings."""
    return "embed_tokens" not in name and "lm_head" not in name


def _load_body(model, weights: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    missing, unexpected = model.load_state_dict(weights, strict=False)
    trained = {n for n, p in model.named_parameters() if p.requires_grad}
    if unexpected or trained & set(missing):
        raise TrainError(f"the checkpoint does not match this model: {len(unexpected)} unknown "
                         f"and {len(trained & set(missing))} missing weights")


def _save_checkpoint(model, full: bool, optimizer, ckpt: Path, state: dict[str, object],  # type: ignore[no-untyped-def]
                     torch) -> None:
    from safetensors.torch import save_file

    tmp = ckpt.with_name(ckpt.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    if full:
        tmp.mkdir(parents=True)
        save_file({n: p.detach().contiguous() for n, p in model.named_parameters()
                   if p.requires_grad}, tmp / BODY_FILE)
    else:
        model.save_pretrained(tmp)
    torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    (tmp / "trainer_state.json").write_text(json.dumps(state))
    shutil.rmtree(ckpt, ignore_errors=True)
    tmp.replace(ckpt)


def export_adapter(result: TrainResult, base_hf: Path, out: Path) -> Path:
    if result.full:
        raise TrainError("a full fine-tune has no adapter to export: write its merged GGUF")
    out.parent.mkdir(parents=True, exist_ok=True)
    return convert_lora_to_gguf(result.weights_dir, base_hf, out, outtype="f16")


def export_merged(result: TrainResult, base_hf: Path, out: Path,
                  pre_tokenizer: str | None = None) -> Path:
    """Merge the LoRA into the base weights (a full fine-tune is its own merged model) and
    write a full Q8_0 GGUF. `pre_tokenizer`: as convert_hf_to_gguf's, for a tokenizer the
    converter cannot know (one trained here)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if result.full:
        return convert_hf_to_gguf(result.weights_dir, out, outtype="q8_0",
                                  pre_tokenizer=pre_tokenizer)
    torch = _torch()
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(base_hf, dtype=torch.float32)
    merged = PeftModel.from_pretrained(model, result.weights_dir).merge_and_unload()
    hf_out = result.weights_dir.parent / "merged-hf"
    merged.save_pretrained(hf_out, safe_serialization=True)
    AutoTokenizer.from_pretrained(base_hf).save_pretrained(hf_out)
    return convert_hf_to_gguf(hf_out, out, outtype="q8_0", pre_tokenizer=pre_tokenizer)


def register(registry: Registry, name: str, base: ResolvedModel, gguf: Path, *, merged: bool,
             provenance: dict[str, object], peft_dir: Path | None = None,
             hf_dir: Path | None = None, style: str = "student",
             history: int = HISTORY_STEPS) -> ModelEntry:
    """The new model's registry entry. `hf_dir`: a full fine-tune's own weights, which a
    later run trains on from (prepare_base), as it would from a base model."""
    if merged:
        entry = ModelEntry(name=name, kind="distilled", gguf=str(gguf),
                           hf_dir=str(hf_dir) if hf_dir else "",
                           prompt_style=style, history_steps=history,
                           provenance=provenance)  # type: ignore[arg-type]
    else:
        entry = ModelEntry(name=name, kind="adapter", base=base.entry.name
                           if base.entry.kind not in ("adapter", "merged")
                           else base.entry.base,
                           adapter=str(gguf), peft_dir=str(peft_dir) if peft_dir else "",
                           prompt_style=style, history_steps=history,
                           provenance=provenance)  # type: ignore[arg-type]
    registry.add(entry)
    return entry
