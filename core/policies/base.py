"""The policy interface every seat implements: local (llama.cpp), cloud (Claude), teacher.

`propose(context, k)` returns up to k ranked candidates, best first. The router composes
policies; the loop never knows which one decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from core.actions import Action
from core.browser.views import Observation


@dataclass(frozen=True)
class HistoryItem:
    """One earlier step as policies see it: the action taken, why, and how it failed."""

    action: Action
    rationale: str = ""
    error: str = ""
    described: str = ""      # the action with its element named: click 'Sign in' [12]
    url: str = ""            # the page it was taken on
    no_effect: bool = False  # the next observation showed the same page
    state: str = ""          # Observation.state() of the page it was taken on


@dataclass(frozen=True)
class StepContext:
    """Everything a policy may use to decide one step."""

    intent: str
    observation: Observation
    history: tuple[HistoryItem, ...] = ()
    notes: tuple[str, ...] = ()
    step: int = 0
    task_id: str = ""
    episode_id: int | None = None


@dataclass(frozen=True)
class Candidate:
    action: Action
    rationale: str
    score: float  # log-probability for models; 0.0 for rule-based teachers
    source: str   # policy id that produced it
    meta: dict[str, object] = field(default_factory=dict, compare=False, hash=False)


@runtime_checkable
class Policy(Protocol):
    @property
    def id(self) -> str: ...

    def propose(self, context: StepContext, k: int = 1) -> list[Candidate]: ...
