"""Side panel: who and what the study is, the images of the current view, and what was left out and why."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHeaderView, QLabel, QToolButton, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout, QWidget)

from cemviewer.study.model import ImageRef, MammoImage, ScanResult, Study, View
from cemviewer.ui import theme
from cemviewer.study.dicom_text import age, dicom_date, person_name, sex


class FactTable(QWidget):
    """Name/value rows in a grid of plain-text labels. A rich-text table in one word-wrapped label took Qt 10-40 ms
    to lay out each time a study opened, in the middle of the open, where every millisecond of the UI thread shows."""

    def __init__(self, capacity: int, parent: QWidget | None = None) -> None:
        """`capacity` rows are made now, with the window, rather than in the middle of a study's open, where
        making and styling a label costs 1-3 ms each."""
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(8)
        self._grid.setVerticalSpacing(1)
        self._grid.setColumnStretch(1, 1)
        self._cells = [self._new_row(index) for index in range(capacity)]
        self._rows: list[tuple[str, str]] | None = None
        self.set_rows([])

    def set_rows(self, rows: list[tuple[str, str]]) -> None:
        """Show `rows` (name, value); a row without a value is left out. Labels are reused, never rebuilt."""
        rows = [(name, value) for name, value in rows if value]
        if rows == self._rows:
            return
        self._rows = rows
        while len(self._cells) < len(rows):
            self._cells.append(self._new_row(len(self._cells)))
        # Showing a label lays out its visible ancestors at once, up to the window: row by row, that was a relayout
        # of the window per label shown. Hidden meanwhile, the table is laid out once, as it is shown again.
        regroup = self.isVisible() and any(label.isHidden() == (index < len(rows))
                                           for index, (label, _value) in enumerate(self._cells))
        if regroup:
            self.setVisible(False)
        for index, (name_label, value_label) in enumerate(self._cells):
            shown = index < len(rows)
            if shown:
                name_label.setText(rows[index][0])
                value_label.setText(rows[index][1])
            name_label.setVisible(shown)
            value_label.setVisible(shown)
        if regroup:
            self.setVisible(True)

    def name_width(self) -> int:
        """Pixels the widest name shown needs."""
        return max((self.fontMetrics().horizontalAdvance(name) for name, _value in self._rows or []), default=0)

    def set_name_width(self, pixels: int) -> None:
        self._grid.setColumnMinimumWidth(0, pixels)

    def text(self) -> str:
        """The rows shown, one "name: value" line each."""
        return "\n".join(f"{name}: {value}" if name else value for name, value in self._rows)

    def _new_row(self, index: int) -> tuple[QLabel, QLabel]:
        name = QLabel()
        theme.set_text_colour(name, theme.DIM_TEXT)
        name.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        value = QLabel()
        value.setTextFormat(Qt.TextFormat.PlainText)
        value.setWordWrap(True)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._grid.addWidget(name, index, 0)
        self._grid.addWidget(value, index, 1)
        return name, value


def _heading(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setStyleSheet(f"color: {theme.DIM_TEXT}; font-size: 9pt; letter-spacing: 1px; margin-top: 8px;")
    return label


def study_title(study: Study) -> str:
    """One line naming a study, for the window title and the study chooser."""
    parts = [person_name(study.patient.patient_name) or study.patient.patient_id, dicom_date(study.study_date),
             study.study_description]
    return " · ".join(part for part in parts if part) or study.study_uid


def patient_rows(study: Study) -> list[tuple[str, str]]:
    patient = study.patient
    return [
        ("Name", person_name(patient.patient_name)),
        ("ID", patient.patient_id),
        ("Born", dicom_date(patient.birth_date)),
        ("Age", age(patient.age, patient.birth_date, study.study_date)),
        ("Sex", sex(patient.sex)),
    ]


def study_rows(study: Study) -> list[tuple[str, str]]:
    device = " ".join(part for part in (study.manufacturer, study.model_name) if part)
    return [
        ("Date", dicom_date(study.study_date)),
        ("Accession", study.accession_number),
        ("Description", study.study_description),
        ("Institution", study.institution),
        ("Device", device),
        ("Views", ", ".join(view.name for view in study.views)),
    ]


def image_rows(label: str, ref: ImageRef | None, image: MammoImage | None) -> list[tuple[str, str]]:
    if ref is None:
        return [(label, "none in this view")]
    size = f"{ref.columns} × {ref.rows} px"
    if image is not None and image.spacing_mm:
        row_mm, column_mm = image.spacing_mm
        size += f", {row_mm:g} mm" if row_mm == column_mm else f", {column_mm:g} × {row_mm:g} mm"
    elif image is not None:
        size += ", no pixel spacing"
    rows = [(label, ref.path.name), ("", size)]
    if ref.kvp is not None:
        rows.append(("", f"{ref.kvp:g} kVp"))
    return rows


# The panel is filled this long after it is asked, once for all that was asked meanwhile: in a turn of the event loop
# of its own, so that a study's open fills the panes and the overview in one turn and this panel in the next, and
# neither turn holds the UI thread long.
FILL_DELAY_MS = 5


class InfoPanel(QWidget):
    """Shows what it is asked FILL_DELAY_MS later."""

    studyChosen = Signal(int)  # index into the scan's studies

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.study_chooser = QComboBox()
        self.study_chooser.setVisible(False)
        self.study_chooser.activated.connect(self.studyChosen)
        self.patient = FactTable(5)  # as many as patient_rows and study_rows give
        self.study = FactTable(6)
        self.images = FactTable(7)  # the view, and each image's file, size and kVp
        self.notes = QLabel()
        self.notes.setTextFormat(Qt.TextFormat.PlainText)
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes.setStyleSheet(f"color: {theme.ACCENT};")
        self.skipped_toggle = QToolButton()
        self.skipped_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.skipped_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.skipped_toggle.setCheckable(True)
        self.skipped_toggle.setAutoRaise(True)
        self.skipped_toggle.toggled.connect(self._show_skipped_list)
        self.skipped_list = QTreeWidget()
        self.skipped_list.setHeaderLabels(["File", "Reason"])
        self.skipped_list.setRootIsDecorated(False)
        self.skipped_list.setWordWrap(True)
        self.skipped_list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.skipped_list.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.setSpacing(2)
        layout.addWidget(self.study_chooser)
        for heading, widget in (("Patient", self.patient), ("Study", self.study), ("Current view", self.images)):
            layout.addWidget(_heading(heading))
            layout.addWidget(widget)
        layout.addWidget(self.notes)
        layout.addWidget(self.skipped_toggle)
        layout.addWidget(self.skipped_list, stretch=1)
        layout.addStretch()
        self._fill_timer = QTimer(self)
        self._fill_timer.setSingleShot(True)
        self._fill_timer.setInterval(FILL_DELAY_MS)
        self._fill_timer.timeout.connect(self._fill)
        self._scan: tuple[ScanResult | None, Study | None] | None = (None, None)  # None: shown already
        self._view: tuple[View | None, dict[ImageRef, MammoImage]] = (None, {})
        self._fill()

    def show_scan(self, result: ScanResult | None, study: Study | None) -> None:
        """The study `study` of `result` (None, None: no study open), with no view yet."""
        self._scan = (result, study)
        self._view = (None, {})
        self._fill_soon()

    def show_view(self, view: View | None, images: dict[ImageRef, MammoImage]) -> None:
        """The images of `view` (None: none), with what `images` has decoded of them."""
        self._view = (view, images)
        self._fill_soon()

    def _fill_soon(self) -> None:
        if not self._fill_timer.isActive():
            self._fill_timer.start()

    def _fill(self) -> None:
        self._fill_timer.stop()
        if self._scan is not None:
            self._fill_scan(*self._scan)
            self._scan = None
        self._fill_view(*self._view)
        self._line_up()

    def _fill_scan(self, result: ScanResult | None, study: Study | None) -> None:
        self.study_chooser.clear()
        studies = result.studies if result else []
        self.study_chooser.setVisible(len(studies) > 1)
        for candidate in studies:
            self.study_chooser.addItem(study_title(candidate))
        if study is not None and study in studies:
            self.study_chooser.setCurrentIndex(studies.index(study))
        # Showing a widget lays its parent out at once: the notes and the skipped files are shown or hidden while
        # the other labels still hold their laid-out text, not after, when that would lay out the tables anew.
        notes = result.notes if result else []
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes))
        self._fill_skipped(result)
        self.patient.set_rows(patient_rows(study) if study else [("", "No study open")])
        self.study.set_rows(study_rows(study) if study else [])

    def _fill_view(self, view: View | None, images: dict[ImageRef, MammoImage]) -> None:
        rows = []
        if view is not None:
            rows.append(("View", view.name))
            for label, ref in (("Low energy", view.low_energy), ("Recombined", view.recombined)):
                rows += image_rows(label, ref, images.get(ref) if ref else None)
        self.images.set_rows(rows)

    def _line_up(self) -> None:
        """One width for the name column of all three tables, so that their values start in one line."""
        width = max(table.name_width() for table in (self.patient, self.study, self.images))
        for table in (self.patient, self.study, self.images):
            table.set_name_width(width)

    def _fill_skipped(self, result: ScanResult | None) -> None:
        self.skipped_list.clear()
        skipped = result.skipped if result else []
        base = result.root if result else None
        for item in skipped:
            name = _relative(item.path, base)
            row = QTreeWidgetItem([name, item.reason])
            row.setToolTip(0, str(item.path))
            row.setToolTip(1, item.reason)
            self.skipped_list.addTopLevelItem(row)
        self.skipped_toggle.setText(f"Skipped files ({len(skipped)})")
        self.skipped_toggle.setVisible(bool(skipped))
        self.skipped_toggle.setChecked(False)
        self._show_skipped_list(False)

    def _show_skipped_list(self, shown: bool) -> None:
        self.skipped_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.skipped_list.setVisible(shown)


def _relative(path, base) -> str:
    if base is not None:
        try:
            return str(path.relative_to(base if base.is_dir() else base.parent))
        except ValueError:
            pass
    return str(path)
