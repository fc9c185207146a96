"""The annotation panel: the current view's lesions as edited (AI proposals, accepted and drawn ones), the buttons
to add, delete, accept and reject them, and the active lesion's label and note."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPlainTextEdit, QSizePolicy, QToolButton, QVBoxLayout, QWidget)

from cemviewer.editing.lesion_set import LABELS, PROPOSAL, EditableLesion, LesionSet
from cemviewer.ui import theme
from cemviewer.ui.edit_overlay import LABEL_COLOURS, PROPOSAL_COLOUR

LIST_ROWS = 6  # lesions visible without scrolling
NOTE_LINES = 3
NO_IMAGE_TEXT = "Open a study to annotate its lesions"
EMPTY_TEXT = "No lesion yet: paint one (B), outline one (P, L) or accept an AI proposal"


def entry_text(lesion: EditableLesion, area: float, unit: str) -> str:
    what = PROPOSAL if lesion.source == PROPOSAL else f"{lesion.label}, {lesion.source}"
    score = f"  score {lesion.score:.2f}" if lesion.score is not None and lesion.source == PROPOSAL else ""
    note = "  ✎" if lesion.note else ""
    return f"#{lesion.id}  {what}  {area:.1f} {unit}{score}{note}"


class EditPanel(QWidget):
    lesionChosen = Signal(int)
    labelChosen = Signal(int, str)  # lesion id, label
    noteEdited = Signal(int, str)

    def __init__(self, actions: dict[str, QAction] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._active: int | None = None
        self.lesions = QListWidget()
        row_height = self.lesions.fontMetrics().height() + 4
        self.lesions.setMaximumHeight(row_height * LIST_ROWS + 2 * self.lesions.frameWidth())
        self.lesions.currentItemChanged.connect(lambda item, _previous: self._choose(item))
        self.empty = QLabel()
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet(f"color: {theme.DIM_TEXT};")
        self.label = QComboBox()
        self.label.addItems(LABELS)
        self.label.setToolTip("The active lesion's label")
        self.label.currentTextChanged.connect(self._label_chosen)
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("Note on the active lesion")
        self.note.setFixedHeight(self.note.fontMetrics().lineSpacing() * NOTE_LINES + 12)
        self.note.textChanged.connect(self._note_edited)
        self.buttons = QGridLayout()
        self.buttons.setSpacing(3)
        for index, key in enumerate(("new_lesion", "delete_lesion", "accept_lesion", "reject_lesion")):
            if actions is not None and key in actions:
                button = QToolButton()
                button.setDefaultAction(actions[key])
                button.setToolTip(f"{actions[key].text()} ({actions[key].shortcut().toString()})")
                button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
                self.buttons.addWidget(button, index // 2, index % 2)
        label_row = QHBoxLayout()
        label_row.addWidget(QLabel("Label"))
        label_row.addWidget(self.label, stretch=1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addWidget(self.lesions)
        layout.addWidget(self.empty)
        layout.addLayout(self.buttons)
        layout.addLayout(label_row)
        layout.addWidget(self.note)
        layout.addStretch(1)
        self.show_lesions(None)

    def show_lesions(self, lesions: LesionSet | None) -> None:
        """List `lesions` (None: no image shown) with the active one current, and show its label and note."""
        self.lesions.blockSignals(True)  # refilling is not the annotator choosing a lesion
        self.lesions.clear()
        unit = "mm²" if lesions is not None and lesions.spacing_mm else "px"
        for lesion in (lesions.lesions.values() if lesions is not None else ()):
            item = QListWidgetItem(entry_text(lesion, lesions.area(lesion.id), unit))
            item.setData(Qt.ItemDataRole.UserRole, lesion.id)
            colour = PROPOSAL_COLOUR if lesion.source == PROPOSAL else LABEL_COLOURS[lesion.label]
            item.setForeground(QColor(colour))
            if lesion.note:
                item.setToolTip(lesion.note)
            self.lesions.addItem(item)
            if lesion.id == lesions.active_id:
                self.lesions.setCurrentItem(item)
        self.lesions.blockSignals(False)
        has_lesions = lesions is not None and bool(lesions.lesions)
        self.lesions.setVisible(has_lesions)
        self.empty.setText(NO_IMAGE_TEXT if lesions is None else EMPTY_TEXT)
        self.empty.setVisible(not has_lesions)
        self._show_active(lesions.active if lesions is not None else None)

    def _show_active(self, lesion: EditableLesion | None) -> None:
        self._active = None  # while the fields are filled in, their change signals are not the annotator's
        self.label.setCurrentText(lesion.label if lesion is not None else LABELS[0])
        if self.note.toPlainText() != (lesion.note if lesion is not None else ""):
            self.note.setPlainText(lesion.note if lesion is not None else "")
        editable = lesion is not None and lesion.editable
        self.label.setEnabled(editable)
        self.note.setEnabled(editable)
        self._active = lesion.id if lesion is not None else None

    def _choose(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.lesionChosen.emit(item.data(Qt.ItemDataRole.UserRole))

    def _label_chosen(self, label: str) -> None:
        if self._active is not None:
            self.labelChosen.emit(self._active, label)

    def _note_edited(self) -> None:
        if self._active is not None:
            self.noteEdited.emit(self._active, self.note.toPlainText())
