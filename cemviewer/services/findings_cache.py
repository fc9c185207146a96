"""Lesion findings kept on disk between sessions, so reopening a study shows its findings without running the models.

One compressed .npz per view in the user's cache folder: $XDG_CACHE_HOME/cemviewer/findings on Linux (else
~/.cache/cemviewer/findings; the platform's cache folder elsewhere). An entry's name is the SHA-256 of the study UID,
the view's SOP instance UIDs and each model file's name, size and modification time: new images or retrained
weights give new names, and entries nobody asks for age out (the newest MAX_ENTRIES are kept, reads count as use).
Masks are stored cropped to their lesion's box and the heatmap as float16, a few hundred kB a view.

Entries are written to a temporary file in the same folder and renamed into place, so a reader (another viewer
window included) never sees half an entry; an entry that cannot be read is deleted and counts as missing. A cache
that cannot be written only costs time, never findings.
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

from cemviewer.ai.findings import Lesion, ViewFindings
from cemviewer.ai.model_files import CLASSIFIER_FILE, SEGMENTER_FILE

FORMAT_VERSION = 1
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
    """The cache key of one view's findings: `sop_instance_uids` are its LE and recombined images (None if absent)."""
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

    def load(self, key: str) -> ViewFindings | None:
        path = self.path(key)
        try:
            with np.load(path) as entry:
                findings = _findings_of(entry)
            os.utime(path)  # a read is a use: it keeps the entry among the newest
            return findings
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            with contextlib.suppress(OSError):
                path.unlink()
            return None

    def save(self, key: str, findings: ViewFindings) -> None:
        folder = self.folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{key}.", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as file:
                    np.savez_compressed(file, **_arrays_of(findings))
                os.replace(temporary, folder / f"{key}{SUFFIX}")
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
            self._prune(folder)
        except OSError:
            pass  # a read-only or full cache folder: the findings were computed and are shown all the same

    @staticmethod
    def _prune(folder: Path) -> None:
        entries = list(folder.glob(f"*{SUFFIX}"))
        if len(entries) <= MAX_ENTRIES:
            return
        aged = sorted(entries, key=lambda path: path.stat().st_mtime_ns)
        for path in aged[:len(entries) - MAX_ENTRIES]:
            with contextlib.suppress(OSError):
                path.unlink()


def _arrays_of(findings: ViewFindings) -> dict[str, np.ndarray]:
    arrays = {
        "meta": np.array(json.dumps({"version": FORMAT_VERSION, "device": findings.device,
                                     "seconds": findings.seconds,
                                     "energies": [sorted(lesion.outlines) for lesion in findings.lesions]})),
        "boxes": np.array([lesion.box for lesion in findings.lesions], np.int64).reshape(-1, 4),
        "scores": np.array([lesion.score for lesion in findings.lesions], np.float64),
        "malignancy": np.array([np.nan if lesion.malignancy is None else lesion.malignancy
                                for lesion in findings.lesions], np.float64),
        "shape": np.array(findings.lesions[0].mask.shape if findings.lesions else (0, 0), np.int64),
    }
    if findings.heatmap is not None:
        arrays["heatmap"] = findings.heatmap.astype(np.float16)
    for index, lesion in enumerate(findings.lesions):
        x0, y0, x1, y1 = lesion.box
        for energy, mask in lesion.outlines.items():
            arrays[f"outline_{index}_{energy}"] = mask[y0:y1, x0:x1]
    return arrays


def _findings_of(entry) -> ViewFindings:
    meta = json.loads(str(entry["meta"]))
    if meta["version"] != FORMAT_VERSION:
        raise ValueError(f"findings cache format {meta['version']}, expected {FORMAT_VERSION}")
    shape = tuple(int(n) for n in entry["shape"])
    lesions = []
    for index, (box, score, malignancy, energies) in enumerate(zip(entry["boxes"], entry["scores"],
                                                                    entry["malignancy"], meta["energies"])):
        x0, y0, x1, y1 = (int(n) for n in box)
        outlines = {}
        for energy in energies:
            outlines[energy] = np.zeros(shape, bool)
            outlines[energy][y0:y1, x0:x1] = entry[f"outline_{index}_{energy}"]
        mask = np.logical_or.reduce(list(outlines.values()))
        lesions.append(Lesion(mask=mask, box=(x0, y0, x1, y1), score=float(score),
                              malignancy=None if np.isnan(malignancy) else float(malignancy),
                              area_px=int(mask.sum()), outlines=outlines))
    heatmap = entry["heatmap"].astype(np.float32) if "heatmap" in entry.files else None
    return ViewFindings(lesions, heatmap, meta["device"], meta["seconds"])
