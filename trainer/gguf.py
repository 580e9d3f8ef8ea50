"""Convert Hugging Face checkpoints and PEFT LoRA adapters to GGUF with llama.cpp's own converters.

llama.cpp's `convert_hf_to_gguf.py` and `convert_lora_to_gguf.py` ship only inside the
llama-cpp-python sdist (vendor/llama.cpp), and they need that tree's own gguf-py: the PyPI `gguf`
package lags behind them. So we extract just the converter parts of the cached sdist once, and run
the scripts in a subprocess with the vendored gguf-py first on the path. A subprocess also keeps
the converters' global logging setup and their torch/transformers imports out of our process.

The converters import torch, numpy, transformers, safetensors and PyYAML (gguf-py's metadata),
and sentencepiece for every Llama-architecture model (SmolLM2 too): the Llama converter imports
it before it even looks for a tokenizer.model.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Literal

from core.errors import SymbioteError

logger = logging.getLogger(__name__)

LLAMA_CPP_PYTHON_VERSION = "0.3.36"
SDIST_ENV = "SYMBIOTE_LLAMA_SDIST"
CACHE_DIR = Path.home() / ".cache" / "symbiote"
SDIST_DIR = CACHE_DIR / "sdist"
SOURCE_CACHE_DIR = CACHE_DIR / "llama.cpp-src"

OutType = Literal["f32", "f16", "bf16", "q8_0"]

# What the converters need from vendor/llama.cpp; models/ holds the chat templates and the two
# built-in vocabularies some architectures fall back on (a few MB; the other vocabs are ~70 MB).
_NEEDED = (
    "convert_hf_to_gguf.py",
    "convert_lora_to_gguf.py",
    "conversion/",
    "gguf-py/gguf/",
    "models/templates/",
    "models/ggml-vocab-gpt-neox.gguf",
    "models/ggml-vocab-llama-spm.gguf",
    "LICENSE",
)
_COMPLETE_MARKER = ".symbiote-extracted"
_SDIST_NAME = re.compile(r"llama_cpp_python-(\d+(?:\.\d+)*)\.tar\.gz$")
_STDERR_TAIL_LINES = 25


class GGUFConversionError(SymbioteError):
    """A conversion failed; the message carries the converter's last stderr lines."""


class LlamaSourceMissingError(GGUFConversionError):
    """The llama-cpp-python sdist (which holds the converters) is not in the cache."""


def _version_key(path: Path) -> tuple[int, ...]:
    match = _SDIST_NAME.search(path.name)
    return tuple(int(part) for part in match.group(1).split(".")) if match else ()


def find_sdist() -> Path:
    """The llama-cpp-python sdist: $SYMBIOTE_LLAMA_SDIST, else the newest one in the cache."""
    override = os.environ.get(SDIST_ENV)
    if override:
        path = Path(override).expanduser()
        if not path.is_file():
            raise LlamaSourceMissingError(
                f"{SDIST_ENV} points to {path}, which does not exist; unset it or point it at a "
                "llama_cpp_python-<version>.tar.gz sdist."
            )
        return path
    candidates = sorted(SDIST_DIR.glob("llama_cpp_python-*.tar.gz"), key=_version_key)
    if not candidates:
        raise LlamaSourceMissingError(
            f"No llama-cpp-python source archive in {SDIST_DIR}; the GGUF converters come from "
            "it. Run `make setup` (it caches the sdist), or fetch it yourself with "
            "`pip download --no-deps --no-binary :all: "
            f"llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION} -d {SDIST_DIR}`."
        )
    return candidates[-1]


