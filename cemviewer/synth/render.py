"""Turn tissue maps into the two images of one view, as a CEM unit presents them.

Low energy (LE): a processed, for-presentation mammogram (MONOCHROME2): air near 0, fat mid-dark grey, gland and
muscle bright, a thin bright skin line, peripheral thinning of the compressed edge mostly equalised away.
Recombined: the dual-energy subtraction, where tissue contrast cancels: flat grey parenchyma with a little residue,
background parenchymal enhancement (BPE) in the gland, enhancing vessels and lesions, a bright rim at the skin.
Both are 12-bit values in uint16.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from cemviewer.synth.anatomy import Anatomy
from cemviewer.synth.ramps import sigmoid, smoothstep
from cemviewer.synth.texture import power_law_noise

MAX_VALUE = 4095  # 12 bits stored
BPE_LEVELS = {"minimal": 0.025, "mild": 0.06, "moderate": 0.1}
_MASS_BASE = 0.75  # gland-equivalent density of a mass body before its own contrast
_REFERENCE_SPACING_MM = 0.1  # the noise amplitudes below are per pixel at this spacing


@dataclass
class TissueMaps:
    """Everything known about one view before it is turned into pixels (full grid, canonical orientation)."""

    anatomy: Anatomy
    gland: np.ndarray  # dense-tissue fraction in [0, 1]
    envelope_work: np.ndarray  # where gland may be, working grid
    vessels_work: np.ndarray  # working grid
    trabeculae_work: np.ndarray  # working grid
    lesion_core: np.ndarray  # 0..1 mass bodies (LE: they replace the parenchyma texture)
    lesion_density: np.ndarray  # dense tissue the masses add (LE)
    lesion_enhancement: np.ndarray  # contrast uptake of lesions (recombined)

    def __post_init__(self):
        grid = self.anatomy.grid
        # Soft breast mask, antialiased over one pixel.
        self.inside = smoothstep(-0.5 * grid.spacing_mm, 0.5 * grid.spacing_mm, self.anatomy.skin_mm)


def render_low_energy(maps: TissueMaps, rng: np.random.Generator) -> np.ndarray:
    anatomy, grid = maps.anatomy, maps.anatomy.grid
    skin, inside = anatomy.skin_mm, maps.inside
    # Compressed breast edge: thickness falls over the last ~15 mm; processing restores most of it.
    thickness = np.sqrt(1 - (1 - np.clip(skin / 15.0, 0, 1)) ** 2)
    equalised = 0.55 + 0.45 * thickness
    extra_work = 0.06 * maps.vessels_work + 0.16 * _areola(anatomy) + 0.08 * maps.trabeculae_work * (1 - maps.envelope_work)
    # A mass is solid tissue: under it the fat/gland mottle gives way to a smoother, dense body.
    tissue = maps.gland + maps.lesion_core * (_MASS_BASE - maps.gland) * 0.35
    tissue += maps.lesion_density
    tissue += grid.upsample(extra_work)
    value = equalised * (0.27 + 0.5 * np.clip(tissue, 0, 1.3))
    value += 0.16 * np.exp(-(((skin - 0.9) / 0.55) ** 2))  # skin line
    if anatomy.pectoral_mm is not None:
        value = _blend_pectoral(value, anatomy, brightness=0.56, fibre_contrast=0.008, rng=rng)
    value = value * inside + 0.012 * (1 - inside)
    value += _quantum_noise(grid.shape, grid.spacing_mm, 0.006, rng) * (0.4 + value)
    return _to_stored(_presentation_curve(value))


def render_recombined(maps: TissueMaps, bpe: str, rng: np.random.Generator) -> np.ndarray:
    anatomy, grid = maps.anatomy, maps.anatomy.grid
    skin, inside = anatomy.skin_mm, maps.inside
    enhancement_patches = sigmoid((power_law_noise(grid.work_shape, 3.0, rng) - 0.3) / 0.4)
    bpe_work = BPE_LEVELS[bpe] * maps.envelope_work * enhancement_patches + 0.06 * maps.vessels_work
    value = 0.40 + grid.upsample(bpe_work)
    value -= 0.012 * (maps.gland - 0.5)  # imperfect cancellation of the dense tissue
    value += 0.14 * np.exp(-np.clip(skin, 0, None) / 1.8)  # bright rim where the edge thins
    value += maps.lesion_enhancement
    if anatomy.pectoral_mm is not None:
        value = _blend_pectoral(value, anatomy, brightness=0.5, fibre_contrast=0.006, rng=rng)
    value = value * inside + 0.03 * (1 - inside)
    value += _quantum_noise(grid.shape, grid.spacing_mm, 0.022, rng) * inside
    return _to_stored(value)


def _blend_pectoral(value: np.ndarray, anatomy: Anatomy, brightness: float, fibre_contrast: float,
                    rng: np.random.Generator) -> np.ndarray:
    """Muscle: homogeneous, brightest toward the corner, with faint fibres along its length."""
    grid = anatomy.grid
    weight = smoothstep(-0.6, 0.6, anatomy.pectoral_mm)
    depth = np.clip(anatomy.pectoral_mm_work / 30.0, 0, 1)
    # Fibres run along the muscle, i.e. across the nipple axis: noise stretched along the rows, rotated into place.
    fibres = ndimage.gaussian_filter(rng.standard_normal(grid.work_shape).astype(np.float32), (1.2, 8))
    along = np.degrees(np.arctan2(-anatomy.perpendicular[0], anatomy.perpendicular[1]))
    fibres = ndimage.rotate(fibres, along, reshape=False, mode="reflect")
    muscle = grid.upsample(brightness * (0.8 + 0.2 * depth) + fibre_contrast * fibres / (fibres.std() + 1e-12))
    return value + (muscle - value) * weight


def _areola(anatomy: Anatomy) -> np.ndarray:
    """Working grid: thicker skin and denser retroareolar tissue around the nipple."""
    rows, cols = anatomy.grid.work_coords()
    distance_mm = np.hypot(rows - anatomy.nipple[0], cols - anatomy.nipple[1]) * anatomy.grid.spacing_mm
    return np.exp(-((distance_mm / 9.0) ** 2)).astype(np.float32)


def _quantum_noise(shape, spacing_mm: float, sigma_at_reference: float, rng: np.random.Generator) -> np.ndarray:
    """Per-pixel noise whose amplitude shrinks as the pixel area grows."""
    return rng.standard_normal(shape, dtype=np.float32) * np.float32(sigma_at_reference * _REFERENCE_SPACING_MM / spacing_mm)


def _presentation_curve(value: np.ndarray) -> np.ndarray:
    """Soft shoulder of vendor processing, so the densest tissue keeps some contrast instead of clipping."""
    fourth = np.clip(value, 0, 1)
    fourth *= fourth
    fourth *= fourth
    return value * (1 - 0.12 * fourth)


def _to_stored(value: np.ndarray) -> np.ndarray:
    value *= MAX_VALUE
    np.clip(value, 0, MAX_VALUE, out=value)
    return np.rint(value, out=value).astype(np.uint16)


def default_window(pixels: np.ndarray, breast: np.ndarray, recombined: bool) -> tuple[float, float]:
    """(centre, width) a reader would start from. LE: from just below the
    fat to the densest tissue, so dense parenchyma keeps its contrast instead of washing out. Recombined: a fixed width with the parenchyma at dark-mid grey, so both breasts look alike and
    enhancement stands out whether or not the image holds a lesion."""
    values = pixels[breast]
    if recombined:
        width = 0.75 * MAX_VALUE
        return float(np.median(values) + 0.15 * width), width
    air = float(np.median(pixels[~breast])) if (~breast).any() else 0.0
    fattest, densest = (float(v) for v in np.percentile(values, (1.0, 99.9)))
    darkest = (air + fattest) / 2  # fat stays a visible dark grey, apart from the air
    return (darkest + densest) / 2, densest - darkest
