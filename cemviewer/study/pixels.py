"""Decode one mammogram into display-ready modality values, with its windows, spacing and orientation."""

from __future__ import annotations

import cv2
import numpy as np
import pydicom
from pydicom.multival import MultiValue
from pydicom.pixels import apply_modality_lut
from pydicom.uid import JPEG2000, JPEG2000Lossless

from cemviewer.study.model import ImageRef, MammoImage, WindowPreset
from cemviewer.study.native_pixels import DEFER_SIZE, read_native_pixels, read_scanned_pixels
from cemviewer.study.orientation import display_flips

# A window from the tissue's own spread when the file gives none; the tails hold noise and skin-line artefacts.
AUTO_WINDOW_PERCENTILES = (0.5, 99.5)
_AUTO_WINDOW_SAMPLE_STEP = 4
_OPENCV_TYPES = {np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.int16), np.dtype(np.float32)}
# Pillow's OpenJPEG is built with threads (OPJ_NUM_THREADS, which the decode processes set) and pylibjpeg-openjpeg's
# is not: 0.53 vs 0.87 s for one 3062 x 2394 lossless image on two cores. pydicom undoes Pillow's scaling to 16 bits.
_DECODING_PLUGINS = {JPEG2000Lossless: "pillow", JPEG2000: "pillow"}


class ImageLoadError(Exception):
    """An image whose pixels cannot be shown; the message names the file and the reason."""


def _floats(value) -> list[float]:
    """Numbers of a DS attribute; an empty or malformed value counts as absent rather than failing the image."""
    if value is None or value == "":
        return []
    values = value if isinstance(value, (list, tuple, MultiValue)) else [value]
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError):
        return []


def _float(ds: pydicom.Dataset, keyword: str, default: float) -> float:
    values = _floats(ds.get(keyword))
    return values[0] if values else default


def _file_windows(ds: pydicom.Dataset) -> list[WindowPreset]:
    centers, widths = _floats(ds.get("WindowCenter")), _floats(ds.get("WindowWidth"))
    explanations = ds.get("WindowCenterWidthExplanation") or []
    if isinstance(explanations, str):
        explanations = [explanations]
    return [
        WindowPreset(center, width, str(explanations[i]) if i < len(explanations) else "")
        for i, (center, width) in enumerate(zip(centers, widths))
        if width > 0
    ]


def _otsu_threshold(values: np.ndarray) -> float:
    counts, edges = np.histogram(values, bins=256)
    centers = (edges[:-1] + edges[1:]) / 2
    weight_low = np.cumsum(counts)
    weight_high = weight_low[-1] - weight_low
    mean_low = np.cumsum(counts * centers) / np.maximum(weight_low, 1)
    mean_high = ((counts * centers).sum() - np.cumsum(counts * centers)) / np.maximum(weight_high, 1)
    between = weight_low * weight_high * (mean_low - mean_high) ** 2
    return float(centers[int(np.argmax(between))])


def auto_window(pixels: np.ndarray, invert: bool) -> WindowPreset:
    """A window spanning the breast's values: the background (air) side of an Otsu split is left out."""
    sample = pixels[::_AUTO_WINDOW_SAMPLE_STEP, ::_AUTO_WINDOW_SAMPLE_STEP].ravel()
    breast = sample
    if sample.size and sample.min() < sample.max():
        threshold = _otsu_threshold(sample)
        # Air is dark in MONOCHROME2 and bright in MONOCHROME1.
        tissue = sample[sample < threshold] if invert else sample[sample > threshold]
        if tissue.size >= 0.05 * sample.size:
            breast = tissue
    if not breast.size:
        return WindowPreset(0.0, 1.0, "AUTO")
    low, high = np.percentile(breast, AUTO_WINDOW_PERCENTILES)
    return WindowPreset(float(low + high) / 2.0, max(float(high - low), 1.0), "AUTO")


