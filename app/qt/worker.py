"""The agent's thread: one BrowserHost drives Playwright; one AgentWorker per episode.

No agent logic lives here: the worker builds the task and the router the way the CLI does
(core.agent.build_router), runs core.loop.run_episode and forwards what happens to the GUI
thread (the start page, each decision starting, each step as a StepView). Playwright's sync API
is bound to the thread that started it, so every BrowserSession is created, used and closed in
the BrowserHost's thread and never touched from the GUI thread.

Chromium takes about a second to start on a small machine, which used to be the first thing a
Run waited for. The host keeps one headless Chromium launched and idle, so a Run opens its start
page at once; each episode still gets a browser of its own (a fresh profile: no cookies or
storage from the last run), and the next spare is launched after the run, off the critical path.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from app.qt.explain import fell_back, human_error, route_words, shown_action
from app.settings import AppSettings
from core.actions import ElementAction
from core.agent import AgentConfig, build_router
from core.browser.session import BrowserConfig, BrowserSession
from core.confirm import Confirmer
from core.errors import BrowserError, SymbioteError
from core.loop import (
    EpisodeHooks,
    EpisodeOptions,
    EpisodeResult,
    EpisodeStart,
    StepEvent,
    run_episode,
)
from core.policies.base import StepContext
from core.policies.formats import named_text
from core.privacy.secrets import NO_SECRETS, Secret, Secrets
from core.routing.base import Router
from core.routing.privacy import Approver
from core.store.recorder import StoreRecorder
from core.store.service import TrajectoryStore
from core.tasks import AdHocTask, Task
from core.user import Takeover
from core.workflows.replay import ReplayRouter, WorkflowTask
from core.workflows.views import Workflow

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


class Warmup:
    """Loads what the app's router needs on a thread of its own while the user picks a task:
    the on-device model (about a second) and, for the cloud modes, the privacy detector
    (presidio and spaCy: some 15 s on a small machine). Both are cached per process by core,
    so the run finds them loaded; a run that starts meanwhile waits for the load in flight
    instead of starting a second one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}

    def start(self, mode: str) -> None:
        self._start("model", _load_model)
        if mode != "local":
            self._start("detector", _load_detector)

    def _start(self, what: str, load: Callable[[], None]) -> None:
        with self._lock:
            if what not in self._threads:
                thread = threading.Thread(target=load, name=f"warmup-{what}", daemon=True)
                self._threads[what] = thread
                thread.start()

    def wait(self) -> None:
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join()


def _load_model() -> None:
    from core.agent import small_policy

    try:
        small_policy()
    except SymbioteError as exc:  # the run says so, with the same message
        log.info("warm-up: no on-device model: %s", exc)


def _load_detector() -> None:
    from core.privacy.detector import get_detector

    try:
        get_detector()
    except Exception:  # the run reports it; a warm-up never fails loudly
        log.info("warm-up: the detector did not load", exc_info=True)


WARMUP = Warmup()


def default_router_factory(ctx: RunContext) -> Router:
    """The same composition as `symbiote run`: the active on-device model, Claude as the large
    seat, the user's approval policy and the app's approval dialog."""
    WARMUP.wait()
    settings = ctx.settings
    return build_router(AgentConfig(mode=ctx.spec.mode, large="claude",
                                    cloud_url=settings.cloud_base_url,
                                    cloud_model=settings.cloud_model,
                                    approval=settings.approval),
                        store=ctx.store, approver=ctx.approver)


def cloud_not_ready(settings: AppSettings) -> str:
    """Why the cloud seat could not send a request with these settings ('' when it can): the
    same check the router makes before it would ask for an approval."""
    from core.policies.cloud import CloudPolicy, CloudSettings

    return CloudPolicy(CloudSettings(model=settings.cloud_model,
                                     base_url=settings.cloud_base_url)).not_ready()


