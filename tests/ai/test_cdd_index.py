"""Index CSV reading and LE/recombined pairing on a small CSV written here (never the shared data)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cemviewer.ai.cdd_index import IndexFileError, pair_views, read_index, split_patients, write_patient_subset

HEADER = "image,mask,patient_id,side,energy,view,pathology\n"


def _write_csv(folder, lines: list[str], header: str = HEADER):
    path = folder / "index.csv"
    path.write_text(header + "".join(line + "\n" for line in lines))
    return path


def test_rows_resolve_paths_and_pair_by_patient_side_view(tmp_path):
    (tmp_path / "images").mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "images" / "P1_L_DM_CC.jpg")
    csv = _write_csv(tmp_path, [
        "images/P1_L_DM_CC.jpg,masks/P1_L_DM_CC.png,P1,L,low_energy,CC,Malignant",
        "images/P1_L_CM_CC.jpg,,P1,L,recombined,CC,Malignant",
        "images/P1_L_CM_MLO.jpg,,P1,l,recombined,mlo,Malignant",
        "images/P2_R_DM_CC.jpg,,P2,R,low_energy,CC,Malignant",
    ])
    rows, problems = read_index(csv)
    assert problems == []
    assert rows[0].image == tmp_path / "images" / "P1_L_DM_CC.jpg"
    assert rows[0].mask == tmp_path / "masks" / "P1_L_DM_CC.png"
    assert rows[1].mask is None
    pairs, leftovers = pair_views(rows)
    assert leftovers == []
    by_key = {(pair.patient_id, pair.side, pair.view): pair for pair in pairs}
    assert set(by_key) == {("P1", "L", "CC"), ("P1", "L", "MLO"), ("P2", "R", "CC")}
    cc = by_key["P1", "L", "CC"]
    assert cc.low_energy.image.name == "P1_L_DM_CC.jpg" and cc.recombined.image.name == "P1_L_CM_CC.jpg"
    assert by_key["P1", "L", "MLO"].low_energy is None  # lower-case side/view still pair: normalised to upper case
    assert [row.energy for row in by_key["P2", "R", "CC"].rows()] == ["low_energy"]


def test_a_second_image_of_the_same_energy_does_not_pair(tmp_path):
    rows, _ = read_index(_write_csv(tmp_path, [
        "a.jpg,,P1,L,low_energy,CC,x",
        "b.jpg,,P1,L,low_energy,CC,x",
    ]))
    pairs, leftovers = pair_views(rows)
    assert len(pairs) == 1 and pairs[0].low_energy.image.name == "a.jpg"
    assert [row.image.name for row in leftovers] == ["b.jpg"]


def test_bad_rows_are_reported_with_their_line_and_others_kept(tmp_path):
    rows, problems = read_index(_write_csv(tmp_path, [
        "a.jpg,,P1,L,low_energy,CC,x",
        "b.jpg,,P1,L,high,CC,x",
        ",,P1,L,recombined,CC,x",
    ]))
    assert [row.image.name for row in rows] == ["a.jpg"]
    assert [problem.line for problem in problems] == [3, 4]
    assert "energy" in problems[0].message and "image" in problems[1].message


def test_missing_columns_or_file_raise_a_clear_error(tmp_path):
    with pytest.raises(IndexFileError, match="energy"):
        read_index(_write_csv(tmp_path, ["a.jpg,P1,L,CC"], header="image,patient_id,side,view\n"))
    with pytest.raises(IndexFileError, match="not found"):
        read_index(tmp_path / "absent.csv")


def test_patient_split_is_seeded_disjoint_and_complete():
    patients = [f"P{i}" for i in range(20)] * 3  # several images per patient
    split = split_patients(patients, seed=3, fractions={"train": 0.6, "val": 0.2, "test": 0.2})
    assert [len(split[name]) for name in ("train", "val", "test")] == [12, 4, 4]
    assert set().union(*split.values()) == set(patients)
    assert not (split["train"] & split["test"]) and not (split["val"] & split["test"])
    assert split == split_patients(patients, seed=3, fractions={"train": 0.6, "val": 0.2, "test": 0.2})
    assert split != split_patients(patients, seed=4, fractions={"train": 0.6, "val": 0.2, "test": 0.2})


def test_patient_subset_keeps_only_those_patients_with_absolute_paths(tmp_path):
    csv = _write_csv(tmp_path, [
        "images/a.jpg,masks/a.png,P1,L,low_energy,CC,x",
        "images/b.jpg,,P2,L,low_energy,CC,x",
        "images/c.jpg,,P3,R,recombined,MLO,x",
    ])
    out = tmp_path / "elsewhere" / "subset.csv"
    out.parent.mkdir()
    assert write_patient_subset(csv, ["P1", "P3"], out) == 2
    rows, problems = read_index(out)
    assert problems == [] and [row.patient_id for row in rows] == ["P1", "P3"]
    assert rows[0].image == (tmp_path / "images" / "a.jpg").resolve()
    assert rows[0].mask == (tmp_path / "masks" / "a.png").resolve() and rows[1].mask is None
