"""The viewer's side of ground-truth files: a study's DICOM SEGs become editable lesions when it opens, and
File ▸ Export writes the annotator's lesions (DICOM SEG, PNG masks, lesion table).

Reading and writing run on the UI thread: a SEG per view of a full-size study reads in well under a second, and
an export is a deliberate act the user waits for. Problems go to the message bar and the status bar; the lesions
in memory are never touched by a failed export, so the user can pick another folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from cemviewer.annotations.export import CSV_NAME, JSON_NAME, MASKS_FOLDER, export_study
from cemviewer.annotations.output import ExportError
from cemviewer.annotations.records import by_view, restore, study_records
from cemviewer.annotations.seg_reader import import_segmentations
from cemviewer.annotations.stored_grid import StoredGrid
from cemviewer.editing.lesion_set import PROPOSAL, LesionSet
from cemviewer.reports.export import HTML_NAME, PDF_NAME
from cemviewer.reports.sr_writer import SR_FILE_NAME
from cemviewer.study.model import Study
from cemviewer.ui.edit_session import EditSession
from cemviewer.ui.message_bar import MessageBar

EXPORT_FOLDER_KEY = "export/folder"  # where the last export went, offered first the next time
# The Export menu's handlers (see cemviewer.ui.actions.EXPORT_MENU): action key -> (formats, what the dialog asks).
EXPORTS = {
    "export_seg": (("seg",), "Export the lesions as DICOM SEG into a folder"),
    "export_png": (("png",), "Export the lesions as PNG masks into a folder"),
    "export_table": (("csv", "json"), "Export the lesion table (CSV and JSON) into a folder"),
    "export_html": (("html",), "Write the HTML report of the lesions into a folder"),
    "export_pdf": (("pdf",), "Write the PDF report of the lesions into a folder"),
    "export_sr": (("sr",), "Write the DICOM SR (with the DICOM SEG it references) into a folder"),
}


class AnnotationIO(QObject):
    def __init__(self, editor: EditSession, message_bar: MessageBar, settings: QSettings,
                 show_status: Callable[[str], None], parent: QWidget) -> None:
        super().__init__(parent)
        self.editor = editor
        self.message_bar = message_bar
        self.settings = settings
        self.show_status = show_status
        self.study: Study | None = None
        self.folder = Path.home()  # the opened study folder: the first place offered for an export

    def handlers(self) -> dict[str, Callable[[], None]]:
        return {key: (lambda formats=formats, caption=caption: self.choose_and_export(formats, caption))
                for key, (formats, caption) in EXPORTS.items()}

    # --- opening --------------------------------------------------------------------------------------------

    def open_study(self, study: Study, folder: Path) -> None:
        """Give the editor the lesions of the study's SEGs, ready to edit; call before a view is shown. `folder`:
        what was opened (a SEG exported there opens with the study next time)."""
        self.study, self.folder = study, folder if folder.is_dir() else folder.parent
        if not study.segmentations:
            return
        imported = import_segmentations(study, study.segmentations)
        for problem in imported.problems:
            self.message_bar.show_error(f"Lesions not loaded: {problem}")
        restored = []
        for view_name, records in by_view(imported.records).items():
            view = study.view(view_name)
            try:
                grid = StoredGrid.read(view.low_energy or view.recombined)
                lesions = LesionSet(grid.shape, grid.spacing_mm)
                restore(lesions, records)
            except (ExportError, ValueError) as error:
                self.message_bar.show_error(f"Lesions of {view_name} not loaded: {error}")
                continue
            self.editor.restore_view(view_name, lesions)
            restored.append(f"{view_name} ({len(records)})")
        if restored:
            names = ", ".join(path.name for path in imported.sources)
            self.show_status(f"Lesions loaded from {names}: {', '.join(restored)}")

    # --- export ---------------------------------------------------------------------------------------------

    def choose_and_export(self, formats: Iterable[str], caption: str) -> None:
        if self.study is None:
            self.show_status("Open a study to export its lesions")
            return
        start = self.settings.value(EXPORT_FOLDER_KEY) or str(self.folder)
        folder = QFileDialog.getExistingDirectory(self.parent(), caption, start)
        if folder:
            self.settings.setValue(EXPORT_FOLDER_KEY, folder)
            self.export_to(Path(folder), formats)

    def export_to(self, folder: Path, formats: Iterable[str]) -> list[Path]:
        """Write the open study's lesions (pending AI proposals left out) into `folder`; the files written, none
        when the export failed (the reason is on the message bar)."""
        if self.study is None:
            return []
        formats = tuple(formats)
        lesions = self.editor.lesions
        if lesions is not None:
            lesions.end_stroke()
        records = study_records(self.editor.sets)
        pending = sum(lesion.source == PROPOSAL for lesions in self.editor.sets.values()
                      for lesion in lesions.lesions.values())
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            result = export_study(self.study, records, folder, formats, base=self.folder)
        except ExportError as error:
            self.message_bar.show_error(f"Export failed, the lesions are still here to export elsewhere: {error}")
            return []
        finally:
            QApplication.restoreOverrideCursor()
        for note in result.notes:
            self.message_bar.show_error(note)
        left_out = f"; {pending} AI proposal{'s' if pending != 1 else ''} not accepted left out" if pending else ""
        what = {"seg": "DICOM SEG", "png": f"PNG masks in {MASKS_FOLDER}/",
                "csv": CSV_NAME, "json": JSON_NAME, "html": HTML_NAME, "pdf": PDF_NAME,
                "sr": f"{SR_FILE_NAME} and its DICOM SEG"}
        self.show_status(f"Exported {len(records)} lesion{'s' if len(records) != 1 else ''} as "
                         f"{', '.join(what[name] for name in formats)} to {folder}{left_out}")
        return result.written


