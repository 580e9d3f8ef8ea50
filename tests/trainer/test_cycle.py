"""A one-round symbiotic cycle on a tiny real model and two MiniWoB dev tasks, end to end:
teacher explores → LoRA distillation → speculative synthesis + sampled exploration → KB →
evaluation on unseen seeds; then a resumed run redoes only the unfinished phase."""

from __future__ import annotations

from pathlib import Path

from core.agent import small_policy
from core.models import Registry
from core.policies.base import Policy
from core.store.service import TrajectoryStore
from trainer.cycle import PHASES, CycleConfig, CycleState, run_cycle
from trainer.pipeline import distill
from trainer.train import TrainConfig, is_peft_adapter


def make_small(name: str, temperature: float, seed: int | None) -> Policy:
    return small_policy(name, temperature=temperature, seed=seed, grounding="off")


def test_one_round_cycle_runs_every_phase_and_resumes(tiny_registry: Path,
                                                      tmp_path: Path) -> None:
    cfg = CycleConfig(tasks=["click-button", "click-link"], rounds=1, episodes=1,
                      eval_episodes=1, rollouts=1, small="tiny", train_steps=3,
                      out=tmp_path / "cycle", db=tmp_path / "cycle" / "cycle.db")
    trained: list[tuple[str, str]] = []

    def train(cfg: CycleConfig, store, name: str, start: str) -> str:  # type: ignore[no-untyped-def]
        distill(out_name=name, store=store, base=start, sources=["teacher", "speculative",
                "exploration"], eval_seeds={cfg.eval_seed}, holdout_tasks=set(),
                config=TrainConfig(max_steps=cfg.train_steps, batch_size=2, threads=1),
                progress=False)
        trained.append((name, start))
        return name

    seen: list[str] = []
    state = run_cycle(cfg, train=train, small_policy=make_small,
                      on_phase=lambda r, phase, rep: seen.append(phase))
    assert seen == list(PHASES) and trained == [("cycle-r0", "tiny")]
    report = state.rounds[0]
    assert report.small_model == "cycle-r0"
    assert Registry().resolve("cycle-r0").lora_path is not None
    # the next round continues this adapter's weights instead of starting a fresh LoRA
    assert is_peft_adapter(Path(Registry().get("cycle-r0")[0].peft_dir))
    again = distill(out_name="cycle-r1", store=TrajectoryStore(cfg.db), base="cycle-r0",
                    sources=["teacher"], eval_seeds={cfg.eval_seed}, holdout_tasks=set(),
                    config=TrainConfig(max_steps=1, batch_size=2, threads=1), progress=False)
    assert again.provenance["continued_from"] == "cycle-r0"
    assert again.provenance["base"] == "tiny"
    assert report.success["large"] == 1.0  # the teacher solves both tasks on unseen seeds
    assert set(report.success) == {"large", "small", "hybrid"}
    # the round's evaluation is part of the student's provenance
    evals = Registry().get("cycle-r0")[0].provenance["eval"]
    assert evals["miniwob 2 cycle tasks seeds 1000-1000"]["success_rate"] == report.success["small"]  # type: ignore[index]
    assert report.acceptance_rate is not None and 0.0 <= report.acceptance_rate <= 1.0
    assert report.kb_size >= 2 and report.new_trajectories >= 2
    assert (cfg.out / "cycle.md").exists() and (cfg.out / "cycle.png").exists()

    # interrupted before evaluating: a rerun does that phase only, and nothing else
    saved = CycleState(cfg.out / "cycle_state.json")
    saved.rounds[0].phases_done.remove("evaluate")
    saved.save()
    seen.clear()
    run_cycle(cfg, train=train, small_policy=make_small,
              on_phase=lambda r, phase, rep: seen.append(phase))
    assert seen == ["evaluate"] and trained == [("cycle-r0", "tiny")]
