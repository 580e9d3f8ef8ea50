"""Colours from the palette only, and the palette from the system's light/dark choice.

The window never names a colour of its own: text, backgrounds and frames use palette roles, so a
dark desktop gives a dark window. Fusion (the app's style, the same everywhere) takes the
platform's palette where the platform theme provides one; where it only says "dark" (or under
Xvfb, where nothing says anything) `follow_system` builds Fusion's dark palette.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

Role = QPalette.ColorRole


def luminance(color: QColor) -> float:
    """WCAG relative luminance."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    return (0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF())
            + 0.0722 * channel(color.blueF()))


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio (1 … 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def is_dark(palette: QPalette) -> bool:
    return palette.color(Role.Window).lightness() < 128


def dark_palette() -> QPalette:
    """Fusion's usual dark palette (the one Qt's examples and most desktops use)."""
    p = QPalette()
    window, base, text = QColor(45, 45, 48), QColor(30, 30, 32), QColor(230, 230, 230)
    for role, color in [
        (Role.Window, window), (Role.WindowText, text), (Role.Base, base),
        (Role.AlternateBase, QColor(40, 40, 43)), (Role.ToolTipBase, QColor(60, 60, 64)),
        (Role.ToolTipText, text), (Role.Text, text), (Role.Button, QColor(55, 55, 58)),
        (Role.ButtonText, text), (Role.BrightText, QColor(255, 110, 110)),
        (Role.Link, QColor(120, 170, 255)), (Role.LinkVisited, QColor(180, 150, 255)),
        (Role.Highlight, QColor(50, 110, 200)), (Role.HighlightedText, QColor(255, 255, 255)),
        (Role.PlaceholderText, QColor(160, 160, 165)), (Role.Light, QColor(75, 75, 80)),
        (Role.Midlight, QColor(62, 62, 66)), (Role.Mid, QColor(50, 50, 53)),
        (Role.Dark, QColor(25, 25, 27)), (Role.Shadow, QColor(0, 0, 0)),
    ]:
        p.setColor(role, color)
    for role in (Role.WindowText, Role.Text, Role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 125))
    return p


def follow_system(app: QGuiApplication, scheme: Qt.ColorScheme | None = None) -> None:
    """Dark when the system says dark and the platform gave no dark palette; light again when
    it says light. Called at start and whenever the system's colour scheme changes (`scheme`:
    the new one; by default what the platform says now)."""
    scheme = app.styleHints().colorScheme() if scheme is None else scheme
    palette = app.palette()
    if scheme == Qt.ColorScheme.Dark and not is_dark(palette):
        app.setPalette(dark_palette())
    elif scheme == Qt.ColorScheme.Light and is_dark(palette):
        app.setPalette(app.style().standardPalette() if hasattr(app, "style") else QPalette())


def placeholder_marks(palette: QPalette | None = None) -> tuple[str, str]:
    """HTML around a placeholder in a payload: the palette's selection colours."""
    palette = palette or QGuiApplication.palette()
    bg, fg = palette.color(Role.Highlight).name(), palette.color(Role.HighlightedText).name()
    return (f'<span style="background-color:{bg}; color:{fg}; font-weight:bold">', "</span>")
