"""A registry model as an Ollama model: a folder with a Modelfile (`FROM` the base GGUF,
`ADAPTER` the LoRA GGUF, the ChatML template, the system prompt the model was trained with)
and the files it names, hard-linked where the file system allows, else copied, so that
`ollama create NAME -f DIR/Modelfile` resolves every name from the folder itself."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from core.errors import ConfigError
from core.models import ResolvedModel
from core.prompts import system_prompt

# Ollama's Go template for ChatML, the format SmolLM2 and Symbiote's students were trained in.
CHATML_TEMPLATE = """{{ if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}{{ if .Prompt }}<|im_start|>user
{{ .Prompt }}<|im_end|>
{{ end }}<|im_start|>assistant
{{ .Response }}<|im_end|>
"""


def _place(source: Path, out_dir: Path) -> str:
    """The file in `out_dir` under its own name; returns the Modelfile's relative path."""
    target = out_dir / source.name
    if target.exists():
        target.unlink()
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copy2(source, target)
    return f"./{source.name}"


def modelfile(resolved: ResolvedModel, base: str, adapter: str | None) -> str:
    if resolved.chat_template != "chatml":
        raise ConfigError(f"{resolved.name} uses the {resolved.chat_template!r} chat template; "
                          "only ChatML models can be exported to Ollama")
    system = system_prompt(resolved.prompt_style).replace('"""', "'''")
    lines = [f"# {resolved.name}, exported by `symbiote models export`", f"FROM {base}"]
    if adapter:
        lines.append(f"ADAPTER {adapter}")
    lines += [f'TEMPLATE """{CHATML_TEMPLATE}"""', f'SYSTEM """{system}"""',
              'PARAMETER stop "<|im_end|>"', "PARAMETER temperature 0",
              f"PARAMETER num_ctx {min(resolved.entry.n_ctx_train, 4096)}"]
    if resolved.entry.license:
        lines.append(f'LICENSE """{resolved.entry.license}"""')
    return "\n".join(lines) + "\n"


def export_ollama(resolved: ResolvedModel, out_dir: Path) -> Path:
    """Write DIR/Modelfile and the GGUF files it names; returns the Modelfile's path."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        base = _place(resolved.model_path, out_dir)
        adapter = _place(resolved.lora_path, out_dir) if resolved.lora_path else None
        path = out_dir / "Modelfile"
        path.write_text(modelfile(resolved, base, adapter), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the Ollama model to {out_dir}: {exc.strerror}") from exc
    return path
