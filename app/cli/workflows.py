"""`symbiote workflow save|run|list|show|delete` and `symbiote record`: runs that worked once,
run again with no model; demonstrations the user records."""

from __future__ import annotations

import argparse
import sys

from app.cli.commands import StepPrinter, report
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
from core.browser.session import BrowserSession
from core.errors import ConfigError
from core.loop import EpisodeOptions, run_episode
from core.privacy.secrets import Secret
from core.routing.base import Router
from core.store.recorder import StoreRecorder
from core.tasks import AdHocTask
from core.workflows.replay import ReplayRouter, WorkflowTask, parameter_values
from core.workflows.service import WorkflowLibrary, workflow_from_episode


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    workflow = sub.add_parser("workflow", help="saved workflows: replay a run that worked, "
                              "with no model")
    wsub = workflow.add_subparsers(dest="workflow_command", required=True)
    save = wsub.add_parser("save", help="turn a successful episode into a workflow")
    save.add_argument("episode", type=int, help="the episode's number (symbiote app, History)")
    save.add_argument("--name", required=True)
    save.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                      help="a value of the task text that is a parameter, e.g. "
                           "product='Canvas Day Backpack' (repeatable)")
    save.add_argument("--force", action="store_true", help="replace a workflow of that name")
    add_db_flag(save)
    run = wsub.add_parser("run", help="replay a workflow; the agent takes over where it no "
                          "longer fits the page")
    run.add_argument("name")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="a parameter's value for this run (repeatable)")
    add_agent_flags(run)
    add_confirm_flag(run)
    add_browser_flags(run)
    add_db_flag(run)
    wsub.add_parser("list", help="the saved workflows")
    show = wsub.add_parser("show", help="a workflow's steps and parameters")
    show.add_argument("name")
    delete = wsub.add_parser("delete", help="remove a workflow")
    delete.add_argument("name")
    workflow.set_defaults(handler=cmd_workflow)

    record = sub.add_parser("record", help="record yourself doing a task (Ctrl+C ends it)")
    record.add_argument("task", help="what you are about to do, in words")
    record.add_argument("--url", required=True, help="start URL")
    record.add_argument("--allow", action="append", default=None,
                        help="allowed domain (repeatable); default: the start URL's host")
    record.add_argument("--save-as", default=None, metavar="NAME",
                        help="also save the recording as a workflow")
    add_browser_flags(record)
    add_db_flag(record)
    record.set_defaults(handler=cmd_record)


def pairs(items: list[str], flag: str) -> dict[str, str]:
    values = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{flag} takes KEY=VALUE, got {item!r}")
        values[key.strip()] = value
    return values


def cmd_workflow(args: argparse.Namespace) -> int:
    library = WorkflowLibrary()
    command = args.workflow_command
    if command == "save":
        episode = open_store(args.db).episode(args.episode)
        workflow = workflow_from_episode(episode, args.name, pairs(args.param, "--param"))
        path = library.save(workflow, overwrite=args.force)
        params = ", ".join(f"{k}={v!r}" for k, v in workflow.params.items()) or "none"
        print(f"saved workflow {workflow.name!r}: {len(workflow.steps)} step(s), "
              f"parameters: {params} ({path})")
    elif command == "run":
        return run_workflow(args, library)
    elif command == "list":
        for workflow in library.all():
            keys = ", ".join(workflow.params) or "-"
            print(f"{workflow.name:<24} {len(workflow.steps):>3} steps  params: {keys:<24} "
                  f"{workflow.intent}")
        print(f"{len(library.names())} workflow(s) in {library.folder}")
    elif command == "show":
        print(library.load(args.name).model_dump_json(indent=2))
    else:
        library.delete(args.name)
        print(f"deleted workflow {args.name!r}")
    return 0


def run_workflow(args: argparse.Namespace, library: WorkflowLibrary) -> int:
    workflow = library.load(args.name)
    values = parameter_values(workflow, pairs(args.set, "--set"))
    store = open_store(args.db)

    def agent() -> Router:  # built only when the replay needs it: the model loads then
        from core.agent import build_router

        print(f"  the workflow no longer fits the page: the agent ({args.mode}) takes over")
        return build_router(agent_config(args), store=store, approver=cli_approver)

    router = ReplayRouter(workflow, values, agent)
    task = WorkflowTask(workflow, values, lambda: router.state)
    secrets = vault_secrets()
    print(f"workflow: {workflow.name}  ({len(workflow.steps)} steps, fallback mode: "
          f"{args.mode})")
    options = EpisodeOptions(mode=args.mode, max_steps=args.max_steps, source="workflow",
                             confirm=args.confirm)
    with BrowserSession(browser_config(args)) as session:
        result = run_episode(task, session, router, secrets=secrets, options=options,
                             hooks=[StoreRecorder(store), StepPrinter()],
                             confirmer=cli_confirmer)
    state = router.state
    if state.fell_back_at is not None:
        print(secrets.mask(f"fell back to the agent at step {state.fell_back_at + 1} of "
                           f"{state.total}: {state.reason}"))
    else:
        print(f"replayed {state.done} of {state.total} step(s) with no model")
    return report(result, store, secrets)


def cmd_record(args: argparse.Namespace) -> int:
    from core.workflows.recording import DemonstrationRecorder

    task = AdHocTask.create(args.task, args.url, args.allow)
    task.source = "demonstration"
    store = open_store(args.db)
    vault = vault_secrets()
    print("recording: do the task in the browser window; press Ctrl+C here when done")
    with BrowserSession(browser_config(args, headed=True)) as session:
        recorder = DemonstrationRecorder(session, task, hooks=[StoreRecorder(store)],
                                         known=vault)
        result = recorder.run(should_stop=lambda: False)
    print(f"recorded {len(result.steps)} step(s) as episode {result.episode_id} in "
          f"{store.path}")
    for secret in recorder.new_secrets:
        offer_for_vault(secret)
    if args.save_as and result.episode_id is not None:
        workflow = workflow_from_episode(store.episode(result.episode_id), args.save_as)
        path = WorkflowLibrary().save(workflow)
        print(f"saved workflow {workflow.name!r} ({path})")
    return 0


def offer_for_vault(secret: Secret) -> None:
    """A value typed into a secret field: into the vault if the user says so, else only
    the command that would put it there (the value is never printed nor stored)."""
    sites = " ".join(f"--site {s}" for s in secret.sites)
    command = f"symbiote secrets set {secret.name} {sites} --kind {secret.kind}"
    if sys.stdin.isatty():
        answer = input(f"store the {secret.kind} you typed as {{{{secret:{secret.name}}}}} in "
                       "the vault? [y/N] ").strip().lower()
        if answer in ("y", "yes"):
            from core.privacy.vault import SecretVault

            SecretVault().set(secret.name, secret.value, sites=list(secret.sites),
                              kind=secret.kind)
            print(f"  stored {secret.name} in the vault")
            return
    print(f"  not stored: the workflow needs it in the vault to replay ({command})")
