"""The application's own PACS code against a real Orthanc: store a synthetic study, find it by patient, date and
accession number, retrieve it into the cache and open it with the loader, store our SEG and read it back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pydicom
import pytest

from cemviewer.annotations.seg_reader import import_segmentations
from cemviewer.annotations.seg_writer import write_segmentations
from cemviewer.pacs.cache import study_folder
from cemviewer.pacs.client import retrieve, search, store
from cemviewer.pacs.errors import PacsCancelled, PacsError
from cemviewer.pacs.query import StudyQuery
from cemviewer.study.pixels import load_image
from tests.annotations.study_helpers import full_masks, only_study, truth_records

PROTOCOLS = ["dicomweb_node", "dimse_node"]


@pytest.fixture(params=PROTOCOLS)
def node(request):
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module")
def second_study(tmp_path_factory) -> Path:
    """Another patient's study (seed 8), so that a search has something to leave out."""
    from cemviewer.synth.study import write_study
    from tests.conftest import TEST_SHAPE, TEST_SPACING_MM

    out = tmp_path_factory.mktemp("second_study")
    write_study(out, seed=8, shape=TEST_SHAPE, pixel_spacing_mm=TEST_SPACING_MM)
    return out


def dicom_files(folder: Path) -> list[Path]:
    return sorted(path for path in (folder / "DICOM").rglob("*") if path.is_file())


def test_a_study_stored_is_found_retrieved_and_opens_with_the_same_instances(node, orthanc, synthetic_study):
    original = only_study(synthetic_study)
    assert store(node, dicom_files(synthetic_study)) == 8
    assert orthanc.rest("/statistics")["CountInstances"] == 8

    [found] = search(node, StudyQuery(patient_id=original.patient.patient_id))
    assert (found.study_uid, found.patient_name, found.patient_id, found.study_date, found.accession_number) == (
        original.study_uid, original.patient.patient_name, original.patient.patient_id, original.study_date,
        original.accession_number)
    assert found.instance_count == 8 and found.series_count == 2 and found.modalities == ("MG",)
    assert found.description == original.study_description

    progress = []
    folder = retrieve(node, found.study_uid, progress=lambda done, total: progress.append((done, total)))
    assert folder == study_folder(found.study_uid)
    assert progress[-1] == (8, 8)
    assert not [path for path in folder.parent.iterdir() if path.name.startswith(".")]  # no staging left
    retrieved = only_study(folder)
    assert {ref.sop_instance_uid for ref in retrieved.images()} == {ref.sop_instance_uid for ref in original.images()}
    assert [view.name for view in retrieved.views] == [view.name for view in original.views]
    before, after = load_image(original.views[0].recombined), load_image(retrieved.views[0].recombined)
    assert np.array_equal(before.pixels, after.pixels)


def test_searches_by_patient_name_id_accession_and_date_range(node, synthetic_study, second_study):
    first, second = only_study(synthetic_study), only_study(second_study)
    store(node, dicom_files(synthetic_study) + dicom_files(second_study))

    def found(**fields) -> set[str]:
        return {summary.study_uid for summary in search(node, StudyQuery(**fields))}

    both = {first.study_uid, second.study_uid}
    assert found() == both
    assert found(patient_id=second.patient.patient_id) == {second.study_uid}
    assert found(accession_number=first.accession_number) == {first.study_uid}
    assert found(patient_id="SYN999999") == set()
    first_name = first.patient.patient_name.split("^")[1]
    assert first_name.lower() not in second.patient.patient_name.lower()
    assert found(patient_name=first_name.lower()[1:]) == {first.study_uid}  # any part of the name, any case
    assert found(patient_name=first.patient.patient_name.replace("^", " ")) == {first.study_uid}
    assert found(patient_name=first.patient.patient_name[:3] + "*") >= {first.study_uid}
    day = date.fromisoformat(f"{first.study_date[:4]}-{first.study_date[4:6]}-{first.study_date[6:]}")
    assert first.study_uid in found(date_from=day, date_to=day)
    assert first.study_uid in found(date_from=day) and first.study_uid in found(date_to=day)
    assert first.study_uid not in found(date_from=date(day.year + 1, 1, 1))
    assert first.study_uid not in found(date_to=date(day.year - 1, 12, 31))
    assert len(search(node, StudyQuery(), limit=1)) == 1


def test_our_seg_stored_back_comes_back_with_the_study_and_keeps_every_pixel(node, synthetic_study, tmp_path):
    study = only_study(synthetic_study)
    records = truth_records(study, synthetic_study)
    segs = write_segmentations(study, records, tmp_path / "segs")
    store(node, dicom_files(synthetic_study))
    assert store(node, segs) == len(segs)

    [found] = search(node, StudyQuery(accession_number=study.accession_number))
    assert found.instance_count == 8 + len(segs) and set(found.modalities) == {"MG", "SEG"}
    retrieved = only_study(retrieve(node, study.study_uid))
    assert sorted(pydicom.dcmread(p).SOPInstanceUID for p in retrieved.segmentations) == \
        sorted(pydicom.dcmread(p).SOPInstanceUID for p in segs)
    back = import_segmentations(retrieved, retrieved.segmentations)
    assert not back.problems
    assert [(r.view, r.number, r.label, r.note, r.source) for r in back.records] == \
        [(r.view, r.number, r.label, r.note, r.source) for r in records]
    expected, actual = full_masks(records, study), full_masks(back.records, retrieved)
    assert expected.keys() == actual.keys()
    assert all(np.array_equal(expected[key], actual[key]) for key in expected)


def test_a_cancelled_retrieval_leaves_the_cache_as_it_was(node, synthetic_study):
    store(node, dicom_files(synthetic_study))
    uid = only_study(synthetic_study).study_uid
    folder = retrieve(node, uid)
    kept = sorted(folder.iterdir())
    seen = []
    with pytest.raises(PacsCancelled):
        retrieve(node, uid, progress=lambda done, total: seen.append(done), cancelled=lambda: len(seen) > 2)
    assert sorted(folder.iterdir()) == kept
    assert [path.name for path in folder.parent.iterdir()] == [uid]
    (folder / "stale.dcm").write_bytes(b"left from before")
    assert retrieve(node, uid) == folder  # a complete retrieval replaces the earlier copy whole
    assert sorted(folder.iterdir()) == kept and [path.name for path in folder.parent.iterdir()] == [uid]


def test_a_study_the_archive_does_not_have_and_a_file_that_is_not_dicom_are_named(node, tmp_path):
    with pytest.raises(PacsError, match=r"no instances of study 1\.2\.3\.4"):
        retrieve(node, "1.2.3.4")
    assert not study_folder("1.2.3.4").exists()
    text = tmp_path / "notes.txt"
    text.write_text("not DICOM")
    with pytest.raises(PacsError, match="notes.txt cannot be sent"):
        store(node, [text])
