"""The report formats of an export (cemviewer.annotations.export dispatches "html" and "sr" here): the lesions are
assessed once with the models, then written as report.html, report.pdf and SR_lesions.dcm.

The SR references the lesions' DICOM SEG: the SEGs written by the same export when it included "seg", else the
SEGs are written here beside the SR (an SR pointing at segments nobody has would be of no use).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pydicom

from cemviewer.annotations.export import REPORT_FORMATS
from cemviewer.annotations.output import ExportError
from cemviewer.annotations.records import LesionRecord
from cemviewer.annotations.seg_writer import seg_file_name, write_segmentations
from cemviewer.reports.assessment import ReportModels, assess_study
from cemviewer.reports.html_report import write_html
from cemviewer.reports.sr_writer import write_sr
from cemviewer.study.model import Study

HTML_NAME = "report.html"
PDF_NAME = "report.pdf"


def write_reports(study: Study, records: Iterable[LesionRecord], out_dir: Path, formats: Iterable[str],
                  seg_paths: list[Path] | None = None, models: ReportModels | None = None
                  ) -> tuple[list[Path], list[str]]:
    """Write the report `formats` (of REPORT_FORMATS) into `out_dir`; (paths written, notes). `seg_paths`: the
    SEGs of `records` already written by this export. Raises ExportError (models missing, SEG unusable) and
    OSError (folder not writable)."""
    from cemviewer.ai.model_files import ModelLoadError

    formats = [name for name in formats if name in REPORT_FORMATS]
    records = list(records)
    out_dir = Path(out_dir)
    try:
        models = models or ReportModels.load()
    except ModelLoadError as error:
        raise ExportError(f"no report without the models: {error}") from error
    assessment = assess_study(study, records, models)
    written, notes = [], list(assessment.notes)
    if "html" in formats:
        written.append(write_html(assessment, out_dir / HTML_NAME))
    if "pdf" in formats:
        from cemviewer.reports.pdf_report import write_pdf  # Qt, only when asked for

        written.append(write_pdf(assessment, out_dir / PDF_NAME))
    if "sr" in formats:
        if seg_paths is None:
            seg_paths = write_segmentations(study, records, out_dir)
            written += seg_paths
            notes.append("DICOM SEG written too: the SR references its segments")
        written.append(write_sr(assessment, _segmentations_by_view(study, seg_paths), out_dir))
    return written, notes


def _segmentations_by_view(study: Study, paths: list[Path]) -> dict[str, pydicom.Dataset]:
    """The SEGs by the view they outline, known by their file names (SEG_<view>.dcm)."""
    by_name = {Path(path).name: Path(path) for path in paths}
    segmentations = {}
    for view in study.views:
        path = by_name.get(seg_file_name(view.name))
        if path is None:
            continue
        try:
            segmentations[view.name] = pydicom.dcmread(path)
        except Exception as error:
            raise ExportError(f"cannot read back the SEG {path} ({error})") from error
    return segmentations
