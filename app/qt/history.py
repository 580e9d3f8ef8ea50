"""History: past episodes from the trajectory store, their replay, delete and export.

The replay shows, next to each step, what left the device for it: the cloud_requests rows
`symbiote audit` reads (the exact payload, the placeholders in it, the tokens, the answer).

Export goes through core.store.export (redact_episode, to_chat: the same lines as
`symbiote export`); by default every text is passed through the privacy redactor first, so a
file meant for retraining holds placeholders, not personal data. It runs on a thread of its own
(loading the detector alone takes seconds), with progress and the first redacted lines shown.
"""

from __future__ import annotations

import html
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.qt.dialogs import PLACEHOLDER_TEXT, highlight, payload_html
from app.qt.explain import (
    OUTCOME_WORDS,
    human_error,
    local_time,
    route_words,
    stored_action_text,
    task_name,
)
from app.qt.widgets import FlowLayout, LiveView, StatusLine, dim, route_icon, wrapping
from app.qt.worker import episode_secrets
from core.errors import StoreError, WorkflowError
from core.pricing import Prices, dollars
from core.privacy.boundary import export_redactor
from core.store.export import redact_episode, to_chat
from core.store.service import TrajectoryStore
from core.store.views import EpisodeRecord
from core.workflows.service import WorkflowLibrary, workflow_from_episode

log = logging.getLogger(__name__)

OUTCOMES = ("success", "failure", "unknown", "interrupted", "error", "running")
COLUMNS = ["#", "Started", "Task", "Site", "Mode", "Outcome", "Steps", "Sent to the cloud"]
NARROW_HIDDEN = (0, 3, 4, 6)  # columns a sidebar-wide window leaves out
NARROW = 720
PREVIEW_LINES = 14


@dataclass(frozen=True)
class EpisodeRow:
    id: int
    task_id: str
    intent: str
    site: str
    mode: str
    outcome: str
    started_at: str      # as stored: UTC, ISO 8601
    steps: int
    cloud_steps: int
    requests: int = 0
    tokens: int = 0
    dollars: float | None = 0.0   # None: a model without a price

    @property
    def name(self) -> str:
        return task_name(self.task_id, self.intent, 90)

    @property
    def started(self) -> str:
        return local_time(self.started_at)

    @property
    def sent(self) -> str:
        if not self.requests:
            return "nothing"
        plural = "s" if self.requests != 1 else ""
        return f"{self.requests} request{plural}, {self.tokens:,} tokens, {dollars(self.dollars)}"


def site_of(start_url: str) -> str:
    """The practice sites share one host: name them by their folder (webmail, shop, …)."""
    parsed = urlparse(start_url)
    host = parsed.hostname or ""
    if host in ("localhost", "127.0.0.1"):
        folder = parsed.path.strip("/").split("/", 1)[0]
        return folder or host
    return host or start_url


def episode_rows(store: TrajectoryStore) -> list[EpisodeRow]:
    """One summary row per episode, newest first, without loading observations."""
    totals = store.cloud_request_totals()
    usage = store.cloud_usage()
    prices = Prices.load()
    rows = []
    for r in store.episode_summaries():
        requests, tokens_in, tokens_out = totals.get(r.id, (0, 0, 0))
        rows.append(EpisodeRow(id=r.id, task_id=r.task_id, intent=r.intent,
                               site=site_of(r.start_url), mode=r.mode, outcome=r.outcome,
                               started_at=r.started_at, steps=r.steps,
                               cloud_steps=r.cloud_steps, requests=requests,
                               tokens=tokens_in + tokens_out,
                               dollars=prices.total(usage.get(r.id, []))))
    return rows


# --- the replay -----------------------------------------------------------------------------

def _usage(row: dict[str, object]) -> tuple[str, int, int]:
    def count(value: object) -> int:
        try:
            return int(value or 0)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return 0
    return (str(row.get("model") or ""), count(row.get("input_tokens")),
            count(row.get("output_tokens")))


def _payload(row: dict[str, object]) -> dict[str, object]:
    try:
        data = json.loads(str(row.get("payload") or "{}"))
    except ValueError:
        return {"messages": [{"role": "user", "content": str(row.get("payload"))}]}
    return data if isinstance(data, dict) else {"payload": data}


