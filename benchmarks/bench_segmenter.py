"""Segmenter CPU timings: weight loading, and one LE + recombined view pair end to end (preprocess, network,
mapping back, instances) at the training-data size (512 px) and at a full-field DICOM size.

    .venv/bin/python benchmarks/bench_segmenter.py [--weights models/segmenter.pt] [--repeats 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from cemviewer.ai.segmenter import timed_load

SIZES = {"CDD-CESM 512 px JPEG": (512, 512), "full-field DICOM 2294 x 1914": (2294, 1914)}


def _synthetic_view(shape, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    breast = (yy - shape[0] / 2) ** 2 + (xx * 1.2) ** 2 < (0.45 * shape[0]) ** 2
    return (breast * rng.uniform(800, 2400, shape)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weights", type=Path, default=Path(__file__).resolve().parents[1] / "models" / "segmenter.pt")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    segmenter, load_seconds = timed_load(args.weights)
    print(f"threads {torch.get_num_threads()}, weights {args.weights.stat().st_size / 2**20:.1f} MiB, "
          f"load {load_seconds * 1000:.0f} ms, input {segmenter.size} px")
    for name, shape in SIZES.items():
        low, recombined = _synthetic_view(shape, 0), _synthetic_view(shape, 1)
        segmenter.segment(low, recombined)  # warm-up: first call allocates oneDNN primitives
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            segmenter.segment(low, recombined)
            times.append(time.perf_counter() - start)
        print(f"{name}: view pair median {statistics.median(times) * 1000:.0f} ms, "
              f"max {max(times) * 1000:.0f} ms over {args.repeats}")


if __name__ == "__main__":
    main()
