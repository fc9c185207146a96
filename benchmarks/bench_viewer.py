"""Repaint time of the LE/recombined pair at full detector size (3062 x 2394, 0.07 mm): pan, zoom, window/level.

Runs offscreen (raster painting, as on a machine without GPU acceleration). Each figure is the median time of one user
step plus the synchronous repaint of the whole pair view (both panes) it causes.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_viewer.py
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from cemviewer.imaging.pyramid import build_pyramid  # noqa: E402
from cemviewer.imaging.thumbnail import thumbnail  # noqa: E402
from cemviewer.imaging.windowing import WindowState  # noqa: E402
from cemviewer.services.study_loader import LoadedImage  # noqa: E402
from cemviewer.study.model import Energy, ImageRef, MammoImage, WindowPreset  # noqa: E402
from cemviewer.ui.pair_view import PairView  # noqa: E402

SHAPE = (3062, 2394)
SPACING_MM = (0.07, 0.07)
STEPS = 40


def _image(energy: Energy, seed: int) -> LoadedImage:
    rng = np.random.default_rng(seed)
    coarse = rng.normal(2000, 400, size=(SHAPE[0] // 16 + 1, SHAPE[1] // 16 + 1))
    pixels = np.kron(coarse, np.ones((16, 16)))[: SHAPE[0], : SHAPE[1]]
    pixels = np.clip(pixels + rng.normal(0, 30, SHAPE), 0, 4095).astype(np.uint16)
    ref = ImageRef(Path(f"{energy.value}.dcm"), str(seed), "1", "1", "P", "R", "CC", energy, *SHAPE)
    window = WindowState(MammoImage(ref, pixels, SPACING_MM, [WindowPreset(2000, 1600, "NORMAL")], False))
    return LoadedImage(window, thumbnail(pixels, window.mapping()), build_pyramid(pixels))


def _median_ms(app: QApplication, view: PairView, step) -> float:
    times = []
    for i in range(STEPS):
        started = time.perf_counter()
        step(i)
        view.viewport().repaint()
        times.append((time.perf_counter() - started) * 1000.0)
        app.processEvents()
    return statistics.median(times)


def main() -> None:
    app = QApplication.instance() or QApplication([])
    view = PairView()
    view.resize(1640, 1000)
    view.show()
    view.show_pair("RCC", _image(Energy.LOW, 1), _image(Energy.RECOMBINED, 2))
    app.processEvents()
    view.fit()
    view.viewport().repaint()
    viewbox = view.low_energy.viewbox

    def pan(i: int) -> None:
        viewbox.translateBy(x=(-1) ** i * 3.0, y=(-1) ** i * 2.0)

    def zoom(i: int) -> None:
        viewbox.scaleBy((0.97, 0.97) if i % 2 else (1 / 0.97, 1 / 0.97))

    def zoom_across_levels(i: int) -> None:
        viewbox.scaleBy((0.5, 0.5) if i % 2 else (2.0, 2.0))

    def window_level(i: int) -> None:
        view.low_energy.window.drag((-1) ** i * 4.0, (-1) ** i * 3.0)
        view.low_energy.refresh_window()

    print(f"pair view {view.width()}x{view.height()} px, two {SHAPE[1]}x{SHAPE[0]} uint16 images, median of {STEPS}")
    started = time.perf_counter()
    build_pyramid(view.low_energy.window.image.pixels)
    print(f"  pyramid build (worker): {(time.perf_counter() - started) * 1000:5.1f} ms per image")
    print(f"  pan (fitted):          {_median_ms(app, view, pan):6.1f} ms")
    print(f"  zoom step (fitted):    {_median_ms(app, view, zoom):6.1f} ms")
    print(f"  zoom x2 (new level):   {_median_ms(app, view, zoom_across_levels):6.1f} ms")
    print(f"  window/level drag:     {_median_ms(app, view, window_level):6.1f} ms")
    view.one_to_one()
    print(f"  pan (1:1):             {_median_ms(app, view, pan):6.1f} ms")
    print(f"  window/level (1:1):    {_median_ms(app, view, window_level):6.1f} ms")


if __name__ == "__main__":
    main()
