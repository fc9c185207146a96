"""The lesion AI's models run in a process of their own, spawned by the viewer, which imports no torch for them.

Why a process: importing torch holds the GIL while its native libraries load, in one piece (libtorch_cpu.so
170-225 ms, libtorch_cuda.so 110-245 ms on the development machine), and the GIL is the UI thread's too: run in any
thread of the viewer, that import froze the window for 221 ms when a study was opened right after start. Nothing
done in-process avoids it (preloading the libraries with ctypes holds the GIL as well). In its own process torch
loads, and runs, without touching the viewer's interpreter.

- One AI process per viewer process, started ahead of the first study (`preload`, once the window is built) or by
  the first job. It loads the models once per models folder and device, runs torch on every core but one (the
  other stays with the UI) at 5 below the viewer's priority, uses CUDA when torch sees a GPU there, and exits when
  the viewer's process ends.
- `analyse` is called by LesionAnalyser's worker thread, which waits for the result. Once the models are loaded,
  one view's pixels go in through shared memory (cemviewer.services.shared_pixels), not the pipe: pickling two
  full-size images held the viewer's GIL 10-70 ms in one piece, the copy into shared memory holds it not at all
  (numpy releases it). Only what the window draws comes back (outline polylines, a reduced heatmap), and that is
  also what the process saves to the disk cache, so that a later session's worker thread reads it back without
  finding contours or building full-size masks again.
- Cancelling: a shared integer, given to the process when it starts, holds the ticket of the job asked to stop; the
  process compares it with its job's ticket at each stage boundary of LesionAI.analyze.
- A process that dies (crash, killed, out of host memory) raises BrokenProcessPool for the job in flight; the next
  job starts a fresh process.
"""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cemviewer.ai.findings import ViewFindings
from cemviewer.ai.model_files import DEVICE_ENV
from cemviewer.imaging.lesion_marks import LesionMarks, ViewMarks, outline_contours, reduced_heat
from cemviewer.services.findings_cache import FindingsCache, findings_key, model_fingerprint
from cemviewer.services.helper_processes import follow_the_viewer
from cemviewer.services.shared_pixels import SharedPixels, give_back, share, unshared

if TYPE_CHECKING:
    from cemviewer.ai.pipeline import LesionAI

# How much nicer than the viewer the AI process runs (Linux): when both want a core, the UI gets it.
NICENESS = 5
# How often the waiting worker thread looks at its stop flag: the latest a cancel reaches the process.
CANCEL_POLL_S = 0.05


def worker_threads() -> int:
    """Torch threads for analysis: every core but one, which stays with the UI (so one on a dual-core machine)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def view_key(study_uid: str, sop_instance_uids: tuple[str | None, str | None], fingerprint: str | None) -> str | None:
    """A view's findings cache key; None when the model files could not be identified."""
    return findings_key(study_uid, list(sop_instance_uids), fingerprint) if fingerprint else None


@dataclass(frozen=True)
class ModelJob:
    """What the AI process needs for one view."""

    study_uid: str
    sop_instance_uids: tuple[str | None, str | None]  # LE, recombined
    le: np.ndarray | None  # modality values as decoded
    rec: np.ndarray | None
    inverted: tuple[bool, bool]  # MONOCHROME1 (stored dark = dense), LE and recombined
    models_dir: Path
    device: str | None
    cache_folder: Path  # the viewer's findings cache (its XDG_CACHE_HOME counts, not the process's)


@dataclass(frozen=True)
class ModelResult:
    key: str | None
    fingerprint: str | None  # of the weights that ran
    marks: ViewMarks
    torch_threads: int


def view_marks(findings: ViewFindings) -> ViewMarks:
    """What the viewer draws of `findings`: outline polylines per energy and the reduced heatmap."""
    lesions = [LesionMarks(number, lesion.score, lesion.malignancy, lesion.box,
                           {energy: outline_contours(mask, lesion.box) for energy, mask in lesion.outlines.items()},
                           _cropped(lesion.mask, lesion.box))
               for number, lesion in enumerate(findings.lesions, start=1)]
    heat = reduced_heat(findings.heatmap) if findings.heatmap is not None else None
    return ViewMarks(lesions, heat, findings.device)


