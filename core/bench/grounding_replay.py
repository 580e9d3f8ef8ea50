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
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from core.actions import Action, ActionParseError, parse_action
from core.browser.views import Observation, parse_observation_text
from core.policies.local import ground_click
from core.store.service import TrajectoryStore

Grounder = Callable[[str, Action, Observation, str], Action]

def baseline_grounder(rev: str) -> Grounder:
    """`ground_click` as it was at git revision `rev`."""
    root = Path(__file__).resolve().parents[2]
    source = subprocess.run(["git", "show", f"{rev}:core/policies/local.py"], cwd=root,
                            capture_output=True, text=True, check=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "local_baseline.py"
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
    store = TrajectoryStore(db)
    try:
        for episode in store.iter_episodes(store.episode_ids()):
            if not episode.policy.startswith("local:"):
                continue
            previous = ""
            for step in episode.steps:
                first = step.candidates[:1]
                raw = str((first[0].get("grounded_from") if first else None) or step.action)
                prev, previous = previous, step.action
                try:
                    action = parse_action(raw)
                except ActionParseError:
                    continue
                observation = parse_observation_text(step.observation)
                now = grounder(step.rationale, action, observation, prev)
                before = baseline(step.rationale, action, observation, prev)
                if now != before:
                    changed[episode.outcome] += 1
                    print(f"{db.name} episode {episode.id} {episode.task_id} ({episode.outcome}) "
                          f"step {step.idx}: {step.rationale!r}\n"
                          f"  model {describe(observation, action)}: baseline "
                          f"{describe(observation, before)} -> now {describe(observation, now)}")
    finally:
        store.close()
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dbs", nargs="+", type=Path, help="trajectory databases")
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
