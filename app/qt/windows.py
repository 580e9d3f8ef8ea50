"""The main window: Run (task, live view, steps), History and Settings tabs.

The window only wires things: core builds the task, the router and the loop (app.worker), the
approval dialog answers the router (app.dialogs), history reads the store (app.history).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.qt.dialogs import ApprovalBroker
from app.qt.history import HistoryPanel
from app.qt.settings_view import SettingsPanel
from app.qt.widgets import LiveView, route_icon
from app.qt.worker import (
    AgentWorker,
    RouterFactory,
    RunSpec,
    StepView,
    WorkerInputs,
    build_task,
    default_router_factory,
)
from app.settings import AppSettings, SettingsError, save_settings
from core.errors import SymbioteError
from core.loop import EpisodeResult
from core.privacy.rules import MODES
from core.privacy.secrets import NO_SECRETS, Secrets
from trainer.suites.sites import SiteServer

if TYPE_CHECKING:
    from trainer.suites.practice.tasks import PracticeTask

log = logging.getLogger(__name__)

MODE_HELP = {
    "local": "Every step on this device. Nothing leaves it.",
    "hybrid": "The cloud model decides steps without private data; the rest stay on device.",
    "hybrid-redact": "Like hybrid, but names and contacts are replaced by placeholders and sent.",
    "cloud": "Every step to the cloud model (for comparison; vault values are still masked).",
}
OWN_TASK = "Your own task (type it below)"
PRACTICE_SITES = ("webmail/", "shop/", "account/")


class RunPanel(QWidget):
    """Task, start URL, mode, Run/Stop; the steps and the live page below."""

    def __init__(self, practice: dict[str, PracticeTask], practice_base: str,
                 settings: AppSettings) -> None:
        super().__init__()
        self.practice = practice
        form = QFormLayout()
        self.practice_combo = QComboBox()
        self.practice_combo.setObjectName("practiceCombo")
        # long intents must not size the window: the combo shows the start and elides
        self.practice_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.practice_combo.setMinimumContentsLength(40)
        self.practice_combo.addItem(OWN_TASK, None)
        for task_id, task in practice.items():
            self.practice_combo.addItem(f"{task_id.split('/', 1)[-1]}: {task.intent}", task_id)
        self.practice_combo.currentIndexChanged.connect(self._practice_chosen)
        form.addRow("Practice task:", self.practice_combo)
        self.task_edit = QPlainTextEdit()
        self.task_edit.setObjectName("taskEdit")
        self.task_edit.setPlaceholderText('What should the agent do? e.g. "Open the latest '
                                          'invoice and tell me the amount due"')
        self.task_edit.setFixedHeight(64)
        form.addRow("Task:", self.task_edit)
        self.url_combo = QComboBox()
        self.url_combo.setObjectName("urlCombo")
        self.url_combo.setEditable(True)
        self.url_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.url_combo.setMinimumContentsLength(40)
        for site in PRACTICE_SITES:
            self.url_combo.addItem(practice_base + site)
        self.url_combo.setCurrentText(practice_base + PRACTICE_SITES[0])
        form.addRow("Start URL:", self.url_combo)

        controls = QHBoxLayout()
        self.mode_combo = QComboBox()
        self.mode_combo.setObjectName("modeCombo")
        for mode in MODES:
            self.mode_combo.addItem(mode)
            self.mode_combo.setItemData(self.mode_combo.count() - 1, MODE_HELP[mode],
                                        Qt.ItemDataRole.ToolTipRole)
        self.mode_combo.setCurrentText(settings.mode)
        self.mode_help = QLabel(MODE_HELP[settings.mode])
        self.mode_help.setStyleSheet("color: #555")
        self.mode_combo.currentTextChanged.connect(lambda m: self.mode_help.setText(MODE_HELP[m]))
        self.headed_check = QCheckBox("Show the Chromium window")
        self.headed_check.setChecked(settings.headed)
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("runButton")
        self.run_button.setDefault(True)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setEnabled(False)
        controls.addWidget(QLabel("Mode:"))
        controls.addWidget(self.mode_combo)
        controls.addWidget(self.mode_help, 1)
        controls.addWidget(self.headed_check)
        controls.addWidget(self.run_button)
        controls.addWidget(self.stop_button)
        form.addRow(controls)

        self.steps = QTreeWidget()
        self.steps.setObjectName("stepList")
        self.steps.setHeaderLabels(["#", "Route", "Action", "Reason", "Privacy", "Latency"])
        self.steps.setRootIsDecorated(False)
        self.steps.setWordWrap(True)
        self.steps.setAlternatingRowColors(True)
        header = self.steps.header()
        header.setStretchLastSection(False)
        for col, mode in enumerate([QHeaderView.ResizeMode.ResizeToContents] * 3
                                   + [QHeaderView.ResizeMode.Stretch]
                                   + [QHeaderView.ResizeMode.ResizeToContents] * 2):
            header.setSectionResizeMode(col, mode)
        self.steps.currentItemChanged.connect(self._step_selected)
        self.live = LiveView()
        self.page_label = QLabel("")
        self.page_label.setStyleSheet("color: #555")
        live_box = QWidget()
        live_layout = QVBoxLayout(live_box)
        live_layout.setContentsMargins(0, 0, 0, 0)
        live_layout.addWidget(self.live, 1)
        live_layout.addWidget(self.page_label)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.steps)
        splitter.addWidget(live_box)
        splitter.setSizes([560, 440])
        self.status = QLabel("Ready.")
        self.status.setObjectName("runStatus")
        self.status.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        self._shots: dict[int, bytes] = {}

    def _practice_chosen(self, index: int) -> None:
        task_id = self.practice_combo.itemData(index)
        if task_id is None:
            return
        task = self.practice[task_id]
        self.task_edit.setPlainText(task.intent)
        self.url_combo.setCurrentText(task.start_url)

    def spec(self, settings: AppSettings) -> RunSpec:
        intent = self.task_edit.toPlainText().strip()
        url = self.url_combo.currentText().strip()
        practice_id = self.practice_combo.currentData()
        if practice_id is not None:
            task = self.practice[practice_id]
            if intent != task.intent or url != task.start_url:
                practice_id = None  # edited: the user's own task now, without the evaluator
        return RunSpec(intent=intent, start_url=url, mode=self.mode_combo.currentText(),
                       practice_task_id=practice_id, headed=self.headed_check.isChecked(),
                       max_steps=settings.max_steps,
                       allowed_domains=tuple(settings.allowed_domains))

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for widget in (self.practice_combo, self.task_edit, self.url_combo, self.mode_combo,
                       self.headed_check):
            widget.setEnabled(not running)

    def clear_steps(self) -> None:
        self.steps.clear()
        self._shots.clear()
        self.live.clear_page()
        self.page_label.setText("")

    def add_step(self, view: StepView) -> None:
        privacy = ", ".join(view.categories) if view.categories else "none"
        route = "cloud" if view.route == "cloud" else "on-device"
        action = view.action + (f"\n! {view.error}" if view.error else "")
        item = QTreeWidgetItem([str(view.idx + 1), route, action, view.reason, privacy,
                                f"{view.latency_ms:.0f} ms"])
        item.setIcon(1, route_icon(self, view.route))
        if view.why:
            item.setToolTip(1, view.why)
        if view.entity_types:
            item.setToolTip(4, "Found: " + ", ".join(view.entity_types))
        item.setData(0, Qt.ItemDataRole.UserRole, view.idx)
        self.steps.addTopLevelItem(item)
        if view.screenshot:
            self._shots[view.idx] = view.screenshot
            self.live.show_png(view.screenshot)
        self.page_label.setText(f"After step {view.idx + 1}: {view.url_after or view.url}")
        self.steps.scrollToItem(item)

    def _step_selected(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        if item is None:
            return
        idx = item.data(0, Qt.ItemDataRole.UserRole)
        if idx in self._shots:
            self.live.show_png(self._shots[idx])
            self.page_label.setText(f"After step {idx + 1}")


class MainWindow(QMainWindow):
    run_finished = Signal(object)  # EpisodeResult, or None when the run failed to start/crashed

    def __init__(self, *, store_path: Path, settings: AppSettings,
                 settings_file: Path | None = None,
                 router_factory: RouterFactory = default_router_factory,
                 vault: object = None, practice_secrets: Secrets | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Symbiote")
        self.resize(1180, 780)
        self.store_path = store_path
        self.settings = settings
        self.settings_file = settings_file
        self.router_factory = router_factory
        self.vault = vault
        self.worker: AgentWorker | None = None
        self.sites = SiteServer().start()
        # Served as "localhost": the detector treats a literal IP in the URL as personal data,
        # which would keep every practice step on the device in the hybrid modes.
        practice_base = f"http://localhost:{self.sites.port}/"
        self.practice, secrets = _practice(practice_base)
        self.practice_secrets = practice_secrets if practice_secrets is not None else secrets
        self.broker = ApprovalBroker(settings.approval_timeout_s, settings.always_approve_sites,
                                     on_always=self._always_for_site, parent=self)

        self.run_panel = RunPanel(self.practice, practice_base, settings)
        self.history = HistoryPanel(store_path, vault=vault)
        self.settings_panel = SettingsPanel(settings, vault=vault, settings_file=settings_file)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.run_panel, "Run")
        self.tabs.addTab(self.history, "History")
        self.tabs.addTab(self.settings_panel, "Settings")
        self.setCentralWidget(self.tabs)
        self.run_panel.run_button.clicked.connect(self.start_run)
        self.run_panel.stop_button.clicked.connect(self.stop_run)
        self.settings_panel.saved.connect(self._settings_saved)
        self.tabs.currentChanged.connect(self._tab_changed)

    # --- running ----------------------------------------------------------------------------

    def start_run(self) -> None:
        if self.worker is not None and self.worker.isRunning():
            return
        spec = self.run_panel.spec(self.settings)
        try:
            task = build_task(spec, self.practice)
        except SymbioteError as exc:
            self._status(str(exc), error=True)
            return
        self.run_panel.clear_steps()
        self.run_panel.set_running(True)
        self._status(f"Running {task.id} in {spec.mode} mode…")
        worker = AgentWorker(WorkerInputs(
            task=task, spec=spec, settings=self.settings.model_copy(),
            store_path=self.store_path, router_factory=self.router_factory,
            approver=self.broker, vault=self.vault, practice_secrets=self.practice_secrets))
        worker.step.connect(self.run_panel.add_step)
        worker.episode_done.connect(self._episode_done)
        worker.failed.connect(lambda message: self._status(message, error=True))
        worker.finished.connect(self._worker_finished)
        self.worker = worker
        worker.start()

    def stop_run(self) -> None:
        if self.worker is not None and self.worker.isRunning():
            self.worker.request_stop()
            self.broker.deny_all()  # an open approval would hold the worker forever
            self._status("Stopping after the current step…")

    def _episode_done(self, result: EpisodeResult) -> None:
        verdict = {"success": "succeeded", "failure": "failed", "interrupted": "was stopped",
                   "unknown": "finished (no evaluator for your own task: check the page)",
                   "error": "ended with an error"}.get(result.outcome, result.outcome)
        answer = f" Answer: {result.answer!r}." if result.answer else ""
        error = f" {result.error}" if result.error else ""
        self._status(f"Episode {result.episode_id} {verdict} after {len(result.steps)} step(s) "
                     f"in {result.wall_s:.1f} s.{answer}{error}",
                     error=result.outcome in ("failure", "error"))

    def _worker_finished(self) -> None:
        worker = self.worker
        self.run_panel.set_running(False)
        self.history.refresh()
        self.run_finished.emit(worker.result if worker is not None else None)

    def _status(self, text: str, *, error: bool = False) -> None:
        self.run_panel.status.setText(text)
        self.run_panel.status.setStyleSheet("color: #b00020" if error else "")

    # --- settings ---------------------------------------------------------------------------

    def _always_for_site(self, site: str) -> None:
        if site not in self.settings.always_approve_sites:
            self.settings.always_approve_sites = [*self.settings.always_approve_sites, site]
            self._save_settings()
            self.settings_panel.show_always_sites(self.settings.always_approve_sites)

    def _settings_saved(self, settings: AppSettings) -> None:
        self.settings = settings
        self.broker.timeout_s = settings.approval_timeout_s
        self.broker.set_always_sites(settings.always_approve_sites)

    def _save_settings(self) -> None:
        try:
            save_settings(self.settings, self.settings_file)
        except SettingsError as exc:
            self._status(str(exc), error=True)

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.history:
            self.history.refresh()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's naming)
        if self.worker is not None and self.worker.isRunning():
            self.stop_run()
            if not self.worker.wait(15000):
                log.warning("the agent thread did not stop within 15 s")
        self.settings.mode = self.run_panel.mode_combo.currentText()
        self.settings.headed = self.run_panel.headed_check.isChecked()
        self._save_settings()
        self.history.close_store()
        self.sites.stop()
        super().closeEvent(event)


def _practice(base_url: str) -> tuple[dict[str, PracticeTask], Secrets]:
    """The practice tasks on the app's own site server, and their synthetic secrets."""
    from trainer.suites.practice.tasks import demo_secrets, load_practice_tasks

    try:
        tasks = load_practice_tasks(base_url)
        return {t.id: t for t in tasks}, demo_secrets(base_url)
    except (SymbioteError, OSError, KeyError, ValueError) as exc:
        log.warning("practice tasks unavailable: %s", exc)
        return {}, NO_SECRETS
