"""Lesion AI for the open study, off the UI thread: each view of the study goes through LesionAI.analyze, one view
at a time, the selected view first, on the GPU when torch sees one, else the CPU.

The window hands over the images the loader decoded (`add_image`); a view is analysed once all its images are
there. Findings come back as ViewAnalysis: everything the window draws, computed off the UI thread (outline
polylines, a reduced heatmap), so applying them costs the UI thread next to nothing.

- The models run in a separate process (cemviewer.services.lesion_ai_process: why a process, and not a thread, is
  said there); a worker thread here checks the disk cache, hands the view to that process and waits. The viewer's
  process does not import torch to analyse. Models are loaded once per AI process, which is started and loads them
  as soon as the window is built (`preload`); a failed load is tried again on the next study, and a process that
  died is replaced by the next study's.
- Results are cached per view in memory for the session (the window's reopening is instant, no worker at all) and on
  disk between sessions (cemviewer.services.findings_cache, which holds the marks as drawn: a hit is read, not
  computed), keyed by study UID, SOP instance UIDs and the model files' sizes and modification times.
- Cancelling (or starting another study) stops the analysis in flight at the next stage boundary of analyze; results
  of an older run that arrive late still fill the memory cache but are not reported.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import threading
import time
from collections import OrderedDict
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal

from cemviewer.ai.findings import AIOutOfMemoryError, AnalysisCancelled
from cemviewer.ai.model_files import ModelLoadError, default_models_dir
from cemviewer.imaging.lesion_marks import ViewMarks
from cemviewer.services import lesion_ai_process
from cemviewer.services.findings_cache import FindingsCache
from cemviewer.services.lesion_ai_process import ModelJob, view_key
from cemviewer.services.study_loader import report_from_worker
from cemviewer.study.model import ImageRef, MammoImage, Study, View

MEMORY_ENTRIES = 64  # views kept in memory: a day's worth of reopened studies, a few MB
# How much nicer than the UI thread the worker thread runs (Linux): it reads the disk cache.
WORKER_NICENESS = 5

# Where a ViewAnalysis came from.
FROM_MODEL = "model"
FROM_DISK = "disk"
FROM_MEMORY = "memory"

# LesionAnalyser.state
IDLE = "idle"
RUNNING = "running"
FINISHED = "finished"
CANCELLED = "cancelled"
FAILED = "failed"


@dataclass(frozen=True)
class ViewAnalysis:
    view_name: str
    key: str | None  # the cache key; None when the model files could not be identified
    marks: ViewMarks
    source: str  # FROM_MODEL, FROM_DISK or FROM_MEMORY
    seconds: float  # worker time spent on the view, 0 from memory
    torch_threads: int  # CPU threads torch had for the models in the AI process; 0 when they did not run


def _yield_to_ui(ui_niceness: int) -> None:
    """Worker thread: lower this thread's scheduling priority below the UI thread's. Linux schedules threads as
    tasks, so this touches no other thread; elsewhere analysis runs at normal priority."""
    if hasattr(os, "setpriority") and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, ui_niceness + WORKER_NICENESS))


@dataclass(frozen=True)
class _Job:
    view_name: str
    study_uid: str
    sop_instance_uids: tuple[str | None, str | None]
    le: MammoImage | None
    rec: MammoImage | None
    models_dir: Path
    device: str | None

    def key(self, fingerprint: str | None) -> str | None:
        return view_key(self.study_uid, self.sop_instance_uids, fingerprint)

    def for_models(self, cache_folder: Path) -> ModelJob:
        """Only what the models need: the pixels, not the rest of the images."""
        images = (self.le, self.rec)
        le, rec = (None if image is None else image.pixels for image in images)
        inverted = tuple(image is not None and image.invert for image in images)
        return ModelJob(self.study_uid, self.sop_instance_uids, le, rec, inverted, self.models_dir, self.device,
                        cache_folder)


def _analyse(job: _Job, disk: FindingsCache, stop: threading.Event) -> ViewAnalysis:
    """Worker thread: the disk cache, else the models (in the AI process)."""
    start = time.perf_counter()
    if stop.is_set():
        raise AnalysisCancelled(f"analysis of {job.view_name} cancelled before it started")
    key = job.key(lesion_ai_process.fingerprint(job.models_dir, job.device))
    marks = disk.load(key) if key else None
    if marks is not None:
        return ViewAnalysis(job.view_name, key, marks, FROM_DISK, time.perf_counter() - start, 0)
    result = lesion_ai_process.analyse(job.for_models(disk.folder), stop)  # it saves the marks to `disk`
    return ViewAnalysis(job.view_name, result.key, result.marks, FROM_MODEL, time.perf_counter() - start,
                        result.torch_threads)


class LesionAnalyser(QObject):
    viewAnalysed = Signal(object)  # ViewAnalysis of a view of the current study
    progress = Signal(str, int, int)  # the view now being analysed, its position, the study's view count
    finished = Signal()  # every view of the study has findings (or could not be analysed)
    cancelled = Signal()
    failed = Signal(str)  # the AI cannot run (weights, GPU memory, a failing model); the message says why
    viewFailed = Signal(str, str)  # view name, why that view could not be analysed

    # The worker reports through these; the first argument is the run that asked.
    _workerDone = Signal(int, object)
    _workerCancelled = Signal(int)
    _workerFailed = Signal(int, str)
    _workerViewFailed = Signal(int, str, str)

    def __init__(self, parent: QObject | None = None, models_dir: Path | None = None, device: str | None = None,
                 cache: FindingsCache | None = None) -> None:
        """`models_dir` None: pipeline.default_models_dir() when each study starts (so CEMVIEWER_MODELS counts)."""
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one view at a time: torch already uses the cores
        self._models_dir = models_dir
        self._device = device
        self._disk = cache or FindingsCache()
        self._memory: OrderedDict[str, ViewAnalysis] = OrderedDict()
        self.model_runs = 0  # views analysed by the models in this analyser's lifetime
        self.state = IDLE
        self._run = 0
        self._stop = threading.Event()
        self._study: Study | None = None
        self._images: dict[ImageRef, MammoImage | None] = {}  # None: the image could not be decoded
        self._pending: list[View] = []
        self._done = 0
        self._total = 0
        self._busy = False  # a job (of any run) is in the pool
        self._models_now = default_models_dir()
        self._ui_niceness = os.getpriority(os.PRIO_PROCESS, 0) if hasattr(os, "getpriority") else 0
        self._workerDone.connect(self._on_done)
        self._workerCancelled.connect(self._on_cancelled)
        self._workerFailed.connect(self._on_failed)
        self._workerViewFailed.connect(self._on_view_failed)

    # --- what the window calls ------------------------------------------------------------------------------

    def preload(self) -> None:
        """Start the AI process and load the models there now, while nothing is on screen yet (a process and torch
        take seconds to start). The worker thread only hands the request over. A load that fails is reported by
        the analysis."""
        folder, device = self._models_dir or default_models_dir(), self._device
        self._pool.start(lambda: lesion_ai_process.preload(folder, device))

    def start(self, study: Study, first: str | None = None) -> None:
        """Analyse `study`'s views (`first`, default its first view, before the others) as their images arrive.
        Cancels whatever was running."""
        self._stop.set()
        self._study = study
        self._images = {}
        self._begin(first)

    def rerun(self, first: str | None = None) -> None:
        """Analyse the current study again from its images at hand; views found in the memory cache cost nothing."""
        if self._study is not None:
            self._stop.set()
            self._begin(first)

    def add_image(self, image: MammoImage) -> None:
        """A decoded image of the study (the loader's own pixels; nothing is read again)."""
        if self._study is not None and image.ref in self._study.images():
            self._images[image.ref] = image
            self._advance()

    def image_failed(self, ref: ImageRef) -> None:
        if self._study is not None and ref in self._study.images():
            self._images[ref] = None
            self._advance()

    def prioritize(self, view_name: str) -> None:
        """Analyse `view_name` next (the user just selected it)."""
        view = next((view for view in self._pending if view.name == view_name), None)
        if view is not None:
            self._pending.remove(view)
            self._pending.insert(0, view)

    def cancel(self) -> bool:
        """Stop the current run; False when nothing was running."""
        if self.state != RUNNING:
            return False
        self._stop.set()
        self._pending.clear()
        self.state = CANCELLED
        self.cancelled.emit()
        return True

    @property
    def device(self) -> str | None:
        return self._device

    def set_device(self, device: str | None) -> None:
        """The device ("cpu", "cuda") of the analyses started from now on; None: CEMVIEWER_DEVICE, else CUDA when
        torch sees a GPU, else the CPU."""
        self._device = device

    def shutdown(self) -> None:
        """Stop and wait for the worker; call before the window goes away."""
        self._stop.set()
        self._pending.clear()
        self._run += 1
        self.state = IDLE
        self._pool.waitForDone()

    # --- scheduling (UI thread) -----------------------------------------------------------------------------

    def _begin(self, first: str | None) -> None:
        self._run += 1
        self._stop = threading.Event()
        self._models_now = self._models_dir or default_models_dir()
        views = list(self._study.views)
        views.sort(key=lambda view: view.name != first)  # stable: the study's order after `first`
        self._pending = views
        self._done, self._total = 0, len(views)
        self.state = RUNNING
        self._advance()

    def _advance(self) -> None:
        if self.state != RUNNING:
            return
        self._serve_from_memory()
        while not self._busy:
            view = next((view for view in self._pending if self._ready(view)), None)
            if view is None:
                if not self._pending:
                    self.state = FINISHED
                    self.finished.emit()
                return
            self._pending.remove(view)
            job = self._job(view)
            if job.le is None and job.rec is None:
                self._done += 1  # the loader has already said why its images cannot be shown
                continue
            self._busy = True
            self.progress.emit(view.name, self._done + 1, self._total)
            run, stop = self._run, self._stop
            self._pool.start(lambda: self._work(run, job, stop))

    def _serve_from_memory(self) -> None:
        fingerprint = lesion_ai_process.fingerprint(self._models_now, self._device)
        if fingerprint is None:
            return
        for view in list(self._pending):
            hit = self._memory.get(self._job(view).key(fingerprint))
            if hit is not None:
                self._memory.move_to_end(hit.key)
                self._pending.remove(view)
                self._deliver(dataclasses.replace(hit, view_name=view.name, source=FROM_MEMORY, seconds=0.0,
                                                  torch_threads=0))

    def _ready(self, view: View) -> bool:
        return all(ref in self._images for ref in view.images())

    def _job(self, view: View) -> _Job:
        return _Job(view.name, self._study.study_uid,
                    tuple(ref.sop_instance_uid if ref else None for ref in (view.low_energy, view.recombined)),
                    self._images.get(view.low_energy), self._images.get(view.recombined), self._models_now,
                    self._device)

    def _deliver(self, analysis: ViewAnalysis) -> None:
        self._done += 1
        self.viewAnalysed.emit(analysis)

    # --- worker ---------------------------------------------------------------------------------------------

    def _work(self, run: int, job: _Job, stop: threading.Event) -> None:
        """Worker thread."""
        _yield_to_ui(self._ui_niceness)
        try:
            analysis = _analyse(job, self._disk, stop)
        except AnalysisCancelled:
            report_from_worker(self._workerCancelled, run)
        except ModelLoadError as error:
            report_from_worker(self._workerFailed, run, f"Lesion AI is off: {error}. The images can be read as usual.")
        except AIOutOfMemoryError as error:
            report_from_worker(self._workerFailed, run, f"Lesion AI stopped: {error}.")
        except BrokenProcessPool:
            report_from_worker(self._workerFailed, run, "Lesion AI stopped: its process ended unexpectedly (it may "
                                                        "have run out of memory or been killed). The images can be "
                                                        "read as usual; the next study starts it again.")
        except ValueError as error:
            report_from_worker(self._workerViewFailed, run, job.view_name,
                               f"Lesion AI could not analyse {job.view_name}: {error}")
        except Exception as error:  # noqa: BLE001 - a failing model must leave a working viewer and say why
            report_from_worker(self._workerFailed, run, f"Lesion AI failed on {job.view_name} and is off for this "
                                                        f"study: {type(error).__name__}: {error}")
        else:
            report_from_worker(self._workerDone, run, analysis)

    def _on_done(self, run: int, analysis: ViewAnalysis) -> None:
        self._busy = False
        if analysis.source == FROM_MODEL:
            self.model_runs += 1
        if analysis.key is not None:
            self._memory[analysis.key] = analysis
            self._memory.move_to_end(analysis.key)
            while len(self._memory) > MEMORY_ENTRIES:
                self._memory.popitem(last=False)
        if run == self._run:
            self._deliver(analysis)
        self._advance()

    def _on_cancelled(self, run: int) -> None:
        self._busy = False
        self._advance()

    def _on_failed(self, run: int, message: str) -> None:
        self._busy = False
        if run == self._run and self.state == RUNNING:
            self._pending.clear()
            self.state = FAILED
            self.failed.emit(message)
        self._advance()

    def _on_view_failed(self, run: int, view_name: str, message: str) -> None:
        self._busy = False
        if run == self._run:
            self._done += 1
            self.viewFailed.emit(view_name, message)
        self._advance()
