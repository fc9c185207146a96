"""PNG label masks and the CSV/JSON lesion table, checked against the synthetic study's own masks and truth."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PIL import Image

from cemviewer.annotations.export import export_study
from cemviewer.annotations.mask_files import read_png_masks, write_png_masks
from cemviewer.annotations.output import ExportError
from cemviewer.synth.truth import StudyTruth
from tests.annotations.study_helpers import only_study, truth_records


@pytest.mark.parametrize("which", ["plain", "mirrored"])
def test_png_masks_written_back_equal_the_study_masks_pixel_for_pixel(which, synthetic_study, mirrored_study,
                                                                      tmp_path):
    folder = synthetic_study if which == "plain" else mirrored_study
    study = only_study(folder)
    written, notes = write_png_masks(study, truth_records(study, folder), tmp_path / "masks")
    assert notes == [] and len(written) == 8  # every image, lesions or not
    for path in written:
        assert np.array_equal(np.asarray(Image.open(path)), np.asarray(Image.open(folder / "masks" / path.name)))
    again, problems = read_png_masks(study, tmp_path / "masks")
    assert problems == [] and [(r.view, r.box) for r in again] == \
        [(r.view, r.box) for r in truth_records(study, folder)]


def test_a_mask_of_the_wrong_size_or_not_an_image_is_named(synthetic_study, tmp_path):
    study = only_study(synthetic_study)
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(tmp_path / "I0001.png")
    (tmp_path / "I0002.png").write_text("not a png")
    records, problems = read_png_masks(study, tmp_path)
    assert records == []
    assert problems[0] == "I0001.png: a mask of 10 x 10 pixels for the 400 x 480 image I0001"
    assert problems[1].startswith("I0002.png: not a readable mask image")


def test_the_lesion_table_gives_areas_centroids_and_boxes_on_the_stored_grid(mirrored_study, tmp_path):
    study = only_study(mirrored_study)
    records = truth_records(study, mirrored_study)
    export_study(study, records, tmp_path, ["csv", "json"], base=mirrored_study)
    rows = list(csv.DictReader(open(tmp_path / "lesions.csv", encoding="utf-8")))
    document = json.loads((tmp_path / "lesions.json").read_text(encoding="utf-8"))
    assert document["study_uid"] == study.study_uid and len(document["lesions"]) == len(rows) == len(records)
    truth = StudyTruth.load(mirrored_study)
    for row, entry, record in zip(rows, document["lesions"], records, strict=True):
        labels = np.asarray(Image.open(mirrored_study / "masks" / f"{row['image'].split('/')[-1]}.png"))
        lesion = labels == int(row["number"])  # the masks are on the stored grid, like the table
        ys, xs = np.nonzero(lesion)
        assert (row["view"], row["label"], row["source"], row["note"]) == \
            (record.view, record.label, record.source, record.note)
        assert int(row["area_px"]) == lesion.sum() == entry["area_px"]
        assert float(row["area_mm2"]) == pytest.approx(lesion.sum() * truth.pixel_spacing_mm ** 2)
        assert (int(row["x0"]), int(row["y0"]), int(row["x1"]), int(row["y1"])) == \
            (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        assert entry["centroid_x"] == pytest.approx(xs.mean() + 0.5, abs=0.01)
        assert entry["centroid_y"] == pytest.approx(ys.mean() + 0.5, abs=0.01)
        assert row["image"].startswith("DICOM/S0001/") and row["laterality"] == row["view"][0]


def test_an_export_into_a_folder_that_cannot_be_made_says_where(synthetic_study, tmp_path):
    study = only_study(synthetic_study)
    (tmp_path / "file").write_text("in the way")
    for formats in (["seg"], ["png"], ["csv"]):
        with pytest.raises(ExportError, match="cannot write .*file"):
            export_study(study, truth_records(study, synthetic_study), tmp_path / "file" / "out", formats)
    with pytest.raises(ExportError, match="unknown export format nifti"):
        export_study(study, [], tmp_path, ["nifti"])
