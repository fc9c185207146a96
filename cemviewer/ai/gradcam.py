"""Grad-CAM++ of the malignancy classifier (pytorch_grad_cam), pasted back from the lesion crop onto the full image.

The explained output is the malignancy logit; the layer is the classifier's last convolutional block (12 x 12 at
96 px input). pytorch_grad_cam scales each crop's map to [0, 1] on its own.
"""

from __future__ import annotations

import numpy as np
import torch
from pytorch_grad_cam import GradCAMPlusPlus
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from cemviewer.ai.classifier import MalignancyClassifier, lesion_windows, normalised_pair
from cemviewer.ai.crops import CropWindow, paste_back, resize_stack

MALIGNANCY_OUTPUT = 0  # the network's single output is the malignancy logit


def crop_heatmaps(classifier: MalignancyClassifier, crops: torch.Tensor) -> np.ndarray:
    """(N, S, S) Grad-CAM++ maps in [0, 1] for a batch of network-ready crops."""
    if len(crops) == 0:
        return np.zeros((0, *crops.shape[-2:]), dtype=np.float32)
    network = classifier.network
    with torch.enable_grad(), GradCAMPlusPlus(network, target_layers=[network.last_conv_block]) as cam:
        targets = [ClassifierOutputTarget(MALIGNANCY_OUTPUT)] * len(crops)
        maps = cam(input_tensor=crops.detach().clone(), targets=targets)
    network.zero_grad(set_to_none=True)  # the explanation must not leave gradients on the shared model
    return np.clip(np.nan_to_num(maps.astype(np.float32)), 0.0, 1.0)


def view_heatmap(crop_maps: np.ndarray, windows: list[CropWindow], shape: tuple[int, int],
                 weights: np.ndarray | None = None) -> np.ndarray | None:
    """Pixel-wise maximum over the lesions' maps, each scaled by its weight (e.g. malignancy probability).

    Built in one array, touching only each lesion's window: a full-field map is ~17 MB of float32.
    """
    if len(crop_maps) == 0:
        return None
    combined = np.zeros(shape, dtype=np.float32)
    weights = np.ones(len(crop_maps), dtype=np.float32) if weights is None else np.asarray(weights, dtype=np.float32)
    for crop_map, window, weight in zip(crop_maps, windows, weights):
        resized = resize_stack(crop_map[None] * float(weight), window.side)[0]
        rows, cols, window_rows, window_cols = window.inside(shape)
        np.maximum(combined[rows, cols], resized[window_rows, window_cols], out=combined[rows, cols])
    return combined


def heatmap_for_lesion(classifier: MalignancyClassifier, le: np.ndarray | None, rec: np.ndarray | None,
                       mask: np.ndarray) -> np.ndarray:
    """Grad-CAM++ of one lesion on raw LE / recombined pixels: a float32 map in [0, 1] of the image's shape."""
    le_n, rec_n = normalised_pair(le, rec)
    shape = (le_n if le_n is not None else rec_n).shape
    if np.shape(mask) != shape:
        raise ValueError(f"lesion mask shape {np.shape(mask)} differs from the image shape {shape}")
    windows = lesion_windows([np.asarray(mask, dtype=bool)], shape, classifier.meta)
    maps = crop_heatmaps(classifier, classifier.crops(le_n, rec_n, windows))
    return paste_back(maps[0], windows[0], shape)
