"""A termination signal closes the viewer as its close button does.

SIGTERM (a logout, a shutdown, `kill`) and SIGHUP (the terminal that started the viewer going away) would otherwise
end Python on the spot, and SIGINT (Ctrl+C) would raise in whichever Python slot ran next: the window's close never
ran, so the edits of the last seconds, not yet autosaved, were lost, and the helper processes' shared memory and
semaphores were left for the resource tracker to sweep up. Python runs its own handlers only between bytecodes,
which never come while Qt's event loop waits, so the C-level handler wakes the loop through a socket
(`signal.set_wakeup_fd`) and the windows are closed from there.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QSocketNotifier
from PySide6.QtWidgets import QApplication

from cemviewer.services.helper_processes import TERMINATION_SIGNALS


@contextmanager
def closing_on_termination() -> Iterator[None]:
    """While inside, SIGTERM, SIGHUP and SIGINT close every window (a dialog open over the main window too, so its
    loop ends), from the event loop; the main window's close saves the edits and stops the helper processes, which
    leave the signals to it (cemviewer.services.helper_processes)."""
    receiver, sender = socket.socketpair()
    with receiver, sender:
        for end in (receiver, sender):
            end.setblocking(False)
        previous_fd = signal.set_wakeup_fd(sender.fileno(), warn_on_full_buffer=False)
        # A Python handler that does nothing: the default one would end the process or raise KeyboardInterrupt.
        previous = {number: signal.signal(number, lambda _number, _frame: None) for number in TERMINATION_SIGNALS}
        notifier = QSocketNotifier(receiver.fileno(), QSocketNotifier.Type.Read)
        notifier.activated.connect(lambda: _close_windows_if_terminated(receiver))
        try:
            yield
        finally:
            notifier.setEnabled(False)
            for number, handler in previous.items():
                signal.signal(number, handler)
            signal.set_wakeup_fd(previous_fd)


def _close_windows_if_terminated(receiver: socket.socket) -> None:
    try:
        numbers = receiver.recv(64)  # the wakeup fd carries each caught signal's number as one byte
    except BlockingIOError:
        return
    if any(number in TERMINATION_SIGNALS for number in numbers):
        QApplication.closeAllWindows()
