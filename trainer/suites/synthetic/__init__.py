"""The synthetic web: realistic pages and flows generated from (family, seed).

Public API: `trainer.suites.synthetic.site` (families, spec lookup, render), `.solver`
(the teacher), `.task` (a Task and a Policy for core.loop.run_episode).
"""
