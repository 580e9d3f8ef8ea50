"""The user's commands: run, demo, sites, export, audit, models, app."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from app.cli.config import (
    add_agent_flags,
    add_browser_flags,
    add_confirm_flag,
    add_db_flag,
    agent_config,
    browser_config,
    cli_approver,
    cli_confirmer,
    open_store,
    vault_secrets,
)
from core.agent import build_router
from core.browser.session import BrowserSession
from core.errors import ConfigError
from core.loop import (
    EpisodeHooks,
    EpisodeOptions,
    EpisodeResult,
    EpisodeStart,
    StepEvent,
    run_episode,
)
from core.privacy.secrets import KINDS, NO_SECRETS, Secrets
from core.routing.seats import LargeSeat, OfflineSeat
from core.store.recorder import StoreRecorder, TraceRecorder
from core.store.service import TrajectoryStore
from core.tasks import AdHocTask, Task

log = logging.getLogger(__name__)


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    run = sub.add_parser("run", help="run one task in natural language on a start URL")
    run.add_argument("task", help='what to do, e.g. "log in and open the latest invoice"')
    run.add_argument("--url", required=True, help="start URL")
    run.add_argument("--allow", action="append", default=None,
                     help="allowed domain (repeatable); default: the start URL's host")
    add_agent_flags(run)
    add_trace_flag(run)
    add_confirm_flag(run)
    add_browser_flags(run)
    add_db_flag(run)
    run.set_defaults(handler=cmd_run)

    demo = sub.add_parser("demo", help="the agent works a bundled practice task")
    demo.add_argument("--task", default=None, help="practice task id (default: a login task)")
    add_agent_flags(demo, large_choices=("claude", "openai", "teacher"))
    add_trace_flag(demo)
    add_confirm_flag(demo)
    add_db_flag(demo)
    demo.set_defaults(handler=cmd_demo)

    sites = sub.add_parser("sites", help="serve the practice sites on 127.0.0.1")
    sites.add_argument("--port", type=int, default=8800)
    sites.set_defaults(handler=cmd_sites)

    export = sub.add_parser("export", help="write episodes as chat-style JSONL or a Hugging "
                            "Face dataset (redacted)")
    export.add_argument("--out", type=Path, required=True,
                        help="a .jsonl file, or a new folder for --format trl|preference")
    export.add_argument("--format", default="jsonl", choices=["jsonl", "trl", "preference"],
                        help="jsonl (default); trl: a datasets folder in TRL's conversational "
                             "messages format; preference: chosen/rejected pairs from "
                             "speculative synthesis")
    export.add_argument("--outcome", default=None, help="only episodes with this outcome")
    export.add_argument("--episode", type=int, action="append", default=None)
    export.add_argument("--raw", action="store_true",
                        help="no redaction: the file then holds whatever the pages showed")
    add_db_flag(export)
    export.set_defaults(handler=cmd_export)

    audit = sub.add_parser("audit", help="show exactly what left the device (cloud requests)")
    audit.add_argument("--episode", type=int, default=None)
    audit.add_argument("--full", action="store_true", help="print whole payloads")
    add_db_flag(audit)
    audit.set_defaults(handler=cmd_audit)

    models = sub.add_parser("models", help="list the on-device models, or pick the active one")
    models_sub = models.add_subparsers(dest="models_command")
    models_sub.add_parser("list")
    use = models_sub.add_parser("use")
    use.add_argument("name")
    merge = models_sub.add_parser("merge", help="an adapter merged into its base as one "
                                  "GGUF (NAME-q8), the faster form the default ships in")
    merge.add_argument("name", help="registry name of an adapter")
    merge.add_argument("--quant", default="Q8_0", choices=("Q8_0", "Q5_0", "Q4_0"))
    export_model = models_sub.add_parser("export", help="a model for another runtime")
    export_model.add_argument("name", help="registry name")
    export_model.add_argument("--ollama", type=Path, required=True, metavar="DIR",
                              help="write DIR/Modelfile and its GGUF files "
                                   "(then: ollama create NAME -f DIR/Modelfile)")
    models.set_defaults(handler=cmd_models)

    secrets = sub.add_parser("secrets", help="the vault: secrets the agent types for you")
    secrets_sub = secrets.add_subparsers(dest="secrets_command", required=True)
    put = secrets_sub.add_parser("set", help="store a secret (the value is read from stdin or "
                                 "a hidden prompt, never from the command line)")
    put.add_argument("name", help="written as {{secret:NAME}} in tasks")
    put.add_argument("--site", action="append", required=True,
                     help="origin it belongs to, e.g. https://mail.example.com (repeatable)")
    put.add_argument("--kind", default="password", choices=KINDS,
                     help="which fields it may be typed into (default: password)")
    secrets_sub.add_parser("list", help="names, sites and kinds (never values)")
    remove = secrets_sub.add_parser("delete", help="remove a secret")
    remove.add_argument("name")
    secrets.set_defaults(handler=cmd_secrets)

    app = sub.add_parser("app", help="open the desktop app")
    add_db_flag(app)
    app.set_defaults(handler=cmd_app)


def add_trace_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--trace", action="store_true",
                   help="save a Playwright trace per episode in traces/ next to the DB "
                        "(paused while a secret is typed; view: playwright show-trace FILE)")


class StepPrinter(EpisodeHooks):
    """Each step on the terminal, secret values masked."""

    def __init__(self) -> None:
        self.mask = NO_SECRETS.mask

    def on_start(self, start: EpisodeStart) -> None:
        self.mask = start.secrets.mask

    def on_step(self, event: StepEvent) -> None:
        d = event.decision
        print(self.mask(f"  step {event.idx + 1:>2}  {d.route:<5} {d.action.to_text()}"))
        if d.rationale:
            print(self.mask(f"           reason: {d.rationale}"))
        detail = f"           {event.latency_ms:.0f} ms"
        if d.findings:
            detail += ", private data: " + ", ".join(sorted({f.category for f in d.findings}))
        if d.why:
            detail += f" ({d.why})"
        print(self.mask(detail))
        if event.error:
            print(self.mask(f"           ! {event.error}"))


def run_task(task: Task, args: argparse.Namespace, secrets: Secrets,
             large_seat: LargeSeat | None = None) -> int:
    store = open_store(args.db)
    router = build_router(agent_config(args), store=store, approver=cli_approver,
                          large_seat=large_seat)
    print(f"task: {task.id}  mode: {args.mode}  policy: {router.id}")
    options = EpisodeOptions(mode=args.mode, max_steps=args.max_steps, confirm=args.confirm)
    with BrowserSession(browser_config(args)) as session:
        hooks: list[EpisodeHooks] = [StoreRecorder(store), StepPrinter()]
        tracer = TraceRecorder(session, store) if getattr(args, "trace", False) else None
        if tracer is not None:
            hooks.append(tracer)
        result = run_episode(task, session, router, secrets=secrets, options=options,
                             hooks=hooks, confirmer=cli_confirmer)
    for path in tracer.saved if tracer is not None else []:
        print(f"trace: {path} (playwright show-trace {path})")
    return report(result, store, secrets)


def report(result: EpisodeResult, store: TrajectoryStore, secrets: Secrets) -> int:
    """The episode's verdict on the terminal."""
    if result.episode_id is None and result.error:  # it never started
        raise ConfigError(secrets.mask(result.error))
    print(secrets.mask(f"intent: {result.intent}"))
    verdict = {"success": "SUCCESS", "failure": "FAILURE",
               "unknown": "finished (no evaluator for an ad-hoc task: check the page yourself)",
               "interrupted": "interrupted"}.get(result.outcome, result.outcome)
    answer = f", answer: {result.answer!r}" if result.answer else ""
    print(secrets.mask(f"outcome: {verdict} after {len(result.steps)} step(s){answer} "
                       f"in {result.wall_s:.1f} s (episode {result.episode_id} in {store.path})"))
    if result.error:
        print(secrets.mask(f"  {result.error}"))
    # a task with an evaluator that says it failed is a failed command (`make demo` shows it)
    return 1 if result.outcome in ("failure", "interrupted") else 0


