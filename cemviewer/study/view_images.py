"""Decoding the two images of one view for the headless assessments (`cemviewer analyze`, the reports)."""

from __future__ import annotations

from pathlib import Path

from cemviewer.study.model import MammoImage, View
from cemviewer.study.pixels import ImageLoadError, load_image

SIZE_MISMATCH_REASON = ("the recombined image differs in size from the low-energy one; the view is assessed on the "
                        "low-energy image alone")


def load_view_images(view: View) -> tuple[dict[str, MammoImage], list[tuple[Path, str]]]:
    """{"low_energy" | "recombined": image} for the images that decode, and (path, reason) for the others. A
    recombined image of another size than the low-energy one cannot share its lesion masks, so it is set aside."""
    images, problems = {}, []
    for ref in view.images():
        try:
            images[ref.energy.value] = load_image(ref)
        except ImageLoadError as error:
            problems.append((ref.path, str(error)))
    if len(images) == 2 and images["low_energy"].pixels.shape != images["recombined"].pixels.shape:
        problems.append((images["recombined"].ref.path, SIZE_MISMATCH_REASON))
        del images["recombined"]
    return images, problems
