"""AI lesions as proposals for editing: the lesion's mask as the analysis worker cropped it
(cemviewer.imaging.lesion_marks), else filled back from its outlines."""

from __future__ import annotations

import numpy as np
from skimage.draw import polygon as polygon_pixels

from cemviewer.imaging.lesion_marks import LesionMarks


def outline_mask(marks: LesionMarks, shape: tuple[int, int]) -> np.ndarray:
    """The pixels inside the lesion's outlines on either image: the union the AI reports as the lesion."""
    mask = np.zeros(shape, bool)
    x0, y0, x1, y1 = marks.box
    crop_shape = (y1 - y0, x1 - x0)
    crop = mask[y0:y1, x0:x1]  # writing only here leaves the rest of the mask uncommitted (see LesionSet)
    if marks.mask is not None:
        # Filling outlines of a large lesion takes seconds at full detector size: far too long on the UI thread.
        crop |= marks.mask
        return mask
    for contours in marks.contours.values():
        # Even-odd within one image's outlines: the outline of a hole inside a lesion clears it again.
        inside = np.zeros(crop_shape, bool)
        for contour in contours:
            # Outline vertices are (column, row) with pixel centres on integers, as skimage.draw expects.
            rows, columns = polygon_pixels(contour[:, 1] - y0, contour[:, 0] - x0, crop_shape)
            inside[rows, columns] ^= True
        crop |= inside
    return mask
