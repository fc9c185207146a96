"""Decoding a view's two images for the headless assessments: what decodes, and why the rest is set aside."""

from __future__ import annotations

import pydicom

from cemviewer.study.loader import scan_path
from cemviewer.study.view_images import SIZE_MISMATCH_REASON, load_view_images


def _first_view(folder):
    return scan_path(folder).studies[0].views[0]


def test_both_images_of_a_view_decode_by_energy(synthetic_study):
    images, problems = load_view_images(_first_view(synthetic_study))
    assert set(images) == {"low_energy", "recombined"} and problems == []
    assert images["low_energy"].pixels.shape == images["recombined"].pixels.shape


def test_a_corrupt_image_is_named_with_its_reason_and_the_other_one_still_decodes(synthetic_study, tmp_path):
    import shutil

    shutil.copytree(synthetic_study, tmp_path / "study")
    view = _first_view(tmp_path / "study")
    data = view.recombined.path.read_bytes()
    view.recombined.path.write_bytes(data[: len(data) // 2])  # pixel data cut short
    images, problems = load_view_images(view)
    assert set(images) == {"low_energy"}
    assert [path for path, _reason in problems] == [view.recombined.path] and problems[0][1]


def test_a_recombined_image_of_another_size_is_set_aside(synthetic_study, tmp_path):
    import shutil

    shutil.copytree(synthetic_study, tmp_path / "study")
    view = _first_view(tmp_path / "study")
    dataset = pydicom.dcmread(view.recombined.path)
    dataset.PixelData = dataset.pixel_array[:-10].tobytes()
    dataset.Rows -= 10
    dataset.save_as(view.recombined.path)
    images, problems = load_view_images(_first_view(tmp_path / "study"))
    assert set(images) == {"low_energy"} and problems[0][1] == SIZE_MISMATCH_REASON
