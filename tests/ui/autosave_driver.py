"""A viewer process for the autosave recovery test (tests/ui/test_autosave_recovery.py), run as a script:

    python tests/ui/autosave_driver.py STUDY_FOLDER DUMP_FILE

It builds the real main window offscreen, opens the study and edits it with the real tools (brush, polygon,
labels and notes in the annotation panel, an AI proposal accepted with Y and one left pending), then starts a
brush stroke and keeps the mouse button down. Each time an autosave has written the edits so far it writes the
window's lesions, read straight from the editor, to DUMP_FILE and prints a line (`saved 1`, then `stroking 2`):
the parent kills it with SIGKILL after the second and checks that a new window restores exactly the dump.
The lesion AI is expected off (CEMVIEWER_MODELS pointing at an empty folder), so no proposal arrives mid-edit.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEventLoop, QPointF, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from cemviewer.ui.main_window import MainWindow

LEFT = Qt.MouseButton.LeftButton
NO_MODIFIER = Qt.KeyboardModifier.NoModifier
TIMEOUT_S = 300


def wait_until(app: QApplication, condition) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("driver: timed out")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def viewport_point(window: MainWindow, x: float, y: float):
    return window.pair.mapFromScene(window.editor.items[0].mapToScene(QPointF(x, y)))


def drag(window: MainWindow, points, release: bool = True) -> None:
    viewport = window.pair.viewport()
    positions = [viewport_point(window, x, y) for x, y in points]
    QTest.mousePress(viewport, LEFT, NO_MODIFIER, positions[0])
    for position in positions[1:]:
        QTest.mouseMove(viewport, position)
    if release:
        QTest.mouseRelease(viewport, LEFT, NO_MODIFIER, positions[-1])


def key(window: MainWindow, which) -> None:
    QTest.keyClick(window, which)


def dump(window: MainWindow, path: Path) -> None:
    """Every view's lesions as the editor holds them: full masks and attributes."""
    arrays, meta = {}, {}
    for view_name, lesions in window.editor.sets.items():
        meta[view_name] = []
        for index, lesion in enumerate(lesions.lesions.values()):
            arrays[f"{view_name}_{index}"] = lesion.mask
            meta[view_name].append({"source": lesion.source, "label": lesion.label, "note": lesion.note,
                                    "score": lesion.score, "malignancy": lesion.malignancy})
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    partial = path.with_suffix(".partial.npz")
    np.savez_compressed(partial, **arrays)
    partial.replace(path)


def main(study: Path, dump_path: Path) -> int:
    app = QApplication(sys.argv[:1])
    window = MainWindow(QSettings(str(dump_path.with_name("settings.ini")), QSettings.Format.IniFormat))
    window.resize(1400, 900)
    window.show()
    saves = []
    window.autosave.saved.connect(saves.append)
    idle = []
    window.loader.idle.connect(lambda: idle.append(True))
    window.open_paths([study])
    wait_until(app, lambda: idle and window.editor.lesions is not None)
    rcc = window.editor.lesions

    key(window, Qt.Key.Key_B)
    drag(window, [(100.5, 200.5), (160.5, 215.5), (230.5, 190.5)])
    window.editor.panel.label.setCurrentText("malignant")
    window.editor.panel.note.setPlainText("irregular, rim enhancement")
    key(window, Qt.Key.Key_N)  # a new lesion, filled with the polygon tool
    key(window, Qt.Key.Key_P)
    viewport = window.pair.viewport()
    corners = [(250.5, 300.5), (330.5, 310.5), (300.5, 380.5)]
    for x, y in corners:
        QTest.mouseClick(viewport, LEFT, NO_MODIFIER, viewport_point(window, x, y))
    QTest.mouseDClick(viewport, LEFT, NO_MODIFIER, viewport_point(window, *corners[-1]))
    window.editor.panel.label.setCurrentText("benign")
    # Two AI proposals as the lesion AI would add them: the first accepted (Navigate click, then Y), one left.
    rows, columns = np.ogrid[: rcc.shape[0], : rcc.shape[1]]
    rcc.add_proposal((rows - 100) ** 2 + (columns - 320) ** 2 <= 25 ** 2, score=0.83, malignancy=0.64)
    rcc.add_proposal((rows - 420) ** 2 + (columns - 80) ** 2 <= 15 ** 2, score=0.41, malignancy=0.12)
    key(window, Qt.Key.Key_Escape)  # back to Navigate
    QTest.mouseClick(viewport, LEFT, NO_MODIFIER, viewport_point(window, 320.5, 100.5))
    key(window, Qt.Key.Key_Y)
    window.editor.panel.note.setPlainText("accepted from the AI")
    # LCC: a brush stroke, then part of it erased.
    key(window, Qt.Key.Key_2)
    wait_until(app, lambda: window.editor.view_name == "LCC" and window.editor.lesions is not rcc)
    key(window, Qt.Key.Key_B)
    drag(window, [(150.5, 150.5), (150.5, 260.5)])
    key(window, Qt.Key.Key_E)
    drag(window, [(120.5, 200.5), (180.5, 200.5)])

    edited = len(saves)
    wait_until(app, lambda: len(saves) > edited and window.autosave.up_to_date)
    dump(window, dump_path)
    print("saved", len(saves), flush=True)

    # Mid-edit: a stroke begun on LCC, the button still down, when the autosave writes and the kill comes.
    key(window, Qt.Key.Key_B)
    window.editor.lesions.select(None)
    drag(window, [(300.5, 100.5), (320.5, 120.5), (340.5, 160.5)], release=False)
    stroking = len(saves)
    wait_until(app, lambda: len(saves) > stroking and window.autosave.up_to_date)
    dump(window, dump_path)
    print("stroking", len(saves), flush=True)
    wait_until(app, lambda: False)  # until killed
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
