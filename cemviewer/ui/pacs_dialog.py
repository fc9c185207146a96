"""File ▸ Open from PACS…: search the configured archive by patient, ID, accession number and study date, and
retrieve the chosen study into the local cache; the window opens it from there (studyRetrieved).

Non-modal: the viewer stays usable while an archive is searched. Every request runs in a PacsWorker; Cancel drops
it, and its failure is shown in the dialog in the words of the PacsError (the dialog and the viewer go on).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDateEdit, QDialog, QGridLayout, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QProgressBar, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from cemviewer.pacs.client import DEFAULT_LIMIT
from cemviewer.pacs.errors import PacsError
from cemviewer.pacs.nodes import PacsConfig, PacsNode, load_config
from cemviewer.pacs.query import StudyQuery, StudySummary
from cemviewer.services.pacs_worker import PacsWorker
from cemviewer.ui import theme
from cemviewer.study.dicom_text import dicom_date, person_name
from cemviewer.ui.pacs_settings import PacsSettingsDialog

COLUMNS = ("Patient", "Patient ID", "Born", "Study date", "Accession", "Description", "Modalities", "Images")
ANY_DATE = QDate(1900, 1, 1)  # a date edit at its minimum shows "any"


class PacsDialog(QDialog):
    studyRetrieved = Signal(object)  # Path: the retrieved study's cache folder

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open from PACS")
        self.worker = PacsWorker(self)
        self.config = PacsConfig()
        self.studies: list[StudySummary] = []

        self.node_choice = QComboBox()
        self.node_choice.setMinimumWidth(240)
        settings = QPushButton("Settings…")
        settings.clicked.connect(self.edit_settings)
        top = QHBoxLayout()
        top.addWidget(QLabel("Archive:"))
        top.addWidget(self.node_choice, stretch=1)
        top.addWidget(settings)

        self.patient_name, self.patient_id, self.accession = QLineEdit(), QLineEdit(), QLineEdit()
        self.patient_name.setPlaceholderText("any part, e.g. doe jane")
        self.patient_id.setPlaceholderText("exact, * for any part")
        self.accession.setPlaceholderText("exact, * for any part")
        self.date_from, self.date_to = _date_edit(), _date_edit()
        self.search_button = QPushButton("Search")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)
        clear_dates = QPushButton("Any date")
        clear_dates.clicked.connect(self.clear_dates)
        fields = QGridLayout()
        fields.addWidget(QLabel("Patient name"), 0, 0)
        fields.addWidget(self.patient_name, 0, 1)
        fields.addWidget(QLabel("Patient ID"), 0, 2)
        fields.addWidget(self.patient_id, 0, 3)
        fields.addWidget(QLabel("Accession number"), 0, 4)
        fields.addWidget(self.accession, 0, 5)
        fields.addWidget(QLabel("Study date from"), 1, 0)
        fields.addWidget(self.date_from, 1, 1)
        fields.addWidget(QLabel("to"), 1, 2, alignment=Qt.AlignmentFlag.AlignRight)
        fields.addWidget(self.date_to, 1, 3)
        fields.addWidget(clear_dates, 1, 4)
        fields.addWidget(self.search_button, 1, 5)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(COLUMNS.index("Description"),
                                                           QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.cellDoubleClicked.connect(lambda row, column: self.retrieve_selected())

        self.status = QLabel("Enter what you know of the study and press Search.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress.setMaximumWidth(240)
        self.retrieve_button = QPushButton("Retrieve && open")
        self.retrieve_button.clicked.connect(self.retrieve_selected)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.worker.cancel)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, stretch=1)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(self.retrieve_button)
        bottom.addWidget(close)

        column = QVBoxLayout(self)
        column.addLayout(top)
        column.addLayout(fields)
        column.addWidget(self.table, stretch=1)
        column.addLayout(bottom)

        self.worker.started.connect(self._on_started)
        self.worker.progress.connect(self._on_progress)
        self.worker.searched.connect(self._on_searched)
        self.worker.retrieved.connect(self._on_retrieved)
        self.worker.failed.connect(lambda message: self._say(message, error=True))
        self.worker.cancelled.connect(lambda: self._say("Cancelled."))
        self.worker.finished.connect(self._on_finished)
        self.reload_nodes()
        self.resize(1100, 560)

    # --- the archive ----------------------------------------------------------------------------------------

    def reload_nodes(self) -> None:
        """Read pacs.json again (after the settings changed) and offer its nodes, the default one first."""
        wanted = self.node_choice.currentText()
        try:
            self.config = load_config()
        except PacsError as error:
            self.config = PacsConfig()
            self._say(str(error), error=True)
        self.node_choice.clear()
        for node in self.config.nodes:
            self.node_choice.addItem(node.name)
        current = self.config.node(wanted) if wanted else None
        self.node_choice.setCurrentText((current or self.config.node() or PacsNode("")).name)
        if not self.config.nodes:
            self._say("No PACS is set up yet: press Settings… to add one.", error=True)
        self._update_buttons()

    def node(self) -> PacsNode | None:
        return self.config.node(self.node_choice.currentText()) if self.node_choice.count() else None

    def edit_settings(self) -> None:
        dialog = PacsSettingsDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.reload_nodes()
            self._say("PACS settings saved.")

    # --- search and retrieve --------------------------------------------------------------------------------

    def query(self) -> StudyQuery:
        return StudyQuery(patient_name=self.patient_name.text(), patient_id=self.patient_id.text(),
                          accession_number=self.accession.text(), date_from=_chosen_date(self.date_from),
                          date_to=_chosen_date(self.date_to))

    def search(self) -> None:
        node = self.node()
        if node is None:
            self._say("No PACS is set up yet: press Settings… to add one.", error=True)
            return
        self.worker.search(node, self.query())

    def retrieve_selected(self) -> None:
        node, study = self.node(), self.selected_study()
        if node is not None and study is not None and not self.worker.busy:
            self.worker.retrieve(node, study.study_uid)

    def selected_study(self) -> StudySummary | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def clear_dates(self) -> None:
        self.date_from.setDate(ANY_DATE)
        self.date_to.setDate(ANY_DATE)

    def show_studies(self, studies: list[StudySummary]) -> None:
        self.studies = studies
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(studies))
        for row, study in enumerate(studies):
            images = "" if study.instance_count is None else str(study.instance_count)
            values = (person_name(study.patient_name), study.patient_id, dicom_date(study.birth_date),
                      dicom_date(study.study_date), study.accession_number, study.description,
                      "/".join(study.modalities), images)
            for column, value in enumerate(values):
                item = _SortableItem(value)
                item.setData(Qt.ItemDataRole.UserRole, study)
                if column == COLUMNS.index("Images"):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COLUMNS.index("Study date"), Qt.SortOrder.DescendingOrder)  # newest first
        if studies:
            self.table.selectRow(0)
        self._update_buttons()

    # --- worker results -------------------------------------------------------------------------------------

    def _on_started(self, what: str) -> None:
        self._say(what)
        self.progress.setRange(0, 0)  # busy until the first count
        self.progress.setVisible(True)
        self._update_buttons()

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(f"{done}/{total} images" if total else "")

    def _on_searched(self, studies: list[StudySummary]) -> None:
        self.show_studies(studies)
        more = f" (the first {DEFAULT_LIMIT}; narrow the search to see others)" if len(studies) >= DEFAULT_LIMIT \
            else ""
        self._say(f"{len(studies)} stud{'y' if len(studies) == 1 else 'ies'} found{more}."
                  + (" Double-click one or press Retrieve & open." if studies else ""))

    def _on_retrieved(self, folder: Path) -> None:
        self._say(f"Retrieved into {folder}; opening it.")
        self.studyRetrieved.emit(folder)

    def _on_finished(self) -> None:
        self.progress.setVisible(False)
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self.worker.busy
        self.cancel_button.setEnabled(busy)
        self.search_button.setEnabled(not busy and bool(self.config.nodes))
        self.retrieve_button.setEnabled(not busy and self.selected_study() is not None)

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet(f"color: {theme.ERROR};" if error else "")
        self.status.setText(text)

    def reject(self) -> None:
        """Esc cancels the request under way, and closes the dialog only when there is none."""
        if self.worker.busy:
            self.worker.cancel()
        else:
            super().reject()

    def closeEvent(self, event) -> None:
        self.worker.cancel()
        super().closeEvent(event)

    def shutdown(self) -> None:
        self.worker.shutdown()


class _SortableItem(QTableWidgetItem):
    """Sorts numbers as numbers (the Images column); dates are ISO text, which sorts right as text."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.text(), other.text()
        if mine.isdigit() and theirs.isdigit():
            return int(mine) < int(theirs)
        return mine < theirs


def _date_edit() -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMinimumDate(ANY_DATE)
    edit.setSpecialValueText("any")
    edit.setDate(ANY_DATE)
    return edit


def _chosen_date(edit: QDateEdit) -> date | None:
    chosen = edit.date()
    return None if chosen == ANY_DATE else date(chosen.year(), chosen.month(), chosen.day())
