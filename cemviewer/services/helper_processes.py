"""What the viewer's helper processes (the lesion AI's, the decoders') have in common: they leave with the viewer,
and termination signals are the viewer's to act on.

A logout, a shutdown or Ctrl+C in the terminal signals the viewer's whole process group at once. The viewer closes
as from its close button (cemviewer.ui.termination) and stops its helpers itself; a helper that died of the signal
first printed a KeyboardInterrupt traceback or broke that close. Python's resource tracker, the process that
unlinks the shared memory and semaphores left by helpers that died, ignores SIGINT and SIGTERM but died of SIGHUP:
it was then relaunched without its records and printed a KeyError for each semaphore the viewer gave back.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from multiprocessing import resource_tracker

TERMINATION_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def follow_the_viewer() -> None:
    """Run first in a helper process: it ignores the termination signals, and leaves when the viewer's process
    ends. A helper outlives a viewer that was killed or crashed otherwise: it holds its own end of the job queue, so
    it never sees the queue close."""
    for number in TERMINATION_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(multiprocessing.parent_process(),), daemon=True).start()


def _exit_with(parent) -> None:
    parent.join()
    os._exit(0)


def start_resource_tracker() -> None:
    """Start Python's resource tracker now, ignoring SIGHUP (an ignored signal stays ignored in the process started).
    Call it before the first helper process or shared block: the tracker starts with the first of them."""
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        resource_tracker.ensure_running()
    finally:
        signal.signal(signal.SIGHUP, previous)
