"""Routers decide which seat (on-device or cloud) answers a step. One loop, many routers.

The privacy-aware modes (hybrid, hybrid-redact, cloud) compose the same `Policy` objects; a
router returns a `Decision` and the loop executes it, whatever the mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from core.actions import Action
from core.policies.base import Candidate, Policy, StepContext

Mode = Literal["local", "cloud", "hybrid", "hybrid-redact"]
MODES: tuple[str, ...] = ("local", "cloud", "hybrid", "hybrid-redact")


@dataclass(frozen=True)
class Decision:
    action: Action
    rationale: str
    route: Literal["local", "cloud"]
    policy_id: str
    candidates: tuple[Candidate, ...] = ()
    findings: tuple[dict[str, object], ...] = ()
    meta: dict[str, object] = field(default_factory=dict)


class Router(Protocol):
    @property
    def id(self) -> str: ...

    def decide(self, context: StepContext) -> Decision: ...


@dataclass
class SingleSeatRouter:
    """Every step to one policy. `local` mode uses it with the on-device policy."""

    policy: Policy
    route: Literal["local", "cloud"] = "local"
    k: int = 1

    @property
    def id(self) -> str:
        return self.policy.id

    def decide(self, context: StepContext) -> Decision:
        candidates = self.policy.propose(context, self.k)
        best = candidates[0]
        return Decision(action=best.action, rationale=best.rationale, route=self.route,
                        policy_id=best.source, candidates=tuple(candidates))
