"""Opening a study off the UI thread: scan the headers, then decode the images, the view on screen first.

Work runs on a small QThreadPool; results travel back as queued signals, so every slot runs on the UI thread. A
worker that finishes an image starts the next itself, before reporting: decoding never waits for the UI thread,
which is busy drawing the first view while the rest of the study decodes.
Each open starts a new generation: results of an earlier open that arrive late are dropped, which makes opening
another study while one is still loading safe without cancelling running decodes.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Collection
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, Signal

from cemviewer.imaging.pyramid import build_pyramid
from cemviewer.imaging.thumbnail import sampled_thumbnail
from cemviewer.imaging.windowing import WindowState
from cemviewer.services import decode_processes
from cemviewer.study.fresh_memory import keep_freed_memory
from cemviewer.study.loader import scan_paths
from cemviewer.study.model import ImageRef, ScanResult, Study, View
from cemviewer.study.pixels import ImageLoadError, load_image

THUMBNAIL_SIDE = 256
# Two decodes at once: the LE and recombined image of the first view arrive together, and the machine keeps a core
# for the UI on a dual-core workstation.
MAX_PARALLEL_DECODES = 2
# Progress reports closer together than this are dropped (the last one always goes): each costs the UI thread about
# a millisecond of redrawing, a fifth of its time while an uncompressed study loads, and no one sees them.
PROGRESS_INTERVAL_S = 0.1
# Decodes run this much nicer than the UI thread. On two cores, two decodes and the UI thread otherwise share the
# cores evenly while a study opens, and the UI's share of it (taking the study in, laying out the panels, drawing
# the first view) took 2-3 times as long as alone; nicer, the decodes take what the UI leaves.
DECODE_NICENESS = 5


class LoadedImage:
    """One decoded image and what the viewer draws it with. The display pyramid of an image whose view is not on
    screen is not made while the study loads: the loader makes it once every image is in (StudyLoader), or the
    first drawing of the image does, whichever comes first."""

    def __init__(self, window: WindowState, thumbnail: np.ndarray, pyramid: list[np.ndarray] | None = None) -> None:
        self.window = window  # holds the decoded MammoImage
        self.thumbnail = thumbnail  # uint8, at the image's default window
        self._pyramid = pyramid
        self._pyramid_lock = threading.Lock()  # made by the UI thread or a loader thread, whichever asks first

    @property
    def ref(self) -> ImageRef:
        return self.window.image.ref

    @property
    def pyramid_built(self) -> bool:
        return self._pyramid is not None

    @property
    def pyramid(self) -> list[np.ndarray]:
        """The pixels, then halved copies for drawing zoomed out (cemviewer.imaging.pyramid); made on first use."""
        if self._pyramid is None:
            self.make_pyramid()
        return self._pyramid

    def make_pyramid(self) -> None:
        """Make the display pyramid unless it is made (any thread; it is made once)."""
        with self._pyramid_lock:
            if self._pyramid is None:
                self._pyramid = build_pyramid(self.window.image.pixels)


def decode(ref: ImageRef, with_pyramid: bool = True) -> LoadedImage:
    """Everything the viewer needs of one image, computed once here rather than on the UI thread; the display
    pyramid only `with_pyramid` (else on first use)."""
    image = decode_processes.load_compressed(ref, MAX_PARALLEL_DECODES) if ref.compressed else load_image(ref)
    window = WindowState(image)
    loaded = LoadedImage(window, sampled_thumbnail(window.image.pixels, window.mapping(), THUMBNAIL_SIDE))
    if with_pyramid:
        loaded.make_pyramid()
    return loaded


class _Throttle:
    """Lets a progress report through when PROGRESS_INTERVAL_S have passed since the last one, and the final one."""

    def __init__(self) -> None:
        self._last = time.monotonic()

    def due(self, done: int, total: int) -> bool:
        now = time.monotonic()
        if done < total and now - self._last < PROGRESS_INTERVAL_S:
            return False
        self._last = now
        return True


class StudyLoader(QObject):
    progress = Signal(str, int, int)  # what is being done, done, total
    scanned = Signal(object)  # ScanResult with at least one study
    openFailed = Signal(str)  # nothing to show: missing path, no mammograms, unreadable folder
    imageLoaded = Signal(object)  # LoadedImage
    imageFailed = Signal(object, str)  # ImageRef, reason
    idle = Signal()  # the last queued image of the study is done

    # Worker threads report through these; the first argument is the generation that asked.
    _scanProgress = Signal(int, int, int)
    _scanDone = Signal(int, object)
    _scanError = Signal(int, str)
    _imageDone = Signal(int, object)
    _imageError = Signal(int, object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(MAX_PARALLEL_DECODES)
        self._generation = 0
        self._lock = threading.Lock()  # the queue and the images in flight, shared with the worker threads
        self._pending: deque[ImageRef] = deque()
        self._in_flight: set[ImageRef] = set()
        self._on_screen: set[ImageRef] = set()  # the images of the view the user sees, or will see first
        self._held: list[tuple[ImageRef, tuple]] = []  # reports waiting for an image of the view on screen
        self._without_pyramid: list[LoadedImage] = []  # this study's images decoded while their view was not shown
        self._done = 0
        self._total = 0
        self._progress = _Throttle()
        keep_freed_memory()  # the next study's images reuse this one's memory: see cemviewer.study.fresh_memory
        ui_nice = _thread_nice()  # the loader is made on the UI thread
        self._decode_nice = min(ui_nice + DECODE_NICENESS, 19) if ui_nice is not None else None
        self._scanProgress.connect(self._on_scan_progress)
        self._scanDone.connect(self._on_scan_done)
        self._scanError.connect(self._on_scan_error)
        self._imageDone.connect(self._on_image_done)
        self._imageError.connect(self._on_image_error)

    def open_paths(self, paths: list[Path]) -> None:
        """Scan files and folders together (one path: a folder, a DICOMDIR or a file)."""
        self._start_scan(lambda: list(paths))

    def open_with(self, locate: Callable[[], list[Path]]) -> None:
        """Scan what `locate` returns, calling it on a worker too (e.g. to write the demo study on first use)."""
        self._start_scan(locate)

    def load_study(self, study: Study, first: View | None = None, done: Collection[ImageRef] = ()) -> None:
        """Decode the images of `study` not in `done`, those of `first` (default: its first view) before the
        others. Replaces whatever was being loaded."""
        self._new_generation()
        first = first or (study.views[0] if study.views else None)
        views = ([first] if first else []) + [view for view in study.views if view is not first]
        with self._lock:
            self._on_screen = set(first.images()) if first else set()
            self._pending.extend(ref for view in views for ref in view.images() if ref not in done)
            self._total = len(self._pending)
        self._progress = _Throttle()
        self.progress.emit("Loading images", 0, self._total)
        if any(ref.compressed for ref in self._pending):
            decode_processes.start(MAX_PARALLEL_DECODES)
        self._start_decodes()
        if not self._total:
            self.idle.emit()

    def preload(self) -> None:
        """Start the processes that decode compressed images now, so the first compressed study does not wait
        for them (about half a second)."""
        decode_processes.start(MAX_PARALLEL_DECODES)

    def queued(self) -> list[ImageRef]:
        """The images waiting for a free worker, next first."""
        with self._lock:
            return list(self._pending)

    def prioritize(self, view: View) -> None:
        """Move `view`'s images not yet started to the front of the queue (the user just selected it)."""
        with self._lock:
            self._on_screen = set(view.images())
            wanted = [ref for ref in self._pending if ref in self._on_screen]
            for ref in reversed(wanted):
                self._pending.remove(ref)
                self._pending.appendleft(ref)
        self._start_decodes()  # a decode held back for the view that was on screen may start now

    def shutdown(self) -> None:
        """Drop queued work and wait for the decodes in flight; call before the window goes away."""
        self._new_generation()
        self._pool.waitForDone()

    def _new_generation(self) -> None:
        """Forget the work of earlier opens; their decodes in flight finish unheard."""
        with self._lock:
            self._generation += 1
            self._pending.clear()
            self._in_flight.clear()
            self._held.clear()
        self._done = self._total = 0
        self._without_pyramid = []

    def _start_scan(self, locate: Callable[[], list[Path]]) -> None:
        self._new_generation()
        generation = self._generation
        self.progress.emit("Scanning", 0, 0)
        self._pool.start(lambda: self._scan(generation, locate))

    def _scan(self, generation: int, locate: Callable[[], list[Path]]) -> None:
        """Worker thread."""
        try:
            paths = locate()
            throttle = _Throttle()

            def report(done: int, total: int) -> None:
                if throttle.due(done, total):
                    report_from_worker(self._scanProgress, generation, done, total)

            result = scan_paths(paths, report)
        except FileNotFoundError as error:
            report_from_worker(self._scanError, generation, f"Cannot open: {error.args[0] if error.args else error}")
        except OSError as error:
            what = error.filename or "the study"
            report_from_worker(self._scanError, generation, f"Cannot read {what}: {error.strerror or error}")
        except Exception as error:  # noqa: BLE001 - whatever went wrong, the window must learn of it and live on
            report_from_worker(self._scanError, generation, f"Opening failed: {type(error).__name__}: {error}")
        else:
            report_from_worker(self._scanDone, generation, result)

    def _on_scan_progress(self, generation: int, done: int, total: int) -> None:
        if generation == self._generation:
            self.progress.emit("Scanning", done, total)

    def _on_scan_error(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.openFailed.emit(message)

    def _on_scan_done(self, generation: int, result: ScanResult) -> None:
        if generation != self._generation:
            return
        if not result.studies:
            self.openFailed.emit(_nothing_found(result))
            return
        # Decoding starts before the window takes the study in, and runs while it does.
        self.load_study(result.studies[0])
        self.scanned.emit(result)

    def _start_decodes(self) -> None:
        """Any thread."""
        with self._lock:
            generation = self._generation
            while (self._pending and len(self._in_flight) < MAX_PARALLEL_DECODES
                   and self._may_start(self._pending[0])):
                ref = self._pending.popleft()
                self._in_flight.add(ref)
                self._pool.start(lambda ref=ref: self._decode(generation, ref))

    def _may_start(self, ref: ImageRef) -> bool:
        """A compressed image on screen is decoded alone: its decoder then has every core (OpenJPEG's threads in
        cemviewer.services.decode_processes), which brings the first view of a JPEG 2000 study in sooner than
        sharing them with the next view's image would."""
        return ref in self._on_screen or not any(other.compressed and other in self._on_screen
                                                 for other in self._in_flight)

    def _decode(self, generation: int, ref: ImageRef) -> None:
        """Worker thread."""
        _run_at_nice(self._decode_nice)
        with self._lock:
            on_screen = ref in self._on_screen
        try:
            loaded = decode(ref, with_pyramid=on_screen)
        except ImageLoadError as error:
            report = (self._imageError, generation, ref, str(error))
        except MemoryError:
            report = (self._imageError, generation, ref, f"{ref.path}: not enough memory to decode the image")
        except Exception as error:  # noqa: BLE001 - one bad image must not stop the others
            report = (self._imageError, generation, ref, f"{ref.path}: {type(error).__name__}: {error}")
        else:
            report = (self._imageDone, generation, loaded)
        with self._lock:
            current = generation == self._generation
            reports = [report]
            if current:
                self._in_flight.discard(ref)
                self._held.append((ref, report))
                reports = self._releasable()
        if current:
            try:
                self._start_decodes()  # the next image decodes while the window takes this one in
            except RuntimeError:  # the loader was deleted meanwhile (see report_from_worker)
                return
        for report in reports:
            report_from_worker(*report)

    def _releasable(self) -> list[tuple]:
        """The reports to send now, the view on screen's first (call holding the lock). While an image of that view
        is moments from done (uncompressed, decoding now), reports wait for it: the window then takes the view's
        two images in together and draws it once, rather than with one image and again with both."""
        if any(other in self._in_flight and not other.compressed for other in self._on_screen):
            return []
        held, self._held = self._held, []
        return [report for ref, report in sorted(held, key=lambda item: item[0] not in self._on_screen)]

    def _on_image_done(self, generation: int, loaded: LoadedImage) -> None:
        if generation == self._generation:
            if not loaded.pyramid_built:
                self._without_pyramid.append(loaded)
            self.imageLoaded.emit(loaded)
            self._count_done(generation)

    def _on_image_error(self, generation: int, ref: ImageRef, message: str) -> None:
        if generation == self._generation:
            self.imageFailed.emit(ref, message)
            self._count_done(generation)

    def _count_done(self, generation: int) -> None:
        if generation != self._generation:  # whoever heard of the image opened something else
            return
        self._done += 1
        if self._progress.due(self._done, self._total):
            self.progress.emit("Loading images", self._done, self._total)
        if self._done == self._total:
            self._make_pyramids_later()
            self.idle.emit()

    def _make_pyramids_later(self) -> None:
        """Once every image is in, the display pyramids the decodes left out, on a pool thread: showing another
        view then finds them made (made while the study loaded, they held its last image back)."""
        images, self._without_pyramid = self._without_pyramid, []
        if images:
            generation = self._generation
            self._pool.start(lambda: self._make_pyramids(generation, images))

    def _make_pyramids(self, generation: int, images: list[LoadedImage]) -> None:
        """Worker thread."""
        _run_at_nice(self._decode_nice)
        for loaded in images:
            if generation != self._generation:  # another study is opening: its decodes come first
                return
            loaded.make_pyramid()


def _thread_nice() -> int | None:
    """The calling thread's nice value; None where threads do not have their own (only Linux schedules each
    thread by its own: elsewhere setpriority would change the whole process, the UI thread included)."""
    return os.getpriority(os.PRIO_PROCESS, 0) if sys.platform.startswith("linux") else None


def _run_at_nice(nice: int | None) -> None:
    """Set the calling thread's nice value (Linux; None: leave it)."""
    if nice is not None and _thread_nice() != nice:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, nice)
        except OSError:  # a sandbox may forbid it; the work goes on at the priority it has
            pass


def report_from_worker(signal, *args) -> None:
    """Emit from a worker thread. A loader deleted while the worker ran (its window destroyed without
    shutdown) has nobody left to tell; that must not raise in the pool's thread."""
    try:
        signal.emit(*args)
    except RuntimeError:
        pass


def _nothing_found(result: ScanResult) -> str:
    message = f"No CEM mammograms found in {result.root}"
    if result.skipped:
        reasons = sorted({item.reason for item in result.skipped})
        message += f" ({len(result.skipped)} file{'s' if len(result.skipped) > 1 else ''} skipped: "
        message += "; ".join(reasons[:3]) + ("; ..." if len(reasons) > 3 else "") + ")"
    return message