def _mirrored(stored: np.ndarray, horizontally: bool, vertically: bool) -> np.ndarray:
    """`stored` in display orientation, contiguous. OpenCV mirrors in place when it may write to `stored` (1.4 ms
    for a 3062 x 2394 uint16 image, against 3.5-3.9 ms into a new array and 5.4-6.6 ms for numpy's negative-stride
    copy, and no second 14.6 MB of fresh memory to fault in); other pixel types get a numpy view, which
    _modality_values copies."""
    if not (horizontally or vertically):
        return stored
    if stored.dtype in _OPENCV_TYPES:
        code = -1 if horizontally and vertically else (1 if horizontally else 0)
        in_place = stored.flags.writeable and stored.flags.c_contiguous
        return cv2.flip(stored, code, dst=stored) if in_place else cv2.flip(stored, code)
    return stored[:: -1 if vertically else 1, :: -1 if horizontally else 1]


def _modality_values(ds: pydicom.Dataset, stored: np.ndarray) -> np.ndarray:
    """Contiguous modality values: the decoded integers themselves when the file's modality transform is the
    identity (the usual case for For Presentation mammograms, and the fast one), else float32 from the Modality
    LUT Sequence or Rescale Slope/Intercept. `stored` may be a mirrored view."""
    if ds.get("ModalityLUTSequence"):
        return np.ascontiguousarray(apply_modality_lut(stored, ds), dtype=np.float32)
    slope = _float(ds, "RescaleSlope", 1.0)
    intercept = _float(ds, "RescaleIntercept", 0.0)
    if slope == 1.0 and intercept == 0.0:
        return np.ascontiguousarray(stored)
    values = np.ascontiguousarray(stored, dtype=np.float32)
    values *= slope
    values += intercept
    return values


def _voi_lut(ds: pydicom.Dataset) -> tuple[np.ndarray | None, int]:
    sequence = ds.get("VOILUTSequence")
    if not sequence:
        return None, 0
    item = sequence[0]
    count, first, bits = (int(v) for v in item.LUTDescriptor)
    data = item.LUTData
    if isinstance(data, bytes):
        data = np.frombuffer(data, dtype="<u2" if bits > 8 else "u1")
    table = np.asarray(data, dtype=np.float32)[: count or 65536]
    return table, first


def _stored_values(ref: ImageRef) -> tuple[pydicom.Dataset, np.ndarray]:
    if ref.header is not None:
        stored = read_scanned_pixels(ref.header, ref.path)
        if stored is not None:
            return ref.header.dataset, stored
    ds = pydicom.dcmread(ref.path, defer_size=DEFER_SIZE)
    stored = read_native_pixels(ds, ref.path)
    if stored is None:
        plugin = _DECODING_PLUGINS.get(ds.file_meta.get("TransferSyntaxUID"))
        if plugin:
            ds.pixel_array_options(decoding_plugin=plugin)
        stored = ds.pixel_array
    return ds, stored


def load_image(ref: ImageRef) -> MammoImage:
    """Read and decode `ref`'s file. Raises ImageLoadError with the reason when the pixels cannot be used."""
    try:
        ds, stored = _stored_values(ref)
    except Exception as error:  # noqa: BLE001 - decoders raise many types on damaged data; all mean "unusable"
        raise ImageLoadError(f"{ref.path}: cannot decode the pixel data ({error})") from error
    if stored.ndim != 2:
        raise ImageLoadError(f"{ref.path}: expected one 2-D image, the pixel data has shape {stored.shape}")

    flip_h, flip_v = display_flips(ds.get("PatientOrientation"), ref.laterality, ref.view)
    values = _modality_values(ds, _mirrored(stored, flip_h, flip_v))

    invert = str(ds.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1"
    spacing = _floats(ds.get("PixelSpacing")) or _floats(ds.get("ImagerPixelSpacing"))
    voi_lut, voi_lut_first = _voi_lut(ds)
    windows = _file_windows(ds) or [auto_window(values, invert)]
    return MammoImage(
        ref=ref,
        pixels=values,
        spacing_mm=(spacing[0], spacing[1]) if len(spacing) == 2 else None,
        windows=windows,
        invert=invert,
        voi_lut=voi_lut,
        voi_lut_first=voi_lut_first,
        voi_lut_function=str(ds.get("VOILUTFunction") or "LINEAR").upper(),
        flipped_horizontally=flip_h,
        flipped_vertically=flip_v,
    )