def llama_cpp_source_dir() -> Path:
    """vendor/llama.cpp's converter parts, extracted once from the cached sdist."""
    sdist = find_sdist()
    match = _SDIST_NAME.search(sdist.name)
    version = match.group(1) if match else sdist.name.removesuffix(".tar.gz")
    target = SOURCE_CACHE_DIR / version
    if (target / _COMPLETE_MARKER).is_file():
        return target
    logger.info("Extracting llama.cpp converters from %s to %s", sdist, target)
    SOURCE_CACHE_DIR.mkdir(parents=True, exist_ok=True)
    # Extract next to the target and rename, so a crash or a concurrent run never leaves a
    # half-extracted tree that looks complete.
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=SOURCE_CACHE_DIR))
    try:
        _extract_converters(sdist, staging)
        (staging / _COMPLETE_MARKER).write_text(str(sdist) + "\n", encoding="utf-8")
        if target.exists() and not (target / _COMPLETE_MARKER).is_file():
            shutil.rmtree(target)  # left by an interrupted older layout; never trust it
        try:
            staging.rename(target)
        except OSError:
            if not (target / _COMPLETE_MARKER).is_file():
                raise
            # Another process finished first; its copy is as good as ours.
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _extract_converters(sdist: Path, dest: Path) -> None:
    try:
        with tarfile.open(sdist, "r:gz") as archive:
            members = []
            for member in archive.getmembers():
                # Paths look like llama_cpp_python-0.3.36/vendor/llama.cpp/<rel>.
                _, sep, rel = member.name.partition("/vendor/llama.cpp/")
                if not sep or not (member.isfile() or member.isdir()):
                    continue
                if any(rel == need or (need.endswith("/") and rel.startswith(need))
                       for need in _NEEDED):
                    member.name = rel
                    members.append(member)
            if not any(m.name == "convert_hf_to_gguf.py" for m in members):
                raise LlamaSourceMissingError(
                    f"{sdist} has no vendor/llama.cpp/convert_hf_to_gguf.py; it is not a "
                    "llama-cpp-python sdist. Re-download it with `pip download --no-deps "
                    f"--no-binary :all: llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION}`."
                )
            archive.extractall(dest, members=members, filter="data")
    except (tarfile.TarError, EOFError) as exc:
        raise LlamaSourceMissingError(
            f"{sdist} is not a readable .tar.gz ({exc}); delete it and run `make setup` again."
        ) from exc


def convert_hf_to_gguf(
    hf_dir: Path | str,
    out_path: Path | str,
    outtype: OutType = "q8_0",
    *,
    pre_tokenizer: str | None = None,
) -> Path:
    """Convert a saved Hugging Face causal LM (config, weights, tokenizer) to one GGUF file.

    The converter names the GGUF's pre-tokenizer by hashing the tokenizer's output on a probe
    text, which only works for tokenizers of published models it lists. `pre_tokenizer` names it
    for a tokenizer it cannot know (one trained here); it is used only when the hash is unknown,
    and only "gpt-2" is accepted, after checking tokenizer.json really splits like GPT-2.
    """
    hf_dir, out_path = Path(hf_dir), Path(out_path)
    if not (hf_dir / "config.json").is_file():
        raise GGUFConversionError(f"{hf_dir} has no config.json; save the model there first.")
    args = [str(hf_dir), "--outfile", str(out_path), "--outtype", outtype]
    if pre_tokenizer is None:
        _run_converter("convert_hf_to_gguf.py", args)
    else:
        _check_pre_tokenizer(hf_dir, pre_tokenizer)
        _run_converter("convert_hf_to_gguf.py", args, fallback_pre_tokenizer=pre_tokenizer)
    return out_path


def convert_lora_to_gguf(
    adapter_dir: Path | str,
    base_hf_dir: Path | str,
    out_path: Path | str,
    outtype: OutType = "f32",
) -> Path:
    """Convert a PEFT LoRA adapter to a GGUF adapter for `Llama(lora_path=...)`.

    `base_hf_dir` only needs the base model's config.json; passing it also keeps the converter
    from looking the base model up on the Hugging Face hub. No local path goes into the GGUF.
    """
    adapter_dir, base_hf_dir, out_path = Path(adapter_dir), Path(base_hf_dir), Path(out_path)
    if not (adapter_dir / "adapter_config.json").is_file():
        raise GGUFConversionError(f"{adapter_dir} has no adapter_config.json; it is not a PEFT "
                                  "adapter directory.")
    if not (base_hf_dir / "config.json").is_file():
        raise GGUFConversionError(f"{base_hf_dir} has no config.json (the base model's).")
    with tempfile.TemporaryDirectory(prefix="symbiote-lora-") as staged:
        # The converter names the base in the GGUF's metadata from the adapter's config and
        # model card, which PEFT fills with the base's local path (the user's home). An adapter
        # is a file users share, so it sees a copy naming the base by its folder's name only.
        staged_dir = Path(staged) / Path(out_path).name.removesuffix(".gguf")  # names it
        staged_dir.mkdir()
        lora_config = json.loads((adapter_dir / "adapter_config.json").read_text("utf-8"))
        lora_config["base_model_name_or_path"] = base_hf_dir.name
        (staged_dir / "adapter_config.json").write_text(json.dumps(lora_config), "utf-8")
        (staged_dir / "README.md").write_text(f"---\nbase_model: {base_hf_dir.name}\n---\n",
                                              "utf-8")
        for weights in adapter_dir.glob("adapter_model.*"):
            (staged_dir / weights.name).symlink_to(weights.resolve())
        _run_converter(
            "convert_lora_to_gguf.py",
            [str(staged_dir), "--base", str(base_hf_dir), "--outfile", str(out_path),
             "--outtype", outtype],
        )
    return out_path


