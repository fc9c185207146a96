"""The lesions of a study as a table for ML pipelines: CSV (one row per lesion) and JSON (the same rows with the
study they belong to).

Coordinates are on the stored pixel grid of the view's low-energy image file (the recombined when there is
none), named in `image`, so they index the DICOM pixel array and the PNG masks directly: `box` is
x0 y0 x1 y1 with x1/y1 exclusive, `centroid` x y. Areas are in mm² from the file's pixel spacing (empty without
one) and in pixels.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from cemviewer.annotations.output import ExportError, write_atomically
from cemviewer.annotations.records import LesionRecord
from cemviewer.annotations.stored_grid import StoredGrid, flipped, flipped_box
from cemviewer.study.model import Study

COLUMNS = ("view", "laterality", "projection", "number", "label", "note", "source", "score", "malignancy",
           "x0", "y0", "x1", "y1", "centroid_x", "centroid_y", "area_px", "area_mm2", "image", "sop_instance_uid")


def lesion_rows(study: Study, records: Iterable[LesionRecord], base: Path | None = None) -> list[dict]:
    """One dict per record with COLUMNS; `image` relative to `base` when it lies under it. Raises ExportError."""
    grids: dict[str, StoredGrid] = {}
    rows = []
    for record in records:
        view = study.view(record.view)
        if view is None:
            raise ExportError(f"a lesion of {record.view}, which this study has no images of")
        if record.view not in grids:
            grids[record.view] = StoredGrid.read(view.low_energy or view.recombined)
        grid = grids[record.view]
        x0, y0, x1, y1 = flipped_box(record.box, grid.shape, grid.flips)
        ys, xs = np.nonzero(flipped(record.mask, grid.flips))
        count = int(xs.size)
        area = count * grid.spacing_mm[0] * grid.spacing_mm[1] if grid.spacing_mm else None
        rows.append({
            "view": record.view, "laterality": view.laterality, "projection": view.view, "number": record.number,
            "label": record.label, "note": record.note, "source": record.source,
            "score": record.score, "malignancy": record.malignancy,
            "x0": x0, "y0": y0, "x1": x1, "y1": y1,
            # Pixel centres lie at +0.5, as everywhere in the viewer's pixel coordinates.
            "centroid_x": round(x0 + float(xs.mean()) + 0.5, 2), "centroid_y": round(y0 + float(ys.mean()) + 0.5, 2),
            "area_px": count, "area_mm2": round(area, 3) if area is not None else None,
            "image": _shown_path(grid.ref.path, base), "sop_instance_uid": grid.ref.sop_instance_uid,
        })
    return rows


def write_csv(study: Study, records: Iterable[LesionRecord], path: Path, base: Path | None = None) -> Path:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in lesion_rows(study, records, base):
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return write_atomically(Path(path), lambda target: target.write_text(text.getvalue(), encoding="utf-8"))


def write_json(study: Study, records: Iterable[LesionRecord], path: Path, base: Path | None = None) -> Path:
    document = {
        "study_uid": study.study_uid,
        "patient_id": study.patient.patient_id,
        "accession_number": study.accession_number,
        "study_date": study.study_date,
        "lesions": lesion_rows(study, records, base),
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return write_atomically(Path(path), lambda target: target.write_text(text, encoding="utf-8"))


def _shown_path(path: Path, base: Path | None) -> str:
    if base is not None:
        try:
            return path.resolve().relative_to(Path(base).resolve()).as_posix()
        except ValueError:
            pass
    return str(path)

