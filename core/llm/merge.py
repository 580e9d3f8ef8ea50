"""Merge a LoRA adapter GGUF into its base GGUF, written as one quantized GGUF.

llama.cpp applies an adapter at run time as extra matrix products in every adapted layer, for
every prompt token; merged into the weights it costs nothing per token, and a Q8_0 file is also
faster to multiply on this kind of CPU than the Q4_1 base (docs/history-wave2.md, "A merged
student decides faster"). The merge is what `llama-export-lora` does, in numpy with llama.cpp's
own gguf-py: W' = dequant(W) + (alpha / r) · B·A for each adapted weight, then every matrix is
quantized to Q8_0 (or Q5_0 / Q4_0, the embedding kept in Q8_0; norms and other vectors stay
float32). It takes a few seconds for SmolLM2-135M and is done once per (base, adapter) pair:
`merged_path` names the file after both.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path

from core.errors import ModelError

log = logging.getLogger(__name__)

# The merged file's matrix type -> GGUF general.file_type (llama.cpp's LLAMA_FTYPE_MOSTLY_*).
QUANTS = {"Q8_0": 7, "Q5_0": 8, "Q4_0": 2}
# Kept in Q8_0 whatever the rest: the token embedding, which SmolLM2 also uses as its output.
_KEEP_Q8 = ("token_embd.weight", "output.weight")
LORA_ALPHA = "adapter.lora.alpha"


def merged_path(cache_dir: Path, name: str, base: Path, adapter: Path, quant: str) -> Path:
    """Where the merge of `adapter` into `base` lives: named by both files (path, size, time),
    so a new adapter or base is a new file and a stale merge is never used."""
    digest = hashlib.blake2b(digest_size=8)
    for path in (base, adapter):
        stat = path.stat()
        digest.update(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return cache_dir / "merged" / f"{name}-{digest.hexdigest()}.{quant}.gguf"


def lora_alpha(reader, path: Path) -> float:  # type: ignore[no-untyped-def]
    """A LoRA adapter GGUF's alpha (its update is alpha / r · B·A); a GGUF without one is
    not an adapter: one ModelError."""
    field = reader.fields.get(LORA_ALPHA)
    if field is None:
        raise ModelError(f"{path} is not a LoRA adapter GGUF (no {LORA_ALPHA})")
    return float(field.contents())


def temp_path(out: Path) -> Path:
    """Where a GGUF bound for `out` is written first (see write_atomically)."""
    return out.with_name(f"{out.name}.{os.getpid()}.tmp")


def write_atomically(writer, tmp: Path, out: Path, what: str) -> None:  # type: ignore[no-untyped-def]
    """Write a GGUFWriter's file at `tmp`, then move it to `out`: a reader never sees half a
    file, and a failed write leaves none (one ModelError naming `what`)."""
    try:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ModelError(f"cannot write {what} {out}: {exc}") from exc


def merge_lora(base: Path, adapter: Path, out: Path, quant: str = "Q8_0") -> Path:
    """Write base + adapter as one `quant` GGUF at `out` (atomically); returns `out`."""
    if quant not in QUANTS:
        raise ModelError(f"cannot merge into {quant}; supported: {', '.join(QUANTS)}")
    try:
        import numpy as np
        from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter
        from gguf.quants import dequantize, quantize
    except ImportError as exc:  # pragma: no cover - gguf is a dependency
        raise ModelError(f"merging a model needs the gguf package ({exc})") from exc
    started = time.perf_counter()
    try:
        base_gguf, lora_gguf = GGUFReader(base), GGUFReader(adapter)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {base} or {adapter} as GGUF: {exc}") from exc
    alpha = lora_alpha(lora_gguf, adapter)
    lora = {t.name: t for t in lora_gguf.tensors}
    arch = base_gguf.fields["general.architecture"].contents()
    q8, qtype = GGMLQuantizationType.Q8_0, GGMLQuantizationType[quant]
    merged: list[tuple[str, object, GGMLQuantizationType | None]] = []
    adapted = 0
    for tensor in base_gguf.tensors:
        weight = dequantize(tensor.data, tensor.tensor_type).astype(np.float32, copy=True)
        a, b = lora.get(tensor.name + ".lora_a"), lora.get(tensor.name + ".lora_b")
        if a is not None and b is not None:
            down = dequantize(a.data, a.tensor_type).astype(np.float32)   # (r, in)
            up = dequantize(b.data, b.tensor_type).astype(np.float32)     # (out, r)
            if up.shape[0] != weight.shape[0] or down.shape[1] != weight.shape[1]:
                raise ModelError(f"{adapter} does not fit {base}: {tensor.name} is "
                                 f"{weight.shape}, the adapter {up.shape} x {down.shape}")
            weight += (alpha / down.shape[0]) * (up @ down)
            adapted += 1
        if weight.ndim == 2 and weight.shape[-1] % 32 == 0:
            kind = q8 if tensor.name in _KEEP_Q8 else qtype
            merged.append((tensor.name, quantize(weight, kind), kind))
        else:
            merged.append((tensor.name, weight, None))
    if adapted * 2 != len(lora):
        raise ModelError(f"{adapter} adapts {len(lora) // 2} weights, {base} has {adapted} of "
                         "them: not this base's adapter")

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(out)
    writer = GGUFWriter(tmp, arch)
    for field in base_gguf.fields.values():
        if field.name.startswith("GGUF.") or field.name in ("general.architecture",
                                                            "general.alignment"):
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == GGUFValueType.ARRAY else None
        value = QUANTS[quant] if field.name == "general.file_type" else field.contents()
        writer.add_key_value(field.name, value, vtype, sub_type=sub)
    writer.add_key_value("symbiote.merged_adapter", adapter.name, GGUFValueType.STRING)
    for name, data, raw in merged:
        writer.add_tensor(name, data, raw_dtype=raw)  # type: ignore[arg-type]
    write_atomically(writer, tmp, out, "the merged model")
    log.info("merged %s into %s as %s in %.1f s (%d weights adapted): %s", adapter.name,
             base.name, quant, time.perf_counter() - started, adapted, out)
    return out
