"""Small widgets shared by the Run tab and the history replay."""

from __future__ import annotations

from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QIcon, QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QStyle, QWidget

PLACEHOLDER_TEXT = "The page appears here after each step."


class LiveView(QLabel):
    """The page after the latest step, scaled to fit and kept sharp on resize."""

    def __init__(self) -> None:
        super().__init__(PLACEHOLDER_TEXT)
        self.setObjectName("liveView")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(360, 270)
        # Ignored: the pixmap must follow the label's size, never push the layout wider
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setStyleSheet("QLabel#liveView { background: #f3f3f3; border: 1px solid #ccc; }")
        self._pixmap: QPixmap | None = None

    def show_png(self, data: bytes | None) -> None:
        if not data:
            return
        pixmap = QPixmap()
        if pixmap.loadFromData(data, "PNG"):
            self._pixmap = pixmap
            self._rescale()

    def clear_page(self) -> None:
        self._pixmap = None
        self.clear()
        self.setText(PLACEHOLDER_TEXT)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's naming)
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self._pixmap is not None:
            # 2 px short of the frame, or each rescale would grow the label by its border
            size = self.contentsRect().size().shrunkBy(QMargins(1, 1, 1, 1))
            self.setPixmap(self._pixmap.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                                               Qt.TransformationMode.SmoothTransformation))


def route_icon(widget: QWidget, route: str) -> QIcon:
    pixmap = (QStyle.StandardPixmap.SP_DriveNetIcon if route == "cloud"
              else QStyle.StandardPixmap.SP_ComputerIcon)
    return widget.style().standardIcon(pixmap)
