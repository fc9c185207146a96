"""The loader keeps a study's DICOM SEG files with the study instead of leaving them out."""

from __future__ import annotations

import shutil

from cemviewer.annotations.seg_writer import write_segmentations
from cemviewer.study.loader import scan_path
from tests.annotations.study_helpers import only_study, truth_records


def test_segs_beside_the_images_join_their_study_and_a_stray_one_is_explained(synthetic_study, tmp_path):
    folder = shutil.copytree(synthetic_study, tmp_path / "study")
    study = only_study(folder)
    written = write_segmentations(study, truth_records(study, folder), folder / "DICOM" / "SEG")
    stray = tmp_path / "stray"
    stray.mkdir()
    shutil.copy(written[0], stray / "lonely.dcm")

    scan = scan_path(folder)
    assert scan.studies[0].segmentations == sorted(written)
    assert not [item for item in scan.skipped if "SEG" in item.path.name]
    assert len(scan.studies[0].images()) == 8

    lonely = scan_path(stray)
    assert lonely.studies == []
    assert [(item.path.name, item.reason) for item in lonely.skipped] == [
        ("lonely.dcm", "segmentation (DICOM SEG) of a study whose images are not here")]