@dataclass(frozen=True)
class StepView:
    """One step as the step list shows it: no observation, no private values."""

    episode_id: int | None
    idx: int
    url: str                         # the page the step acted on
    url_after: str                   # the page it left the browser on (the screenshot's)
    action: str                      # with its element named: click 'Sign in' [12]
    reason: str
    route: str
    categories: tuple[str, ...]      # privacy finding categories, e.g. ("contact", "identity")
    entity_types: tuple[str, ...]
    why: str                         # why the router chose this route, when it said
    latency_ms: float
    error: str                       # the engine's message, as it was
    screenshot: bytes | None = None

    @property
    def error_text(self) -> str:
        """The error as one sentence for people."""
        return human_error(self.error)

    @property
    def route_text(self) -> tuple[str, str]:
        return route_words(self.route, self.why)

    @property
    def fell_back(self) -> bool:
        return fell_back(self.why)

    @classmethod
    def from_event(cls, event: StepEvent, mask: Callable[[str], str]) -> StepView:
        decision = event.decision
        findings = decision.findings
        action = decision.action
        element = (event.observation.element(action.id) if isinstance(action, ElementAction)
                   else None)
        return cls(
            episode_id=event.episode_id, idx=event.idx, url=mask(event.observation.url),
            url_after=mask(event.url_after),
            action=mask(shown_action(named_text(action, element))),
            reason=mask(decision.rationale), route=decision.route,
            categories=tuple(sorted({f.category for f in findings})),
            entity_types=tuple(sorted({f.entity_type for f in findings})),
            why=mask(decision.why), latency_ms=event.latency_ms,
            error=mask(event.error), screenshot=event.screenshot)


@dataclass(frozen=True)
class PageView:
    """The start page, before the first step."""

    url: str
    screenshot: bytes | None


@dataclass(frozen=True)
class StartView:
    """The episode has begun: its number, its step budget, the task as the seats see it."""

    episode_id: int | None
    budget: int
    intent: str
    url: str
    screenshot: bytes | None


def build_task(spec: RunSpec, practice: Mapping[str, Task]) -> Task:
    """A practice task when the user kept one unedited (it has an evaluator), else an ad-hoc
    task limited to the allowed domains (default: the start URL's host)."""
    if spec.practice_task_id and spec.practice_task_id in practice and spec.intent.strip():
        return practice[spec.practice_task_id]
    return AdHocTask.create(spec.intent, spec.start_url, list(spec.allowed_domains) or None,
                            spec.max_steps)


class _Opened:
    """A task whose start page is open already: the worker opened it to show it before the
    router was ready, so the episode's own setup only hands back the intent."""

    def __init__(self, task: Task, intent: str) -> None:
        self._task, self._intent = task, intent

    def setup(self, session: BrowserSession) -> str:
        return self._intent

    def __getattr__(self, name: str) -> object:
        return getattr(self._task, name)


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


# --- the browser's thread ---------------------------------------------------------------------

Job = Callable[[Callable[[], BrowserSession]], None]


