"""Fixtures shared by the trainer's tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture()
def tiny_registry(tmp_path: Path, tiny_gguf: Path, tiny_hf_dir: Path,
                  monkeypatch: pytest.MonkeyPatch) -> Path:
    """A model registry (SYMBIOTE_HOME) whose one, active model is the tiny real Llama."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "models.json").write_text(json.dumps({"active": "tiny", "models": [{
        "name": "tiny", "kind": "base", "gguf": str(tiny_gguf), "hf_dir": str(tiny_hf_dir),
        "prompt_style": "compact", "n_ctx_train": 512}]}))
    monkeypatch.setenv("SYMBIOTE_HOME", str(home))
    monkeypatch.setenv("SYMBIOTE_N_CTX", "1024")
    return home
