"""A merged student (core.llm.merge): the shipped adapter merged into the shipped base as one
Q8_0 GGUF predicts what base + adapter predict, is built once into the cache on first use, and
an adapter that is not the base's is one clear error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import llama_cpp
import numpy as np
import pytest

from core.errors import ModelError
from core.llm.llama import LlamaModel
from core.llm.merge import merge_lora
from core.models import ModelEntry, Registry
from core.paths import RESOURCES
from core.policies.local import LocalPolicy

ADAPTER = RESOURCES / "adapters" / "smollm2-symbiote-v7.lora.gguf"
PROMPT = ("<|im_start|>user\nOBJECTIVE: Sign in as bob with {{secret:pw}}\nOBSERVATION:\n"
          "URL: http://127.0.0.1:8800/login\n[3] textbox 'Username'\n"
          "[4] textbox 'Password' type=password\n[6] button 'Sign in'\n"
          "PREVIOUS ACTIONS:\nnone<|im_end|>\n<|im_start|>assistant\nACTION: ")


def _logits(model: Path, lora: Path | None = None) -> np.ndarray:
    llm = llama_cpp.Llama(model_path=str(model), lora_path=str(lora) if lora else None,
                          n_ctx=512, logits_all=True, verbose=False)
    tokens = llm.tokenize(PROMPT.encode(), special=True)
    llm.eval(tokens)
    return np.array(llm.scores[: len(tokens)])


@pytest.fixture(scope="module")
def base() -> Path:
    return Registry().resolve("smollm2-135m-instruct").model_path


def test_the_merged_model_predicts_what_base_and_adapter_predict(base: Path,
                                                                 tmp_path: Path) -> None:
    merged = merge_lora(base, ADAPTER, tmp_path / "v7.Q8_0.gguf")
    with_lora, alone, plain = _logits(base, ADAPTER), _logits(merged), _logits(base)
    agree = (with_lora.argmax(1) == alone.argmax(1)).mean()
    agree_plain = (with_lora.argmax(1) == plain.argmax(1)).mean()
    # the merge is the adapter's effect: next-token choices match at nearly every position
    # (Q8_0 rounding moves a few near-ties), where the base without it matches at half
    assert agree >= 0.85 and agree - agree_plain >= 0.2
    assert np.abs(with_lora - alone).max() < np.abs(with_lora - plain).max() / 4
    assert merged.stat().st_size > 100e6  # every matrix in 8 bits: ~145 MB


def test_a_merged_entry_is_built_once_into_the_cache(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setenv("SYMBIOTE_CACHE", str(tmp_path / "cache"))
    home = tmp_path / "home"
    home.mkdir()
    (home / "models.json").write_text(json.dumps({"models": [{
        "name": "v7-merged", "kind": "merged", "base": "smollm2-135m-instruct",
        "adapter": str(ADAPTER), "quant": "Q8_0", "prompt_style": "student"}]}))
    registry = Registry(home)
    first = registry.resolve("v7-merged")
    assert first.lora_path is None and first.prompt_style == "student"
    assert first.model_path.parent == tmp_path / "cache" / "merged"
    built = first.model_path.stat().st_mtime_ns
    assert registry.resolve("v7-merged").model_path.stat().st_mtime_ns == built  # not rebuilt
    assert list(first.model_path.parent.glob("*.tmp")) == []

    copy = tmp_path / "other.lora.gguf"  # another adapter file: another merge
    shutil.copy(ADAPTER, copy)
    entry = registry.user.models[0].model_copy(update={"name": "other", "adapter": str(copy)})
    registry.add(entry)
    assert registry.resolve("other").model_path != first.model_path


def test_an_adapter_of_another_base_is_one_clear_error(tiny_gguf: Path, base: Path,
                                                       tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not this base.s adapter|does not fit"):
        merge_lora(tiny_gguf, ADAPTER, tmp_path / "x.gguf")
    with pytest.raises(ModelError, match="not a LoRA adapter"):
        merge_lora(base, tiny_gguf, tmp_path / "y.gguf")
    assert not list(tmp_path.glob("*.gguf*"))  # nothing half-written is left


def test_a_users_adapter_is_merged_on_request(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """`symbiote models merge` gives a trained adapter the one-file form the default ships in."""
    from app.cli.main import main

    monkeypatch.setenv("SYMBIOTE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SYMBIOTE_HOME", str(tmp_path / "home"))
    mine = tmp_path / "mine.lora.gguf"
    shutil.copy(ADAPTER, mine)
    bad = tmp_path / "bad.lora.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    Registry().add(ModelEntry(name="mine", kind="adapter", base="smollm2-135m-instruct",
                              adapter=str(mine), prompt_style="student-items",
                              history_steps=8))
    Registry().add(ModelEntry(name="broken", kind="adapter", base="smollm2-135m-instruct",
                              adapter=str(bad)))

    assert main(["models", "merge", "mine"]) == 0
    assert "added mine-q8" in capsys.readouterr().out
    resolved = Registry().resolve("mine-q8")  # a new registry reads it back from models.json
    assert resolved.lora_path is None and resolved.prompt_style == "student-items"
    # the history length the adapter was trained with reaches the step format of its merge
    assert resolved.entry.history_steps == 8
    assert LocalPolicy(LlamaModel.from_resolved(resolved)).format.history == 8
    assert resolved.model_path.parent == tmp_path / "cache" / "merged"
    assert resolved.entry.provenance["merged_from"] == "mine"

    assert main(["models", "merge", "smollm2-135m-instruct"]) == 2  # a base: nothing to merge
    assert "only an adapter can be merged" in capsys.readouterr().err
    assert main(["models", "merge", "broken"]) == 2
    assert capsys.readouterr().err.strip()
    names = {entry.name for entry, _ in Registry().entries()}
    assert "broken-q8" not in names and "mine-q8" in names
