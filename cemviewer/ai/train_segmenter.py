"""Training of the LE + recombined lesion segmenter on an index.csv dataset (CDD-CESM layout), seeded and resumable.

Patients (never images) are split train / validation / test. Train fits; validation picks the best epoch and tunes
the post-processing (threshold, minimum score, minimum component size); test is left untouched for the model card.
A checkpoint is written next to the output after every epoch (<out>.ckpt) and `resume` continues from it.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from cemviewer.ai.cdd_index import ViewPair, pair_views, read_index, split_patients
from cemviewer.ai.evaluation import score_image
from cemviewer.ai.instances import lesion_instances, union_mask
from cemviewer.ai.preprocess import mask_to_network, read_image, to_network
from cemviewer.ai.segmenter import ENERGY_CHANNELS, LesionSegmenter, LesionUNet, save_segmenter

SPLIT_FRACTIONS = {"train": 0.65, "val": 0.15, "test": 0.20}
DEFAULT_EPOCHS = 150
DEFAULT_SIZE = 256
BATCH_SIZE = 8
LEARNING_RATE = 2e-3
WEIGHT_DECAY = 1e-4
WARMUP_EPOCHS = 2
ENCODER_STAGES = 4
CHANNEL_DROPOUT = 0.15  # per energy: how often a training pair is shown with that channel zeroed
# Post-processing grid searched on validation patients.
THRESHOLDS = (0.3, 0.4, 0.5, 0.6)
MIN_SCORES = (0.5, 0.6, 0.7, 0.8, 0.9)
MIN_AREA_FRACTIONS = (0.0, 0.0005, 0.001, 0.002)
MAX_FALSE_POSITIVES_PER_IMAGE = 1.0
MIN_SENSITIVITY = 0.9


@dataclass
class PairTensors:
    """View pairs at network size: images (N, 2, S, S), masks (N, 2, S, S), known (N, 2) = that energy has a mask."""

    images: torch.Tensor
    masks: torch.Tensor
    known: torch.Tensor


def load_pairs(pairs: list[ViewPair], size: int) -> PairTensors:
    images = np.zeros((len(pairs), 2, size, size), dtype=np.float32)
    masks = np.zeros_like(images)
    known = np.zeros((len(pairs), 2), dtype=np.float32)
    for index, pair in enumerate(tqdm(pairs, desc="loading", unit="view", file=sys.stderr, leave=False)):
        for row in pair.rows():
            channel = ENERGY_CHANNELS[row.energy]
            images[index, channel], geometry = to_network(read_image(row.image), size)
            if row.mask is not None:
                masks[index, channel] = mask_to_network(read_image(row.mask), geometry, size)
                known[index, channel] = 1.0
    return PairTensors(torch.from_numpy(images), torch.from_numpy(masks), torch.from_numpy(known))


def augment(images: torch.Tensor, masks: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Flips, small rotation/scale/shift, per-channel gamma and contrast, channel dropout (same geometry for masks)."""
    count = images.shape[0]

    def uniform(low, high, *shape):
        return low + (high - low) * torch.rand(*shape, generator=generator)

    angle = uniform(-0.17, 0.17, count)  # about +-10 degrees
    scale = uniform(0.85, 1.15, count)
    flip_x = torch.where(torch.rand(count, generator=generator) < 0.5, -1.0, 1.0)
    flip_y = torch.where(torch.rand(count, generator=generator) < 0.2, -1.0, 1.0)
    theta = torch.zeros(count, 2, 3)
    theta[:, 0, 0] = torch.cos(angle) / scale * flip_x
    theta[:, 0, 1] = -torch.sin(angle) / scale
    theta[:, 1, 0] = torch.sin(angle) / scale * flip_y
    theta[:, 1, 1] = torch.cos(angle) / scale * flip_y
    theta[:, :, 2] = uniform(-0.06, 0.06, count, 2)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    images = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    masks = F.grid_sample(masks, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    gamma = torch.exp(uniform(-0.35, 0.35, count, 2, 1, 1))
    contrast = uniform(0.85, 1.15, count, 2, 1, 1)
    brightness = uniform(-0.05, 0.05, count, 2, 1, 1)
    images = (images.clamp(0, 1) ** gamma * contrast + brightness).clamp(0, 1)

    dropped = torch.rand(count, generator=generator)
    keep = torch.ones(count, 2, 1, 1)
    keep[dropped < CHANNEL_DROPOUT, 0] = 0.0
    keep[(dropped >= CHANNEL_DROPOUT) & (dropped < 2 * CHANNEL_DROPOUT), 1] = 0.0
    return images * keep, masks


def segmentation_loss(logits: torch.Tensor, masks: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """BCE + soft Dice per (image, energy), counted only where that energy's outline is known."""
    weight = known[:, :, None, None]
    bce = F.binary_cross_entropy_with_logits(logits, masks, reduction="none")
    bce = (bce * weight).sum() / (weight.sum() * logits.shape[-1] * logits.shape[-2]).clamp(min=1)
    probability = torch.sigmoid(logits)
    intersection = (probability * masks).sum(dim=(2, 3))
    total = probability.sum(dim=(2, 3)) + masks.sum(dim=(2, 3))
    soft_dice = 1 - (2 * intersection + 1) / (total + 1)
    return bce + (soft_dice * known).sum() / known.sum().clamp(min=1)


def validation_dice(network: LesionUNet, data: PairTensors, device: torch.device) -> float:
    """Mean Dice at network size, threshold 0.5, over known outlines: cheap enough to pick the best epoch."""
    network.eval()
    scores = []
    with torch.inference_mode():
        for start in range(0, len(data.images), BATCH_SIZE):
            batch = slice(start, start + BATCH_SIZE)
            predicted = network(data.images[batch].to(device)).cpu() > 0
            truth = data.masks[batch] > 0.5
            intersection = (predicted & truth).sum(dim=(2, 3)).float()
            total = (predicted.sum(dim=(2, 3)) + truth.sum(dim=(2, 3))).float()
            dice = torch.where(total > 0, 2 * intersection / total.clamp(min=1), torch.ones_like(total))
            scores.extend(dice[data.known[batch] > 0].tolist())
    network.train()
    return float(np.mean(scores)) if scores else 0.0


def tune_postprocessing(segmenter: LesionSegmenter, pairs: list[ViewPair]) -> dict:
    """Grid-search threshold / minimum score / minimum area on validation images at their original geometry."""
    cases = []  # (probability, truth) per image with an outline
    for pair in tqdm(pairs, desc="tuning", unit="view", file=sys.stderr, leave=False):
        images = {row.energy: read_image(row.image) for row in pair.rows()}
        probabilities = segmenter.probabilities(images.get("low_energy"), images.get("recombined"))
        cases += [(probabilities[row.energy], read_image(row.mask) > 0) for row in pair.rows() if row.mask is not None]
    results = []
    for threshold in THRESHOLDS:
        for min_score in (score for score in MIN_SCORES if score >= threshold):
            for min_area_fraction in MIN_AREA_FRACTIONS:
                scores = []
                for probability, truth in cases:
                    lesions = lesion_instances(probability, threshold, min_area_fraction * probability.size, min_score)
                    scores.append(score_image(union_mask(lesions, probability.shape), truth))
                true_total = max(1, sum(score.true_lesions for score in scores))
                results.append({
                    "threshold": threshold, "min_score": min_score, "min_area_fraction": min_area_fraction,
                    "dice": float(np.mean([score.dice for score in scores])),
                    "sensitivity": sum(score.detected for score in scores) / true_total,
                    "false_positives_per_image": float(np.mean([score.false_positives for score in scores])),
                })

    def preference(result):
        meets = (result["false_positives_per_image"] <= MAX_FALSE_POSITIVES_PER_IMAGE
                 and result["sensitivity"] >= MIN_SENSITIVITY)
        return (meets, result["dice"] + result["sensitivity"] - max(0.0, result["false_positives_per_image"] - 1.0))

    return max(results, key=preference)


def _learning_rate(epoch: float, epochs: int) -> float:
    if epoch < WARMUP_EPOCHS:
        return LEARNING_RATE * (epoch + 1) / (WARMUP_EPOCHS + 1)
    progress = (epoch - WARMUP_EPOCHS) / max(1, epochs - WARMUP_EPOCHS)
    return LEARNING_RATE * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def fitting_threads(own_load: float) -> int:
    """Threads for the next epoch: the cores, less what other processes keep busy (1-minute load average).

    On a CPU shared with other jobs, more threads than free cores makes oneDNN's synchronised kernels wait on
    preempted threads: measured here, a training step took 8 s with 2 threads against 1.2 s with 1 thread.
    """
    cores = os.cpu_count() or 1
    others = os.getloadavg()[0] - own_load
    return max(1, min(cores, round(cores - others)))


def checkpoint_path(out: Path) -> Path:
    return Path(str(out) + ".ckpt")


def train_segmenter(data_dir: Path, out: Path, *, seed: int = 0, epochs: int | None = None, size: int = DEFAULT_SIZE,
                    resume: bool = True, command: str = "") -> dict:
    """Train on DIR/index.csv, write the weights (with tuned post-processing) to `out`; returns the summary dict."""
    data_dir, out = Path(data_dir), Path(out)
    epochs = DEFAULT_EPOCHS if epochs is None else epochs
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(seed)
    started = time.perf_counter()

    rows, problems = read_index(data_dir / "index.csv")
    for problem in problems:
        print(f"skipping {problem.message}", file=sys.stderr)
    pairs, duplicates = pair_views([row for row in rows if row.mask is not None])
    for row in duplicates:
        print(f"skipping line {row.line}: a second {row.energy} image for the same view", file=sys.stderr)
    split = split_patients([pair.patient_id for pair in pairs], seed, SPLIT_FRACTIONS)
    parts = {name: [pair for pair in pairs if pair.patient_id in patients] for name, patients in split.items()}
    if not parts["train"]:
        raise ValueError(f"{data_dir}: no training patients; need at least a few patients with outlines")
    if not parts["val"]:
        print("no validation patients (dataset too small): validating on the training patients", file=sys.stderr)
        parts["val"] = parts["train"]
    train, val = load_pairs(parts["train"], size), load_pairs(parts["val"], size)

    network = LesionUNet(stages=ENCODER_STAGES).to(device).to(memory_format=torch.channels_last)
    optimiser = torch.optim.AdamW(network.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    generator = torch.Generator().manual_seed(seed)
    state = {"epoch": 0, "best_dice": -1.0, "best_epoch": 0, "best_state": None, "history": [], "seconds": 0.0}
    ckpt = checkpoint_path(out)
    if resume and ckpt.is_file():
        saved = torch.load(ckpt, map_location="cpu", weights_only=True)
        if saved["size"] != size or saved["seed"] != seed:
            raise ValueError(f"{ckpt} was written with size {saved['size']} / seed {saved['seed']}; "
                             f"resume with the same --size and --seed, or delete it")
        network.load_state_dict(saved["model"])
        optimiser.load_state_dict(saved["optimizer"])
        generator.set_state(saved["generator"])
        state = {key: saved[key] for key in state}
        print(f"resuming from {ckpt} after epoch {state['epoch']}", file=sys.stderr)

    steps_per_epoch = math.ceil(len(train.images) / BATCH_SIZE)
    first_epoch = state["epoch"]
    network.train()
    for epoch in range(state["epoch"], epochs):
        epoch_start = time.perf_counter()
        if device.type == "cpu":
            # This process adds to the load average only once it has been running for a while.
            torch.set_num_threads(fitting_threads(torch.get_num_threads() if epoch > first_epoch else 0))
        order = torch.randperm(len(train.images), generator=generator)
        losses = []
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{epochs} ({torch.get_num_threads()} threads)",
                   unit="batch", file=sys.stderr)
        for step in bar:
            for group in optimiser.param_groups:
                group["lr"] = _learning_rate(epoch + step / steps_per_epoch, epochs)
            batch = order[step * BATCH_SIZE : (step + 1) * BATCH_SIZE]
            if len(batch) < 2:  # BatchNorm needs more than one sample
                continue
            images, masks = augment(train.images[batch], train.masks[batch], generator)
            images = images.to(device).contiguous(memory_format=torch.channels_last)
            # bfloat16 autocast + channels-last: 3x faster steps on a CPU with AMX/AVX-512 BF16, same loss curve.
            with torch.autocast(device.type, dtype=torch.bfloat16):
                logits = network(images)
            loss = segmentation_loss(logits.float(), masks.to(device), train.known[batch].to(device))
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{np.mean(losses):.3f}")
        bar.close()
        dice = validation_dice(network, val, device)
        state["epoch"] = epoch + 1
        state["seconds"] += time.perf_counter() - epoch_start
        state["history"].append({"epoch": epoch + 1, "loss": float(np.mean(losses)) if losses else 0.0, "val_dice": dice})
        if dice > state["best_dice"]:
            state.update(best_dice=dice, best_epoch=epoch + 1,
                         best_state={key: value.detach().cpu().clone() for key, value in network.state_dict().items()})
        print(f"epoch {epoch + 1}: loss {state['history'][-1]['loss']:.4f}  val Dice {dice:.4f}  "
              f"(best {state['best_dice']:.4f} @ {state['best_epoch']})", file=sys.stderr)
        _save_checkpoint(ckpt, network, optimiser, generator, state, size, seed)

    if state["best_state"] is not None:
        network.load_state_dict(state["best_state"])
    network = network.cpu().to(memory_format=torch.contiguous_format).eval()
    meta = {
        "architecture": f"LesionUNet: ResNet-18 encoder stages 1-{ENCODER_STAGES} (random init), U-Net decoder",
        "stages": ENCODER_STAGES,
        "input_size": size,
        "channels": ["low_energy", "recombined"],
        "outputs": ["low_energy lesion logits", "recombined lesion logits"],
        "normalisation": "per image: percentiles 1/99.5 of pixels above the image minimum -> [0, 1]; centred zero "
                         "padding to a square; bilinear (antialiased) resize to input_size",
        "training_command": command,
        "seed": seed,
        "split_fractions": SPLIT_FRACTIONS,
        "split": {name: sorted(patients) for name, patients in split.items()},
        "epochs": state["epoch"],
        "best_epoch": state["best_epoch"],
        "val_dice_network_size": state["best_dice"],
        "training_seconds": round(state["seconds"], 1),
        "history": state["history"],
    }
    segmenter = LesionSegmenter(network, meta)
    tuned = tune_postprocessing(segmenter, parts["val"])
    meta.update(threshold=tuned["threshold"], min_score=tuned["min_score"],
                min_area_fraction=tuned["min_area_fraction"], validation=tuned)
    meta["total_seconds"] = round(time.perf_counter() - started, 1)
    save_segmenter(out, network, meta)
    return meta


def _save_checkpoint(path: Path, network, optimiser, generator, state: dict, size: int, seed: int) -> None:
    temporary = Path(str(path) + ".partial")
    torch.save({"model": network.state_dict(), "optimizer": optimiser.state_dict(), "generator": generator.get_state(),
                "size": size, "seed": seed, **state}, temporary)
    temporary.replace(path)
