"""Does the viewer stay responsive while the lesion AI runs? The real MainWindow (offscreen) opens a full-size
synthetic study (2294 x 1914 px, 0.1 mm, four views) with an empty findings cache; a 5 ms QTimer stamps every tick,
and the longest gap between ticks is how long the UI could not react. Then the same study is opened again (served
from the memory cache), once more in a new window (served from the disk cache), and in a new window with an empty
findings cache once the models are loaded. The first open is right after start: the window has just begun the AI
process (cemviewer.services.lesion_ai_process), which imports torch and loads the models while the study opens.
This script imports no torch itself, as the viewer does not: torch in this process would hide what its import costs.

    .venv/bin/python benchmarks/bench_ui_stall.py [--seed 7]

Prints a Markdown table: per phase the longest gap and the 99th percentile gap between ticks, and the times from
opening to the first view's overlays on screen and to the whole study analysed; then the AI's seconds per view (as
the analyser's worker thread waited for them), and the peak resident memory of this process and of its children.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

# Not in the viewer's worker processes, which import this script again (they are spawned): in the viewer they import
# the small `cemviewer` launcher, and the window here would weigh on their start-up time and memory.
if __name__ == "__main__":
    from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from cemviewer.services.lesion_ai_process import worker_threads
    from cemviewer.synth.study import write_study
    from cemviewer.ui.main_window import MainWindow

TICK_MS = 5
TIMEOUT_S = 600


class TickRecorder:
    """Stamps every tick of a TICK_MS timer; gaps between stamps are the UI thread's stalls."""

    def __init__(self) -> None:
        self.stamps: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(lambda: self.stamps.append(time.perf_counter()))
        self.timer.start(TICK_MS)

    def gaps_ms(self, start: float, end: float) -> np.ndarray:
        stamps = np.array([start, *(s for s in self.stamps if start < s < end), end])
        return np.diff(stamps) * 1000.0


def _open_and_time(app: QApplication, window: MainWindow, study: Path) -> dict[str, float]:
    """Open `study` and wait until it is decoded and analysed. Returns perf_counter stamps: open, scanned,
    analysis start (first view handed to the worker), first overlays (the selected view's image and findings on
    screen, seen by a tick), images (the last image decoded), analysis (the last view's findings) and finished."""
    marks: dict[str, float] = {}
    waiting = {"analysis", "images"}
    loop = QEventLoop()

    def done(what: str) -> None:
        marks.setdefault(what, time.perf_counter())
        waiting.discard(what)
        if not waiting:
            loop.quit()

    def tick() -> None:
        if ("scanned" in marks and "first overlays" not in marks and window.view_name in window.analyses
                and window.pair.recombined.grid is not None):
            marks["first overlays"] = time.perf_counter()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(TICK_MS)
    connections = [(window.loader.scanned, lambda _scan: marks.setdefault("scanned", time.perf_counter())),
                   (window.analyser.progress, lambda *_: marks.setdefault("analysis start", time.perf_counter())),
                   (window.analyser.finished, lambda: done("analysis")), (window.analyser.failed, loop.quit),
                   (window.loader.idle, lambda: done("images"))]
    for signal, slot in connections:
        signal.connect(slot)
    QTimer.singleShot(TIMEOUT_S * 1000, loop.quit)
    marks["open"] = time.perf_counter()
    window.open_paths([study])
    loop.exec()
    marks["finished"] = time.perf_counter()
    timer.stop()
    for signal, slot in connections:
        signal.disconnect(slot)
    if waiting:
        sys.exit(f"the study did not open and analyse: {window.analyser.state} {window.message_bar.messages}")
    return marks


def _row(name: str, recorder: TickRecorder, marks: dict[str, float], source: str) -> str:
    gaps = recorder.gaps_ms(marks["open"], marks["finished"])
    analysis = recorder.gaps_ms(marks.get("analysis start", marks["open"]), marks["analysis"])
    # The worker alone: every image decoded, so the loader's decoding and drawing are over.
    alone_start = max(marks.get("analysis start", marks["open"]), marks["images"])
    alone = recorder.gaps_ms(alone_start, marks["analysis"]) if alone_start < marks["analysis"] else None
    alone_text = "–" if alone is None else f"{alone.max():.0f} ({(marks['analysis'] - alone_start) * 1000:.0f} ms)"
    return (f"| {name} | {source} | {gaps.max():.0f} | {np.percentile(gaps, 99):.1f} | "
            f"{analysis.max():.0f} | {alone_text} | {(marks['first overlays'] - marks['open']) * 1000:.0f} | "
            f"{(marks['analysis'] - marks['open']) * 1000:.0f} | {(marks['finished'] - marks['open']) * 1000:.0f} |")


