"""`cemviewer predict-masks` with the shipped segmenter on tiny generated JPEG/PNG images and a DICOM image."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from secondary_capture import write_secondary_capture
from cemviewer.cli import main

HEADER = "image,mask,patient_id,side,energy,view\n"


def _breast_with_lesion(shape, seed: int, peak: float = 255.0) -> np.ndarray:
    """A bright half-disc of tissue against black, with a brighter blob: roughly how a recombined view looks."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    breast = (yy - shape[0] / 2) ** 2 + xx**2 < (0.45 * shape[0]) ** 2
    blob = (yy - shape[0] * 0.45) ** 2 + (xx - shape[1] * 0.3) ** 2 < (0.08 * shape[0]) ** 2
    pixels = breast * rng.uniform(0.3, 0.5, shape) + blob * 0.5
    return (pixels * peak).astype(np.float32)


def _save_raster(path: Path, pixels: np.ndarray) -> None:
    Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(path)


@pytest.fixture
def index_csv(tmp_path) -> Path:
    """A pair, an unpaired JPEG, a 14-bit DICOM, a missing file and a row with a bad energy."""
    images = tmp_path / "images"
    images.mkdir()
    _save_raster(images / "P1_L_DM_CC.jpg", _breast_with_lesion((160, 128), 0))
    _save_raster(images / "P1_L_CM_CC.png", _breast_with_lesion((160, 128), 1))
    _save_raster(images / "P1_L_CM_CC_mask.png", (_breast_with_lesion((160, 128), 1) > 200) * 255.0)
    _save_raster(images / "P2_R_DM_MLO.jpg", _breast_with_lesion((96, 140), 2))
    write_secondary_capture(images / "P3_L_CM_CC.dcm", _breast_with_lesion((150, 120), 3, peak=16383), bits_stored=14)
    (tmp_path / "index.csv").write_text(HEADER + "".join(line + "\n" for line in [
        "images/P1_L_DM_CC.jpg,,P1,L,low_energy,CC",
        "images/P1_L_CM_CC.png,images/P1_L_CM_CC_mask.png,P1,L,recombined,CC",
        "images/P2_R_DM_MLO.jpg,,P2,R,low_energy,MLO",
        "images/P3_L_CM_CC.dcm,,P3,L,recombined,CC",
        "images/missing.jpg,,P4,L,low_energy,CC",
        "images/P2_R_DM_MLO.jpg,,P2,R,dual,MLO",
    ]))
    return tmp_path / "index.csv"


def test_writes_a_mask_and_lesion_json_per_readable_row(index_csv, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["predict-masks", str(index_csv), str(out)]) == 0
    captured = capsys.readouterr()
    assert "missing.jpg" in captured.err and "not found" in captured.err
    assert "line 7" in captured.err and "energy" in captured.err
    assert "4 of 6 rows" in captured.out

    expected_shapes = {"P1_L_DM_CC": (160, 128), "P1_L_CM_CC": (160, 128), "P2_R_DM_MLO": (96, 140),
                       "P3_L_CM_CC": (150, 120)}
    assert sorted(path.name for path in out.iterdir()) == sorted(
        f"{stem}{suffix}" for stem in expected_shapes for suffix in (".png", ".json"))
    for stem, shape in expected_shapes.items():
        mask = np.asarray(Image.open(out / f"{stem}.png"))
        assert mask.shape == shape and mask.dtype == np.uint8
        assert set(np.unique(mask)) <= {0, 255}
        lesions = json.loads((out / f"{stem}.json").read_text())["lesions"]
        labels, count = ndimage.label(mask > 0, structure=np.ones((3, 3)))
        assert len(lesions) == count  # one JSON lesion per mask component
        assert sum(lesion["area_px"] for lesion in lesions) == int((mask > 0).sum())
        for lesion in lesions:
            assert set(lesion) == {"box", "area_px", "score", "malignancy"}
            x0, y0, x1, y1 = lesion["box"]
            assert 0 <= x0 < x1 <= shape[1] and 0 <= y0 < y1 <= shape[0]
            assert (mask[y0:y1, x0:x1] > 0).sum() >= lesion["area_px"]
            assert 0.0 <= lesion["score"] <= 1.0


def test_pairs_run_as_two_channels(index_csv, tmp_path):
    """The recombined mask is the pair's recombined output; run alone, the model sees zeros for LE instead."""
    from cemviewer.ai.preprocess import read_image
    from cemviewer.ai.segmenter import LesionSegmenter
    from cemviewer.commands.predict_masks import MODELS_DIR

    single = tmp_path / "single.csv"
    single.write_text(HEADER + "images/P1_L_CM_CC.png,,P1,L,recombined,CC\n")
    assert main(["predict-masks", str(index_csv), str(tmp_path / "paired")]) == 0
    assert main(["predict-masks", str(single), str(tmp_path / "alone")]) == 0

    segmenter = LesionSegmenter.load(MODELS_DIR / "segmenter.pt")
    low, recombined = (read_image(tmp_path / "images" / name) for name in ("P1_L_DM_CC.jpg", "P1_L_CM_CC.png"))
    assert not np.allclose(segmenter.probabilities(low, recombined)["recombined"],
                           segmenter.probabilities(None, recombined)["recombined"])
    for folder, inputs in (("paired", (low, recombined)), ("alone", (None, recombined))):
        written = np.asarray(Image.open(tmp_path / folder / "P1_L_CM_CC.png")) > 0
        assert np.array_equal(written, segmenter.segment(*inputs)["recombined"].mask)


def test_evaluate_prints_per_image_scores_and_a_summary(index_csv, tmp_path, capsys):
    assert main(["predict-masks", str(index_csv), str(tmp_path / "out"), "--evaluate"]) == 0
    printed = capsys.readouterr().out
    assert "P1_L_CM_CC.png: Dice" in printed  # the one row with a mask
    assert "P2_R_DM_MLO.jpg: Dice" not in printed
    assert "mean Dice" in printed and "95% CI" in printed and "false-positive lesions per image" in printed


def test_unusable_csv_or_model_is_reported(tmp_path, index_csv, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("image,energy\na.jpg,low_energy\n")
    assert main(["predict-masks", str(bad), str(tmp_path / "o1")]) == 2
    assert "missing column" in capsys.readouterr().err
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"nope")
    assert main(["predict-masks", str(index_csv), str(tmp_path / "o2"), "--model", str(corrupt)]) == 2
    assert "corrupt.pt" in capsys.readouterr().err


def test_no_readable_row_exits_1(tmp_path, capsys):
    csv = tmp_path / "index.csv"
    csv.write_text(HEADER + "nothing.jpg,,P1,L,low_energy,CC\n")
    assert main(["predict-masks", str(csv), str(tmp_path / "out")]) == 1
    assert "nothing.jpg" in capsys.readouterr().err
