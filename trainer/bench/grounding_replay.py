"""Replay click grounding on stored steps: `python -m trainer.bench.grounding_replay DB [DB ...]`.

Every on-device step of the given trajectory databases holds the model's own click
(`candidates[0].grounded_from` when grounding moved it, else the action), its reason and its
observation. This applies one grounder (`--grounding`, core.policies.grounding.GROUNDERS) and a
baseline (`--baseline`, default "off": the model's own click) and lists every click on which the
two disagree, with the episode's outcome. A rule that moves clicks in successful episodes is
suspect; one that moves only clicks in failed episodes is a candidate. Nothing is re-run:
later steps are not replayed, so this screens rules, it does not score them (`symbiote bench`
does).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from core.actions import Action, ActionParseError, ElementAction, parse_action
from core.browser.views import Observation, parse_observation_text
from core.policies.grounding import GROUNDERS, Grounder, make_grounder
from core.store.service import TrajectoryStore


def ground(grounder: Grounder | None, reason: str, action: Action, observation: Observation,
           previous: str) -> Action:
    return action if grounder is None else grounder.ground(reason, action, observation,
                                                            previous)


def describe(observation: Observation, action: Action) -> str:
    element = observation.element(action.id) if isinstance(action, ElementAction) else None
    name = f"{element.role} {element.name!r}" if element else "?"
    return f"{action.to_text()} ({name})"


def replay(db: Path, grounder: Grounder | None, baseline: Grounder | None) -> Counter[str]:
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
                now = ground(grounder, step.rationale, action, observation, prev)
                before = ground(baseline, step.rationale, action, observation, prev)
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
    parser.add_argument("--grounding", default="rules", choices=sorted(GROUNDERS))
    parser.add_argument("--baseline", default="off", choices=sorted(GROUNDERS),
                        help="the grounder to compare with (default: off, the model's own click)")
    args = parser.parse_args(argv)
    grounder, baseline = make_grounder(args.grounding), make_grounder(args.baseline)
    total: Counter[str] = Counter()
    for db in args.dbs:
        total += replay(db, grounder, baseline)
    print(f"clicks grounded differently: {sum(total.values())} "
          f"({', '.join(f'{n} in {o} episodes' for o, n in sorted(total.items())) or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
