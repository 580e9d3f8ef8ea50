"""Shared fixtures. Keep each one small; build expensive things once per session."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.browser.session import BrowserSession
from core.privacy.detector import PrivacyDetector, get_detector
from tests.support.anthropic_server import FakeAnthropic
from tests.support.tinymodel import build_tiny_llama
from trainer.suites.sites import SiteServer

PAGES = Path(__file__).with_name("pages")


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
    """The practice sites, MiniWoB pages and the synthetic web on 127.0.0.1, one per module."""
    with SiteServer() as srv:
        yield srv


@pytest.fixture(scope="session")
def pages_url() -> Iterator[str]:
    """tests/pages/ served on 127.0.0.1: the static pages of the browser and privacy tests."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(PAGES))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def session() -> Iterator[BrowserSession]:
    """One headless Chromium per test module."""
    with BrowserSession() as browser:
        yield browser


@pytest.fixture(scope="session")
def detector() -> PrivacyDetector:
    """The real detector (presidio + spaCy), loaded once for the whole run."""
    return get_detector()


@pytest.fixture()
def fake_cloud() -> Iterator[FakeAnthropic]:
    """A local fake of Anthropic's Messages API: the only test double."""
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture(scope="module")
def display() -> Iterator[bool]:
    """A headed browser on Xvfb when it is installed (as `symbiote record` runs); else
    headless, which fires the same events."""
    if os.environ.get("DISPLAY") or not shutil.which("Xvfb"):
        yield bool(os.environ.get("DISPLAY"))
        return
    number = 90 + os.getpid() % 9
    proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten",
                             "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    os.environ["DISPLAY"] = f":{number}"
    try:
        yield proc.poll() is None
    finally:
        del os.environ["DISPLAY"]
        proc.terminate()
        proc.wait(timeout=10)
