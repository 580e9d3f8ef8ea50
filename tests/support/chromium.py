"""A Chromium that two clients drive at once, as the user's own browser is: started with a
debugging port, so a session attaches with --cdp-url and a scripted user connects a Playwright
of its own (in another thread) to act in the same page like a person."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

from core.browser.session import find_chromium


@contextmanager
def debuggable_chromium(profile: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """(its CDP URL, the process), for as long as the block runs."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([find_chromium(), "--headless=new", "--no-sandbox",
                             f"--remote-debugging-port={port}", f"--user-data-dir={profile}",
                             "--no-first-run", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def type_as_user(cdp_url: str, page_url_part: str, label: str, text: str) -> None:
    """A person at that Chromium: clicks the field labelled `label` in the page whose URL
    holds `page_url_part` and types `text` key by key, through a Playwright of its own (call
    it from a thread of its own: Playwright's sync API allows one per thread)."""
    with sync_playwright() as pw:
        browser = pw.chromium.connect_over_cdp(cdp_url)
        page = next(p for c in browser.contexts for p in c.pages if page_url_part in p.url)
        page.get_by_label(label).click()
        page.keyboard.type(text, delay=15)
