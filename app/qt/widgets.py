"""Small widgets shared by the tabs and the replay: the page view, a wrapping row of buttons,
the banner, the result card, the running line and a status line. Colours come from the
palette only (app.qt.theme), so they follow the system's light or dark theme."""

from __future__ import annotations

from PySide6.QtCore import (
    QMargins,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QIcon, QPalette, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QProgressBar,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

PLACEHOLDER_TEXT = "The page appears here as soon as the run starts."
Role = QPalette.ColorRole


def wrapping(label: QLabel) -> QLabel:
    """A label that wraps and may be as narrow as its column: it never widens the window,
    and its height follows its width (the policy keeps height-for-width, which a plain
    `setSizePolicy` would drop, cutting the text or leaving gaps)."""
    label.setWordWrap(True)
    policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    policy.setHeightForWidth(True)
    label.setSizePolicy(policy)
    return label


def dim(label: QLabel) -> QLabel:
    """Secondary text: the palette's placeholder colour, readable on light and dark."""
    label.setForegroundRole(Role.PlaceholderText)
    return label


def standard_icon(widget: QWidget, which: QStyle.StandardPixmap) -> QIcon:
    return widget.style().standardIcon(which)


class LiveView(QLabel):
    """The page, scaled to fit and kept sharp on resize. `shown` fires when a page is set."""

    shown = Signal()

    def __init__(self) -> None:
        super().__init__(PLACEHOLDER_TEXT)
        self.setObjectName("liveView")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setMinimumSize(200, 150)
        # Ignored: the pixmap must follow the label's size, never push the layout wider
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(Role.Base)
        self.setForegroundRole(Role.PlaceholderText)
        self._pixmap: QPixmap | None = None

    def show_png(self, data: bytes | None) -> bool:
        if not data:
            return False
        pixmap = QPixmap()
        if not pixmap.loadFromData(data, "PNG"):
            return False
        self._pixmap = pixmap
        self._rescale()
        self.shown.emit()
        return True

    def has_page(self) -> bool:
        return self._pixmap is not None

    def page_image(self):  # type: ignore[no-untyped-def]
        """The full-size page shown now (tests compare it with a step's screenshot)."""
        return self._pixmap.toImage() if self._pixmap is not None else None

    def clear_page(self, text: str = PLACEHOLDER_TEXT) -> None:
        self._pixmap = None
        self.clear()
        self.setText(text)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's naming)
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self._pixmap is not None:
            # 2 px short of the frame, or each rescale would grow the label by its border
            size = self.contentsRect().size().shrunkBy(QMargins(1, 1, 1, 1))
            self.setPixmap(self._pixmap.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                                               Qt.TransformationMode.SmoothTransformation))


