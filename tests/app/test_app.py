"""The desktop app, driven through its real window (pytest-qt, offscreen): practice tasks run in
real Chromium on a scripted policy and the fake cloud, approvals go both ways, history replays
(with what was sent) and exports. Screenshots of the windows land in test-artifacts/ for a human
to look at.

One BrowserHost (the app's Playwright thread, which keeps a Chromium waiting) serves every
window of this module, so there is one Chromium at a time.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QWidget,
)

import app.qt.history as history_module
from app.qt.dialogs import ApprovalBroker
from app.qt.explain import human_error, local_time, task_name
from app.qt.theme import contrast, dark_palette, follow_system
from app.qt.windows import MainWindow
from app.qt.worker import BrowserHost, RunContext
from app.settings import AppSettings, SettingsError, load_settings, save_settings
from core.policies.cloud import KEYRING_API_KEY, KEYRING_SERVICE, CloudPolicy, CloudSettings
from core.privacy.boundary import Boundary
from core.privacy.detector import PrivacyDetector
from core.privacy.vault import SecretVault
from core.routing.base import Router, SingleSeatRouter
from core.routing.privacy import ApprovalRequest, PrivacyRouter
from core.store.export import read_jsonl
from core.store.service import TrajectoryStore
from tests.support.anthropic_server import FakeAnthropic
from tests.support.scripted import ScriptedPolicy, element_id

# Read when pytest-qt creates the QApplication (first qtbot), not at import: no display needed.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
BACKPACK = re.compile(r"\[(\w+)\] link 'Canvas Day Backpack'")
IBAN = re.compile(r"IBAN: ([A-Z]{2}\d{2}[A-Z0-9 ]+\d)")
LEFT = Qt.MouseButton.LeftButton


def grab(qtbot, widget, name: str) -> Path:  # type: ignore[no-untyped-def]
    qtbot.wait(150)  # let pending layouts and paints run, as they would for a user
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    assert widget.grab().save(str(path)), f"could not save {path}"
    return path


@pytest.fixture(scope="module")
def host(qapp) -> Iterator[BrowserHost]:  # type: ignore[no-untyped-def]
    browser_host = BrowserHost()
    browser_host.start()
    yield browser_host
    assert browser_host.shutdown(15000)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A private data dir and keyring: tests never touch the user's."""
    monkeypatch.setenv("SYMBIOTE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    ring = PlaintextKeyring()
    ring.file_path = str(tmp_path / "keyring.cfg")  # type: ignore[misc]
    previous = keyring.get_keyring()
    keyring.set_keyring(ring)
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    def click_backpack(body: dict[str, object]) -> str:
        text = json.dumps(body)
        match = BACKPACK.search(text.replace("\\'", "'"))
        assert match, "the payload holds no backpack link"
        return f"REASON: The backpack link opens its page.\nACTION: click [{match.group(1)}]"

    with FakeAnthropic(responder=click_backpack) as server:
        yield server


def store_test_key() -> None:
    """As the user does in Settings: the cloud seat reads it from the keyring."""
    keyring.set_password(KEYRING_SERVICE, KEYRING_API_KEY, "test-key")


_OPEN: list[MainWindow] = []


@pytest.fixture(autouse=True)
def finish_runs(qtbot) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """A test that fails mid-run leaves no run behind (and no question on closing): pytest-qt
    closes the widgets it knows before any fixture's teardown, so windows are not given to it."""
    yield
    while _OPEN:
        window = _OPEN.pop()
        if window.is_running():
            window.stop_run()
            qtbot.waitUntil(lambda w=window: not w.is_running(), timeout=30000)
            qtbot.wait(50)
        window.quit_now()
        window.deleteLater()
    qtbot.wait(10)


def make_window(qtbot, tmp_path: Path, factory, host: BrowserHost,  # type: ignore[no-untyped-def]
                vault=None, settings: AppSettings | None = None) -> MainWindow:
    window = MainWindow(store_path=tmp_path / "episodes.db", settings=settings or AppSettings(),
                        settings_file=tmp_path / "settings.json", router_factory=factory,
                        vault=vault, browser_host=host)
    _OPEN.append(window)  # closed by finish_runs, after its run (not qtbot: it closes first)
    window.show()
    qtbot.waitExposed(window)
    return window


def choose_practice(window: MainWindow, task_id: str, mode: str) -> None:
    panel = window.run_panel
    panel.practice_combo.setCurrentIndex(panel.practice_combo.findData(task_id))
    panel.mode_combo.setCurrentText(mode)


def next_dialog(qtbot, window: MainWindow, previous: object = None):  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: window.broker.dialog is not None
                    and window.broker.dialog is not previous
                    and window.broker.dialog.isVisible(), timeout=30000)
    return window.broker.dialog


def slow(seconds: float, action):  # type: ignore[no-untyped-def]
    """A script entry that thinks for `seconds`, as the on-device model does."""
    def entry(ctx) -> str:  # type: ignore[no-untyped-def]
        time.sleep(seconds)
        return action(ctx) if callable(action) else action
    return entry


def click(role: str, name: str):  # type: ignore[no-untyped-def]
    return lambda ctx: f"click [{element_id(ctx, role, name)}]"


def local(script: list) -> object:  # type: ignore[type-arg]
    return lambda ctx: SingleSeatRouter(ScriptedPolicy(script))


def png_image(data: bytes) -> QImage:
    image = QImage()
    assert image.loadFromData(data, "PNG")
    return image.convertToFormat(QImage.Format.Format_RGB32)


