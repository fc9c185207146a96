"""A scan result as the plain data `cemviewer inspect --json` prints, and as an aligned text table."""

from __future__ import annotations

from pathlib import Path

from cemviewer.study.model import ImageRef, ScanResult


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _base(result: ScanResult) -> Path:
    return result.root if result.root.is_dir() else result.root.parent


def scan_report(result: ScanResult) -> dict:
    """{"studies": [...], "skipped": [...]} with file paths relative to the scanned path, POSIX separators."""
    base = _base(result)

    def path_of(ref: ImageRef | None) -> str | None:
        return _relative(ref.path, base) if ref is not None else None

    return {
        "studies": [
            {
                "study_uid": study.study_uid,
                "patient_id": study.patient.patient_id,
                "views": [
                    {
                        "laterality": view.laterality,
                        "view": view.view,
                        "low_energy": path_of(view.low_energy),
                        "recombined": path_of(view.recombined),
                    }
                    for view in study.views
                ],
            }
            for study in result.studies
        ],
        "skipped": [{"path": _relative(item.path, base), "reason": item.reason} for item in result.skipped],
    }


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]


def scan_table(result: ScanResult) -> str:
    """The same content as scan_report, for people: one table of views per study, then skipped files and notes."""
    report = scan_report(result)
    lines: list[str] = []
    if not report["studies"]:
        lines.append(f"No CEM study found under {result.root}.")
    for study, source in zip(report["studies"], result.studies):
        described = ", ".join(filter(None, [source.study_date, source.study_description]))
        lines.append(f"Study {study['study_uid']}  patient {study['patient_id'] or '-'}  {described}".rstrip())
        rows = [[v["laterality"] + v["view"], v["low_energy"] or "-", v["recombined"] or "-"] for v in study["views"]]
        lines += ["  " + line for line in _table(["VIEW", "LOW ENERGY", "RECOMBINED"], rows)]
        lines.append("")
    if report["skipped"]:
        lines.append(f"Skipped ({len(report['skipped'])}):")
        rows = [[item["path"], item["reason"]] for item in report["skipped"]]
        lines += ["  " + line for line in _table(["FILE", "REASON"], rows)]
        lines.append("")
    if result.notes:
        lines.append("Notes:")
        lines += [f"  {note}" for note in result.notes]
    return "\n".join(lines).rstrip() + "\n"
