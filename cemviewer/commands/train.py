"""`cemviewer train segmenter|classifier --data DIR --out FILE [--epochs N] [--seed S] [--size PX] [--resume]`."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", choices=("segmenter", "classifier", "radiomics"), help="which model to train")
    parser.add_argument("--data", type=Path, required=True,
                        help="segmenter: folder holding index.csv (CDD-CESM layout); classifier and radiomics: folder "
                        "of synthetic studies (make one with `python -m cemviewer.ai.synth_lesions DIR --studies 300`)")
    parser.add_argument("--out", type=Path, required=True, help="weights file to write (checkpoint: FILE.ckpt)")
    parser.add_argument("--epochs", type=int, default=None, help="number of epochs (default: the model's own)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the patient split, initialisation, augmentation")
    parser.add_argument("--size", type=int, default=None, help="segmenter input size in pixels (default 256)")
    parser.add_argument("--resume", action="store_true", help="continue from FILE.ckpt when it exists")


def run(args: argparse.Namespace) -> int:
    if args.model == "segmenter":
        if not (args.data / "index.csv").is_file():
            print(f"error: {args.data / 'index.csv'} not found", file=sys.stderr)
            return 2
        from cemviewer.ai.train_segmenter import DEFAULT_SIZE, train_segmenter

        size = args.size or DEFAULT_SIZE
        command = shlex.join(["cemviewer", "train", "segmenter", "--data", str(args.data), "--out", str(args.out),
                              *(["--epochs", str(args.epochs)] if args.epochs is not None else []),
                              "--seed", str(args.seed), "--size", str(size)])
        try:
            summary = train_segmenter(args.data, args.out, seed=args.seed, epochs=args.epochs, size=size,
                                      resume=args.resume, command=command)
        except ValueError as error:  # unusable dataset or a checkpoint from other settings
            print(f"error: {error}", file=sys.stderr)
            return 2
        validation = summary["validation"]
        print(f"wrote {args.out}: {summary['epochs']} epochs (best {summary['best_epoch']}), validation Dice "
              f"{validation['dice']:.3f}, sensitivity {validation['sensitivity']:.3f}, "
              f"FP/image {validation['false_positives_per_image']:.2f}")
        return 0
    if args.size is not None:
        print("error: --size applies to the segmenter only", file=sys.stderr)
        return 2
    if args.model == "radiomics":
        from cemviewer.ai.model_files import ModelLoadError
        from cemviewer.fusion.train import train_radiomics

        try:
            meta = train_radiomics(args.data, args.out, seed=args.seed)
        except (FileNotFoundError, ValueError, ModelLoadError) as error:  # no studies, one class, no DL classifier
            print(f"error: {error}", file=sys.stderr)
            return 2
        cv = meta["cv"]
        print(f"wrote {args.out}: {len(meta['features'])} features, patient-grouped CV AUC {cv['radiomics_auc']:.3f} "
              f"(fused with the DL classifier {cv['fused_auc']:.3f}), thresholds {meta['threshold']:.3f} / fused "
              f"{meta['fused_threshold']:.3f}")
        return 0
    from cemviewer.ai.train_classifier import train_classifier

    try:
        summary = train_classifier(args.data, args.out, seed=args.seed, epochs=args.epochs, resume=args.resume)
    except (FileNotFoundError, ValueError) as error:  # no synthetic studies, one class only, foreign checkpoint
        print(f"error: {error}", file=sys.stderr)
        return 2
    test = summary["test_auc_benign_vs_malignant"]
    print(f"wrote {args.out}: {summary['epochs']} epochs (best {summary['best_epoch']}), held-out benign vs "
          f"malignant AUC {test['auc']:.3f} (95% CI {test['ci95'][0]:.3f}-{test['ci95'][1]:.3f})")
    return 0
