"""Shared fixtures. Keep each one small; build expensive things once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tinymodel import build_tiny_llama

from core.browser.session import BrowserSession
from core.sites import SiteServer


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny real llama GGUF (f32, ~0.5 MB) built locally; its HF copy is in `tiny_hf_dir`."""
    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def tiny_hf_dir(tiny_gguf: Path) -> Path:
    """The Hugging Face checkpoint (weights + tokenizer) the tiny GGUF was converted from."""
    return tiny_gguf.parent / "hf"


@pytest.fixture(scope="module")
def server() -> Iterator[SiteServer]:
    """The practice sites and MiniWoB pages on 127.0.0.1, one server per test module."""
    with SiteServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def session() -> Iterator[BrowserSession]:
    """One headless Chromium per test module."""
    with BrowserSession() as browser:
        yield browser
