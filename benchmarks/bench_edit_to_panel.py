"""Edit to updated panel: from the mouse release that ends a brush stroke to the Assessment panel showing the new
figures (DL, radiomics and fused probabilities, contributions, feature table), painted.

A full-size synthetic study (3062 x 2394 at 0.1 mm, seed 0) is written as DICOM to a temporary folder and opened in
the real MainWindow (offscreen, 1920 x 1080). On the first view, lesions of 10, 30 and 60 mm are painted with the
brush through real mouse events on the pair view (press, a short drag, release; brush radius = half the diameter),
deep in the breast. The clock starts just before the release event is sent and stops once the panel has shown
the assessment of that outline and repainted (a synchronous repaint of the panel). The figure includes the
debounce (cemviewer.services.roi_assessment.DEBOUNCE_MS), on purpose: it is what the user waits. The lesion AI is
kept out (the models folder holds the radiomics model and the classifier, no segmenter), so it does not compete
for the CPU. Every lesion is new, so the worker's model loading is done once in a warm-up stroke beforehand.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_edit_to_panel.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QEventLoop, QPointF, QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from scipy import ndimage

from cemviewer.ai.pipeline import CLASSIFIER_FILE, MODELS_ENV, default_models_dir
from cemviewer.fusion.model import MODEL_FILE, metadata_path
from cemviewer.services.roi_assessment import DEBOUNCE_MS
from cemviewer.synth.study import write_study

SHAPE = (3062, 2394)
SPACING_MM = 0.1
DIAMETERS_MM = (10, 30, 60)
TIMEOUT_S = 60.0
LEFT = Qt.MouseButton.LeftButton
NO_MODIFIER = Qt.KeyboardModifier.NoModifier


def _wait(done, signal=None, timeout_s: float = TIMEOUT_S) -> None:
    """Run the event loop until done(). It sleeps between events, as the application's own does: polling would
    take the GIL from the worker being timed. `signal` wakes it up as soon as it is emitted."""
    end = time.perf_counter() + timeout_s
    while not done():
        if time.perf_counter() > end:
            raise TimeoutError("the window did not get there in time")
        loop = QEventLoop()
        QTimer.singleShot(50, loop.quit)
        if signal is not None:
            signal.connect(loop.quit)
        loop.exec()
        if signal is not None:
            signal.disconnect(loop.quit)


def _deepest_point(window) -> tuple[float, float]:
    pixels = window.loaded[window.current_view().low_energy].window.image.pixels
    step = 8
    small = pixels[::step, ::step]
    breast = np.pad((small > small.min() + 0.05 * np.ptp(small))[1:-1, 1:-1], 1)
    row, column = np.unravel_index(int(np.argmax(ndimage.distance_transform_edt(breast))), breast.shape)
    return column * step + 0.5, row * step + 0.5


def _viewport_point(window, x: float, y: float):
    return window.pair.mapFromScene(window.editor.items[0].mapToScene(QPointF(x, y)))


def stroke_to_panel(window, centre: tuple[float, float], radius_px: float) -> dict[str, float]:
    """Paint one new lesion; seconds from the release to the panel showing its assessment, and its parts."""
    window.actions_by_key["new_lesion"].trigger()
    window.editor.tools.set_radius(radius_px)
    viewport = window.pair.viewport()
    x, y = centre
    points = [_viewport_point(window, x + dx, y) for dx in (-3.0, 0.0, 3.0)]
    QTest.mousePress(viewport, LEFT, NO_MODIFIER, points[0])
    for point in points[1:]:
        QTest.mouseMove(viewport, point)
    lesions, panel = window.editor.lesions, window.assessment_panel
    start = time.perf_counter()
    QTest.mouseRelease(viewport, LEFT, NO_MODIFIER, points[-1])
    target = lesions.active_id
    _wait(lambda: panel.shown is not None and panel.shown.lesion_id == target and panel.results.isEnabled(),
          window.assessor.assessed)
    panel.repaint()
    shown = time.perf_counter()
    assert math.isclose(panel.shown.assessment.area_mm2, lesions.area(target), rel_tol=1e-9)
    return {"total": shown - start, "worker": panel.shown.assessment.seconds,
            "area": panel.shown.assessment.area_mm2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench_edit_to_panel_") as temporary:
        folder = Path(temporary)
        models = folder / "models"
        models.mkdir()
        radiomics = default_models_dir() / MODEL_FILE
        for name in (radiomics.name, metadata_path(radiomics).name, CLASSIFIER_FILE):
            (models / name).symlink_to(default_models_dir() / name)
        os.environ[MODELS_ENV] = str(models)
        os.environ["XDG_CACHE_HOME"] = str(folder / "cache")
        os.environ["XDG_DATA_HOME"] = str(folder / "data")  # no lesions autosaved by an earlier run come back
        study = folder / "study"
        write_study(study, seed=0, shape=SHAPE, pixel_spacing_mm=SPACING_MM)

        from cemviewer.ui.main_window import MainWindow
        from cemviewer.ui.theme import apply_dark_theme

        app = QApplication.instance() or QApplication([])
        apply_dark_theme(app)
        window = MainWindow(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
        window.resize(1920, 1080)
        window.show()
        window.open_paths([study])
        _wait(lambda: window.editor.lesions is not None and len(window.loaded) == 8)
        window.actions_by_key["tool_brush"].trigger()
        centre = _deepest_point(window)
        stroke_to_panel(window, centre, 50.0)  # warm-up: the worker loads the models

        rows = []
        for diameter in DIAMETERS_MM:
            runs = [stroke_to_panel(window, centre, diameter / 2 / SPACING_MM) for _ in range(args.repeats)]
            rows.append((diameter, {key: statistics.median(run[key] for run in runs) for key in runs[0]},
                         max(run["total"] for run in runs)))
        window.close()

    print(f"Edit to updated panel on a {SHAPE[0]} x {SHAPE[1]} view at {SPACING_MM} mm, window 1920 x 1080, "
          f"debounce {DEBOUNCE_MS} ms, median of {args.repeats} strokes (max in brackets), load average "
          f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n")
    print("| lesion | area (mm²) | release → panel shown (ms) | of which debounce (ms) | of which worker: "
          "assess_lesion (ms) |")
    print("|---|---:|---:|---:|---:|")
    for diameter, median, worst in rows:
        print(f"| {diameter} mm | {median['area']:.0f} | {median['total'] * 1000:.0f} ({worst * 1000:.0f}) | "
              f"{DEBOUNCE_MS} | {median['worker'] * 1000:.0f} |")


if __name__ == "__main__":
    main()