# --- 1. feedback while it runs ------------------------------------------------------------------

def test_run_shows_the_start_page_at_once_then_a_running_line(qtbot, tmp_path: Path,
                                                               host: BrowserHost) -> None:
    window = make_window(qtbot, tmp_path, local([
        slow(3.0, click("link", "Canvas Day Backpack")), "stop [done]"]), host)
    choose_practice(window, "practice/shop-open-product", "local")
    panel = window.run_panel
    # as when a user picks a task: the app's spare Chromium has started meanwhile
    qtbot.waitUntil(lambda: host.spare_waiting, timeout=30000)
    clicked = time.perf_counter()
    qtbot.mouseClick(panel.run_button, LEFT)
    # the start page is on screen long before the first (3 s) decision is made
    qtbot.waitUntil(panel.live.has_page, timeout=2500)
    assert time.perf_counter() - clicked < 2.5
    assert panel.steps.topLevelItemCount() == 0
    assert panel.page_label.text().startswith("Start page: http://localhost:")
    qtbot.waitUntil(lambda: "Thinking… step 1/5" in panel.activity.text(), timeout=3000)
    assert panel.activity.isVisible() and panel.activity.busy()
    assert panel.activity.bar.maximum() == 0  # Qt's busy indicator
    first = panel.activity.text()
    qtbot.waitUntil(lambda: panel.activity.text() != first, timeout=2000)  # the seconds count
    assert re.fullmatch(r"Thinking… step 1/5, \d+ s", panel.activity.text())
    grab(qtbot, window, "run_in_progress.png")
    # steps stream in as they are decided
    with qtbot.waitSignal(window.run_finished, timeout=30000) as finished:
        pass
    assert finished.args[0].outcome == "success"
    assert panel.steps.topLevelItemCount() == 2 and not panel.activity.busy()


# --- 2. a failed run reads as sentences ---------------------------------------------------------

def test_a_failed_run_says_what_went_wrong_in_words(qtbot, tmp_path: Path,
                                                     host: BrowserHost) -> None:
    def type_into_link(ctx) -> str:  # type: ignore[no-untyped-def]
        return f"type [{element_id(ctx, 'link', 'LED Headlamp 300 lm')}] [hello]"

    window = make_window(qtbot, tmp_path, local([type_into_link, "stop [$99.00]"]), host)
    choose_practice(window, "practice/shop-headlamp-price", "local")
    with qtbot.waitSignal(window.run_finished, timeout=30000) as finished:
        qtbot.mouseClick(window.run_panel.run_button, LEFT)
    result = finished.args[0]
    assert result.outcome == "failure"
    assert "Locator.fill" in result.steps[0].error  # the engine's raw message…
    panel = window.run_panel
    step1 = panel.steps.topLevelItem(0)
    action = step1.text(2)
    # …is shown as the action with its element and one sentence
    assert action.startswith("type 'LED Headlamp 300 lm' ["), action
    assert "not a text field" in action and "Locator" not in action and "Error:" not in action
    assert "Locator.fill" in step1.toolTip(2)  # the raw text stays available
    qtbot.wait(50)  # the rows are measured again once the columns have their widths
    lines = panel.steps.fontMetrics().lineSpacing()
    assert panel.steps.visualItemRect(step1).height() >= 3 * lines  # nothing is cut off
    # the columns share the width: none is pushed out of view
    header = panel.steps.header()
    assert header.length() <= panel.steps.viewport().width() + 1
    for col in range(6):
        assert not panel.steps.isColumnHidden(col)
        assert header.sectionViewportPosition(col) < panel.steps.viewport().width()
    # the result card says how it ended and why
    card = panel.result_card
    assert card.isVisible()
    assert card.headline.text().startswith("Failed after 2 steps")
    assert "Answer: $99.00" in card.body.text()
    assert "Why: The checker says: answer '$99.00' does not match '32.00'." in card.body.text()
    assert "failed after 2 steps" in panel.status.text()
    grab(qtbot, window, "failed_run.png")


def test_engine_errors_become_sentences() -> None:
    assert human_error("type failed: Locator.fill: Error: Element is not an <input>, "
                       "<textarea>, <select> or [contenteditable]") == (
        "That element is not a text field, so nothing could be typed into it.")
    assert "hidden or disabled" in human_error(
        "click [4] timed out: the element is not visible or not enabled")
    assert human_error("click [4] timed out: the element is covered by [12] (a dialog)") == (
        "Something on the page ([12], often a dialog or a cookie banner) was in front of the "
        "element, so it could not be used.")
    assert "no longer on the page" in human_error(
        "click failed: element [9999] is no longer on the page")
    assert human_error("a request to http://evil.example:80 was refused: outside the task's "
                       "allowed origins") == ("Blocked: the page tried to reach "
                                              "http://evil.example:80, which is outside the "
                                              "sites this task may use.")
    assert human_error("refused to type secret 'bank' into [3]: the field is not a password "
                       "field") == ("The secret 'bank' was not typed here: the field is not a "
                                    "password field.")
    assert "too long" in human_error("goto timed out: the page did not load")
    assert human_error("select failed: Locator.select_option: Error: Element is not a <select> "
                       "element").startswith("That element is not a drop-down list")
    assert human_error("") == ""


# --- 3 and 4. the live view shows the newest page, labelled with its own URL ---------------------

