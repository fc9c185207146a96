"""Lesion AI timings on this machine: model load, and one full-size LE + recombined view pair through
LesionAI.analyze (segmentation + malignancy classification + Grad-CAM++), stage by stage.

The view pair is a synthetic study written as DICOM at the full detector size (2294 x 1914, 0.1 mm) and read back
through the study loader, as the viewer reads it. Prints a Markdown table (medians over --repeats runs after one
warm-up run; model load: median of --repeats loads).

    .venv/bin/python benchmarks/bench_ai.py [--models DIR] [--repeats 5] [--device cpu] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

from cemviewer.ai.pipeline import LesionAI, default_models_dir
from cemviewer.study.loader import scan_path
from cemviewer.study.pixels import load_image
from cemviewer.synth.study import write_study
from cemviewer.synth.truth import StudyTruth

STUDY_SEED = 7


def _view_pair(folder: Path):
    """Pixels of the first view holding a lesion, loaded like the viewer loads them."""
    truth = StudyTruth.load(folder)
    lesion_views = {(image.laterality, image.view) for lesion in truth.lesions for image in truth.images
                    if image.file in {finding.file for finding in lesion.images}}
    study = scan_path(folder).studies[0]
    view = next(v for v in study.views if (v.laterality, v.view) in lesion_views)
    return view.name, load_image(view.low_energy).pixels, load_image(view.recombined).pixels


def _median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=Path, default=None, help=f"models folder (default {default_models_dir()})")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: CUDA when available)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: torch's own, one per core); on a busy machine 1 is faster, "
                             "because idle OpenMP threads spin while waiting for a descheduled sibling")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    load_times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        ai = LesionAI.load(args.models, device=args.device)
        load_times.append(time.perf_counter() - start)

    with tempfile.TemporaryDirectory() as folder:
        write_study(Path(folder), seed=STUDY_SEED)
        name, le, rec = _view_pair(Path(folder))

    ai.analyze(le, rec)  # warm-up: the first call sets up the CPU kernels
    stages: dict[str, list[float]] = {}
    totals, cpu_totals, lesion_counts = [], [], set()
    for _ in range(args.repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        findings = ai.analyze(le, rec)
        totals.append(time.perf_counter() - start)
        cpu_totals.append(time.process_time() - cpu_start)
        lesion_counts.add(len(findings.lesions))
        for stage, seconds in findings.seconds.items():
            stages.setdefault(stage, []).append(seconds)

    print(f"Lesion AI, device {ai.device}, {torch.get_num_threads()} torch threads, view {name} "
          f"{le.shape[1]} x {le.shape[0]} px, lesions found {sorted(lesion_counts)}, median of {args.repeats} runs\n")
    print("| step | median ms |")
    print("| --- | ---: |")
    print(f"| model load (segmenter + classifier) | {_median_ms(load_times)} |")
    for stage, values in stages.items():
        print(f"| {stage} | {_median_ms(values)} |")
    print(f"| **view pair total (analyze)** | **{_median_ms(totals)}** |")
    # CPU time of all threads: less sensitive than wall time to other jobs on a shared machine.
    print(f"| view pair total, CPU time of all threads | {_median_ms(cpu_totals)} |")
    print(f"\nload average during the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
