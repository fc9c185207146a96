"""Autosave cost on a full-size study: four 3062 x 2394 views with several hand-painted lesions each (brush
strokes of the editor's own LesionSet), one large accepted AI lesion and a pending proposal. Measures the two parts
of a save: the snapshot the UI thread takes (cropped masks copied) and the write the worker does (compress, write,
fsync, rename), plus the restore when the study is opened again. Prints a Markdown table of medians.

    .venv/bin/python benchmarks/bench_autosave.py [--repeats 20] [--lesions 4] [--folder DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from cemviewer.editing.lesion_set import LesionSet
from cemviewer.sessions.snapshot import restored_set, study_session
from cemviewer.sessions.store import SessionStore

SHAPE = (3062, 2394)
SPACING = (0.1, 0.1)
VIEWS = ("RCC", "LCC", "RMLO", "LMLO")
UID = "1.2.826.0.1.3680043.8.498.1"


def edited_sets(lesions_per_view: int, seed: int = 0) -> dict[str, LesionSet]:
    rng = np.random.default_rng(seed)
    sets = {}
    for view in VIEWS:
        lesions = LesionSet(SHAPE, SPACING)
        for _ in range(lesions_per_view):  # 10-25 mm painted lesions: a few strokes of a 3 mm brush
            lesions.select(None)
            centre = rng.uniform((600, 400), (SHAPE[0] - 600, SHAPE[1] - 400))
            size = rng.uniform(50, 125)
            for offset in np.linspace(-size, size, 6):
                lesions.begin_stroke(30)
                for t in np.linspace(-1, 1, 12):
                    lesions.stroke_to((centre[1] + t * size + 0.5, centre[0] + offset + 0.5))
                lesions.end_stroke()
        rows, columns = np.ogrid[: SHAPE[0], : SHAPE[1]]
        accepted = lesions.add_proposal((rows - 1500) ** 2 + (columns - 1200) ** 2 <= 300 ** 2, 0.9, 0.8)
        lesions.accept(accepted)  # a 60 mm AI lesion
        lesions.add_proposal((rows - 2600) ** 2 + (columns - 600) ** 2 <= 80 ** 2, 0.4, 0.2)
        sets[view] = lesions
    return sets


def median_ms(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--lesions", type=int, default=4, help="painted lesions per view")
    parser.add_argument("--folder", type=Path, default=None, help="store folder (default: a temporary one)")
    args = parser.parse_args()
    sets = edited_sets(args.lesions)
    count = sum(len(lesions.lesions) for lesions in sets.values())
    with tempfile.TemporaryDirectory() as temporary:
        store = SessionStore(args.folder or Path(temporary))
        session = study_session(sets, kept=set())
        snapshot = median_ms(lambda: study_session(sets, kept=set()), args.repeats)
        write = median_ms(lambda: store.save(UID, session), args.repeats)
        size = store.path(UID).stat().st_size
        restore = median_ms(lambda: [restored_set(view) for view in store.load(UID).views.values()], args.repeats)
    print(f"Full-size study: {len(VIEWS)} views of {SHAPE[1]} x {SHAPE[0]}, {count} lesions "
          f"({args.lesions} painted + 1 accepted + 1 proposal per view); medians of {args.repeats}\n")
    print("| step | where | ms |\n|---|---|---|")
    print(f"| snapshot (cropped masks copied) | UI thread | {snapshot:.1f} |")
    print(f"| write (compress, write, fsync, rename) | autosave worker | {write:.1f} |")
    print(f"| restore (read, masks back into LesionSets) | UI thread, on opening | {restore:.1f} |")
    print(f"\nsession file: {size / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
