"""Speculative data synthesis (AgentSymbiotic, Fig. 2a) as a router in the one loop.

At each step the small model proposes an action; the large model returns its top-K; if the
small action is among them (normalized comparison) it is executed, otherwise the large
model's best is. Both proposals, the decision and the running acceptance rate are recorded in
the step's candidates and meta, and episodes run this way are tagged "speculative".

With `slips` > 0 the router also lets the student go wrong, as DAgger does (Ross et al.,
2011): the first `slips` rejected proposals of an episode (a `stop` aside, which would end
it) are executed anyway, and the large model's best action is kept beside them as the
step's correction (its candidate's meta "label"). Teacher-only data never shows a page after
a mistake; this shows the student its own slips and what to do next, and the trainer learns
the correction, never the slip (trainer.dataset `label_of`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

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
    slips: int = 0          # rejected proposals executed anyway per episode (DAgger-style)
    accepted: int = 0
    rejected: int = 0
    slipped: int = 0        # in the current episode
    log_rows: list[dict[str, object]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"speculative({self.small.id}|{self.large.id},k={self.k})"

    @property
    def acceptance_rate(self) -> float:
        total = self.accepted + self.rejected
        return self.accepted / total if total else 0.0

    def start_episode(self, secrets: Secrets) -> None:
        self.slipped = 0

    def decide(self, context: StepContext) -> Decision:
        small = self.small.propose(context, 1)[0]
        top_k = self.large.propose(context, self.k)
        ok = accepts(small, top_k)
        slip = not ok and self.slipped < self.slips and small.action.NAME != "stop"
        if ok:
            self.accepted += 1
        else:
            self.rejected += 1
        row = {"step": context.step, "task": context.task_id, "small": small.action.to_text(),
               "large_top_k": [c.action.to_text() for c in top_k], "accepted": ok,
               "slip": slip}
        self.log_rows.append(row)
        log.debug("speculative step %s", row)
        if slip:
            self.slipped += 1
            label = replace(top_k[0], meta={**top_k[0].meta, "label": True})
            return Decision(action=small.action, rationale=small.rationale, route="cloud",
                            policy_id=small.source, candidates=(small, label, *top_k[1:]),
                            meta={"speculative": row, "acceptance_rate": self.acceptance_rate})
        chosen = small if ok else top_k[0]
        # The large model's rationale explains the executed action best when it proposed it too.
        rationale = next((c.rationale for c in top_k
                          if c.action.normalized() == chosen.action.normalized()), small.rationale)
        return Decision(action=chosen.action, rationale=rationale,
                        route="cloud",  # the large model saw this step either way
                        policy_id=chosen.source, candidates=(small, *top_k),
                        meta={"speculative": row, "acceptance_rate": self.acceptance_rate})
