"""PACS transfers of an eight-image CEM study through the application's own client (cemviewer.pacs.client),
against a real Orthanc on loopback (the test fixture's server: tests/pacs/orthanc.py), over DICOMweb and DIMSE.

For each study size (the tests' 480 x 400 and the synthetic full size, 2294 x 1914; 16-bit, uncompressed): store the eight files,
then search by patient ID and retrieve the study into a fresh cache folder. Medians over --repeats, wall clock.
Loopback shows the client's and the server's own cost; a hospital network adds its transfer time on top. DIMSE
pays about 45 ms per request-response on top of DICOMweb (pynetdicom's and Orthanc's message exchange, not Nagle:
TCP_NODELAY on our side changes nothing), hence its ~100 ms search.

    .venv/bin/python benchmarks/bench_pacs.py [--repeats 3] [--sizes small full]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cemviewer.pacs.client import retrieve, search, store
from cemviewer.pacs.nodes import DIMSE, PacsNode
from cemviewer.pacs.query import StudyQuery
from cemviewer.synth.study import FULL_SHAPE, write_study
from tests.pacs.orthanc import ORTHANC_AET, OUR_AET, start_orthanc, stop_orthanc

SIZES = {"small": ((480, 400), 0.5), "full": (FULL_SHAPE, 0.1)}


def _median_ms(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=["small", "full"])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-pacs-"))
    print("| study | protocol | store 8 files | search by patient ID | retrieve into the cache |")
    print("|---|---|---|---|---|")
    for size in args.sizes:
        shape, spacing = SIZES[size]
        folder = work / size
        write_study(folder, seed=7, shape=shape, pixel_spacing_mm=spacing)
        files = sorted(path for path in (folder / "DICOM").rglob("*") if path.is_file())
        megabytes = sum(path.stat().st_size for path in files) / 2**20
        server = start_orthanc(work / f"orthanc-{size}")
        try:
            nodes = (PacsNode("DICOMweb", dicomweb_url=server.dicomweb_url),
                     PacsNode("DIMSE", protocol=DIMSE, host="127.0.0.1", port=server.dicom_port,
                              called_ae=ORTHANC_AET, calling_ae=OUR_AET))
            for node in nodes:
                stored = _median_ms(partial(store, node, files), args.repeats)
                query = StudyQuery(patient_id="SYN000007")
                searched = _median_ms(partial(search, node, query), args.repeats)
                [study] = search(node, query)
                retrieved = _median_ms(partial(retrieve, node, study.study_uid, cache_root=work / "cache"),
                                       args.repeats)
                print(f"| {shape[0]} x {shape[1]}, {megabytes:.0f} MB | {node.name} | {stored:.0f} ms | "
                      f"{searched:.0f} ms | {retrieved:.0f} ms |")
        finally:
            stop_orthanc(server)


if __name__ == "__main__":
    main()