def _cropped(mask: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = box
    return mask[y0:y1, x0:x1].copy()  # a copy: the full-size mask is not kept alive by the crop


def _place(folder: Path, device: str | None) -> tuple[Path, str | None]:
    """Where models are loaded from and run, as the process sees it: the viewer's environment decides."""
    return Path(folder).resolve(), device or os.environ.get(DEVICE_ENV) or None


# --- in the AI process ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _LoadedModels:
    ai: LesionAI
    fingerprint: str | None  # of the files as they were when loaded


_loaded: dict[tuple[Path, str | None], _LoadedModels] = {}
_cancelled = None  # the shared ticket of the job asked to stop


def _prepare(cancelled) -> None:
    """Runs first in the AI process."""
    global _cancelled
    _cancelled = cancelled
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    follow_the_viewer()


def _models(folder: Path, device: str | None) -> _LoadedModels:
    """Load on first use; raises ModelLoadError (and loads again on the next job)."""
    if (folder, device) not in _loaded:
        import torch

        from cemviewer.ai.pipeline import LesionAI

        torch.set_num_threads(worker_threads())  # jobs run on this thread: the setting holds for them
        fingerprint = model_fingerprint(folder)
        _loaded[folder, device] = _LoadedModels(LesionAI.load(folder, device), fingerprint)
    return _loaded[folder, device]


def _load(folder: Path, device: str | None) -> None:
    _models(folder, device)


def _bright_dense(pixels: np.ndarray | None, inverted: bool) -> np.ndarray | None:
    """The pixels as the models were trained on them: bright = dense, which MONOCHROME1 files store inverted."""
    return pixels.max() - pixels if pixels is not None and inverted else pixels


def _run(job: ModelJob, pixels: SharedPixels, ticket: int) -> ModelResult:
    import torch

    models = _models(job.models_dir, job.device)
    le, rec = unshared(pixels)
    findings = models.ai.analyze(_bright_dense(le, job.inverted[0]), _bright_dense(rec, job.inverted[1]),
                                 cancel=lambda: _cancelled.value == ticket)
    key = view_key(job.study_uid, job.sop_instance_uids, models.fingerprint)
    marks = view_marks(findings)
    if key:
        FindingsCache(job.cache_folder).save(key, marks)
    return ModelResult(key, models.fingerprint, marks, torch.get_num_threads())


# --- in the viewer --------------------------------------------------------------------------------------------

class _AIProcess:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # forking a process that runs Qt and other threads is unsafe
        self.cancelled = context.RawValue("q", 0)
        self.pool = ProcessPoolExecutor(1, mp_context=context, initializer=_prepare, initargs=(self.cancelled,))
        self.fingerprints: dict[tuple[Path, str | None], str | None] = {}  # of the weights it loaded, per place


_lock = threading.Lock()
_process: _AIProcess | None = None
_tickets = itertools.count(1)


def _started() -> _AIProcess:
    global _process
    with _lock:
        if _process is None:
            _process = _AIProcess()
        return _process


def _ended(process: _AIProcess) -> None:
    """`process` died: the next job starts another."""
    global _process
    with _lock:
        if _process is process:
            _process = None


def preload(folder: Path, device: str | None) -> None:
    """Start the AI process and have it load the models; returns at once. A load that fails is tried again, and
    reported, by the first analysis."""
    process = _started()
    try:
        process.pool.submit(_load, *_place(folder, device))
    except BrokenProcessPool:
        _ended(process)


def fingerprint(folder: Path, device: str | None) -> str | None:
    """Of the weights in use: those the AI process loaded (even if the files changed since), else those on disk."""
    process, place = _process, _place(folder, device)
    if process is not None and place in process.fingerprints:
        return process.fingerprints[place]
    return model_fingerprint(folder)


def analyse(job: ModelJob, stop: threading.Event) -> ModelResult:
    """Run the models on `job` in the AI process and wait for them (a worker thread). Raises what LesionAI raises
    (ModelLoadError, AIOutOfMemoryError, ValueError, AnalysisCancelled once `stop` is set) and BrokenProcessPool
    when the process ended unexpectedly."""
    process, place = _started(), _place(job.models_dir, job.device)
    ticket = next(_tickets)
    try:
        # The models first: where they cannot be loaded (no weights, so the AI is off), no pixels are copied.
        _result(process, process.pool.submit(_load, *place), stop, ticket)
        block, pixels = share((job.le, job.rec))
        job = dataclasses.replace(job, le=None, rec=None, models_dir=place[0], device=place[1])  # the pixels are shared
        try:
            result = _result(process, process.pool.submit(_run, job, pixels, ticket), stop, ticket)
        finally:
            give_back(block)
    except BrokenProcessPool:
        _ended(process)
        raise
    process.fingerprints[place] = result.fingerprint
    return result


def _result(process: _AIProcess, future, stop: threading.Event, ticket: int):
    """`future`'s result; once `stop` is set, the process is told to cancel the job of `ticket`."""
    while True:
        if stop.is_set():
            process.cancelled.value = ticket
        try:
            return future.result(timeout=CANCEL_POLL_S)
        except TimeoutError:
            pass


def worker_pid() -> int:
    """The AI process's id (starting it when none runs; after the job in flight)."""
    return _started().pool.submit(os.getpid).result()
