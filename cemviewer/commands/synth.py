"""`cemviewer synth OUT_DIR`: write a synthetic CEM study (8 DICOM images, lesion masks, truth.json)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from cemviewer.synth.study import FULL_SHAPE


def _size(text: str) -> tuple[int, int]:
    try:
        rows, cols = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like ROWSxCOLS (e.g. 2294x1914), got {text!r}") from None
    return rows, cols


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_dir", type=Path, help="folder to write the study into (created if missing)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same study")
    parser.add_argument("--size", type=_size, default=FULL_SHAPE, metavar="ROWSxCOLS",
                        help=f"image size in pixels (default {FULL_SHAPE[0]}x{FULL_SHAPE[1]})")
    parser.add_argument("--spacing", type=float, default=0.1, metavar="MM", help="pixel spacing in mm (default 0.1)")


def run(args: argparse.Namespace) -> int:
    from cemviewer.synth.study import write_study

    out_dir: Path = args.out_dir
    problem = _unwritable(out_dir)
    if problem:
        print(f"cemviewer synth: cannot write to {out_dir}: {problem}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        truth = write_study(out_dir, seed=args.seed, shape=args.size, pixel_spacing_mm=args.spacing)
    except ValueError as error:
        print(f"cemviewer synth: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"cemviewer synth: cannot write to {out_dir}: {error.strerror or error}", file=sys.stderr)
        return 2
    kinds = ", ".join(f"{lesion.laterality} {lesion.pathology} {lesion.shape} {lesion.margin} {lesion.size_mm:.0f} mm"
                      for lesion in truth.lesions)
    rows, cols = truth.shape
    print(f"wrote {len(truth.images)} images ({rows}x{cols} @ {truth.pixel_spacing_mm:g} mm, seed {truth.seed}, "
          f"density {truth.breast_density}, BPE {truth.bpe}; lesions: {kinds}) to {out_dir} "
          f"in {time.perf_counter() - started:.1f} s")
    return 0


def _unwritable(out_dir: Path) -> str | None:
    """Why `out_dir` cannot receive a study, or None. Creates it when missing."""
    if out_dir.exists() and not out_dir.is_dir():
        return "it exists and is not a folder"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return error.strerror or str(error)
    if not os.access(out_dir, os.W_OK | os.X_OK):
        return "permission denied"
    return None
