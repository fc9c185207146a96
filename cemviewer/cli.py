"""Command line entry point: `cemviewer [PATH]` opens the viewer, `cemviewer COMMAND ...` runs a headless command."""

from __future__ import annotations

import argparse
import importlib
import sys

# Each headless command lives in cemviewer/commands/<module>.py with `add_arguments(parser)` and `run(args) -> int`.
# They are imported only when invoked so `cemviewer inspect` does not pay for torch or Qt.
COMMANDS = {
    "inspect": ("inspect", "list the CEM studies and views found under a path"),
    "synth": ("synth", "write a synthetic CEM study as DICOM"),
    "train": ("train", "train a model (segmenter | classifier)"),
    "predict-masks": ("predict_masks", "write lesion masks and lesion JSON for every image of an index CSV"),
    "analyze": ("analyze", "assess every lesion of a study (radiomics, DL and fused malignancy) into a JSON report"),
    "export": ("export", "write a study's lesions (from its SEG or PNG masks) as DICOM SEG, PNG masks, CSV and JSON"),
    "pacs": ("pacs", "search, retrieve, store and test the configured PACS (DICOMweb or DIMSE)"),
}


def _run_command(name: str, argv: list[str]) -> int:
    module_name, help_text = COMMANDS[name]
    module = importlib.import_module(f"cemviewer.commands.{module_name}")
    parser = argparse.ArgumentParser(prog=f"cemviewer {name}", description=help_text)
    module.add_arguments(parser)
    return module.run(parser.parse_args(argv))


def _usage() -> str:
    lines = ["usage: cemviewer [PATH]            open the viewer (the welcome screen when no PATH)",
             "       cemviewer --demo            open the viewer on the built-in demo study",
             "       cemviewer --smoke-test      open the demo study offscreen, analyse it and exit (0: all went well)",
             "       cemviewer COMMAND [ARGS]    run a headless command:"]
    lines += [f"         {name:<14} {help_text}" for name, (_, help_text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        return _run_command(argv[0], argv[1:])
    if argv and argv[0] in ("-h", "--help"):
        print(_usage())
        return 0
    from cemviewer.commands import view

    if argv and argv[0] == view.SMOKE_TEST:
        return view.run_smoke_test()
    if argv and argv[0] == view.DEMO:
        return view.run_viewer(None, demo=True)
    return view.run_viewer(argv[0] if argv else None)
