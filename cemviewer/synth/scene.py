"""One synthetic patient, all four views, in memory: anatomy, tissue, lesions, and the rendered LE and recombined
pixels in display orientation (right breast: chest wall on the right edge; left breast: on the left edge)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cemviewer.synth.anatomy import Anatomy, BreastForm, build_anatomy
from cemviewer.synth.grid import Grid
from cemviewer.synth.lesions import LesionSpec, draw_lesion, footprint
from cemviewer.synth.placement import Placement, place_lesion
from cemviewer.synth.render import BPE_LEVELS, TissueMaps, default_window, render_low_energy, render_recombined
from cemviewer.synth.texture import DENSITY_CATEGORIES, gland_fraction, trabeculae
from cemviewer.synth.vessels import vessel_map

VIEWS = (("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO"))  # the usual hanging order
_LESION_COUNTS = ((1, 0.25), (2, 0.45), (3, 0.30))
_OUTLINE_ALLOWANCE = 1.3  # lobulated outlines reach past the nominal radius


@dataclass
class SyntheticView:
    laterality: str
    view: str
    low_energy: np.ndarray  # uint16, display orientation
    recombined: np.ndarray
    labels: np.ndarray  # uint8: 0 background, lesion id inside each lesion outline
    breast: np.ndarray  # bool: inside the skin line
    nipple: tuple[float, float]  # (row, col)
    axis: tuple[float, float]  # unit (row, col) vector from the nipple toward the chest wall
    has_pectoral: bool
    breast_length_mm: float  # nipple to chest wall (CC) or to the pectoral border line (MLO)
    window_low_energy: tuple[float, float]  # (centre, width)
    window_recombined: tuple[float, float]

    @property
    def name(self) -> str:
        return f"{self.laterality}{self.view}"


@dataclass
class PlacedLesion:
    spec: LesionSpec
    placement: Placement


@dataclass
class SyntheticStudy:
    seed: int
    shape: tuple[int, int]
    spacing_mm: float
    density: str  # ACR a-d
    bpe: str
    lesions: list[PlacedLesion]
    views: list[SyntheticView]


def synthesize(seed: int, shape: tuple[int, int], spacing_mm: float) -> SyntheticStudy:
    grid = Grid(tuple(int(n) for n in shape), float(spacing_mm))
    patient_seq, lesion_seq, *view_seqs = np.random.SeedSequence(seed).spawn(2 + len(VIEWS))
    patient = np.random.default_rng(patient_seq)
    density = str(patient.choice(DENSITY_CATEGORIES, p=[0.1, 0.4, 0.4, 0.1]))
    bpe = str(patient.choice(list(BPE_LEVELS), p=[0.35, 0.45, 0.2]))
    form = BreastForm.draw(patient)
    forms = {"L": form, "R": form.sibling(patient)}
    view_rngs = {lv: np.random.default_rng(s) for lv, s in zip(VIEWS, view_seqs)}
    anatomies = {(lat, view): build_anatomy(view, forms[lat], grid, view_rngs[lat, view]) for lat, view in VIEWS}
    lesions = _draw_lesions(np.random.default_rng(lesion_seq), anatomies)
    views = [
        _render_view(lat, view, anatomies[lat, view], [l for l in lesions if l.spec.laterality == lat], density, bpe,
                     view_rngs[lat, view])
        for lat, view in VIEWS
    ]
    return SyntheticStudy(seed, grid.shape, grid.spacing_mm, density, bpe, lesions, views)


def _draw_lesions(rng: np.random.Generator, anatomies: dict[tuple[str, str], Anatomy]) -> list[PlacedLesion]:
    counts, weights = zip(*_LESION_COUNTS)
    n = int(rng.choice(counts, p=weights))
    # A study with several lesions always shows both kinds, so every demo has something to tell apart.
    pathologies = ["malignant", "benign"][:n] + [str(rng.choice(["malignant", "benign"])) for _ in range(n - 2)]
    if n == 1:
        pathologies = [str(rng.choice(["malignant", "benign"]))]
    rng.shuffle(pathologies)
    placed: list[PlacedLesion] = []
    taken: dict[str, dict[str, list]] = {"L": {}, "R": {}}
    for lesion_id, pathology in enumerate(pathologies, start=1):
        laterality = str(rng.choice(["R", "L"]))
        views = {view: anatomies[laterality, view] for view in ("CC", "MLO")}
        shortest = min(a.breast_length_mm for a in views.values())
        spec = draw_lesion(rng, lesion_id, laterality, pathology, max_size_mm=0.3 * shortest)
        radius = spec.size_mm / 2 * _OUTLINE_ALLOWANCE
        placement = place_lesion(radius, views, taken[laterality], rng)
        if placement is None:
            raise ValueError(f"no room for a {spec.size_mm:.0f} mm lesion in a {shortest:.0f} mm breast; "
                             "use a larger image or a coarser pixel spacing")
        for view, centre in placement.centres.items():
            taken[laterality].setdefault(view, []).append((centre, radius))
        placed.append(PlacedLesion(spec, placement))
    return placed


def _render_view(laterality: str, view: str, anatomy: Anatomy, lesions: list[PlacedLesion], density: str, bpe: str,
                 rng: np.random.Generator) -> SyntheticView:
    grid = anatomy.grid
    gland, envelope = gland_fraction(anatomy, density, rng)
    vessels = vessel_map(anatomy, rng)
    lesion_core = np.zeros(grid.shape, dtype=np.float32)
    lesion_density = np.zeros(grid.shape, dtype=np.float32)
    lesion_enhancement = np.zeros(grid.shape, dtype=np.float32)
    labels = np.zeros(grid.shape, dtype=np.uint8)
    for lesion in lesions:
        fp = footprint(lesion.spec, view, lesion.placement.centres[view], grid.spacing_mm, grid.shape)
        np.maximum(lesion_core[fp.rows, fp.cols], fp.core, out=lesion_core[fp.rows, fp.cols])
        lesion_density[fp.rows, fp.cols] += fp.density
        lesion_enhancement[fp.rows, fp.cols] += fp.enhancement
        labels[fp.rows, fp.cols][fp.mask] = lesion.spec.id
    maps = TissueMaps(anatomy, gland, envelope, vessels, trabeculae(anatomy, rng), lesion_core, lesion_density,
                      lesion_enhancement)
    low_energy = render_low_energy(maps, rng)
    recombined = render_recombined(maps, bpe, rng)
    breast = anatomy.skin_mm > 0
    nipple, axis = anatomy.nipple, anatomy.axis
    if laterality == "R":
        low_energy, recombined, labels, breast = (a[:, ::-1].copy() for a in (low_energy, recombined, labels, breast))
        nipple, axis = (nipple[0], grid.shape[1] - 1 - nipple[1]), (axis[0], -axis[1])
    return SyntheticView(
        laterality=laterality,
        view=view,
        low_energy=low_energy,
        recombined=recombined,
        labels=labels,
        breast=breast,
        nipple=(float(nipple[0]), float(nipple[1])),
        axis=(float(axis[0]), float(axis[1])),
        has_pectoral=anatomy.pectoral_mm is not None,
        breast_length_mm=anatomy.breast_length_mm,
        window_low_energy=default_window(low_energy, breast, recombined=False),
        window_recombined=default_window(recombined, breast, recombined=True),
    )
