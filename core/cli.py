"""`symbiote …` commands. Thin: parse flags, call core, print. Errors the user can fix get one
clear line and a non-zero exit code; the program's own faults get a traceback in the log."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from core.paths import default_db_path

log = logging.getLogger("symbiote")


class UserError(Exception):
    """Printed as one line: `symbiote: error: …`, exit code 2."""


def _add_model_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mode", default="local",
                   help="routing: local (default, no network), cloud, hybrid, hybrid-redact")
    p.add_argument("--small", default=None, help="registry model for the on-device seat")
    p.add_argument("--large", default="claude", help="what fills the large seat: claude | teacher")
    p.add_argument("--cloud-url", default=None, help="Anthropic API base URL")
    p.add_argument("--cloud-model", default="claude-sonnet-5", help="cloud model name")
    p.add_argument("--approval", default="never", choices=["always", "redacted", "never"],
                   help="ask before cloud requests: always, only when something was redacted, "
                        "or never")
    p.add_argument("--no-fallback", action="store_true",
                   help="fail instead of letting the local model decide when the cloud fails")
    p.add_argument("--headed", action="store_true", help="show the Chromium window")
    p.add_argument("--max-steps", type=int, default=None, help="step budget per episode")


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=None,
                   help=f"trajectory database (default: {default_db_path()})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="symbiote", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one task in natural language on a start URL")
    run.add_argument("task", help='what to do, e.g. "log in and open the latest invoice"')
    run.add_argument("--url", required=True, help="start URL")
    run.add_argument("--allow", action="append", default=None,
                     help="allowed domain (repeatable); default: the start URL's host")
    _add_model_flags(run)
    _add_db(run)

    demo = sub.add_parser("demo", help="the agent works a bundled practice task")
    demo.add_argument("--task", default=None, help="practice task id (default: a login task)")
    _add_model_flags(demo)
    _add_db(demo)

    sites = sub.add_parser("sites", help="serve the practice sites on 127.0.0.1")
    sites.add_argument("--port", type=int, default=8800)

    export = sub.add_parser("export", help="write episodes as chat-style JSONL")
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--outcome", default=None, help="only episodes with this outcome")
    export.add_argument("--episode", type=int, action="append", default=None)
    _add_db(export)

    cycle = sub.add_parser("cycle", help="run the symbiotic cycle on MiniWoB tasks")
    cycle.add_argument("--rounds", type=int, default=2)
    cycle.add_argument("--tasks", required=True, help="a,b,c or @file")
    cycle.add_argument("--episodes", type=int, default=4, help="training episodes per task, round")
    cycle.add_argument("--eval-episodes", type=int, default=3,
                       help="unseen evaluation seeds per task")
    cycle.add_argument("--rollouts", type=int, default=2, help="sampled exploration rollouts")
    cycle.add_argument("--large", default="teacher", help="the large seat: teacher | claude")
    cycle.add_argument("--small", default=None, help="registry model to start from")
    cycle.add_argument("--train-steps", type=int, default=150, help="training steps per round")
    cycle.add_argument("--lora-layers", type=int, default=12,
                       help="LoRA on the top N layers when a round starts a fresh adapter")
    cycle.add_argument("--lr", type=float, default=5e-4)
    cycle.add_argument("--id-copies", type=int, default=0,
                       help="extra training copies of each action with the page's ids renumbered")
    cycle.add_argument("--out", type=Path, default=Path("cycle"))
    _add_db(cycle)

    audit = sub.add_parser("audit", help="show exactly what left the device (cloud requests)")
    audit.add_argument("--episode", type=int, default=None)
    audit.add_argument("--full", action="store_true", help="print whole payloads")
    _add_db(audit)

    models = sub.add_parser("models", help="list the on-device models, or pick the active one")
    models_sub = models.add_subparsers(dest="models_command")
    models_sub.add_parser("list")
    use = models_sub.add_parser("use")
    use.add_argument("name")

    app = sub.add_parser("app", help="open the desktop app")
    _add_db(app)

    from core.bench.cli import add_bench_parser  # the benchmark's own flags live with it
    from trainer.cli import add_train_parser

    add_bench_parser(sub, _add_model_flags, _add_db)
    add_train_parser(sub, _add_db)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "run": cmd_run, "demo": cmd_demo, "sites": cmd_sites, "export": cmd_export,
        "models": cmd_models, "audit": cmd_audit, "cycle": cmd_cycle, "app": cmd_app,
    }
    from core.bench.cli import cmd_bench
    from trainer.cli import cmd_train

    handlers["bench"] = cmd_bench
    handlers["train"] = cmd_train
    from core.agent import ConfigError
    from core.browser.session import BrowserError
    from core.models import ModelError
    from core.policies.base import PolicyError
    from core.store.service import StoreError

    try:
        return handlers[args.command](args)
    except (UserError, BrowserError, ConfigError, ModelError, PolicyError, StoreError) as exc:
        print(f"symbiote: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("symbiote: interrupted", file=sys.stderr)
        return 130


# --- commands ---------------------------------------------------------------------------

def open_store(path: Path | None):  # type: ignore[no-untyped-def]
    from core.store.service import TrajectoryStore

    return TrajectoryStore(path or default_db_path())


def print_step(event) -> None:  # type: ignore[no-untyped-def]
    d = event.decision
    line = f"  step {event.idx + 1:>2}  {d.route:<5} {d.action.to_text()}"
    print(line)
    if d.rationale:
        print(f"           reason: {d.rationale}")
    detail = f"           {event.latency_ms:.0f} ms"
    if d.findings:
        cats = sorted({str(f.get('category')) for f in d.findings})
        detail += f", private data: {', '.join(cats)}"
    print(detail)
    if event.error:
        print(f"           ! {event.error}")


def agent_config(args: argparse.Namespace, store, secret_items=None):  # type: ignore[no-untyped-def]
    from core.agent import AgentConfig

    return AgentConfig(mode=args.mode, small=args.small, large=args.large,
                       cloud_url=args.cloud_url, cloud_model=args.cloud_model,
                       approval=args.approval, fallback_local=not args.no_fallback,
                       approver=cli_approver, store=store, secret_items=secret_items)


def run_task(task, args: argparse.Namespace, secrets=None, secret_items=None) -> int:  # type: ignore[no-untyped-def]
    from core.agent import build_router
    from core.browser.session import BrowserConfig, BrowserSession
    from core.loop import run_episode

    store = open_store(args.db)
    router = build_router(agent_config(args, store, secret_items))
    secret_values = (lambda: [v for _, v in secret_items()]) if secret_items else None
    print(f"task: {task.id}  mode: {args.mode}  policy: {router.id}")
    with BrowserSession(BrowserConfig(headless=not args.headed)) as session:
        result = run_episode(task, session, router, store, mode=args.mode,
                             max_steps=args.max_steps, on_step=print_step, secrets=secrets,
                             secret_values=secret_values)
    if result.error:
        raise UserError(result.error)
    print(f"intent: {result.intent}")
    verdict = {"success": "SUCCESS", "failure": "FAILURE",
               "unknown": "finished (no evaluator for an ad-hoc task: check the page yourself)",
               "interrupted": "interrupted"}.get(result.outcome, result.outcome)
    answer = f", answer: {result.answer!r}" if result.answer else ""
    print(f"outcome: {verdict} after {len(result.steps)} step(s){answer} "
          f"in {result.wall_s:.1f} s (episode {result.episode_id} in {store.path})")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from urllib.parse import urlparse

    from core.tasks import AdHocTask

    parsed = urlparse(args.url)
    if parsed.scheme not in ("http", "https", "file") or not (parsed.netloc or parsed.path):
        raise UserError(f"not a URL: {args.url!r} (expected http://… or https://…)")
    allowed = args.allow or ([parsed.hostname] if parsed.hostname else None)
    task = AdHocTask(intent=args.task, start_url=args.url, allowed_domains=allowed,
                     max_steps=args.max_steps or 15)
    return run_task(task, args)


def cmd_demo(args: argparse.Namespace) -> int:
    from core.bench.practice import load_practice_tasks
    from core.sites import SiteServer

    with SiteServer() as server:
        tasks = {t.id: t for t in load_practice_tasks(server.base_url)}
        task_id = args.task or next(iter(tasks))
        if not task_id.startswith("practice/"):
            task_id = "practice/" + task_id
        if task_id not in tasks:
            raise UserError(f"unknown practice task {task_id!r}; known: {', '.join(tasks)}")
        from core.bench.practice import demo_secrets

        resolve, items = demo_secrets()
        return run_task(tasks[task_id], args, secrets=resolve, secret_items=items)


def cmd_sites(args: argparse.Namespace) -> int:
    from core.sites import SiteServer

    server = SiteServer(port=args.port)
    print(f"serving the practice sites at {server.base_url} (Ctrl-C to stop)")
    server.serve_forever()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from core.store.service import export_jsonl

    store = open_store(args.db)
    ids = args.episode or store.episode_ids(outcome=args.outcome)
    try:
        count = export_jsonl(store, args.out, ids)
    except OSError as exc:
        raise UserError(f"cannot write {args.out}: {exc.strerror}") from exc
    print(f"wrote {count} episode(s) to {args.out}")
    return 0


def cmd_cycle(args: argparse.Namespace) -> int:
    from core.agent import small_policy
    from core.bench.miniwob import load_task_list
    from core.cycle import CycleConfig, run_cycle, write_cycle_report
    from core.models import Registry
    from trainer.pipeline import distill
    from trainer.train import TrainConfig

    if args.large != "teacher":
        raise UserError("the cycle runs offline with --large teacher (no cloud is reachable "
                        "here); Claude plugs in through the same policy interface")
    try:
        tasks = load_task_list(args.tasks)
    except (ValueError, OSError) as exc:
        raise UserError(str(exc)) from exc
    small = args.small or Registry().active_name
    cfg = CycleConfig(tasks=tasks, rounds=args.rounds, episodes=args.episodes,
                      eval_episodes=args.eval_episodes, rollouts=args.rollouts, small=small,
                      train_steps=args.train_steps, lora_layers=args.lora_layers, lr=args.lr,
                      id_copies=args.id_copies, out=args.out,
                      db=args.db or args.out / "cycle.db")
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

    state = run_cycle(cfg, train=train, small_policy=small_policy, on_phase=on_phase)
    report = write_cycle_report(state, cfg.out)
    print(f"report: {report}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    import json

    store = open_store(args.db)
    rows = store.cloud_requests(args.episode)
    if not rows:
        which = f" for episode {args.episode}" if args.episode else ""
        print("no cloud requests recorded" + which)
        return 0
    total_in = total_out = 0
    for row in rows:
        total_in += int(row["input_tokens"] or 0)
        total_out += int(row["output_tokens"] or 0)
        print(f"#{row['id']} episode {row['episode_id']} step {row['step_idx']} "
              f"{row['created_at']} {row['status']} -> {row['url']} "
              f"({row['input_tokens']} in / {row['output_tokens']} out tokens)")
        payload = json.loads(row["payload"])
        text = json.dumps(payload, indent=2, ensure_ascii=False)
        print(text if args.full else "\n".join(text.splitlines()[:40]))
        if row["response"]:
            print(f"  response: {row['response']}")
        if row["error"]:
            print(f"  error: {row['error']}")
        print()
    print(f"{len(rows)} request(s), {total_in} input / {total_out} output tokens")
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    from app.main import main as app_main  # Qt loads only for the app

    return app_main(db=args.db)


def cli_approver(request) -> bool:  # type: ignore[no-untyped-def]
    """Ask on the terminal; with no terminal (CI, pipes) the answer is no."""
    import json

    if not sys.stdin or not sys.stdin.isatty():
        print("  cloud request denied: no terminal to ask for approval", file=sys.stderr)
        return False
    print(f"\n--- this would be sent to the cloud (step {request.step + 1}) ---")
    print(json.dumps(request.payload, indent=2, ensure_ascii=False))
    if request.redactions:
        print(f"redacted before sending: {', '.join(request.redactions)}")
    answer = input("send it? [y/N] ").strip().lower()
    return answer in ("y", "yes")


def cmd_models(args: argparse.Namespace) -> int:
    from core.models import ModelError, Registry

    registry = Registry()
    if args.models_command == "use":
        registry.use(args.name)
        print(f"active on-device model: {args.name}")
        return 0
    active = registry.active_name
    for entry, origin in registry.entries():
        try:
            resolved = registry.resolve(entry.name)
            where = str(resolved.lora_path or resolved.model_path)
        except ModelError as exc:
            where = f"UNAVAILABLE: {exc}"
        mark = "*" if entry.name == active else " "
        print(f"{mark} {entry.name:<32} {entry.kind:<9} {origin:<7} {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
