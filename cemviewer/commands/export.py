"""`cemviewer export STUDY_PATH --out DIR [--masks DIR] [--format seg,png,csv,json,html,pdf,sr]`: a study's lesions as
ground truth files, and on request as reports (see cemviewer.annotations.export).

The lesions come from --masks, one PNG per image file stem as `cemviewer analyze --masks` reads them (so a
synthetic study's masks/ folder becomes DICOM SEG; an image without a mask file has no lesion), else from the
DICOM SEG files in the study folder. A path
holding several studies exports each into DIR/<StudyInstanceUID>. Problems go to stderr. Exit code: 0 when
everything was written, 1 when a study had no lesions to read, a SEG or mask could not be used or a write failed,
2 when the path, the masks folder or the formats cannot be used at all.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cemviewer.annotations.export import FORMATS, GROUND_TRUTH_FORMATS

    parser.add_argument("study", type=Path, help="study folder, DICOMDIR or DICOM file")
    parser.add_argument("--out", type=Path, required=True, help="folder to write into (made if needed)")
    parser.add_argument("--masks", type=Path, default=None,
                        help="folder of lesion masks, <image file stem>.png (default: the study's DICOM SEG files)")
    parser.add_argument("--format", default=",".join(GROUND_TRUTH_FORMATS),
                        help=f"comma-separated formats to write, of {','.join(FORMATS)} (default: "
                             f"{','.join(GROUND_TRUTH_FORMATS)}; html, pdf and sr are reports, which run the models)")


def run(args: argparse.Namespace) -> int:
    from cemviewer.annotations.export import FORMATS, export_study
    from cemviewer.annotations.output import ExportError
    from cemviewer.study.loader import scan_path

    formats = [name.strip().lower() for name in args.format.split(",") if name.strip()]
    unknown = [name for name in formats if name not in FORMATS]
    if not formats or unknown:
        return _fail(f"--format {args.format}: choose from {', '.join(FORMATS)}")
    if not args.study.exists():
        return _fail(f"{args.study}: no such file or folder")
    if args.masks is not None and not args.masks.is_dir():
        return _fail(f"--masks {args.masks}: not a folder")
    scan = scan_path(args.study)
    if not scan.studies:
        return _fail(f"{args.study}: no CEM study found")
    base = args.study if args.study.is_dir() else args.study.parent
    status = 0
    for study in scan.studies:
        out_dir = args.out / study.study_uid if len(scan.studies) > 1 else args.out
        try:
            records, problems = _lesions(study, args.masks)
            for problem in problems:
                print(f"warning: {problem}", file=sys.stderr)
            if records is None:
                status = 1
                continue
            result = export_study(study, records, out_dir, formats, base=base)
        except ExportError as error:
            print(f"error: {error}", file=sys.stderr)
            status = 1
            continue
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
        status = max(status, 1 if problems else 0)
        views = len({record.view for record in records})
        print(f"wrote {len(result.written)} file(s) to {out_dir}: {len(records)} lesion(s) in {views} view(s)",
              file=sys.stderr)
    return status


def _lesions(study, masks_dir: Path | None):
    """(records, problems); records None when there is nothing to export (the reason among the problems)."""
    from cemviewer.annotations.mask_files import read_png_masks
    from cemviewer.annotations.seg_reader import import_segmentations

    who = study.patient.patient_id or study.study_uid
    if masks_dir is not None:
        return read_png_masks(study, masks_dir)
    if not study.segmentations:
        return None, [f"{who}: no DICOM SEG in the study folder and no --masks folder given; nothing to export"]
    imported = import_segmentations(study, study.segmentations)
    if not imported.sources:
        return None, imported.problems
    return imported.records, imported.problems


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2
