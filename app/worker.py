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
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from PySide6.QtCore import QThread, Signal

from core.agent import ConfigError
from core.browser.executor import SecretMissing, SecretResolver, secret_masker
from core.browser.session import BrowserConfig, BrowserError, BrowserSession
from core.loop import EpisodeResult, StepEvent
from core.models import ModelError
from core.policies.base import PolicyError
from core.routing import Approver, Router
from core.settings import AppSettings
from core.store.service import StoreError, TrajectoryStore
from core.tasks import AdHocTask, Task

log = logging.getLogger(__name__)


class UserFacingError(ValueError):
    """A run cannot start for a reason the user can fix (bad URL, empty task)."""


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
    secret_values: Callable[[], list[str]]


RouterFactory = Callable[[RunContext], Router]


def default_router_factory(ctx: RunContext) -> Router:
    """The same composition as `symbiote run`: the active on-device model, Claude as the large
    seat, the user's approval policy and the app's approval dialog."""
    from core.agent import AgentConfig, build_router

    settings = ctx.settings
    return build_router(AgentConfig(
        mode=ctx.spec.mode, large="claude", cloud_url=settings.cloud_base_url,
        cloud_model=settings.cloud_model, approval=settings.approval, approver=ctx.approver,
        store=ctx.store, secret_values=ctx.secret_values))


@dataclass(frozen=True)
class StepView:
    """One step as the step list shows it: no observation, no private values."""

    episode_id: int | None
    idx: int
    url: str
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
    def from_event(cls, event: StepEvent, screenshot: bytes | None,
                   mask: Callable[[str], str]) -> StepView:
        decision = event.decision
        findings = decision.findings
        return cls(
            episode_id=event.episode_id, idx=event.idx, url=event.observation.url,
            action=mask(decision.action.to_text()), reason=mask(decision.rationale),
            route=decision.route,
            categories=tuple(sorted({str(f.get("category", "other")) for f in findings})),
            entity_types=tuple(sorted({str(f.get("entity_type", "")) for f in findings
                                       if f.get("entity_type")})),
            why=str(decision.meta.get("why", "")), latency_ms=event.latency_ms,
            error=mask(event.error), screenshot=screenshot)


def validate_start_url(url: str) -> str:
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https", "file") or not (parsed.netloc or parsed.path):
        raise UserFacingError(f"not a start URL: {url!r} (expected http://… or https://…)")
    return url.strip()


def build_task(spec: RunSpec, practice: Mapping[str, Task]) -> Task:
    """A practice task when the user kept one unedited (it has an evaluator), else an ad-hoc
    task limited to the allowed domains (default: the start URL's host)."""
    if not spec.intent.strip():
        raise UserFacingError("type a task first, e.g. \"open the latest invoice\"")
    if spec.practice_task_id and spec.practice_task_id in practice:
        return practice[spec.practice_task_id]
    url = validate_start_url(spec.start_url)
    host = urlparse(url).hostname
    allowed = list(spec.allowed_domains) or ([host] if host else None)
    return AdHocTask(intent=spec.intent.strip(), start_url=url, allowed_domains=allowed,
                     max_steps=spec.max_steps or 15)


# --- secrets ----------------------------------------------------------------------------------

def open_vault():  # type: ignore[no-untyped-def]
    """The user's keyring-backed vault, or None when it cannot be opened (logged)."""
    try:
        from core.privacy.vault import SecretVault, VaultError
    except ImportError:
        log.warning("core.privacy.vault is not available: the app runs without the vault")
        return None
    try:
        return SecretVault()
    except VaultError as exc:
        log.warning("the vault is not available: %s", exc)
        return None


def vault_values(vault) -> list[str]:  # type: ignore[no-untyped-def]
    """Every value in the vault (read once, then cached by the vault)."""
    return list(vault.values()) if vault is not None else []


def make_resolver(vault, extra: Mapping[str, str]) -> SecretResolver:  # type: ignore[no-untyped-def]
    """`{{secret:NAME}}` → the vault's value, else the practice sites' synthetic one."""
    def resolve(name: str) -> str:
        if vault is not None and name in vault.names():
            return str(vault.get(name))
        if name in extra:
            return extra[name]
        raise SecretMissing(f"no secret named {name!r} in the vault (add it in Settings)")
    return resolve


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
    practice_secrets: Mapping[str, str] = field(default_factory=dict)


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
            is_practice = inputs.task.source == "practice"
            extra = inputs.practice_secrets if is_practice else {}
            values = vault_values(inputs.vault) + [v for v in extra.values() if v]
            mask = secret_masker(lambda: values)
            ctx = RunContext(spec=inputs.spec, settings=inputs.settings, store=store,
                             approver=inputs.approver, secret_values=lambda: list(values))
            router = inputs.router_factory(ctx)
            config = BrowserConfig(headless=not inputs.spec.headed)
            with BrowserSession(config) as session:
                def on_step(event: StepEvent) -> None:
                    self.step.emit(StepView.from_event(event, _screenshot(session), mask))

                self.result = _run(inputs, session, router, store, on_step, self._stop.is_set,
                                   make_resolver(inputs.vault, extra), lambda: list(values))
            if self.result.episode_id is None and self.result.error:
                self.failed.emit(self.result.error)  # e.g. the start page did not open
            else:
                self.episode_done.emit(self.result)
        except (ConfigError, ModelError, BrowserError, PolicyError, StoreError,
                UserFacingError) as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # the program's fault: a traceback in the log, a line in the UI
            log.exception("the agent thread failed")
            self.failed.emit(f"unexpected error ({type(exc).__name__}: {exc}); see the log")
        finally:
            if store is not None:
                store.close()


def _run(inputs: WorkerInputs, session: BrowserSession, router: Router, store: TrajectoryStore,
         on_step: Callable[[StepEvent], None], should_stop: Callable[[], bool],
         secrets: SecretResolver, values: Callable[[], list[str]]) -> EpisodeResult:
    from core.loop import run_episode

    return run_episode(inputs.task, session, router, store, mode=inputs.spec.mode,
                       max_steps=inputs.spec.max_steps, secrets=secrets,
                       secret_values=values, on_step=on_step, should_stop=should_stop,
                       screenshots=True)


def _screenshot(session: BrowserSession) -> bytes | None:
    try:
        return session.screenshot()
    except Exception:  # a closed page has no picture; the step itself is still shown
        log.debug("live screenshot failed", exc_info=True)
        return None
