"""The lesion segmenter: a U-Net on a ResNet-18 encoder taking LE + recombined as two channels.

Output: two logit maps, one lesion mask per energy (LE and recombined outlines differ: radiologists drew them on each
image, mean Dice 0.79 between the two). A single-energy view runs with zeros in the missing channel, as trained with
channel dropout. Weights file: {"state_dict": ..., "meta": {...}}, loadable with torch.load(weights_only=True).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import resnet18

from cemviewer.ai.instances import Lesion, lesion_instances, union_mask
from cemviewer.ai.model_files import ModelLoadError
from cemviewer.ai.preprocess import Geometry, read_image, to_network, to_original

ENERGY_CHANNELS = {"low_energy": 0, "recombined": 1}
DEFAULT_THRESHOLD = 0.5
DEFAULT_MIN_AREA_FRACTION = 0.0


def _conv_bn_relu(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class _UpBlock(nn.Module):
    def __init__(self, in_channels: int, skip_channels: int, out_channels: int):
        super().__init__()
        self.convs = nn.Sequential(_conv_bn_relu(in_channels + skip_channels, out_channels),
                                   _conv_bn_relu(out_channels, out_channels))

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.convs(torch.cat([x, skip], dim=1))


class LesionUNet(nn.Module):
    """ResNet-18 stages 1..`stages` as encoder (randomly initialised: no pretrained downloads), light U-Net decoder.

    The decoder stops at stride 2 and the logits are upsampled bilinearly: lesions are >= ~80 px at 256 px input, so a
    full-resolution decoder stage would cost time without changing the outlines.
    """

    def __init__(self, in_channels: int = 2, out_channels: int = 2, stages: int = 3):
        super().__init__()
        backbone = resnet18(weights=None)
        backbone.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.stem = nn.Sequential(backbone.conv1, backbone.bn1, backbone.relu)  # stride 2, 64
        self.pool = backbone.maxpool
        layers = [backbone.layer1, backbone.layer2, backbone.layer3, backbone.layer4][:stages]
        self.layers = nn.ModuleList(layers)
        widths = [64, 128, 256, 512][:stages]
        # skips: stem (s2, 64), layer1 (s4, 64), layer2 (s8, 128), layer3 (s16, 256)
        skip_widths = [64, *widths[:-1]]
        decoder_widths = [32, 48, 96, 192][:stages]
        blocks, channels = [], widths[-1]
        for skip, width in zip(reversed(skip_widths), reversed(decoder_widths)):
            blocks.append(_UpBlock(channels, skip, width))
            channels = width
        self.decoder = nn.ModuleList(blocks)
        self.head = nn.Conv2d(channels, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        skips = [self.stem(x)]
        x = self.pool(skips[0])
        for layer in self.layers:
            x = layer(x)
            skips.append(x)
        x = skips.pop()
        for block in self.decoder:
            x = block(x, skips.pop())
        return F.interpolate(self.head(x), size=size, mode="bilinear", align_corners=False)


@dataclass
class EnergyResult:
    """Segmentation of one image: probability and binary mask on the original grid, and the lesions."""

    probability: np.ndarray
    mask: np.ndarray
    lesions: list[Lesion] = field(default_factory=list)


class LesionSegmenter:
    """Loaded segmenter + its post-processing (threshold, minimum component size) as tuned on validation patients."""

    def __init__(self, network: LesionUNet, meta: dict):
        self.network = network.eval()
        self.meta = meta
        self.size = int(meta["input_size"])
        self.threshold = float(meta.get("threshold", DEFAULT_THRESHOLD))
        # Stored as a fraction of the image area so it holds for 512 px JPEGs and full-size DICOMs alike.
        self.min_area_fraction = float(meta.get("min_area_fraction", DEFAULT_MIN_AREA_FRACTION))
        self.min_score = float(meta.get("min_score", self.threshold))

    @classmethod
    def load(cls, path: Path) -> "LesionSegmenter":
        path = Path(path)
        if not path.is_file():
            raise ModelLoadError(f"segmenter weights not found: {path}")
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
            meta = dict(payload["meta"])
            network = LesionUNet(stages=int(meta["stages"]))
            network.load_state_dict(payload["state_dict"])
        except Exception as error:  # torch raises pickle, zip and key errors alike for a damaged file
            raise ModelLoadError(f"{path}: not a usable segmenter weights file ({type(error).__name__}: {error})") from error
        return cls(network, meta)

    def probabilities(self, low_energy: np.ndarray | None, recombined: np.ndarray | None) -> dict[str, np.ndarray]:
        """Per-energy lesion probability on each given image's own grid (missing energy: zeros fed, no output)."""
        images = {"low_energy": low_energy, "recombined": recombined}
        given = {energy: pixels for energy, pixels in images.items() if pixels is not None}
        if not given:
            raise ValueError("at least one of low_energy / recombined is needed")
        channels = np.zeros((2, self.size, self.size), dtype=np.float32)
        geometries: dict[str, Geometry] = {}
        for energy, pixels in given.items():
            channels[ENERGY_CHANNELS[energy]], geometries[energy] = to_network(pixels, self.size)
        with torch.inference_mode():
            probability = torch.sigmoid(self.network(torch.from_numpy(channels)[None]))[0]
        return {energy: to_original(probability[ENERGY_CHANNELS[energy]], geometry)
                for energy, geometry in geometries.items()}

    def segment(self, low_energy: np.ndarray | None, recombined: np.ndarray | None) -> dict[str, EnergyResult]:
        results = {}
        for energy, probability in self.probabilities(low_energy, recombined).items():
            min_area = self.min_area_fraction * probability.size
            lesions = lesion_instances(probability, self.threshold, min_area, self.min_score)
            results[energy] = EnergyResult(probability, union_mask(lesions, probability.shape), lesions)
        return results

    def segment_files(self, low_energy: Path | None, recombined: Path | None) -> dict[str, EnergyResult]:
        return self.segment(*(read_image(path) if path is not None else None for path in (low_energy, recombined)))


def save_segmenter(path: Path, network: LesionUNet, meta: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Half precision on disk keeps the file under 50 MB; loading casts back to float32 (outputs differ < 1e-3).
    state = {key: value.detach().cpu().half() if value.is_floating_point() else value.detach().cpu().clone()
             for key, value in network.state_dict().items()}
    temporary = path.with_suffix(path.suffix + ".partial")
    torch.save({"state_dict": state, "meta": meta}, temporary)
    temporary.replace(path)


def timed_load(path: Path) -> tuple[LesionSegmenter, float]:
    start = time.perf_counter()
    segmenter = LesionSegmenter.load(path)
    return segmenter, time.perf_counter() - start
