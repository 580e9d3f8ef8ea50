"""Replay click grounding on stored steps: `python -m core.bench.grounding_replay DB [DB ...]`.

Every on-device step of the given trajectory databases holds the model's own click
(`candidates[0].grounded_from` when grounding moved it, else the action), its reason and its
observation. This applies `ground_click` as it is now and, with `--baseline REV`, as it was at
git revision REV, and lists every click on which the two disagree with the episode's outcome. A
rule that moves clicks in successful episodes is suspect; one that moves only clicks in failed
episodes is a candidate. Nothing is re-run: later steps are not replayed, so this screens rules,
it does not score them (`symbiote bench` does).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from core.actions import Action, ActionParseError, parse_action
from core.browser.views import Observation, parse_observation_text
from core.policies.local import ground_click

Grounder = Callable[[str, Action, Observation, str], Action]

STEPS = """SELECT e.id, e.task_id, e.outcome, s.idx, s.observation, s.action, s.rationale,
                  s.candidates
           FROM steps s JOIN episodes e ON e.id = s.episode_id
           WHERE e.policy LIKE 'local:%' ORDER BY e.id, s.idx"""


def baseline_grounder(rev: str) -> Grounder:
    """`ground_click` as it was at git revision `rev`."""
    root = Path(__file__).resolve().parents[2]
    source = subprocess.run(["git", "show", f"{rev}:core/policies/local.py"], cwd=root,
                            capture_output=True, text=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / "local_baseline.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("local_baseline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ground_click  # type: ignore[no-any-return]


def keep(reason: str, action: Action, observation: Observation, previous: str) -> Action:
    return action


def describe(observation: Observation, action: Action) -> str:
    element = observation.element(action.id)
    name = f"{element.role} {element.name!r}" if element else "?"
    return f"{action.to_text()} ({name})"


def replay(db: Path, grounder: Grounder, baseline: Grounder) -> Counter[str]:
    """Print the clicks `grounder` and `baseline` ground differently; count them by outcome."""
    changed: Counter[str] = Counter()
    previous: dict[int, str] = {}
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        for eid, task, outcome, idx, obs_text, logged, reason, candidates in conn.execute(STEPS):
            prev, previous[eid] = previous.get(eid, ""), logged
            first = json.loads(candidates or "[]")[:1]
            raw = (first[0].get("grounded_from") if first else None) or logged
            try:
                action = parse_action(raw)
            except ActionParseError:
                continue
            observation = parse_observation_text(obs_text)
            now = grounder(reason or "", action, observation, prev)
            before = baseline(reason or "", action, observation, prev)
            if now != before:
                changed[outcome] += 1
                print(f"{db.name} episode {eid} {task} ({outcome}) step {idx}: {reason!r}\n"
                      f"  model {describe(observation, action)}: baseline "
                      f"{describe(observation, before)} -> now {describe(observation, now)}")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dbs", nargs="+", type=Path, help="trajectory databases (read only)")
    parser.add_argument("--baseline", default="",
                        help="git revision whose ground_click to compare with (default: none, "
                             "the model's own click)")
    args = parser.parse_args(argv)
    baseline = baseline_grounder(args.baseline) if args.baseline else keep
    total: Counter[str] = Counter()
    for db in args.dbs:
        total += replay(db, ground_click, baseline)
    print(f"clicks grounded differently: {sum(total.values())} "
          f"({', '.join(f'{n} in {o} episodes' for o, n in sorted(total.items())) or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
