"""Training of the malignancy classifier on lesion crops of synthetic studies with known truth; seeded, resumable.

Studies (never single lesions: the views of one study share its lesions) are split train / validation / test.
Validation picks the best epoch by benign-vs-malignant AUC; the test studies are left untouched for the AUC of the
model card. Crops come from the per-study cache of `cemviewer.ai.synth_lesions`, cut wider than the network crop
(CACHE_ZOOM), so the augmentation can vary context, position, rotation and flips with one affine resampling per batch.
A checkpoint is written after every epoch (<out>.ckpt); `resume` continues from it.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy.stats import rankdata
from tqdm import tqdm

from cemviewer.ai.classifier import WIDTHS, LesionNet, pick_device, save_classifier
from cemviewer.ai.crops import CONTEXT, CROP_SIZE, MIN_SIDE_FRACTION
from cemviewer.ai.synth_lesions import BENIGN, CACHE_ZOOM, MALIGNANT, NORMAL, LesionCrops, load_crops

SPLIT_FRACTIONS = {"train": 0.7, "val": 0.1, "test": 0.2}
DEFAULT_EPOCHS = 14
BATCH_SIZE = 64
LEARNING_RATE = 3e-3
WEIGHT_DECAY = 1e-4
CHANNEL_DROPOUT = 0.15  # per energy: how often a training crop is shown with that channel zeroed
SCALE_JITTER = 0.15  # relative change of the context around the lesion (segmenter boxes are not the truth boxes)
SHIFT_JITTER = 0.08  # of the crop side
GAIN_JITTER = 0.12
OFFSET_JITTER = 0.04
BOOTSTRAP_RESAMPLES = 2000


def split_studies(studies: list[str], seed: int) -> dict[str, list[str]]:
    """Seeded split of study names into train / val / test."""
    order = sorted(studies)
    np.random.default_rng(seed).shuffle(order)
    n_test = max(1, round(len(order) * SPLIT_FRACTIONS["test"]))
    n_val = max(1, round(len(order) * SPLIT_FRACTIONS["val"]))
    if len(order) < 3:
        raise ValueError(f"at least 3 studies are needed for a train / validation / test split, found {len(order)}")
    return {"test": order[:n_test], "val": order[n_test:n_test + n_val], "train": order[n_test + n_val:]}


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half); NaN when one class is absent."""
    labels = np.asarray(labels, dtype=bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def bootstrap_auc(labels: np.ndarray, scores: np.ndarray, groups: np.ndarray, *, resamples: int = BOOTSTRAP_RESAMPLES,
                  seed: int = 0) -> tuple[float, float, float]:
    """AUC and its 95% percentile bootstrap interval, resampling whole studies (lesions of a study correlate)."""
    members = [np.flatnonzero(groups == group) for group in np.unique(groups)]
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        index = np.concatenate([members[i] for i in rng.integers(0, len(members), len(members))])
        draws.append(auc(labels[index], scores[index]))
    low, high = np.nanpercentile(draws, [2.5, 97.5])
    return auc(labels, scores), float(low), float(high)


def _affine_crops(cache: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor, angle: torch.Tensor,
                  flip: torch.Tensor) -> torch.Tensor:
    """Resample network crops from the wider cached crops: `scale` is the fraction of the cache side to keep."""
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.zeros(len(cache), 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = cos * flip, -sin
    theta[:, 1, 0], theta[:, 1, 1] = sin * flip, cos
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, (len(cache), cache.shape[1], CROP_SIZE, CROP_SIZE), align_corners=False)
    return F.grid_sample(cache, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def network_crops(cache: torch.Tensor) -> torch.Tensor:
    """The inference crop (context CONTEXT) from cached crops, no augmentation."""
    n = len(cache)
    return _affine_crops(cache.float(), torch.full((n,), 1 / CACHE_ZOOM), torch.zeros(n, 2), torch.zeros(n),
                         torch.ones(n))


def augmented_crops(cache: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    n = len(cache)

    def uniform(*shape):
        return torch.rand(*shape, generator=generator) * 2 - 1

    scale = (1 + SCALE_JITTER * uniform(n)) / CACHE_ZOOM
    shift = SHIFT_JITTER * 2 * uniform(n, 2) / CACHE_ZOOM  # affine units: the cache spans [-1, 1]
    angle = torch.rand(n, generator=generator) * 2 * math.pi  # lesions have no preferred orientation
    flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
    crops = _affine_crops(cache.float(), scale, shift, angle, flip)
    gain = 1 + GAIN_JITTER * uniform(n, 2, 1, 1)
    crops = crops * gain + OFFSET_JITTER * uniform(n, 2, 1, 1) * (crops > 0)
    drop = torch.rand(n, generator=generator)
    keep = torch.ones(n, 2, 1, 1)
    keep[drop < CHANNEL_DROPOUT, 0] = 0  # LE missing
    keep[(drop >= CHANNEL_DROPOUT) & (drop < 2 * CHANNEL_DROPOUT), 1] = 0  # recombined missing
    return crops * keep


def _predict(network: LesionNet, cache: np.ndarray, device: torch.device) -> np.ndarray:
    network.eval()
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(cache), 256):
            batch = network_crops(torch.from_numpy(cache[start:start + 256]))
            outputs.append(torch.sigmoid(network(batch.to(device))[:, 0]).cpu().numpy())
    return np.concatenate(outputs) if outputs else np.zeros(0, dtype=np.float32)


def _subset(data: LesionCrops, studies: list[str]) -> LesionCrops:
    return data.select(np.isin(data.study, studies))


def _learning_rate(epoch: int, epochs: int) -> float:
    """Cosine decay over the planned epochs, computed rather than stored so a resumed run needs no scheduler state."""
    return LEARNING_RATE * 0.5 * (1 + math.cos(math.pi * epoch / max(epochs, 1)))


def _checkpoint_path(out: Path) -> Path:
    return out.with_name(out.name + ".ckpt")


def train_classifier(data_dir: Path, out: Path, *, seed: int = 0, epochs: int | None = None,
                     resume: bool = True) -> dict:
    """Train on the synthetic studies under `data_dir` (see synth_lesions); write the weights to `out`.

    Returns the summary also stored in the weights' meta: split sizes, best epoch, validation and test AUC.
    """
    data_dir, out = Path(data_dir), Path(out)
    epochs = DEFAULT_EPOCHS if epochs is None else int(epochs)
    started = time.perf_counter()
    device = pick_device()
    torch.manual_seed(seed)
    data = load_crops(data_dir)
    split = split_studies(sorted(set(data.study.tolist())), seed)
    train, val, test = (_subset(data, split[name]) for name in ("train", "val", "test"))
    if len(np.unique(train.kind[train.kind > 0])) < 2:
        raise ValueError(f"{data_dir}: the training studies need both benign and malignant lesions")

    network = LesionNet(in_channels=2, widths=WIDTHS).to(device)
    optimiser = torch.optim.AdamW(network.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    labels = torch.from_numpy((train.kind == MALIGNANT).astype(np.float32))
    positives = float(labels.sum())
    positive_weight = torch.tensor((len(labels) - positives) / max(positives, 1.0))
    loss_function = torch.nn.BCEWithLogitsLoss(pos_weight=positive_weight.to(device))
    state = {"epoch": 0, "history": [], "best_auc": -1.0, "best_epoch": 0, "best_state": None, "seconds": 0.0}
    checkpoint = _checkpoint_path(out)
    if resume and checkpoint.is_file():
        saved = torch.load(checkpoint, map_location="cpu", weights_only=True)
        if saved["split"] != split:
            raise ValueError(f"{checkpoint} was made with another data split; delete it or pass resume=False")
        network.load_state_dict(saved["network"])
        optimiser.load_state_dict(saved["optimiser"])
        state = saved["state"]
        print(f"resuming after epoch {state['epoch']} from {checkpoint}", file=sys.stderr)

    for epoch in range(state["epoch"] + 1, epochs + 1):
        epoch_start = time.perf_counter()
        for group in optimiser.param_groups:
            group["lr"] = _learning_rate(epoch - 1, epochs)
        generator = torch.Generator().manual_seed(seed * 1000 + epoch)  # the same epoch replays the same way
        order = torch.randperm(len(train.kind), generator=generator)
        network.train()
        losses = []
        bar = tqdm(range(0, len(order), BATCH_SIZE), desc=f"epoch {epoch}/{epochs}", unit="batch", file=sys.stderr)
        for start in bar:
            index = order[start:start + BATCH_SIZE].numpy()
            if len(index) < 2:  # batch norm needs two samples
                continue
            crops = augmented_crops(torch.from_numpy(train.crops[index]), generator).to(device)
            loss = loss_function(network(crops)[:, 0], labels[index].to(device))
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            losses.append(float(loss.detach()))
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
        val_auc = auc(val.kind[val.kind > NORMAL] == MALIGNANT, _predict(network, val.crops[val.kind > NORMAL], device))
        state["history"].append({"epoch": epoch, "loss": float(np.mean(losses)), "val_auc": val_auc,
                                 "seconds": time.perf_counter() - epoch_start})
        print(f"epoch {epoch}: loss {np.mean(losses):.4f}, validation AUC {val_auc:.4f}", file=sys.stderr)
        if not val_auc <= state["best_auc"]:  # NaN (one class in validation) keeps the latest epoch
            state.update(best_auc=val_auc, best_epoch=epoch,
                         best_state={k: v.detach().cpu().clone() for k, v in network.state_dict().items()})
        state["epoch"] = epoch
        state["seconds"] += time.perf_counter() - epoch_start
        out.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"network": network.state_dict(), "optimiser": optimiser.state_dict(), "state": state,
                    "split": split}, checkpoint)

    if state["best_state"] is not None:
        network.load_state_dict(state["best_state"])
    summary = _evaluate(network, device, split, data, test, state, seed)
    summary["seconds_total_this_run"] = time.perf_counter() - started
    meta = {"in_channels": 2, "widths": list(WIDTHS), "crop_size": CROP_SIZE, "context": CONTEXT,
            "min_side_fraction": MIN_SIDE_FRACTION, "seed": seed, "data": str(data_dir), "summary": summary}
    save_classifier(out, network, meta)
    return summary


def _evaluate(network: LesionNet, device: torch.device, split: dict, data: LesionCrops, test: LesionCrops,
              state: dict, seed: int) -> dict:
    scores = _predict(network, test.crops, device)
    is_lesion = test.kind > NORMAL
    lesion_auc = bootstrap_auc(test.kind[is_lesion] == MALIGNANT, scores[is_lesion], test.study[is_lesion], seed=seed)
    all_auc = bootstrap_auc(test.kind == MALIGNANT, scores, test.study, seed=seed)
    return {
        "epochs": state["epoch"],
        "best_epoch": state["best_epoch"],
        "validation_auc": state["best_auc"],
        "training_seconds": state["seconds"],
        "history": state["history"],
        "studies": {name: len(studies) for name, studies in split.items()},
        "crops": _counts(data),
        "test_crops": _counts(test),
        "test_auc_benign_vs_malignant": {"auc": lesion_auc[0], "ci95": [lesion_auc[1], lesion_auc[2]]},
        "test_auc_including_normal_tissue": {"auc": all_auc[0], "ci95": [all_auc[1], all_auc[2]]},
    }


def _counts(crops: LesionCrops) -> dict[str, int]:
    return {name: int((crops.kind == kind).sum()) for name, kind in (("normal", NORMAL), ("benign", BENIGN),
                                                                      ("malignant", MALIGNANT))}


def real_malignant_check(classifier_path: Path, index_csv: Path) -> dict:
    """Probabilities the classifier gives the outlined lesions of a real CDD-CESM-layout dataset.

    That data holds malignant lesions only, so this measures sensitivity at 0.5 on real images, not AUC: a check of
    how far training on synthetic lesions carries to real ones. Lesions: connected components of the recombined
    outline (the LE outline when the view has no recombined mask).
    """
    from scipy import ndimage

    from cemviewer.ai.cdd_index import pair_views, read_index
    from cemviewer.ai.classifier import MalignancyClassifier, normalised_pair
    from cemviewer.ai.instances import CONNECTIVITY
    from cemviewer.ai.preprocess import read_image

    classifier = MalignancyClassifier.load(classifier_path)
    rows, _ = read_index(index_csv)
    pairs, _ = pair_views(rows)
    scores = []
    for pair in tqdm(pairs, desc="real views", unit="view", file=sys.stderr):
        outlined = next((row for row in (pair.recombined, pair.low_energy) if row is not None and row.mask), None)
        if outlined is None:
            continue
        le, rec = normalised_pair(*(read_image(row.image) if row is not None else None
                                    for row in (pair.low_energy, pair.recombined)))
        labels, count = ndimage.label(read_image(outlined.mask) > 0, structure=CONNECTIVITY)
        if count:
            scores.extend(classifier.predict_lesions(le, rec, [labels == i for i in range(1, count + 1)]).tolist())
    scores = np.asarray(scores)
    if not scores.size:
        return {"lesions": 0, "median_probability": float("nan"), "sensitivity_at_0.5": float("nan")}
    return {"lesions": int(scores.size), "median_probability": float(np.median(scores)),
            "sensitivity_at_0.5": float((scores >= 0.5).mean())}