def cmd_run(args: argparse.Namespace) -> int:
    try:
        args.task.encode("utf-8")
    except UnicodeEncodeError as exc:  # bytes the terminal could not decode reach argv so
        raise ConfigError("the task is not valid UTF-8 text: check the terminal's encoding "
                          "and type it again") from exc
    task = AdHocTask.create(args.task, args.url, args.allow, args.max_steps)
    return run_task(task, args, vault_secrets())


def cmd_demo(args: argparse.Namespace) -> int:
    from trainer.suites import reference_teacher
    from trainer.suites.practice.tasks import demo_secrets, load_practice_tasks
    from trainer.suites.sites import SiteServer

    with SiteServer() as server:
        tasks = {t.id: t for t in load_practice_tasks(server.base_url)}
        task_id = args.task or next(iter(tasks))
        if not task_id.startswith("practice/"):
            task_id = "practice/" + task_id
        if task_id not in tasks:
            raise ConfigError(f"unknown practice task {task_id!r}; known: {', '.join(tasks)}")
        seat = OfflineSeat(reference_teacher()) if args.large == "teacher" else None
        return run_task(tasks[task_id], args, demo_secrets(server.base_url), large_seat=seat)


def cmd_sites(args: argparse.Namespace) -> int:
    from trainer.suites.sites import SiteServer

    server = SiteServer(port=args.port)
    print(f"serving the practice sites at {server.base_url} (Ctrl-C to stop)")
    server.serve_forever()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from core.privacy.boundary import export_redactor
    from core.store.export import export_jsonl

    store = open_store(args.db)
    ids = args.episode or store.episode_ids(outcome=args.outcome)
    redact = None
    if args.raw:
        log.warning(
            "--raw: the export is not redacted; it holds whatever the pages and tasks showed")
    else:
        redact = export_redactor(vault_secrets())
    if args.format != "jsonl":
        from core.store.datasets_export import export_dataset

        count = export_dataset(store, args.out, args.format, ids, redact=redact)
        print(f"wrote {count} row(s) to {args.out} ({args.format}, datasets.load_from_disk)"
              + ("" if args.raw else " (redacted)"))
        return 0
    try:
        count = export_jsonl(store, args.out, ids, redact=redact)
    except OSError as exc:
        raise ConfigError(f"cannot write {args.out}: {exc.strerror}") from exc
    print(f"wrote {count} episode(s) to {args.out}" + ("" if args.raw else " (redacted)"))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from core.pricing import Prices, dollars

    store = open_store(args.db)
    prices = Prices.load()
    rows = store.cloud_requests(args.episode)
    if not rows:
        which = f" for episode {args.episode}" if args.episode else ""
        print("no cloud requests recorded" + which)
        return 0
    total_in = total_out = 0
    usage: list[tuple[str, int, int]] = []
    for row in rows:
        tokens_in, tokens_out = _tokens(row["input_tokens"]), _tokens(row["output_tokens"])
        total_in += tokens_in
        total_out += tokens_out
        usage.append((str(row["model"] or ""), tokens_in, tokens_out))
        print(f"#{row['id']} episode {row['episode_id']} step {row['step_idx']} "
              f"{row['created_at']} {row['status']} -> {row['url']} "
              f"({row['input_tokens']} in / {row['output_tokens']} out tokens, "
              f"{dollars(prices.total(usage[-1:]))})")
        try:
            text = json.dumps(json.loads(str(row["payload"])), indent=2, ensure_ascii=False)
        except ValueError:
            text = f"(payload of request #{row['id']} is not valid JSON: shown as stored)\n" + \
                str(row["payload"])
        print(text if args.full else "\n".join(text.splitlines()[:40]))
        if row["response"]:
            print(f"  response: {row['response']}")
        if row["error"]:
            print(f"  error: {row['error']}")
        print()
    print(f"{len(rows)} request(s), {total_in} input / {total_out} output tokens, "
          f"{dollars(prices.total(usage))}")
    return 0


