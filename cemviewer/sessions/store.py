"""The session store: one file per study (by StudyInstanceUID) holding its lesions as the annotator left them, so
that a crash, a kill or a power cut loses at most the last few seconds of work.

The store lives outside the study folder (a study on a CD, a PACS cache or a read-only share is annotated just
the same): $CEMVIEWER_SESSIONS when set, else the folder the caller names (the viewer's autosave setting), else
$XDG_DATA_HOME/cemviewer/autosave (~/.local/share/cemviewer/autosave, as the Preferences dialog shows it).

A session file is one .npz: `session`, the JSON metadata as bytes (format version, study, time saved, the views
with their mask shape and pixel spacing and every lesion's view, box, label, note, source and AI scores), and `mask_<i>`, lesion
i's bool mask cropped to its box. Cropped masks keep a full-size study with several lesions to a few kilobytes.

Writes are atomic: a temporary file in the store folder, flushed and fsynced, then renamed over the old file
(os.replace), so a file in the store is always a whole session, the new one or the previous one.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from cemviewer.annotations.records import LesionRecord

STORE_ENV = "CEMVIEWER_SESSIONS"
FORMAT = 1
SUFFIX = ".npz"
_SAFE_NAME = re.compile(r"[0-9A-Za-z._-]{1,128}")


class SessionStoreError(Exception):
    """The store cannot be written or a session file cannot be read; the message says which file and why."""


@dataclass(frozen=True)
class ViewSession:
    shape: tuple[int, int]  # (rows, columns) of the view's lesion masks
    spacing_mm: tuple[float, float] | None  # (row, column) as the view's LesionSet had it
    records: tuple[LesionRecord, ...]


@dataclass(frozen=True)
class StoredSession:
    study_uid: str
    saved_at: datetime  # aware, UTC
    views: Mapping[str, ViewSession]  # every view the annotator worked on, with or without lesions left

    @property
    def lesion_count(self) -> int:
        return sum(len(view.records) for view in self.views.values())


def default_folder(configured: str | Path | None = None) -> Path:
    """$CEMVIEWER_SESSIONS, else `configured` (a setting), else the per-user data folder's cemviewer/autosave."""
    chosen = os.environ.get(STORE_ENV) or (str(configured) if configured else "")
    if chosen:
        return Path(chosen).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "cemviewer" / "autosave"


class SessionStore:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, study_uid: str) -> Path:
        # A UID is digits and dots; anything else (a hand-made file) is hex-encoded, never a path of its own.
        name = study_uid if _SAFE_NAME.fullmatch(study_uid) and study_uid.strip(".") else study_uid.encode().hex()
        return self.folder / f"{name}{SUFFIX}"

    def save(self, study_uid: str, views: Mapping[str, ViewSession], saved_at: datetime | None = None) -> Path:
        """Write the session of `study_uid` (views by name). Raises SessionStoreError when the store cannot be
        written (unwritable folder, full disk); the previous session file then stays whole."""
        saved_at = saved_at or datetime.now(UTC)
        arrays, lesions, shapes = {}, [], {}
        for view_name, view in views.items():
            shapes[view_name] = {"shape": [int(view.shape[0]), int(view.shape[1])],
                                 "spacing_mm": [float(v) for v in view.spacing_mm] if view.spacing_mm else None}
            for record in view.records:
                arrays[f"mask_{len(lesions)}"] = np.ascontiguousarray(record.mask, dtype=bool)
                lesions.append({"view": view_name, "number": record.number, "box": [int(v) for v in record.box],
                                "label": record.label, "note": record.note, "source": record.source,
                                "score": record.score, "malignancy": record.malignancy})
        meta = {"format": FORMAT, "study_uid": study_uid, "saved_at": saved_at.isoformat(), "views": shapes,
                "lesions": lesions}
        arrays["session"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), np.uint8)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        path = self.path(study_uid)
        try:
            _write_atomically(path, buffer.getbuffer())
        except OSError as error:
            raise SessionStoreError(f"cannot autosave to {self.folder}: {error.strerror or error}") from error
        return path

    def load(self, study_uid: str) -> StoredSession | None:
        """The stored session of `study_uid`, None when there is none. Raises SessionStoreError for a file that
        cannot be read or is not a session of that study."""
        path = self.path(study_uid)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise SessionStoreError(f"cannot read the autosave {path}: {error.strerror or error}") from error
        try:
            return _parse(data, study_uid)
        except (ValueError, KeyError, TypeError, zipfile.BadZipFile, OSError) as error:
            raise SessionStoreError(f"the autosave {path} is damaged and was not restored ({error})") from error


def _parse(data: bytes, study_uid: str) -> StoredSession:
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        meta = json.loads(arrays["session"].tobytes().decode("utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')!r}, this version reads {FORMAT}")
        if meta.get("study_uid") != study_uid:
            raise ValueError(f"it holds study {meta.get('study_uid')!r}")
        grouped: dict[str, list[LesionRecord]] = {name: [] for name in meta["views"]}
        for index, lesion in enumerate(meta["lesions"]):
            mask = arrays[f"mask_{index}"]
            if mask.dtype != bool or mask.ndim != 2:
                raise ValueError(f"mask {index} is {mask.dtype} of {mask.ndim} dimensions, not a 2-D bool mask")
            grouped[lesion["view"]].append(LesionRecord(
                lesion["view"], int(lesion["number"]), tuple(int(v) for v in lesion["box"]), mask,
                label=lesion["label"], note=lesion["note"], source=lesion["source"],
                score=lesion["score"], malignancy=lesion["malignancy"]))
    views = {}
    for name, view in meta["views"].items():
        spacing = view["spacing_mm"]
        views[name] = ViewSession((int(view["shape"][0]), int(view["shape"][1])),
                                  (float(spacing[0]), float(spacing[1])) if spacing else None, tuple(grouped[name]))
    return StoredSession(study_uid, datetime.fromisoformat(meta["saved_at"]), views)


def _write_atomically(path: Path, data) -> None:
    """Temporary file beside `path`, fsynced, renamed into place, then the folder fsynced so the rename lasts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(temporary, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    try:
        folder = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return  # a folder that cannot be opened for syncing (some network file systems): the rename is done
    try:
        os.fsync(folder)
    except OSError:
        pass
    finally:
        os.close(folder)
