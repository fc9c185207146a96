"""The main window's PACS commands: File ▸ Open from PACS… (the PacsDialog; a retrieved study opens in the window)
and File ▸ Send annotations to PACS (the open study's lesions as DICOM SEG, with the DICOM SR report that
references it, stored on the default node).

Sending takes the lesions as they are now, then writes and stores them from a worker (the SR's assessment runs the
models) via a temporary folder; a failure leaves the lesions as they are (in memory and in the autosave) and says
so on the message bar, so the user can fix the node and resend.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject

from cemviewer.annotations.records import study_records
from cemviewer.pacs.errors import PacsError
from cemviewer.pacs.nodes import load_config
from cemviewer.services.pacs_worker import PacsWorker, SentAnnotations
from cemviewer.ui.pacs_dialog import PacsDialog

NO_NODE = "No PACS is set up: add one in File ▸ Open from PACS… ▸ Settings…"


class PacsMenu(QObject):
    def __init__(self, window) -> None:
        """`window`: the MainWindow (its open_paths, study, editor, message_bar and statusBar are used)."""
        super().__init__(window)
        self.window = window
        self.dialog: PacsDialog | None = None
        self.sender = PacsWorker(self)
        self._outbox: Path | None = None  # the SEGs being sent
        self._sending_to = ""
        self.sender.sent.connect(self._on_sent)
        self.sender.failed.connect(self._on_send_failed)
        self.sender.started.connect(self._status)
        self.sender.finished.connect(self._clear_outbox)

    def handlers(self) -> dict[str, Callable[[], None]]:
        return {"open_pacs": self.show_dialog, "send_to_pacs": self.send_annotations}

    def show_dialog(self) -> PacsDialog:
        if self.dialog is None:
            self.dialog = PacsDialog(self.window)
            self.dialog.studyRetrieved.connect(self._open_retrieved)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def _open_retrieved(self, folder: Path) -> None:
        self.dialog.hide()  # out of the way of the images; File ▸ Open from PACS… brings it back as it was
        self.window.open_paths([folder])

    def send_annotations(self) -> None:
        """Store the open study's lesions (pending AI proposals left out, as in File ▸ Export) as DICOM SEG and
        SR."""
        study = self.window.study
        if study is None:
            self._status("Open a study to send its annotations")
            return
        if self.sender.busy:
            self._status(f"Still sending to {self._sending_to}…")
            return
        try:
            node = load_config().node()
        except PacsError as error:
            self.window.message_bar.show_error(str(error))
            return
        if node is None:
            self.window.message_bar.show_error(NO_NODE)
            return
        editor = self.window.editor
        if editor.lesions is not None:
            editor.lesions.end_stroke()
        records = study_records(editor.sets)
        if not records:
            self._status("No lesions to send: draw or accept one first")
            return
        self._outbox = Path(tempfile.mkdtemp(prefix="cemviewer-pacs-"))
        self._sending_to = node.name
        self.sender.send_annotations(node, study, records, self._outbox)

    def _on_sent(self, sent: SentAnnotations) -> None:
        what = f"{sent.segmentations} DICOM SEG object{'s' if sent.segmentations != 1 else ''}"
        if sent.reports:
            what += f" and {sent.reports} DICOM SR"
        self._status(f"Sent {what} to {self._sending_to}")
        for note in sent.notes:
            self.window.message_bar.show_error(note)

    def _on_send_failed(self, message: str) -> None:
        self.window.message_bar.show_error(f"Annotations not sent (they are kept here and autosaved): {message}")

    def _clear_outbox(self) -> None:
        if self._outbox is not None:
            shutil.rmtree(self._outbox, ignore_errors=True)
            self._outbox = None

    def _status(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)

    def shutdown(self) -> None:
        self.sender.shutdown()
        self._clear_outbox()
        if self.dialog is not None:
            self.dialog.shutdown()
