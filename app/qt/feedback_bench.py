"""How long Run takes to show something: `python -m app.qt.feedback_bench [--runs 5]`.

On the real window (offscreen unless a display is set), with real Chromium, the app's own
router (the active on-device model) and a practice task in local mode. Each run opens a fresh
window, as the app starts; the clock starts just before the click on Run (QTest.mouseClick)
and stops when the live view has set the start page's pixmap (LiveView.shown, emitted right
after setPixmap, in the GUI thread). Then the run is stopped and the window closed.

Two figures, each the median over the runs:
- "ready": Run pressed once the window's spare Chromium is waiting (it starts with the window;
  a user choosing a task takes longer than that). This is the figure with the target.
- "cold": Run pressed the moment the window is shown, before the spare is up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 1.5


def _wait(app, done, timeout_s: float) -> bool:  # type: ignore[no-untyped-def]
    end = time.perf_counter() + timeout_s
    while not done():
        if time.perf_counter() > end:
            return False
        app.processEvents()
        time.sleep(0.002)
    return True


def one_run(app, task_id: str, data: Path, *, cold: bool) -> float:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from app.qt.windows import MainWindow
    from app.settings import AppSettings

    window = MainWindow(store_path=data / "episodes.db", settings=AppSettings(),
                        settings_file=data / "settings.json")
    window.show()
    _wait(app, window.isVisible, 10)
    panel = window.run_panel
    panel.practice_combo.setCurrentIndex(panel.practice_combo.findData(task_id))
    panel.mode_combo.setCurrentText("local")
    if not cold and not _wait(app, lambda: window.host.spare_waiting, 60):
        raise SystemExit(f"feedback_bench: no browser: {window.host.launch_error}")
    shown: list[float] = []
    panel.live.shown.connect(lambda: shown.append(time.perf_counter()) if not shown else None)
    finished: list[object] = []
    window.run_finished.connect(finished.append)
    t0 = time.perf_counter()
    QTest.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    if not _wait(app, lambda: bool(shown), 60):
        raise SystemExit("feedback_bench: the start page never appeared: "
                         + panel.status.text())
    elapsed = shown[0] - t0
    window.stop_run()
    _wait(app, lambda: bool(finished), 120)
    window.quit_now()
    _wait(app, lambda: window._closed, 30)  # noqa: SLF001 (the bench owns the window)
    window.deleteLater()
    app.processEvents()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.qt.feedback_bench",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--task", default="practice/shop-open-product")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold figure")
    args = parser.parse_args(argv)
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    results: dict[str, list[float]] = {"ready": [], "cold": []}
    kinds = ["ready"] + ([] if args.no_cold else ["cold"])
    with tempfile.TemporaryDirectory(prefix="symbiote-bench-") as tmp:
        for kind in kinds:
            for i in range(args.runs):
                data = Path(tmp) / f"{kind}-{i}"
                data.mkdir()
                seconds = one_run(app, args.task, data, cold=kind == "cold")
                results[kind].append(seconds)
                print(f"{kind} run {i + 1}: {seconds:.3f} s", flush=True)
    ready = statistics.median(results["ready"])
    print(f"Run → start page shown ({args.task}, local mode, real window and Chromium, "
          f"median of {args.runs}): {ready:.2f} s with the spare browser ready "
          f"(target ≤ {TARGET_S} s: {'met' if ready <= TARGET_S else 'NOT met'})")
    if results["cold"]:
        print(f"  cold (Run the moment the window appears): "
              f"{statistics.median(results['cold']):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
