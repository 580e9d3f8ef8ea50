"""The agent's thread: one episode per AgentWorker, on core's loop and routers.

No agent logic lives here: the worker builds the task and the router the way the CLI does
(core.agent.build_router), runs core.loop.run_episode and forwards each step to the GUI thread
as a StepView. Playwright's sync API is thread-bound, so the BrowserSession is created inside
`run()` and never touched from the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QThread, Signal

from app.settings import AppSettings
from core.agent import AgentConfig, build_router
from core.browser.session import BrowserConfig, BrowserSession
from core.errors import SymbioteError
from core.loop import (
    EpisodeHooks,
    EpisodeOptions,
    EpisodeResult,
    EpisodeStart,
    StepEvent,
    run_episode,
)
from core.privacy.secrets import NO_SECRETS, Secret, Secrets
from core.routing.base import Router
from core.routing.privacy import Approver
from core.store.recorder import StoreRecorder
from core.store.service import TrajectoryStore
from core.tasks import AdHocTask, Task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSpec:
    """What the user asked for in the main window."""

    intent: str
    start_url: str
    mode: str = "local"
    practice_task_id: str | None = None   # set when the intent is a practice task's, unedited
    headed: bool = False
    max_steps: int | None = None
    allowed_domains: tuple[str, ...] = ()


@dataclass
class RunContext:
    """What a router factory gets: the seam tests use to plug in a scripted policy."""

    spec: RunSpec
    settings: AppSettings
    store: TrajectoryStore
    approver: Approver


RouterFactory = Callable[[RunContext], Router]


def default_router_factory(ctx: RunContext) -> Router:
    """The same composition as `symbiote run`: the active on-device model, Claude as the large
    seat, the user's approval policy and the app's approval dialog."""
    settings = ctx.settings
    return build_router(AgentConfig(mode=ctx.spec.mode, large="claude",
                                    cloud_url=settings.cloud_base_url,
                                    cloud_model=settings.cloud_model,
                                    approval=settings.approval),
                        store=ctx.store, approver=ctx.approver)


@dataclass(frozen=True)
class StepView:
    """One step as the step list shows it: no observation, no private values."""

    episode_id: int | None
    idx: int
    url: str                         # the page the step acted on
    url_after: str                   # the page it left the browser on (the screenshot's)
    action: str
    reason: str
    route: str
    categories: tuple[str, ...]      # privacy finding categories, e.g. ("contact", "identity")
    entity_types: tuple[str, ...]
    why: str                         # why the router chose this route, when it said
    latency_ms: float
    error: str
    screenshot: bytes | None = None

    @classmethod
    def from_event(cls, event: StepEvent, mask: Callable[[str], str]) -> StepView:
        decision = event.decision
        findings = decision.findings
        return cls(
            episode_id=event.episode_id, idx=event.idx, url=mask(event.observation.url),
            url_after=mask(event.url_after), action=mask(decision.action.to_text()),
            reason=mask(decision.rationale), route=decision.route,
            categories=tuple(sorted({f.category for f in findings})),
            entity_types=tuple(sorted({f.entity_type for f in findings})),
            why=mask(decision.why), latency_ms=event.latency_ms,
            error=mask(event.error), screenshot=event.screenshot)


def build_task(spec: RunSpec, practice: Mapping[str, Task]) -> Task:
    """A practice task when the user kept one unedited (it has an evaluator), else an ad-hoc
    task limited to the allowed domains (default: the start URL's host)."""
    if spec.practice_task_id and spec.practice_task_id in practice and spec.intent.strip():
        return practice[spec.practice_task_id]
    return AdHocTask.create(spec.intent, spec.start_url, list(spec.allowed_domains) or None,
                            spec.max_steps)


# --- secrets ----------------------------------------------------------------------------------

def open_vault():  # type: ignore[no-untyped-def]
    """The user's keyring-backed vault, or None when it cannot be opened (logged)."""
    from core.privacy.vault import SecretVault

    try:
        return SecretVault()
    except SymbioteError as exc:
        log.warning("the vault is not available: %s", exc)
        return None


def episode_secrets(vault, extra: Secrets = NO_SECRETS) -> Secrets:  # type: ignore[no-untyped-def]
    """The vault's secrets, then the practice sites' synthetic ones for a practice task."""
    def items() -> list[Secret]:
        found = list(vault.as_secrets().items()) if vault is not None else []
        names = {s.name for s in found}
        return found + [s for s in extra.items() if s.name not in names]
    return Secrets(items)


# --- the thread -------------------------------------------------------------------------------

@dataclass
class WorkerInputs:
    task: Task
    spec: RunSpec
    settings: AppSettings
    store_path: Path
    router_factory: RouterFactory
    approver: Approver
    vault: object = None
    practice_secrets: Secrets = NO_SECRETS


class _Forward(EpisodeHooks):
    def __init__(self, worker: AgentWorker) -> None:
        self.worker, self.mask = worker, NO_SECRETS.mask

    def on_start(self, start: EpisodeStart) -> None:
        self.mask = start.secrets.mask

    def on_step(self, event: StepEvent) -> None:
        self.worker.step.emit(StepView.from_event(event, self.mask))


class AgentWorker(QThread):
    """Runs one episode. Signals cross to the GUI thread queued (Qt's AutoConnection)."""

    step = Signal(object)          # StepView
    episode_done = Signal(object)  # EpisodeResult
    failed = Signal(str)           # one sentence for the user

    def __init__(self, inputs: WorkerInputs) -> None:
        super().__init__()
        self.inputs = inputs
        self._stop = threading.Event()
        self.result: EpisodeResult | None = None

    def request_stop(self) -> None:
        """The loop checks between steps; a step in flight finishes first."""
        self._stop.set()

    def run(self) -> None:  # noqa: D401 (QThread's entry point)
        inputs = self.inputs
        store: TrajectoryStore | None = None
        try:
            # A connection of its own: the GUI thread reads history while this one writes.
            store = TrajectoryStore(inputs.store_path)
            extra = inputs.practice_secrets if inputs.task.source == "practice" else NO_SECRETS
            secrets = episode_secrets(inputs.vault, extra)
            ctx = RunContext(spec=inputs.spec, settings=inputs.settings, store=store,
                             approver=inputs.approver)
            router = inputs.router_factory(ctx)
            options = EpisodeOptions(mode=inputs.spec.mode, max_steps=inputs.spec.max_steps,
                                     screenshots=True)
            hooks = [StoreRecorder(store), _Forward(self)]
            with BrowserSession(BrowserConfig(headless=not inputs.spec.headed)) as session:
                self.result = run_episode(inputs.task, session, router, secrets=secrets,
                                          hooks=hooks, options=options,
                                          should_stop=self._stop.is_set)
            if self.result.episode_id is None and self.result.error:
                self.failed.emit(secrets.mask(self.result.error))  # the start page did not open
            else:
                self.episode_done.emit(self.result)
        except SymbioteError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # the program's fault: a traceback in the log, a line in the UI
            log.exception("the agent thread failed")
            self.failed.emit(f"unexpected error ({type(exc).__name__}); see the log")
        finally:
            if store is not None:
                store.close()