def test_stop_keeps_the_latest_step_and_labels_match_the_pictures(qtbot, tmp_path: Path,
                                                                   host: BrowserHost) -> None:
    thinking = threading.Event()  # set when the fourth decision starts

    def fourth(ctx) -> str:  # type: ignore[no-untyped-def]
        thinking.set()
        return slow(2.0, "scroll [down]")(ctx)

    window = make_window(qtbot, tmp_path, local([
        click("link", "Canvas Day Backpack"), click("button", "Add to cart"),
        click("button", "Add to cart"), fourth, "scroll [down]"]), host)
    choose_practice(window, "practice/shop-add-socks", "local")
    panel = window.run_panel
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    qtbot.mouseClick(panel.run_button, LEFT)
    qtbot.waitUntil(lambda: panel.steps.topLevelItemCount() == 3, timeout=30000)
    # Stop is pressed while the fourth step is being decided (on a loaded machine the third
    # step's row can show before the worker starts deciding the fourth, and a Stop then ends
    # the run after three): the step being decided is finished and kept, then the run ends
    qtbot.waitUntil(thinking.is_set, timeout=30000)
    # After step 1 the picture is the product page and so is the label (the page after it)
    first = panel.steps.topLevelItem(0)
    with qtbot.waitSignal(window.run_finished, timeout=30000) as finished:
        qtbot.mouseClick(panel.stop_button, LEFT)  # Stop takes the focus, then is disabled
    result = finished.args[0]
    assert result.outcome == "interrupted"
    last = len(result.steps)
    assert last == 4
    qtbot.wait(200)
    # the view stays on the newest step: the cart with its items, not step 1
    assert panel.shown_step() == last - 1
    assert panel.page_label.text() == f"After step {last}: {result.steps[-1].url_after}"
    assert panel.live.page_image() == png_image(result.steps[-1].screenshot)
    assert "Cart (2)" in result.steps[-1].observation.text()
    # choosing step 1 shows its own picture with the page it left the browser on
    panel.steps.setCurrentItem(first)
    assert "product.html" in result.steps[0].url_after
    assert panel.page_label.text() == f"After step 1: {result.steps[0].url_after}"
    assert panel.live.page_image() == png_image(result.steps[0].screenshot)

    window.tabs.setCurrentWidget(window.history)
    window.history.select_ids([result.episode_id])
    replay = window.history.open_selected()
    assert replay is not None
    details = " ".join(replay.details.toPlainText().split())
    assert f"Page after {result.steps[0].url_after}" in details
    assert "Action click 'Canvas Day Backpack' [" in details
    replay.close()


# --- 5. the cloud without a key, and a cloud that fails ------------------------------------------

def test_cloud_mode_without_a_key_shows_a_banner_and_asks_nothing(
        qtbot, tmp_path: Path, host: BrowserHost, detector: PrivacyDetector) -> None:
    def factory(ctx: RunContext) -> Router:
        return PrivacyRouter(local=ScriptedPolicy(["stop [local]"]), large=CloudPolicy(),
                             boundary=Boundary(detector, "hybrid-redact"), approval="always",
                             approver=ctx.approver)

    window = make_window(qtbot, tmp_path, factory, host)
    banner = window.run_panel.cloud_banner
    choose_practice(window, "practice/shop-open-product", "local")
    assert not banner.isVisible()
    window.run_panel.mode_combo.setCurrentText("hybrid-redact")
    assert banner.isVisible()
    assert "no Anthropic API key" in banner.text() and "href='settings'" in banner.text()
    started: list[bool] = []
    window.run_started.connect(lambda: started.append(True))
    qtbot.mouseClick(window.run_panel.run_button, LEFT)
    assert started == [] and window.broker.dialog is None  # nothing to approve: not sent
    assert "Not started" in window.run_panel.status.text()
    grab(qtbot, window, "no_key_banner.png")
    banner.linkActivated.emit("settings")
    assert window.tabs.currentWidget() is window.settings_panel
    # a key stored in Settings: the banner goes
    window.settings_panel.key_edit.setText("sk-ant-test")
    window.settings_panel.store_api_key()
    window.tabs.setCurrentWidget(window.run_panel)
    assert not banner.isVisible()
    keyring.delete_password(KEYRING_SERVICE, KEYRING_API_KEY)
    window.update_cloud_banner()
    with qtbot.waitSignal(window.run_finished, timeout=30000) as finished:
        banner.linkActivated.emit("local")  # "Run on this device instead"
    assert window.run_panel.mode_combo.currentText() == "local"
    assert finished.args[0] is not None and started == [True]


def test_a_cloud_failure_is_marked_as_decided_on_this_device(
        qtbot, tmp_path: Path, host: BrowserHost, detector: PrivacyDetector) -> None:
    store_test_key()
    with FakeAnthropic(status=500) as server:
        def factory(ctx: RunContext) -> Router:
            return PrivacyRouter(
                local=ScriptedPolicy(["stop [decided here]"]),
                large=CloudPolicy(CloudSettings(base_url=server.url, max_retries=0),
                                  audit=ctx.store),
                boundary=Boundary(detector, "hybrid"), approval="never",
                approver=ctx.approver)

        window = make_window(qtbot, tmp_path, factory, host)
        choose_practice(window, "practice/shop-open-product", "hybrid")
        assert not window.run_panel.cloud_banner.isVisible()
        with qtbot.waitSignal(window.run_finished, timeout=30000):
            qtbot.mouseClick(window.run_panel.run_button, LEFT)
        assert len(server.requests) == 1
    step = window.run_panel.steps.topLevelItem(0)
    assert step.text(1) == "on-device\n(cloud failed)"
    assert step.toolTip(1).startswith("cloud failed → decided on this device.")
    assert "(500)" in step.toolTip(1)


