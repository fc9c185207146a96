"""Compressed images are decoded in worker processes, not threads.

The JPEG 2000 decoders pydicom uses (pylibjpeg-openjpeg, Pillow) hold the GIL for a whole decode: 0.85 s for a
3062 x 2394 image here, during which the window could not repaint, and the loader's two "parallel" decodes took
turns. In a process they run side by side and the UI thread keeps the interpreter. Uncompressed images stay in
threads: shipping 14 MB of pixels back from another process would cost more than reading them.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from cemviewer.services.helper_processes import follow_the_viewer
from cemviewer.study.model import ImageRef, MammoImage
from cemviewer.study.pixels import load_image

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
# Workers run this much nicer than the process that starts them, as the loader's decode threads do. They start with
# the window and spend about half a second of CPU each importing their decoders; at the window's priority that
# start took the cores from the decode threads of a study opened at once (its first two images 150-160 ms instead
# of 20-40).
WORKER_NICENESS = 5


def _prepare_worker() -> None:
    """Runs first in each worker process. OpenJPEG (Pillow's build) decodes on this many threads: one image
    decoded alone gets every core, and two images decoded at once share them as they finish unevenly (a
    recombined image decodes in about half the time of its low-energy twin). A value the user set is kept. The
    imports spare the first decode their cost."""
    os.environ.setdefault("OPJ_NUM_THREADS", str(os.cpu_count() or 1))
    follow_the_viewer()
    from PIL import Jpeg2KImagePlugin  # noqa: F401
    from pydicom.pixels.decoders import pillow  # noqa: F401


def start(workers: int) -> None:
    """Start the worker processes ahead of the first compressed image (a new process takes about half a second)."""
    global _pool
    with _lock:
        if _pool is None:
            # "spawn": forking a process that runs Qt and other threads is unsafe.
            _pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_prepare_worker)
            started = {child.pid for child in multiprocessing.active_children()}
            for _worker in range(workers):  # a process is started for each task that finds none idle
                _pool.submit(int)
            for child in multiprocessing.active_children():
                if child.pid not in started:
                    _run_nicer(child.pid)


def _run_nicer(pid: int) -> None:
    """Lower the priority of the worker `pid` by WORKER_NICENESS (where processes have nice values)."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, min(os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICENESS, 19))
    except (AttributeError, OSError):  # Windows, or a sandbox that forbids it: the worker runs as it is
        pass


def load_compressed(ref: ImageRef, workers: int) -> MammoImage:
    """load_image(ref) in a worker process; raises ImageLoadError as load_image does. Falls back to this thread when
    the processes cannot be used (one died, or none can be started)."""
    global _pool
    start(workers)
    pool = _pool
    try:
        return pool.submit(load_image, ref).result()
    except (BrokenProcessPool, OSError):
        with _lock:
            if _pool is pool:
                _pool = None
        return load_image(ref)
