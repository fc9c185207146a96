"""A real Orthanc PACS for the tests: a subprocess of the test's own, with its configuration, storage and log in
the test's temporary folder, HTTP (with the DICOMweb plugin) and DICOM on free loopback ports, no authentication.
It needs no system service: the Debian packages orthanc and orthanc-dicomweb (`make test` installs them) provide the
binary and the plugin, and Orthanc runs as any user, root included.

Fixtures: `orthanc` (the running server), `dicomweb_node` and `dimse_node` (PacsNode of the application for it).
Import them (their functions are *_fixture) into a test module or conftest to use them.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from cemviewer.pacs.nodes import DICOMWEB, DIMSE, PacsNode

ORTHANC_BINARY = shutil.which("Orthanc") or "/usr/sbin/Orthanc"
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
ORTHANC_AET = "ORTHANCTEST"
OUR_AET = "CEMVIEWERTEST"
START_TIMEOUT_S = 30


@dataclass
class OrthancServer:
    http_port: int
    dicom_port: int
    folder: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def dicomweb_url(self) -> str:
        return f"{self.url}/dicom-web"

    def rest(self, path: str):
        """Orthanc's own REST API, to look at what the application did without going through it."""
        with urllib.request.urlopen(f"{self.url}{path}", timeout=10) as answer:
            return json.loads(answer.read())

    def log(self) -> str:
        return (self.folder / "orthanc.log").read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _configuration(folder: Path, http_port: int, dicom_port: int) -> dict:
    return {
        "Name": "cemviewer-test",
        "StorageDirectory": str(folder / "storage"),
        "IndexDirectory": str(folder / "storage"),
        "HttpPort": http_port,
        "RemoteAccessAllowed": False,  # HTTP from loopback only
        "AuthenticationEnabled": False,
        "DicomServerEnabled": True,
        "DicomPort": dicom_port,
        "DicomAet": ORTHANC_AET,
        # DIMSE only from our AE on loopback (Orthanc listens on every interface and has no bind option).
        "DicomCheckModalityHost": True,
        "DicomAlwaysAllowEcho": False,
        "DicomAlwaysAllowStore": False,
        "DicomAlwaysAllowFind": False,
        "DicomAlwaysAllowGet": False,
        "DicomAlwaysAllowMove": False,
        "DicomModalities": {"cemviewer": {"AET": OUR_AET, "Host": "127.0.0.1", "Port": free_port()}},
        "Plugins": [str(DICOMWEB_PLUGIN)],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "Host": "127.0.0.1", "Ssl": False},
        "StableAge": 1,
        "SaveJobs": False,
    }


def start_orthanc(folder: Path) -> OrthancServer:
    if not Path(ORTHANC_BINARY).exists() or not DICOMWEB_PLUGIN.exists():
        pytest.fail("Orthanc with its DICOMweb plugin is needed: apt-get install orthanc orthanc-dicomweb "
                    "(make test installs them)")
    folder.mkdir(parents=True, exist_ok=True)
    http_port, dicom_port = free_port(), free_port()
    config = folder / "orthanc.json"
    config.write_text(json.dumps(_configuration(folder, http_port, dicom_port), indent=2))
    with open(folder / "orthanc.log", "wb") as log:
        process = subprocess.Popen([ORTHANC_BINARY, str(config)], stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, cwd=folder)
    server = OrthancServer(http_port, dicom_port, folder, process)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            pytest.fail(f"Orthanc exited with status {process.returncode} at start:\n{server.log()[-3000:]}")
        try:
            if "dicom-web" in server.rest("/plugins"):
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_orthanc(server)
            pytest.fail(f"Orthanc did not answer within {START_TIMEOUT_S} s:\n{server.log()[-3000:]}")
        time.sleep(0.05)


def stop_orthanc(server: OrthancServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(name="orthanc")
def orthanc_fixture(tmp_path) -> OrthancServer:
    server = start_orthanc(tmp_path / "orthanc")
    yield server
    stop_orthanc(server)


@pytest.fixture(name="dicomweb_node")
def dicomweb_node_fixture(orthanc) -> PacsNode:
    return PacsNode("Test Orthanc", protocol=DICOMWEB, dicomweb_url=orthanc.dicomweb_url,
                    connect_timeout_s=5, read_timeout_s=30)


@pytest.fixture(name="dimse_node")
def dimse_node_fixture(orthanc) -> PacsNode:
    return PacsNode("Test Orthanc (DIMSE)", protocol=DIMSE, host="127.0.0.1", port=orthanc.dicom_port,
                    called_ae=ORTHANC_AET, calling_ae=OUR_AET, connect_timeout_s=5, read_timeout_s=30)
