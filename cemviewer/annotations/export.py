"""Every ground-truth export of a study in one call, for the Export menu and `cemviewer export`.

Into the output folder: SEG_<view>.dcm (DICOM SEG, one per view with lesions), masks/<image stem>.png (or another
folder), lesions.csv and lesions.json; asked for by name, the reports of cemviewer.reports (report.html,
report.pdf, SR_lesions.dcm), which run the models. A failure is an ExportError naming the file or folder and the reason; what
was written before it stays, and nothing in memory changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cemviewer.annotations.lesion_table import write_csv, write_json
from cemviewer.annotations.mask_files import write_png_masks
from cemviewer.annotations.output import ExportError
from cemviewer.annotations.records import LesionRecord
from cemviewer.annotations.seg_writer import write_segmentations
from cemviewer.study.model import Study

GROUND_TRUTH_FORMATS = ("seg", "png", "csv", "json")
REPORT_FORMATS = ("html", "pdf", "sr")  # written by cemviewer.reports.export
FORMATS = GROUND_TRUTH_FORMATS + REPORT_FORMATS
MASKS_FOLDER = "masks"
CSV_NAME = "lesions.csv"
JSON_NAME = "lesions.json"


@dataclass
class ExportResult:
    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the user should know, e.g. an image given no mask


def export_study(study: Study, records: Iterable[LesionRecord], out_dir: Path,
                 formats: Iterable[str] = GROUND_TRUTH_FORMATS,
                 masks_dir: Path | None = None, base: Path | None = None) -> ExportResult:
    """Write `records` of `study` in `formats` (a subset of FORMATS) under `out_dir`; PNG masks go to `masks_dir`
    (default out_dir/masks). Image paths in the tables are relative to `base` when under it."""
    formats = list(dict.fromkeys(formats))
    unknown = [name for name in formats if name not in FORMATS]
    if unknown:
        raise ExportError(f"unknown export format {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    records = list(records)
    out_dir = Path(out_dir)
    result = ExportResult()
    try:
        seg_paths = write_segmentations(study, records, out_dir) if "seg" in formats else None
        result.written += seg_paths or []
        if "png" in formats:
            written, notes = write_png_masks(study, records, masks_dir or out_dir / MASKS_FOLDER)
            result.written += written
            result.notes += notes
        if "csv" in formats:
            result.written.append(write_csv(study, records, out_dir / CSV_NAME, base))
        if "json" in formats:
            result.written.append(write_json(study, records, out_dir / JSON_NAME, base))
        if any(name in REPORT_FORMATS for name in formats):
            # Imported when asked for: the reports bring the models.
            from cemviewer.reports.export import write_reports

            written, notes = write_reports(study, records, out_dir, formats, seg_paths)
            result.written += written
            result.notes += notes
    except OSError as error:
        where = error.filename or out_dir
        raise ExportError(f"cannot write {where}: {error.strerror or error}") from error
    return result
