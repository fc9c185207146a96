"""The screenshots of docs/USER_GUIDE.md, taken from the real viewer on the demo study:

    xvfb-run -s "-screen 0 1920x1080x24" .venv/bin/python docs/make_screenshots.py

It needs a real X server (Xvfb): menus are separate windows, caught only by grabbing the screen. Settings live in a
temporary file, so the user's recent studies and preferences are neither used nor changed; the demo study and the
findings cache are the user's own (written on first use). PNGs go to docs/images/, at most MAX_WIDTH pixels wide,
reduced to a 256-colour palette to keep the repository small.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QBuffer, QEventLoop, QIODevice, QSettings, Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QMenu

from cemviewer.editing.lesion_set import BENIGN, MALIGNANT, PROPOSAL
from cemviewer.services.inference import FINISHED
from cemviewer.synth.demo import demo_study_path
from cemviewer.ui.about_dialog import AboutDialog
from cemviewer.ui.main_window import MainWindow
from cemviewer.ui.preferences import AUTOSAVE_KEY
from cemviewer.ui.preferences_dialog import PreferencesDialog
from cemviewer.ui.recent import ORGANISATION
from cemviewer.ui.theme import apply_dark_theme

OUT = Path(__file__).resolve().parent / "images"
SCREEN = (1920, 1080)
MAX_WIDTH = 1600
TIMEOUT_S = 600
MANUAL_SIZE_MM = 9.0
APP = None


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"make_screenshots: gave up waiting for {what} after {timeout_s:.0f} s")
        APP.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)


def settle(seconds: float = 0.5) -> None:
    """Let layouts, repaints and deferred redraws finish."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        APP.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)


def save(image: QImage, name: str) -> None:
    if image.width() > MAX_WIDTH:
        image = image.scaledToWidth(MAX_WIDTH, Qt.TransformationMode.SmoothTransformation)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    picture = Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGB")
    path = OUT / f"{name}.png"
    picture.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    print(f"{path.relative_to(OUT.parent.parent)}: {picture.width}x{picture.height}, {path.stat().st_size // 1024} KiB")


def screen() -> QImage:
    return QGuiApplication.primaryScreen().grabWindow(0).toImage()


def guide_view(window: MainWindow) -> str:
    """The view whose most confident AI lesion is the most compact: the clearest example of an outline."""
    def area(view_name: str) -> float:
        x0, y0, x1, y1 = window.analyses[view_name].marks.lesions[0].box
        return (x1 - x0) * (y1 - y0)

    return min((view.name for view in window.study.views if window.analyses[view.name].marks.lesions), key=area)


def manual_outline(window: MainWindow, view_name: str) -> list[tuple[float, float]]:
    """A small irregular outline (about MANUAL_SIZE_MM) on breast tissue beside the AI's lesions, as if painted."""
    view = window.study.view(view_name)
    image = window.loaded[view.low_energy].window.image
    pixels = image.pixels.astype(np.float32)
    breast = pixels > pixels.min() + 0.1 * (np.percentile(pixels, 99) - pixels.min())
    half = MANUAL_SIZE_MM / 2 / (image.spacing_mm[0] if image.spacing_mm else 0.1)
    boxes = [lesion.box for lesion in window.analyses[view_name].marks.lesions]
    x0, y0, x1, y1 = boxes[0]
    rows, columns = breast.shape
    for distance in (2.0, 3.0, 4.0):
        for angle in np.linspace(0, 2 * np.pi, 16, endpoint=False):
            x = (x0 + x1) / 2 + distance * (x1 - x0) * np.cos(angle)
            y = (y0 + y1) / 2 + distance * (y1 - y0) * np.sin(angle)
            left, top, right, bottom = int(x - half), int(y - half), int(x + half), int(y + half)
            if left < 0 or top < 0 or right >= columns or bottom >= rows or not breast[top:bottom, left:right].all():
                continue
            if any(left < bx1 and bx0 < right and top < by1 and by0 < bottom for bx0, by0, bx1, by1 in boxes):
                continue
            return [(x - half, y - 0.6 * half), (x + 0.5 * half, y - half), (x + half, y + 0.3 * half),
                    (x + 0.2 * half, y + half), (x - 0.8 * half, y + 0.6 * half)]
    raise SystemExit(f"make_screenshots: no free breast tissue for a painted lesion on {view_name}")


def menu_of(window: MainWindow, title: str) -> QMenu:
    return next(action.menu() for action in window.menuBar().actions() if action.text() == title)


