"""Recorded demonstrations: the user does the task in the session's browser and each click,
typed text and choice becomes a step of the action language, on the ids of the observation
the page gave just before (record.js runs observe.js in the page at that moment).

A recording is not an agent loop (nobody decides: the user acts), so it does not run through
core.loop; it speaks to the same hooks (the store's recorder numbers and stores it, with
source `demonstration`), so it is an episode like any other. A value typed into a password or
payment field becomes a `{{secret:NAME}}` placeholder — the vault's name when the vault holds
that value, a new name otherwise — and the value stays in memory only, masked out of every
stored text; the front end offers the new ones for the vault.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from playwright.sync_api import Error as PlaywrightError

from core.actions import Action
from core.browser.session import BrowserSession
from core.browser.views import Observation
from core.loop import (
    EpisodeHooks,
    EpisodeOptions,
    EpisodeResult,
    EpisodeStart,
    StepEvent,
    user_step,
)
from core.policies.base import HistoryItem, StepContext
from core.privacy.secrets import LOG_MASK, NO_SECRETS, Secret, Secrets
from core.tasks import Task
from core.user import USER_POLICY, UserActions

log = logging.getLogger(__name__)


@dataclass
class DemonstrationRecorder:
    """`start()`, then `pump()` while the user acts, then `finish()`; or `run(should_stop)`."""

    session: BrowserSession
    task: Task
    hooks: Sequence[EpisodeHooks] = ()
    known: Secrets = NO_SECRETS        # the vault's: a typed value it holds keeps its name
    options: EpisodeOptions = field(default_factory=lambda: EpisodeOptions(
        source="demonstration"))
    steps: list[StepEvent] = field(default_factory=list)
    _actions: UserActions | None = None
    _history: list[HistoryItem] = field(default_factory=list)
    _intent: str = ""
    _episode_id: int | None = None
    _started: float = 0.0

    @property
    def new_secrets(self) -> list[Secret]:
        """Values typed into secret fields that the vault does not hold: to offer for it."""
        return self._actions.new_secrets if self._actions is not None else []

    @property
    def secrets(self) -> Secrets:
        """The known secrets and the ones typed during the recording, read live: the store
        masks every value typed so far out of what it writes."""
        return Secrets(lambda: [*self.known.items(), *self.new_secrets])

    def start(self) -> int | None:
        self._started = time.perf_counter()
        session = self.session
        session.allowed_domains = self.task.allowed_domains
        self._actions = UserActions(session, self.known)
        # Listening before the start page loads: every document, from its first moment.
        self._actions.prepare(every_document=True)
        self._intent = self.task.setup(session)
        self._actions.listen()  # navigations from the start page on are the user's
        LOG_MASK.watch(Secrets(lambda: list(self.new_secrets)))
        start = EpisodeStart(self.task, self._intent, USER_POLICY, self.options, self.secrets,
                             session.page.url, None, 0)
        numbers = [hook.on_start(start) for hook in self.hooks]
        self._episode_id = next((n for n in numbers if n is not None), None)
        return self._episode_id

    def run(self, should_stop: Callable[[], bool], poll_ms: int = 150) -> EpisodeResult:
        """Record until `should_stop()` or Ctrl+C (the recording is kept either way)."""
        self.start()
        try:
            while not should_stop():
                try:
                    self.session.page.wait_for_timeout(poll_ms)
                except PlaywrightError:
                    break  # the user closed the window: that ends it too
                self.pump()
        except KeyboardInterrupt:
            log.info("recording ended by the user")
        return self.finish()

    def pump(self) -> None:
        """Turn what the user did so far into steps."""
        if self._actions is not None:
            for action, observation in self._actions.take():
                self._emit(action, observation)

    def finish(self, answer: str = "") -> EpisodeResult:
        self.pump()
        result = EpisodeResult(self._episode_id, self.task.id, self._intent, "unknown", None,
                               answer, steps=list(self.steps))
        try:
            evaluation = self.task.validate(self.session, answer)
            # The user says it is done; an evaluator that can tell has the last word.
            result.outcome = "failure" if evaluation.success is False else "success"
            result.reward, result.detail = evaluation.reward, evaluation.detail
        except PlaywrightError as exc:
            result.outcome, result.error = "error", exc.message.splitlines()[0]
        result.wall_s = time.perf_counter() - self._started
        for hook in self.hooks:
            hook.on_finish(result)
        return result

    def _emit(self, action: Action, observation: Observation) -> None:
        context = StepContext(intent=self._intent, observation=observation,
                              history=tuple(self._history), step=len(self.steps),
                              task_id=self.task.id, episode_id=self._episode_id)
        url_after = observation.url
        try:
            url_after = self.session.page.url
        except PlaywrightError:
            pass
        event, item = user_step(action, context, "demonstrated by the user", url_after)
        self.steps.append(event)
        self._history.append(item)
        for hook in self.hooks:
            hook.on_step(event)