def _tokens(value: object) -> int:
    """A stored token count; a corrupt one counts as none, so its row and the rows after it
    are still shown."""
    try:
        return int(value or 0)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def cmd_secrets(args: argparse.Namespace) -> int:
    from core.privacy.vault import SecretVault

    vault = SecretVault()
    if args.secrets_command == "set":
        value = read_secret_value(args.name)
        vault.set(args.name, value, sites=args.site, kind=args.kind)
        print(f"stored {args.name} ({args.kind}) for {', '.join(args.site)} in "
              f"{vault.describe()}")
    elif args.secrets_command == "delete":
        vault.delete(args.name)
        print(f"deleted {args.name}")
    else:
        entries = vault.entries()
        for entry in entries:
            print(f"{entry.name:<24} {entry.kind:<9} {', '.join(entry.sites) or '(no site)'}")
        print(f"{len(entries)} secret(s) in {vault.describe()}")
    return 0


def read_secret_value(name: str) -> str:
    """The value from a hidden prompt on a terminal, else from stdin (one line)."""
    import getpass
    import sys

    if sys.stdin.isatty():
        value = getpass.getpass(f"value of {name} (not shown): ")
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise ConfigError(f"no value given for {name}")
    return value


def cmd_models(args: argparse.Namespace) -> int:
    from core.errors import ModelError
    from core.models import Registry

    registry = Registry()
    if args.models_command == "export":
        from core.ollama import export_ollama

        try:
            resolved = registry.resolve(args.name)
        except ModelError as exc:
            raise ConfigError(str(exc)) from exc
        path = export_ollama(resolved, args.ollama)
        print(f"wrote {path}; run: ollama create {args.name} -f {path}")
        return 0
    if args.models_command == "merge":
        try:
            entry = registry.add_merged(args.name, args.quant)
        except ModelError as exc:
            raise ConfigError(str(exc)) from exc
        print(f"added {entry.name} (built into the cache); use it: symbiote models use "
              f"{entry.name}")
        return 0
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


def cmd_app(args: argparse.Namespace) -> int:
    from app.qt.main import main as app_main  # Qt loads only for the app

    return app_main(db=args.db)
