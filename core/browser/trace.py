"""Playwright traces of episodes (`--trace`), viewable with `playwright show-trace`, that
never hold a typed secret.

A trace holds DOM snapshots, screenshots (the screencast) and the network log of the browser
context. A secret is typed with the page watching, so the trace stops before the executor
types one: the chunk recorded so far is saved, and recording resumes only when an observation
finds the browser on another URL, that is, another document, without the field that holds the
value (the request that submits it happens while nothing is recorded). An episode's trace is
`traces/episode-<id>.zip` next to the DB, and each part after such a gap `…-part<N>.zip`.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import Error as PlaywrightError

from core.actions import Action, Type
from core.privacy.secrets import Secrets

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

log = logging.getLogger(__name__)


def types_secret(action: Action, secrets: Secrets) -> bool:
    return isinstance(action, Type) and ("{{secret:" in action.text
                                         or bool(secrets.find_in(action.text)))


class Tracer:
    """Tracing of one browser context for one episode, paused around typed secrets."""

    def __init__(self, context: BrowserContext, title: str = "") -> None:
        self.context = context
        self.parts: list[Path] = []
        self.paused_on: str | None = None
        self._dir = Path(tempfile.mkdtemp(prefix="symbiote-trace-"))
        context.tracing.start(screenshots=True, snapshots=True, sources=False, title=title)
        self.recording = True

    def before_execute(self, action: Action, secrets: Secrets, url: str) -> None:
        if self.recording and types_secret(action, secrets):
            self._cut()
            self.paused_on = url
            log.info("trace paused: a secret is typed on this page")

    def after_observe(self, url: str) -> None:
        if not self.recording and self.paused_on is not None and url != self.paused_on:
            self.context.tracing.start_chunk()
            self.recording, self.paused_on = True, None

    def _cut(self) -> None:
        part = self._dir / f"part-{len(self.parts) + 1}.zip"
        self.context.tracing.stop_chunk(path=str(part))
        self.parts.append(part)
        self.recording = False

    def finish(self, path: Path) -> list[Path]:
        """Save the trace as `path` (and its later parts beside it); returns the files."""
        try:
            if self.recording:
                self._cut()
            self.context.tracing.stop()
        except PlaywrightError:
            log.warning("the trace could not be finished", exc_info=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        saved = []
        for n, part in enumerate(self.parts, 1):
            if not part.exists():
                continue
            target = path if n == 1 else path.with_name(f"{path.stem}-part{n}{path.suffix}")
            shutil.move(str(part), target)
            saved.append(target)
        shutil.rmtree(self._dir, ignore_errors=True)
        return saved
