"""The user in the loop: what they do in the page, as actions (`UserActions`), and their
controls of a running episode (`Takeover`: pause after the current step, take over the
browser, hand it back).

`UserActions` listens in the session's page (record.js runs observe.js at each click, typed
text and choice) and turns each event into an action of the action language on the ids of the
observation the page gave just before. A value typed into a password or payment field becomes
a `{{secret:NAME}}` placeholder — the known secret's name when one holds that value, a new
name otherwise — and the value stays in memory only (`new_secrets`), so every hook masks it
out of what it stores or shows. Recorded demonstrations (core.workflows.recording) and the
take-over of a running episode (core.loop) both use it.

`Takeover` is shared by two threads: the front end calls `pause`, `take_over`, `resume`; the
loop, in the browser's thread (Playwright's sync API is bound to it), calls `held` between
steps and, while it is held, `user_turn`, which yields the user's steps as they happen.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from playwright.sync_api import Error as PlaywrightError

from core.actions import Action, Click, Goto, Select, Type
from core.browser.session import OBSERVE_JS, BrowserSession, elements_of
from core.browser.views import Element, Observation
from core.errors import BrowserError
from core.privacy.dom import field_kinds
from core.privacy.secrets import NO_SECRETS, Secret, SecretKind, Secrets, origin_of

log = logging.getLogger(__name__)

RECORD_JS = (Path(__file__).parent.joinpath("workflows", "record.js").read_text(
    encoding="utf-8").replace("__OBSERVE__", OBSERVE_JS.strip().rstrip(";")))
BINDING = "__symbioteRecord"
SECRET_FIELDS: dict[str, SecretKind] = {"PASSWORD": "password", "CREDIT_CARD": "card",
                                        "CARD_CVV": "card", "CARD_EXPIRY": "card",
                                        "OTP": "otp"}
# A navigation this long after the user's last click or Enter is their own (the address bar).
NAVIGATION_QUIET_S = 3.0


def _observation(url: str, nodes: list[dict[str, Any]]) -> Observation:
    return Observation(url=url, title="", elements=elements_of(nodes))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:32] or "secret"


@dataclass
class UserActions:
    """`listen()` in the session's current page (again after the session moved to another
    window), `take()` the user's actions since the last call, `mute()` when the agent acts."""

    session: BrowserSession
    known: Secrets = NO_SECRETS        # the vault's: a typed value it holds keeps its name
    new_secrets: list[Secret] = field(default_factory=list)   # to offer for the vault
    _events: list[dict[str, Any]] = field(default_factory=list)
    _context: Any = None               # the browser context the binding is exposed in
    _page: Any = None                  # the page whose navigations are watched
    _last_act: float = 0.0
    _last_url: str = ""

    @property
    def secrets(self) -> Secrets:
        """The known secrets and the ones typed so far, read live."""
        return Secrets(lambda: [*self.known.items(), *self.new_secrets])

    def prepare(self, every_document: bool = False) -> None:
        """The page can report to us (a binding in its browser context); `every_document`:
        the listener goes into every document the context loads from now on, from its first
        moment (a recording). A take-over leaves no such script behind: `ensure()` puts the
        listener into each new document it finds without one."""
        context = self.session.page.context
        if context is not self._context:
            context.expose_binding(BINDING, self._on_event)
            if every_document:
                context.add_init_script(RECORD_JS)
            self._context = context

    def listen(self) -> None:
        """Listen in the session's current page from now on (again after the session moved
        to another window); what its fields hold now is not the user's."""
        self.prepare()
        page = self.session.page
        if page is not self._page:
            page.on("framenavigated", self._on_navigation)
            self._page = page
        self._last_url = page.url
        self.ensure()
        try:
            page.evaluate("() => window.__symbioteListen && window.__symbioteListen()")
        except PlaywrightError as exc:
            log.debug("listener not switched on yet: %s", exc.message)

    def ensure(self) -> None:
        """The listener is in the current document (a navigation loads one without)."""
        page = self.session.page
        if page is not self._page:  # a new tab
            self.listen()
            return
        try:
            if not page.evaluate("() => !!window.__symbioteRecorder"):
                page.evaluate("() => {\n" + RECORD_JS + "\n}")
        except PlaywrightError as exc:  # a navigation in flight: the next poll tries again
            log.debug("listener not placed yet: %s", exc.message)

    def flush(self) -> None:
        """Send what is typed in the focused field (a field reports on change or Enter, and
        the user may hand back while still in it), and let the page's report arrive."""
        try:
            page = self.session.page
            page.evaluate("() => window.__symbioteFlush && window.__symbioteFlush()")
            page.wait_for_timeout(50)  # the binding's call is dispatched meanwhile
        except (PlaywrightError, BrowserError):
            log.debug("nothing to flush: the page is gone", exc_info=True)

    def mute(self) -> None:
        """The agent acts next: what happens in the page is not the user's."""
        try:
            self.session.page.evaluate("() => { window.__symbioteRecorderOff = true; }")
        except (PlaywrightError, BrowserError):
            log.debug("the page is gone; nothing to mute", exc_info=True)
        self._events.clear()

    def take(self) -> list[tuple[Action, Observation]]:
        """The user's actions since the last call, each with the observation it acted on."""
        events, self._events = self._events, []
        steps = []
        for event in events:
            step = self._action(event)
            if step is not None:
                steps.append(step)
        return steps

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

    def _action(self, event: dict[str, Any]) -> tuple[Action, Observation] | None:
        kind = event.get("kind")
        observation = _observation(str(event.get("from") or event.get("url") or ""),
                                   list(event.get("nodes") or []))
        action: Action
        if kind == "goto":
            action = Goto(str(event["url"]))
        elif not event.get("sid") or observation.element(str(event["sid"])) is None:
            log.debug("a %s on an element the observation does not show: not recorded", kind)
            return None
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
            return None
        return action, observation

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


