"""The app's control (pytest-qt, offscreen, real Chromium): a finished episode in History is
saved as a workflow, the Workflows tab runs it with another parameter and no model; the
approval of an irreversible action is a dialog whose Decline and timeout both say no; Take over
hands the browser to the user mid-run and Resume gives it back to the agent."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.qt.control import ConfirmBroker
from app.qt.windows import MainWindow
from app.qt.worker import BrowserHost, RunContext
from app.settings import AppSettings
from core.actions import Click
from core.browser.session import BrowserConfig, BrowserSession
from core.confirm import ConfirmRequest
from core.loop import EpisodeOptions, run_episode
from core.routing.base import Router, SingleSeatRouter
from core.store.recorder import StoreRecorder
from core.store.service import TrajectoryStore
from tests.support.chromium import debuggable_chromium, type_as_user
from trainer.suites.practice.solvers import SOLVERS
from trainer.suites.practice.tasks import demo_secrets, load_practice_secrets, load_practice_tasks
from trainer.suites.sites import SiteServer
from trainer.teacher import TeacherPolicy

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="module")
def host(qapp) -> Iterator[BrowserHost]:  # type: ignore[no-untyped-def]
    browser_host = BrowserHost()
    browser_host.start()
    yield browser_host
    assert browser_host.shutdown(60000)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYMBIOTE_HOME", str(tmp_path / "home"))


def test_save_from_history_and_run_from_workflows(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                  host: BrowserHost,
                                                  server: SiteServer) -> None:
    db = tmp_path / "episodes.db"
    store = TrajectoryStore(db)
    task = next(t for t in load_practice_tasks(server.base_url)
                if t.config.task_id == "shop-add-socks")
    with BrowserSession() as session:  # the episode the user would have run before
        taught = run_episode(task, session, SingleSeatRouter(TeacherPolicy(SOLVERS)),
                             secrets=demo_secrets(), hooks=[StoreRecorder(store)],
                             options=EpisodeOptions(source="teacher"))
    assert taught.outcome == "success"
    built: list[str] = []

    def factory(ctx: RunContext) -> Router:
        built.append(ctx.spec.intent)
        raise AssertionError("a replay built the agent")

    window = MainWindow(store_path=db, settings=AppSettings(),
                        settings_file=tmp_path / "settings.json", router_factory=factory,
                        browser_host=host)
    window.show()
    qtbot.waitExposed(window)
    try:
        history = window.history
        window.tabs.setCurrentWidget(history)
        history.select_ids([taught.episode_id])
        assert history.save_as_workflow("socks") is not None
        flows = window.workflows
        assert [w.name for w in flows.workflows] == ["socks"]
        assert set(flows.fields) == {"quantity"}  # the typed quantity came from the task
        flows.fields["quantity"].setText("3")
        with qtbot.waitSignal(window.run_finished, timeout=90000) as replayed:
            flows.run_button.click()
        result = replayed.args[0]
        assert result.outcome == "success", result.detail
        assert built == []  # no agent was built: no model
        episode = store.episode(result.episode_id)
        assert episode.source == "workflow" and episode.steps[1].action.endswith("[3] [0]")
    finally:
        store.close()
        window.quit_now()
        window.deleteLater()
        qtbot.wait(10)


def _ask(broker: ConfirmBroker) -> dict[str, bool]:
    answer: dict[str, bool] = {}
    request = ConfirmRequest(step=3, action=Click("7"), described="click 'Place order' [7]",
                             reason="it places an order", url="http://localhost:1/shop/",
                             fields=(("Card number", "••••"),))
    threading.Thread(target=lambda: answer.update(allowed=broker(request))).start()
    return answer


def test_confirm_dialog_decline_allow_and_timeout(qtbot) -> None:  # type: ignore[no-untyped-def]
    broker = ConfirmBroker(timeout_s=30)
    for button, expected in (("decline_button", False), ("allow_button", True)):
        answer = _ask(broker)
        qtbot.waitUntil(lambda: broker.dialog is not None and broker.dialog.isVisible(),
                        timeout=5000)
        assert "Place order" in broker.dialog.findChildren(type(broker.dialog.countdown))[0] \
            .text()
        getattr(broker.dialog, button).click()
        qtbot.waitUntil(lambda a=answer: "allowed" in a, timeout=5000)
        assert answer["allowed"] is expected
    broker.timeout_s = 0.5
    answer = _ask(broker)
    qtbot.waitUntil(lambda: "allowed" in answer, timeout=5000)
    assert answer["allowed"] is False


class _Thinking(TeacherPolicy):
    """The teacher, taking a second per step as the on-device model does: time for the user
    to press Take over while step 1 is decided."""

    def propose(self, context, k=1):  # type: ignore[no-untyped-def]
        time.sleep(1.0)
        return super().propose(context, k)


def test_take_over_then_resume_in_the_app(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The agent types the user name; the user presses Take over, types the password in the
    browser themselves (a scripted user attached to the same Chromium) and presses Resume; the
    agent signs in from there. The step list and History show the user's step as theirs."""
    password = load_practice_secrets()["webmail_password"]
    db = tmp_path / "episodes.db"
    with debuggable_chromium(tmp_path / "profile") as (cdp_url, _proc):
        host = BrowserHost(BrowserConfig(cdp_url=cdp_url), keep_spare=False)
        window = MainWindow(store_path=db, settings=AppSettings(),
                            settings_file=tmp_path / "settings.json",
                            router_factory=lambda ctx: SingleSeatRouter(_Thinking(SOLVERS)),
                            browser_host=host)
        window.show()
        qtbot.waitExposed(window)
        panel = window.run_panel
        try:
            panel.practice_combo.setCurrentIndex(panel.practice_combo.findData(
                "practice/webmail-login"))
            assert not panel.takeover_button.isEnabled()  # nothing runs yet
            panel.run_button.click()
            qtbot.waitUntil(lambda: "Thinking… step 1" in panel.activity.text(), timeout=30000)
            assert panel.takeover_button.isEnabled()
            panel.takeover_button.click()  # during step 1: it takes effect after it
            qtbot.waitUntil(lambda: "The browser is yours" in panel.activity.text(),
                            timeout=30000)
            assert panel.steps.topLevelItemCount() == 1
            assert panel.pause_button.text() == "R&esume" and panel.pause_button.isEnabled()
            assert not panel.takeover_button.isEnabled()
            done = threading.Event()

            def user() -> None:
                type_as_user(cdp_url, "webmail", "Password", password)
                done.set()

            threading.Thread(target=user, daemon=True).start()
            qtbot.waitUntil(done.is_set, timeout=30000)
            with qtbot.waitSignal(window.run_finished, timeout=60000) as finished:
                panel.pause_button.click()  # it says Resume now
            result = finished.args[0]
            assert result.outcome == "success", (result.detail, result.error)
            routes = [panel.steps.topLevelItem(i).text(1)
                      for i in range(panel.steps.topLevelItemCount())]
            assert routes[1] == "you", routes
            assert "secret" in panel.steps.topLevelItem(1).text(2)
            stored = TrajectoryStore(db)
            try:
                assert [s.route for s in stored.episode(result.episode_id).steps][:3] == [
                    "local", "user", "local"]
            finally:
                stored.close()
        finally:
            window.quit_now()
            window.deleteLater()
            qtbot.wait(10)
            assert host.shutdown(30000)
    for path in tmp_path.glob("episodes.db*"):
        assert password.encode() not in path.read_bytes(), path
