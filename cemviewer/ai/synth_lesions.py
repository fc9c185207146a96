"""Training crops for the malignancy classifier from synthetic studies with known truth.

A data folder holds study folders written by `cemviewer.synth.study.write_study` (DICOM + masks/ + truth.json).
Each study's crops are cached in <study>/lesion_crops.npz the first time they are needed. Per view (LE + recombined
pair): one crop per lesion (benign or malignant, from the truth labels) and NORMAL_CROPS_PER_VIEW crops of lesion-free
breast tissue, because at inference the classifier also sees the segmenter's false positives and should call them
not malignant. Crops are cut CACHE_ZOOM times wider than the network crop so training can jitter the context.

Make a data folder (resumable: existing studies are kept):

    python -m cemviewer.ai.synth_lesions DIR --studies 300
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage
from tqdm import tqdm

from cemviewer.ai.crops import CONTEXT, MIN_SIDE_FRACTION, crop_window, extract_crop, mask_box
from cemviewer.ai.preprocess import read_image
from cemviewer.imaging.intensity import normalise

NORMAL, BENIGN, MALIGNANT = 0, 1, 2
CACHE_FILE = "lesion_crops.npz"
CACHE_VERSION = 1
CACHE_ZOOM = 4 / 3  # cached crop side / network crop side
CACHE_SIZE = 128  # CROP_SIZE * CACHE_ZOOM: the network crop is resampled from the cache at about its own resolution
NORMAL_CROPS_PER_VIEW = 1
NORMAL_SIZE_MM = (6.0, 25.0)  # like the synthetic lesions
TISSUE_LEVEL = 0.15  # normalised LE above which a pixel is breast tissue rather than air
STUDY_SHAPE = (1147, 957)  # half the full detector at twice the spacing: 4x fewer pixels, lesions still >= 30 px
STUDY_SPACING_MM = 0.2
FIRST_SEED = 100_000  # far from the seeds the tests and the demo use


@dataclass
class LesionCrops:
    crops: np.ndarray  # (N, 2, CACHE_SIZE, CACHE_SIZE) float16: LE, recombined
    kind: np.ndarray  # (N,) int8: NORMAL, BENIGN or MALIGNANT
    study: np.ndarray  # (N,) str: study folder name, for splitting by study

    def select(self, keep: np.ndarray) -> "LesionCrops":
        return LesionCrops(self.crops[keep], self.kind[keep], self.study[keep])

    @classmethod
    def concatenate(cls, parts: list["LesionCrops"]) -> "LesionCrops":
        if not parts:
            return cls(np.zeros((0, 2, CACHE_SIZE, CACHE_SIZE), np.float16), np.zeros(0, np.int8), np.zeros(0, str))
        return cls(np.concatenate([p.crops for p in parts]), np.concatenate([p.kind for p in parts]),
                   np.concatenate([p.study for p in parts]))


def study_dirs(data_dir: Path) -> list[Path]:
    """Complete studies directly under `data_dir` (write_study writes truth.json last)."""
    return sorted(path.parent for path in Path(data_dir).glob("*/truth.json"))


def generate_studies(data_dir: Path, count: int, *, first_seed: int = FIRST_SEED, shape=STUDY_SHAPE,
                     spacing_mm: float = STUDY_SPACING_MM) -> list[Path]:
    """Write studies seed first_seed .. first_seed+count-1 as DIR/study_<seed>, keeping those already complete."""
    from cemviewer.synth.study import write_study

    data_dir = Path(data_dir)
    folders = []
    for seed in tqdm(range(first_seed, first_seed + count), desc="synthetic studies", unit="study", file=sys.stderr):
        folder = data_dir / f"study_{seed}"
        if not (folder / "truth.json").is_file():
            write_study(folder, seed=seed, shape=shape, pixel_spacing_mm=spacing_mm)
        study_crops(folder)  # cache now, while the files are warm
        folders.append(folder)
    return folders


def load_crops(data_dir: Path) -> LesionCrops:
    """All crops of all studies under `data_dir`, building missing caches."""
    folders = study_dirs(data_dir)
    if not folders:
        raise FileNotFoundError(f"{data_dir}: no synthetic studies (folders with truth.json); make some with "
                                f"`python -m cemviewer.ai.synth_lesions {data_dir} --studies 300`")
    parts = [study_crops(folder) for folder in tqdm(folders, desc="lesion crops", unit="study", file=sys.stderr)]
    return LesionCrops.concatenate(parts)


def study_crops(folder: Path) -> LesionCrops:
    folder = Path(folder)
    cache = folder / CACHE_FILE
    if cache.is_file():
        with np.load(cache) as saved:
            if int(saved["version"]) == CACHE_VERSION:
                return LesionCrops(saved["crops"], saved["kind"], np.full(len(saved["kind"]), folder.name))
    crops, kinds = _cut_study(folder)
    temporary = folder / (CACHE_FILE + ".partial.npz")
    np.savez_compressed(temporary, version=CACHE_VERSION, crops=crops, kind=kinds)
    temporary.replace(cache)
    return LesionCrops(crops, kinds, np.full(len(kinds), folder.name))


@dataclass
class TruthView:
    """One view of a synthetic study as written: raw LE and recombined pixels, lesion labels and their kinds."""

    laterality: str
    view: str
    le: np.ndarray  # float32 modality values as stored (the synthetic images are stored display-oriented)
    rec: np.ndarray
    labels: np.ndarray  # uint8: 0 background, lesion k = k (the same on LE and recombined)
    kinds: dict[int, int]  # lesion id -> BENIGN | MALIGNANT

    def lesion_mask(self, lesion_id: int) -> np.ndarray:
        return self.labels == lesion_id


def truth_views(folder: Path) -> list[TruthView]:
    """The LE + recombined view pairs of a study written by write_study, with their truth."""
    from cemviewer.synth.truth import StudyTruth

    folder = Path(folder)
    truth = StudyTruth.load(folder)
    kinds = {lesion.id: MALIGNANT if lesion.malignant else BENIGN for lesion in truth.lesions}
    pairs: dict[tuple[str, str], dict] = {}
    for image in truth.images:
        pairs.setdefault((image.laterality, image.view), {})[image.energy] = image
    views = []
    for (laterality, view), images in pairs.items():
        if {"low_energy", "recombined"} <= images.keys():
            labels = np.asarray(Image.open(folder / images["low_energy"].mask))
            present = {int(i) for i in np.unique(labels[labels > 0])}
            views.append(TruthView(laterality, view, read_image(folder / images["low_energy"].file),
                                   read_image(folder / images["recombined"].file), labels,
                                   {i: kinds[i] for i in present}))
    return views


def _cut_study(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    from cemviewer.synth.truth import StudyTruth

    truth = StudyTruth.load(folder)
    rng = np.random.default_rng(truth.seed)
    crops, kinds = [], []
    for view in truth_views(folder):
        le, rec = normalise(view.le), normalise(view.rec)
        for lesion_id, kind in sorted(view.kinds.items()):
            crops.append(_cache_crop(le, rec, mask_box(view.lesion_mask(lesion_id))))
            kinds.append(kind)
        for box in _normal_boxes(le, view.labels, truth.pixel_spacing_mm, rng):
            crops.append(_cache_crop(le, rec, box))
            kinds.append(NORMAL)
    return np.stack(crops).astype(np.float16), np.asarray(kinds, dtype=np.int8)


def _cache_crop(le: np.ndarray, rec: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    window = crop_window(box, le.shape, context=CONTEXT * CACHE_ZOOM, min_side_fraction=MIN_SIDE_FRACTION * CACHE_ZOOM)
    return extract_crop([le, rec], window, CACHE_SIZE)


def _normal_boxes(le: np.ndarray, labels: np.ndarray, spacing_mm: float, rng: np.random.Generator):
    """Lesion-sized boxes in breast tissue, clear of every lesion by at least their own size."""
    depth_in_tissue = ndimage.distance_transform_edt(le > TISSUE_LEVEL)
    distance_to_lesion = ndimage.distance_transform_edt(labels == 0)
    for _ in range(NORMAL_CROPS_PER_VIEW):
        side = int(round(rng.uniform(*NORMAL_SIZE_MM) / spacing_mm))
        rows, cols = np.nonzero((depth_in_tissue > side / 2) & (distance_to_lesion > 1.5 * side))
        if rows.size == 0:
            continue
        pick = rng.integers(rows.size)
        y0, x0 = rows[pick] - side // 2, cols[pick] - side // 2
        yield (int(x0), int(y0), int(x0 + side), int(y0 + side))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cemviewer.ai.synth_lesions",
                                     description="write synthetic studies and cache their lesion crops for "
                                                 "`cemviewer train classifier --data DIR`")
    parser.add_argument("data", type=Path, help="data folder (created when missing)")
    parser.add_argument("--studies", type=int, default=300, help="number of studies (default 300)")
    parser.add_argument("--first-seed", type=int, default=FIRST_SEED, help=f"seed of the first study ({FIRST_SEED})")
    args = parser.parse_args(argv)
    if args.studies < 3:
        parser.error("--studies: at least 3 (train / validation / test split by study)")
    folders = generate_studies(args.data, args.studies, first_seed=args.first_seed)
    data = load_crops(args.data)
    print(f"{len(folders)} studies in {args.data}: {int((data.kind == MALIGNANT).sum())} malignant, "
          f"{int((data.kind == BENIGN).sum())} benign, {int((data.kind == NORMAL).sum())} normal-tissue crops")
    return 0


if __name__ == "__main__":
    sys.exit(main())
