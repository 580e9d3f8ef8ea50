"""Pause, take over, hand back, on real Chromium and the practice webmail.

The agent (the practice teacher) types the user name; the user takes over and types the
password themselves into the same browser — a scripted user: a second Playwright attached to
that Chromium, in a thread of its own, acting like a person — and hands back while still in
the field. The agent goes on from the page as the user left it and signs in. The user's step
is stored with route `user`, its password as a placeholder, and the value is nowhere in the
DB. A pause holds the episode without a step of its own; a stop ends a paused episode.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core.browser.session import BrowserConfig, BrowserSession
from core.loop import EpisodeHooks, StepEvent, run_episode
from core.routing.base import SingleSeatRouter
from core.store.recorder import StoreRecorder
from core.store.service import TrajectoryStore
from core.user import Takeover
from tests.support.chromium import debuggable_chromium, type_as_user
from trainer.suites.practice.solvers import SOLVERS
from trainer.suites.practice.tasks import (
    PracticeTask,
    demo_secrets,
    load_practice_secrets,
    load_practice_tasks,
)
from trainer.suites.sites import SiteServer
from trainer.teacher import TeacherPolicy

PASSWORD = load_practice_secrets()["webmail_password"]


def _login(server: SiteServer) -> PracticeTask:
    return next(t for t in load_practice_tasks(server.base_url)
                if t.config.task_id == "webmail-login")


class _User(EpisodeHooks):
    """The person at the app: presses `press` during step `after` (as the front end would,
    from its own thread), and when the episode is held does `act` and hands back."""

    def __init__(self, takeover: Takeover, press: str, act, after: int = 0) -> None:  # type: ignore[no-untyped-def]
        self.takeover, self.press, self.act, self.after = takeover, press, act, after
        self.holds: list[str] = []
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def on_step(self, event: StepEvent) -> None:
        if event.idx == self.after and not self.holds:
            getattr(self.takeover, self.press)()

    def on_hold(self, state: str) -> None:
        self.holds.append(state)
        if state != "running":
            thread = threading.Thread(target=self._act, daemon=True)
            self.threads.append(thread)
            thread.start()

    def _act(self) -> None:
        try:
            self.act()
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.errors.append(exc)
            self.takeover.resume()


def test_the_user_takes_over_and_the_agent_goes_on(server: SiteServer, tmp_path: Path) -> None:
    task = _login(server)
    db_path = tmp_path / "symbiote.db"
    store = TrajectoryStore(db_path)
    takeover = Takeover()

    with debuggable_chromium(tmp_path / "profile") as (cdp_url, _proc):
        def type_the_password() -> None:  # the user's own hands on the same browser
            type_as_user(cdp_url, "webmail", "Password", PASSWORD)
            takeover.resume()  # still in the field: the hand-back must send what is typed

        user = _User(takeover, "take_over", type_the_password)
        with BrowserSession(BrowserConfig(cdp_url=cdp_url)) as session:
            # No secrets known: the typed password becomes a new placeholder, masked.
            result = run_episode(task, session, SingleSeatRouter(TeacherPolicy(SOLVERS)),
                                 hooks=[StoreRecorder(store), user], takeover=takeover)
            inbox = session.page.url
    assert not user.errors, user.errors
    assert user.holds == ["user", "running"]
    assert result.outcome == "success", (result.detail, result.error)
    assert inbox.endswith("/inbox.html")

    stored = store.episode(result.episode_id or -1)
    routes = [s.route for s in stored.steps]
    assert routes[:3] == ["local", "user", "local"], routes
    typed_by_user = stored.steps[1]
    assert typed_by_user.action.startswith("type [")
    [offered] = takeover.new_secrets()  # for the front end to offer for the vault
    assert offered.kind == "password" and offered.value == PASSWORD
    assert typed_by_user.action.endswith("[{{secret:" + offered.name + "}}] [0]")
    assert typed_by_user.policy_id == "user"
    # The agent went on from the page as the user left it: it did not type the password
    # again, it signed in.
    assert stored.steps[2].action.startswith("click [")
    assert not any(s.action.startswith("type") and "secret" in s.action
                   for s in stored.steps if s.route == "local")
    store.close()
    for path in tmp_path.glob("symbiote.db*"):  # the WAL too
        assert PASSWORD.encode() not in path.read_bytes(), path


def test_a_pause_holds_the_episode_and_resume_goes_on(server: SiteServer,
                                                      tmp_path: Path) -> None:
    takeover = Takeover()
    user = _User(takeover, "pause", takeover.resume)
    store = TrajectoryStore(tmp_path / "symbiote.db")
    task = _login(server)
    with BrowserSession() as session:
        result = run_episode(task, session, SingleSeatRouter(TeacherPolicy(SOLVERS)),
                             secrets=demo_secrets(), hooks=[StoreRecorder(store), user],
                             takeover=takeover)
    assert user.holds == ["paused", "running"]
    assert result.outcome == "success", result.detail
    assert "user" not in [s.route for s in store.episode(result.episode_id or -1).steps]


def test_a_stop_ends_a_paused_episode(server: SiteServer) -> None:
    takeover = Takeover()
    stopped = threading.Event()

    def stop() -> None:  # what the app's Stop does: the flag, then let go of the hold
        stopped.set()
        takeover.release()

    user = _User(takeover, "pause", stop)
    task = _login(server)
    with BrowserSession() as session:
        result = run_episode(task, session, SingleSeatRouter(TeacherPolicy(SOLVERS)),
                             secrets=demo_secrets(), hooks=[user], takeover=takeover,
                             should_stop=stopped.is_set)
    assert result.outcome == "interrupted"
    assert len(result.steps) == 1  # the step in flight when Pause was pressed, nothing after


def test_a_headless_session_moves_to_a_window_with_what_it_holds(
        server: SiteServer, display: bool) -> None:
    """Take over on a headless run: the page, its cookies and storage and the typed text go
    to a visible window."""
    if not display:
        pytest.skip("a visible window needs a display (Xvfb is not installed)")
    with BrowserSession() as session:
        session.goto(server.url("webmail/index.html"))
        session.page.evaluate("() => localStorage.setItem('kept', 'yes')")
        session.page.get_by_label("Username").fill("alex.morgan")
        url = session.page.url
        assert session.show() is True
        assert session.config.headless is False
        assert session.page.url == url
        assert session.page.get_by_label("Username").input_value() == "alex.morgan"
        assert session.page.evaluate("() => localStorage.getItem('kept')") == "yes"
        assert session.show() is False  # visible already