def rationale(action: Action, element: Element | None) -> str:
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


# --- the user's controls of a running episode -------------------------------------------------

State = Literal["running", "paused", "user"]
POLL_MS = 150
USER_POLICY = "user"   # the policy id of the user's steps (their route is `user` too)


class Takeover:
    """Pause, take over, hand back. `pause()` holds the episode after the step in flight;
    `take_over()` also hands the browser to the user (a headless one moves to a visible
    window first) and records what they do as steps of route `user`; `resume()` gives it back
    and the agent goes on from the page as it is then. `release()` (a stop) ends a hold too."""

    def __init__(self) -> None:
        self._state: State = "running"
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.actions: UserActions | None = None   # set by the loop at the first take-over

    @property
    def state(self) -> State:
        with self._lock:
            return self._state

    def pause(self) -> None:
        self._set("paused")

    def take_over(self) -> None:
        self._set("user")

    def resume(self) -> None:
        self._set("running")

    def release(self) -> None:
        """The episode is stopping: whatever holds it lets go."""
        self._released.set()

    def _set(self, state: State) -> None:
        with self._lock:
            self._state = state
        log.info("episode control: %s", state)

    def held(self) -> bool:
        return self.state != "running" and not self._released.is_set()

    def new_secrets(self) -> list[Secret]:
        return list(self.actions.new_secrets) if self.actions is not None else []

    def user_turn(self, session: BrowserSession, known: Secrets,
                  on_state: Callable[[State], None] = lambda state: None
                  ) -> Iterator[tuple[Action, Observation]]:
        """While held: wait in the browser's thread (Playwright dispatches the page's events
        meanwhile) and yield the user's actions as they happen. Ends on `resume()` or
        `release()`, or when the user closes the window."""
        shown: State | None = None
        try:
            while self.held():
                state = self.state
                if state != shown:
                    if shown == "user":
                        yield from self._end_of_turn()
                    if state == "user":
                        self._hand_over(session, known)
                    on_state(state)
                    shown = state
                try:
                    if state == "user" and self.actions is not None:
                        self.actions.ensure()
                    session.page.wait_for_timeout(POLL_MS)
                except (PlaywrightError, BrowserError) as exc:
                    log.info("the browser went away during a hold: %s", exc)
                    self.release()
                    break
                if state == "user" and self.actions is not None:
                    yield from self.actions.take()
            if shown == "user":
                yield from self._end_of_turn()
        finally:
            on_state("running")

    def _end_of_turn(self) -> Iterator[tuple[Action, Observation]]:
        """The user hands back: what they typed last, then silence."""
        if self.actions is not None:
            self.actions.flush()
            yield from self.actions.take()
            self.actions.mute()

    def _hand_over(self, session: BrowserSession, known: Secrets) -> None:
        session.show()  # a headless browser moves to a window the user can see
        if self.actions is None:
            self.actions = UserActions(session, known)
        self.actions.listen()
