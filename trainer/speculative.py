"""Speculative data synthesis (AgentSymbiotic, Fig. 2a) as a router in the one loop.

At each step the small model proposes an action; the large model returns its top-K; if the
small action is among them (normalized comparison) it is executed, otherwise the large
model's best is. Both proposals, the decision and the running acceptance rate are recorded in
the step's candidates and meta, and episodes run this way are tagged "speculative".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core.policies.base import Candidate, Policy, StepContext
from core.privacy.secrets import Secrets
from core.routing.base import Decision

log = logging.getLogger(__name__)


def accepts(small: Candidate, large_top_k: list[Candidate]) -> bool:
    """The small proposal is accepted when it equals one of the large model's top-K."""
    key = small.action.normalized()
    return any(c.action.normalized() == key for c in large_top_k)


@dataclass
class SpeculativeRouter:
    small: Policy
    large: Policy
    k: int = 3
    accepted: int = 0
    rejected: int = 0
    log_rows: list[dict[str, object]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"speculative({self.small.id}|{self.large.id},k={self.k})"

    @property
    def acceptance_rate(self) -> float:
        total = self.accepted + self.rejected
        return self.accepted / total if total else 0.0

    def start_episode(self, secrets: Secrets) -> None:
        pass

    def decide(self, context: StepContext) -> Decision:
        small = self.small.propose(context, 1)[0]
        top_k = self.large.propose(context, self.k)
        ok = accepts(small, top_k)
        chosen = small if ok else top_k[0]
        if ok:
            self.accepted += 1
        else:
            self.rejected += 1
        row = {"step": context.step, "task": context.task_id, "small": small.action.to_text(),
               "large_top_k": [c.action.to_text() for c in top_k], "accepted": ok}
        self.log_rows.append(row)
        log.debug("speculative step %s", row)
        # The large model's rationale explains the executed action best when it proposed it too.
        rationale = next((c.rationale for c in top_k
                          if c.action.normalized() == chosen.action.normalized()), small.rationale)
        return Decision(action=chosen.action, rationale=rationale,
                        route="cloud",  # the large model saw this step either way
                        policy_id=chosen.source, candidates=(small, *top_k),
                        meta={"speculative": row, "acceptance_rate": self.acceptance_rate})
