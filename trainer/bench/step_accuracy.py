"""How often the student's action is one the teacher would take, step by step, under teacher
forcing:

    python -m trainer.bench.step_accuracy --model smollm2-symbiote-v8-q8 \
        --families errand,booking,transfer,signup,checkout --episodes 5

Episode success multiplies every step's chance (nine steps right at 80 % each is 13 %), and
one slip sends the rest of an episode off the teacher's pages, so it hides how close a
student is. This runs synthetic episodes through the speculative router (trainer.speculative)
with the reference teacher as the large seat: at each step the student proposes, the step
counts as agreed when the proposal is among the teacher's top-3, and the teacher's action is
executed when it is not, so every step is asked from a page the teacher would be on. It
prints the agreement per family and per action kind (and the first seed's disagreements).
Seeds start at 1000, which no training data uses; `--seed 0` asks the same on seeds the
teacher's pool holds, which tells a student that has not fitted its data (low there too) from
one that does not carry it over (high there, low at 1000).
"""

from __future__ import annotations

import argparse
from collections import Counter

from core.agent import small_policy
from core.browser.session import BrowserSession
from core.loop import run_episode
from trainer.speculative import SpeculativeRouter
from trainer.suites.sites import SiteServer
from trainer.suites.synthetic import site as synthetic
from trainer.suites.synthetic.solver import solve
from trainer.suites.synthetic.task import SyntheticTask
from trainer.teacher import TeacherPolicy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=None, help="registry model (default: the shipped one)")
    ap.add_argument("--grounding", default="rules")
    ap.add_argument("--families", default="errand,booking,transfer,signup,checkout")
    ap.add_argument("--episodes", type=int, default=5, help="seeds per family, from --seed")
    ap.add_argument("--seed", type=int, default=1000, help="first seed (1000: unseen by training)")
    args = ap.parse_args()
    small = small_policy(args.model, temperature=0.0, seed=None, grounding=args.grounding)
    teacher = TeacherPolicy({}, families={"synthetic/": solve})
    asked: Counter[str] = Counter()
    agreed: Counter[str] = Counter()
    with SiteServer() as server, BrowserSession() as session:
        for family in args.families.split(","):
            fam_asked = fam_agreed = 0
            for seed in range(args.seed, args.seed + args.episodes):
                task = SyntheticTask(synthetic.spec(family, seed), server.base_url)
                router = SpeculativeRouter(small, teacher, k=3)
                run_episode(task, session, router, secrets=task.secrets)
                for row in router.log_rows:
                    kind = str(row["large_top_k"][0]).split(" ")[0]  # type: ignore[index]
                    asked[kind] += 1
                    agreed[kind] += bool(row["accepted"])
                    fam_asked += 1
                    fam_agreed += bool(row["accepted"])
                    if not row["accepted"] and seed == args.seed:
                        print(f"  {family}/{seed} step {row['step']}: student {row['small']!r}, "
                              f"teacher {row['large_top_k'][0]!r}")  # type: ignore[index]
            print(f"{family}: {fam_agreed}/{fam_asked} steps agree "
                  f"({fam_agreed / max(fam_asked, 1):.0%})", flush=True)
    print("by action kind: " + ", ".join(f"{k} {agreed[k]}/{n}" for k, n in asked.items()))


if __name__ == "__main__":
    main()
