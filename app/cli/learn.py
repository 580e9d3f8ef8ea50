"""The learning side's commands: bench (MiniWoB++, practice, compare), cycle, train."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from app.cli.config import add_agent_flags, add_db_flag, agent_config, open_store
from core.agent import build_router, small_policy
from core.errors import ConfigError
from core.models import Registry
from core.policies.formats import ACTION_FIRST_STYLES
from core.prompts import HISTORY_STEPS, MAX_HISTORY_STEPS
from core.routing.base import Router
from core.routing.privacy import PrivacyRouter
from core.routing.seats import OfflineSeat
from trainer.dataset import DEFAULT_SOURCES
from trainer.suites.seeds import parse_seeds
from trainer.train import PRECISIONS


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    bench = sub.add_parser("bench", help="score a policy/mode on MiniWoB++, the practice sites "
                           "or the synthetic web")
    bench.add_argument("suite", choices=["miniwob", "practice", "synthetic", "compare"])
    bench.add_argument("files", nargs="*", type=Path, help="compare: two or more results files")
    bench.add_argument("--tasks", default=None,
                       help="a,b,c or @file (one name per line); default: the dev tasks "
                            "(miniwob), every task (practice), the split's families (synthetic)")
    bench.add_argument("--split", default="heldout", choices=["train", "heldout"],
                       help="synthetic: which families (default: the held-out ones)")
    bench.add_argument("--episodes", type=int, default=1, help="episodes (seeds) per task")
    bench.add_argument("--seed", type=int, default=1000, help="first seed")
    bench.add_argument("--out", type=Path, default=Path("results.json"))
    bench.add_argument("--resume", action="store_true",
                       help="go on from an interrupted run of this same bench in --out: its "
                            "finished episodes (still in --db) are kept, not run again")
    bench.add_argument("--report", type=Path, default=None, help="also write a markdown report")
    bench.add_argument("--speculative", action="store_true",
                       help="training data: the --small model proposes, the teacher (--large "
                            "teacher) keeps or replaces each step (trainer.speculative); this "
                            "is the run's mode, so --mode is left at its default")
    bench.add_argument("--slips", type=int, default=0,
                       help="with --speculative: per episode, this many of the student's "
                            "rejected steps run anyway, each stored with the teacher's "
                            "correction, so the student learns what to do after a mistake")
    add_agent_flags(bench, large_choices=("claude", "openai", "teacher"))
    add_db_flag(bench)
    add_scale_flags(bench)
    bench.set_defaults(handler=cmd_bench)

    cycle = sub.add_parser("cycle", help="run the symbiotic cycle on MiniWoB tasks")
    cycle.add_argument("--rounds", type=int, default=2)
    cycle.add_argument("--tasks", required=True, help="a,b,c or @file")
    cycle.add_argument("--episodes", type=int, default=4, help="training episodes per task, round")
    cycle.add_argument("--eval-episodes", type=int, default=3,
                       help="unseen evaluation seeds per task")
    cycle.add_argument("--rollouts", type=int, default=2, help="sampled exploration rollouts")
    cycle.add_argument("--large", default="teacher", choices=["teacher"],
                       help="the large seat (offline: no cloud is reachable here)")
    cycle.add_argument("--small", default=None, help="registry model to start from")
    cycle.add_argument("--grounding", default="rules", help="the on-device policy's grounding")
    cycle.add_argument("--train-steps", type=int, default=150, help="training steps per round")
    cycle.add_argument("--lora-layers", type=int, default=12,
                       help="LoRA on the top N layers when a round starts a fresh adapter")
    cycle.add_argument("--lr", type=float, default=5e-4)
    cycle.add_argument("--id-copies", type=int, default=0,
                       help="extra training copies of each action with the page's ids renumbered")
    cycle.add_argument("--out", type=Path, default=Path("cycle"))
    add_db_flag(cycle)
    add_scale_flags(cycle)
    cycle.set_defaults(handler=cmd_cycle)

    train = sub.add_parser("train", help="distill a new on-device model from stored trajectories")
    train.add_argument("--base", default=None,
                       help="registry model to start from (default: active)")
    train.add_argument("--out", required=True, help="registry name of the new model")
    train.add_argument("--jsonl", type=Path, default=None, help="train from an export, not the DB")
    train.add_argument("--sources", default=",".join(DEFAULT_SOURCES),
                       help="episode sources to learn from")
    train.add_argument("--eval-seeds", type=parse_seeds, default="",
                       help="seeds never trained on, e.g. 1000-1099")
    train.add_argument("--holdout-tasks", default="", help="task ids never trained on (comma list)")
    train.add_argument("--style", default="student",
                       choices=[*ACTION_FIRST_STYLES, "compact"],
                       help="the step format the student learns: student (action-first, the "
                            "element named), student-items (the same, repeated controls "
                            "named by their item) or compact (v1-v4's reason-first)")
    train.add_argument("--history", type=int, default=HISTORY_STEPS,
                       help="earlier steps an action-first prompt shows; registered with the "
                            "model, so the agent shows it as many (default %(default)s)")
    train.add_argument("--intents", type=Path, default=None,
                       help="JSON {task id: [other phrasings]} for renumbered copies")
    train.add_argument("--copies", default="",
                       help="copies per task-id prefix, overriding --id-copies: "
                            "practice/=5,miniwob/=1")
    train.add_argument("--rationale-share", type=float, default=0.5,
                       help="compact style: share of steps with a rationale example")
    train.add_argument("--id-copies", type=int, default=0,
                       help="extra copies of each action example with the page's ids renumbered")
    train.add_argument("--epochs", type=float, default=2.0)
    train.add_argument("--max-steps", type=int, default=0)
    train.add_argument("--batch-size", type=int, default=4)
    train.add_argument("--max-len", type=int, default=768,
                       help="tokens per example; longer ones are skipped (and counted per task)")
    train.add_argument("--lr", type=float, default=3e-4)
    train.add_argument("--lora-layers", type=int, default=0,
                       help="LoRA on the top N layers only (0 = all; fewer trains faster)")
    train.add_argument("--full", action="store_true",
                       help="full fine-tuning: the model's own weights train (all but the "
                            "embeddings), no adapter; writes a Q8_0 GGUF. Starts from a base "
                            "model or an earlier full fine-tune")
    train.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    train.add_argument("--checkpoint-every", type=int, default=25,
                       help="steps between checkpoints (a full fine-tune's holds ~850 MB of "
                            "optimizer state); a run resumes from its last one")
    train.add_argument("--seed", type=int, default=0,
                       help="draws the copies' ids, ports and phrasings and the batch order: a "
                            "run continued with another seed sees its pool in other copies")
    train.add_argument("--precision", default="auto", choices=PRECISIONS,
                       help="bf16 autocast or fp32 (auto: bf16 where the CPU has AMX or "
                            "AVX512-BF16, or the GPU bf16; on this project's AMX CPU 1.7x "
                            "in a micro-benchmark, 1.13x over a real run)")
    train.add_argument("--merge", action="store_true",
                       help="write a merged Q8_0 GGUF, not an adapter")
    train.add_argument("--use", action="store_true", help="make the new model the active one")
    train.add_argument("--export-to", type=Path, default=None,
                       help="also copy the GGUF here (e.g. resources/adapters/ to ship it)")
    add_db_flag(train)
    train.set_defaults(handler=cmd_train)


def add_scale_flags(p: argparse.ArgumentParser) -> None:
    """Scale-out over Ray (the `scale` extra; docs/scale.md). `symbiote train` collects no
    episodes, so it has none of these."""
    p.add_argument("--workers", type=int, default=1,
                   help="run the episodes on N Ray workers, each with its own Chromium, sites "
                        "server and on-device model (default 1: in this process, no Ray)")
    p.add_argument("--ray-address", default=None,
                   help="join this Ray cluster (`ray start --head` prints it) instead of "
                        "starting a local Ray runtime; needs --workers > 1")


def check_scale_flags(args: argparse.Namespace) -> None:
    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    if args.ray_address and args.workers == 1:
        raise ConfigError("--ray-address needs --workers > 1 (one worker runs in this process)")


# --- bench -----------------------------------------------------------------------------------

def cmd_bench(args: argparse.Namespace) -> int:
    from trainer.bench.report import load_results, write_report

    if args.suite == "compare":
        if len(args.files) < 2:
            raise ConfigError("bench compare needs two or more results files")
        loaded = [(p, load_results(p)) for p in args.files]
        report = args.report or Path("comparison.md")
        write_report(loaded, report)
        print(f"wrote {report} and {report.with_suffix('.png')}")
        return 0
    from tqdm import tqdm

    from trainer.bench.runner import record_small_eval, run_bench
    from trainer.suites import reference_teacher
    from trainer.suites.sites import SiteServer

    check_scale_flags(args)
    if args.resume and args.workers > 1:
        raise ConfigError("--resume runs in this process; it does not combine with --workers")
    if args.slips and not args.speculative:
        raise ConfigError("--slips needs --speculative")
    if args.speculative and args.mode != "local":
        raise ConfigError("--speculative is the run's mode: leave out --mode")
    if args.speculative and (args.large != "teacher" or args.workers > 1):
        # every page goes to the large seat: only the on-device teacher may see them all
        raise ConfigError("--speculative runs with --large teacher, in this process")
    store = open_store(args.db)
    if args.speculative:
        from core.agent import small_policy
        from trainer.speculative import SpeculativeRouter

        args.mode = "speculative"
        router = SpeculativeRouter(small_policy(args.small, grounding=args.grounding),
                                   reference_teacher(), k=3, slips=args.slips)
    elif args.workers > 1:
        from trainer.scale import PolicySpec

        # the workers build the router (and load the model); this process only writes
        policy = PolicySpec(kind="agent", mode=args.mode, small=args.small, large=args.large,
                            grounding=args.grounding, approval=args.approval,
                            fallback_local=not args.no_fallback)
        policy.validate()
        agent_config(args).validate()
    else:
        seat = OfflineSeat(reference_teacher()) if args.large == "teacher" else None
        router = build_router(agent_config(args), store=store, large_seat=seat)
    seeds = list(range(args.seed, args.seed + args.episodes))
    with SiteServer() as server:
        jobs, names = bench_jobs(args.suite, args.tasks, server.base_url, seeds, args.split)
        meta = {"suite": args.suite, "tasks": names, "seeds": seeds, "small": args.small,
                "large": args.large, "grounding": args.grounding}
        if args.speculative:
            meta["slips"] = args.slips
        workers = f" on {args.workers} workers" if args.workers > 1 else ""
        bar = tqdm(total=len(jobs), unit="ep", desc=f"bench {args.suite}{workers}")

        def progress(summary) -> None:  # type: ignore[no-untyped-def]
            bar.set_postfix_str(f"{summary.task.split('/', 1)[-1]}:{summary.outcome}")
            bar.update(1)

        source = episode_source(args.mode, args.large)
        try:
            if args.workers > 1:
                from trainer.scale import WorkerPool, run_bench_distributed

                with WorkerPool(args.workers, ray_address=args.ray_address,
                                headless=not args.headed) as pool:
                    bar.set_postfix_str("starting the workers")
                    results = run_bench_distributed(
                        jobs, policy, pool, store, args.out, meta, mode=args.mode,
                        max_steps=args.max_steps, source=source, progress=progress)
            else:
                results = run_bench(jobs, router, store, args.out, meta, mode=args.mode,
                                    headless=not args.headed, max_steps=args.max_steps,
                                    progress=progress, source=source,
                                    extra_stats=lambda: router_stats(router),
                                    resume=args.resume)
        finally:
            bar.close()
    print(f"success rate: {results['success_rate']:.1%} over {results['episodes']} episodes; "
          f"step latency p50 {results['step_latency_ms']['p50']} ms; "  # type: ignore[index]
          f"results in {args.out}")
    if args.mode == "local":
        default = {"miniwob": "dev", "synthetic": args.split}.get(args.suite, "all")
        record_small_eval(args.small, results, suite=args.suite, tasks=args.tasks or default,
                          seeds=seeds, out=args.out)
    if args.report:
        write_report([(args.out, results)], args.report)
        print(f"report: {args.report}")
    return 0


def episode_source(mode: str, large: str) -> str:
    """How the trainer knows who demonstrated an episode: the teacher alone, or a mix."""
    return "teacher" if mode == "cloud" and large == "teacher" else mode


def router_stats(router: Router) -> dict[str, object]:
    """Routing counts and cloud requests/tokens, when the router has a large seat; the
    acceptance and slips of a speculative one."""
    from trainer.speculative import SpeculativeRouter

    if isinstance(router, SpeculativeRouter):
        return {"speculative": {"accepted": router.accepted, "rejected": router.rejected,
                                "slips": sum(bool(r["slip"]) for r in router.log_rows)}}
    if not isinstance(router, PrivacyRouter):
        return {}
    stats: dict[str, object] = dict(vars(router.stats))
    if not isinstance(router.large, OfflineSeat):  # a cloud seat counts what it sent
        stats.update(cloud_requests=router.large.requests,
                     cloud_input_tokens=router.large.input_tokens,
                     cloud_output_tokens=router.large.output_tokens)
    return {"router_stats": stats}


def bench_jobs(suite: str, tasks: str | None, base_url: str, seeds: list[int],  # type: ignore[no-untyped-def]
               split: str = "heldout"):
    from trainer.bench.runner import Job

    if suite == "synthetic":
        from trainer.suites.synthetic.site import families
        from trainer.suites.synthetic.task import load_tasks

        chosen = [t.strip() for t in tasks.split(",") if t.strip()] if tasks else families(
            split)  # type: ignore[arg-type]
        unknown = [f for f in chosen if f not in families()]
        if unknown:
            raise ConfigError(f"unknown synthetic families: {', '.join(unknown)}; known: "
                              f"{', '.join(families())}")
        synthetic = load_tasks(base_url, chosen, seeds)
        return [Job(t, t.spec.seed, t.secrets) for t in synthetic], chosen

    if suite == "miniwob":
        from trainer.suites.miniwob.tasks import MiniWoBTask, dev_task_names, load_task_list

        try:
            names = load_task_list(tasks) if tasks else dev_task_names()
        except (ValueError, OSError) as exc:
            raise ConfigError(str(exc)) from exc
        return [Job(MiniWoBTask(n, s, base_url), s) for n in names for s in seeds], names
    from trainer.suites.practice.tasks import demo_secrets, load_practice_tasks

    practice = load_practice_tasks(base_url)
    if tasks:
        wanted = [t.strip() for t in tasks.split(",") if t.strip()]
        by_id = {t.id.split("/", 1)[-1]: t for t in practice}
        missing = [w for w in wanted if w not in by_id]
        if missing:
            raise ConfigError(f"unknown practice task(s): {', '.join(missing)}")
        practice = [by_id[w] for w in wanted]
    secrets = demo_secrets(base_url)
    return [Job(t, s, secrets) for t in practice for s in seeds], [t.id for t in practice]


# --- cycle -----------------------------------------------------------------------------------

def cmd_cycle(args: argparse.Namespace) -> int:
    from trainer.cycle import CycleConfig, run_cycle, write_cycle_report
    from trainer.pipeline import distill
    from trainer.suites.miniwob.tasks import load_task_list
    from trainer.train import TrainConfig

    try:
        tasks = load_task_list(args.tasks)
    except (ValueError, OSError) as exc:
        raise ConfigError(str(exc)) from exc
    check_scale_flags(args)
    small = args.small or Registry().active_name
    cfg = CycleConfig(tasks=tasks, rounds=args.rounds, episodes=args.episodes,
                      eval_episodes=args.eval_episodes, rollouts=args.rollouts, small=small,
                      train_steps=args.train_steps, lora_layers=args.lora_layers, lr=args.lr,
                      id_copies=args.id_copies, grounding=args.grounding, out=args.out,
                      db=args.db or args.out / "cycle.db", workers=args.workers,
                      ray_address=args.ray_address)
    eval_seeds = set(range(cfg.eval_seed, cfg.eval_seed + cfg.eval_episodes))

    def train(cfg: CycleConfig, store, out_name: str, start: str) -> str:  # type: ignore[no-untyped-def]
        distill(out_name=out_name, store=store, base=start,
                sources=["teacher", "speculative", "exploration"], eval_seeds=eval_seeds,
                holdout_tasks=set(), id_copies=cfg.id_copies,
                config=TrainConfig(max_steps=cfg.train_steps, lr=cfg.lr,
                                   lora_layers=cfg.lora_layers))
        return out_name

    def on_phase(round_no: int, phase: str, report) -> None:  # type: ignore[no-untyped-def]
        print(f"round {round_no}: {phase} done in {report.seconds[phase]:.0f} s"
              + (f"  success {report.success}" if phase == "evaluate" else ""))

    def make_small(name: str, temperature: float, seed: int | None):  # type: ignore[no-untyped-def]
        return small_policy(name, temperature=temperature, seed=seed, grounding=cfg.grounding)

    state = run_cycle(cfg, train=train, small_policy=make_small, on_phase=on_phase)
    print(f"report: {write_cycle_report(state, cfg.out)}")
    return 0


# --- train -----------------------------------------------------------------------------------

def prefix_counts(text: str) -> dict[str, int]:
    """"practice/=5,miniwob/=1" → {"practice/": 5, "miniwob/": 1}."""
    out: dict[str, int] = {}
    for part in text.split(","):
        prefix, _, count = part.strip().partition("=")
        if prefix:
            if not count.isdigit():
                raise ConfigError(f"--copies wants PREFIX=N, got {part!r}")
            out[prefix] = int(count)
    return out


def cmd_train(args: argparse.Namespace) -> int:
    from trainer.pipeline import distill
    from trainer.train import TrainConfig

    if args.full and args.lora_layers:
        raise ConfigError("--lora-layers sets where a LoRA sits; --full trains every layer")
    if args.checkpoint_every < 1:
        raise ConfigError("--checkpoint-every wants a number of steps >= 1, "
                          f"got {args.checkpoint_every}")
    if not 1 <= args.history <= MAX_HISTORY_STEPS:
        raise ConfigError(f"--history wants 1-{MAX_HISTORY_STEPS} earlier steps, "
                          f"got {args.history}")
    if args.history != HISTORY_STEPS and args.style not in ACTION_FIRST_STYLES:
        raise ConfigError(f"--history sets the action-first prompt; --style {args.style} "
                          f"always shows the last {HISTORY_STEPS} steps")
    config = TrainConfig(epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                         threads=args.threads, max_steps=args.max_steps,
                         lora_layers=args.lora_layers, max_len=args.max_len,
                         precision=args.precision, seed=args.seed, full=args.full,
                         checkpoint_every=args.checkpoint_every)
    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    holdout = {t.strip() for t in args.holdout_tasks.split(",") if t.strip()}
    result = distill(out_name=args.out, store=None if args.jsonl else open_store(args.db),
                     jsonl=args.jsonl, base=args.base, sources=sources,
                     eval_seeds=set(args.eval_seeds), holdout_tasks=holdout,
                     config=config, rationale_share=args.rationale_share, merge=args.merge,
                     id_copies=args.id_copies, style=args.style, copies=prefix_counts(args.copies),
                     history=args.history,
                     intents=json.loads(args.intents.read_text(encoding="utf-8"))
                     if args.intents else None)
    p = result.provenance
    print(f"{p['episodes']} episodes -> examples {p['examples']}; data hash {p['data_hash']}")
    print(f"trained {p['steps']} steps in {p['train_s']} s ({p['train_tokens_per_s']} tokens/s),"
          f" final loss {p['final_loss']:.3f}")
    print(f"registered {args.out}: {result.gguf} ({result.gguf.stat().st_size / 1e6:.1f} MB)")
    if args.export_to:
        args.export_to.mkdir(parents=True, exist_ok=True)
        shutil.copy2(result.gguf, args.export_to / result.gguf.name)
        print(f"copied to {args.export_to / result.gguf.name}")
    if args.use:
        Registry().use(args.out)
        print(f"active on-device model: {args.out}")
    return 0
