"""The approval dialog, and the broker that lets the agent's thread ask the user.

The router calls `approver(request) -> bool` from the worker thread. ApprovalBroker turns that
call into a queued signal to the GUI thread, where a non-modal-blocking dialog opens (`open()`,
not `exec()`, so no nested event loop), and blocks the worker on a threading.Event until the
user answers or the timeout passes. No answer means Deny: the step stays on the device.
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlparse

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.qt.theme import placeholder_marks
from app.qt.widgets import wrapping
from core.routing.privacy import ApprovalRequest

log = logging.getLogger(__name__)

# Placeholders that stand in for private values: pseudonyms (<EMAIL_7QX2>, random per episode;
# core.privacy.redaction.PLACEHOLDER), vault references ({{secret:name}}) and masked vault
# values (<secret>).
_PLACEHOLDER = re.compile(
    r"&lt;[A-Z][A-Z_]*_[0-9A-Z]+&gt;|\{\{secret:[A-Za-z0-9_.-]+\}\}|&lt;secret&gt;")
PLACEHOLDER_TEXT = re.compile(r"<[A-Z][A-Z_]*_[0-9A-Z]+>|\{\{secret:[A-Za-z0-9_.-]+\}\}|<secret>")

APPROVE, DENY, ALWAYS = "approve", "deny", "always"


def site_of(url: str) -> str:
    """The key "Always for this site" remembers: the host name (ports change between runs)."""
    return (urlparse(url).hostname or url).lower()


def highlight(text: str) -> str:
    """HTML of `text` with every placeholder marked, newlines kept."""
    escaped = html.escape(text, quote=False)
    start, end = placeholder_marks()
    marked = _PLACEHOLDER.sub(lambda m: f"{start}{m.group(0)}{end}", escaped)
    return f'<pre style="white-space:pre-wrap; margin:0">{marked}</pre>'


def payload_html(payload: dict[str, object]) -> str:
    """The payload as the model will read it: the user turn first (it changes every step),
    then the system prompt (the same every step)."""
    parts = [f"<p><b>Model:</b> {html.escape(str(payload.get('model', '?')))} &nbsp; "
             f"<b>max_tokens:</b> {html.escape(str(payload.get('max_tokens', '?')))}</p>"]
    messages = payload.get("messages")
    for message in messages if isinstance(messages, list) else []:
        role = html.escape(str(message.get("role", "?"))) if isinstance(message, dict) else "?"
        content = message.get("content", "") if isinstance(message, dict) else message
        if not isinstance(content, str):
            content = json.dumps(content, indent=2, ensure_ascii=False)
        parts.append(f"<h4>Message ({role})</h4>{highlight(content)}")
    if payload.get("system"):
        parts.append(f"<h4>System prompt</h4>{highlight(str(payload['system']))}")
    return "\n".join(parts)


class ApprovalDialog(QDialog):
    """Approve / Deny / Always for this site, with the exact payload. Esc or close = Deny."""

    decided = Signal(str)

    def __init__(self, request: ApprovalRequest, timeout_s: float,
                 parent: QWidget | None = None, task_label: str = "") -> None:
        super().__init__(parent)
        self.request = request
        self.setWindowTitle("Send this step to the cloud?")
        self.setObjectName("approvalDialog")
        self.resize(760, 620)
        layout = QVBoxLayout(self)
        site = site_of(request.url)
        task = task_label or ("your task" if request.task_id == "adhoc" else request.task_id)
        header = QLabel(
            f"<b>Step {request.step + 1} of “{html.escape(task)}”</b> wants to ask the "
            f"cloud model. This is exactly what would leave this device.<br>"
            f"Page: {html.escape(request.url)}")
        header.setWordWrap(True)
        wrapping(header)
        layout.addWidget(header)

        self.tabs = QTabWidget()
        self.readable = QTextBrowser()
        self.readable.setObjectName("payloadReadable")
        self.readable.setHtml(payload_html(request.payload))
        self.raw = QTextBrowser()
        self.raw.setObjectName("payloadRaw")
        self.raw.setHtml(highlight(json.dumps(request.payload, indent=2, ensure_ascii=False)))
        self.tabs.addTab(self.readable, "What the model reads")
        self.tabs.addTab(self.raw, "Exact JSON")
        layout.addWidget(self.tabs, 1)

        if request.redactions:
            text = ("Replaced before sending (the real values stay on this device): "
                    + ", ".join(request.redactions))
        else:
            text = "Nothing was redacted: the text above is sent as shown."
        self.redactions_label = QLabel(text)
        self.redactions_label.setTextFormat(Qt.TextFormat.PlainText)
        self.redactions_label.setWordWrap(True)
        layout.addWidget(self.redactions_label)
        self.countdown = QLabel()
        layout.addWidget(self.countdown)

        buttons = QDialogButtonBox()
        self.approve_button = QPushButton("&Approve")
        self.deny_button = QPushButton("&Deny (decide on this device)")
        self.always_button = QPushButton(f"Al&ways for {site}")
        buttons.addButton(self.approve_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.always_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.deny_button, QDialogButtonBox.ButtonRole.RejectRole)
        # Enter must not send private data by accident: only Deny may become the default
        for button in (self.approve_button, self.always_button):
            button.setAutoDefault(False)
        self.deny_button.setDefault(True)
        self.deny_button.setFocus()
        layout.addWidget(buttons)
        self.approve_button.clicked.connect(lambda: self.close_with(APPROVE))
        self.always_button.clicked.connect(lambda: self.close_with(ALWAYS))
        self.deny_button.clicked.connect(lambda: self.close_with(DENY))

        self._remaining = max(1, int(round(timeout_s)))
        self._tick()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._timer.start(1000)
        self._answered = False

    def _tick(self) -> None:
        self.countdown.setText(f"No answer in {self._remaining} s counts as Deny.")
        self._remaining -= 1

    def close_with(self, answer: str) -> None:
        """Answer once and close; later calls (a timeout racing a click) do nothing."""
        if self._answered:
            return
        self._answered = True
        self._timer.stop()
        self.decided.emit(answer)
        self.done(QDialog.DialogCode.Accepted if answer != DENY else QDialog.DialogCode.Rejected)

    def reject(self) -> None:  # Esc and the window's close button
        if not self._answered:
            self.close_with(DENY)
            return
        super().reject()


@dataclass
class _Pending:
    request: ApprovalRequest
    event: threading.Event = field(default_factory=threading.Event)
    answer: str = DENY
    dialog: ApprovalDialog | None = None


class ApprovalBroker(QObject):
    """The app's `approver`. Create and keep it in the GUI thread; call it from the worker."""

    _ask = Signal(object)
    _close = Signal(object)
    dialog_opened = Signal(object)  # ApprovalDialog: lets the window (and tests) find it
    answered = Signal(str, str)     # (answer, site)

    def __init__(self, timeout_s: float = 60.0, always_sites: list[str] | None = None,
                 on_always: Callable[[str], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timeout_s = timeout_s
        self.parent_widget = parent
        self._always = frozenset(always_sites or ())
        self._on_always = on_always
        self._lock = threading.Lock()
        self._pending: list[_Pending] = []
        self.dialog: ApprovalDialog | None = None
        self.task_label = ""  # the running task's name, for the dialog's header
        self._ask.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self._close.connect(self._dismiss, Qt.ConnectionType.QueuedConnection)

    def set_always_sites(self, sites: list[str]) -> None:
        self._always = frozenset(sites)  # replaced whole: the worker reads it without a lock

    def __call__(self, request: ApprovalRequest) -> bool:
        """Worker thread: block until the user answers; a timeout is a Deny."""
        if QThread.currentThread() == self.thread():
            raise RuntimeError("the approver must be called from the agent's thread")
        if site_of(request.url) in self._always:
            log.info("cloud request approved: %s is always allowed", site_of(request.url))
            return True
        pending = _Pending(request)
        self._ask.emit(pending)
        if not pending.event.wait(self.timeout_s):
            with self._lock:
                timed_out = not pending.event.is_set()
                if timed_out:
                    pending.answer = DENY
                    pending.event.set()
            if timed_out:
                log.info("approval timed out after %.0f s: denied", self.timeout_s)
                self._close.emit(pending)
        return pending.answer in (APPROVE, ALWAYS)

    def deny_all(self) -> None:
        """GUI thread (Stop, window closing): every open question is answered No."""
        for pending in list(self._pending):
            self._finish(pending, DENY)

    @Slot(object)
    def _show(self, pending: _Pending) -> None:
        if pending.event.is_set():
            return
        dialog = ApprovalDialog(pending.request, self.timeout_s, self.parent_widget,
                                task_label=self.task_label)
        pending.dialog = dialog
        self._pending.append(pending)
        self.dialog = dialog
        dialog.decided.connect(lambda answer: self._finish(pending, answer))
        dialog.finished.connect(lambda _code: self._closed(pending))
        dialog.open()
        self.dialog_opened.emit(dialog)

    @Slot(object)
    def _dismiss(self, pending: _Pending) -> None:
        """The worker stopped waiting (timeout): close the dialog, the answer is already No."""
        if pending.dialog is not None:
            pending.dialog.close_with(DENY)
        self._forget(pending)

    def _finish(self, pending: _Pending, answer: str) -> None:
        with self._lock:
            if pending.event.is_set():
                return
            pending.answer = answer
            pending.event.set()
        site = site_of(pending.request.url)
        if answer == ALWAYS:
            self._always = self._always | {site}
            if self._on_always is not None:
                self._on_always(site)
        if pending.dialog is not None:
            pending.dialog.close_with(answer)
        self._forget(pending)
        self.answered.emit(answer, site)

    def _closed(self, pending: _Pending) -> None:
        if pending.dialog is not None:
            pending.dialog.deleteLater()
        if self.dialog is pending.dialog:
            self.dialog = None
        pending.dialog = None

    def _forget(self, pending: _Pending) -> None:
        if pending in self._pending:
            self._pending.remove(pending)
