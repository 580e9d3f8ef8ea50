"""Step-by-step browsing for an MCP client: the client fills the large seat of the one loop.

`open` starts `run_episode` on a thread of its own (Playwright's sync API belongs to the thread
that opened the browser) with a PrivacyRouter whose large seat is a `ClientSeat`. The router
does what it does for a cloud: the boundary releases (hybrid-redact: redacts) the step's prompt
parts or keeps the step on the device; a released step's payload is audited, then handed to the
client, and the loop waits until `act` brings the client's action back. The router maps
placeholders back where they may go and, in hybrid, re-checks the action; the executor's rules
(secrets only on their site, in fields of their kind; the task's origins) apply as for any seat.
Steps the boundary keeps on the device are decided by the on-device model without the client:
it sees only their actions (in the next released prompt's history) and how many there were.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from app.mcp.views import StepView
from core.actions import parse_action
from core.browser.session import BrowserConfig, BrowserSession
from core.errors import ActionParseError, ConfigError, PolicyError
from core.loop import EpisodeHooks, EpisodeOptions, EpisodeResult, StepEvent, run_episode
from core.policies.base import Candidate, StepContext
from core.policies.cloud import Audit, parse_reply
from core.privacy.secrets import Secrets
from core.prompts import PromptParts
from core.routing.base import Router
from core.store.recorder import StoreRecorder
from core.store.service import TrajectoryStore
from core.tasks import Task

log = logging.getLogger(__name__)

CLIENT_URL = "mcp://client"   # the cloud_requests `url` of what an MCP client received
CLIENT_MODEL = "mcp"
START_TIMEOUT_S = 900.0       # the first page: Chromium, the detector and the model load
STEP_TIMEOUT_S = 600.0        # a client's action, or the device's steps up to the next view


class EpisodeClosed(PolicyError):
    """The client opened another page or the server stopped: the episode ends here."""


@dataclass
class _Turn:
    """A released step waiting for the client's action."""

    context: StepContext
    prompt: str


@dataclass
class Handoff:
    """Between the loop's thread and the tool calls: views go out, actions come in."""

    views: queue.Queue[_Turn | EpisodeResult | BaseException] = field(
        default_factory=queue.Queue)
    actions: queue.Queue[str | None] = field(default_factory=queue.Queue)

    def ask(self, context: StepContext, prompt: str) -> str:
        """On the loop's thread: hand the released prompt to the client, wait for its action."""
        self.views.put(_Turn(context, prompt))
        action = self.actions.get()
        if action is None:
            raise EpisodeClosed("the MCP client closed the episode")
        return action


class ClientSeat:
    """A `CloudSeat` (core.routing.seats) whose far end is the MCP client: `send` records the
    exact payload in cloud_requests, as the cloud seat does, then hands it over."""

    def __init__(self, handoff: Handoff, audit: Audit | None) -> None:
        self.handoff = handoff
        self.audit = audit
        self.requests = 0
        self.input_tokens = 0
        self.output_tokens = 0

    @property
    def id(self) -> str:
        return "mcp:client"

    def not_ready(self) -> str:
        return ""

    def build_payload(self, parts: PromptParts, k: int = 1) -> dict[str, object]:
        return {"model": CLIENT_MODEL, "prompt": parts.user_text()}

    def send(self, payload: dict[str, object], context: StepContext) -> str:
        row = (self.audit.start_cloud_request(
            episode_id=context.episode_id, step_idx=context.step, url=CLIENT_URL,
            model=CLIENT_MODEL, payload=payload) if self.audit else None)
        self.requests += 1
        try:
            text = self.handoff.ask(context, str(payload["prompt"]))
        except EpisodeClosed as exc:
            if self.audit and row is not None:
                self.audit.finish_cloud_request(row, status="closed", error=str(exc))
            raise
        if self.audit and row is not None:
            self.audit.finish_cloud_request(row, status="ok", response=text)
        return text

    def parse(self, text: str, context: StepContext, k: int = 1) -> list[Candidate]:
        return parse_reply(text, context, k, self.id)


class _DeviceSteps(EpisodeHooks):
    """Counts the steps decided on the device since the client's last action."""

    def __init__(self) -> None:
        self.count = 0
        self.why = ""

    def on_step(self, event: StepEvent) -> None:
        if event.decision.route == "local":
            self.count += 1
            self.why = event.decision.why


