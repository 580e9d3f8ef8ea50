"""Blend LoRA adapters of one base by weight averaging (WiSE-FT, Wortsman et al., CVPR 2022).

A model fine-tuned further on a narrow pool gains on what that pool holds and loses what the
earlier model carried to unseen tasks (docs/history-wave2.md: v10-v15 from v9, v18 from v17).
Averaging the weights of the earlier and the later model, both in the same basin because one
continues the other, keeps much of the gain and much of the robustness, at no training cost.

The blend is exact, not a re-fit: each adapter's update is (alpha / r) * B @ A, and
sum_i w_i * (alpha_i / r_i) * B_i @ A_i is one LoRA of rank sum(r_i) whose A stacks the A_i
and whose B places the scaled w_i * (alpha_i / r_i) * B_i side by side, with alpha equal to its
rank (scale 1). llama.cpp and core.llm.merge read it as any other adapter.

    python -m trainer.blend --out smollm2-symbiote-v19 \\
        --part smollm2-symbiote-v17=0.5 --part smollm2-symbiote-v18=0.5
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from core.errors import ModelError
from core.llm.merge import LORA_ALPHA, lora_alpha, temp_path, write_atomically
from core.models import ModelEntry, Registry, resolve_path

log = logging.getLogger(__name__)

_KEEP_FIELDS = ("general.type", "adapter.type", "general.base_model.count",
                "general.base_model.0.name", "general.base_model.0.version",
                "general.quantization_version")


def blend_adapters(parts: list[tuple[Path, float]], out: Path) -> Path:
    """Write sum_i w_i * adapter_i as one LoRA adapter GGUF at `out` (atomically)."""
    if not parts:
        raise ModelError("nothing to blend")
    import numpy as np
    from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter
    from gguf.quants import dequantize

    readers, scales = [], []
    for path, weight in parts:
        try:
            reader = GGUFReader(path)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read {path} as GGUF: {exc}") from exc
        readers.append(reader)
        scales.append(weight * lora_alpha(reader, path))  # divided by each tensor's rank below
    names = [sorted(t.name for t in r.tensors) for r in readers]
    if any(n != names[0] for n in names[1:]):
        raise ModelError("the adapters adapt different weights: not adapters of one base "
                         "with one set of target modules")
    tensors = [{t.name: t for t in r.tensors} for r in readers]
    blended: list[tuple[str, object]] = []
    rank_total = 0
    for name in names[0]:
        if not name.endswith(".lora_a"):
            continue
        stem = name[: -len(".lora_a")]
        downs, ups = [], []
        for (path, _), scale, table in zip(parts, scales, tensors, strict=True):
            a, b = table[stem + ".lora_a"], table[stem + ".lora_b"]
            down = dequantize(a.data, a.tensor_type).astype(np.float32)  # (r, in)
            up = dequantize(b.data, b.tensor_type).astype(np.float32)    # (out, r)
            if downs and (down.shape[1] != downs[0].shape[1] or up.shape[0] != ups[0].shape[0]):
                raise ModelError(f"{path}: {stem} has another shape than in {parts[0][0]}")
            downs.append(down)
            ups.append(up * (scale / down.shape[0]))
        down, up = np.concatenate(downs, axis=0), np.concatenate(ups, axis=1)
        rank_total = down.shape[0]
        blended.append((stem + ".lora_a", down.astype(np.float16)))
        blended.append((stem + ".lora_b", up.astype(np.float16)))

    first = readers[0]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(out)
    writer = GGUFWriter(tmp, first.fields["general.architecture"].contents())
    for key in _KEEP_FIELDS:
        field = first.fields.get(key)
        if field is not None:
            writer.add_key_value(key, field.contents(), field.types[0])
    writer.add_key_value("general.name", out.name.removesuffix(".lora.gguf"),
                         GGUFValueType.STRING)
    writer.add_key_value(LORA_ALPHA, float(rank_total), GGUFValueType.FLOAT32)
    writer.add_key_value("symbiote.blend", json.dumps(
        [{"adapter": p.name, "weight": w} for p, w in parts]), GGUFValueType.STRING)
    for name, data in blended:
        writer.add_tensor(name, data, raw_dtype=GGMLQuantizationType.F16)  # type: ignore[arg-type]
    write_atomically(writer, tmp, out, "the blended adapter")
    log.info("blended %s into %s (rank %d)", ", ".join(f"{p.name} x{w:g}" for p, w in parts),
             out, rank_total)
    return out


def blend(registry: Registry, out_name: str, weights: dict[str, float]) -> ModelEntry:
    """Blend registered adapters `weights` (name -> weight) into the new adapter `out_name`."""
    parts: list[tuple[Path, float]] = []
    entries: list[ModelEntry] = []
    for name, weight in weights.items():
        entry, root = registry.get(name)
        if entry.kind not in ("adapter", "merged") or not entry.adapter:
            raise ModelError(f"{name} is not a LoRA adapter; only adapters blend")
        if entries and entry.base != entries[0].base:
            raise ModelError(f"{name} adapts {entry.base}, the others {entries[0].base}")
        if entries and entry.history_steps != entries[0].history_steps:
            raise ModelError(f"{name} reads {entry.history_steps} earlier steps, the others "
                             f"{entries[0].history_steps}: a blend has one prompt format")
        entries.append(entry)
        parts.append((resolve_path(entry.adapter, root), weight))
    out = registry.user_dir.resolve() / "models" / f"{out_name}.lora.gguf"
    blend_adapters(parts, out)
    first = entries[0]
    entry = ModelEntry(name=out_name, kind="adapter", base=first.base, adapter=str(out),
                       prompt_style=first.prompt_style, history_steps=first.history_steps,
                       chat_template=first.chat_template, n_ctx_train=first.n_ctx_train,
                       license=first.license,
                       provenance={"blended_from": weights,
                                   "how": "trainer.blend: weight averaging of the adapters' "
                                          "updates (WiSE-FT), exact as one LoRA of the "
                                          "summed rank"})  # type: ignore[arg-type]
    registry.add(entry)
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer.blend", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="the new adapter's name")
    parser.add_argument("--part", action="append", required=True, metavar="NAME=WEIGHT",
                        help="a registered adapter and its weight (repeat; weights usually "
                             "sum to 1)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    weights: dict[str, float] = {}
    for part in args.part:
        name, sep, value = part.rpartition("=")
        try:
            weights[name] = float(value)
        except ValueError:
            name = ""
        if not sep or not name:
            parser.error(f"--part wants NAME=WEIGHT, not {part!r}")
    try:
        entry = blend(Registry(), args.out, weights)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{entry.name}: {entry.adapter}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