def main() -> int:
    global APP
    APP = QApplication([sys.argv[0]])
    if APP.platformName() != "xcb":
        print("make_screenshots: run it under Xvfb: xvfb-run -s \"-screen 0 1920x1080x24\" .venv/bin/python "
              "docs/make_screenshots.py", file=sys.stderr)
        return 2
    APP.setOrganizationName(ORGANISATION)
    APP.setApplicationName("cemviewer")
    apply_dark_theme(APP)
    OUT.mkdir(parents=True, exist_ok=True)
    scratch = tempfile.TemporaryDirectory()
    settings = QSettings(str(Path(scratch.name) / "settings.ini"), QSettings.Format.IniFormat)
    demo = demo_study_path()
    settings.setValue("recent_studies", [str(demo), "/media/cdrom/CEM_2024-03-11"])
    # No lesions restored from an earlier session: the AI's proposals are what the guide starts from.
    settings.setValue(AUTOSAVE_KEY, str(Path(scratch.name) / "autosave"))

    window = MainWindow(settings)
    window.setGeometry(0, 0, *SCREEN)
    window.show()
    settle(1.0)
    save(window.grab().toImage(), "welcome")

    # Opening a study: the demo, with the AI's outlines once every view is analysed.
    window.open_demo()
    wait_until(lambda: window.study is not None and window.analyser.state == FINISHED
               and len(window.loaded) == len(window.study.images()), "the demo study and its analysis")
    name = guide_view(window)
    window.select_view(name)
    settle(1.5)
    save(window.grab().toImage(), "study_open")

    # AI overlays: the heatmap over the recombined image, the most confident lesion chosen in the list (both images
    # zoom to it; zoomed out again for the picture, whose detector noise at 1:1 would cost the PNG three times).
    suspicious = window.analyses[name].marks.lesions[0]
    window.set_heatmap_shown(True)
    window.focus_lesion(suspicious.number)
    window.pair.fit()
    settle(1.0)
    save(window.grab().toImage(), "ai_overlays")
    window.set_heatmap_shown(False)

    # Editing: the AI proposal accepted, labelled and annotated; a second lesion painted by hand.
    edited = window.editor.lesions
    proposal = next(lesion.id for lesion in edited.lesions.values() if lesion.source == PROPOSAL)
    edited.select(proposal)
    window.actions_by_key["accept_lesion"].trigger()
    edited.set_label(proposal, MALIGNANT)
    edited.set_note(proposal, "Irregular enhancing mass, washout on the recombined image")
    edited.select(None)
    manual = edited.fill_polygon(manual_outline(window, name))
    edited.set_label(manual, BENIGN)
    edited.select(proposal)
    window.actions_by_key["tool_brush"].trigger()
    window.pair.fit()
    settle(1.5)
    save(window.grab().toImage(), "editing")

    # The radiomics panel: the accepted lesion's probabilities, TreeSHAP contributions and features.
    assessed = []
    window.assessor.assessed.connect(assessed.append)
    window.assessor.refresh()
    wait_until(lambda: assessed, "the lesion assessment")
    window.actions_by_key["tool_navigate"].trigger()
    settle(1.5)
    save(window.grab().toImage(), "radiomics_panel")
    save(window.assessment_panel.grab().toImage(), "radiomics_panel_detail")

    # Export: File ▸ Export.
    file_menu = menu_of(window, "File")
    file_menu.popup(window.mapToGlobal(window.menuBar().geometry().bottomLeft()))
    settle(0.5)
    export = next(action for action in file_menu.actions() if action.menu() and action.text() == "Export")
    file_menu.setActiveAction(export)
    export.menu().popup(file_menu.mapToGlobal(file_menu.actionGeometry(export).topRight()))
    settle(0.8)
    shot = screen()
    save(shot.copy(0, 0, SCREEN[0] // 2, SCREEN[1] // 2), "export_menu")
    export.menu().close()
    file_menu.close()

    # Preferences as a new user finds them (the window's settings point its autosave at the scratch folder).
    fresh = QSettings(str(Path(scratch.name) / "fresh.ini"), QSettings.Format.IniFormat)
    for dialog, name in ((AboutDialog(window), "about"), (PreferencesDialog(fresh, window), "preferences")):
        dialog.show()
        settle(0.8)
        save(dialog.grab().toImage(), name)
        if isinstance(dialog, PreferencesDialog):
            dialog.tabs.setCurrentIndex(1)
            settle(0.3)
            save(dialog.grab().toImage(), "preferences_overlays")
        dialog.close()

    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
