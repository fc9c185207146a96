"""Fibroglandular tissue: where the gland is, and its texture.

Mammographic parenchyma has a power-law spectrum (1/f^beta, beta about 3), so filtered noise thresholded
through a soft step gives patches of dense tissue with fat lobules between them. A second noise, stretched along
lines that converge on the nipple, gives the ductal/trabecular streaks that make a mammogram look like one.
"""

from __future__ import annotations

import numpy as np
from scipy import fft, ndimage

from cemviewer.synth.anatomy import Anatomy
from cemviewer.synth.ramps import sigmoid, smoothstep

DENSITY_CATEGORIES = ("a", "b", "c", "d")  # ACR: almost entirely fatty ... extremely dense
# Gland threshold per ACR category: the higher, the less of the envelope turns into dense tissue.
_THRESHOLDS = {"a": 1.0, "b": 0.75, "c": 0.5, "d": 0.3}


def power_law_noise(shape: tuple[int, int], beta: float, rng: np.random.Generator) -> np.ndarray:
    """Zero-mean, unit-variance float32 noise whose power spectrum falls as 1/f^beta."""
    white = rng.standard_normal(shape, dtype=np.float32)
    spectrum = fft.rfft2(white, workers=-1)
    fr = fft.fftfreq(shape[0]).astype(np.float32)[:, None]
    fc = fft.rfftfreq(shape[1]).astype(np.float32)[None, :]
    # The floor frequency keeps the field from being one large gradient.
    f_squared = fr**2 + fc**2 + (2.0 / max(shape)) ** 2
    spectrum *= f_squared ** (-beta / 4)
    field = fft.irfft2(spectrum, s=shape, workers=-1)
    field -= field.mean()
    field /= field.std() + 1e-12
    return field.astype(np.float32, copy=False)


def radial_streaks(anatomy: Anatomy, rng: np.random.Generator) -> np.ndarray:
    """Working-grid noise elongated along rays from the nipple (ducts and ligaments converge on it)."""
    grid = anatomy.grid
    rows, cols = grid.work_coords()
    spacing = grid.spacing_mm
    dr, dc = rows - anatomy.nipple[0], cols - anatomy.nipple[1]
    radius_mm = np.hypot(dr, dc) * spacing
    angle = np.arctan2(dr, -dc)  # 0 along the direction from the nipple to the chest wall
    # Polar noise: correlated over ~12 mm along a ray, ~1 mm across at 60 mm from the nipple.
    radial_step_mm, arc_step_mm, reference_mm = 1.0, 0.5, 60.0
    n_radius = int(np.ceil(radius_mm.max() / radial_step_mm)) + 2
    n_angle = int(np.ceil(2 * np.pi * reference_mm / arc_step_mm))
    polar = ndimage.gaussian_filter(rng.standard_normal((n_radius, n_angle)).astype(np.float32), (6.0, 1.5), mode="wrap")
    polar /= polar.std() + 1e-12
    coords = np.stack([radius_mm / radial_step_mm, (angle % (2 * np.pi)) / (2 * np.pi) * n_angle])
    streaks = ndimage.map_coordinates(polar, coords, order=1, mode="grid-wrap")
    # Rays crowd together at the nipple; fade them there instead of drawing a starburst.
    return (streaks * smoothstep(8.0, 35.0, radius_mm)).astype(np.float32)


def gland_envelope(anatomy: Anatomy) -> np.ndarray:
    """Working-grid probability of glandular tissue: a cone behind the nipple, fuller laterally/superiorly,
    sparing the subcutaneous and retroglandular fat."""
    grid = anatomy.grid
    rows, cols = grid.work_coords()
    spacing = grid.spacing_mm
    dr, dc = rows - anatomy.nipple[0], cols - anatomy.nipple[1]
    depth = (dr * anatomy.axis[0] + dc * anatomy.axis[1]) * spacing
    up = (dr * anatomy.perpendicular[0] + dc * anatomy.perpendicular[1]) * spacing
    length = anatomy.breast_length_mm
    relative = depth / length
    width = length * (0.18 + 0.55 * np.clip(relative, 0, 0.7))
    cone = np.exp(-(((up - 0.12 * length * np.clip(relative, 0, 1)) / width) ** 2))
    front_to_back = smoothstep(-0.05, 0.12, relative) * (1 - smoothstep(0.7, 1.0, relative))
    subcutaneous = smoothstep(3.0, 14.0, anatomy.skin_mm_work)
    envelope = cone * front_to_back * subcutaneous
    if anatomy.pectoral_mm_work is not None:
        envelope *= 1 - smoothstep(-15.0, 0.0, anatomy.pectoral_mm_work)
    return envelope.astype(np.float32)


def gland_fraction(anatomy: Anatomy, density: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Full-grid fraction of dense tissue in [0, 1], and the working-grid envelope it was drawn from."""
    grid = anatomy.grid
    envelope = gland_envelope(anatomy)
    smooth = 1.6 * (envelope - _THRESHOLDS[density]) + 0.2 * envelope * radial_streaks(anatomy, rng)
    drive = grid.upsample(smooth)
    drive += 0.75 * power_law_noise(grid.shape, 3.0, rng)
    drive *= 1 / 0.6
    return sigmoid(drive), envelope


def trabeculae(anatomy: Anatomy, rng: np.random.Generator) -> np.ndarray:
    """Working-grid network of thin curvilinear strands (Cooper's ligaments, septa between fat lobules): the
    zero crossings of band-pass noise, whose cells are fat lobules a few millimetres across."""
    spacing = anatomy.grid.work_spacing_mm
    white = rng.standard_normal(anatomy.grid.work_shape).astype(np.float32)
    band = ndimage.gaussian_filter(white, 1.5 / spacing) - ndimage.gaussian_filter(white, 3.0 / spacing)
    band /= band.std() + 1e-12
    return np.exp(-((band / 0.15) ** 2)) * smoothstep(1.0, 4.0, anatomy.skin_mm_work)
