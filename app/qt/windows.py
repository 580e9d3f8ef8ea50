"""The main window: Run (task, live view, steps), History and Settings tabs.

The window only wires things: core builds the task, the router and the loop (app.worker), the
approval dialog answers the router (app.dialogs), history reads the store (app.history).
"""

from __future__ import annotations

import html
import logging
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.qt.control import ConfirmBroker, WorkflowsPanel
from app.qt.dialogs import ApprovalBroker
from app.qt.explain import MODE_NAMES, result_words, task_name
from app.qt.history import HistoryPanel
from app.qt.settings_view import SettingsPanel
from app.qt.widgets import (
    ActivityLine,
    Banner,
    FlowLayout,
    LiveView,
    ResultCard,
    StatusLine,
    WrapDelegate,
    dim,
    route_icon,
    standard_icon,
    wrapping,
)
from app.qt.worker import (
    WARMUP,
    AgentWorker,
    BrowserHost,
    PageView,
    RouterFactory,
    RunSpec,
    StartView,
    StepView,
    WorkerInputs,
    build_task,
    cloud_not_ready,
    default_router_factory,
)
from app.settings import AppSettings, SettingsError, save_settings
from core.errors import StoreError, SymbioteError
from core.loop import EpisodeResult
from core.privacy.rules import MODES
from core.privacy.secrets import NO_SECRETS, Secrets
from core.workflows.replay import fill, parameter_values
from core.workflows.views import Workflow
from trainer.suites.sites import SiteServer

if TYPE_CHECKING:
    from trainer.suites.practice.tasks import PracticeTask

log = logging.getLogger(__name__)

MODE_HELP = {
    "local": "Every step on this device. Nothing leaves it, and no key is needed.",
    "hybrid": "The cloud model decides steps without private data; the rest stay on device.",
    "hybrid-redact": "Like hybrid, but names and contacts are replaced by placeholders and sent.",
    "cloud": "Every step to the cloud model (for comparison; vault values are still masked).",
}
OWN_TASK = "Your own task (type it below)"
PRACTICE_SITES = ("webmail/", "shop/", "account/")
NARROW = 720  # px of the Run tab below which the page goes under the steps
# What an on-device step cost in the app on the development machine (2 cores, no GPU): 2–19 s
# idle, 10–40 s while other jobs kept both cores busy. Shown until this installation has its
# own figures in the history.
TYPICAL_STEP = "2–20 s"

WELCOME = """<h3>Welcome to Symbiote</h3>
<p><b>Try a practice task first.</b> Pick one above, for example <i>Open the product page of
the Canvas Day Backpack</i>, and press <b>Run</b> (or Ctrl+Enter). The practice sites run on
this computer; the agent's browser opens them and this pane shows what it sees.</p>
<p><b>Local mode needs no key.</b> Every step is decided by the small model on this device and
nothing leaves it. The cloud modes need an Anthropic API key (Settings) and show you each
request before it is sent.</p>
<p><b>A step takes a while.</b> {step_time}</p>
<p><b>What the small model can do yet:</b> short steps on one page: open a link or a button by
its name, read a value off the page, fill in a field. <b>What it cannot do yet:</b> finish long
flows on its own (signing in, a checkout, forms over several pages): in local mode it completes
1 of the 21 practice tasks. Hybrid mode lets the cloud model take the steps without private
data.</p>
<p>Keys: Ctrl+Enter runs, Esc stops, Alt plus the underlined letter moves to a field.</p>"""


PAUSE, RESUME = "P&ause", "R&esume"


