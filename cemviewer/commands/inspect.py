"""`cemviewer inspect PATH [--json]`: list the CEM studies, views and left-out files found under PATH."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cemviewer.study.loader import scan_path
from cemviewer.study.report import scan_report, scan_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="a folder (searched recursively) or a single DICOM file")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    if not args.path.exists():
        print(f"cemviewer inspect: no such file or directory: {args.path}", file=sys.stderr)
        return 2
    result = scan_path(args.path)
    if args.json:
        print(json.dumps(scan_report(result), indent=2))
    else:
        sys.stdout.write(scan_table(result))
    return 0
