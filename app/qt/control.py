"""The user's control over what the agent does: the approval of irreversible actions (a dialog
the agent's thread waits on, as the cloud approval does; no answer in time is No) and the
Workflows tab (saved workflows, run with their parameters)."""

from __future__ import annotations

import html
import logging
import threading
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.qt.widgets import StatusLine, dim, wrapping
from core.confirm import CONFIRM_TIMEOUT_S, ConfirmRequest
from core.errors import WorkflowError
from core.workflows.service import WorkflowLibrary
from core.workflows.views import Workflow

log = logging.getLogger(__name__)


class ConfirmDialog(QDialog):
    """Allow / Decline an irreversible action, with the element, the page and the filled
    values (sensitive ones hidden). Esc, closing or the timeout = Decline."""

    decided = Signal(bool)

    def __init__(self, request: ConfirmRequest, timeout_s: float,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.request = request
        self.setWindowTitle("Allow this action?")
        self.setObjectName("confirmDialog")
        layout = QVBoxLayout(self)
        header = QLabel(f"<b>Step {request.step + 1}</b> would "
                        f"<b>{html.escape(request.described)}</b><br>"
                        f"on {html.escape(request.url)}<br>{html.escape(request.reason)}.")
        header.setWordWrap(True)
        wrapping(header)
        layout.addWidget(header)
        if request.fields:
            form = QFormLayout()
            for name, value in request.fields:
                shown = QLabel(value)
                shown.setTextFormat(Qt.TextFormat.PlainText)
                form.addRow(QLabel(name + ":"), shown)
            layout.addWidget(dim(QLabel("The page's fields hold:")))
            layout.addLayout(form)
        self.countdown = QLabel()
        layout.addWidget(self.countdown)
        buttons = QDialogButtonBox()
        self.allow_button = QPushButton("&Allow")
        self.decline_button = QPushButton("De&cline")
        buttons.addButton(self.allow_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.decline_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.allow_button.setAutoDefault(False)  # Enter must not pay by accident
        self.decline_button.setDefault(True)
        layout.addWidget(buttons)
        self.allow_button.clicked.connect(lambda: self.close_with(True))
        self.decline_button.clicked.connect(lambda: self.close_with(False))
        self._answered = False
        self._remaining = max(1, int(round(timeout_s)))
        self._tick()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._timer.start(1000)

    def _tick(self) -> None:
        self.countdown.setText(f"No answer in {self._remaining} s counts as Decline.")
        self._remaining -= 1

    def close_with(self, allowed: bool) -> None:
        if self._answered:
            return
        self._answered = True
        self._timer.stop()
        self.decided.emit(allowed)
        self.done(QDialog.DialogCode.Accepted if allowed else QDialog.DialogCode.Rejected)

    def reject(self) -> None:  # Esc and the window's close button
        if not self._answered:
            self.close_with(False)
            return
        super().reject()


@dataclass
class _Pending:
    request: ConfirmRequest
    event: threading.Event = field(default_factory=threading.Event)
    allowed: bool = False
    dialog: ConfirmDialog | None = None


class ConfirmBroker(QObject):
    """The app's confirmer (core.confirm.Confirmer). Lives in the GUI thread; the agent's
    thread calls it and waits."""

    _ask = Signal(object)
    _close = Signal(object)
    dialog_opened = Signal(object)

    def __init__(self, timeout_s: float = CONFIRM_TIMEOUT_S,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timeout_s = timeout_s
        self.parent_widget = parent
        self.dialog: ConfirmDialog | None = None
        self._lock = threading.Lock()
        self._pending: list[_Pending] = []
        self._ask.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self._close.connect(self._dismiss, Qt.ConnectionType.QueuedConnection)

    def __call__(self, request: ConfirmRequest) -> bool:
        if QThread.currentThread() == self.thread():
            raise RuntimeError("the confirmer must be called from the agent's thread")
        pending = _Pending(request)
        self._ask.emit(pending)
        if not pending.event.wait(self.timeout_s):
            with self._lock:
                pending.event.set()  # a click from now on changes nothing: it is a No
            log.info("no answer to %s in %.0f s: declined", request.described, self.timeout_s)
            self._close.emit(pending)
            return False
        return pending.allowed

    def decline_all(self) -> None:
        """GUI thread (Stop, closing): every open question is answered No."""
        for pending in list(self._pending):
            self._finish(pending, False)

    @Slot(object)
    def _show(self, pending: _Pending) -> None:
        if pending.event.is_set():
            return
        dialog = ConfirmDialog(pending.request, self.timeout_s, self.parent_widget)
        pending.dialog, self.dialog = dialog, dialog
        self._pending.append(pending)
        dialog.decided.connect(lambda allowed: self._finish(pending, allowed))
        dialog.open()
        self.dialog_opened.emit(dialog)

    @Slot(object)
    def _dismiss(self, pending: _Pending) -> None:
        if pending.dialog is not None:
            pending.dialog.close_with(False)
        self._forget(pending)

    def _finish(self, pending: _Pending, allowed: bool) -> None:
        with self._lock:
            if pending.event.is_set():
                return
            pending.allowed = allowed
            pending.event.set()
        if pending.dialog is not None:
            pending.dialog.close_with(allowed)
        self._forget(pending)

    def _forget(self, pending: _Pending) -> None:
        if pending in self._pending:
            self._pending.remove(pending)
        if self.dialog is pending.dialog:
            self.dialog = None


class WorkflowsPanel(QWidget):
    """The saved workflows; the selected one's parameters as fields; Run replays it."""

    run_requested = Signal(object, dict)   # (Workflow, parameter values)

    def __init__(self, library: WorkflowLibrary | None = None) -> None:
        super().__init__()
        self.library = library or WorkflowLibrary()
        self.workflows: list[Workflow] = []
        self.fields: dict[str, QLineEdit] = {}
        self.list = QListWidget()
        self.list.setObjectName("workflowList")
        self.intent = QLabel()
        self.intent.setWordWrap(True)
        wrapping(self.intent)
        self.form_box = QWidget()
        self.form = QFormLayout(self.form_box)
        self.run_button = QPushButton("&Run workflow")
        self.delete_button = QPushButton("Delete workflow")
        self.status = StatusLine()
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(wrapping(dim(QLabel(
            "Saved from History (“Save as workflow”). A workflow replays with no model; where "
            "the page changed, the agent takes over."))))
        layout.addWidget(self.list, 1)
        layout.addWidget(self.intent)
        layout.addWidget(self.form_box)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.list.currentRowChanged.connect(self._selected)
        self.run_button.clicked.connect(self.run_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.refresh()

    def refresh(self) -> None:
        self.workflows = self.library.all()
        self.list.clear()
        for workflow in self.workflows:
            item = QListWidgetItem(f"{workflow.name} — {len(workflow.steps)} steps")
            item.setToolTip(workflow.intent)
            self.list.addItem(item)
        if self.workflows:
            self.list.setCurrentRow(0)
        else:
            self._selected(-1)
        self.status.say(f"{len(self.workflows)} workflow(s) in {self.library.folder}.")

    def selected(self) -> Workflow | None:
        row = self.list.currentRow()
        return self.workflows[row] if 0 <= row < len(self.workflows) else None

    def _selected(self, _row: int) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        workflow = self.selected()
        self.run_button.setEnabled(workflow is not None)
        self.delete_button.setEnabled(workflow is not None)
        self.intent.setText(workflow.intent if workflow else "No workflow saved yet.")
        for key, value in (workflow.params if workflow else {}).items():
            edit = QLineEdit(value)
            edit.setObjectName(f"param_{key}")
            self.fields[key] = edit
            self.form.addRow(QLabel(key + ":"), edit)

    def values(self) -> dict[str, str]:
        return {key: edit.text() for key, edit in self.fields.items()}

    def run_selected(self) -> None:
        workflow = self.selected()
        if workflow is not None:
            self.run_requested.emit(workflow, self.values())

    def delete_selected(self) -> None:
        workflow = self.selected()
        if workflow is None:
            return
        try:
            self.library.delete(workflow.name)
        except WorkflowError as exc:
            self.status.say(str(exc), error=True)
            return
        self.refresh()
