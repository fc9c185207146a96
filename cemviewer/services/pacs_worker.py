"""PACS calls (cemviewer.pacs.client) off the UI thread: one request at a time, with progress and cancel; and the
open study's annotations written (DICOM SEG, and the DICOM SR that references it) and stored, in one request.

A new request or cancel() makes the request under way stale: a retrieval stops at its next instance and leaves
nothing in the cache; a search or store cannot be interrupted mid-request, so it runs on until its answer or its
timeout and is then ignored. The pool has room for one such leftover beside the new request, so a hung server
never blocks the next try.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal

from cemviewer.annotations.export import export_study
from cemviewer.annotations.output import ExportError
from cemviewer.annotations.records import LesionRecord
from cemviewer.annotations.seg_writer import write_segmentations
from cemviewer.pacs import client
from cemviewer.pacs.errors import PacsCancelled, PacsError
from cemviewer.pacs.nodes import PacsNode
from cemviewer.pacs.query import StudyQuery
from cemviewer.reports.sr_writer import SR_FILE_NAME
from cemviewer.services.study_loader import report_from_worker
from cemviewer.study.model import Study


@dataclass(frozen=True)
class SentAnnotations:
    segmentations: int  # DICOM SEG objects stored (one per view with lesions)
    reports: int  # DICOM SR objects stored (0 when the lesions could not be assessed)
    notes: tuple[str, ...] = ()  # what the user should know, e.g. why there is no SR


def write_and_store(node: PacsNode, study: Study, records: list[LesionRecord], folder: Path) -> SentAnnotations:
    """Write the lesions into `folder` as DICOM SEG and, with the models to assess them, the TID 1500 DICOM SR
    that references the SEG; store them all on `node`. ExportError when not even the SEG can be written."""
    notes = []
    try:
        export = export_study(study, records, folder, ("seg", "sr"))
        written, notes = export.written, [note for note in export.notes if "DICOM SEG written" not in note]
    except ExportError as error:  # typically no models: the SEG alone still carries every lesion
        written = write_segmentations(study, records, folder)
        notes.append(f"sent without a DICOM SR ({error})")
    client.store(node, written)
    reports = sum(path.name == SR_FILE_NAME for path in written)
    return SentAnnotations(len(written) - reports, reports, tuple(notes))


class PacsWorker(QObject):
    started = Signal(str)  # what is being done, e.g. "Searching Hospital PACS…"
    progress = Signal(int, int)  # instances done, instances in all (0: not known yet)
    searched = Signal(object)  # list[StudySummary]
    retrieved = Signal(object)  # Path: the study's cache folder
    stored = Signal(int)  # objects stored
    sent = Signal(object)  # SentAnnotations
    tested = Signal(str)  # what the node answered
    failed = Signal(str)  # the PacsError's message
    cancelled = Signal()
    finished = Signal()  # after any of searched, retrieved, stored, tested, failed and cancelled

    _done = Signal(int, str, object)  # generation, name of the result signal, value
    _error = Signal(int, str)
    _progress = Signal(int, int, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._generation = 0
        self._stop = threading.Event()
        self.busy = False
        self._done.connect(self._on_done)
        self._error.connect(self._on_error)
        self._progress.connect(self._on_progress)

    def search(self, node: PacsNode, query: StudyQuery) -> None:
        self._start(f"Searching {node.name}…", "searched", lambda progress, stop: client.search(node, query))

    def retrieve(self, node: PacsNode, study_uid: str, cache_root: Path | None = None) -> None:
        self._start(f"Retrieving the study from {node.name}…", "retrieved",
                    lambda progress, stop: client.retrieve(node, study_uid, progress, stop, cache_root))

    def store(self, node: PacsNode, paths: list[Path]) -> None:
        self._start(f"Sending {len(paths)} object{'s' if len(paths) != 1 else ''} to {node.name}…", "stored",
                    lambda progress, stop: client.store(node, paths))

    def send_annotations(self, node: PacsNode, study: Study, records: list[LesionRecord], folder: Path) -> None:
        """write_and_store off the UI thread (assessing the lesions for the SR runs the models: seconds)."""
        self._start(f"Writing the annotations and sending them to {node.name}…", "sent",
                    lambda progress, stop: write_and_store(node, study, records, folder))

    def test(self, node: PacsNode) -> None:
        self._start(f"Testing {node.name}…", "tested", lambda progress, stop: client.check_connection(node))

    def cancel(self) -> None:
        if self.busy:
            self._forget()
            self.busy = False
            self.cancelled.emit()
            self.finished.emit()

    def shutdown(self) -> None:
        """Cancel and wait for the worker threads (at most the node's timeouts); call before the owner goes."""
        self._forget()
        self.busy = False
        self._pool.waitForDone()

    def _forget(self) -> None:
        self._stop.set()
        self._generation += 1

    def _start(self, what: str, result: str, call: Callable) -> None:
        self._forget()
        self._stop = stop = threading.Event()
        generation = self._generation
        self.busy = True
        self.started.emit(what)

        def work() -> None:
            try:
                value = call(lambda done, total: report_from_worker(self._progress, generation, done, total),
                             stop.is_set)
            except PacsCancelled:
                return  # cancel() has told the UI already
            except PacsError as error:
                report_from_worker(self._error, generation, str(error))
            except ExportError as error:
                report_from_worker(self._error, generation, f"The annotations cannot be written: {error}")
            except Exception as error:  # noqa: BLE001 - whatever went wrong, the dialog must learn of it and live on
                report_from_worker(self._error, generation, f"PACS request failed: {type(error).__name__}: {error}")
            else:
                report_from_worker(self._done, generation, result, value)

        self._pool.start(work)

    def _on_done(self, generation: int, result: str, value) -> None:
        if generation == self._generation:
            self.busy = False
            getattr(self, result).emit(value)
            self.finished.emit()

    def _on_error(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.busy = False
            self.failed.emit(message)
            self.finished.emit()

    def _on_progress(self, generation: int, done: int, total: int) -> None:
        if generation == self._generation:
            self.progress.emit(done, total)
