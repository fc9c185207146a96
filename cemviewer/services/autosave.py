"""Autosave of the open study's lesions into the session store (cemviewer.sessions.store), and their return when
the study is opened again.

- Every change of a watched LesionSet (each view's set, watched from the moment it is shown) marks the study
  dirty. A save follows SETTLE_MS after the last change, and at most MAX_DELAY_MS after the first unsaved one,
  so steady painting is saved every few seconds too. A mid-stroke save keeps the stroke so far.
- The snapshot (the lesions' cropped masks, copied) is taken on the UI thread; compressing and writing run on a
  worker thread, one write at a time. A failed write (store not writable, disk full) leaves the edits in memory,
  says so, and is tried again RETRY_MS later.
- Opening a study with a stored session brings its views back into the editor before a view is shown; a DICOM
  SEG in the study folder that is newer than the session wins (it was written after the session, e.g. by someone
  else), and the status says so.
- Closing the study (another study, the window) saves at once, on the UI thread, after any write under way.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from cemviewer.editing.lesion_set import LesionSet, Update
from cemviewer.services.study_loader import report_from_worker
from cemviewer.sessions.snapshot import restored_set, study_session
from cemviewer.sessions.store import SessionStore, SessionStoreError, StoredSession, ViewSession, default_folder
from cemviewer.study.model import Study

SETTLE_MS = 2000
MAX_DELAY_MS = 5000
RETRY_MS = 10_000


class Autosave(QObject):
    status = Signal(str)  # a short line for the status bar: restored, saved at, failing
    problem = Signal(str)  # something the user must see (the first failure of a run of them, a damaged session)
    saved = Signal(str)  # the session file written, after each successful save
    _written = Signal(object, object)  # (the write's future, the session it wrote), from the worker

    def __init__(self, editor, folder: Callable[[], Path | None], parent: QObject | None = None) -> None:
        """`editor`: the window's EditSession (its `sets`, `restore_view` and `lesionsShown`); `folder()`: the
        store folder the user chose (asked at every save, so a change in Preferences counts from the next one);
        $CEMVIEWER_SESSIONS overrides it."""
        super().__init__(parent)
        self.editor = editor
        self.folder = folder
        self.study: Study | None = None
        self._watched: list[LesionSet] = []
        self._kept: set[str] = set()  # views of the stored session: kept in it even when emptied
        self._dirty = False
        self._failing = False
        self._writing: Future | None = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autosave")
        self._settle = self._timer(SETTLE_MS)
        self._deadline = self._timer(MAX_DELAY_MS)
        self._retry = self._timer(RETRY_MS)
        self._written.connect(self._on_written)
        editor.lesionsShown.connect(self._watch)

    def _timer(self, interval_ms: int) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(interval_ms)
        timer.timeout.connect(self.save_now)
        return timer

    @property
    def up_to_date(self) -> bool:
        """Everything edited so far is in the store: no unsaved change, no write under way or failed."""
        return not self._dirty and self._writing is None and not self._failing

    def store(self) -> SessionStore:
        return SessionStore(default_folder(self.folder()))

    # --- opening and closing --------------------------------------------------------------------------------

    def open_study(self, study: Study) -> int:
        """Bring back the stored session of `study` into the editor (call after the editor was cleared and before
        a view is shown); the number of lesions restored."""
        self.close_study()
        self.study = study
        try:
            session = self.store().load(study.study_uid)
        except SessionStoreError as error:
            self.problem.emit(str(error))
            return 0
        if session is None:
            self.status.emit("")
            return 0
        newer = _newer_segmentations(study, session)
        if newer:
            self.status.emit(f"Autosave of {_local_time(session.saved_at)} not restored: {newer[0].name} is newer")
            return 0
        restored = 0
        for view_name, view in session.views.items():
            if restore_view(self.editor, study, view_name, view, self.problem.emit):
                self._kept.add(view_name)
                restored += len(view.records)
        if restored:
            self.status.emit(f"Restored {restored} lesion{'s' if restored != 1 else ''} from autosave of "
                             f"{_local_time(session.saved_at)}")
        else:
            self.status.emit(f"Autosave of {_local_time(session.saved_at)} not restored")
        return restored

    def close_study(self) -> None:
        """Save what is unsaved now (the study is closing), then stop watching it."""
        self._wait_for_write()
        if self.study is not None and self._dirty:
            self._stop_timers()
            session = self._snapshot()
            if session is not None:
                self._finish(self._write(self.study.study_uid, session), session)
        for lesions in self._watched:
            lesions.unsubscribe(self._on_update)
        self._watched.clear()
        self._kept.clear()
        self._stop_timers()
        self.study, self._dirty, self._failing = None, False, False

    def shutdown(self) -> None:
        self.close_study()
        self._worker.shutdown(wait=True)

    # --- following the edits --------------------------------------------------------------------------------

    def _watch(self, lesions: LesionSet | None) -> None:
        if lesions is not None and self.study is not None and not any(w is lesions for w in self._watched):
            lesions.subscribe(self._on_update)
            self._watched.append(lesions)

    def _on_update(self, _update: Update) -> None:
        self._dirty = True
        self._settle.start()  # restarted by every change
        if not self._deadline.isActive() and not self._retry.isActive():
            self._deadline.start()

    def _stop_timers(self) -> None:
        for timer in (self._settle, self._deadline, self._retry):
            timer.stop()

    def save_now(self) -> None:
        """Save the open study's lesions off the UI thread, unless nothing changed since the last save."""
        if self.study is None or not self._dirty:
            return
        if self._writing is not None:
            self._settle.start()  # after the write under way
            return
        self._stop_timers()
        session = self._snapshot()
        if session is None:
            return
        self._writing = self._worker.submit(self._write, self.study.study_uid, session)
        self._writing.add_done_callback(lambda future: report_from_worker(self._written, future, session))

    def _snapshot(self) -> dict[str, ViewSession] | None:
        self._dirty = False
        return study_session(self.editor.sets, self._kept)

    def _write(self, study_uid: str, session: dict[str, ViewSession]) -> Path | SessionStoreError:
        try:
            return self.store().save(study_uid, session)
        except SessionStoreError as error:
            return error

    def _on_written(self, future: Future, session: dict[str, ViewSession]) -> None:
        if future is self._writing:  # else close_study has already taken its result
            self._writing = None
            self._finish(future.result(), session)

    def _wait_for_write(self) -> None:
        future, self._writing = self._writing, None
        if future is not None:
            self._finish(future.result(), None)

    def _finish(self, result: Path | SessionStoreError, session: dict[str, ViewSession] | None) -> None:
        if isinstance(result, SessionStoreError):
            self._dirty = True
            self.status.emit("Autosave failed: edits kept in memory, trying again")
            if not self._failing:
                self.problem.emit(f"{result}. Your edits are kept in memory and saving is tried again every "
                                  f"{RETRY_MS // 1000} s; choose another autosave folder in Preferences if it "
                                  f"persists.")
            self._failing = True
            self._retry.start()
            return
        self._failing = False
        if session is not None:
            self._kept.update(session)
        self.status.emit(f"Autosaved {datetime.now().strftime('%H:%M:%S')}")
        self.saved.emit(str(result))
        if self._dirty:
            self._settle.start()


def restore_view(editor, study: Study, view_name: str, view: ViewSession, report) -> bool:
    """Give `editor` the stored lesions of one view; False (and `report(message)`) when they cannot be used."""
    shown = study.view(view_name)
    if shown is None:
        report(f"Autosaved lesions of {view_name} not restored: this study has no {view_name} view")
        return False
    first = shown.images()[0]  # the lesions lie on the grid of the view's first image, as in the editor
    if (first.rows, first.columns) != view.shape:
        report(f"Autosaved lesions of {view_name} not restored: they were drawn on a {view.shape[1]} x "
               f"{view.shape[0]} image, this one is {first.columns} x {first.rows}")
        return False
    try:
        lesions = restored_set(view)
    except ValueError as error:
        report(f"Autosaved lesions of {view_name} not restored: {error}")
        return False
    editor.restore_view(view_name, lesions)
    return True


def _newer_segmentations(study: Study, session: StoredSession) -> list[Path]:
    saved = session.saved_at.timestamp()
    newer = []
    for path in study.segmentations:
        try:
            if path.stat().st_mtime > saved:
                newer.append(path)
        except OSError:
            continue
    return newer


def _local_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")
