"""The lesion AI panel: what the AI is doing, the current view's lesions (choosing one zooms both images to it),
the outline and heatmap switches and the heatmap's opacity."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QSlider, QToolButton, QVBoxLayout,
                               QWidget)

from cemviewer.imaging.lesion_marks import LesionMarks
from cemviewer.ui import theme
from cemviewer.ui.lesion_overlay import MALIGNANCY_BANDS, UNCLASSIFIED_COLOUR, malignancy_colour

LIST_ROWS = 5  # lesions visible without scrolling


def entry_text(lesion: LesionMarks) -> str:
    malignancy = "not classified" if lesion.malignancy is None else f"malignancy {lesion.malignancy:.2f}"
    return f"#{lesion.number}  score {lesion.score:.2f}  {malignancy}"


def _legend() -> str:
    bands = sorted(MALIGNANCY_BANDS)
    swatch = "<span style='color:{}'>■</span> {}"
    parts = [swatch.format(colour, f"&lt; {bands[i + 1][0]:g}" if i + 1 < len(bands) else f"≥ {bound:g}")
             for i, (bound, colour) in enumerate(bands)]
    return "Malignancy " + "&nbsp;&nbsp;".join(parts) + "&nbsp;&nbsp;" + swatch.format(UNCLASSIFIED_COLOUR, "n/a")


class LesionPanel(QWidget):
    lesionChosen = Signal(int)  # lesion number
    opacityChanged = Signal(float)  # 0..1

    def __init__(self, outlines: QAction, heatmap: QAction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.lesions = QListWidget()
        row_height = self.lesions.fontMetrics().height() + 4
        self.lesions.setMaximumHeight(row_height * LIST_ROWS + 2 * self.lesions.frameWidth())
        self.lesions.currentItemChanged.connect(lambda item, _previous: self._choose(item))
        self.lesions.itemClicked.connect(self._choose)  # again: back to the lesion after panning away
        self.empty = QLabel()
        self.empty.setStyleSheet(f"color: {theme.DIM_TEXT};")
        switches = QHBoxLayout()
        for action in (outlines, heatmap):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setToolTip(f"{action.text()} ({action.shortcut().toString()})")
            switches.addWidget(button)
        switches.addStretch(1)
        # Fusion draws a checked tool button barely darker than an unchecked one; the reader must see what is on.
        self.setStyleSheet(f"QToolButton {{ padding: 2px 6px; }}"
                           f" QToolButton:checked {{ background: #5a4520; border: 1px solid {theme.ACCENT}; }}")
        self.heat_note = QLabel()
        self.heat_note.setWordWrap(True)
        self.heat_note.setStyleSheet(f"color: {theme.DIM_TEXT};")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setToolTip("Heatmap opacity")
        self.opacity.valueChanged.connect(lambda value: self.opacityChanged.emit(value / 100.0))
        opacity_row = QHBoxLayout()
        opacity_row.addWidget(QLabel("Opacity"))
        opacity_row.addWidget(self.opacity, stretch=1)
        self.legend = legend = QLabel(_legend())
        legend.setStyleSheet(f"color: {theme.DIM_TEXT};")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addWidget(self.status)
        layout.addWidget(self.lesions)
        layout.addWidget(self.empty)
        layout.addLayout(switches)
        layout.addLayout(opacity_row)
        layout.addWidget(self.heat_note)
        layout.addWidget(legend)
        layout.addStretch(1)
        self.show_lesions(None, "")

    def refresh_legend(self) -> None:
        """After the band colours changed (Preferences)."""
        self.legend.setText(_legend())

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def set_heat_note(self, text: str) -> None:
        self.heat_note.setText(text)
        self.heat_note.setVisible(bool(text))

    def set_opacity(self, opacity: float) -> None:
        self.opacity.setValue(round(opacity * 100))

    def show_lesions(self, lesions: list[LesionMarks] | None, empty_text: str) -> None:
        """The view's lesions, most confident first; `empty_text` says why there are none."""
        self.lesions.blockSignals(True)  # refilling is not the reader choosing a lesion
        self.lesions.clear()
        for lesion in lesions or []:
            item = QListWidgetItem(entry_text(lesion))
            item.setData(Qt.ItemDataRole.UserRole, lesion.number)
            item.setForeground(QColor(malignancy_colour(lesion.malignancy)))
            self.lesions.addItem(item)
        self.lesions.blockSignals(False)
        self.lesions.setVisible(bool(lesions))
        self.empty.setText(empty_text)
        self.empty.setVisible(not lesions and bool(empty_text))

    def _choose(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.lesionChosen.emit(item.data(Qt.ItemDataRole.UserRole))
