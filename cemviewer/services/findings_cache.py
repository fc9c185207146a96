"""The lesion AI's findings kept on disk between sessions, as the viewer draws them (ViewMarks), so reopening a study
shows its findings without running the models, and reading an entry costs the viewer's process next to nothing.

One compressed .npz per view in the user's cache folder: $XDG_CACHE_HOME/cemviewer/findings on Linux (else
~/.cache/cemviewer/findings; the platform's cache folder elsewhere). An entry's name is the SHA-256 of the format
version, the study UID, the view's SOP instance UIDs and each model file's name, size and modification time: new
images or retrained weights give new names, and entries nobody asks for age out (the newest MAX_ENTRIES are kept,
reads count as use). An entry holds each lesion's number, score, malignancy, box, outline polylines (all of them
in one float32 array, cut by a lengths array) and the union mask cropped to its box (bit-packed), and the reduced
heatmap: tens of kB a view. Reading one builds no full-size array and finds no contour: that was done once, in the
AI process, when the models ran.

Entries are written to a temporary file in the same folder and renamed into place, so a reader (another viewer
window included) never sees half an entry; an entry that cannot be read, or is of another format version, is
deleted and counts as missing. A cache that cannot be written only costs time, never findings.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QStandardPaths

from cemviewer.ai.model_files import CLASSIFIER_FILE, SEGMENTER_FILE
from cemviewer.imaging.lesion_marks import HeatImage, LesionMarks, ViewMarks

FORMAT_VERSION = 2  # 1 held full findings (masks, float16 heatmap): its entries are misses
MAX_ENTRIES = 2000
SUFFIX = ".npz"


def default_cache_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericCacheLocation)
    return Path(base or Path.home() / ".cache") / "cemviewer" / "findings"


def model_fingerprint(models_dir: Path) -> str | None:
    """What identifies the weights in `models_dir` without reading them; None when a model file is missing."""
    parts = []
    for name in (SEGMENTER_FILE, CLASSIFIER_FILE):
        try:
            stat = (Path(models_dir) / name).stat()
        except OSError:
            return None
        parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)


def findings_key(study_uid: str, sop_instance_uids: list[str | None], fingerprint: str) -> str:
    """The cache key of one view's marks: `sop_instance_uids` are its LE and recombined images (None if absent)."""
    text = "\n".join([f"v{FORMAT_VERSION}", study_uid, *(uid or "-" for uid in sop_instance_uids), fingerprint])
    return hashlib.sha256(text.encode()).hexdigest()


class FindingsCache:
    def __init__(self, folder: Path | None = None) -> None:
        """`folder` None: default_cache_dir() at each use, so a changed XDG_CACHE_HOME counts at once."""
        self._folder = Path(folder) if folder is not None else None

    @property
    def folder(self) -> Path:
        return self._folder or default_cache_dir()

    def path(self, key: str) -> Path:
        return self.folder / f"{key}{SUFFIX}"

    def load(self, key: str) -> ViewMarks | None:
        path = self.path(key)
        try:
            with np.load(path) as entry:
                marks = _marks_of(entry)
            os.utime(path)  # a read is a use: it keeps the entry among the newest
            return marks
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            with contextlib.suppress(OSError):
                path.unlink()
            return None

    def save(self, key: str, marks: ViewMarks) -> None:
        folder = self.folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{key}.", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as file:
                    np.savez_compressed(file, **_arrays_of(marks))
                os.replace(temporary, folder / f"{key}{SUFFIX}")
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
            self._prune(folder)
        except OSError:
            pass  # a read-only or full cache folder: the marks were computed and are shown all the same

    @staticmethod
    def _prune(folder: Path) -> None:
        entries = list(folder.glob(f"*{SUFFIX}"))
        if len(entries) <= MAX_ENTRIES:
            return
        aged = sorted(entries, key=lambda path: path.stat().st_mtime_ns)
        for path in aged[:len(entries) - MAX_ENTRIES]:
            with contextlib.suppress(OSError):
                path.unlink()


def _arrays_of(marks: ViewMarks) -> dict[str, np.ndarray]:
    # In the lesion's own order of energies: the overlay borrows the first energy's outline for a missing one.
    polylines = [line for lesion in marks.lesions for lines in lesion.contours.values() for line in lines]
    masks = [lesion.mask.ravel() for lesion in marks.lesions if lesion.mask is not None]
    meta = {"version": FORMAT_VERSION, "device": marks.device,
            "lesions": [{"number": lesion.number, "has_mask": lesion.mask is not None,
                         "polylines": {energy: len(lines) for energy, lines in lesion.contours.items()}}
                        for lesion in marks.lesions]}
    arrays = {
        "boxes": np.array([lesion.box for lesion in marks.lesions], np.int64).reshape(-1, 4),
        "scores": np.array([lesion.score for lesion in marks.lesions], np.float64),
        "malignancy": np.array([np.nan if lesion.malignancy is None else lesion.malignancy
                                for lesion in marks.lesions], np.float64),
        "points": np.concatenate(polylines or [np.empty((0, 2))], dtype=np.float32),
        "lengths": np.array([len(line) for line in polylines], np.int64),
        "masks": np.packbits(np.concatenate(masks or [np.empty(0, bool)])),
    }
    if marks.heat is not None:
        meta["heat"] = {"step": marks.heat.step, "peak": marks.heat.peak}
        arrays["heat_levels"] = marks.heat.levels
    arrays["meta"] = np.array(json.dumps(meta))
    return arrays


def _marks_of(entry) -> ViewMarks:
    meta = json.loads(str(entry["meta"]))
    if meta["version"] != FORMAT_VERSION:
        raise ValueError(f"findings cache format {meta['version']}, expected {FORMAT_VERSION}")
    boxes = [tuple(int(n) for n in box) for box in entry["boxes"]]
    sizes = [(y1 - y0, x1 - x0) for x0, y0, x1, y1 in boxes]
    lengths = entry["lengths"]
    if sum(sum(lesion["polylines"].values()) for lesion in meta["lesions"]) != len(lengths):
        raise ValueError("findings cache entry: polyline counts and lengths disagree")
    polylines = iter(np.split(entry["points"], np.cumsum(lengths)[:-1]))
    masked = sum(rows * columns for (rows, columns), lesion in zip(sizes, meta["lesions"]) if lesion["has_mask"])
    packed = entry["masks"]
    if len(packed) != -(-masked // 8):  # unpackbits would pad a short array with zeros
        raise ValueError("findings cache entry: mask bits and boxes disagree")
    pixels = np.unpackbits(packed, count=masked).view(bool)
    lesions, offset = [], 0
    for box, size, score, malignancy, lesion in zip(boxes, sizes, entry["scores"], entry["malignancy"],
                                                    meta["lesions"], strict=True):
        contours = {energy: [next(polylines) for _ in range(count)] for energy, count in lesion["polylines"].items()}
        mask = None
        if lesion["has_mask"]:
            mask = pixels[offset:offset + size[0] * size[1]].reshape(size)
            offset += mask.size
        malignancy = None if np.isnan(malignancy) else float(malignancy)
        lesions.append(LesionMarks(lesion["number"], float(score), malignancy, box, contours, mask))
    heat = None
    if "heat" in meta:
        heat = HeatImage(entry["heat_levels"], meta["heat"]["step"], meta["heat"]["peak"])
    return ViewMarks(lesions, heat, meta["device"])
