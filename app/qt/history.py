"""History: past episodes from the trajectory store, their replay, delete and export.

Export goes through core.store.service.export_jsonl; by default every text is passed through the
privacy redactor first, so a file meant for retraining holds placeholders, not personal data.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.qt.widgets import LiveView, route_icon
from app.qt.worker import episode_secrets
from core.errors import StoreError
from core.privacy.boundary import export_redactor
from core.store.export import export_jsonl
from core.store.service import TrajectoryStore
from core.store.views import EpisodeRecord

log = logging.getLogger(__name__)

OUTCOMES = ("success", "failure", "unknown", "interrupted", "error", "running")
COLUMNS = ["#", "Started (UTC)", "Task", "Site", "Mode", "Outcome", "Steps", "Cloud"]


@dataclass(frozen=True)
class EpisodeRow:
    id: int
    task_id: str
    intent: str
    site: str
    mode: str
    outcome: str
    started_at: str
    steps: int
    cloud_steps: int


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
    return [EpisodeRow(id=r.id, task_id=r.task_id, intent=r.intent, site=site_of(r.start_url),
                       mode=r.mode, outcome=r.outcome, started_at=r.started_at[:19].replace(
                           "T", " "), steps=r.steps, cloud_steps=r.cloud_steps)
            for r in store.episode_summaries()]


class ReplayDialog(QDialog):
    """One episode, step by step: what the agent saw (screenshot), did and why, and where."""

    def __init__(self, episode: EpisodeRecord, screenshots: dict[int, bytes],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replayDialog")
        self.setWindowTitle(f"Episode {episode.id}: {episode.task_id}")
        self.resize(1040, 680)
        self.episode = episode
        self.screenshots = screenshots
        header = QLabel(f"<b>{html.escape(episode.intent)}</b><br>{episode.mode} mode · "
                        f"outcome <b>{episode.outcome}</b> · {len(episode.steps)} step(s)"
                        + (f" · answer {html.escape(repr(episode.answer))}"
                           if episode.answer else ""))
        header.setWordWrap(True)
        self.step_list = QListWidget()
        self.step_list.setObjectName("replaySteps")
        for step in episode.steps:
            item = QListWidgetItem(route_icon(self, step.route),
                                   f"{step.idx + 1}. {step.action}")
            self.step_list.addItem(item)
        self.view = LiveView()
        self.details = QTextBrowser()
        self.details.setMaximumHeight(150)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.view, 1)
        right_layout.addWidget(self.details)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.step_list)
        splitter.addWidget(right)
        splitter.setSizes([320, 720])
        nav = QHBoxLayout()
        self.prev_button = QPushButton("◀ Previous")
        self.next_button = QPushButton("Next ▶")
        close = QPushButton("Close")
        nav.addWidget(self.prev_button)
        nav.addWidget(self.next_button)
        nav.addStretch(1)
        nav.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(splitter, 1)
        layout.addLayout(nav)
        self.step_list.currentRowChanged.connect(self.show_step)
        self.prev_button.clicked.connect(lambda: self._move(-1))
        self.next_button.clicked.connect(lambda: self._move(1))
        close.clicked.connect(self.accept)
        if episode.steps:
            self.step_list.setCurrentRow(0)

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
            self.view.clear_page()
            self.view.setText("No screenshot was stored for this step.")
        categories = sorted({str(f.get("category", "other")) for f in step.findings})
        route = "cloud" if step.route == "cloud" else "on-device"
        rows = [("Page", step.url), ("Action", step.action), ("Reason", step.rationale),
                ("Route", f"{route} ({step.policy_id})"),
                ("Privacy", ", ".join(categories) or "none"),
                ("Latency", f"{step.latency_ms:.0f} ms")]
        if step.error:
            rows.append(("Error", step.error))
        self.details.setHtml("<table>" + "".join(
            f"<tr><td><b>{k}</b>&nbsp;</td><td>{html.escape(v)}</td></tr>" for k, v in rows)
            + "</table>")
        self.prev_button.setEnabled(row > 0)
        self.next_button.setEnabled(row < len(self.episode.steps) - 1)


class HistoryPanel(QWidget):
    exported = Signal(str, int)  # (path, episodes)

    def __init__(self, store_path: Path, vault: object = None) -> None:
        super().__init__()
        self.store_path = store_path
        self.vault = vault
        self._store: TrajectoryStore | None = None
        self._rows: list[EpisodeRow] = []
        self.replay: ReplayDialog | None = None

        filters = QHBoxLayout()
        self.task_filter = QLineEdit()
        self.task_filter.setPlaceholderText("Filter by task…")
        self.site_filter = QComboBox()
        self.outcome_filter = QComboBox()
        self.outcome_filter.addItem("All outcomes", None)
        for outcome in OUTCOMES:
            self.outcome_filter.addItem(outcome, outcome)
        filters.addWidget(self.task_filter, 2)
        filters.addWidget(QLabel("Site:"))
        filters.addWidget(self.site_filter, 1)
        filters.addWidget(QLabel("Outcome:"))
        filters.addWidget(self.outcome_filter, 1)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("historyTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        for col in range(len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

        actions = QHBoxLayout()
        self.open_button = QPushButton("Open replay")
        self.delete_button = QPushButton("Delete")
        self.redact_check = QCheckBox("Redact personal data")
        self.redact_check.setChecked(True)
        self.redact_check.setToolTip("Names, contacts, card numbers, … become placeholders "
                                     "such as <EMAIL_1> in the exported file.")
        self.export_button = QPushButton("Export selected…")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        actions.addWidget(self.open_button)
        actions.addWidget(self.delete_button)
        actions.addStretch(1)
        actions.addWidget(self.redact_check)
        actions.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.status)
        self.task_filter.textChanged.connect(self._fill)
        self.site_filter.currentIndexChanged.connect(self._fill)
        self.outcome_filter.currentIndexChanged.connect(self._fill)
        self.table.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self.open_button.clicked.connect(self.open_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.export_button.clicked.connect(self._ask_export)

    @property
    def store(self) -> TrajectoryStore:
        if self._store is None:
            self._store = TrajectoryStore(self.store_path)
        return self._store

    def close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

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
            values = [str(row.id), row.started_at, f"{row.task_id}: {row.intent}", row.site,
                      row.mode, row.outcome, str(row.steps), str(row.cloud_steps)]
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, row.id)
                if col == 2:
                    item.setToolTip(row.intent)
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
        except StoreError as exc:
            self._say(str(exc), error=True)
            return None
        self.replay = ReplayDialog(episode, shots, self)
        self.replay.show()
        return self.replay

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

    def export(self, out: Path, ids: list[int]) -> int:
        """Write `ids` to `out`; returns the count (0 and a message on failure)."""
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            redact = (export_redactor(episode_secrets(self.vault))
                      if self.redact_check.isChecked() else None)
            count = export_jsonl(self.store, out, ids, redact=redact)
        except StoreError as exc:
            self._say(str(exc), error=True)
            return 0
        except OSError as exc:
            self._say(f"cannot write {out}: {exc.strerror}", error=True)
            return 0
        finally:
            QGuiApplication.restoreOverrideCursor()
        how = "redacted" if redact is not None else "as stored"
        self._say(f"Exported {count} episode(s) to {out} ({how}).")
        self.exported.emit(str(out), count)
        return count

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #b00020" if error else "")
