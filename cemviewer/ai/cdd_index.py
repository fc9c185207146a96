"""Reading an index CSV in the CDD-CESM layout and pairing low-energy with recombined images of one view.

Columns used: image, patient_id, side, view, energy (low_energy | recombined); mask is optional. Paths are relative
to the CSV's folder. Rows of the same patient/side/view pair as LE + recombined (co-registered acquisitions).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

REQUIRED_COLUMNS = ("image", "patient_id", "side", "view", "energy")
ENERGIES = ("low_energy", "recombined")


class IndexFileError(ValueError):
    """The index CSV itself cannot be used (missing file, missing columns)."""


@dataclass(frozen=True)
class IndexRow:
    line: int  # CSV line number, for messages
    image: Path
    mask: Path | None
    patient_id: str
    side: str
    view: str
    energy: str

    @property
    def view_key(self) -> tuple[str, str, str]:
        return (self.patient_id, self.side, self.view)


@dataclass
class ViewPair:
    """One breast in one projection: its LE and/or recombined row."""

    patient_id: str
    side: str
    view: str
    low_energy: IndexRow | None = None
    recombined: IndexRow | None = None

    def rows(self) -> list[IndexRow]:
        return [row for row in (self.low_energy, self.recombined) if row is not None]


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str


def read_index(csv_path: Path) -> tuple[list[IndexRow], list[RowProblem]]:
    """Valid rows, and one problem per row that cannot be used (the rest stay usable)."""
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise IndexFileError(f"index CSV not found: {csv_path}")
    with csv_path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise IndexFileError(f"{csv_path}: missing column(s) {', '.join(missing)}; needs {', '.join(REQUIRED_COLUMNS)}")
        rows, problems = [], []
        for line, record in enumerate(reader, start=2):
            row = _parse_row(record, line, csv_path.parent)
            (rows if isinstance(row, IndexRow) else problems).append(row)
    return rows, problems


def _parse_row(record: dict, line: int, root: Path) -> IndexRow | RowProblem:
    values = {key: (record.get(key) or "").strip() for key in (*REQUIRED_COLUMNS, "mask")}
    empty = [column for column in REQUIRED_COLUMNS if not values[column]]
    if empty:
        return RowProblem(line, f"line {line}: empty {', '.join(empty)}")
    if values["energy"] not in ENERGIES:
        return RowProblem(line, f"line {line}: energy must be one of {', '.join(ENERGIES)}, got {values['energy']!r}")
    return IndexRow(
        line=line,
        image=root / values["image"],
        mask=root / values["mask"] if values["mask"] else None,
        patient_id=values["patient_id"],
        side=values["side"].upper(),
        view=values["view"].upper(),
        energy=values["energy"],
    )


def pair_views(rows: list[IndexRow]) -> tuple[list[ViewPair], list[IndexRow]]:
    """Group rows into view pairs; a second row of the same energy for a view does not pair and is returned apart."""
    pairs: dict[tuple[str, str, str], ViewPair] = {}
    leftovers = []
    for row in rows:
        pair = pairs.setdefault(row.view_key, ViewPair(*row.view_key))
        if getattr(pair, row.energy) is None:
            setattr(pair, row.energy, row)
        else:
            leftovers.append(row)
    return list(pairs.values()), leftovers


def split_patients(patient_ids, seed: int, fractions: dict[str, float]) -> dict[str, set[str]]:
    """Seeded split of patients (never images) into named parts of the given fractions; the last part takes the rest."""
    patients = sorted(set(patient_ids))
    random.Random(seed).shuffle(patients)
    parts, start = {}, 0
    names = list(fractions)
    for name in names[:-1]:
        count = round(fractions[name] * len(patients))
        parts[name] = set(patients[start : start + count])
        start += count
    parts[names[-1]] = set(patients[start:])
    return parts


def write_patient_subset(csv_path: Path, patient_ids, out_csv: Path) -> int:
    """Copy the rows of the given patients to out_csv with absolute paths (e.g. a held-out split); returns the count."""
    csv_path, wanted = Path(csv_path), set(patient_ids)
    with csv_path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        fieldnames, records = reader.fieldnames, [record for record in reader if record["patient_id"] in wanted]
    for record in records:
        for column in ("image", "mask"):
            if record.get(column):
                record[column] = str((csv_path.parent / record[column]).resolve())
    with Path(out_csv).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(records)
    return len(records)
