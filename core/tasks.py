"""The task interface shared by practice tasks, MiniWoB++ episodes and ad-hoc user tasks
(BrowserGym's setup / validate / teardown). A task's `cheat` lives in core.policies.teacher."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from core.browser.session import BrowserSession


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

    def setup(self, session: BrowserSession) -> str:
        session.goto(self.start_url)
        return self.intent

    def validate(self, session: BrowserSession, answer: str | None) -> Evaluation:
        return Evaluation(done=False, success=None)

    def teardown(self, session: BrowserSession) -> None:
        pass
