"""The symbiotic cycle (`symbiote cycle`): large explores → the small model is distilled →
small explores (speculative synthesis + sampling) → the knowledge base grows → both are
evaluated on unseen seeds → next round.

Every phase writes its result to `<out>/cycle_state.json` before the next starts, so an
interrupted cycle resumes at the first unfinished phase. Seeds: training rounds use
`train_seed + 1000·round + i`; evaluation uses `eval_seed + i` and is never trained on.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.knowledge.service import KnowledgeBase
from core.policies.base import Policy
from core.routing.base import Router, SingleSeatRouter
from core.store.service import TrajectoryStore
from trainer.bench.runner import Job, record_small_eval, run_bench
from trainer.speculative import SpeculativeRouter
from trainer.suites import reference_teacher
from trainer.suites.miniwob.tasks import MiniWoBTask
from trainer.suites.sites import SiteServer

log = logging.getLogger(__name__)
PHASES = ("large_explore", "distill", "small_explore", "kb_update", "evaluate")


@dataclass
class CycleConfig:
    tasks: list[str]
    rounds: int = 2
    episodes: int = 4           # training episodes per task per round (large and small each)
    eval_episodes: int = 3      # evaluation seeds per task
    rollouts: int = 2           # sampled small-model rollouts per task per round
    temperature: float = 0.7
    small: str = "smollm2-135m-instruct"
    large: str = "teacher"
    train_steps: int = 150
    lora_layers: int = 12       # fresh LoRAs only; a continued one keeps its own layers
    lr: float = 5e-4
    id_copies: int = 0          # renumbered-id copies of each action example (trainer.dataset)
    train_seed: int = 10_000
    eval_seed: int = 1000
    k: int = 3
    grounding: str = "rules"    # the on-device policy's (core.policies.grounding)
    out: Path = Path("cycle")
    db: Path = Path("cycle/cycle.db")
    headless: bool = True
    workers: int = 1            # > 1: episodes on Ray workers (trainer.scale); 1: this process
    ray_address: str | None = None


@dataclass
class RoundReport:
    round: int
    phases_done: list[str] = field(default_factory=list)
    small_model: str = ""
    new_trajectories: int = 0
    acceptance_rate: float | None = None
    kb_size: int = 0
    success: dict[str, float] = field(default_factory=dict)  # large / small / hybrid
    seconds: dict[str, float] = field(default_factory=dict)


class CycleState:
    def __init__(self, path: Path):
        self.path = path
        self.rounds: list[RoundReport] = []
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            self.rounds = [RoundReport(**r) for r in data["rounds"]]

    def round(self, n: int) -> RoundReport:
        while len(self.rounds) <= n:
            self.rounds.append(RoundReport(round=len(self.rounds)))
        return self.rounds[n]

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"rounds": [asdict(r) for r in self.rounds]}, indent=2))
        tmp.replace(self.path)


# train(cfg, store, out_name, start_model) -> registry name of the distilled model
Trainer = Callable[[CycleConfig, TrajectoryStore, str, str], str]
SmallFactory = Callable[[str, float, int | None], Policy]


def run_cycle(cfg: CycleConfig, *, train: Trainer, small_policy: SmallFactory,
              large_policy: Callable[[], Policy] | None = None,
              on_phase: Callable[[int, str, RoundReport], None] | None = None) -> CycleState:
    """`train(cfg, store, out_name, start_model) -> registry name` distills (round 0 starts
    from `cfg.small`, each later round from the previous round's model); `small_policy(name,
    temperature, seed)` builds an on-device policy; `large_policy()` the large seat.

    With `cfg.workers > 1` the teacher, speculative, exploration and evaluation episodes run on
    Ray workers (trainer.scale), kept for the whole cycle; they rebuild the standard policies
    from the config (`core.agent.small_policy(name, temperature, seed, grounding)` and the
    reference teacher), so `small_policy` and `large_policy` are not used for those. Distillation
    and the knowledge base stay in this process, the one writer of the store."""
    if cfg.workers > 1 and large_policy is not None:
        raise ValueError("a custom large_policy cannot be rebuilt on workers: use workers=1")
    cfg.out.mkdir(parents=True, exist_ok=True)
    state = CycleState(cfg.out / "cycle_state.json")
    store = TrajectoryStore(cfg.db)
    kb = KnowledgeBase.for_db(cfg.db)
    make_large = large_policy or reference_teacher
    pool_cm = nullcontext(None)
    if cfg.workers > 1:
        from trainer.scale import WorkerPool

        pool_cm = WorkerPool(cfg.workers, ray_address=cfg.ray_address,  # type: ignore[assignment]
                             headless=cfg.headless)
    with SiteServer() as server, pool_cm as pool:
        def jobs(seed0: int, n: int) -> list[Job]:
            return [Job(MiniWoBTask(t, seed0 + i, server.base_url), seed0 + i)
                    for t in cfg.tasks for i in range(n)]

        def router(kind: str, name: str = "", temperature: float = 0.0,
                   seed: int | None = None) -> object:
            """teacher | small | speculative: a Router here, or the spec a worker builds."""
            if pool is not None:
                from trainer.scale import PolicySpec

                return PolicySpec(kind=kind, small=name or None, grounding=cfg.grounding,
                                  k=cfg.k, temperature=temperature, seed=seed)
            if kind == "teacher":
                return SingleSeatRouter(make_large(), route="cloud")
            if kind == "small":
                return SingleSeatRouter(small_policy(name, temperature, seed))
            return SpeculativeRouter(small_policy(name, 0.0, None), make_large(), k=cfg.k)

        def bench(router: Router, job_list: list[Job], name: str,
                  source: str, mode: str) -> dict[str, object]:
            out = cfg.out / f"{name}.json"
            meta: dict[str, object] = {"round_phase": name, "grounding": cfg.grounding}
            if pool is not None:
                from trainer.scale import run_bench_distributed

                return run_bench_distributed(job_list, router, pool, store, out,  # type: ignore[arg-type]
                                             meta, mode=mode, source=source)
            return run_bench(job_list, router, store, out, meta, mode=mode,
                             headless=cfg.headless, source=source)

        def acceptance(spec: object, res: dict[str, object]) -> float:
            if isinstance(spec, SpeculativeRouter):
                return spec.acceptance_rate
            from trainer.scale import speculative_rate

            return speculative_rate(res)

        for r in range(cfg.rounds):
            report = state.round(r)
            seed0 = cfg.train_seed + 1000 * r
            for phase in PHASES:
                if phase in report.phases_done:
                    continue
                t0 = time.perf_counter()
                if phase == "large_explore":
                    res = bench(router("teacher"),  # type: ignore[arg-type]
                                jobs(seed0, cfg.episodes), f"r{r}_large_explore", "teacher",
                                "cloud")
                    report.new_trajectories += int(res["success_rate"] * res["episodes"])  # type: ignore[operator]
                elif phase == "distill":
                    start = state.rounds[r - 1].small_model if r else cfg.small
                    report.small_model = train(cfg, store, f"cycle-r{r}", start)
                elif phase == "small_explore":
                    spec = router("speculative", report.small_model)
                    res = bench(spec, jobs(seed0 + 500, cfg.episodes),  # type: ignore[arg-type]
                                f"r{r}_speculative", "speculative", "speculative")
                    report.acceptance_rate = round(acceptance(spec, res), 4)
                    report.new_trajectories += int(res["success_rate"] * res["episodes"])  # type: ignore[operator]
                    report.new_trajectories += explore(
                        cfg, store, report.small_model, small_policy, jobs(seed0 + 700, 1),
                        bench, make_router=lambda n, t, s: router("small", n, t, s))
                elif phase == "kb_update":
                    kb.sync(store)
                    kb.save()
                    report.kb_size = len(kb)
                elif phase == "evaluate":
                    ev = jobs(cfg.eval_seed, cfg.eval_episodes)
                    large = bench(router("teacher"), ev,  # type: ignore[arg-type]
                                  f"r{r}_eval_large", "eval", "cloud")
                    small = bench(router("small", report.small_model), ev,  # type: ignore[arg-type]
                                  f"r{r}_eval_small", "eval", "local")
                    hybrid = bench(router("speculative", report.small_model), ev,  # type: ignore[arg-type]
                                   f"r{r}_eval_hybrid", "eval", "speculative")
                    record_small_eval(report.small_model, small, suite="miniwob",
                                      tasks=f"{len(cfg.tasks)} cycle tasks",
                                      seeds=[job.seed for job in ev if job.seed is not None],
                                      out=cfg.out / f"r{r}_eval_small.json")
                    report.success = {"large": large["success_rate"],  # type: ignore[dict-item]
                                      "small": small["success_rate"],
                                      "hybrid": hybrid["success_rate"]}
                report.seconds[phase] = round(time.perf_counter() - t0, 1)
                report.phases_done.append(phase)
                state.save()
                if on_phase is not None:
                    on_phase(r, phase, report)
    write_cycle_report(state, cfg.out)
    return state


def explore(cfg: CycleConfig, store: TrajectoryStore, small_name: str,
            small_policy: SmallFactory, job_list: list[Job],
            bench: Callable[..., dict[str, object]],
            make_router: Callable[[str, float, int | None], object] | None = None) -> int:
    """Sampled rollouts of the small model; a success whose action sequence is new for its
    task is kept (source "exploration"), near-duplicates are deleted from the store.
    `make_router(name, temperature, seed)` gives what `bench` runs (the cycle's workers get a
    spec); by default a router over `small_policy`."""
    known: dict[str, set[tuple[str, ...]]] = {}
    for ep in store.iter_episodes(store.episode_ids(outcome="success")):
        known.setdefault(ep.task_id, set()).add(tuple(_shape(s.action) for s in ep.steps))
    kept = 0
    for rollout in range(cfg.rollouts):
        seed = 1000 * rollout + 17
        runner = (make_router(small_name, cfg.temperature, seed) if make_router is not None
                  else SingleSeatRouter(small_policy(small_name, cfg.temperature, seed)))
        before = set(store.episode_ids())
        bench(runner, job_list, f"explore_{small_name}_{rollout}", "exploration", "local")
        for episode_id in sorted(set(store.episode_ids()) - before):
            ep = store.episode(episode_id)
            if ep.outcome != "success":
                continue
            shape = tuple(_shape(s.action) for s in ep.steps)
            if shape in known.setdefault(ep.task_id, set()):
                store.delete_episode(episode_id)  # a near-duplicate teaches nothing new
            else:
                known[ep.task_id].add(shape)
                kept += 1
    return kept


def _shape(action: str) -> str:
    """An action without its ids and typed text: two trajectories of the same shape are
    near-duplicates even when the page numbered its elements differently."""
    return action.split(" [", 1)[0]


def write_cycle_report(state: CycleState, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rounds = [r for r in state.rounds if r.success]
    png = out / "cycle.png"
    fig, ax = plt.subplots(figsize=(6, 4))
    # large and hybrid often coincide: distinct markers and dashes keep both visible
    for seat, style in (("large", "s-"), ("small", "o-"), ("hybrid", "^--")):
        ax.plot([r.round for r in rounds], [r.success.get(seat, 0) * 100 for r in rounds],
                style, label=seat)
    ax.set_xticks([r.round for r in rounds])
    ax.set_xlabel("round")
    ax.set_ylabel("success % (unseen seeds)")
    ax.set_ylim(0, 105)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
    lines = ["# Symbiotic cycle", "", f"![success per round]({png.name})", "",
             "| round | small model | large | small | hybrid | acceptance | new trajectories "
             "| KB size | time s |", "|---|---|---|---|---|---|---|---|---|"]
    for r in state.rounds:
        s = r.success
        lines.append(
            f"| {r.round} | {r.small_model} | {s.get('large', 0):.0%} | {s.get('small', 0):.0%} "
            f"| {s.get('hybrid', 0):.0%} | "
            f"{'' if r.acceptance_rate is None else f'{r.acceptance_rate:.0%}'} | "
            f"{r.new_trajectories} | {r.kb_size} | {sum(r.seconds.values()):.0f} |")
    report = out / "cycle.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report
