"""The task interface shared by ad-hoc user tasks and the learning side's suites (MiniWoB++,
practice sites, the synthetic web): BrowserGym's setup / validate / teardown. A suite's
reference solvers (BrowserGym's `cheat`) live with the suite and are handed to the teacher."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlparse

from core.browser.session import BrowserSession
from core.errors import ConfigError


@dataclass(frozen=True)
class Evaluation:
    done: bool            # the episode is over (the page says so, or the agent stopped)
    success: bool | None  # None: nobody can tell (ad-hoc user tasks)
    reward: float | None = None
    detail: str = ""


class Task(Protocol):
    id: str
    source: str  # "practice", "miniwob", "adhoc"
    start_url: str
    allowed_domains: list[str] | None
    max_steps: int

    def setup(self, session: BrowserSession) -> str:
        """Open the start page; return the intent (the instruction in natural language)."""
        ...

    def validate(self, session: BrowserSession, answer: str | None) -> Evaluation:
        """Called after every step (answer=None) and once at the end with the stop answer."""
        ...

    def teardown(self, session: BrowserSession) -> None: ...


def check_start_url(url: str) -> str:
    """The start URL as given, or ConfigError for what cannot be one."""
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https", "file") or not (parsed.netloc or parsed.path):
        raise ConfigError(f"not a start URL: {url!r} (expected http://… or https://…)")
    return url.strip()


@dataclass
class AdHocTask:
    """A user's task typed in natural language: no evaluator, the agent decides when it is done."""

    intent: str
    start_url: str
    allowed_domains: list[str] | None = None
    max_steps: int = 15
    id: str = "adhoc"
    source: str = "adhoc"
    config: dict[str, object] = field(default_factory=dict)

    @classmethod
    def create(cls, intent: str, start_url: str, allowed_domains: list[str] | None = None,
               max_steps: int | None = None) -> AdHocTask:
        """A user's task: a checked start URL; the allowed domains default to its host."""
        if not intent.strip():
            raise ConfigError('type a task first, e.g. "open the latest invoice"')
        url = check_start_url(start_url)
        start = urlparse(url).netloc  # host and port: another port is another site
        return cls(intent=intent.strip(), start_url=url,
                   allowed_domains=allowed_domains or ([start] if start else None),
                   max_steps=max_steps or 15)

    def setup(self, session: BrowserSession) -> str:
        session.goto(self.start_url)
        return self.intent

    def validate(self, session: BrowserSession, answer: str | None) -> Evaluation:
        return Evaluation(done=False, success=None)

    def teardown(self, session: BrowserSession) -> None:
        pass
