"""Time of one brush dab on a full-size view (3062 x 2394, 0.07 mm): the mask edit, the overlay update and the
repaint of the changed region on both panes, fitted and at 1:1.

Each dab is one mouse move of a stroke (a capsule from the previous position). The repaint is Qt's own: the overlay
items ask for their changed box to be repainted, and the time runs until both panes have painted it. For
comparison, the same dab drawn through a pyqtgraph ImageItem holding the whole RGBA overlay (updateImage after
writing the sub-rectangle), which converts the whole overlay again each time.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_brush.py
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from bench_viewer import SHAPE, _image  # noqa: E402  (the same synthetic full-size pair)
from PySide6.QtCore import QRectF  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from cemviewer.editing.lesion_set import LesionSet  # noqa: E402
from cemviewer.study.model import Energy  # noqa: E402
from cemviewer.ui.edit_overlay import MaskCanvas, MaskOverlayItem, compose  # noqa: E402
from cemviewer.ui.pair_view import PairView  # noqa: E402

DABS = 60
BASELINE_DABS = 12
STEP_PX = 6.0  # image pixels between mouse positions: a steady drag at 1:1
MAX_EVENT_ROUNDS = 50


class CountingItem(MaskOverlayItem):
    """The overlay item, counting its paints."""

    paints = 0

    def paint(self, painter, option, widget=None) -> None:
        CountingItem.paints += 1
        super().paint(painter, option, widget)


def _until_painted(app: QApplication, paints: int) -> None:
    for _ in range(MAX_EVENT_ROUNDS):
        app.processEvents()
        if CountingItem.paints >= paints:
            return
    raise RuntimeError("the panes did not repaint the dab")


def _stroke_points(centre: tuple[float, float], count: int) -> list[tuple[float, float]]:
    x, y = centre
    return [(x + STEP_PX * (i - count / 2), y + 3.0 * np.sin(i / 5.0)) for i in range(count)]


def measure(app, lesions: LesionSet, canvas: MaskCanvas, points, radius: float) -> dict[str, float]:
    core, overlay, repaint, total, pixels = [], [], [], [], []
    lesions.begin_stroke(radius)
    for point in points:
        expected = CountingItem.paints + len(canvas.items)
        t0 = time.perf_counter()
        box = lesions.stroke_to(point)
        t1 = time.perf_counter()
        canvas.redraw(lesions, box)
        t2 = time.perf_counter()
        _until_painted(app, expected)
        t3 = time.perf_counter()
        core.append(t1 - t0)
        overlay.append(t2 - t1)
        repaint.append(t3 - t2)
        total.append(t3 - t0)
        x0, y0, x1, y1 = box
        pixels.append((x1 - x0 + 2) * (y1 - y0 + 2))  # redraw() takes a pixel more on each side
    lesions.end_stroke()
    return {name: statistics.median(values) * 1000.0 for name, values in
            (("core", core), ("overlay", overlay), ("repaint", repaint), ("total", total))} | {
        "pixels": statistics.median(pixels)}


def measure_full_image_item(app, view: PairView, lesions: LesionSet, points, radius: float) -> float:
    """The alternative: a pyqtgraph ImageItem per pane with the whole RGBA overlay, updated after each dab."""
    rgba = np.zeros((*SHAPE, 4), np.uint8)
    items = []
    for pane in view.panes:
        item = pg.ImageItem(rgba, axisOrder="row-major", levels=(0, 255))
        item.setRect(QRectF(0.0, 0.0, SHAPE[1] * 0.07, SHAPE[0] * 0.07))
        pane.viewbox.addItem(item, ignoreBounds=True)
        items.append(item)
    app.processEvents()
    totals = []
    lesions.begin_stroke(radius)
    packed = rgba.view(np.uint32)[..., 0]
    for point in points:
        t0 = time.perf_counter()
        box = lesions.stroke_to(point)
        x0, y0, x1, y1 = box
        compose(lesions, box, packed[y0:y1, x0:x1])
        for item in items:
            item.updateImage()
        view.viewport().repaint()
        totals.append(time.perf_counter() - t0)
    lesions.end_stroke()
    for pane, item in zip(view.panes, items, strict=True):
        pane.viewbox.removeItem(item)
    return statistics.median(totals) * 1000.0


def main() -> None:
    app = QApplication.instance() or QApplication([])
    view = PairView()
    view.resize(1640, 1000)
    view.show()
    view.show_pair("RCC", _image(Energy.LOW, 1), _image(Energy.RECOMBINED, 2))
    grid = view.reference_grid()
    canvas = MaskCanvas()
    for pane in view.panes:
        item = CountingItem(canvas)
        item.set_grid(grid)
        pane.viewbox.addItem(item, ignoreBounds=True)
    canvas.reset(SHAPE)
    app.processEvents()
    view.fit()
    app.processEvents()

    lesions = LesionSet(SHAPE, grid.spacing_mm)
    # A lesion already there, as when refining an AI proposal: the dab's box is composed with it.
    lesions.add_proposal(_disc(SHAPE, (1500, 1200), 250))
    centre = (1200.0, 1500.0)
    rows = []
    for zoom in ("fitted", "1:1"):
        if zoom == "1:1":
            view.one_to_one()
            view.low_energy.viewbox.translateBy(x=centre[0] * 0.07 - np.mean(view.low_energy.viewbox.viewRange()[0]),
                                                y=centre[1] * 0.07 - np.mean(view.low_energy.viewbox.viewRange()[1]))
            app.processEvents()
        for radius in (15.0, 60.0):
            result = measure(app, lesions, canvas, _stroke_points(centre, DABS), radius)
            rows.append((zoom, radius, result))
            lesions.undo()
    baseline = measure_full_image_item(app, view, lesions, _stroke_points(centre, BASELINE_DABS), 15.0)

    print(f"One brush dab on a {SHAPE[1]} x {SHAPE[0]} view, pair view {view.width()} x {view.height()} px, "
          f"offscreen raster painting, median of {DABS} dabs {STEP_PX:g} px apart\n")
    print("| zoom | brush radius | mask edit | overlay update | repaint (both panes) | total | region redrawn "
          "(image px) |")
    print("|---|---|---|---|---|---|---|")
    for zoom, radius, r in rows:
        print(f"| {zoom} | {radius:.0f} px | {r['core']:.2f} ms | {r['overlay']:.2f} ms | {r['repaint']:.2f} ms | "
              f"**{r['total']:.2f} ms** | {r['pixels']:.0f} |")
    print(f"\nFor comparison, a pyqtgraph ImageItem holding the whole RGBA overlay (fitted, radius 15 px, "
          f"sub-rectangle written then updateImage, both panes repainted): **{baseline:.1f} ms** per dab "
          f"(median of {BASELINE_DABS}).")


def _disc(shape, centre, radius) -> np.ndarray:
    rows, columns = np.ogrid[:shape[0], :shape[1]]
    return (rows - centre[0]) ** 2 + (columns - centre[1]) ** 2 <= radius**2




if __name__ == "__main__":
    main()
