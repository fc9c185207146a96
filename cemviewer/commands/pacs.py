"""`cemviewer pacs ACTION ...`: the configured PACS from the command line (scripts, a quick check of a node).

    cemviewer pacs nodes                                   the nodes of pacs.json, the default one marked
    cemviewer pacs echo                                    test the connection
    cemviewer pacs search [--name N] [--id ID] [--accession A] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]
    cemviewer pacs retrieve STUDY_UID                      into the study cache; prints the folder
    cemviewer pacs store FILE_OR_FOLDER ...                send DICOM files (e.g. the SEGs of `cemviewer export`)

Every action takes --node NAME (default: the default node of pacs.json) or --url URL (a DICOMweb node not in the
file). Exit status 0 on success, 1 when the PACS fails or refuses (the reason on stderr), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path

from cemviewer.pacs.client import check_connection, retrieve, search, store
from cemviewer.pacs.errors import PacsError
from cemviewer.pacs.nodes import PacsNode, config_path, load_config
from cemviewer.pacs.query import StudyQuery

ACTIONS = ("nodes", "echo", "search", "retrieve", "store")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=ACTIONS)
    parser.add_argument("targets", nargs="*", help="retrieve: the Study Instance UID; store: DICOM files or folders")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--node", help="a node of pacs.json by name (default: its default node)")
    where.add_argument("--url", help="a DICOMweb URL to use instead of a configured node")
    parser.add_argument("--name", default="", help="search: any part of the patient's name")
    parser.add_argument("--id", default="", dest="patient_id", help="search: the patient ID")
    parser.add_argument("--accession", default="", help="search: the accession number")
    parser.add_argument("--from", type=date.fromisoformat, dest="date_from", help="search: study date from")
    parser.add_argument("--to", type=date.fromisoformat, dest="date_to", help="search: study date to")
    parser.add_argument("--json", action="store_true", help="search: print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "nodes":
            return _list_nodes()
        node = _node(args)
        if args.action == "echo":
            print(check_connection(node))
        elif args.action == "search":
            _print_studies(search(node, StudyQuery(args.name, args.patient_id, args.accession, args.date_from,
                                                   args.date_to)), args.json)
        elif args.action == "retrieve":
            if len(args.targets) != 1:
                return _usage("retrieve takes one Study Instance UID")
            print(retrieve(node, args.targets[0]))
        else:
            files = _files(args.targets)
            if not files:
                return _usage("store takes DICOM files or folders holding them")
            print(f"stored {store(node, files)} objects on {node.name}")
    except PacsError as error:
        print(f"cemviewer pacs: {error}", file=sys.stderr)
        return 1
    return 0


def _node(args: argparse.Namespace) -> PacsNode:
    if args.url:
        return PacsNode(args.url, dicomweb_url=args.url)
    node = load_config().node(args.node)
    if node is None:
        wanted = f"no node called {args.node!r}" if args.node else "no PACS node"
        raise PacsError(f"{wanted} in {config_path()}; add one in the viewer (File ▸ Open from PACS… ▸ Settings…) "
                        "or give --url")
    return node


def _list_nodes() -> int:
    config = load_config()
    if not config.nodes:
        print(f"no PACS nodes in {config_path()}")
    for node in config.nodes:
        print(f"{'*' if node.name == config.node().name else ' '} {node.name}: {node.protocol} {node.address}")
    return 0


def _print_studies(studies, as_json: bool) -> None:
    if as_json:
        print(json.dumps([asdict(study) for study in studies], indent=2))
        return
    for study in studies:
        print("\t".join((study.study_date, study.patient_id, study.display_name, study.accession_number,
                         str(study.instance_count if study.instance_count is not None else "?"), study.study_uid)))


def _files(targets: list[str]) -> list[Path]:
    found = []
    for target in map(Path, targets):
        found += sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() else [target]
    return found


def _usage(message: str) -> int:
    print(f"cemviewer pacs: {message}", file=sys.stderr)
    return 2
