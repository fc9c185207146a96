"""DICOM SEG export and import on real synthetic studies written as DICOM: every pixel comes back, the files pass
dciodvfy, and bad SEGs are refused with a message that says why."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pydicom
import pytest

from cemviewer.annotations.records import LesionRecord
from cemviewer.annotations.seg_reader import SegError, import_segmentations, read_segmentation
from cemviewer.annotations.seg_writer import (LESION_TYPES, SegWriteError, build_segmentations, seg_file_name,
                                              write_segmentations)
from cemviewer.annotations.stored_grid import StoredGrid, flipped
from tests.annotations.study_helpers import dciodvfy_errors, full_masks, only_study, truth_records


def _round_trip(study_path, out):
    study = only_study(study_path)
    records = truth_records(study, study_path)
    written = write_segmentations(study, records, out)
    back = import_segmentations(study, written)
    return study, records, written, back


def test_export_then_import_keeps_every_pixel_and_every_field(synthetic_study, tmp_path):
    study, records, written, back = _round_trip(synthetic_study, tmp_path / "seg")
    assert [path.name for path in written] == ["SEG_RCC.dcm", "SEG_RMLO.dcm"]  # the views with lesions
    assert back.problems == [] and back.views == {"RCC", "RMLO"}
    before, after = full_masks(records, study), full_masks(back.records, study)
    assert before.keys() == after.keys()
    for key, mask in before.items():
        assert np.array_equal(mask, after[key]), key
    fields = ("view", "number", "box", "label", "note", "source", "score", "malignancy")
    assert [[getattr(r, f) for f in fields] for r in back.records] == [[getattr(r, f) for f in fields]
                                                                       for r in records]


def test_the_written_seg_passes_dciodvfy_and_references_both_images_of_its_view(synthetic_study, tmp_path):
    study, records, written, _back = _round_trip(synthetic_study, tmp_path / "seg")
    for path in written:
        errors, printed = dciodvfy_errors(path)
        assert errors == [], printed
        ds = pydicom.dcmread(path)
        view = study.view(path.stem.removeprefix("SEG_"))
        assert ds.Modality == "SEG" and ds.SegmentationType == "BINARY"
        assert ds.StudyInstanceUID == study.study_uid
        source = pydicom.dcmread(view.low_energy.path, stop_before_pixels=True)
        assert ds.FrameOfReferenceUID == source.FrameOfReferenceUID
        assert list(ds.PatientOrientation) == list(source.PatientOrientation)
        assert (ds.Rows, ds.Columns) == (source.Rows, source.Columns)
        lesions = [record for record in records if record.view == view.name]
        assert len(ds.SegmentSequence) == int(ds.NumberOfFrames) == len(lesions)
        for frame in ds.PerFrameFunctionalGroupsSequence:
            named = [item.ReferencedSOPInstanceUID for item in frame.DerivationImageSequence[0].SourceImageSequence]
            assert named == [view.low_energy.sop_instance_uid, view.recombined.sop_instance_uid]
        series = {item.SeriesInstanceUID for item in ds.ReferencedSeriesSequence}
        assert series == {view.low_energy.series_uid, view.recombined.series_uid}
        for segment, record in zip(ds.SegmentSequence, lesions, strict=True):
            assert segment.SegmentedPropertyTypeCodeSequence[0].CodeValue == LESION_TYPES[record.label].value
            assert segment.SegmentLabel.startswith(f"{view.name} lesion {record.number}")
            assert segment.SegmentAlgorithmType == ("SEMIAUTOMATIC" if record.source == "accepted" else "MANUAL")
    assert len({pydicom.dcmread(path).SeriesInstanceUID for path in written}) == 1  # one series per export


def test_mirrored_files_get_masks_on_their_stored_grid_and_come_back_in_display_orientation(mirrored_study,
                                                                                          synthetic_study, tmp_path):
    """The mirrored copy's PNG masks are mirrored too, so its lesions read into the same display masks as the
    original's; the SEG frames must hold them mirrored, as the mirrored pixels lie."""
    plain = only_study(synthetic_study)
    study, records, written, back = _round_trip(mirrored_study, tmp_path / "seg")
    assert {k: m.sum() for k, m in full_masks(records, study).items()} == \
        {k: m.sum() for k, m in full_masks(truth_records(plain, synthetic_study), plain).items()}
    for key, mask in full_masks(records, study).items():
        assert np.array_equal(mask, full_masks(back.records, study)[key]), key
    for path in written:
        view = study.view(path.stem.removeprefix("SEG_"))
        grid = StoredGrid.read(view.low_energy)
        assert grid.flips != (False, False)
        frames = pydicom.dcmread(path).pixel_array.reshape(-1, *grid.shape).astype(bool)
        lesions = [record for record in records if record.view == view.name]
        for frame, record in zip(frames, lesions, strict=True):
            assert np.array_equal(frame, flipped(record.full_mask(grid.shape), grid.flips))
        errors, printed = dciodvfy_errors(path)
        assert errors == [], printed


def test_a_view_without_lesions_loses_the_seg_an_earlier_export_left(synthetic_study, tmp_path):
    study, records, written, _back = _round_trip(synthetic_study, tmp_path / "seg")
    rcc_only = [record for record in records if record.view == "RCC"]
    assert write_segmentations(study, rcc_only, tmp_path / "seg") == [tmp_path / "seg" / seg_file_name("RCC")]
    assert sorted(path.name for path in (tmp_path / "seg").iterdir()) == ["SEG_RCC.dcm"]


