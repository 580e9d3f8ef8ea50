"""The Router protocol and the router of `local` mode."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from core.actions import Action
from core.policies.base import Candidate, Policy, StepContext
from core.privacy.secrets import Secrets
from core.privacy.views import Finding

Route = Literal["local", "cloud", "user"]  # user: done by the user (a take-over, a recording)


@dataclass(frozen=True)
class Decision:
    action: Action
    rationale: str
    route: Route
    policy_id: str
    candidates: tuple[Candidate, ...] = ()
    findings: tuple[Finding, ...] = ()
    why: str = ""                     # why this route, in one line for the user
    redactions: tuple[str, ...] = ()  # placeholders in what was sent
    meta: dict[str, object] = field(default_factory=dict)


class Router(Protocol):
    @property
    def id(self) -> str: ...

    def start_episode(self, secrets: Secrets) -> None:
        """A new episode begins with these secrets: forget what belonged to the last one."""
        ...

    def decide(self, context: StepContext) -> Decision: ...


def decision_from(candidates: list[Candidate], route: Route, **extra: object) -> Decision:
    best = candidates[0]
    return Decision(action=best.action, rationale=best.rationale, route=route,
                    policy_id=best.source, candidates=tuple(candidates), **extra)  # type: ignore[arg-type]


@dataclass
class SingleSeatRouter:
    """Every step to one policy. `local` mode uses it with the on-device policy."""

    policy: Policy
    route: Route = "local"
    k: int = 1

    @property
    def id(self) -> str:
        return self.policy.id

    def start_episode(self, secrets: Secrets) -> None:
        pass

    def decide(self, context: StepContext) -> Decision:
        return decision_from(self.policy.propose(context, self.k), self.route)