class RunPanel(QWidget):
    """Task, start URL, mode, Run/Stop; the steps and the live page below."""

    def __init__(self, practice: dict[str, PracticeTask], practice_base: str,
                 settings: AppSettings) -> None:
        super().__init__()
        self.practice = practice
        self.practice_base = practice_base
        self.cloud_banner = Banner("cloudBanner")

        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.practice_combo = QComboBox()
        self.practice_combo.setObjectName("practiceCombo")
        # long intents must not size the window: the combo shows the start and elides
        self.practice_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.practice_combo.setMinimumContentsLength(12)
        self.practice_combo.addItem(OWN_TASK, None)
        for task_id, task in practice.items():
            self.practice_combo.addItem(task.intent, task_id)
            self.practice_combo.setItemData(self.practice_combo.count() - 1, task.intent,
                                            Qt.ItemDataRole.ToolTipRole)
        self.practice_combo.currentIndexChanged.connect(self._practice_chosen)
        form.addRow(self._buddy("&Practice task:", self.practice_combo), self.practice_combo)
        self.task_edit = QPlainTextEdit()
        self.task_edit.setObjectName("taskEdit")
        self.task_edit.setPlaceholderText('What should the agent do? e.g. "Open the latest '
                                          'invoice and tell me the amount due"')
        self.task_edit.setTabChangesFocus(True)
        self.task_edit.setFixedHeight(self.task_edit.fontMetrics().lineSpacing() * 3 + 14)
        form.addRow(self._buddy("Tas&k:", self.task_edit), self.task_edit)
        self.url_combo = QComboBox()
        self.url_combo.setObjectName("urlCombo")
        self.url_combo.setEditable(True)
        # Enter runs; only a URL that started a run joins the list
        self.url_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.url_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.url_combo.setMinimumContentsLength(12)
        self.url_combo.lineEdit().setPlaceholderText("https://… (the page to start on)")
        for site in PRACTICE_SITES:
            self.url_combo.addItem(practice_base + site)
        self.url_combo.setCurrentText(practice_base + PRACTICE_SITES[0])
        form.addRow(self._buddy("Start &URL:", self.url_combo), self.url_combo)

        self.mode_combo = QComboBox()
        self.mode_combo.setObjectName("modeCombo")
        self.mode_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.mode_combo.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        for mode in MODES:
            self.mode_combo.addItem(mode)
            self.mode_combo.setItemData(self.mode_combo.count() - 1, MODE_HELP[mode],
                                        Qt.ItemDataRole.ToolTipRole)
        self.mode_combo.setCurrentText(settings.mode)
        self.headed_check = QCheckBox("Sho&w the Chromium window")
        self.headed_check.setChecked(settings.headed)
        mode_row = QWidget()
        mode_flow = FlowLayout(mode_row, spacing=12)
        mode_flow.addWidget(self.mode_combo)
        mode_flow.addWidget(self.headed_check)
        form.addRow(self._buddy("&Mode:", self.mode_combo), mode_row)
        self.mode_help = dim(QLabel(MODE_HELP[settings.mode]))
        self.mode_help.setObjectName("modeHelp")
        self.mode_help.setWordWrap(True)
        wrapping(self.mode_help)
        form.addRow("", self.mode_help)
        self.mode_combo.currentTextChanged.connect(lambda m: self.mode_help.setText(MODE_HELP[m]))

        self.run_button = QPushButton("&Run")
        self.run_button.setObjectName("runButton")
        self.run_button.setDefault(True)
        self.run_button.setToolTip("Run the task (Ctrl+Enter)")
        self.run_button.setIcon(standard_icon(self, QStyle.StandardPixmap.SP_MediaPlay))
        self.stop_button = QPushButton("&Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setToolTip("Stop after the current step (Esc)")
        self.stop_button.setIcon(standard_icon(self, QStyle.StandardPixmap.SP_MediaStop))
        self.stop_button.setEnabled(False)
        # The user's controls of a running episode (core.user.Takeover). Pause turns into
        # Resume while the episode is held (one button: the row fits a narrow window).
        self.pause_button = QPushButton(PAUSE)
        self.pause_button.setObjectName("pauseButton")
        self.takeover_button = QPushButton("Take &over")
        self.takeover_button.setObjectName("takeoverButton")
        self.takeover_button.setToolTip(
            "After the current step, the browser is yours: it opens in a window, you act in it, "
            "and what you do is recorded as your steps. Resume hands it back.")
        for button in (self.run_button, self.stop_button, self.pause_button,
                       self.takeover_button):
            button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.set_hold("")
        self.activity = ActivityLine()
        buttons = QHBoxLayout()
        for button in (self.run_button, self.stop_button, self.pause_button,
                       self.takeover_button):
            buttons.addWidget(button)
        buttons.addWidget(self.activity, 1)

        self.steps = QTreeWidget()
        self.steps.setObjectName("stepList")
        self.steps.setHeaderLabels(["#", "Route", "Action", "Reason", "Privacy", "Time"])
        self.steps.setRootIsDecorated(False)
        self.steps.setWordWrap(True)
        self.steps.setUniformRowHeights(False)
        self.steps.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.steps.setAlternatingRowColors(True)
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.steps.header()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(24)
        fit, stretch = QHeaderView.ResizeMode.ResizeToContents, QHeaderView.ResizeMode.Stretch
        # Action and Reason share what is left and wrap; the other columns hold short words
        for col, mode in enumerate([fit, fit, stretch, stretch, fit, fit]):
            header.setSectionResizeMode(col, mode)
        self._wrap = WrapDelegate(self.steps)
        for col in (2, 3):  # Action and Reason wrap at their width; the rest fit their words
            self.steps.setItemDelegateForColumn(col, self._wrap)
        self.steps.currentItemChanged.connect(self._step_selected)
        # Rows are measured when added; a column that changes width later must re-measure
        # them, or wrapped text is cut off at its old height.
        self._relayout = QTimer(self)
        self._relayout.setSingleShot(True)
        self._relayout.setInterval(0)
        self._relayout.timeout.connect(self.steps.doItemsLayout)
        header.sectionResized.connect(lambda *_: self._relayout.start())

        self.live = LiveView()
        self.page_label = dim(QLabel(""))
        self.page_label.setObjectName("pageLabel")
        self.page_label.setWordWrap(True)
        wrapping(self.page_label)
        self.page_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.welcome = QLabel()
        self.welcome.setObjectName("welcome")
        self.welcome.setWordWrap(True)
        self.welcome.setTextFormat(Qt.TextFormat.RichText)
        self.welcome.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.welcome.setMargin(8)
        welcome_scroll = QScrollArea()
        welcome_scroll.setWidgetResizable(True)
        welcome_scroll.setWidget(self.welcome)
        welcome_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.live_stack = QStackedWidget()
        self.live_stack.addWidget(self.live)
        self.live_stack.addWidget(welcome_scroll)
        live_box = QWidget()
        live_layout = QVBoxLayout(live_box)
        live_layout.setContentsMargins(0, 0, 0, 0)
        live_layout.addWidget(self.live_stack, 1)
        live_layout.addWidget(self.page_label)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.steps)
        self.splitter.addWidget(live_box)
        self.splitter.setSizes([560, 440])
        self.result_card = ResultCard()
        self.status = StatusLine("runStatus")
        self.status.say("Ready.")

        layout = QVBoxLayout(self)
        layout.addWidget(self.cloud_banner)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.result_card)
        layout.addWidget(self.status)
        self._shots: dict[int, bytes] = {}
        self._urls: dict[int, str] = {}
        self._following = False
        self._narrow: bool | None = None
        self.task_edit.installEventFilter(self)

    @staticmethod
    def _buddy(text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    # --- input ------------------------------------------------------------------------------

    run_requested = Signal()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Enter in the task box runs (Shift+Enter starts a new line)."""
        if (watched is self.task_edit and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            self.run_requested.emit()
            return True
        return super().eventFilter(watched, event)

    def _practice_chosen(self, index: int) -> None:
        task_id = self.practice_combo.itemData(index)
        if task_id is None:  # the user's own task: nothing of the practice one stays
            self.task_edit.clear()
            self.url_combo.setCurrentText("")
            self.task_edit.setFocus()
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

    def remember_url(self, url: str) -> None:
        if url and self.url_combo.findText(url) < 0:
            self.url_combo.addItem(url)

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.set_hold("running" if running else "")
        for widget in (self.practice_combo, self.task_edit, self.url_combo, self.mode_combo,
                       self.headed_check):
            widget.setEnabled(not running)
        if not running:
            self.activity.idle()
            # Keyboard focus back on Run (Enter runs again), never on the step list: a list
            # that gets focus without a current item would jump to step 1.
            self.run_button.setFocus()

    def set_hold(self, state: str) -> None:
        """The controls for a run that goes on ('running'), is held ('paused'; 'user': the
        user has the browser), or none ('')."""
        held = state in ("paused", "user")
        self.pause_button.setText(RESUME if held else PAUSE)
        self.pause_button.setToolTip("The agent goes on from the page as it is now" if held
                                     else "Hold the agent after the current step")
        self.pause_button.setIcon(standard_icon(self, QStyle.StandardPixmap.SP_MediaPlay
                                                if held else QStyle.StandardPixmap.SP_MediaPause))
        self.pause_button.setEnabled(state != "")
        self.takeover_button.setEnabled(state in ("running", "paused"))

    # --- the run ----------------------------------------------------------------------------

    def show_welcome(self, step_time: str) -> None:
        self.welcome.setText(WELCOME.format(step_time=step_time))
        self.live_stack.setCurrentIndex(1)

    def clear_steps(self) -> None:
        self.steps.clear()
        self._shots.clear()
        self._urls.clear()
        self.live.clear_page("Opening the start page…")
        self.live_stack.setCurrentIndex(0)
        self.page_label.setText("")
        self.result_card.hide()

    def show_start(self, page: PageView | StartView) -> None:
        """The start page, before any step."""
        if page.screenshot and (self.steps.topLevelItemCount() == 0):
            self.live.show_png(page.screenshot)
            self.page_label.setText(f"Start page: {page.url}")

    def add_step(self, view: StepView) -> None:
        privacy = "\n".join(view.categories) if view.categories else "none"
        route, route_tip = view.route_text
        action = view.action + (f"\n{view.error_text}" if view.error else "")
        took = "" if view.route == "user" else f"{view.latency_ms / 1000:.1f} s"
        item = QTreeWidgetItem([str(view.idx + 1), route, action, view.reason, privacy, took])
        item.setIcon(1, route_icon(self, view.route))
        item.setToolTip(1, route_tip)
        item.setToolTip(2, view.action + (f"\n\n{view.error_text}\n(engine: {view.error})"
                                          if view.error else ""))
        item.setToolTip(3, view.reason)
        if view.error:
            item.setIcon(2, standard_icon(self, QStyle.StandardPixmap.SP_MessageBoxWarning))
        if view.entity_types:
            item.setToolTip(4, "Found: " + ", ".join(view.entity_types))
        item.setData(0, Qt.ItemDataRole.UserRole, view.idx)
        for col in range(6):  # rows of several lines read from the top
            side = Qt.AlignmentFlag.AlignRight if col in (0, 5) else Qt.AlignmentFlag.AlignLeft
            item.setTextAlignment(col, side | Qt.AlignmentFlag.AlignTop)
        self.steps.addTopLevelItem(item)
        self._urls[view.idx] = view.url_after or view.url
        if view.screenshot:
            self._shots[view.idx] = view.screenshot
        # The list follows the run: its current item is the newest step, so nothing (focus
        # moving to it when Stop is disabled) can send the view back to an older one.
        self._following = True
        self.steps.setCurrentItem(item)
        self._following = False
        self._show_step(view.idx)
        self.steps.scrollToItem(item)

    def _show_step(self, idx: int) -> None:
        if idx in self._shots:
            self.live.show_png(self._shots[idx])
        self.page_label.setText(f"After step {idx + 1}: {self._urls.get(idx, '')}")

    def _step_selected(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        if item is None or self._following:
            return
        self._show_step(item.data(0, Qt.ItemDataRole.UserRole))

    def shown_step(self) -> int | None:
        item = self.steps.currentItem()
        return None if item is None else int(item.data(0, Qt.ItemDataRole.UserRole))

    # --- size -------------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        narrow = self.width() < NARROW
        if narrow == self._narrow:
            return
        self._narrow = narrow
        # Narrow (a sidebar beside the browser): the page under the steps, and the step list
        # keeps the columns that say what happened; Reason and the rest are in the tooltips.
        self.splitter.setOrientation(Qt.Orientation.Vertical if narrow
                                     else Qt.Orientation.Horizontal)
        for col in (3, 4, 5):
            self.steps.setColumnHidden(col, narrow)
        self.splitter.setSizes([300, 300] if narrow else [560, 440])


class MainWindow(QMainWindow):
    run_started = Signal()
    run_finished = Signal(object)  # EpisodeResult, or None when the run failed to start/crashed
    closed = Signal()              # the window really closed (the app may quit)

    def __init__(self, *, store_path: Path, settings: AppSettings,
                 settings_file: Path | None = None,
                 router_factory: RouterFactory = default_router_factory,
                 vault: object = None, practice_secrets: Secrets | None = None,
                 browser_host: BrowserHost | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Symbiote")
        self.resize(1180, 780)
        self.store_path = store_path
        self.settings = settings
        self.settings_file = settings_file
        self.router_factory = router_factory
        self.vault = vault
        self.worker: AgentWorker | None = None
        self._closing = False
        self._closed = False
        self._ask_on_close = True
        # The browser's thread, started now so a Chromium is waiting when Run is pressed.
        self._own_host = browser_host is None
        self.host = browser_host or BrowserHost()
        if not self.host.isRunning():
            self.host.start()
        self.sites = SiteServer().start()
        # Served as "localhost": the detector treats a literal IP in the URL as personal data,
        # which would keep every practice step on the device in the hybrid modes.
        practice_base = f"http://localhost:{self.sites.port}/"
        self.practice, secrets = _practice(practice_base)
        self.practice_secrets = practice_secrets if practice_secrets is not None else secrets
        self.broker = ApprovalBroker(settings.approval_timeout_s, settings.always_approve_sites,
                                     on_always=self._always_for_site, parent=self)

        self.confirm_broker = ConfirmBroker(settings.approval_timeout_s, parent=self)

        self.run_panel = RunPanel(self.practice, practice_base, settings)
        self.history = HistoryPanel(store_path, vault=vault)
        self.workflows = WorkflowsPanel()
        self.settings_panel = SettingsPanel(settings, vault=vault, settings_file=settings_file)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.run_panel, "Ru&n")
        self.tabs.addTab(self.history, "&History")
        self.tabs.addTab(self.workflows, "&Workflows")
        self.tabs.addTab(self.settings_panel, "Se&ttings")
        self.history.workflow_saved.connect(lambda _name: self.workflows.refresh())
        self.workflows.run_requested.connect(self.start_workflow)
        self.setCentralWidget(self.tabs)
        panel = self.run_panel
        panel.run_button.clicked.connect(self.start_run)
        panel.stop_button.clicked.connect(self.stop_run)
        panel.pause_button.clicked.connect(self.pause_or_resume)
        panel.takeover_button.clicked.connect(self.take_over_run)
        panel.run_requested.connect(self.start_run)
        panel.url_combo.lineEdit().returnPressed.connect(self.start_run)
        panel.task_edit.textChanged.connect(self._input_changed)
        panel.url_combo.editTextChanged.connect(self._input_changed)
        panel.mode_combo.currentTextChanged.connect(lambda _m: self.update_cloud_banner())
        panel.cloud_banner.linkActivated.connect(self._banner_link)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.start_run)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.stop_run)
        self.settings_panel.saved.connect(self._settings_saved)
        self.settings_panel.key_changed.connect(self.update_cloud_banner)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.broker.dialog_opened.connect(self._approval_opened)
        self.broker.answered.connect(self._approval_answered)

        self._input_error = False
        self._budget = 0
        self._deciding: int | None = None
        self._phase = ""
        self._since = time.monotonic()
        self._tick = QTimer(self)
        self._tick.setInterval(500)
        self._tick.timeout.connect(self._show_activity)
        self.update_cloud_banner()
        self._first_start()
        if router_factory is default_router_factory:
            WARMUP.start(panel.mode_combo.currentText())
            panel.mode_combo.currentTextChanged.connect(WARMUP.start)

    # --- running ----------------------------------------------------------------------------

    def is_running(self) -> bool:
        return self.worker is not None and self.worker.is_running()

    def start_run(self) -> None:
        if self.is_running():
            return
        if self.tabs.currentWidget() is not self.run_panel:
            self.tabs.setCurrentWidget(self.run_panel)
        spec = self.run_panel.spec(self.settings)
        try:
            task = build_task(spec, self.practice)
        except SymbioteError as exc:
            self._input_error = True
            self._status(str(exc)[:1].upper() + str(exc)[1:] + ".", error=True)
            return
        if spec.mode != "local":
            missing = self.update_cloud_banner()
            if missing:
                self._status(f"Not started: {spec.mode} needs the cloud model and {missing}. "
                             "Add a key in Settings, or run on this device.", error=True)
                return
        self.run_panel.remember_url(spec.start_url)
        self._launch(WorkerInputs(
            task=task, spec=spec, settings=self.settings.model_copy(),
            store_path=self.store_path, router_factory=self.router_factory,
            approver=self.broker, vault=self.vault, practice_secrets=self.practice_secrets,
            confirmer=self.confirm_broker),
            task_name(task.id, getattr(task, "intent", spec.intent), 60))

    def start_workflow(self, workflow: Workflow, values: dict[str, str]) -> None:
        """Replay a saved workflow with these parameter values; where it no longer fits the
        page, the agent of the Run tab's mode takes over."""
        if self.is_running():
            return
        try:
            filled = parameter_values(workflow, values)
            intent = fill(workflow.intent, filled)
        except SymbioteError as exc:
            self.workflows.status.say(str(exc), error=True)
            return
        self.tabs.setCurrentWidget(self.run_panel)
        spec = RunSpec(intent=intent, start_url=workflow.start_url,
                       mode=self.run_panel.mode_combo.currentText(),
                       headed=self.run_panel.headed_check.isChecked())
        self._launch(WorkerInputs(
            task=None, spec=spec, settings=self.settings.model_copy(),
            store_path=self.store_path, router_factory=self.router_factory,
            approver=self.broker, vault=self.vault, confirmer=self.confirm_broker,
            workflow=workflow, values=filled), f"workflow {workflow.name}")

    def _launch(self, inputs: WorkerInputs, name: str) -> None:
        self.run_panel.clear_steps()
        self.run_panel.set_running(True)
        self.broker.task_label = name
        self._status(f"Running “{name}” {MODE_NAMES.get(inputs.spec.mode, inputs.spec.mode)}.")
        self._budget, self._deciding = 0, None
        self._set_phase("Starting…")
        self._tick.start()
        worker = AgentWorker(inputs)
        worker.phase.connect(self._set_phase)
        worker.preview.connect(self.run_panel.show_start)
        worker.started.connect(self._episode_started)
        worker.deciding.connect(self._decision_started)
        worker.step.connect(self._step_done)
        worker.held.connect(self._held)
        worker.episode_done.connect(self._episode_done)
        worker.failed.connect(self._run_failed)
        worker.finished.connect(self._worker_finished)
        self.worker = worker
        worker.start_on(self.host)
        self.run_started.emit()

    def stop_run(self) -> None:
        if self.is_running() and self.worker is not None:
            self.worker.request_stop()
            self.broker.deny_all()  # an open approval would hold the worker forever
            self.confirm_broker.decline_all()
            self._set_phase("Stopping after the current step…")

    # --- pause, take over, hand back ----------------------------------------------------------

    def pause_or_resume(self) -> None:
        if self.worker is not None and self.worker.takeover.state != "running":
            self.resume_run()
        else:
            self.pause_run()

    def pause_run(self) -> None:
        if self.is_running() and self.worker is not None:
            self.worker.takeover.pause()
            self.run_panel.set_hold("paused")
            self._set_phase("Pausing after the current step…")

    def take_over_run(self) -> None:
        if self.is_running() and self.worker is not None:
            self.worker.takeover.take_over()
            self.run_panel.set_hold("user")
            self._set_phase("Handing you the browser after the current step…")

    def resume_run(self) -> None:
        if self.is_running() and self.worker is not None:
            self.worker.takeover.resume()
            self.run_panel.set_hold("running")
            self._set_phase("Going on from the page as it is now…")

    def _held(self, state: str) -> None:
        """The loop reached the hold the user asked for, or left it."""
        if not self.is_running():
            return
        self._deciding = None
        if state == "paused":
            self._set_phase("Paused. Resume lets the agent go on; Take over gives you the "
                            "browser.")
        elif state == "user":
            self._set_phase("The browser is yours: act in the Chromium window, then press "
                            "Resume. What you do is recorded as your steps.")
        worker = self.worker
        stopping = worker is None or worker.stop_requested()
        self.run_panel.set_hold("" if stopping else worker.takeover.state)  # type: ignore[union-attr]

    def _set_phase(self, text: str) -> None:
        self._phase, self._since = text, time.monotonic()
        self._show_activity()

    def _episode_started(self, start: StartView) -> None:
        self._budget = start.budget
        self.run_panel.show_start(start)

    def _decision_started(self, idx: int) -> None:
        self._deciding, self._since = idx, time.monotonic()
        self._phase = ""
        self._show_activity()

    def _step_done(self, view: StepView) -> None:
        self.run_panel.add_step(view)
        self._deciding = None
        if view.route == "user":  # the hold's words stay while the user acts
            return
        if not (self.worker is not None and self.worker.stop_requested()):
            self._set_phase("Reading the page…")

    def _show_activity(self) -> None:
        if not self.is_running():
            return
        seconds = int(time.monotonic() - self._since)
        if self.broker.dialog is not None:
            text = "Waiting for your answer: send this step to the cloud?"
        elif self._deciding is not None and not self._phase:
            of = f"/{self._budget}" if self._budget else ""
            text = f"Thinking… step {self._deciding + 1}{of}, {seconds} s"
        else:
            text = self._phase + (f" {seconds} s" if seconds else "")
        self.run_panel.activity.say(text)

    def _approval_opened(self, _dialog: object) -> None:
        self._show_activity()

    def _approval_answered(self, _answer: str, _site: str) -> None:
        self._since = time.monotonic()
        self._show_activity()

    def _episode_done(self, result: EpisodeResult) -> None:
        headline, body = result_words(result.outcome, result.answer, result.detail,
                                      result.error, len(result.steps), result.wall_s)
        self.run_panel.result_card.show_result(result.outcome, headline, body)
        self._status(f"Episode {result.episode_id}: {headline.lower()}. "
                     "It is saved in History.", error=result.outcome in ("failure", "error"))

    def _run_failed(self, message: str) -> None:
        stopped = message.startswith("Stopped")
        headline = ("Stopped" if stopped else "The run could not go on"
                    if self.run_panel.steps.topLevelItemCount() else "The run did not start")
        self.run_panel.result_card.show_result("interrupted" if stopped else "error", headline,
                                               message)
        self._status(message, error=not stopped)

    def _worker_finished(self) -> None:
        worker = self.worker
        self._tick.stop()
        self.run_panel.set_running(False)
        self.history.refresh()
        self.run_finished.emit(worker.result if worker is not None else None)
        if self._closing:
            QTimer.singleShot(0, self.close)

    def _status(self, text: str, *, error: bool = False) -> None:
        self.run_panel.status.say(text, error=error)

    def _input_changed(self) -> None:
        if self._input_error:  # "type a task first" goes once the user types
            self._input_error = False
            self._status("Ready.")

    # --- the cloud --------------------------------------------------------------------------

    def update_cloud_banner(self) -> str:
        """Show the banner when the chosen mode needs the cloud and it cannot be reached;
        returns why it cannot ('' when it can, or in local mode)."""
        mode = self.run_panel.mode_combo.currentText()
        missing = cloud_not_ready(self.settings) if mode != "local" else ""
        banner = self.run_panel.cloud_banner
        if not missing:
            banner.hide()
            return ""
        reason = ("no Anthropic API key is set" if "API key" in missing else missing)
        banner.say(f"<b>{html.escape(mode)}</b> needs the cloud model, but {html.escape(reason)}"
                   ". Nothing could be sent, so Symbiote will not ask you to approve anything. "
                   "<a href='settings'>Add a key in Settings</a> · "
                   "<a href='local'>Run on this device instead</a> (local mode: no key "
                   "needed)")
        return reason

    def _banner_link(self, href: str) -> None:
        if href == "settings":
            self.tabs.setCurrentWidget(self.settings_panel)
            self.settings_panel.key_edit.setFocus()
        elif href == "local":
            self.run_panel.mode_combo.setCurrentText("local")
            self.start_run()

    # --- first start ------------------------------------------------------------------------

    def _first_start(self) -> None:
        try:
            episodes = len(self.history.store.episode_summaries())
            latencies = self.history.store.step_latencies("local")
        except StoreError:
            episodes, latencies = 0, []
        if episodes >= 3:  # past the first runs: the page view is what matters now
            return
        if len(latencies) >= 3:
            step_time = (f"On this computer an on-device decision has taken "
                         f"{statistics.median(latencies) / 1000:.1f} s (the median of your last "
                         f"{len(latencies)} steps); the window says what it is doing "
                         "meanwhile.")
        else:
            step_time = (f"On a 2-core computer without a GPU an on-device step takes "
                         f"{TYPICAL_STEP}; longer while other programs keep the processor "
                         "busy, and the first one also loads the model. The window says what "
                         "it is doing meanwhile; after a few runs this line shows your "
                         "computer's own figure.")
        self.run_panel.show_welcome(step_time)

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
        self.update_cloud_banner()

    def _save_settings(self) -> None:
        try:
            save_settings(self.settings, self.settings_file)
        except SettingsError as exc:
            self._status(str(exc), error=True)

    def _tab_changed(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if widget is self.history:
            self.history.refresh()
        elif widget is self.run_panel:
            self.update_cloud_banner()

    # --- closing ----------------------------------------------------------------------------

    def quit_now(self) -> None:
        """Close without asking (Ctrl-C in the terminal, SIGTERM): a run is stopped."""
        self._ask_on_close = False
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's naming)
        if self._closed:
            super().closeEvent(event)
            return
        if self.is_running():
            if not self._closing:
                if self._ask_on_close:
                    answer = QMessageBox.question(
                        self, "Stop the run and quit?",
                        "A task is running. Stop it and quit Symbiote?\n\nThe current step "
                        "finishes first; the episode is kept in History as stopped.",
                        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                        QMessageBox.StandardButton.No)
                    if answer != QMessageBox.StandardButton.Yes:
                        event.ignore()
                        return
                self._closing = True
                self.stop_run()
                self.hide()  # gone at once; the window closes for real when the step is done
            event.ignore()
            return
        self.settings.mode = self.run_panel.mode_combo.currentText()
        self.settings.headed = self.run_panel.headed_check.isChecked()
        self._save_settings()
        self.hide()  # the rest (the browser's thread ending) happens out of sight
        self.history.close_store()
        self.sites.stop()
        if self._own_host:
            self.host.shutdown()
        self._closed = True
        super().closeEvent(event)
        self.closed.emit()


def _practice(base_url: str) -> tuple[dict[str, PracticeTask], Secrets]:
    """The practice tasks on the app's own site server, and their synthetic secrets."""
    from trainer.suites.practice.tasks import demo_secrets, load_practice_tasks

    try:
        tasks = load_practice_tasks(base_url)
        return {t.id: t for t in tasks}, demo_secrets(base_url)
    except (SymbioteError, OSError, KeyError, ValueError) as exc:
        log.warning("practice tasks unavailable: %s", exc)
        return {}, NO_SECRETS
