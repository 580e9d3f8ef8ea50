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
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError

from core.actions import Action, Click, Goto, Select, Type
from core.browser.session import OBSERVE_JS, BrowserSession
from core.browser.views import Element, Observation
from core.loop import EpisodeHooks, EpisodeOptions, EpisodeResult, EpisodeStart, StepEvent
from core.policies.base import HistoryItem, StepContext
from core.policies.formats import named_text
from core.privacy.dom import field_kinds
from core.privacy.secrets import LOG_MASK, NO_SECRETS, Secret, SecretKind, Secrets, origin_of
from core.routing.base import Decision
from core.tasks import Task

log = logging.getLogger(__name__)

RECORD_JS = (Path(__file__).with_name("record.js").read_text(encoding="utf-8")
             .replace("__OBSERVE__", OBSERVE_JS.strip().rstrip(";")))
POLICY_ID = "user"
SECRET_FIELDS: dict[str, SecretKind] = {"PASSWORD": "password", "CREDIT_CARD": "card",
                                        "CARD_CVV": "card", "CARD_EXPIRY": "card",
                                        "OTP": "otp"}
# A navigation this long after the user's last click or Enter is their own (the address bar).
NAVIGATION_QUIET_S = 3.0


def _observation(url: str, nodes: list[dict[str, Any]]) -> Observation:
    elements = tuple(Element(id=n["sid"], role=n["role"], name=n["name"], depth=n["depth"],
                             props=dict(n.get("props") or {}),
                             options=tuple(n.get("options") or ())) for n in nodes)
    return Observation(url=url, title="", elements=elements)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:32] or "secret"


@dataclass
class DemonstrationRecorder:
    """`start()`, then `pump()` while the user acts, then `finish()`; or `run(should_stop)`."""

    session: BrowserSession
    task: Task
    hooks: Sequence[EpisodeHooks] = ()
    known: Secrets = NO_SECRETS        # the vault's: a typed value it holds keeps its name
    options: EpisodeOptions = field(default_factory=lambda: EpisodeOptions(
        source="demonstration"))
    new_secrets: list[Secret] = field(default_factory=list)   # to offer for the vault
    steps: list[StepEvent] = field(default_factory=list)
    _events: list[dict[str, Any]] = field(default_factory=list)
    _history: list[HistoryItem] = field(default_factory=list)
    _intent: str = ""
    _episode_id: int | None = None
    _started: float = 0.0
    _last_act: float = 0.0
    _last_url: str = ""

    @property
    def secrets(self) -> Secrets:
        """The known secrets and the ones typed during the recording, read live: the store
        masks every value typed so far out of what it writes."""
        return Secrets(lambda: [*self.known.items(), *self.new_secrets])

    def start(self) -> int | None:
        self._started = time.perf_counter()
        session = self.session
        session.allowed_domains = self.task.allowed_domains
        context = session.page.context
        context.expose_binding("__symbioteRecord", self._on_event)
        context.add_init_script(RECORD_JS)
        self._intent = self.task.setup(session)
        # The start page loaded before the script was added: run it there as a function.
        session.page.evaluate("() => {\n" + RECORD_JS + "\n}")
        self._last_url = session.page.url
        session.page.on("framenavigated", self._on_navigation)
        LOG_MASK.watch(Secrets(lambda: list(self.new_secrets)))
        start = EpisodeStart(self.task, self._intent, POLICY_ID, self.options, self.secrets,
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
        """Turn the events the page sent so far into steps."""
        events, self._events = self._events, []
        for event in events:
            self._step(event)

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

    # --- events -------------------------------------------------------------------------

    def _on_event(self, source: Any, event: dict[str, Any]) -> None:
        self._last_act = time.perf_counter()  # a navigation right after it is its effect
        self._events.append(event)

    def _on_navigation(self, frame: Any) -> None:
        if frame.parent_frame is not None:
            return
        url = frame.url
        quiet = time.perf_counter() - self._last_act > NAVIGATION_QUIET_S
        if quiet and url != self._last_url and not url.startswith(("about:", "chrome")):
            self._events.append({"kind": "goto", "url": url, "nodes": [],
                                 "from": self._last_url})
        self._last_url = url

    def _step(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        observation = _observation(str(event.get("from") or event.get("url") or ""),
                                   list(event.get("nodes") or []))
        action: Action | None
        if kind == "goto":
            action = Goto(str(event["url"]))
        elif not event.get("sid") or observation.element(str(event["sid"])) is None:
            log.debug("a %s on an element the observation does not show: not recorded", kind)
            return
        elif kind == "click":
            action = Click(str(event["sid"]))
        elif kind == "select":
            action = Select(str(event["sid"]), str(event.get("option", "")))
        elif kind == "type":
            element = observation.element(str(event["sid"]))
            assert element is not None
            text = self._typed(element, str(event.get("text", "")), observation.url)
            action = Type(element.id, text, bool(event.get("enter")))
        else:
            return
        self._emit(action, observation)

    def _typed(self, element: Element, value: str, url: str) -> str:
        """The text of a type step: a secret's placeholder where the field or the value is
        one, the value itself otherwise."""
        for secret in [*self.known.items(), *self.new_secrets]:
            if secret.value and secret.value == value:
                return "{{secret:" + secret.name + "}}"
        kinds = field_kinds(element.role, element.name, element.props) & set(SECRET_FIELDS)
        if not kinds or not value:
            return value
        kind = SECRET_FIELDS[sorted(kinds)[0]]
        host = re.sub(r"[^a-z0-9]+", "_", (origin_of(url).split("://")[-1]).split(":")[0])
        name, n = f"{host}_{_slug(element.name)}", 2
        taken = {s.name for s in [*self.known.items(), *self.new_secrets]}
        while name in taken:
            name, n = f"{host}_{_slug(element.name)}_{n}", n + 1
        self.new_secrets.append(Secret(name, value, (origin_of(url),), kind))
        return "{{secret:" + name + "}}"

    def _emit(self, action: Action, observation: Observation) -> None:
        idx = len(self.steps)
        context = StepContext(intent=self._intent, observation=observation,
                              history=tuple(self._history), step=idx, task_id=self.task.id,
                              episode_id=self._episode_id)
        element = observation.element(getattr(action, "id", ""))
        decision = Decision(action, _rationale(action, element), "local", POLICY_ID,
                            why="demonstrated by the user")
        url_after = self._last_url
        try:
            url_after = self.session.page.url
        except PlaywrightError:
            pass
        event = StepEvent(self._episode_id, idx, context, decision, "", 0.0, url_after)
        self.steps.append(event)
        self._history.append(HistoryItem(action=action, rationale=decision.rationale,
                                         described=named_text(action, element),
                                         url=observation.url))
        for hook in self.hooks:
            hook.on_step(event)


def _rationale(action: Action, element: Element | None) -> str:
    """What the user did, in the words a rationale uses (the trainer learns from it)."""
    name = repr(element.name) if element is not None and element.name else "the field"
    if isinstance(action, Click):
        return f"Click {name}." if element is not None and element.name else "Click it."
    if isinstance(action, Type):
        what = "the secret" if "{{secret:" in action.text else repr(action.text)
        return f"Enter {what} in {name}" + (" and submit." if action.press_enter else ".")
    if isinstance(action, Select):
        return f"Choose {action.option!r} in {name}."
    return "Open the page." if isinstance(action, Goto) else ""
