"""Malignancy classifier for one lesion: a two-channel crop (LE, recombined) -> probability of malignancy.

Input channels are the LE and recombined images, each normalised over the whole breast by the shared preprocessing
(so the crop keeps its brightness relative to the surrounding breast), cropped square around the lesion box with
context and resized to CROP_SIZE. A single-energy view runs with zeros in the missing channel, as trained with
channel dropout. The lesion mask itself is not an input: it only places the crop (see models/MODEL_CARD.md for why).

Weights file: {"format": FORMAT, "state_dict": ..., "meta": {...}}, loadable with torch.load(weights_only=True).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn
from torchvision.models.resnet import BasicBlock

from cemviewer.ai.crops import CONTEXT, CROP_SIZE, MIN_SIDE_FRACTION, CropWindow, crop_window, extract_crop, mask_box
from cemviewer.ai.model_files import ModelLoadError
from cemviewer.imaging.intensity import breast_range, normalise

FORMAT = "cemviewer-malignancy-classifier/1"
WIDTHS = (24, 48, 96, 128)


def _block(in_channels: int, out_channels: int, stride: int) -> BasicBlock:
    downsample = None
    if stride != 1 or in_channels != out_channels:
        downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                   nn.BatchNorm2d(out_channels))
    return BasicBlock(in_channels, out_channels, stride=stride, downsample=downsample)


class LesionNet(nn.Module):
    """A small residual CNN: stem (stride 2) and three ResNet basic blocks, the last one kept at stride 8.

    Stride 8 rather than a deeper stride 32 (ResNet-18) keeps a 12 x 12 last feature map at 96 px input, which is
    what Grad-CAM++ explains, so the heatmap can separate a lesion's margin from its core; at 77 M multiply-adds per
    crop it costs a quarter of a 2-channel ResNet-18 (326 M), which keeps training practical on a 2-core CPU.
    """

    def __init__(self, in_channels: int = 2, widths: tuple[int, ...] = WIDTHS):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        self.features = nn.Sequential(_block(widths[0], widths[1], 2), _block(widths[1], widths[2], 2),
                                      _block(widths[2], widths[3], 1))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(widths[3], 1))

    @property
    def last_conv_block(self) -> nn.Module:
        return self.features[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(self.stem(x)))  # (N, 1) malignancy logit


def pick_device(device: str | None = None) -> torch.device:
    """The requested device, else CUDA when torch sees a GPU, else the CPU."""
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def lesion_windows(masks_or_boxes: list, shape: tuple[int, int], meta: dict | None = None) -> list[CropWindow]:
    """Crop windows for lesions given as boolean masks or (x0, y0, x1, y1) boxes."""
    meta = meta or {}
    context = float(meta.get("context", CONTEXT))
    min_side_fraction = float(meta.get("min_side_fraction", MIN_SIDE_FRACTION))
    boxes = [mask_box(item) if isinstance(item, np.ndarray) else tuple(item) for item in masks_or_boxes]
    return [crop_window(box, shape, context=context, min_side_fraction=min_side_fraction) for box in boxes]


class MalignancyClassifier:
    def __init__(self, network: LesionNet, meta: dict, device: str | torch.device | None = None):
        self.device = pick_device(str(device) if device is not None else None)
        self.network = network.to(self.device).eval()
        self.meta = meta
        self.crop_size = int(meta.get("crop_size", CROP_SIZE))

    @classmethod
    def load(cls, path: Path, device: str | None = None) -> "MalignancyClassifier":
        path = Path(path)
        if not path.is_file():
            raise ModelLoadError(f"classifier weights not found: {path} (train them with "
                                 f"`cemviewer train classifier --data DIR --out {path}`)")
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
            if payload.get("format") != FORMAT:
                raise ValueError(f"format {payload.get('format')!r}, expected {FORMAT!r}")
            meta = dict(payload["meta"])
            network = LesionNet(in_channels=int(meta["in_channels"]), widths=tuple(meta["widths"]))
            network.load_state_dict(payload["state_dict"])
        except Exception as error:  # torch raises pickle, zip, key and shape errors alike for a damaged file
            raise ModelLoadError(f"{path}: not a usable malignancy classifier weights file "
                                 f"({type(error).__name__}: {error})") from error
        return cls(network, meta, device)

    def crops(self, le: np.ndarray | None, rec: np.ndarray | None, windows: list[CropWindow]) -> torch.Tensor:
        """(N, 2, S, S) network input for already normalised images (see `normalised_pair`)."""
        stack = np.stack([extract_crop([le, rec], window, self.crop_size) for window in windows])
        return torch.from_numpy(stack).to(self.device)

    def probabilities(self, crops: torch.Tensor) -> np.ndarray:
        if len(crops) == 0:
            return np.zeros(0, dtype=np.float32)
        with torch.inference_mode():
            return torch.sigmoid(self.network(crops)[:, 0]).float().cpu().numpy()

    def predict_lesions(self, le: np.ndarray | None, rec: np.ndarray | None, masks_or_boxes: list) -> np.ndarray:
        """Malignancy probability of each lesion (boolean mask or box) of one view; images already normalised."""
        shape = (le if le is not None else rec).shape
        return self.probabilities(self.crops(le, rec, lesion_windows(masks_or_boxes, shape, self.meta)))

    def predict(self, le: np.ndarray, rec: np.ndarray | None, mask: np.ndarray) -> float:
        """Probability of malignancy of the lesion `mask` (bool, image shape) on raw LE / recombined pixels.

        Only the crop window is normalised (with the whole image's scale), not the whole image: the same input as
        predict_lesions on `normalised_pair`, at a fraction of the cost on a full-field view (the viewer calls
        this after every ROI edit)."""
        _check_pair(le, rec)
        shape = np.shape(le if le is not None else rec)
        if np.shape(mask) != shape:
            raise ValueError(f"lesion mask shape {np.shape(mask)} differs from the image shape {shape}")
        [window] = lesion_windows([np.asarray(mask, dtype=bool)], shape, self.meta)
        rows, cols, _, _ = window.inside(shape)
        local = CropWindow(window.y0 - rows.start, window.x0 - cols.start, window.side)
        channels = [None if image is None else _normalised_part(image, rows, cols) for image in (le, rec)]
        crop = extract_crop(channels, local, self.crop_size)
        return float(self.probabilities(torch.from_numpy(crop[None]).to(self.device))[0])


def normalised_pair(le: np.ndarray | None, rec: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """LE and recombined through the shared preprocessing; they must be co-registered (same shape)."""
    _check_pair(le, rec)
    return (normalise(le) if le is not None else None), (normalise(rec) if rec is not None else None)


def _normalised_part(image: np.ndarray, rows: slice, cols: slice) -> np.ndarray:
    """normalise(image)[rows, cols], normalising only that part."""
    part = np.asarray(image)[rows, cols]
    scale = breast_range(image)
    return np.zeros(part.shape, np.float32) if scale is None else normalise(part, scale)


def _check_pair(le: np.ndarray | None, rec: np.ndarray | None) -> None:
    if le is None and rec is None:
        raise ValueError("at least one of the LE and recombined images is needed")
    if le is not None and rec is not None and np.shape(le) != np.shape(rec):
        raise ValueError(f"LE {np.shape(le)} and recombined {np.shape(rec)} images differ in shape")
    for name, image in (("LE", le), ("recombined", rec)):
        if image is not None and np.ndim(image) != 2:
            raise ValueError(f"the {name} image must be 2-D, got shape {np.shape(image)}")


def save_classifier(path: Path, network: LesionNet, meta: dict) -> None:
    """Write atomically, so a crash while saving never leaves a half-written weights file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {key: value.detach().cpu().clone() for key, value in network.state_dict().items()}
    temporary = path.with_suffix(path.suffix + ".partial")
    torch.save({"format": FORMAT, "state_dict": state, "meta": meta}, temporary)
    temporary.replace(path)
