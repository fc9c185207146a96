"""The HTML report printed to PDF with Qt's own text layout (QTextDocument on a QPdfWriter): no browser needed,
the same content and embedded key images, simpler styling (Qt's rich text knows a subset of CSS).

Qt lays text out only with an application object; a headless command gets an offscreen one, a QApplication so
that widgets can still come later in the same process (pytest-qt, the viewer).
"""

from __future__ import annotations

import os
from pathlib import Path

from cemviewer.annotations.output import write_atomically
from cemviewer.reports.assessment import StudyAssessment
from cemviewer.reports.html_report import render_html

RESOLUTION_DPI = 150
MARGIN_MM = 15.0


def write_pdf(assessment: StudyAssessment, path: Path) -> Path:
    from PySide6.QtCore import QMarginsF, QSizeF
    from PySide6.QtGui import (
        QGuiApplication,
        QPageLayout,
        QPageSize,
        QPdfWriter,
        QTextDocument,
    )
    from PySide6.QtWidgets import QApplication

    if QGuiApplication.instance() is None:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        write_pdf.application = QApplication([])  # kept: Qt needs it for as long as the process lays out text

    def write(target: Path) -> None:
        writer = QPdfWriter(str(target))
        writer.setResolution(RESOLUTION_DPI)
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                         QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
                                         QPageLayout.Unit.Millimeter))
        writer.setTitle("CEM lesion report")
        document = QTextDocument()
        document.setHtml(render_html(assessment))
        page = writer.pageLayout().paintRectPixels(RESOLUTION_DPI)
        document.setPageSize(QSizeF(page.width(), page.height()))
        document.print_(writer)

    return write_atomically(Path(path), write)
