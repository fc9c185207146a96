"""The assessment panel: for the selected lesion, the DL, radiomics and fused malignancy probabilities, the
threshold and the call, the features that weigh most in the radiomics score (TreeSHAP) as a bar chart, and the
full radiomics feature table (LE and recombined) to copy or export. It shows what a RoiAssessor reports."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter
from PySide6.QtWidgets import (QFileDialog, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSizePolicy,
                               QTableView, QVBoxLayout, QWidget)

from cemviewer.fusion.assess import MALIGNANT
from cemviewer.fusion.feature_names import CLASS_NAMES, contribution_label, feature_class, split_name
from cemviewer.services.roi_assessment import NO_LESION_TEXT, RoiAssessment, RoiAssessor
from cemviewer.ui import theme

SUSPICIOUS_COLOUR = "#ff6050"
NOT_SUSPICIOUS_COLOUR = "#40c878"
TOWARD_MALIGNANT = "#d05a4a"  # a contribution raising the radiomics score
TOWARD_BENIGN = "#4a86d0"
COLUMNS = ("Feature", "LE", "Rec")
COLUMN_TIPS = ("The pyradiomics feature (hover a row for its full name)", "Low-energy image", "Recombined image")
EXPORT_HEADER = ("feature", "low_energy", "recombined")


def _pair(value: float, threshold: float) -> tuple[str, str]:
    """Both figures to the precision that shows on which side of the threshold the value lies."""
    for digits in (2, 3, 4):
        if round(value, digits) != round(threshold, digits):
            break
    return f"{value:.{digits}f}", f"{threshold:.{digits}f}"


def call_text(fused: float, threshold: float, call: str) -> str:
    value, cut = _pair(fused, threshold)
    if call == MALIGNANT:
        return f"Fused {value} ≥ {cut} → suspicious (malignant)"
    return f"Fused {value} < {cut} → not suspicious (benign)"


def _number(value: float) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.4g}"


class FeatureTable(QAbstractTableModel):
    """The features grouped by class (a heading row per class, then its features by name), the LE and recombined
    values side by side; shape rows hold one value, the outline's, which is the same on both images."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, float | None, float | None, bool]] = []  # name, LE, recombined, shared
        self._lines: list[str | int] = []  # what each table row shows: a class heading, or an index into rows

    def set_features(self, features: dict[str, float]) -> None:
        by_name: dict[str, dict[str | None, float]] = {}
        for feature, value in features.items():
            image, name = split_name(feature)
            by_name.setdefault(name, {})[image] = value
        self.beginResetModel()
        self.rows = [(name, values.get("le", values.get(None)), values.get("rec", values.get(None)), None in values)
                     for name, values in sorted(by_name.items(), key=lambda item: _table_order(item[0]))]
        self._lines = []
        for index, (name, *_values) in enumerate(self.rows):
            group = feature_class(name)
            if not self._lines or group != feature_class(self.rows[index - 1][0]):
                self._lines.append(group)
            self._lines.append(index)
        self.endResetModel()

    def heading(self, line: int) -> bool:
        return isinstance(self._lines[line], str)

    def shared(self, line: int) -> bool:
        return not self.heading(line) and self.rows[self._lines[line]][3]

    def export_rows(self) -> list[list[str]]:
        """The table with its header, full pyradiomics names and full precision, for the clipboard and CSV."""
        return [list(EXPORT_HEADER)] + [[name, _exact(le), _exact(rec)] for name, le, rec, _shared in self.rows]

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return COLUMN_TIPS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        line = self._lines[index.row()]
        if isinstance(line, str):
            if role == Qt.ItemDataRole.DisplayRole and index.column() == 0:
                return line
            if role == Qt.ItemDataRole.ForegroundRole:
                return QColor(theme.ACCENT)
            return None
        name, le, rec, shared = self.rows[line]
        if role == Qt.ItemDataRole.DisplayRole:
            return (name.split("_")[-1], _number(le), _number(rec))[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return name + (" (the outline's shape: the same on both images)" if shared else "")
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _table_order(name: str) -> tuple[int, str]:
    parts = name.split("_")
    kind = parts[1] if len(parts) == 3 else ""
    order = list(CLASS_NAMES)
    return (order.index(kind) if kind in order else len(order), name)


def _exact(value: float | None) -> str:
    return "" if value is None or not math.isfinite(value) else repr(float(value))


class ContributionChart(QWidget):
    """Horizontal bars of the largest TreeSHAP contributions (log-odds) around a zero line: red pushes the
    radiomics score toward malignant, blue toward benign."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.contributions: list[tuple[str, float]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_contributions(self, contributions: list[tuple[str, float]]) -> None:
        self.contributions = list(contributions)
        self.setFixedHeight(self.sizeHint().height())  # every bar, however short the dock
        self.update()

    def _row_height(self) -> int:
        return self.fontMetrics().height() + 3

    def sizeHint(self) -> QSize:
        return QSize(260, self._row_height() * max(len(self.contributions), 1) + 2)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        metrics = self.fontMetrics()
        width, row = self.width(), self._row_height()
        label_width = int(width * 0.58)
        value_width = metrics.horizontalAdvance("+0.00") + 4
        bars_left, bars_right = label_width + 4, width - value_width
        zero = (bars_left + bars_right) / 2.0
        largest = max((abs(value) for _name, value in self.contributions), default=0.0) or 1.0
        painter.setPen(QColor(theme.DIM_TEXT))
        painter.drawLine(int(zero), 0, int(zero), row * len(self.contributions))
        for index, (name, value) in enumerate(self.contributions):
            top = index * row
            painter.setPen(QColor(theme.TEXT))
            label = metrics.elidedText(contribution_label(name), Qt.TextElideMode.ElideRight, label_width)
            painter.drawText(QRectF(0, top, label_width, row), Qt.AlignmentFlag.AlignVCenter, label)
            length = value / largest * (bars_right - bars_left) / 2.0
            colour = QColor(TOWARD_MALIGNANT if value > 0 else TOWARD_BENIGN)
            painter.fillRect(QRectF(min(zero, zero + length), top + 3, abs(length), row - 6), colour)
            painter.drawText(QRectF(bars_right, top, value_width, row),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, f"{value:+.2f}")
        painter.end()


class AssessmentPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shown: RoiAssessment | None = None  # what the figures below are of
        self.title = QLabel()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet(f"color: {theme.DIM_TEXT};")
        self.probabilities = {key: QLabel() for key in ("dl", "radiomics", "fused", "threshold")}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(1)
        for row, (key, text) in enumerate((("dl", "DL"), ("radiomics", "Radiomics"), ("fused", "Fused (mean)"),
                                           ("threshold", "Threshold (Youden)"))):
            grid.addWidget(QLabel(text), row, 0)
            self.probabilities[key].setAlignment(Qt.AlignmentFlag.AlignRight)
            grid.addWidget(self.probabilities[key], row, 1)
        grid.setColumnStretch(2, 1)
        bold = QFont(self.font())
        bold.setBold(True)
        self.probabilities["fused"].setFont(bold)
        self.call = QLabel()
        self.call.setWordWrap(True)
        call_font = QFont(bold)
        call_font.setPointSizeF(call_font.pointSizeF() * 1.15)
        self.call.setFont(call_font)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {theme.ACCENT};")
        chart_title = QLabel("What drives the radiomics score (TreeSHAP log-odds): red → malignant, blue → benign")
        chart_title.setWordWrap(True)
        chart_title.setStyleSheet(f"color: {theme.DIM_TEXT};")
        self.chart = ContributionChart()
        self.features = FeatureTable()
        self.table = QTableView()
        self.table.setModel(self.features)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 4)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            self.table.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QTableView.SelectionMode.NoSelection)
        self.table.setMinimumHeight(120)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the feature table (tab-separated, for a spreadsheet)")
        self.copy_button.clicked.connect(self.copy_table)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self._choose_export)
        buttons = QHBoxLayout()
        self.table_title = QLabel("Features")
        buttons.addWidget(self.table_title)
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.export_button)

        self.results = QWidget()  # everything that shows a result: dimmed while a newer one is computed
        column = QVBoxLayout(self.results)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(5)
        column.addLayout(grid)
        column.addWidget(self.call)
        column.addWidget(self.note)
        column.addWidget(chart_title)
        column.addWidget(self.chart)
        column.addLayout(buttons)
        column.addWidget(self.table, stretch=1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addWidget(self.results, stretch=1)
        self.show_message(NO_LESION_TEXT)

    def follow(self, assessor: RoiAssessor) -> None:
        assessor.computing.connect(self.show_computing)
        assessor.assessed.connect(self.show_assessment)
        assessor.refused.connect(lambda lesion_id, message: self.show_message(message, lesion_id, problem=True))
        assessor.idle.connect(self.show_message)

    # --- states ---------------------------------------------------------------------------------------------

    def show_computing(self, lesion_id: int) -> None:
        self.title.setText(f"Lesion #{lesion_id}")
        self._set_status("Computing…")
        self.results.setEnabled(False)  # the figures of the previous outline stay, greyed, until the new ones

    def show_message(self, message: str, lesion_id: int | None = None, problem: bool = False) -> None:
        """No figures: why (nothing selected, an outline that cannot be measured, no model)."""
        self.shown = None
        self.title.setText(f"Lesion #{lesion_id}" if lesion_id is not None else "")
        self._set_status(message, theme.ERROR if problem else theme.DIM_TEXT)
        self.results.setVisible(False)

    def show_assessment(self, result: RoiAssessment) -> None:
        self.shown = result
        a = result.assessment
        self.title.setText(f"Lesion #{result.lesion_id}  ·  {a.area_mm2:.0f} mm²")
        self.title.setToolTip(f"Computed in {a.seconds:.2f} s")
        self._set_status("")
        self.probabilities["dl"].setText("n/a" if a.dl_prob is None else f"{a.dl_prob:.2f}")
        self.probabilities["radiomics"].setText(f"{a.radiomics_prob:.2f}")
        fused, threshold = _pair(a.fused_prob, a.threshold)
        self.probabilities["fused"].setText(fused)
        self.probabilities["threshold"].setText(threshold)
        self.call.setText(call_text(a.fused_prob, a.threshold, a.call))
        colour = SUSPICIOUS_COLOUR if a.call == MALIGNANT else NOT_SUSPICIOUS_COLOUR
        self.call.setStyleSheet(f"color: {colour};")
        self.note.setText(result.note)
        self.note.setVisible(bool(result.note))
        self.chart.set_contributions(a.contributions)
        self.features.set_features(a.features)
        self.table.clearSpans()
        for line in range(self.features.rowCount()):
            if self.features.heading(line):
                self.table.setSpan(line, 0, 1, len(COLUMNS))
            elif self.features.shared(line):
                self.table.setSpan(line, 1, 1, 2)
        self.table_title.setText(f"Features ({len(self.features.rows)})")
        self.results.setEnabled(True)
        self.results.setVisible(True)

    def _set_status(self, text: str, colour: str = theme.DIM_TEXT) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
        self.status.setStyleSheet(f"color: {colour};")

    # --- table out ------------------------------------------------------------------------------------------

    def copy_table(self) -> None:
        QGuiApplication.clipboard().setText("\n".join("\t".join(row) for row in self.features.export_rows()) + "\n")

    def export_csv(self, path: Path) -> None:
        with Path(path).open("w", newline="", encoding="utf-8") as file:
            csv.writer(file).writerows(self.features.export_rows())

    def _choose_export(self) -> None:
        lesion = f"lesion{self.shown.lesion_id}_" if self.shown is not None else ""
        path, _filter = QFileDialog.getSaveFileName(self, "Export the radiomics features",
                                                    f"{lesion}radiomics.csv", "CSV files (*.csv)")
        if path:
            try:
                self.export_csv(Path(path))
            except OSError as error:
                self._set_status(f"Could not write {path}: {error.strerror or error}", theme.ERROR)
                return
            self._set_status(f"Features written to {path}")
