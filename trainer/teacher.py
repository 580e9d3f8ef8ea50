"""The teacher: reference solvers (BrowserGym's `cheat`) in the large seat, offline.

A solver reads only what a cloud model would see (the step context: intent, observation,
history) and returns actions in the action language with a one-line rationale, best first.
Each suite keeps its solvers with its tasks (`trainer/suites/<suite>/solvers.py`) and hands
them to the teacher explicitly; `trainer.suites.reference_teacher()` gathers every suite's.
The teacher is a harness and a source of demonstrations, never the product's default policy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from core.actions import parse_action
from core.errors import ActionParseError, PolicyError
from core.policies.base import Candidate, StepContext

# A solver returns (action text, rationale) pairs, best first.
Moves = list[tuple[str, str]]
Solver = Callable[[StepContext], Moves]


class SolverRegistry(dict[str, Solver]):
    """A suite's solvers by task id; `register` is the decorator that fills it."""

    def register(self, *task_ids: str) -> Callable[[Solver], Solver]:
        def add(fn: Solver) -> Solver:
            for task_id in task_ids:
                self[task_id] = fn
            return fn
        return add


class TeacherPolicy:
    """`solvers` by exact task id; `families` by task-id prefix, for suites whose every task
    instance is its own id (the synthetic web's `synthetic/<family>/<seed>`)."""

    id = "teacher"

    def __init__(self, solvers: Mapping[str, Solver],
                 families: Mapping[str, Solver] | None = None) -> None:
        self.solvers = dict(solvers)
        self.families = dict(families or {})

    def solver_for(self, task_id: str) -> Solver | None:
        if task_id in self.solvers:
            return self.solvers[task_id]
        return next((fn for prefix, fn in self.families.items() if task_id.startswith(prefix)),
                    None)

    def propose(self, context: StepContext, k: int = 1) -> list[Candidate]:
        fn = self.solver_for(context.task_id)
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
