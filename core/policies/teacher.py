"""The teacher: reference solvers (BrowserGym's `cheat`) that fill the large seat offline.

A solver reads only what a cloud model would see (the step context: intent, observation,
history) and returns actions in the action language with a one-line rationale, best first.
It is a teacher and a harness check, never the product's default policy.
"""

from __future__ import annotations

from collections.abc import Callable

from core.actions import ActionParseError, parse_action
from core.policies.base import Candidate, PolicyError, StepContext

# A solver returns (action text, rationale) pairs, best first.
Solver = Callable[[StepContext], list[tuple[str, str]]]
SOLVERS: dict[str, Solver] = {}


def solver(*task_ids: str) -> Callable[[Solver], Solver]:
    """Register a solver for task ids such as "miniwob/click-button" or "practice/..."."""
    def register(fn: Solver) -> Solver:
        for task_id in task_ids:
            SOLVERS[task_id] = fn
        return fn
    return register


def _load_solvers() -> None:
    # Importing registers them; kept lazy so `core.policies.teacher` stays cheap to import.
    from core.policies import teacher_miniwob, teacher_practice  # noqa: F401


class TeacherPolicy:
    id = "teacher"

    def propose(self, context: StepContext, k: int = 1) -> list[Candidate]:
        if not SOLVERS:
            _load_solvers()
        fn = SOLVERS.get(context.task_id)
        if fn is None:
            raise PolicyError(f"the teacher has no reference solver for task {context.task_id!r}")
        proposals = fn(context) or [("stop []", "No reference move applies; giving up.")]
        candidates = []
        for rank, (text, rationale) in enumerate(proposals[: max(k, 1)]):
            try:
                action = parse_action(text, valid_ids=context.observation.ids)
            except ActionParseError as exc:
                raise PolicyError(f"teacher solver for {context.task_id} produced {text!r}: "
                                  f"{exc}") from exc
            candidates.append(Candidate(action=action, rationale=rationale, score=-float(rank),
                                        source=self.id))
        return candidates