# --- approvals, and 10. history shows what left the device ---------------------------------------

def test_approve_goes_to_the_cloud_deny_stays_local_and_history_shows_it(
        qtbot, tmp_path: Path, host: BrowserHost, fake: FakeAnthropic,
        detector: PrivacyDetector) -> None:
    store_test_key()

    def factory(ctx: RunContext) -> Router:
        return PrivacyRouter(
            local=ScriptedPolicy(["stop [unused]", "stop [opened the backpack page]"]),
            large=CloudPolicy(CloudSettings(base_url=fake.url, max_retries=0),
                              audit=ctx.store),
            boundary=Boundary(detector, "hybrid"), approval="always", approver=ctx.approver)

    window = make_window(qtbot, tmp_path, factory, host)
    choose_practice(window, "practice/shop-open-product", "hybrid")
    assert "Canvas Day Backpack" in window.run_panel.task_edit.toPlainText()
    qtbot.mouseClick(window.run_panel.run_button, LEFT)
    assert not window.run_panel.run_button.isEnabled()

    first = next_dialog(qtbot, window)
    assert "Canvas Day Backpack" in first.readable.toPlainText()
    assert "Nothing was redacted" in first.redactions_label.text()
    assert "Practice: Open the product page" in first.findChild(QLabel).text()
    assert "Waiting for your answer" in window.run_panel.activity.text()
    grab(qtbot, first, "approval_dialog.png")
    assert fake.requests == []  # nothing leaves before the user says yes
    qtbot.mouseClick(first.approve_button, LEFT)

    qtbot.waitUntil(lambda: window.run_panel.steps.topLevelItemCount() == 1, timeout=30000)
    step1 = window.run_panel.steps.topLevelItem(0)
    assert step1.text(1) == "cloud" and step1.text(2).startswith("click 'Canvas Day Backpack' [")
    assert len(fake.requests) == 1
    assert fake.requests[0].headers.get("X-Api-Key") == "test-key" or \
        fake.requests[0].headers.get("Authorization") == "Bearer test-key"
    assert "Canvas Day Backpack" in fake.all_payload_text()

    second = next_dialog(qtbot, window, previous=first)
    with qtbot.waitSignal(window.run_finished, timeout=30000) as finished:
        qtbot.mouseClick(second.deny_button, LEFT)
    result = finished.args[0]
    assert result is not None and result.outcome == "success", result
    assert len(fake.requests) == 1  # denied: no second request
    step2 = window.run_panel.steps.topLevelItem(1)
    assert step2.text(1) == "on-device\n(denied)"
    assert step2.text(2) == "stop [opened the backpack page]"
    assert "denied" in step2.toolTip(1)
    assert window.run_panel.live.has_page()
    assert window.run_panel.result_card.headline.text().startswith("Succeeded after 2 steps")
    assert window.run_panel.run_button.isEnabled()
    grab(qtbot, window, "main_window.png")

    store = TrajectoryStore(tmp_path / "episodes.db")
    episode = store.episode(result.episode_id)
    assert [s.route for s in episode.steps] == ["cloud", "local"]
    assert sorted(store.screenshots(result.episode_id)) == [0, 1]
    [audited] = store.cloud_requests(result.episode_id)

    # History: the episode says what it sent, the replay shows it beside its step
    history = window.history
    window.tabs.setCurrentWidget(history)
    tokens = int(audited["input_tokens"]) + int(audited["output_tokens"])
    assert tokens > 0
    from core.pricing import Prices, dollars

    cost = dollars(Prices.load().cost(str(audited["model"]), int(audited["input_tokens"]),
                                      int(audited["output_tokens"])))
    assert cost.startswith("$")  # the model has a price (resources/prices.json)
    assert history.table.item(0, 7).text() == f"1 request, {tokens:,} tokens, {cost}"
    history.select_ids([result.episode_id])
    grab(qtbot, window, "history_cloud.png")
    replay = history.open_selected()
    assert replay is not None
    qtbot.waitExposed(replay)
    assert "sent to the cloud" in replay.step_list.item(0).text()
    assert "sent to the cloud" not in replay.step_list.item(1).text()
    replay.info.setCurrentWidget(replay.cloud)
    sent = replay.cloud.toPlainText()
    assert "Canvas Day Backpack" in sent  # the payload, as `symbiote audit` shows it
    assert f"{audited['input_tokens']} input / {audited['output_tokens']} output tokens" in sent
    assert cost in sent
    assert "sent and answered" in sent and "The backpack link opens its page" in sent
    assert replay.info.tabText(1) == "Sent to the cloud (1)"
    grab(qtbot, replay, "replay_cloud_step.png")
    replay.step_list.setCurrentRow(1)
    assert "Nothing left this device" in replay.cloud.toPlainText()
    replay.close()


