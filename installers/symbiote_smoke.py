"""`symbiote smoke`: the bundle's self-test, and what installers/measure.py times.

It opens the real main window (offscreen works: QT_QPA_PLATFORM=offscreen), picks a practice
task, presses Run, lets the on-device model work the task in Chromium, prints each step as the
window lists it, then closes the window the way a user would (settings saved, store closed).
Every line is flushed at once so a caller can timestamp it. The exit code is 0 when an episode
ran to its end and was stored, whatever the model's score: this checks the bundle, not SmolLM2.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

T0 = time.perf_counter()
DEFAULT_TASK = "practice/webmail-logout"


def say(text: str) -> None:
    print(f"[smoke {time.perf_counter() - T0:7.2f} s] {text}", flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="symbiote smoke", description=__doc__.splitlines()[0])
    parser.add_argument("--task", default=DEFAULT_TASK, help="practice task id")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before Stop")
    parser.add_argument("--db", type=Path, default=None, help="trajectory database")
    parser.add_argument("--kb", action="store_true",
                        help="check the knowledge base's stack instead (MiniLM, torch, hnswlib)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.kb:
        return check_knowledge_base()
    task_id = args.task if args.task.startswith("practice/") else "practice/" + args.task

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.qt.windows import MainWindow
    from app.qt.worker import open_vault
    from app.settings import SettingsError, load_settings
    from core.paths import default_db_path, user_data_dir

    app = QApplication.instance() or QApplication(["symbiote"])
    app.setApplicationName("Symbiote")
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"symbiote: error: {exc}", file=sys.stderr)
        return 2
    store_path = args.db or default_db_path()
    window = MainWindow(store_path=store_path, settings=settings, vault=open_vault())
    window.show()
    app.processEvents()
    say(f"window shown (user data dir: {user_data_dir()})")

    panel = window.run_panel
    index = panel.practice_combo.findData(task_id)
    if index < 0:
        known = [panel.practice_combo.itemData(i) for i in range(1, panel.practice_combo.count())]
        print(f"symbiote: error: unknown practice task {task_id!r}; known: {', '.join(known)}",
              file=sys.stderr)
        window.close()
        return 2
    user_mode = panel.mode_combo.currentText()
    panel.practice_combo.setCurrentIndex(index)
    panel.mode_combo.setCurrentText("local")  # on-device only: nothing leaves the machine

    def step_listed(_parent: object, first: int, last: int) -> None:
        for row in range(first, last + 1):
            item = panel.steps.topLevelItem(row)
            if item is not None:
                say(f"step {item.text(0)}: {item.text(1)} {item.text(2)!r} ({item.text(5)})")

    outcome: dict[str, object] = {}

    def finished(result: object) -> None:
        outcome["result"] = result
        panel.mode_combo.setCurrentText(user_mode)  # closing saves the mode: keep the user's
        window.close()

    def too_slow() -> None:
        say(f"timeout after {args.timeout:.0f} s: stopping the run")
        window.stop_run()

    panel.steps.model().rowsInserted.connect(step_listed)
    window.run_finished.connect(finished)
    QTimer.singleShot(int(args.timeout * 1000), too_slow)
    QTimer.singleShot(0, panel.run_button.click)
    say(f"run {task_id} (local mode)")
    app.exec()

    result = outcome.get("result")
    status = panel.status.text()
    if result is None:
        print(f"symbiote: error: the run did not finish: {status}", file=sys.stderr)
        return 1
    episode_id = getattr(result, "episode_id", None)
    say(f"done: {status}")
    say(f"episode {episode_id} outcome {getattr(result, 'outcome', '?')} stored in {store_path}")
    return 0 if episode_id is not None and getattr(result, "outcome", "") != "error" else 1


def check_knowledge_base() -> int:
    """Embeds two intents with MiniLM and asks hnswlib for the one nearer a third: the whole
    stack a bundle with the knowledge base must carry (or the clear error one without it)."""
    import tempfile

    from core.knowledge.service import KnowledgeBase, KnowledgeError

    try:
        with tempfile.TemporaryDirectory(prefix="symbiote-kb-") as tmp:
            kb = KnowledgeBase(Path(tmp) / "kb.hnsw", capacity=8)
            kb.index.add_items(kb.embedder.encode(["sign out of the webmail",
                                                   "buy a water bottle"]), [0, 1])
            say("knowledge base loaded (MiniLM, hnswlib)")
            labels, _ = kb.index.knn_query(kb.embedder.encode(["log out of my email"]), k=1)
    except KnowledgeError as exc:
        print(f"symbiote: error: {exc}", file=sys.stderr)
        return 2
    nearest = int(labels[0][0])
    say(f"knowledge base: nearest to 'log out of my email' is #{nearest}")
    return 0 if nearest == 0 else 1