def drop_local_dir(path: Path | str, local_dir: str) -> bool:
    """Rewrite the GGUF at `path` with `local_dir` (an absolute folder, as PEFT wrote it into
    adapters converted before `convert_lora_to_gguf` staged them) cut out of every string of
    its metadata, with and without its leading slash; tensors are copied byte for byte.
    Returns whether anything changed. The file is replaced only once the copy is whole."""
    from gguf import GGUFReader, GGUFValueType, GGUFWriter  # the PyPI gguf, enough to copy

    path, cut = Path(path), local_dir.rstrip("/") + "/"
    reader = GGUFReader(path)

    def clean(value: object) -> object:
        if isinstance(value, str):
            return value.replace(cut, "").replace(cut.lstrip("/"), "")
        return [clean(v) for v in value] if isinstance(value, list) else value

    arch = reader.get_field("general.architecture")
    if arch is None:
        raise GGUFConversionError(f"{path} has no general.architecture; not a GGUF to rewrite.")
    fields = [f for f in reader.fields.values()
              if f.name != "general.architecture" and not f.name.startswith("GGUF.")]
    changed = any(clean(f.contents()) != f.contents() for f in fields)
    if not changed:
        return False
    tmp = path.with_name(path.name + ".tmp")
    writer = GGUFWriter(tmp, arch=arch.contents(), endianess=reader.endianess)
    for field in fields:
        kind = field.types[0]
        sub = field.types[-1] if kind == GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, clean(field.contents()), kind, sub_type=sub)
    for tensor in reader.tensors:
        writer.add_tensor_info(tensor.name, tensor.data.shape, tensor.data.dtype,
                               tensor.data.nbytes, tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in reader.tensors:
        writer.write_tensor_data(tensor.data, tensor_endianess=reader.endianess)
    writer.close()
    del reader  # its memory map, before the file under it is replaced
    tmp.replace(path)
    return True


def base_pre_tokenizer(gguf_path: Path | str) -> str | None:
    """The pre-tokenizer to name when converting a model trained from this GGUF: "gpt-2" if
    the GGUF carries it (a model converted here with that fallback; the published ones are
    found by their hash), else None. A student keeps its base's tokenizer."""
    from gguf import GGUFReader

    try:
        field = GGUFReader(gguf_path).fields.get("tokenizer.ggml.pre")
    except (OSError, ValueError) as exc:
        raise GGUFConversionError(f"cannot read {gguf_path}: {exc}") from exc
    return "gpt-2" if field is not None and field.contents() == "gpt-2" else None


def _check_pre_tokenizer(hf_dir: Path, name: str) -> None:
    """Refuse to label a tokenizer with a pre-tokenizer it does not implement."""
    if name != "gpt-2":
        raise GGUFConversionError(f"pre_tokenizer={name!r} is not supported; only 'gpt-2'.")
    try:
        spec = json.loads((hf_dir / "tokenizer.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GGUFConversionError(f"cannot read {hf_dir / 'tokenizer.json'}: {exc}") from exc
    pre = spec.get("pre_tokenizer") or {}
    steps = pre.get("pretokenizers", [pre]) if pre.get("type") == "Sequence" else [pre]
    # llama.cpp's "gpt-2" pre-tokenizer is exactly GPT-2's regex split over byte-level text.
    is_gpt2 = (len(steps) == 1 and steps[0].get("type") == "ByteLevel"
               and steps[0].get("use_regex", True) and not spec.get("normalizer"))
    if not is_gpt2:
        raise GGUFConversionError(
            f"{hf_dir / 'tokenizer.json'} does not pre-tokenize like GPT-2 (a lone ByteLevel "
            "pre-tokenizer with use_regex and no normalizer), so it cannot be labelled 'gpt-2'."
        )


def _run_converter(
    script: str, args: list[str], *, fallback_pre_tokenizer: str | None = None
) -> None:
    source = llama_cpp_source_dir()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(source / "gguf-py"), str(source), *filter(None, [env.get("PYTHONPATH")])]
    )
    env.pop("NO_LOCAL_GGUF", None)
    # The converters fall back to the Hugging Face hub for missing configs; never let them.
    env["HF_HUB_OFFLINE"] = "1"
    env["TRANSFORMERS_OFFLINE"] = "1"
    if fallback_pre_tokenizer is None:
        command = [sys.executable, str(source / script), *args]
    else:
        command = [sys.executable, "-m", __name__, str(source / script),
                   fallback_pre_tokenizer, *args]
    logger.info("Running %s %s", script, " ".join(args))
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-_STDERR_TAIL_LINES:])
        raise GGUFConversionError(f"{script} failed (exit {result.returncode}):\n{tail}")
    logger.debug("%s output:\n%s", script, result.stderr)


