"""`symbiote ARGV…` in the test process, as the command line runs it."""

from __future__ import annotations

import threading


def cli(*argv: str) -> int:
    """`symbiote ARGV…` in this process, on a thread of its own: its Chromium cannot share the
    test thread with the module's (Playwright's sync API allows one per thread)."""
    from app.cli.main import main

    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(main(list(argv))))
    thread.start()
    thread.join(300)
    assert codes, "symbiote did not finish"
    return codes[0]