def request_html(row: dict[str, object]) -> str:
    """One cloud request as `symbiote audit` shows it, readable: where, status, tokens, the
    placeholders in the payload, the payload, the answer."""
    payload = _payload(row)
    raw = json.dumps(payload, ensure_ascii=False)
    placeholders = sorted(set(PLACEHOLDER_TEXT.findall(raw)))
    status = str(row.get("status") or "?")
    said = {"ok": "sent and answered", "sending": "sent, no answer recorded"}.get(
        status, f"sent, failed ({status})")
    parts = [f"<p><b>Request #{row.get('id')}</b> to {html.escape(str(row.get('url', '')))}: "
             f"{html.escape(said)} · {row.get('input_tokens') or 0} input / "
             f"{row.get('output_tokens') or 0} output tokens · "
             f"{dollars(Prices.load().total([_usage(row)]))}</p>"]
    if placeholders:
        parts.append("<p><b>Replaced before sending</b> (the values stayed on this device): "
                     + html.escape(", ".join(placeholders)) + "</p>")
    else:
        parts.append("<p>Nothing was replaced: the text below was sent as shown.</p>")
    parts.append(payload_html(payload))
    if row.get("response"):
        parts.append(f"<h4>The cloud model's answer</h4>{highlight(str(row['response']))}")
    if row.get("error"):
        parts.append(f"<p><b>Error:</b> {html.escape(str(row['error']))}</p>")
    return "\n".join(parts)


class ReplayDialog(QDialog):
    """One episode, step by step: what the agent saw (screenshot), did and why, where it was
    decided, and what it sent to the cloud."""

    def __init__(self, episode: EpisodeRecord, screenshots: dict[int, bytes],
                 parent: QWidget | None = None,
                 requests: list[dict[str, object]] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replayDialog")
        name = task_name(episode.task_id, episode.intent, 60)
        self.setWindowTitle(f"Replay: {name}")
        self.resize(1040, 680)
        self.episode = episode
        self.screenshots = screenshots
        self.requests: dict[int, list[dict[str, object]]] = {}
        for row in requests or []:
            self.requests.setdefault(int(row.get("step_idx") or 0), []).append(row)
        sent = sum(len(v) for v in self.requests.values())
        header = QLabel(f"<b>{html.escape(task_name(episode.task_id, episode.intent, 200))}"
                        f"</b><br>{html.escape(local_time(episode.started_at))} · "
                        f"{episode.mode} mode · "
                        f"<b>{OUTCOME_WORDS.get(episode.outcome, episode.outcome)}</b> · "
                        f"{len(episode.steps)} step(s) · "
                        + (f"{sent} cloud request(s)" if sent else "nothing sent to the cloud")
                        + (f" · answer {html.escape(repr(episode.answer))}"
                           if episode.answer else ""))
        header.setWordWrap(True)
        wrapping(header)
        self.step_list = QListWidget()
        self.step_list.setObjectName("replaySteps")
        self.step_list.setWordWrap(True)
        for step in episode.steps:
            cloud = " · sent to the cloud" if step.idx in self.requests else ""
            item = QListWidgetItem(route_icon(self, step.route),
                                   f"{step.idx + 1}. "
                                   f"{stored_action_text(step.action, step.observation)}{cloud}")
            self.step_list.addItem(item)
        self.view = LiveView()
        self.details = QTextBrowser()
        self.details.setObjectName("replayDetails")
        self.cloud = QTextBrowser()
        self.cloud.setObjectName("replayCloud")
        self.info = QTabWidget()
        self.info.addTab(self.details, "Step")
        self.info.addTab(self.cloud, "Sent to the cloud")
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.view)
        right.addWidget(self.info)
        right.setSizes([420, 220])
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.step_list)
        self.splitter.addWidget(right)
        self.splitter.setSizes([320, 720])
        nav = QHBoxLayout()
        self.prev_button = QPushButton("◀ &Previous")
        self.next_button = QPushButton("&Next ▶")
        close = QPushButton("&Close")
        nav.addWidget(self.prev_button)
        nav.addWidget(self.next_button)
        nav.addStretch(1)
        nav.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(nav)
        self.step_list.currentRowChanged.connect(self.show_step)
        self.prev_button.clicked.connect(lambda: self._move(-1))
        self.next_button.clicked.connect(lambda: self._move(1))
        close.clicked.connect(self.accept)
        if episode.steps:
            self.step_list.setCurrentRow(0)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.splitter.setOrientation(Qt.Orientation.Vertical if self.width() < NARROW
                                     else Qt.Orientation.Horizontal)

    def _move(self, delta: int) -> None:
        row = self.step_list.currentRow() + delta
        if 0 <= row < self.step_list.count():
            self.step_list.setCurrentRow(row)

    def show_step(self, row: int) -> None:
        if not 0 <= row < len(self.episode.steps):
            return
        step = self.episode.steps[row]
        if step.idx in self.screenshots:
            self.view.show_png(self.screenshots[step.idx])
        else:
            self.view.clear_page("No screenshot was stored for this step.")
        categories = sorted({str(f.get("category", "other")) for f in step.findings})
        route, why = route_words(step.route, step.why)
        requests = self.requests.get(step.idx, [])
        rows = [("Page after", step.url_after or step.url), ("Acted on", step.url),
                ("Action", stored_action_text(step.action, step.observation)),
                ("Reason", step.rationale),
                ("Route", f"{route.replace(chr(10), ' ')}: {why} ({step.policy_id})"),
                ("Privacy", ", ".join(categories) or "none"),
                ("Sent to the cloud", f"{len(requests)} request(s): see the next tab"
                 if requests else "nothing"),
                ("Time", f"{step.latency_ms / 1000:.1f} s")]
        if step.error:
            rows.append(("Error", f"{human_error(step.error)} (engine: {step.error})"))
        self.details.setHtml("<table>" + "".join(
            f"<tr><td valign='top'><b>{k}</b>&nbsp;</td><td>{html.escape(v)}</td></tr>"
            for k, v in rows) + "</table>")
        if requests:
            self.cloud.setHtml("<hr>".join(request_html(r) for r in requests))
        else:
            self.cloud.setHtml("<p>Nothing left this device for this step: it was decided "
                               "here.</p>" if step.route != "cloud" else
                               "<p>No request is recorded for this step.</p>")
        self.info.setTabText(1, f"Sent to the cloud ({len(requests)})" if requests
                             else "Sent to the cloud")
        self.prev_button.setEnabled(row > 0)
        self.next_button.setEnabled(row < len(self.episode.steps) - 1)