RouterFactory = Callable[[ClientSeat], Router]
Redact = Callable[[str], str]


class StepEpisode:
    """One step-by-step episode: its loop thread, and the client's side of the handoff."""

    def __init__(self, task: Task, secrets: Secrets, make_router: RouterFactory,
                 db_path: str, mode: str, browser: BrowserConfig | None = None) -> None:
        self.task = task
        self.handoff = Handoff()
        self.device = _DeviceSteps()
        self._turn: _Turn | None = None
        self.result: EpisodeResult | None = None
        self.router: Router | None = None
        self._ready = threading.Event()
        self._args = (secrets, make_router, db_path, mode, browser or BrowserConfig())
        self._thread = threading.Thread(target=self._run, name="mcp-episode", daemon=True)

    # --- the loop's thread --------------------------------------------------------------

    def _run(self) -> None:
        secrets, make_router, db_path, mode, browser = self._args
        store = TrajectoryStore(db_path)   # its own connection: SQLite objects stay per thread
        try:
            self.router = make_router(ClientSeat(self.handoff, store))
            self._ready.set()
            with BrowserSession(browser) as session:
                result = run_episode(self.task, session, self.router, secrets=secrets,
                                     hooks=[StoreRecorder(store), self.device],
                                     options=EpisodeOptions(mode=mode, source="mcp"))
            self.handoff.views.put(result)
        except BaseException as exc:  # the client hears of it instead of waiting forever
            log.error("the step-by-step episode failed", exc_info=True)
            self.handoff.views.put(exc)
        finally:
            self._ready.set()
            store.close()

    # --- the client's side --------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._next(START_TIMEOUT_S)

    @property
    def finished(self) -> bool:
        return self.result is not None

    @property
    def turn(self) -> _Turn | None:
        return self._turn

    def act(self, action: str, reason: str = "") -> None:
        """Check the client's action against the page it saw, hand it to the loop and wait
        for the next view (the device may decide steps in between)."""
        if self._turn is None:
            raise ConfigError("the episode is over: open a page first")
        try:
            parsed = parse_action(action, valid_ids=self._turn.context.observation.ids)
        except ActionParseError as exc:
            raise ConfigError(f"not an action on this page: {exc}") from exc
        reply = f"REASON: {' '.join(reason.split()) or 'The client chose it.'}\n" \
                f"ACTION: {parsed.to_text()}"
        self.device.count, self.device.why = 0, ""
        self._turn = None
        self.handoff.actions.put(reply)
        self._next(STEP_TIMEOUT_S)

    def close(self) -> None:
        if self._thread.is_alive():
            self.handoff.actions.put(None)
            self._thread.join(timeout=30)

    def _next(self, timeout_s: float) -> None:
        try:
            item = self.handoff.views.get(timeout=timeout_s)
        except queue.Empty as exc:
            raise ConfigError(f"no answer from the browser in {timeout_s:.0f} s") from exc
        if isinstance(item, _Turn):
            self._turn = item
        elif isinstance(item, EpisodeResult):
            self.result = item
        elif isinstance(item, ConfigError | PolicyError):
            raise item
        else:
            raise ConfigError(f"the episode failed: {item}") from item

    def view(self, redact: Redact) -> StepView:
        """The client's view; `redact` passes every text the boundary did not already
        release (the answer, the evaluator's verdict) through it."""
        episode_id = self._episode_id()
        if self._turn is not None:
            return StepView(episode_id=episode_id, status="your_turn",
                            step=self._turn.context.step, prompt=self._turn.prompt,
                            decided_on_device=self.device.count,
                            why_on_device=self.device.why)
        result = self.result
        if result is None:
            raise ConfigError("no page is open: call open first")
        return StepView(episode_id=episode_id, status="finished", step=len(result.steps),
                        decided_on_device=self.device.count, why_on_device=self.device.why,
                        outcome=result.outcome, answer=redact(result.answer),
                        detail=redact(result.detail or result.error))

    def _episode_id(self) -> int | None:
        if self._turn is not None:
            return self._turn.context.episode_id
        return self.result.episode_id if self.result is not None else None
