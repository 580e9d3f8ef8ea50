"""The desktop app, driven through its real window (pytest-qt, offscreen): a practice task runs
in real Chromium on a scripted policy and the fake cloud, approvals go both ways, history
replays and exports. Screenshots of the windows land in test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.qt.dialogs import ApprovalBroker
from app.qt.windows import MainWindow
from app.qt.worker import RunContext
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
from tests.support.scripted import ScriptedPolicy

# Read when pytest-qt creates the QApplication (first qtbot), not at import: no display needed.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
BACKPACK = re.compile(r"\[(\w+)\] link 'Canvas Day Backpack'")
IBAN = re.compile(r"IBAN: ([A-Z]{2}\d{2}[A-Z0-9 ]+\d)")
LEFT = Qt.MouseButton.LeftButton


def grab(qtbot, widget, name: str) -> Path:  # type: ignore[no-untyped-def]
    qtbot.wait(100)  # let pending layouts and paints run, as they would for a user
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    assert widget.grab().save(str(path)), f"could not save {path}"
    return path


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


def make_window(qtbot, tmp_path: Path, factory, vault=None) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(store_path=tmp_path / "episodes.db", settings=AppSettings(),
                        settings_file=tmp_path / "settings.json", router_factory=factory,
                        vault=vault)
    qtbot.addWidget(window)
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


def test_approve_goes_to_the_cloud_deny_stays_local(qtbot, tmp_path: Path, fake: FakeAnthropic,
                                                    detector: PrivacyDetector) -> None:
    def factory(ctx: RunContext) -> Router:
        return PrivacyRouter(
            local=ScriptedPolicy(["stop [unused]", "stop [opened the backpack page]"]),
            large=CloudPolicy(CloudSettings(base_url=fake.url, api_key="test-key",
                                            max_retries=0)),
            boundary=Boundary(detector, "hybrid"), approval="always", approver=ctx.approver)

    window = make_window(qtbot, tmp_path, factory)
    choose_practice(window, "practice/shop-open-product", "hybrid")
    assert "Canvas Day Backpack" in window.run_panel.task_edit.toPlainText()
    qtbot.mouseClick(window.run_panel.run_button, LEFT)
    assert not window.run_panel.run_button.isEnabled()

    first = next_dialog(qtbot, window)
    assert "Canvas Day Backpack" in first.readable.toPlainText()
    assert "Nothing was redacted" in first.redactions_label.text()
    grab(qtbot, first, "approval_dialog.png")
    assert fake.requests == []  # nothing leaves before the user says yes
    qtbot.mouseClick(first.approve_button, LEFT)

    qtbot.waitUntil(lambda: window.run_panel.steps.topLevelItemCount() == 1, timeout=30000)
    step1 = window.run_panel.steps.topLevelItem(0)
    assert step1.text(1) == "cloud" and step1.text(2).startswith("click [")
    assert len(fake.requests) == 1
    assert fake.requests[0].headers.get("Authorization") == "Bearer test-key"
    assert "Canvas Day Backpack" in fake.all_payload_text()

    second = next_dialog(qtbot, window, previous=first)
    with qtbot.waitSignal(window.run_finished, timeout=30000) as finished:
        qtbot.mouseClick(second.deny_button, LEFT)
    result = finished.args[0]
    assert result is not None and result.outcome == "success", result
    assert len(fake.requests) == 1  # denied: no second request
    step2 = window.run_panel.steps.topLevelItem(1)
    assert step2.text(1) == "on-device" and step2.text(2) == "stop [opened the backpack page]"
    assert step2.toolTip(1) == "the user denied the cloud request"
    live = window.run_panel.live.pixmap()
    assert live is not None and not live.isNull()
    assert "succeeded after 2 step(s)" in window.run_panel.status.text()
    assert window.run_panel.run_button.isEnabled()
    grab(qtbot, window, "main_window.png")

    store = TrajectoryStore(tmp_path / "episodes.db")
    episode = store.episode(result.episode_id)
    assert [s.route for s in episode.steps] == ["cloud", "local"]
    assert sorted(store.screenshots(result.episode_id)) == [0, 1]


def test_stop_during_an_approval_denies_it_and_ends_the_run(
        qtbot, tmp_path: Path, fake: FakeAnthropic, detector: PrivacyDetector) -> None:
    def factory(ctx: RunContext) -> Router:
        return PrivacyRouter(
            local=ScriptedPolicy(["scroll [down]"]),
            large=CloudPolicy(CloudSettings(base_url=fake.url, api_key="test-key",
                                            max_retries=0)),
            boundary=Boundary(detector, "hybrid"), approval="always", approver=ctx.approver)

    window = make_window(qtbot, tmp_path, factory)
    choose_practice(window, "practice/shop-open-product", "hybrid")
    window.start_run()
    next_dialog(qtbot, window)
    with qtbot.waitSignal(window.run_finished, timeout=30000) as finished:
        qtbot.mouseClick(window.run_panel.stop_button, LEFT)
    result = finished.args[0]
    assert result.outcome == "interrupted" and len(result.steps) == 1
    assert result.steps[0].decision.route == "local"
    assert fake.requests == [] and window.broker.dialog is None
    assert "was stopped" in window.run_panel.status.text()


def test_history_replay_export_delete(qtbot, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def read_iban(ctx) -> str:  # type: ignore[no-untyped-def]
        match = IBAN.search(ctx.observation.text())
        assert match, ctx.observation.text()
        return f"stop [{match.group(1)}]"

    def factory(ctx: RunContext) -> Router:
        return SingleSeatRouter(ScriptedPolicy([read_iban]))

    window = make_window(qtbot, tmp_path, factory)
    choose_practice(window, "practice/account-iban", "local")
    with qtbot.waitSignal(window.run_finished, timeout=30000) as finished:
        window.start_run()
    result = finished.args[0]
    assert result.outcome == "success", result
    iban = result.answer

    history = window.history
    window.tabs.setCurrentWidget(history)
    assert history.table.rowCount() == 1
    assert history.table.item(0, 5).text() == "success"
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
    assert replay.view.pixmap() is not None and not replay.view.pixmap().isNull()
    assert "on-device" in replay.details.toPlainText()
    grab(qtbot, replay, "replay.png")
    replay.close()

    redacted, plain = tmp_path / "redacted.jsonl", tmp_path / "plain.jsonl"
    assert history.redact_check.isChecked()  # redacted unless the user says otherwise
    assert history.export(redacted, history.selected_ids()) == 1, history.status.text()
    text = redacted.read_text(encoding="utf-8")
    assert iban not in text and re.search(r"<IBAN_[0-9A-Z]{4}>", text)
    [exported] = read_jsonl(redacted)
    assert exported.episode.id == result.episode_id
    assert [m.role for m in exported.messages] == ["system", "user", "assistant"]
    history.redact_check.setChecked(False)
    assert history.export(plain, history.selected_ids()) == 1
    assert iban in plain.read_text(encoding="utf-8")

    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    history.delete_selected()
    assert history.table.rowCount() == 0
    assert TrajectoryStore(tmp_path / "episodes.db").episode_ids() == []


def _request(url: str = "http://localhost:1234/shop/") -> ApprovalRequest:
    payload = {"model": "m", "max_tokens": 5,
               "messages": [{"role": "user", "content": "Mail <EMAIL_1> about it"}]}
    return ApprovalRequest(payload, ("<EMAIL_1>",), "adhoc", 0, url)


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
    assert "<EMAIL_1>" in dialog.redactions_label.text()
    assert "background-color" in dialog.readable.toHtml()  # the placeholder is highlighted
    grab(qtbot, dialog, "approval_dialog_redacted.png")
    dialog.always_button.click()
    qtbot.waitUntil(lambda: "ok" in answer, timeout=5000)
    assert answer["ok"] is True and remembered == ["localhost"]
    # the same site again: approved without asking
    answer = _ask_in_thread(broker, _request("http://localhost:999/webmail/"))
    qtbot.waitUntil(lambda: "ok" in answer, timeout=5000)
    assert answer["ok"] is True and broker.dialog is None


def test_settings_keyring_vault_and_file(qtbot, tmp_path: Path) -> None:
    vault = SecretVault("plaintext", data_dir=tmp_path / "vault")
    window = make_window(qtbot, tmp_path, lambda ctx: None, vault=vault)
    panel = window.settings_panel
    window.tabs.setCurrentWidget(panel)
    panel.key_edit.setText("sk-ant-test-123")
    panel.store_api_key()
    assert keyring.get_password(KEYRING_SERVICE, KEYRING_API_KEY) == "sk-ant-test-123"
    assert panel.key_edit.text() == "" and "A key is stored" in panel.key_status.text()

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

    panel.secret_name.setText("bank_password")
    panel.secret_value.setText("Hunter-22-Secret")
    panel.add_secret()
    assert vault.get("bank_password") == "Hunter-22-Secret"
    assert panel.secret_value.text() == ""  # never left on screen
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