class WrapDelegate(QStyledItemDelegate):
    """Row heights for wrapped text measured at the column's width: Qt's own delegate
    measures without a width (only the explicit lines count) and wraps only when it paints,
    which cut the last lines off."""

    def __init__(self, view: QTreeView) -> None:
        super().__init__(view)
        self.view = view

    def sizeHint(self, option: QStyleOptionViewItem,  # noqa: N802
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        width = self.view.header().sectionSize(index.column())
        if width > 0:
            opt.rect = QRect(0, 0, width, 1000)  # valid: Qt wraps only in a valid rect
            opt.features |= QStyleOptionViewItem.ViewItemFeature.WrapText
        style = self.view.style()
        return style.sizeFromContents(QStyle.ContentsType.CT_ItemViewItem, opt, QSize(),
                                      self.view)


def route_icon(widget: QWidget, route: str) -> QIcon:
    pixmap = (QStyle.StandardPixmap.SP_DriveNetIcon if route == "cloud"
              else QStyle.StandardPixmap.SP_DirHomeIcon if route == "user"
              else QStyle.StandardPixmap.SP_ComputerIcon)
    return widget.style().standardIcon(pixmap)


class FlowLayout(QLayout):
    """Items left to right, wrapping to the next line when the width runs out: a row of
    buttons that survives a narrow window and a large font."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:  # noqa: N802
        width = sum(i.sizeHint().width() for i in self._items if not i.isEmpty())
        width += self._spacing * max(0, len(self._items) - 1)
        height = max((i.sizeHint().height() for i in self._items), default=0)
        m = self.contentsMargins()
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line = area.x(), area.y(), 0
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint()
            width = min(hint.width(), area.width())
            if x > area.x() and x + width > area.right() + 1:
                x, y, line = area.x(), y + line + self._spacing, 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), QSize(width, hint.height())))
            x += width + self._spacing
            line = max(line, hint.height())
        return y + line - rect.y() + m.bottom()


class Banner(QFrame):
    """A notice across the panel with links (`linkActivated` gives the link's href)."""

    linkActivated = Signal(str)  # noqa: N815 (Qt's naming)

    def __init__(self, object_name: str) -> None:
        super().__init__()
        self.setObjectName(object_name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(Role.AlternateBase)
        icon = QLabel()
        icon.setPixmap(standard_icon(self, QStyle.StandardPixmap.SP_MessageBoxWarning)
                       .pixmap(24, 24))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                           | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.label.linkActivated.connect(self.linkActivated)
        wrapping(self.label)
        layout = QHBoxLayout(self)
        layout.addWidget(icon)
        layout.addWidget(self.label, 1)
        self.hide()

    def say(self, html: str) -> None:
        self.label.setText(html)
        self.show()

    def text(self) -> str:
        return self.label.text()


class ResultCard(QFrame):
    """How a run ended: the verdict, the answer, and why it failed."""

    ICONS = {"success": QStyle.StandardPixmap.SP_DialogApplyButton,
             "failure": QStyle.StandardPixmap.SP_MessageBoxCritical,
             "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
             "interrupted": QStyle.StandardPixmap.SP_MessageBoxWarning,
             "unknown": QStyle.StandardPixmap.SP_MessageBoxInformation}

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("resultCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(Role.AlternateBase)
        self.icon = QLabel()
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.headline = QLabel()
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        self.headline.setWordWrap(True)
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.PlainText)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for label in (self.headline, self.body):
            wrapping(label)
        texts = QVBoxLayout()
        texts.addWidget(self.headline)
        texts.addWidget(self.body)
        layout = QHBoxLayout(self)
        layout.addWidget(self.icon)
        layout.addLayout(texts, 1)
        self.outcome = ""
        self.hide()

    def show_result(self, outcome: str, headline: str, body: str) -> None:
        self.outcome = outcome
        which = self.ICONS.get(outcome, QStyle.StandardPixmap.SP_MessageBoxInformation)
        self.icon.setPixmap(standard_icon(self, which).pixmap(32, 32))
        self.headline.setText(headline)
        self.body.setText(body)
        self.body.setVisible(bool(body))
        self.show()

    def text(self) -> str:
        return self.headline.text() + "\n" + self.body.text()


class ActivityLine(QWidget):
    """While a run goes on: a busy bar and what it is doing ("Thinking… step 3/15, 6 s").
    Idle, it is empty but keeps its place (the buttons beside it do not move)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("activity")
        self.bar = QProgressBar()
        self.bar.setObjectName("busyBar")
        self.bar.setRange(0, 0)  # no known end: Qt animates it as busy
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(80)
        self.label = QLabel()
        self.label.setObjectName("activityText")
        self.label.setWordWrap(True)
        wrapping(self.label)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.label, 1)
        self.idle()

    def say(self, text: str) -> None:
        self.label.setText(text)
        self.bar.show()

    def idle(self) -> None:
        self.label.setText("")
        self.bar.hide()

    def busy(self) -> bool:
        return self.bar.isVisible()

    def text(self) -> str:
        return self.label.text()


class StatusLine(QWidget):
    """One line of status; an error gets a warning icon (not a colour of its own)."""

    def __init__(self, object_name: str = "") -> None:
        super().__init__()
        self.icon = QLabel()
        self.icon.setPixmap(standard_icon(self, QStyle.StandardPixmap.SP_MessageBoxWarning)
                            .pixmap(16, 16))
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.icon.hide()
        self.label = QLabel()
        if object_name:
            self.label.setObjectName(object_name)
        self.label.setWordWrap(True)
        wrapping(self.label)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.icon)
        layout.addWidget(self.label, 1)
        self.error = False

    def say(self, text: str, *, error: bool = False) -> None:
        self.label.setText(text)
        self.error = error
        self.icon.setVisible(error and bool(text))

    def text(self) -> str:
        return self.label.text()

    def setText(self, text: str) -> None:  # noqa: N802 (QLabel's name, for old callers)
        self.say(text)