def test_overlapping_lesions_keep_their_own_pixels(synthetic_study, tmp_path):
    study = only_study(synthetic_study)
    mask = np.ones((40, 30), bool)
    records = [LesionRecord("LCC", 1, (100, 100, 130, 140), mask),
               LesionRecord("LCC", 2, (110, 120, 140, 160), mask, label="malignant")]
    back = import_segmentations(study, write_segmentations(study, records, tmp_path)).records
    assert [(record.box, record.pixel_count) for record in back] == [((100, 100, 130, 140), 1200),
                                                                    ((110, 120, 140, 160), 1200)]


def test_a_record_outside_the_image_or_of_a_view_not_in_the_study_is_refused(synthetic_study, tmp_path):
    study = only_study(synthetic_study)
    outside = LesionRecord("RCC", 1, (390, 470, 410, 490), np.ones((20, 20), bool))
    with pytest.raises(SegWriteError, match="outside the 400 x 480 image"):
        build_segmentations(study, [outside])
    with pytest.raises(SegWriteError, match="RXCCL"):
        build_segmentations(study, [dataclasses.replace(outside, view="RXCCL", box=(0, 0, 20, 20))])


# --- bad SEGs ---------------------------------------------------------------------------------------------------

@pytest.fixture
def our_seg(synthetic_study, tmp_path):
    study = only_study(synthetic_study)
    return study, write_segmentations(study, truth_records(study, synthetic_study), tmp_path / "seg")[0]


def test_a_truncated_seg_is_refused_as_corrupt(our_seg, tmp_path):
    study, path = our_seg
    broken = tmp_path / "broken.dcm"
    broken.write_bytes(path.read_bytes()[: path.stat().st_size - 3000])
    with pytest.raises(SegError, match=r"broken\.dcm: (corrupt pixel data|not a readable DICOM file)"):
        read_segmentation(broken, study)


def test_garbage_and_a_mammogram_are_not_segs(our_seg, tmp_path):
    study, _path = our_seg
    text = tmp_path / "notes.dcm"
    text.write_text("lesion notes, not DICOM")
    with pytest.raises(SegError, match="notes.dcm: not a readable DICOM file"):
        read_segmentation(text, study)
    garbage = tmp_path / "garbage.dcm"
    garbage.write_bytes(b"\x00" * 128 + b"DICM" + b"\xff" * 50)
    with pytest.raises(SegError, match=r"garbage.dcm: not a DICOM Segmentation \(no SOP class\)"):
        read_segmentation(garbage, study)
    with pytest.raises(SegError, match="not a DICOM Segmentation .Digital Mammography"):
        read_segmentation(study.views[0].low_energy.path, study)


def test_a_seg_of_another_study_is_refused_with_both_named(our_seg, other_study):
    study, path = our_seg
    other = only_study(other_study)
    with pytest.raises(SegError, match=r"SEG_RCC.dcm: a segmentation of another study \(SYN000007 .*"
                                       r"not of the open one \(SYN000008\)"):
        read_segmentation(path, other)


def test_a_seg_of_images_not_in_the_study_is_refused(our_seg, tmp_path):
    study, path = our_seg
    ds = pydicom.dcmread(path)
    for frame in ds.PerFrameFunctionalGroupsSequence:
        for item in frame.DerivationImageSequence[0].SourceImageSequence:
            item.ReferencedSOPInstanceUID = "1.2.3.4.5"
    ds.save_as(tmp_path / "elsewhere.dcm")
    with pytest.raises(SegError, match=r"frame 1 lies on an image that is not in this study .*1\.2\.3\.4\.5"):
        read_segmentation(tmp_path / "elsewhere.dcm", study)


def test_a_frame_of_the_wrong_size_and_a_segment_without_definition_are_refused(our_seg, tmp_path):
    study, path = our_seg
    ds = pydicom.dcmread(path)
    ds.PerFrameFunctionalGroupsSequence[0].SegmentIdentificationSequence[0].ReferencedSegmentNumber = 9
    ds.save_as(tmp_path / "undefined.dcm")
    with pytest.raises(SegError, match="frame 1 belongs to segment 9, which the SEG does not define"):
        read_segmentation(tmp_path / "undefined.dcm", study)
    ds = pydicom.dcmread(path)
    ds.Rows, ds.Columns = 400, 480
    ds.save_as(tmp_path / "transposed.dcm")
    with pytest.raises(SegError, match="frame 1 is 480 x 400 pixels, its image I0001 400 x 480"):
        read_segmentation(tmp_path / "transposed.dcm", study)


def test_of_two_segs_of_one_view_the_newer_counts_and_the_other_is_named(our_seg, tmp_path):
    study, path = our_seg
    older = tmp_path / "older.dcm"
    shutil.copy(path, older)
    ds = pydicom.dcmread(older)
    ds.ContentDate = "20000101"
    ds.save_as(older)
    imported = import_segmentations(study, [older, path])
    assert imported.sources == [path]
    assert imported.problems == ["older.dcm: left out, the newer SEG_RCC.dcm also gives the lesions of RCC"]


def test_a_compatible_seg_without_our_private_data_reads_from_the_standard_attributes(our_seg, tmp_path):
    """Another tool's SEG: label from the property type, note from the description, an AUTOMATIC segment (its
    AI's finding) as a proposal."""
    study, path = our_seg
    ds = pydicom.dcmread(path)
    for segment in ds.SegmentSequence:
        del segment[0x00710010]
        del segment[0x00711001]
    ds.SegmentSequence[0].SegmentAlgorithmType = "AUTOMATIC"
    ds.SegmentSequence[0].SegmentDescription = "from another tool"
    ds.save_as(tmp_path / "theirs.dcm")
    records = read_segmentation(tmp_path / "theirs.dcm", study)
    assert [(r.label, r.source, r.score) for r in records] == [("malignant", "AI proposal", None),
                                                               ("benign", "accepted", None)]
    assert records[0].note == "from another tool"
