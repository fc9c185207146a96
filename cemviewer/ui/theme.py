"""Dark theme: reading rooms are dim, and a bright frame around a mammogram dazzles and hides faint contrast."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

IMAGE_BACKGROUND = "#000000"
TEXT = "#d8d8d8"
DIM_TEXT = "#8a8a8a"
ACCENT = "#e0a030"  # current view, linked cursor: visible on grey anatomy without looking like a finding
ERROR = "#e06060"

_PALETTE = {
    QPalette.ColorRole.Window: "#1e1e1e",
    QPalette.ColorRole.WindowText: TEXT,
    QPalette.ColorRole.Base: "#161616",
    QPalette.ColorRole.AlternateBase: "#202020",
    QPalette.ColorRole.Text: TEXT,
    QPalette.ColorRole.Button: "#2a2a2a",
    QPalette.ColorRole.ButtonText: TEXT,
    QPalette.ColorRole.ToolTipBase: "#2a2a2a",
    QPalette.ColorRole.ToolTipText: TEXT,
    QPalette.ColorRole.Highlight: "#5a4520",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.PlaceholderText: DIM_TEXT,
    QPalette.ColorRole.Link: ACCENT,
}

_STYLE = f"""
QMainWindow::separator {{ background: #101010; width: 3px; height: 3px; }}
QDockWidget {{ color: {DIM_TEXT}; }}
QDockWidget::title {{ background: #181818; padding: 3px 6px; }}
QStatusBar {{ background: #141414; color: {TEXT}; }}
QStatusBar QLabel {{ padding: 0 6px; }}
QProgressBar {{ border: 1px solid #333; background: #181818; color: {TEXT}; text-align: center; max-height: 14px; }}
QProgressBar::chunk {{ background: #4a5a70; }}
QToolTip {{ border: 1px solid #444; }}
"""


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, color in _PALETTE.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#5a5a5a"))
    app.setPalette(palette)
    app.setStyleSheet(_STYLE)


def set_text_colour(widget: QWidget, colour: QColor | str) -> None:
    """A widget's text (a frame's: its line) in `colour`, whether enabled or not. By palette: a style sheet set on a
    widget re-polishes it, 1-3 ms each time."""
    palette = widget.palette()
    palette.setColor(QPalette.ColorRole.WindowText, QColor(colour))
    widget.setPalette(palette)
