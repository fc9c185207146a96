"""`cemviewer inspect` on real DICOM folders: exact JSON shape, the table, and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from cemviewer.cli import main
from cemviewer.study.loader import HIGH_ENERGY_REASON
from cemviewer.study.model import Energy
from cemviewer.synth.dicom_writer import StudyIdentity, mammo_dataset, write_dataset

IDENTITY = StudyIdentity.new(31)


def _write(folder: Path, name: str, laterality: str, view: str, energy: Energy, series: int) -> None:
    pixels = np.random.default_rng(series).integers(50, 3000, size=(48, 40), dtype=np.uint16)
    ds = mammo_dataset(pixels, identity=IDENTITY, laterality=laterality, view=view, energy=energy,
                       series_number=series, instance_number=1)
    write_dataset(ds, folder / name)


def _export(root: Path) -> Path:
    """RCC and LCC complete, LMLO low-energy only, one high-energy image and one stray text file."""
    _write(root, "le/rcc", "R", "CC", Energy.LOW, 1)
    _write(root, "recombined/rcc", "R", "CC", Energy.RECOMBINED, 2)
    _write(root, "le/lcc.dcm", "L", "CC", Energy.LOW, 3)
    _write(root, "recombined/lcc.dcm", "L", "CC", Energy.RECOMBINED, 4)
    _write(root, "le/lmlo", "L", "MLO", Energy.LOW, 5)
    _write(root, "he/lmlo", "L", "MLO", Energy.HIGH, 6)
    (root / "README.txt").write_text("burned by the PACS\n")
    return root


def test_json_has_the_exact_shape_with_relative_posix_paths(tmp_path, capsys):
    root = _export(tmp_path / "export")
    assert main(["inspect", str(root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == {
        "studies": [
            {
                "study_uid": IDENTITY.study_uid,
                "patient_id": IDENTITY.patient_id,
                "views": [
                    {"laterality": "R", "view": "CC", "low_energy": "le/rcc", "recombined": "recombined/rcc"},
                    {"laterality": "L", "view": "CC", "low_energy": "le/lcc.dcm", "recombined": "recombined/lcc.dcm"},
                    {"laterality": "L", "view": "MLO", "low_energy": "le/lmlo", "recombined": None},
                ],
            }
        ],
        "skipped": [
            {"path": "README.txt", "reason": "not a DICOM file"},
            {"path": "he/lmlo", "reason": HIGH_ENERGY_REASON},
        ],
    }


def test_table_lists_views_aligned_then_skipped_files_and_notes(tmp_path, capsys):
    root = _export(tmp_path / "export")
    assert main(["inspect", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"Study {IDENTITY.study_uid}  patient {IDENTITY.patient_id}")
    header = lines[1]
    assert header.split() == ["VIEW", "LOW", "ENERGY", "RECOMBINED"]
    rows = lines[2:5]
    assert [row.split() for row in rows] == [
        ["RCC", "le/rcc", "recombined/rcc"],
        ["LCC", "le/lcc.dcm", "recombined/lcc.dcm"],
        ["LMLO", "le/lmlo", "-"],
    ]
    for row in rows:
        assert row.index(row.split()[1]) == header.index("LOW ENERGY")
        assert row.index(row.split()[2], header.index("RECOMBINED")) == header.index("RECOMBINED")
    text = "\n".join(lines)
    assert "Skipped (2):" in text and "README.txt  not a DICOM file" in text
    assert f"{IDENTITY.patient_id}: LMLO has a low-energy image but no recombined image" in text


def test_single_file_paths_are_relative_to_its_folder(tmp_path, capsys):
    _write(tmp_path, "only.dcm", "R", "MLO", Energy.RECOMBINED, 1)
    assert main(["inspect", str(tmp_path / "only.dcm"), "--json"]) == 0
    [study] = json.loads(capsys.readouterr().out)["studies"]
    assert study["views"] == [{"laterality": "R", "view": "MLO", "low_energy": None, "recombined": "only.dcm"}]


def test_folder_without_studies_still_succeeds(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("nothing here")
    assert main(["inspect", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("No CEM study found under") and "notes.txt  not a DICOM file" in out


def test_missing_path_exits_2_with_a_message(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert main(["inspect", str(missing), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"no such file or directory: {missing}" in captured.err


def test_command_line_entry_point(tmp_path):
    root = _export(tmp_path / "export")
    completed = subprocess.run([sys.executable, "-m", "cemviewer", "inspect", str(root), "--json"],
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    assert len(json.loads(completed.stdout)["studies"][0]["views"]) == 3
