"""`symbiote app`: the desktop app's entry point."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.settings import SettingsError, load_settings
from core.paths import default_db_path

log = logging.getLogger(__name__)


def main(db: Path | None = None, argv: list[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Symbiote")
    app.setStyle("Fusion")  # the same look on every desktop (and under Xvfb)
    from app.qt.theme import follow_system

    follow_system(app)  # light or dark, as the system says, now and when it changes
    app.styleHints().colorSchemeChanged.connect(lambda scheme: follow_system(app, scheme))
    try:
        settings = load_settings()
    except SettingsError as exc:
        QMessageBox.critical(None, "Symbiote", str(exc))
        return 2
    from app.qt.windows import MainWindow
    from app.qt.worker import open_vault

    window = MainWindow(store_path=db or default_db_path(), settings=settings,
                        vault=open_vault())
    window.show()
    # Closing during a run hides the window at once and closes it when the step in flight is
    # done: the app ends then, not when the window disappears.
    app.setQuitOnLastWindowClosed(False)
    window.closed.connect(app.quit)
    # Ctrl-C in the terminal (and SIGTERM) close the window cleanly: the agent stops, the
    # settings are saved. Python runs signal handlers only between bytecodes, so a timer
    # hands control back to the interpreter now and then while Qt's loop runs.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: window.quit_now())
    heartbeat = QTimer()
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(300)
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