# --- export ---------------------------------------------------------------------------------

def preview_lines(line: str, limit: int = PREVIEW_LINES) -> str:
    """The first lines of an exported episode as a person reads them: the task, then the
    first step's prompt."""
    data = json.loads(line)
    episode = data.get("episode", {})
    messages = [m for m in data.get("messages", []) if m.get("role") == "user"]
    text = f"Task: {episode.get('intent', '')}\n"
    if episode.get("answer"):
        text += f"Answer: {episode['answer']}\n"
    if messages:
        text += str(messages[0].get("content", ""))
    return "\n".join(text.splitlines()[:limit])


class ExportJob(QThread):
    """Writes episodes as `symbiote export` does, off the GUI thread, to a temporary file that
    replaces `out` only when it is complete."""

    progress = Signal(int, int, str)  # done, total, what it is doing
    preview = Signal(str)             # the first lines of the first episode, as written
    done = Signal(str, int)           # path, episodes written
    failed = Signal(str)

    def __init__(self, store_path: Path, out: Path, ids: list[int], redact: bool,
                 vault: object = None) -> None:
        super().__init__()
        self.store_path, self.out, self.ids = store_path, out, ids
        self.redact, self.vault = redact, vault
        self.cancelled = threading.Event()
        self.count = 0

    def run(self) -> None:  # noqa: D401
        store: TrajectoryStore | None = None
        tmp = self.out.with_name(self.out.name + ".part")
        try:
            store = TrajectoryStore(self.store_path)
            counts = {r.id: r.steps for r in store.episode_summaries()}
            steps = sum(counts.get(i, 0) for i in self.ids) or 1
            redact = None
            if self.redact:
                self.progress.emit(0, steps, "Loading the privacy detector (the first time "
                                             "takes a while)…")
                redact = export_redactor(episode_secrets(self.vault))
            done = 0
            with tmp.open("w", encoding="utf-8") as fh:
                for n, episode in enumerate(store.iter_episodes(self.ids), 1):
                    if self.cancelled.is_set():
                        break
                    if redact is not None:
                        head = redact_episode(episode.model_copy(update={"steps": []}), redact)
                        kept = []
                        for step in episode.steps:
                            if self.cancelled.is_set():
                                break
                            one = episode.model_copy(update={"steps": [step]})
                            kept.append(redact_episode(one, redact).steps[0])
                            done += 1
                            self.progress.emit(done, steps, f"Redacting episode {n} of "
                                               f"{len(self.ids)}, step {step.idx + 1}…")
                        episode = head.model_copy(update={"steps": kept})
                    else:
                        done += len(episode.steps)
                    line = to_chat(episode).model_dump_json()
                    fh.write(line + "\n")
                    self.count += 1
                    if self.count == 1:
                        self.preview.emit(preview_lines(line))
                    self.progress.emit(done, steps, f"Wrote {self.count} of {len(self.ids)} "
                                                    "episode(s)…")
            if self.cancelled.is_set():
                tmp.unlink(missing_ok=True)
                self.failed.emit("Export cancelled: nothing was written.")
                return
            os.replace(tmp, self.out)
            self.done.emit(str(self.out), self.count)
        except StoreError as exc:
            self.failed.emit(str(exc))
        except OSError as exc:
            self.failed.emit(f"cannot write {self.out}: {exc.strerror}")
        except Exception as exc:  # the program's fault: logged, and one line for the user
            log.exception("export failed")
            self.failed.emit(f"export failed ({type(exc).__name__}); see the log")
        finally:
            if store is not None:
                store.close()
            if tmp.exists() and self.count == 0:
                tmp.unlink(missing_ok=True)