def test_stop_during_an_approval_denies_it_and_ends_the_run(
        qtbot, tmp_path: Path, host: BrowserHost, fake: FakeAnthropic,
        detector: PrivacyDetector) -> None:
    store_test_key()

    def factory(ctx: RunContext) -> Router:
        return PrivacyRouter(
            local=ScriptedPolicy(["scroll [down]"]),
            large=CloudPolicy(CloudSettings(base_url=fake.url, max_retries=0)),
            boundary=Boundary(detector, "hybrid"), approval="always", approver=ctx.approver)

    window = make_window(qtbot, tmp_path, factory, host)
    choose_practice(window, "practice/shop-open-product", "hybrid")
    window.start_run()
    next_dialog(qtbot, window)
    with qtbot.waitSignal(window.run_finished, timeout=30000) as finished:
        qtbot.keyClick(window, Qt.Key.Key_Escape)  # Esc: the dialog's Deny, then Stop
        qtbot.mouseClick(window.run_panel.stop_button, LEFT)
    result = finished.args[0]
    assert result.outcome == "interrupted" and len(result.steps) == 1
    assert result.steps[0].decision.route == "local"
    assert fake.requests == [] and window.broker.dialog is None
    assert window.run_panel.result_card.headline.text().startswith("Stopped after 1 step")


# --- 7. history, replay, export off the GUI thread, delete ---------------------------------------

