"""The benchmark and training suites: MiniWoB++ (`miniwob`), the hand-written practice sites
(`practice`) and the generated synthetic web (`synthetic`). Each keeps its tasks and its
reference solvers together; `reference_teacher` hands all of them to the teacher seat."""

from __future__ import annotations

from trainer.suites.miniwob.solvers import SOLVERS as MINIWOB_SOLVERS
from trainer.suites.practice.solvers import SOLVERS as PRACTICE_SOLVERS
from trainer.suites.synthetic.solver import solve as solve_synthetic
from trainer.teacher import TeacherPolicy


def reference_teacher() -> TeacherPolicy:
    """The teacher with every suite's reference solvers; the synthetic web's one solver
    regenerates each task from its id (`synthetic/<family>/<seed>`)."""
    return TeacherPolicy({**MINIWOB_SOLVERS, **PRACTICE_SOLVERS},
                         families={"synthetic/": solve_synthetic})