def _run_with_fallback_pre_tokenizer(script: Path, pre_tokenizer: str, args: list[str]) -> None:
    """Run convert_hf_to_gguf.py, naming `pre_tokenizer` when the hash lookup knows nothing.

    The lookup stays first, so a tokenizer the converter does know keeps its own name.
    """
    import runpy

    # The script resolves its data files (models/*.gguf) via sys.path[0], as if run directly.
    sys.path.insert(0, str(script.parent))
    sys.argv = [str(script), *args]
    from conversion.base import TextModel  # type: ignore[import-not-found]

    detect = TextModel.get_vocab_base_pre

    def get_vocab_base_pre(self: object, tokenizer: object) -> str:
        try:
            return detect(self, tokenizer)
        except NotImplementedError:
            logger.warning("Tokenizer hash unknown to the converter; using pre-tokenizer %r",
                           pre_tokenizer)
            return pre_tokenizer

    TextModel.get_vocab_base_pre = get_vocab_base_pre
    runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    _run_with_fallback_pre_tokenizer(Path(sys.argv[1]), sys.argv[2], sys.argv[3:])


# llama.cpp's names for the Llama projections a LoRA adapts, and their Hugging Face modules.
_GGUF_MODULES = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
                 "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
                 "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
                 "ffn_down": "mlp.down_proj"}
_LORA_TENSOR = re.compile(r"^blk\.(?P<layer>\d+)\.(?P<module>\w+)\.weight\.lora_(?P<ab>[ab])$")


def _unpermute(rows, n_head: int):  # type: ignore[no-untyped-def]
    """Undo the converter's rotary permutation of q/k output rows (LlamaModel.permute)."""
    return (rows.reshape(n_head, rows.shape[0] // n_head // 2, 2, *rows.shape[1:])
            .swapaxes(1, 2).reshape(rows.shape))


def peft_from_gguf(lora_gguf: Path | str, base_hf_dir: Path | str, out_dir: Path | str) -> Path:
    """The PEFT folder a LoRA GGUF was converted from, rebuilt from the GGUF alone, so training
    can continue a shipped adapter on a machine that never had its PEFT weights.

    convert_lora_to_gguf wrote lora_a (r × in) and lora_b (out × r) as they are, except that the
    q and k projections' lora_b rows are permuted for llama.cpp's rotary layout; this undoes that.
    The weights are the GGUF's (f16 in the shipped adapters), so the round trip is exact up to
    that rounding (tests/trainer/test_gguf.py)."""
    import numpy as np
    import torch
    from gguf import GGUFReader
    from gguf.quants import dequantize
    from peft import LoraConfig
    from safetensors.torch import save_file

    lora_gguf, base_hf_dir, out_dir = Path(lora_gguf), Path(base_hf_dir), Path(out_dir)
    try:
        reader = GGUFReader(lora_gguf)
        config = json.loads((base_hf_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GGUFConversionError(f"cannot read {lora_gguf} or {base_hf_dir}: {exc}") from exc
    alpha_field = reader.fields.get("adapter.lora.alpha")
    if alpha_field is None:
        raise GGUFConversionError(f"{lora_gguf} is not a LoRA adapter GGUF")
    heads = {"attn_q": int(config["num_attention_heads"]),
             "attn_k": int(config.get("num_key_value_heads", config["num_attention_heads"]))}
    weights, layers, modules, rank = {}, set(), set(), 0
    for tensor in reader.tensors:
        match = _LORA_TENSOR.match(tensor.name)
        if not match or match["module"] not in _GGUF_MODULES:
            raise GGUFConversionError(f"{lora_gguf}: unexpected tensor {tensor.name}")
        data = dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        module = _GGUF_MODULES[match["module"]]
        if match["ab"] == "b" and match["module"] in heads:
            data = _unpermute(data, heads[match["module"]])
        rank = data.shape[0] if match["ab"] == "a" else rank
        key = (f"base_model.model.model.layers.{match['layer']}.{module}"
               f".lora_{match['ab'].upper()}.weight")
        weights[key] = torch.from_numpy(np.ascontiguousarray(data))
        layers.add(int(match["layer"]))
        modules.add(module.split(".")[-1])
    if not weights:
        raise GGUFConversionError(f"{lora_gguf} holds no LoRA tensors")
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    n_layers = int(config["num_hidden_layers"])
    alpha = float(alpha_field.contents())
    LoraConfig(r=rank, lora_alpha=int(alpha) if alpha.is_integer() else alpha,  # type: ignore[arg-type]
               target_modules=sorted(modules),
               layers_to_transform=None if len(layers) == n_layers else sorted(layers),
               task_type="CAUSAL_LM", base_model_name_or_path=str(base_hf_dir)
               ).save_pretrained(tmp)
    save_file(weights, tmp / "adapter_model.safetensors")
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.replace(out_dir)
    return out_dir
