"""pyradiomics features of one ROI on the LE and recombined images, in 2-D, at the images' pixel spacing.

Only the ROI's bounding box plus a margin goes to SimpleITK, which is what makes a 30 mm lesion on a full-field
image cost tens of milliseconds instead of seconds. Intensities are scaled per image over the whole breast
(cemviewer.imaging.intensity.breast_range, the classifier's scaling, but not clipped so bright enhancement keeps its
texture), so first-order features compare across vendors and bit depths.

Names: "<image>_<pyradiomics name>" with image "le" or "rec", e.g. "le_original_glcm_Contrast"; the ROI's 2-D
shape is the same on both images and appears once, unprefixed: "original_shape2D_MeshSurface" (mm²).
"""

from __future__ import annotations

import copy
import logging

import numpy as np
import radiomics
import SimpleITK as sitk
from radiomics import featureextractor

from cemviewer.imaging.intensity import breast_range
from cemviewer.radiomics.parameters import load_parameters, parameters_hash
from cemviewer.radiomics.roi import RadiomicsError, RoiError, RoiWindow, check_inside_breast, locate_roi

IMAGE_PREFIXES = {"le": "low-energy", "rec": "recombined"}
SHAPE_CLASS = "shape2D"
SHAPE_MARK = f"_{SHAPE_CLASS}_"


class RadiomicsExtractor:
    """pyradiomics configured once from resources/radiomics.yaml (or the given parameter dictionary)."""

    def __init__(self, parameters: dict | None = None):
        self.parameters = load_parameters() if parameters is None else copy.deepcopy(parameters)
        self.parameters_hash = parameters_hash(self.parameters)
        radiomics.setVerbosity(logging.ERROR)  # pyradiomics warns per call about things checked here already
        without_shape = copy.deepcopy(self.parameters)
        without_shape["featureClass"].pop(SHAPE_CLASS, None)
        self._with_shape = featureextractor.RadiomicsFeatureExtractor(copy.deepcopy(self.parameters))
        self._without_shape = featureextractor.RadiomicsFeatureExtractor(without_shape)

    def extract(self, le: np.ndarray | None, rec: np.ndarray | None, mask: np.ndarray,
                spacing_mm: tuple[float, float] | None) -> dict[str, float]:
        """Features of the ROI `mask` (bool, image shape) on the co-registered LE and recombined pixels (bright =
        dense; either may be None for a single-energy view). `spacing_mm` is (row, column).

        Raises RoiError for an unusable outline and RadiomicsError for unusable images.
        """
        images = {prefix: image for prefix, image in zip(IMAGE_PREFIXES, (le, rec)) if image is not None}
        if not images:
            raise RadiomicsError("No image to measure: the view has neither a low-energy nor a recombined image")
        shape = _common_shape(images)
        spacing = _checked_spacing(spacing_mm)
        mask = np.asarray(mask, dtype=bool)
        window = locate_roi(mask, shape, spacing)
        mask_crop = mask[window.rows, window.cols]
        crops = {prefix: _scaled_crop(image, window, prefix) for prefix, image in images.items()}
        check_inside_breast(next(iter(crops.values())), mask_crop)  # LE when there is one: air is darkest there
        sitk_mask = _sitk_image(mask_crop.astype(np.uint8), spacing)
        features: dict[str, float] = {}
        for index, (prefix, crop) in enumerate(crops.items()):
            extractor = self._with_shape if index == 0 else self._without_shape
            try:
                result = extractor.execute(_sitk_image(crop, spacing), sitk_mask)
            except ValueError as error:  # pyradiomics' own ROI checks, e.g. too few pixels after resampling
                raise RoiError(f"The outline cannot be measured: {error}") from error
            for name, value in result.items():
                if not name.startswith("diagnostics_"):
                    features[name if SHAPE_MARK in name else f"{prefix}_{name}"] = float(value)
        return features


def _common_shape(images: dict[str, np.ndarray]) -> tuple[int, int]:
    shapes = {prefix: np.shape(image) for prefix, image in images.items()}
    for prefix, shape in shapes.items():
        if len(shape) != 2:
            raise RadiomicsError(f"The {IMAGE_PREFIXES[prefix]} image is not 2-D (shape {shape})")
    if len(set(shapes.values())) > 1:
        raise RadiomicsError(f"The low-energy {shapes['le']} and recombined {shapes['rec']} images differ in size, "
                             f"so one outline cannot lie on both")
    return next(iter(shapes.values()))


def _checked_spacing(spacing_mm) -> tuple[float, float]:
    if spacing_mm is None:
        raise RadiomicsError("The image has no pixel spacing, so sizes in mm and radiomics cannot be computed")
    rows, cols = (float(value) for value in spacing_mm)
    if not (0 < rows < 10 and 0 < cols < 10):
        raise RadiomicsError(f"Implausible pixel spacing {rows:g} x {cols:g} mm")
    return rows, cols


def _scaled_crop(image: np.ndarray, window: RoiWindow, prefix: str) -> np.ndarray:
    scale = breast_range(image)
    if scale is None:
        raise RadiomicsError(f"The {IMAGE_PREFIXES[prefix]} image is blank: nothing to measure")
    low, high = scale
    crop = np.asarray(image[window.rows, window.cols], dtype=np.float32)
    return (crop - np.float32(low)) / np.float32(high - low)


def _sitk_image(array: np.ndarray, spacing: tuple[float, float]) -> sitk.Image:
    image = sitk.GetImageFromArray(np.ascontiguousarray(array))
    image.SetSpacing((spacing[1], spacing[0]))  # SimpleITK orders axes x (columns) first
    return image
