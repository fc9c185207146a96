"""Opening an eight-image CEM study of full-size 16-bit DICOM (3062 x 2394) in the viewer, against pydicom alone.

In one process, for each transfer syntax: the real MainWindow (offscreen) opens the study folder, and the clock
runs from open_paths until (a) the first view's low-energy and recombined images are both on screen and a
synchronous repaint has drawn them, and (b) the loader reports all eight images done (its idle signal): each
image's pixels decoded into modality values held in memory, its default window and its overview thumbnail made,
and the window's slot for it run; the first view's images also have their display pyramid (the halved copies it
draws zoomed out). The other views' pyramids are made after that, on a loader thread, or when a view is first
shown, whichever comes first (about 1 ms per image; cemviewer.services.study_loader.LoadedImage). Then a
plain `pydicom.dcmread(f).pixel_array` of the same eight files, one after the other. Each repeat uses a fresh
window; the page cache is warm (the files were just written and are read once before timing). Medians over
--repeats; CPU seconds are the whole process (all threads). Prints a Markdown table.

A window starts two kinds of helper processes: the lesion AI's (it imports torch and loads the models) and the
decoders of compressed images (they import their codecs), 2-4 s of CPU together. The timed opens come after that
start-up is over, as for a radiologist who opens a study once the application is up; the first study of the process,
opened while they start (as `cemviewer PATH` does), is timed once before and reported below the table.

The window starts the lesion AI on every study it opens. The loading rows keep it out (CEMVIEWER_MODELS names an
empty folder, so the analyser gives up at once) to time the loading itself; one more row opens the uncompressed
study with the AI running alongside, as a user gets it (findings cache emptied before each open, so the models
really run).

Targets (the issue): first view under 1 s; the whole study within 1.5x the plain pydicom read.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_loading.py [--repeats 3]
        [--syntax explicit jpeg2000] [--no-ai-row]
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import resource
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pydicom  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless  # noqa: E402

from cemviewer.synth.dicom_writer import write_dataset  # noqa: E402
from cemviewer.synth.study import write_study  # noqa: E402

# The viewer's decode processes are spawned: each re-runs this file as "__mp_main__" before it decodes. The
# application's own entry point imports next to nothing; without this guard every worker would import Qt, the
# window and torch, and their start would run over the first study measured.
if __name__ != "__mp_main__":
    from PySide6.QtCore import QEvent, QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from cemviewer.ai.pipeline import MODELS_ENV
    from cemviewer.ui.main_window import MainWindow

TICK_MS = 5

SHAPE = (3062, 2394)
PIXEL_SPACING_MM = 0.1
SYNTAXES = {"explicit": ("uncompressed (Explicit VR Little Endian)", ExplicitVRLittleEndian),
            "jpeg2000": ("JPEG 2000 Lossless", JPEG2000Lossless)}
FIRST_VIEW_TARGET_S = 1.0
WHOLE_STUDY_TARGET_RATIO = 1.5
OPEN_TIMEOUT_MS = 300_000


@dataclass
class Opening:
    first_view_s: float
    all_loaded_s: float
    cpu_s: float
    rss_loaded_mib: float  # resident memory with the study open
    peak_rss_mib: float  # the process's peak so far
    longest_gap_ms: float  # longest time the UI thread could not run a 5 ms timer while the study loaded


@dataclass
class PlainRead:
    wall_s: float
    cpu_s: float


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _children_cpu_ticks() -> int:
    """CPU ticks used so far by this process's child processes that are still running (Linux /proc)."""
    total = 0
    for task in Path("/proc/self/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # it ended meanwhile
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def _wait_for_quiet_children(app: QApplication, interval_s: float = 0.5, timeout_s: float = 120.0) -> float:
    """Run the event loop until the child processes use no CPU for `interval_s`; returns the seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        ticks, mark = _children_cpu_ticks(), time.perf_counter()
        while time.perf_counter() - mark < interval_s:
            app.processEvents()
            time.sleep(0.01)
        if _children_cpu_ticks() - ticks <= 1:
            break
    return time.perf_counter() - started


def _dicom_files(folder: Path) -> list[Path]:
    return sorted(path for path in (folder / "DICOM").rglob("*") if path.is_file())


def _write_studies(root: Path, syntaxes: list[str]) -> dict[str, Path]:
    """The synthetic study once uncompressed, then re-encoded for each other syntax (same pixels, less waiting).
    Run in a child process, so that synthesis leaves nothing in this process's memory figures."""
    source = root / "explicit"
    write_study(source, seed=0, shape=SHAPE, pixel_spacing_mm=PIXEL_SPACING_MM)
    folders = {"explicit": source}
    for name in syntaxes:
        if name not in folders:
            folders[name] = root / name
            for path in _dicom_files(source):
                write_dataset(pydicom.dcmread(path), folders[name] / path.relative_to(source), SYNTAXES[name][1])
    return folders


def _first_view_shown(window: MainWindow) -> bool:
    view = window.current_view()
    return view is not None and all(pane.window is not None and pane.window.image.ref in view.images()
                                    for pane in window.pair.panes)


def _open_in_viewer(app: QApplication, folder: Path, settings: QSettings) -> Opening:
    window = MainWindow(settings)
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    marks: dict[str, float] = {}
    loop = QEventLoop()

    def on_image_loaded(_loaded) -> None:
        # Connected after the window's own slot, so the pair already holds whatever this image changed.
        if "first" not in marks and _first_view_shown(window):
            window.pair.viewport().repaint()
            marks["first"] = time.perf_counter() - started

    def on_idle() -> None:
        marks["all"] = time.perf_counter() - started
        loop.quit()

    def on_failed(message: str) -> None:
        marks["failed"] = 0.0
        print(f"opening failed: {message}")
        loop.quit()

    ticks: list[float] = []
    ticker = QTimer()
    ticker.timeout.connect(lambda: ticks.append(time.perf_counter()))
    ticker.start(TICK_MS)
    window.loader.imageLoaded.connect(on_image_loaded)
    window.loader.idle.connect(on_idle)
    window.loader.openFailed.connect(on_failed)
    QTimer.singleShot(OPEN_TIMEOUT_MS, loop.quit)
    cpu_started, started = time.process_time(), time.perf_counter()
    window.open_paths([folder])
    loop.exec()
    cpu = time.process_time() - cpu_started
    ticker.stop()
    stamps = [started, *ticks, started + marks.get("all", 0.0)]
    longest_gap_ms = 1000 * max(later - earlier for earlier, later in zip(stamps, stamps[1:]))
    if "all" not in marks or "first" not in marks or window.failed:
        raise RuntimeError(f"{folder}: the study did not open cleanly ({window.failed or 'timed out'})")
    opening = Opening(marks["first"], marks["all"], cpu, _rss_mib(), _peak_rss_mib(), longest_gap_ms)
    window.loader.shutdown()
    window.close()
    window.deleteLater()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    return opening


def _plain_read(files: list[Path]) -> PlainRead:
    cpu_started, started = time.process_time(), time.perf_counter()
    for path in files:
        pydicom.dcmread(path).pixel_array  # noqa: B018 - decoding is what is timed
    return PlainRead(time.perf_counter() - started, time.process_time() - cpu_started)


def _verdict(passed: bool) -> str:
    return "pass" if passed else "**miss**"


@dataclass
class Row:
    name: str
    file_count: int
    size_mib: float
    openings: list[Opening]
    reads: list[PlainRead]


def _measure(app: QApplication, name: str, folder: Path, settings: QSettings, repeats: int,
             before_each=lambda: None) -> Row:
    files = _dicom_files(folder)
    _plain_read(files)  # warms the page cache and pydicom's decoder plug-ins
    openings, reads = [], []
    for _ in range(repeats):
        before_each()
        openings.append(_open_in_viewer(app, folder, settings))
        reads.append(_plain_read(files))
    return Row(name, len(files), sum(path.stat().st_size for path in files) / 2**20, openings, reads)


def _print_table(rows: list[Row], repeats: int, rss_before: float, peak_after_first: float,
                 first_open: Opening, settled_s: float) -> None:
    print(f"Opening an {rows[0].file_count}-image CEM study at {SHAPE[1]} x {SHAPE[0]} (16-bit) in the viewer window "
          f"(offscreen), median of {repeats} opens, each in a fresh window; page cache warm.\n")
    print("| study | files MiB | first view drawn s | all 8 loaded s | plain pydicom read s "
          "| all loaded / pydicom | viewer CPU s | pydicom CPU s | RSS with study open MiB "
          "| longest UI gap ms, worst / median of the opens |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        first = statistics.median(o.first_view_s for o in row.openings)
        whole = statistics.median(o.all_loaded_s for o in row.openings)
        plain = statistics.median(r.wall_s for r in row.reads)
        print(f"| {row.name} | {row.size_mib:.0f} | {first:.3f} ({_verdict(first < FIRST_VIEW_TARGET_S)}) "
              f"| {whole:.3f} | {plain:.3f} "
              f"| {whole / plain:.2f}x ({_verdict(whole <= WHOLE_STUDY_TARGET_RATIO * plain)}) "
              f"| {statistics.median(o.cpu_s for o in row.openings):.2f} "
              f"| {statistics.median(r.cpu_s for r in row.reads):.2f} "
              f"| {statistics.median(o.rss_loaded_mib for o in row.openings):.0f} "
              f"| {max(o.longest_gap_ms for o in row.openings):.0f} "
              f"/ {statistics.median(o.longest_gap_ms for o in row.openings):.0f} |")
    print(f"\nTargets: first view < {FIRST_VIEW_TARGET_S:.0f} s; all loaded <= {WHOLE_STUDY_TARGET_RATIO}x the plain "
          f"pydicom read. RSS before the first open (Qt, pyqtgraph, torch imported) {rss_before:.0f} MiB; peak RSS "
          f"after the first open {peak_after_first:.0f} MiB (getrusage). Load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores at the end. Viewer CPU is this process's: compressed images decode in worker "
          f"processes (cemviewer.services.decode_processes), whose CPU it leaves out. Longest UI gap: the largest "
          f"interval between {TICK_MS} ms timer ticks on the UI thread while the study loaded in each open: the worst "
          f"open's, and the median open's.")
    print(f"\nFirst study of the process ({rows[0].name}), opened at once with the first window while its helper "
          f"processes started: first view drawn {first_open.first_view_s:.3f} s, all loaded "
          f"{first_open.all_loaded_s:.3f} s, longest UI gap {first_open.longest_gap_ms:.0f} ms; their start-up was "
          f"over {settled_s:.1f} s after that open began, and the timed opens came after it.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--syntax", nargs="+", choices=sorted(SYNTAXES), default=["explicit", "jpeg2000"])
    parser.add_argument("--no-ai-row", action="store_true", help="leave out the row with the lesion AI running")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    models = os.environ.get(MODELS_ENV)
    with tempfile.TemporaryDirectory(prefix="cemviewer-bench-loading-") as temp:
        root = Path(temp)
        # Findings go to a cache of this run's own, never the user's.
        os.environ["XDG_CACHE_HOME"] = str(root / "cache")
        settings = QSettings(str(root / "settings.ini"), QSettings.Format.IniFormat)
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            folders = pool.apply(_write_studies, (root, args.syntax))
        rss_before = _rss_mib()
        (root / "no-models").mkdir()
        os.environ[MODELS_ENV] = str(root / "no-models")
        _plain_read(_dicom_files(folders[args.syntax[0]]))  # the page cache warm for the first open too
        first_started = time.perf_counter()
        first = _open_in_viewer(app, folders[args.syntax[0]], settings)
        _wait_for_quiet_children(app)
        settled_s = time.perf_counter() - first_started
        rows = [_measure(app, SYNTAXES[name][0], folders[name], settings, args.repeats) for name in args.syntax]
        if not args.no_ai_row:
            if models is None:
                del os.environ[MODELS_ENV]
            else:
                os.environ[MODELS_ENV] = models
            rows.append(_measure(app, f"{SYNTAXES['explicit'][0]}, lesion AI running alongside",
                                 folders["explicit"], settings, args.repeats,
                                 lambda: shutil.rmtree(root / "cache", ignore_errors=True)))
    _print_table(rows, args.repeats, rss_before, first.peak_rss_mib, first, settled_s)


if __name__ == "__main__":
    main()