class BrowserHost(QThread):
    """The one thread that drives Playwright. `submit(job, headless)` runs `job(acquire)` here:
    `acquire()` returns a started browser of its own for the job (the waiting spare when there
    is one) and the host closes it when the job returns. A headless spare is launched when the
    host starts and after every job."""

    spare_ready = Signal(bool)  # a spare browser is waiting (False: it could not start)

    def __init__(self, config: BrowserConfig | None = None, keep_spare: bool = True) -> None:
        super().__init__()
        self.config = config or BrowserConfig()
        self.keep_spare = keep_spare
        self._jobs: queue.Queue[tuple[Job, bool] | None] = queue.Queue()
        self._closing = threading.Event()
        self._spare: BrowserSession | None = None
        self.spare_waiting = False
        self.launch_error = ""

    # GUI thread -------------------------------------------------------------------------------

    def submit(self, job: Job, headless: bool = True) -> None:
        if not self.isRunning():
            self.start()
        self._jobs.put((job, headless))

    def shutdown(self, wait_ms: int = 10000) -> bool:
        """Close the spare and end the thread (after the job in flight); True when it ended."""
        self._closing.set()
        self._jobs.put(None)
        if not self.isRunning():
            return True
        return self.wait(wait_ms)

    # the host's thread ------------------------------------------------------------------------

    def run(self) -> None:  # noqa: D401 (QThread's entry point)
        self._refill()
        while True:
            item = self._jobs.get()
            if item is None:
                break
            job, headless = item
            taken: list[BrowserSession] = []

            def acquire(headless: bool = headless,
                        taken: list[BrowserSession] = taken) -> BrowserSession:
                if not taken:
                    taken.append(self._take(headless))
                return taken[0]

            try:
                job(acquire)
            except Exception:  # a job reports its own failures; this is the program's fault
                log.exception("a browser job failed")
            finally:
                for session in taken:
                    _close(session)
            self._refill()
        if self._spare is not None:
            _close(self._spare)
            self._spare = None

    def _take(self, headless: bool) -> BrowserSession:
        if not headless:  # a visible window is launched for the run; the spare keeps waiting
            return self._launch(headless=False)
        spare, self._spare = self._spare, None
        self.spare_waiting = False
        if spare is not None and _alive(spare):
            return spare
        if spare is not None:
            _close(spare)
        return self._launch(headless=True)

    def _launch(self, headless: bool) -> BrowserSession:
        config = BrowserConfig(**{**self.config.__dict__, "headless": headless})
        session = BrowserSession(config)
        session.start()  # BrowserError when Chromium is missing or does not start
        return session

    def _refill(self) -> None:
        if not self.keep_spare or self._closing.is_set() or self._spare is not None:
            return
        try:
            self._spare = self._launch(headless=True)
            self.launch_error = ""
        except BrowserError as exc:
            self.launch_error = str(exc)
            log.warning("no spare browser: %s", exc)
            self.spare_ready.emit(False)
            return
        self.spare_waiting = True
        self.spare_ready.emit(True)


def _alive(session: BrowserSession) -> bool:
    try:
        session.page.evaluate("1")
        return True
    except Exception:  # a crashed or closed browser raises Playwright's or our error
        log.info("the spare browser is gone; launching another")
        return False


def _close(session: BrowserSession) -> None:
    try:
        session.close()
    except Exception:
        log.debug("closing a browser failed", exc_info=True)


# --- one episode ------------------------------------------------------------------------------

@dataclass
class WorkerInputs:
    task: Task | None            # None: the workflow's own (WorkflowTask)
    spec: RunSpec
    settings: AppSettings
    store_path: Path
    router_factory: RouterFactory
    approver: Approver
    vault: object = None
    practice_secrets: Secrets = NO_SECRETS
    confirmer: Confirmer | None = None           # irreversible actions (settings.confirm)
    workflow: Workflow | None = None             # replay it; the router factory's agent
    values: dict[str, str] = field(default_factory=dict)  # takes over where it must


class _Forward(EpisodeHooks):
    def __init__(self, worker: AgentWorker) -> None:
        self.worker, self.mask = worker, NO_SECRETS.mask

    def on_start(self, start: EpisodeStart) -> None:
        self.mask = start.secrets.mask
        self.worker.started.emit(StartView(None, start.budget, self.mask(start.intent),
                                           self.mask(start.url), start.screenshot))

    def on_decide(self, idx: int, context: StepContext) -> None:
        self.worker.deciding.emit(idx)

    def on_step(self, event: StepEvent) -> None:
        self.worker.step.emit(StepView.from_event(event, self.mask))

    def on_hold(self, state: str) -> None:
        self.worker.held.emit(state)


