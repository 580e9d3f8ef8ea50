"""Flags and entry of `symbiote bench miniwob|practice|compare`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm


def add_bench_parser(sub, add_model_flags: Callable, add_db: Callable) -> None:  # type: ignore[no-untyped-def]
    bench = sub.add_parser("bench", help="score a policy/mode on MiniWoB++ or practice tasks")
    bench.add_argument("suite", choices=["miniwob", "practice", "compare"])
    bench.add_argument("files", nargs="*", type=Path, help="compare: two or more results files")
    bench.add_argument("--tasks", default=None,
                       help="a,b,c or @file (one name per line); default: the dev tasks")
    bench.add_argument("--episodes", type=int, default=1, help="episodes (seeds) per task")
    bench.add_argument("--seed", type=int, default=1000, help="first seed")
    bench.add_argument("--out", type=Path, default=Path("results.json"))
    bench.add_argument("--report", type=Path, default=None, help="also write a markdown report")
    add_model_flags(bench)
    add_db(bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from core.bench.report import load_results, write_report
    from core.cli import UserError

    if args.suite == "compare":
        if len(args.files) < 2:
            raise UserError("bench compare needs two or more results files")
        try:
            loaded = [(p, load_results(p)) for p in args.files]
        except ValueError as exc:
            raise UserError(str(exc)) from exc
        report = args.report or Path("comparison.md")
        write_report(loaded, report)
        print(f"wrote {report} and {report.with_suffix('.png')}")
        return 0

    from core.agent import build_router
    from core.bench.practice import demo_secrets
    from core.bench.runner import run_bench
    from core.cli import agent_config, open_store
    from core.sites import SiteServer

    store = open_store(args.db)
    resolve, items = demo_secrets()
    router = build_router(agent_config(args, store, items))
    seeds = list(range(args.seed, args.seed + args.episodes))
    with SiteServer() as server:
        jobs, names = _jobs(args, server.base_url, seeds)
        meta = {"suite": args.suite, "tasks": names, "seeds": seeds, "small": args.small,
                "large": args.large}
        bar = tqdm(total=len(jobs), unit="ep", desc=f"bench {args.suite}")

        def progress(summary) -> None:  # type: ignore[no-untyped-def]
            bar.set_postfix_str(f"{summary.task.split('/')[-1]}:{summary.outcome}")
            bar.update(1)

        try:
            results = run_bench(jobs, router, store, args.out, meta, mode=args.mode,
                                headless=not args.headed, max_steps=args.max_steps,
                                progress=progress, secrets=resolve,
                                secret_values=lambda: [v for _, v in items()],
                                source=episode_source(args.mode, args.large),
                                extra_stats=lambda: router_stats(router))
        finally:
            bar.close()
    print(f"success rate: {results['success_rate']:.1%} over {results['episodes']} episodes; "
          f"step latency p50 {results['step_latency_ms']['p50']} ms; "  # type: ignore[index]
          f"results in {args.out}")
    if args.mode == "local":
        from core.bench.runner import record_small_eval

        record_small_eval(args.small, results, suite=args.suite,
                          tasks=args.tasks or ("dev" if args.suite == "miniwob" else "all"),
                          seeds=seeds, out=args.out)
    if args.report:
        write_report([(args.out, results)], args.report)
        print(f"report: {args.report}")
    return 0


def episode_source(mode: str, large: str) -> str:
    """How the trainer knows who demonstrated an episode: the teacher alone, or a mix."""
    return "teacher" if mode == "cloud" and large == "teacher" else mode


def router_stats(router) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Cloud requests/tokens and routing counts, when the router has a cloud seat."""
    stats: dict[str, object] = dict(getattr(router, "stats", {}))
    large = getattr(router, "large", None)
    if large is not None and hasattr(large, "requests"):
        stats.update(cloud_requests=large.requests, cloud_input_tokens=large.input_tokens,
                     cloud_output_tokens=large.output_tokens)
    return {"router_stats": stats}


def _jobs(args: argparse.Namespace, base_url: str, seeds: list[int]):  # type: ignore[no-untyped-def]
    from core.cli import UserError

    if args.suite == "miniwob":
        from core.bench.miniwob import MiniWoBTask, dev_task_names, load_task_list

        try:
            names = load_task_list(args.tasks) if args.tasks else dev_task_names()
        except (ValueError, OSError) as exc:
            raise UserError(str(exc)) from exc
        return [(MiniWoBTask(n, s, base_url), s) for n in names for s in seeds], names
    from core.bench.practice import load_practice_tasks

    tasks = load_practice_tasks(base_url)
    if args.tasks:
        wanted = [t.strip() for t in args.tasks.split(",") if t.strip()]
        by_id = {t.id.split("/", 1)[-1]: t for t in tasks}
        missing = [w for w in wanted if w not in by_id]
        if missing:
            raise UserError(f"unknown practice task(s): {', '.join(missing)}")
        tasks = [by_id[w] for w in wanted]
    return [(t, s) for t in tasks for s in seeds], [t.id for t in tasks]