class HistoryPanel(QWidget):
    exported = Signal(str, int)  # (path, episodes)
    workflow_saved = Signal(str)  # the new workflow's name

    def __init__(self, store_path: Path, vault: object = None) -> None:
        super().__init__()
        self.store_path = store_path
        self.vault = vault
        self._store: TrajectoryStore | None = None
        self._rows: list[EpisodeRow] = []
        self.replay: ReplayDialog | None = None
        self.job: ExportJob | None = None

        self.task_filter = QLineEdit()
        self.task_filter.setPlaceholderText("Filter by task…")
        self.task_filter.setClearButtonEnabled(True)
        self.site_filter = QComboBox()
        self.outcome_filter = QComboBox()
        self.outcome_filter.addItem("All outcomes", None)
        for outcome in OUTCOMES:
            self.outcome_filter.addItem(OUTCOME_WORDS[outcome], outcome)
        filter_row = QWidget()
        filters = FlowLayout(filter_row)
        for label, combo in (("S&ite:", self.site_filter), ("Out&come:", self.outcome_filter)):
            box = QWidget()
            row = QHBoxLayout(box)
            row.setContentsMargins(0, 0, 0, 0)
            text = QLabel(label)
            text.setBuddy(combo)
            row.addWidget(text)
            row.addWidget(combo)
            filters.addWidget(box)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("historyTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        for col in range(len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

        self.open_button = QPushButton("&Open replay")
        self.delete_button = QPushButton("&Delete")
        self.redact_check = QCheckBox("Redact personal d&ata")
        self.redact_check.setChecked(True)
        self.redact_check.setToolTip("Names, contacts, card numbers, … become placeholders "
                                     "such as <EMAIL_7QX2> in the exported file.")
        self.export_button = QPushButton("E&xport selected…")
        self.workflow_button = QPushButton("Save as wor&kflow…")
        self.workflow_button.setToolTip("Replay this finished episode later with no model, "
                                        "its typed values as parameters.")
        action_row = QWidget()
        actions = FlowLayout(action_row)
        for widget in (self.open_button, self.workflow_button, self.delete_button,
                       self.redact_check, self.export_button):
            actions.addWidget(widget)

        self.export_box = QGroupBox("Export")
        self.export_box.setObjectName("exportBox")
        self.export_progress = QProgressBar()
        self.export_progress.setObjectName("exportProgress")
        self.export_label = QLabel()
        self.export_label.setWordWrap(True)
        wrapping(self.export_label)
        self.export_preview = QTextBrowser()
        self.export_preview.setObjectName("exportPreview")
        self.export_preview.setMaximumHeight(180)
        self.export_preview.hide()
        self.cancel_export = QPushButton("Cancel export")
        self.cancel_export.clicked.connect(self._cancel_export)
        box = QVBoxLayout(self.export_box)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.export_progress, 1)
        progress_row.addWidget(self.cancel_export)
        box.addLayout(progress_row)
        box.addWidget(self.export_label)
        box.addWidget(dim(QLabel("The first lines of the file, as written:")))
        box.addWidget(self.export_preview)
        self.export_box.hide()
        self.status = StatusLine()

        layout = QVBoxLayout(self)
        layout.addWidget(self.task_filter)
        layout.addWidget(filter_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(action_row)
        layout.addWidget(self.export_box)
        layout.addWidget(self.status)
        self.task_filter.textChanged.connect(self._fill)
        self.site_filter.currentIndexChanged.connect(self._fill)
        self.outcome_filter.currentIndexChanged.connect(self._fill)
        self.table.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self.open_button.clicked.connect(self.open_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.export_button.clicked.connect(self._ask_export)
        self.workflow_button.clicked.connect(lambda: self.save_as_workflow())
        self._narrow: bool | None = None

    @property
    def store(self) -> TrajectoryStore:
        if self._store is None:
            self._store = TrajectoryStore(self.store_path)
        return self._store

    def close_store(self) -> None:
        if self.job is not None and self.job.isRunning():
            self.job.cancelled.set()
            self.job.wait(10000)
        if self._store is not None:
            self._store.close()
            self._store = None

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        narrow = self.width() < NARROW
        if narrow != self._narrow:
            self._narrow = narrow
            for col in NARROW_HIDDEN:
                self.table.setColumnHidden(col, narrow)

    # --- listing ----------------------------------------------------------------------------

    def refresh(self) -> None:
        try:
            self._rows = episode_rows(self.store)
        except StoreError as exc:
            self._say(str(exc), error=True)
            return
        current = self.site_filter.currentData()
        self.site_filter.blockSignals(True)
        self.site_filter.clear()
        self.site_filter.addItem("All sites", None)
        for site in sorted({r.site for r in self._rows}):
            self.site_filter.addItem(site, site)
        index = self.site_filter.findData(current)
        self.site_filter.setCurrentIndex(max(index, 0))
        self.site_filter.blockSignals(False)
        self._fill()

    def visible_rows(self) -> list[EpisodeRow]:
        text = self.task_filter.text().strip().lower()
        site, outcome = self.site_filter.currentData(), self.outcome_filter.currentData()
        return [r for r in self._rows
                if (not text or text in r.task_id.lower() or text in r.intent.lower())
                and (site is None or r.site == site)
                and (outcome is None or r.outcome == outcome)]

    def _fill(self) -> None:
        rows = self.visible_rows()
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            values = [str(row.id), row.started, row.name, row.site, row.mode,
                      OUTCOME_WORDS.get(row.outcome, row.outcome), str(row.steps), row.sent]
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, row.id)
                if col == 1:
                    item.setToolTip(f"{row.started_at} (UTC)")
                elif col == 2:
                    item.setToolTip(row.intent)
                elif col == 7:
                    item.setToolTip("What left this device: the requests `symbiote audit` "
                                    "lists. Open the replay to read each one.")
                self.table.setItem(i, col, item)
        self._say(f"{len(rows)} of {len(self._rows)} episode(s) shown.")

    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [int(self.table.item(r, 0).data(Qt.ItemDataRole.UserRole)) for r in rows]

    def select_ids(self, ids: list[int]) -> None:
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for r in range(self.table.rowCount()):
            if int(self.table.item(r, 0).data(Qt.ItemDataRole.UserRole)) in ids:
                self.table.selectRow(r)
        self.table.setSelectionMode(mode)

    # --- actions ----------------------------------------------------------------------------

    def open_selected(self) -> ReplayDialog | None:
        ids = self.selected_ids()
        if not ids:
            self._say("Select an episode to replay.", error=True)
            return None
        try:
            episode = self.store.episode(ids[0])
            shots = self.store.screenshots(ids[0])
            requests = self.store.cloud_requests(ids[0])
        except StoreError as exc:
            self._say(str(exc), error=True)
            return None
        self.replay = ReplayDialog(episode, shots, self, requests=requests)
        self.replay.show()
        return self.replay

    def save_as_workflow(self, name: str | None = None,
                         library: WorkflowLibrary | None = None) -> Path | None:
        """The selected finished episode as a workflow (`name` asked for when not given)."""
        ids = self.selected_ids()
        if not ids:
            self._say("Select a finished episode to save as a workflow.", error=True)
            return None
        if name is None:
            name, ok = QInputDialog.getText(self, "Save as workflow", "Workflow name:")
            if not ok or not name.strip():
                return None
        try:
            workflow = workflow_from_episode(self.store.episode(ids[0]), name.strip())
            path = (library or WorkflowLibrary()).save(workflow)
        except (StoreError, WorkflowError) as exc:
            self._say(str(exc)[:1].upper() + str(exc)[1:] + ".", error=True)
            return None
        params = ", ".join(workflow.params) or "none"
        self._say(f"Saved workflow “{workflow.name}” ({len(workflow.steps)} steps, "
                  f"parameters: {params}). Run it from the Workflows tab.")
        self.workflow_saved.emit(workflow.name)
        return path

    def delete_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        answer = QMessageBox.question(
            self, "Delete episodes",
            f"Delete {len(ids)} episode(s), their steps and screenshots? This cannot be undone.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        for episode_id in ids:
            self.store.delete_episode(episode_id)
        self._say(f"Deleted {len(ids)} episode(s).")
        self.refresh()

    def _ask_export(self) -> None:
        ids = self.selected_ids()
        if not ids:
            self._say("Select the episodes to export (Ctrl/Shift-click for several).", error=True)
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export episodes",
                                              str(Path.home() / "symbiote-episodes.jsonl"),
                                              "JSON Lines (*.jsonl)")
        if path:
            self.export(Path(path), ids)

    def export(self, out: Path, ids: list[int]) -> ExportJob | None:
        """Start writing `ids` to `out` on a thread of its own; `exported` says when it is
        done. Returns the job (None when one is still running)."""
        if self.job is not None and self.job.isRunning():
            self._say("An export is still running.", error=True)
            return None
        redact = self.redact_check.isChecked()
        job = ExportJob(self.store_path, out, ids, redact, self.vault)
        job.progress.connect(self._export_progress)
        job.preview.connect(self._export_preview)
        job.done.connect(self._export_done)
        job.failed.connect(self._export_failed)
        self.job = job
        self.export_progress.setRange(0, 0)
        self.export_label.setText(f"Exporting {len(ids)} episode(s) to {out}"
                                  + (", redacted…" if redact else ", as stored…"))
        self.export_preview.clear()
        self.export_preview.hide()
        self.export_box.show()
        self.cancel_export.show()
        self.export_button.setEnabled(False)
        job.start()
        return job

    def _export_progress(self, done: int, total: int, text: str) -> None:
        if done:
            self.export_progress.setRange(0, total)
            self.export_progress.setValue(done)
        self.export_label.setText(text)

    def _export_preview(self, text: str) -> None:
        self.export_preview.setHtml(highlight(text))
        self.export_preview.show()

    def _export_done(self, path: str, count: int) -> None:
        job = self.job
        how = "redacted" if job is not None and job.redact else "as stored"
        self.export_progress.setRange(0, 1)
        self.export_progress.setValue(1)
        self.export_label.setText(f"Exported {count} episode(s) to {path} ({how}).")
        self.cancel_export.hide()
        self.export_button.setEnabled(True)
        self._say(f"Exported {count} episode(s) to {path} ({how}).")
        self.exported.emit(path, count)

    def _export_failed(self, message: str) -> None:
        self.export_label.setText(message)
        self.export_progress.setRange(0, 1)
        self.export_progress.setValue(0)
        self.cancel_export.hide()
        self.export_button.setEnabled(True)
        self._say(message, error=True)

    def _cancel_export(self) -> None:
        if self.job is not None:
            self.job.cancelled.set()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.say(text, error=error)
