"""Scanning folders of real DICOM files into studies and views, and the reasons for everything left out."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest
from dicom_variants import (
    IDENTITY,
    SHAPE,
    ct_slice,
    mammogram,
    structured_report,
    write,
    write_cem_study,
)
from pydicom.fileset import FileSet
from pydicom.uid import JPEG2000Lossless, RLELossless

from cemviewer.study.loader import HIGH_ENERGY_REASON, scan_path
from cemviewer.study.model import Energy
from cemviewer.synth.dicom_writer import StudyIdentity


def _reasons(result) -> dict[str, str]:
    return {item.path.name: item.reason for item in result.skipped}


def test_complete_study_in_nested_folders_without_extensions(tmp_path):
    written = write_cem_study(tmp_path / "export" / "DICOM")
    progress = []
    result = scan_path(tmp_path, progress=lambda done, total: progress.append((done, total)))

    assert result.skipped == [] and result.notes == []
    [study] = result.studies
    assert study.study_uid == IDENTITY.study_uid
    assert study.patient.patient_id == IDENTITY.patient_id and study.patient.patient_name == IDENTITY.patient_name
    assert study.study_date == IDENTITY.study_date and study.manufacturer == "cemviewer synthetic"
    assert [view.name for view in study.views] == ["RCC", "LCC", "RMLO", "LMLO"]
    for view in study.views:
        assert view.low_energy.path == written[(view.name, Energy.LOW)]
        assert view.recombined.path == written[(view.name, Energy.RECOMBINED)]
        assert view.low_energy.energy is Energy.LOW and view.recombined.energy is Energy.RECOMBINED
        assert (view.low_energy.rows, view.low_energy.columns) == SHAPE
        assert view.low_energy.laterality == view.laterality and view.low_energy.view == view.view
    assert progress == [(i, 8) for i in range(1, 9)]


def test_extra_views_follow_the_four_standard_ones(tmp_path):
    views = (("L", "XCCL"), ("L", "MLO"), ("R", "ML"), ("R", "CC"), ("L", "ML"))
    write_cem_study(tmp_path, views=views)
    [study] = scan_path(tmp_path).studies
    assert [view.name for view in study.views] == ["RCC", "LMLO", "RML", "LML", "LXCCL"]


def test_single_file_scan(tmp_path):
    path = write(mammogram("L", "MLO", Energy.RECOMBINED), tmp_path / "one.dcm")
    result = scan_path(path)
    [study] = result.studies
    [view] = study.views
    assert (view.name, view.recombined.path, view.low_energy) == ("LMLO", path, None)
    assert result.notes == [f"{IDENTITY.patient_id}: LMLO has a recombined image but no low-energy image"]


def test_missing_path_raises():
    with pytest.raises(FileNotFoundError, match="no such file"):
        scan_path(Path("/nonexistent/cem"))


def test_high_energy_images_are_set_aside(tmp_path):
    write_cem_study(tmp_path, energies=(Energy.LOW, Energy.HIGH, Energy.RECOMBINED))
    result = scan_path(tmp_path)
    [study] = result.studies
    assert all(ref.energy is not Energy.HIGH for ref in study.images())
    assert len(study.images()) == 8
    assert len(result.skipped) == 4
    assert all(item.reason == HIGH_ENERGY_REASON for item in result.skipped)


def test_compressed_files_scan_like_uncompressed_ones(tmp_path):
    write(mammogram("R", "CC", Energy.LOW), tmp_path / "le", RLELossless)
    write(mammogram("R", "CC", Energy.RECOMBINED), tmp_path / "rc", JPEG2000Lossless)
    result = scan_path(tmp_path)
    assert result.skipped == []
    [view] = result.studies[0].views
    assert (view.low_energy.path.name, view.recombined.path.name) == ("le", "rc")


def test_bad_files_are_skipped_with_reasons_and_the_rest_loads(tmp_path):
    write_cem_study(tmp_path / "cem")
    (tmp_path / "notes.txt").write_text("patient consent scanned separately\n")
    (tmp_path / "empty").write_bytes(b"")
    good = write(mammogram("R", "CC", Energy.LOW, identity=StudyIdentity.new(99)), tmp_path / "full")
    data = good.read_bytes()
    (tmp_path / "truncated_pixels").write_bytes(data[: len(data) - 500])
    (tmp_path / "truncated_header").write_bytes(data[:400])
    compressed = write(mammogram("L", "CC", Energy.LOW, identity=StudyIdentity.new(98)), tmp_path / "j2k",
                       JPEG2000Lossless).read_bytes()
    (tmp_path / "truncated_j2k").write_bytes(compressed[: len(compressed) - 300])
    for name in ("full", "j2k"):
        (tmp_path / name).unlink()
    series_uid = pydicom.uid.generate_uid()
    for index in range(3):
        write(ct_slice(index, series_uid), tmp_path / "ct" / f"slice{index}.dcm")
    write(structured_report(), tmp_path / "report.dcm")

    result = scan_path(tmp_path)

    [study] = result.studies
    assert len(study.images()) == 8
    reasons = _reasons(result)
    assert reasons["notes.txt"] == "not a DICOM file"
    assert reasons["empty"] == "not a DICOM file"
    assert reasons["truncated_pixels"].startswith("truncated file: pixel data needs")
    assert "truncated" in reasons["truncated_header"] or "corrupt" in reasons["truncated_header"]
    assert reasons["truncated_j2k"].startswith("truncated file: the compressed pixel data has no end")
    assert reasons["slice0.dcm"] == "not mammography (CT, CT Image Storage); 2 more files of this series also left out"
    assert reasons["report.dcm"] == "not an image (Basic Text SR Storage)"
    assert len(result.skipped) == 7


def test_headerless_dicom_without_preamble_is_read(tmp_path):
    path = write(mammogram("R", "CC", Energy.LOW), tmp_path / "with_preamble")
    raw = pydicom.dcmread(path)
    raw.file_meta = pydicom.dataset.FileMetaDataset()
    raw.preamble = None
    raw.save_as(tmp_path / "raw", enforce_file_format=False, implicit_vr=True, little_endian=True)
    path.unlink()
    # Without file meta the file starts straight with the (0008,0005) element.
    assert (tmp_path / "raw").read_bytes()[:2] == b"\x08\x00"
    [view] = scan_path(tmp_path).studies[0].views
    assert view.low_energy.path.name == "raw"


def test_images_without_laterality_view_or_energy_are_skipped_with_the_missing_attribute(tmp_path):
    write_cem_study(tmp_path / "cem")
    no_side = mammogram("R", "CC", Energy.LOW, identity=StudyIdentity.new(2))
    for keyword in ("ImageLaterality", "Laterality", "SeriesDescription"):
        delattr(no_side, keyword)
    write(no_side, tmp_path / "no_side")
    no_view = mammogram("R", "CC", Energy.LOW, identity=StudyIdentity.new(3))
    for keyword in ("ViewPosition", "ViewCodeSequence", "SeriesDescription"):
        delattr(no_view, keyword)
    write(no_view, tmp_path / "no_view")
    no_energy = mammogram("R", "CC", Energy.LOW, identity=StudyIdentity.new(4))
    for keyword in ("KVP", "SeriesDescription", "AcquisitionDeviceProcessingDescription"):
        delattr(no_energy, keyword)
    no_energy.ImageType = ["ORIGINAL", "PRIMARY"]
    write(no_energy, tmp_path / "no_energy")

    result = scan_path(tmp_path)

    assert len(result.studies) == 1 and len(result.studies[0].images()) == 8
    reasons = _reasons(result)
    assert reasons["no_side"].startswith("no laterality")
    assert reasons["no_view"].startswith("no view")
    assert reasons["no_energy"].startswith("cannot tell low-energy from recombined")


def test_vendor_variants_with_missing_tags_still_fill_every_slot(tmp_path):
    # Hologic-like RCC: ImageType labels and nothing else.
    for energy in (Energy.LOW, Energy.RECOMBINED):
        ds = mammogram("R", "CC", energy)
        del ds.SeriesDescription, ds.AcquisitionDeviceProcessingDescription
        write(ds, tmp_path / f"hologic_{energy.value}")
    # GE-like LCC: no ImageLaterality (only series Laterality), "CESM" descriptions, plain ImageType.
    le = mammogram("L", "CC", Energy.LOW)
    del le.ImageLaterality
    le.ImageType = ["ORIGINAL", "PRIMARY"]
    le.SeriesDescription = "CESM LCC"
    write(le, tmp_path / "ge_le")
    recombined = mammogram("L", "CC", Energy.RECOMBINED)
    del recombined.ImageLaterality
    recombined.ImageType = ["ORIGINAL", "PRIMARY"]
    recombined.SeriesDescription = "CESM recombined"
    write(recombined, tmp_path / "ge_recombined")
    # Siemens-like RMLO: no ViewPosition (ViewCodeSequence only), SUBTRACTION image type.
    le = mammogram("R", "MLO", Energy.LOW)
    del le.ViewPosition
    write(le, tmp_path / "siemens_le")
    subtracted = mammogram("R", "MLO", Energy.RECOMBINED)
    del subtracted.ViewPosition
    subtracted.ImageType = ["DERIVED", "PRIMARY", "SUBTRACTION"]
    subtracted.SeriesDescription = "R MLO"
    write(subtracted, tmp_path / "siemens_sub")
    # No ImageType at all on LMLO: description and kVp decide.
    for energy, description, kvp in ((Energy.LOW, "L MLO", "28"), (Energy.RECOMBINED, "L MLO Recombined", "")):
        ds = mammogram("L", "MLO", energy)
        del ds.ImageType, ds.AcquisitionDeviceProcessingDescription
        ds.SeriesDescription = description
        ds.KVP = kvp
        write(ds, tmp_path / f"untyped_{energy.value}")

    result = scan_path(tmp_path)

    assert result.skipped == [] and result.notes == []
    [study] = result.studies
    found = {view.name: (view.low_energy.path.name, view.recombined.path.name) for view in study.views}
    assert found == {
        "RCC": ("hologic_low_energy", "hologic_recombined"),
        "LCC": ("ge_le", "ge_recombined"),
        "RMLO": ("siemens_le", "siemens_sub"),
        "LMLO": ("untyped_low_energy", "untyped_recombined"),
    }


def test_low_energy_without_recombined_is_kept_and_noted(tmp_path):
    write_cem_study(tmp_path, views=(("R", "CC"),), energies=(Energy.LOW,))
    result = scan_path(tmp_path)
    [view] = result.studies[0].views
    assert view.low_energy is not None and view.recombined is None
    assert result.notes == [f"{IDENTITY.patient_id}: RCC has a low-energy image but no recombined image"]
    assert result.skipped == []


def test_two_candidates_for_a_slot_keep_the_later_acquisition(tmp_path):
    write_cem_study(tmp_path / "cem")
    retake = mammogram("R", "CC", Energy.LOW, series_number=40, instance_number=2)
    retake.AcquisitionTime = "235959"
    retake_path = write(retake, tmp_path / "retake")
    copy_path = tmp_path / "copy_of_retake"
    shutil.copy(retake_path, copy_path)

    result = scan_path(tmp_path)

    rcc = result.studies[0].view("RCC")
    kept = rcc.low_energy.path
    assert kept in (retake_path, copy_path)
    skipped = {item.path: item.reason for item in result.skipped}
    assert skipped[tmp_path / "cem" / "SER001" / "IMG0000"] == (
        f"second low-energy image for RCC; kept the later acquisition {kept.relative_to(tmp_path).as_posix()}"
    )
    other_copy = copy_path if kept == retake_path else retake_path
    assert skipped[other_copy] == f"copy of {kept.relative_to(tmp_path).as_posix()} (same SOPInstanceUID)"
    assert len(result.skipped) == 2


def test_studies_are_separated_and_ordered_by_date(tmp_path):
    older, newer = StudyIdentity.new(21), StudyIdentity.new(22)
    object.__setattr__(older, "study_date", "20200101")
    object.__setattr__(newer, "study_date", "20230101")
    write_cem_study(tmp_path / "b", identity=newer)
    write_cem_study(tmp_path / "a", identity=older, views=(("L", "CC"),))
    studies = scan_path(tmp_path).studies
    assert [study.study_uid for study in studies] == [older.study_uid, newer.study_uid]
    assert [len(study.views) for study in studies] == [1, 4]


def test_for_processing_and_multiframe_objects_are_skipped(tmp_path):
    raw = mammogram("R", "CC", Energy.LOW, identity=StudyIdentity.new(5))
    raw.PresentationIntentType = "FOR PROCESSING"
    write(raw, tmp_path / "raw")
    frames = mammogram("L", "CC", Energy.LOW, identity=StudyIdentity.new(6))
    frames.NumberOfFrames = 2
    frames.PixelData = frames.PixelData * 2
    write(frames, tmp_path / "frames")
    reasons = _reasons(scan_path(tmp_path))
    assert reasons["raw"].startswith("for-processing")
    assert reasons["frames"].startswith("multi-frame object (2 frames")


def test_dicomdir_is_consumed_and_a_stale_one_reports_missing_files(tmp_path):
    staging = tmp_path / "staging"
    written = write_cem_study(staging)
    fileset = FileSet()
    for path in written.values():
        fileset.add(path)
    media = tmp_path / "media"
    fileset.write(media)

    result = scan_path(media)
    assert result.skipped == []
    assert len(result.studies[0].images()) == 8
    opened_by_dicomdir = scan_path(media / "DICOMDIR")
    assert opened_by_dicomdir.root == media and opened_by_dicomdir.studies == result.studies

    listed = sorted(p for p in media.rglob("*") if p.is_file() and p.name != "DICOMDIR")
    listed[0].unlink()
    stale = scan_path(media)
    assert len(stale.studies[0].images()) == 7
    assert [(item.path, item.reason) for item in stale.skipped] == [
        (listed[0], "listed in the DICOMDIR DICOMDIR but the file is missing")
    ]


def test_damaged_dicomdir_does_not_stop_the_scan(tmp_path):
    write_cem_study(tmp_path / "cem")
    fileset = FileSet()
    fileset.add(write(mammogram("L", "ML", Energy.LOW), tmp_path / "stage" / "ml"))
    fileset.write(tmp_path / "fs")
    shutil.rmtree(tmp_path / "stage")
    dicomdir = tmp_path / "fs" / "DICOMDIR"
    content = bytearray(dicomdir.read_bytes())
    file_id = content.index(b"\x04\x00\x00\x15CS")  # (0004,1500) Referenced File ID, explicit VR
    content[file_id + 6 : file_id + 8] = b"\xff\x7f"  # its length now swallows the rest of the directory
    dicomdir.write_bytes(bytes(content))

    result = scan_path(tmp_path)

    assert len(result.studies[0].images()) == 9
    reasons = _reasons(result)
    assert set(reasons) == {"DICOMDIR"}
    assert reasons["DICOMDIR"].startswith("unreadable DICOMDIR (a ReferencedFileID is garbled)")