def test_history_replay_export_delete(qtbot, tmp_path: Path, host: BrowserHost,
                                      detector: PrivacyDetector,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def read_iban(ctx) -> str:  # type: ignore[no-untyped-def]
        match = IBAN.search(ctx.observation.text())
        assert match, ctx.observation.text()
        return f"stop [{match.group(1)}]"

    window = make_window(qtbot, tmp_path, local([read_iban]), host)
    choose_practice(window, "practice/account-iban", "local")
    with qtbot.waitSignal(window.run_finished, timeout=30000) as finished:
        window.start_run()
    result = finished.args[0]
    assert result.outcome == "success", result
    iban = result.answer

    history = window.history
    window.tabs.setCurrentWidget(history)
    assert history.table.rowCount() == 1
    assert history.table.item(0, 5).text() == "succeeded"
    assert history.table.item(0, 2).text() == "Practice: Which IBAN is saved on my account?"
    assert history.table.item(0, 7).text() == "nothing"
    assert history.site_filter.findData("account") >= 0
    history.task_filter.setText("no such task")
    assert history.table.rowCount() == 0
    history.task_filter.setText("iban")
    assert history.table.rowCount() == 1
    history.outcome_filter.setCurrentIndex(history.outcome_filter.findData("failure"))
    assert history.table.rowCount() == 0
    history.outcome_filter.setCurrentIndex(0)
    history.select_ids([result.episode_id])
    grab(qtbot, window, "history.png")

    replay = history.open_selected()
    assert replay is not None
    qtbot.waitExposed(replay)
    assert replay.step_list.count() == 1
    assert replay.view.has_page()
    assert "on-device" in replay.details.toPlainText()
    assert "Sent to the cloud nothing" in " ".join(replay.details.toPlainText().split())
    grab(qtbot, replay, "replay.png")
    replay.close()

    # Export: on a thread of its own, with progress and the first lines as written
    redacted, plain = tmp_path / "redacted.jsonl", tmp_path / "plain.jsonl"
    assert history.redact_check.isChecked()  # redacted unless the user says otherwise
    done: list[int] = []
    history.exported.connect(lambda _path, count: done.append(count))
    ticks: list[float] = []
    timer_id = window.startTimer(20)
    monkeypatch.setattr(window, "timerEvent", lambda _e: ticks.append(time.perf_counter()))
    # The job waits (on its own thread) until the window has ticked twice, so the check below
    # holds however fast the export is; had the export blocked the GUI thread, nothing would
    # tick while it waits, and it gives up after 20 s with too few ticks.
    real_redactor = history_module.export_redactor

    def after_two_ticks(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + 20
        while len(ticks) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        return real_redactor(*args, **kwargs)

    monkeypatch.setattr(history_module, "export_redactor", after_two_ticks)
    job = history.export(redacted, history.selected_ids())
    assert job is not None and done == []  # it returned before the file was written
    assert history.export_box.isVisible() and history.export_progress.isVisible()
    qtbot.waitUntil(lambda: done == [1], timeout=60000)
    window.killTimer(timer_id)
    assert len(ticks) >= 2  # the window kept running its event loop meanwhile
    text = redacted.read_text(encoding="utf-8")
    assert iban not in text and re.search(r"<IBAN_[0-9A-Z]{4}>", text)
    preview = history.export_preview.toPlainText()
    assert history.export_preview.isVisible() and preview.startswith("Task: Which IBAN")
    assert re.search(r"<IBAN_[0-9A-Z]{4}>", preview) and iban not in preview
    assert history.export_progress.value() == history.export_progress.maximum()
    grab(qtbot, window, "history_export.png")
    [exported] = read_jsonl(redacted)
    assert exported.episode.id == result.episode_id
    assert [m.role for m in exported.messages] == ["system", "user", "assistant"]
    history.redact_check.setChecked(False)
    with qtbot.waitSignal(history.exported, timeout=30000):
        history.export(plain, history.selected_ids())
    assert iban in plain.read_text(encoding="utf-8")

    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    history.delete_selected()
    assert history.table.rowCount() == 0
    assert TrajectoryStore(tmp_path / "episodes.db").episode_ids() == []


# --- approvals on their own ----------------------------------------------------------------------

def _request(url: str = "http://localhost:1234/shop/") -> ApprovalRequest:
    payload = {"model": "m", "max_tokens": 5,
               "messages": [{"role": "user", "content": "Mail <EMAIL_7QX2> about it"}]}
    return ApprovalRequest(payload, ("<EMAIL_7QX2>",), "adhoc", 0, url)


def _ask_in_thread(broker: ApprovalBroker, request: ApprovalRequest) -> dict[str, bool]:
    answer: dict[str, bool] = {}
    threading.Thread(target=lambda: answer.setdefault("ok", broker(request)),
                     daemon=True).start()
    return answer


def test_approval_timeout_denies_and_always_remembers_the_site(qtbot) -> None:
    remembered: list[str] = []
    broker = ApprovalBroker(timeout_s=0.5, on_always=remembered.append)
    answer = _ask_in_thread(broker, _request())
    qtbot.waitUntil(lambda: "ok" in answer, timeout=5000)
    assert answer["ok"] is False  # nobody answered: Deny
    qtbot.waitUntil(lambda: broker.dialog is None, timeout=5000)

    broker.timeout_s = 30
    answer = _ask_in_thread(broker, _request())
    qtbot.waitUntil(lambda: broker.dialog is not None, timeout=5000)
    dialog = broker.dialog
    assert "<EMAIL_7QX2>" in dialog.redactions_label.text()
    # the episode's random placeholder is highlighted, in the palette's selection colours
    highlight = QGuiApplication.palette().highlight().color().name()
    assert f"background-color:{highlight}" in dialog.readable.toHtml().replace(" ", "") or \
        "background-color" in dialog.readable.toHtml()
    assert "your task" in dialog.findChild(QLabel).text()  # not "adhoc"
    grab(qtbot, dialog, "approval_dialog_redacted.png")
    dialog.always_button.click()
    qtbot.waitUntil(lambda: "ok" in answer, timeout=5000)
    assert answer["ok"] is True and remembered == ["localhost"]
    # the same site again: approved without asking
    answer = _ask_in_thread(broker, _request("http://localhost:999/webmail/"))
    qtbot.waitUntil(lambda: "ok" in answer, timeout=5000)
    assert answer["ok"] is True and broker.dialog is None


# --- 6. settings say where secrets really are ----------------------------------------------------

def test_settings_keyring_vault_and_file(qtbot, tmp_path: Path, host: BrowserHost) -> None:
    vault = SecretVault("plaintext", data_dir=tmp_path / "vault")
    window = make_window(qtbot, tmp_path, lambda ctx: None, host, vault=vault)
    panel = window.settings_panel
    window.tabs.setCurrentWidget(panel)
    ring_file = str(tmp_path / "keyring.cfg")
    assert "UNENCRYPTED file" in panel.key_status.text()  # where a key would go
    panel.key_edit.setText("sk-ant-test-123")
    panel.store_api_key()
    assert keyring.get_password(KEYRING_SERVICE, KEYRING_API_KEY) == "sk-ant-test-123"
    assert panel.key_edit.text() == ""
    status = panel.key_status.text()
    # the truth: keyrings.alt's plaintext file, not "the system keyring"
    assert status.startswith("A key is stored in an UNENCRYPTED file")
    assert ring_file in status and "PlaintextKeyring" in status and "base64" in status
    assert "system keyring" not in status + panel.key_edit.placeholderText()

    panel.url_edit.setText("not a url")
    assert not panel.save()
    assert "cloud_base_url" in panel.status.text()
    panel.url_edit.setText("http://127.0.0.1:9/")
    panel.approval_combo.setCurrentText("redacted")
    panel.domains_edit.setPlainText("Example.com\nshop.example\n")
    assert panel.save(), panel.status.text()
    grab(qtbot, window, "settings.png")
    saved = load_settings(tmp_path / "settings.json")
    assert saved.cloud_base_url == "http://127.0.0.1:9/" and saved.approval == "redacted"
    assert saved.allowed_domains == ["example.com", "shop.example"]
    assert window.settings == saved  # the next run uses them
    assert "sk-ant" not in (tmp_path / "settings.json").read_text()

    panel.remove_api_key()
    assert keyring.get_password(KEYRING_SERVICE, KEYRING_API_KEY) is None
    assert panel.key_status.text().startswith("No key stored")

    panel.secret_name.setText("bank_password")
    panel.secret_value.setText("Hunter-22-Secret")
    panel.add_secret()
    assert vault.get("bank_password") == "Hunter-22-Secret"
    assert panel.secret_value.text() == ""  # never left on screen
    assert vault.describe() in panel.vault_status.text()
    assert str(tmp_path / "vault" / "vault_plaintext.cfg") in panel.vault_status.text()
    shown = [panel.vault_list.item(i).text() for i in range(panel.vault_list.count())]
    assert shown == ["bank_password"]
    panel.secret_name.setText("bad name!")
    panel.secret_value.setText("x")
    panel.add_secret()
    assert "not stored" in panel.vault_status.text() and vault.names() == ["bank_password"]
    panel.vault_list.item(0).setSelected(True)
    panel.remove_secret()
    assert vault.names() == [] and panel.vault_list.count() == 0


def test_corrupt_settings_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    assert load_settings(path) == AppSettings()
    save_settings(AppSettings(mode="hybrid"), path)
    assert load_settings(path).mode == "hybrid"
    path.write_text('{"mode": "turbo"}')
    with pytest.raises(SettingsError, match="settings.json is not valid.*mode.*delete it"):
        load_settings(path)
    path.write_text("{not json")
    with pytest.raises(SettingsError, match="not valid"):
        load_settings(path)


# --- 8. theme, font size, width ------------------------------------------------------------------

def _text_contrast(image: QImage) -> float:
    """The contrast between a rendered label's background (its corner) and its text (the
    pixel farthest from it)."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    background = QColor(image.pixel(0, 0))
    best = 1.0
    for y in range(image.height()):
        for x in range(0, image.width(), 2):
            best = max(best, contrast(background, QColor(image.pixel(x, y))))
    return best


def test_a_dark_palette_gives_a_readable_dark_window(qtbot, tmp_path: Path,
                                                     host: BrowserHost) -> None:
    app = QApplication.instance()
    previous = app.palette()
    follow_system(app, Qt.ColorScheme.Dark)  # what main() does when the desktop says dark
    assert app.palette().window().color() == dark_palette().window().color()
    try:
        window = make_window(qtbot, tmp_path, local(["stop [x]"]), host)
        panel = window.run_panel
        qtbot.wait(100)
        window_bg = app.palette().window().color()
        assert _text_contrast(panel.mode_help.grab().toImage()) >= 4.5
        assert _text_contrast(panel.welcome.grab().toImage()) >= 4.5
        panel.live_stack.setCurrentWidget(panel.live)
        qtbot.wait(50)
        live = panel.live.grab().toImage()
        inside = QColor(live.pixel(12, 12))
        assert inside.lightness() < 80 and window_bg.lightness() < 80  # a dark pane
        assert _text_contrast(live) >= 4.5  # its placeholder text too
        panel.live_stack.setCurrentIndex(1)
        grab(qtbot, window, "dark_palette.png")
        follow_system(app, Qt.ColorScheme.Light)  # and back when it says light
        assert app.palette().window().color().lightness() > 128
    finally:
        app.setPalette(previous)


def _cut_off(window: QWidget) -> list[str]:
    """Visible controls narrower than their text needs, or reaching past the window's right
    edge."""
    problems = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or widget.window() is not window:
            continue
        name = f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()!r}"
        if isinstance(widget, QPushButton | QCheckBox | QComboBox):
            if widget.width() < widget.sizeHint().width() - 1:
                problems.append(f"{name}: {widget.width()} < {widget.sizeHint().width()}")
        elif (isinstance(widget, QLabel) and not widget.wordWrap() and widget.text()
              and widget.pixmap().isNull()):
            if widget.width() < widget.sizeHint().width() - 1:
                problems.append(f"{name}: {widget.width()} < {widget.sizeHint().width()}")
        right = widget.mapTo(window, QPoint(widget.width(), 0)).x()
        if right > window.width() + 1:
            problems.append(f"{name} ends at x={right}, past {window.width()}")
    for scroll in window.findChildren(QScrollArea):
        if scroll.isVisible() and scroll.horizontalScrollBar().maximum() > 0:
            problems.append(f"{scroll.objectName()} scrolls sideways")
    return problems


def _fully_visible(widget: QWidget) -> bool:
    return widget.isVisible() and widget.visibleRegion().boundingRect() == widget.rect()


def test_15pt_font_and_a_480px_window(qtbot, tmp_path: Path, host: BrowserHost) -> None:
    app = QApplication.instance()
    previous = app.font()
    font = QFont(previous)
    font.setPointSizeF(15)
    app.setFont(font)
    try:
        window = make_window(qtbot, tmp_path, local(["stop [x]"]), host)
        window.run_panel.mode_combo.setCurrentText("hybrid-redact")
        for tab in (window.run_panel, window.history, window.workflows, window.settings_panel):
            window.tabs.setCurrentWidget(tab)
            qtbot.wait(50)
            assert _cut_off(window) == [], tab
        assert _fully_visible(window.settings_panel.save_button)
        mode = window.run_panel.mode_combo
        assert mode.width() >= mode.sizeHint().width()  # "hybrid-redact", not "hybrid-reda"
        grab(qtbot, window, "settings_15pt.png")

        # beside a browser: a 480 px wide window, at 15 pt still
        assert window.minimumSizeHint().width() <= 480
        window.resize(480, 900)
        qtbot.waitUntil(lambda: window.width() == 480, timeout=2000)
        for tab in (window.run_panel, window.history, window.workflows, window.settings_panel):
            window.tabs.setCurrentWidget(tab)
            qtbot.wait(50)
            assert _cut_off(window) == [], tab
        assert _fully_visible(window.settings_panel.save_button)
        window.tabs.setCurrentWidget(window.run_panel)
        panel = window.run_panel
        assert panel.splitter.orientation() == Qt.Orientation.Vertical  # the page below
        for widget in (panel.task_edit, panel.run_button, panel.stop_button, panel.steps,
                       panel.live_stack):
            assert widget.isVisible() and widget.width() > 0
    finally:
        app.setFont(previous)
    window.resize(480, 860)
    window.tabs.setCurrentWidget(window.run_panel)
    grab(qtbot, window, "narrow_480.png")


# --- 9. keyboard, input, names, times, closing ---------------------------------------------------

def test_keyboard_and_the_small_things(qtbot, tmp_path: Path, host: BrowserHost,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window(qtbot, tmp_path, local([slow(1.5, "scroll [down]"), "stop [x]"]), host)
    panel = window.run_panel
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    # your own task: nothing of the last practice task stays
    choose_practice(window, "practice/shop-open-product", "local")
    panel.practice_combo.setCurrentIndex(0)
    assert panel.task_edit.toPlainText() == "" and panel.url_combo.currentText() == ""
    # Enter in the URL box runs; a bad URL is an error, not a new entry in the list
    entries = panel.url_combo.count()
    panel.task_edit.setPlainText("Open the shop")
    panel.url_combo.setFocus()
    qtbot.keyClicks(panel.url_combo.lineEdit(), "not a url")
    qtbot.keyClick(panel.url_combo.lineEdit(), Qt.Key.Key_Return)
    assert panel.url_combo.count() == entries
    assert "Not a start URL" in panel.status.text() and panel.status.error
    # "type a task first" goes away as soon as you type
    panel.task_edit.clear()
    panel.url_combo.setCurrentText(window.run_panel.practice_base + "shop/")
    window.start_run()
    assert panel.status.text().startswith("Type a task first")
    panel.task_edit.setFocus()
    qtbot.keyClicks(panel.task_edit, "Open the shop")
    assert panel.status.text() == "Ready." and not panel.status.error
    # Enter in the task box runs (Shift+Enter is a new line); the name is the task, not an id
    with qtbot.waitSignal(window.run_started, timeout=3000):
        qtbot.keyClick(panel.task_edit, Qt.Key.Key_Return)
    assert "“Open the shop”" in panel.status.text() and "adhoc" not in panel.status.text()
    qtbot.waitUntil(lambda: "Thinking" in panel.activity.text(), timeout=10000)
    # Esc stops
    with qtbot.waitSignal(window.run_finished, timeout=30000) as finished:
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert finished.args[0].outcome == "interrupted"
    assert panel.url_combo.findText(window.run_panel.practice_base + "shop/") >= 0
    # Ctrl+Enter runs from anywhere; mnemonics reach the fields
    choose_practice(window, "practice/shop-open-product", "local")
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.AltModifier)
    assert panel.task_edit.hasFocus()
    assert "&Run" == panel.run_button.text() and "&Stop" == panel.stop_button.text()
    with qtbot.waitSignal(window.run_started, timeout=3000):
        qtbot.keyClick(panel.task_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "“Practice: Open the product page of the Canvas Day Backpack.”" in panel.status.text()
    assert "practice/" not in panel.status.text()
    qtbot.waitUntil(lambda: "Thinking" in panel.activity.text(), timeout=10000)
    # closing during a run asks, then the window goes at once (the step ends on its own)
    asked: list[str] = []

    def answer(_parent, title, *_args, **_kwargs):  # type: ignore[no-untyped-def]
        asked.append(title)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))
    t0 = time.perf_counter()
    window.close()
    assert time.perf_counter() - t0 < 0.5 and not window.isVisible()
    assert asked == ["Stop the run and quit?"] and closed == []
    qtbot.waitUntil(lambda: closed == [True], timeout=30000)
    assert TrajectoryStore(tmp_path / "episodes.db").episode_summaries()[0].outcome == \
        "interrupted"


def test_history_names_tasks_and_shows_local_times(qtbot, tmp_path: Path, host: BrowserHost,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Kathmandu")  # UTC+05:45: no chance of matching UTC
    time.tzset()
    try:
        window = make_window(qtbot, tmp_path, local(["stop [x]"]), host)
        panel = window.run_panel
        panel.task_edit.setPlainText("Look at the shop")
        panel.url_combo.setCurrentText(panel.practice_base + "shop/")
        with qtbot.waitSignal(window.run_finished, timeout=30000):
            window.start_run()
        window.tabs.setCurrentWidget(window.history)
        [row] = TrajectoryStore(tmp_path / "episodes.db").episode_summaries()
        shown = window.history.table.item(0, 1).text()
        utc = row.started_at[11:16]
        assert shown == local_time(row.started_at) and shown.startswith("today ")
        assert shown[-5:] != utc
        assert window.history.table.item(0, 2).text() == "Look at the shop"
        assert window.history.table.item(0, 5).text() == "finished"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert task_name("practice/shop-open-product", "Open it.") == "Practice: Open it."
    assert task_name("adhoc", "x " * 60, 20).endswith("…")


# --- first start ---------------------------------------------------------------------------------

def test_first_start_says_what_to_try(qtbot, tmp_path: Path, host: BrowserHost) -> None:
    window = make_window(qtbot, tmp_path, local(["stop [x]"]), host)
    panel = window.run_panel
    welcome = panel.welcome
    assert welcome.isVisible()
    text = welcome.text()
    assert "practice task" in text and "Local mode needs no key" in text
    assert re.search(r"\d+–\d+ s", text)  # how long a step takes, in seconds
    assert "can do yet" in text and "cannot do yet" in text
    grab(qtbot, window, "first_start.png")
    choose_practice(window, "practice/shop-open-product", "local")
    with qtbot.waitSignal(window.run_finished, timeout=30000):
        window.start_run()
    assert not welcome.isVisible() and panel.live.isVisible() and panel.live.has_page()


def test_the_welcome_gives_this_computers_step_time(qtbot, tmp_path: Path,
                                                    host: BrowserHost) -> None:
    from core.store.views import StepRecord

    store = TrajectoryStore(tmp_path / "episodes.db")
    episode = store.start_episode(task_id="adhoc", intent="x", start_url="http://x/",
                                  mode="local", policy="p")
    for idx, ms in enumerate([3000.0, 4200.0, 9000.0]):
        store.add_step(episode, StepRecord(idx=idx, url="http://x/", observation="",
                                           action="scroll [down]", latency_ms=ms))
    store.close()
    window = make_window(qtbot, tmp_path, local(["stop [x]"]), host)
    assert "an on-device decision has taken 4.2 s (the median of your last 3 steps)" in \
        window.run_panel.welcome.text()