def _apply_ms(app: QApplication, window: MainWindow) -> float:
    """Longest UI-thread time to put one view's findings on screen, drawing included."""
    times = []
    for name, analysis in window.analyses.items():
        window.select_view(name)
        window.pair.show_marks(None)
        app.processEvents()
        start = time.perf_counter()
        window.pair.show_marks(analysis.marks)
        window.pair.repaint()
        app.processEvents()
        times.append(time.perf_counter() - start)
    return max(times) * 1000.0


def _peak_rss_mib(pid: int | str = "self") -> float:
    """A process's peak resident memory (VmHWM), MiB."""
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def _child_peaks_mib() -> list[str]:
    """Peak resident memory of this process's living children (the AI process, decode processes), MiB."""
    peaks = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            if parent == os.getpid():
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    name = cmdline.read().split(b"\0")[-2].decode()[-60:]
                peaks.append(f"{entry} ({name}): {_peak_rss_mib(entry):.0f}")
        except (OSError, IndexError):
            continue
    return peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        os.environ["XDG_CACHE_HOME"] = str(root / "cache")  # an empty findings cache: the models must run
        study = root / "study"
        write_study(study, seed=args.seed)
        app = QApplication.instance() or QApplication([sys.argv[0]])
        settings = QSettings(str(root / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings)
        window.resize(1600, 1000)
        window.show()
        window.set_heatmap_shown(True)
        recorder = TickRecorder()
        rows = [_row("first open", recorder, _open_and_time(app, window, study), "models")]
        rows.append(_row("reopen, same window", recorder, _open_and_time(app, window, study), "memory cache"))
        apply_ms = _apply_ms(app, window)
        lesions = sum(len(analysis.marks.lesions) for analysis in window.analyses.values())
        device = ", ".join(sorted({analysis.marks.device for analysis in window.analyses.values()}))
        window.close()
        later = MainWindow(settings)
        later.resize(1600, 1000)
        later.show()
        rows.append(_row("reopen, new window", recorder, _open_and_time(app, later, study), "disk cache"))
        later.close()
        # A study opened once the models are in memory (every study after the first, or the first one opened from
        # the welcome screen after the start-up preload): an empty findings cache, so the models run again.
        os.environ["XDG_CACHE_HOME"] = str(root / "cache-2")
        fresh = MainWindow(settings)
        fresh.resize(1600, 1000)
        fresh.show()
        fresh.set_heatmap_shown(True)
        rows.append(_row("first open, models preloaded", recorder, _open_and_time(app, fresh, study), "models"))
        threads = {analysis.torch_threads for analysis in fresh.analyses.values()}
        seconds = [analysis.seconds for analysis in fresh.analyses.values()]
        children = _child_peaks_mib()
        fresh.close()

    print(f"UI responsiveness during lesion AI: {os.cpu_count()} CPU cores, device {device}, "
          f"torch threads {sorted(threads)} ({worker_threads()} wanted), "
          f"{TICK_MS} ms timer, 4 views of 2294 x 1914 px, {lesions} lesions\n")
    print("| open | findings from | longest gap ms | p99 gap ms | longest gap during analysis ms | "
          "longest gap, AI alone (its duration) ms | open → first view's overlays ms | "
          "open → 4 views analysed ms | open → all done ms |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))
    print(f"\nLongest UI-thread time to show one view's outlines + heatmap (drawing included): {apply_ms:.1f} ms")
    print(f"AI seconds per view (models preloaded, worker's view): {', '.join(f'{s:.2f}' for s in seconds)}")
    print(f"torch imported in the viewer process: {'torch' in sys.modules}; peak RSS MiB: viewer "
          f"{_peak_rss_mib():.0f}; "
          f"children: {'; '.join(children) or 'none'}")


if __name__ == "__main__":
    main()
