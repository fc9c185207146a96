"""One preprocessing path for training (8-bit JPEG) and inference (16-bit DICOM modality values).

Intensities are normalised per image with percentiles taken inside the breast (pixels above the image minimum), so
8-bit JPEGs and 12/16-bit DICOMs land on the same [0, 1] scale. Geometry: centred zero-padding to a square (how the
training data was made), then a resize to the network size; `to_original` undoes both for network outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cemviewer.imaging.intensity import normalise

DICOM_SUFFIXES = {".dcm", ".dicom", ""}


class ImageReadError(ValueError):
    """An image file is missing, unreadable or not a 2-D greyscale image."""


@dataclass(frozen=True)
class Geometry:
    """Where an original image sits inside the padded square that was resized to the network size."""

    rows: int
    columns: int
    side: int  # padded square side, original pixels
    top: int
    left: int


def read_image(path: Path) -> np.ndarray:
    """Pixels of a JPEG/PNG (as stored) or a DICOM (modality values) as a 2-D float32 array."""
    path = Path(path)
    if not path.is_file():
        raise ImageReadError(f"image file not found: {path}")
    if path.suffix.lower() in DICOM_SUFFIXES:
        pixels = _read_dicom(path)
    else:
        pixels = _read_raster(path)
    if pixels.ndim != 2 or min(pixels.shape) < 2:
        raise ImageReadError(f"{path}: expected a 2-D greyscale image, got shape {pixels.shape}")
    return pixels.astype(np.float32, copy=False)


def _read_raster(path: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("L") if image.mode not in ("L", "I", "I;16", "F") else image)
    except (UnidentifiedImageError, OSError) as error:
        raise ImageReadError(f"{path}: not a readable image ({error})") from error


def _read_dicom(path: Path) -> np.ndarray:
    """Modality values on the stored pixel grid, bright = dense.

    Not cemviewer.study.pixels.load_image: that one flips into display orientation, while masks written for a file
    must lie on the file's own grid (as the CDD-CESM outlines do). The viewer hands its displayed pixels directly.
    """
    import pydicom
    from pydicom.pixels import apply_modality_lut

    try:
        dataset = pydicom.dcmread(path)
        pixels = apply_modality_lut(dataset.pixel_array, dataset).astype(np.float32)
    except Exception as error:  # pydicom and its decoders raise many unrelated types for damaged files
        raise ImageReadError(f"{path}: not a readable DICOM image ({error})") from error
    if str(dataset.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1":
        pixels = pixels.max() - pixels
    return pixels


def to_network(pixels: np.ndarray, size: int) -> tuple[np.ndarray, Geometry]:
    """Normalise, pad to a centred square and resize to size x size; returns the array and how to map back."""
    image = normalise(pixels)
    rows, columns = image.shape
    side = max(rows, columns)
    top, left = (side - rows) // 2, (side - columns) // 2
    square = np.zeros((side, side), dtype=np.float32)
    square[top : top + rows, left : left + columns] = image
    resized = _resize(torch.from_numpy(square)[None, None], size)[0, 0].numpy()
    return resized, Geometry(rows, columns, side, top, left)


def to_original(maps: torch.Tensor | np.ndarray, geometry: Geometry) -> np.ndarray:
    """Network-size maps (..., S, S) back onto the original image grid (..., rows, columns)."""
    maps = torch.as_tensor(maps, dtype=torch.float32)
    leading = maps.shape[:-2]
    flat = maps.reshape(1, -1, *maps.shape[-2:])
    square = _resize(flat, geometry.side)
    cropped = square[..., geometry.top : geometry.top + geometry.rows, geometry.left : geometry.left + geometry.columns]
    return cropped.reshape(*leading, geometry.rows, geometry.columns).numpy()


def mask_to_network(mask: np.ndarray, geometry: Geometry, size: int) -> np.ndarray:
    """A binary mask given on the original grid, padded and resized like its image (values in [0, 1])."""
    square = np.zeros((geometry.side, geometry.side), dtype=np.float32)
    square[geometry.top : geometry.top + geometry.rows, geometry.left : geometry.left + geometry.columns] = mask > 0
    return _resize(torch.from_numpy(square)[None, None], size)[0, 0].numpy()


def _resize(batch: torch.Tensor, size: int) -> torch.Tensor:
    if batch.shape[-1] == size and batch.shape[-2] == size:
        return batch
    shrinking = size < batch.shape[-1]
    return F.interpolate(batch, size=(size, size), mode="bilinear", align_corners=False, antialias=shrinking)