class AgentWorker(QObject):
    """One episode, run in the BrowserHost's thread. Create it in the GUI thread: its signals
    then reach the window queued (Qt's AutoConnection across threads)."""

    phase = Signal(str)            # what it is doing before the first step, in words
    preview = Signal(object)       # PageView: the start page, before the router is ready
    started = Signal(object)       # StartView
    deciding = Signal(int)         # a decision of step idx starts
    step = Signal(object)          # StepView
    held = Signal(str)             # paused | user (the user has the browser) | running
    episode_done = Signal(object)  # EpisodeResult
    failed = Signal(str)           # one sentence for the user
    finished = Signal()

    def __init__(self, inputs: WorkerInputs) -> None:
        super().__init__()
        self.inputs = inputs
        self._stop = threading.Event()
        self._running = threading.Event()
        self._done = threading.Event()
        self.result: EpisodeResult | None = None
        # Pause / take over / resume: the GUI thread sets it, the loop reads it between steps.
        self.takeover = Takeover()

    def request_stop(self) -> None:
        """The loop checks between steps; a step in flight finishes first."""
        self._stop.set()
        self.takeover.release()  # a paused episode stops too

    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def start_on(self, host: BrowserHost) -> None:
        self._running.set()
        host.submit(self.run, headless=not self.inputs.spec.headed)

    def is_running(self) -> bool:
        return self._running.is_set() and not self._done.is_set()

    def wait(self, timeout_ms: int) -> bool:
        return self._done.wait(timeout_ms / 1000)

    def run(self, acquire: Callable[[], BrowserSession]) -> None:
        try:
            self._run(acquire, self.inputs)
        except SymbioteError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # the program's fault: a traceback in the log, a line in the UI
            log.exception("the agent thread failed")
            self.failed.emit(f"unexpected error ({type(exc).__name__}); see the log")
        finally:
            self._done.set()
            self.finished.emit()

    def _run(self, acquire: Callable[[], BrowserSession], inputs: WorkerInputs) -> None:
        contexts: list[RunContext] = []
        replay: ReplayRouter | None = None
        if inputs.workflow is not None:
            # The agent is built only if the replay needs it: a replay loads no model.
            replay = ReplayRouter(inputs.workflow, inputs.values,
                                  lambda: inputs.router_factory(contexts[0]))
            task: Task = WorkflowTask(inputs.workflow, inputs.values,
                                      lambda: replay.state)  # type: ignore[union-attr]
        else:
            assert inputs.task is not None
            task = inputs.task
        extra = inputs.practice_secrets if task.source == "practice" else NO_SECRETS
        secrets = episode_secrets(inputs.vault, extra)
        self.phase.emit("Starting the browser…")
        t0 = time.perf_counter()
        session = acquire()
        log.debug("browser ready in %.2f s", time.perf_counter() - t0)
        # The start page first, before the router (which may load models for seconds): the
        # user sees where the agent is at once.
        self.phase.emit("Opening the start page…")
        session.allowed_domains = task.allowed_domains
        try:
            intent = task.setup(session)
        except BrowserError as exc:
            self.failed.emit(secrets.mask(str(exc)))
            return
        self.preview.emit(PageView(secrets.mask(_page_url(session)), session.try_screenshot()))
        if self._stop.is_set():
            self.failed.emit("Stopped before the first step.")
            return
        if replay is None:
            self.phase.emit("Preparing the agent (loading the on-device model"
                            + (" and the privacy detector" if inputs.spec.mode != "local"
                               else "") + " the first time)…")
        # A connection of its own: the GUI thread reads history while this one writes.
        store = TrajectoryStore(inputs.store_path)
        try:
            ctx = RunContext(spec=inputs.spec, settings=inputs.settings, store=store,
                             approver=inputs.approver)
            contexts.append(ctx)
            router = replay if replay is not None else inputs.router_factory(ctx)
            options = EpisodeOptions(mode=inputs.spec.mode, max_steps=inputs.spec.max_steps,
                                     screenshots=True, confirm=inputs.settings.confirm,
                                     source="workflow" if replay is not None else "agent")
            # _Forward first: run_episode stops calling on_start at the first hook that returns
            # an episode id (the recorder does), and _Forward needs on_start for the mask.
            hooks = [_Forward(self), StoreRecorder(store)]
            self.result = run_episode(_Opened(task, intent), session, router,  # type: ignore[arg-type]
                                      secrets=secrets, hooks=hooks, options=options,
                                      should_stop=self._stop.is_set,
                                      confirmer=inputs.confirmer, takeover=self.takeover)
        finally:
            store.close()
        if self.result.episode_id is None and self.result.error:
            self.failed.emit(secrets.mask(self.result.error))
        else:
            self.episode_done.emit(self.result)


def _page_url(session: BrowserSession) -> str:
    try:
        return session.page.url
    except BrowserError:
        return ""
