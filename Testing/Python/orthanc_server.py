"""A real Orthanc PACS with its DICOMweb plugin, for the tests and the DICOMweb benchmark.

Each :class:`OrthancServer` runs the Debian ``Orthanc`` binary with a generated JSON configuration: HTTP on a free
localhost port, the DICOM (DIMSE) server disabled, its own storage folder, HTTP basic authentication with one
user, and the DICOMweb plugin at ``/dicom-web``. It can be stopped and started again on the same storage (the
half-way store test does that). Missing Orthanc is an error that says how to install it, never a skip.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import requests

INSTALL_HINT = (
    "Orthanc and its DICOMweb plugin are needed for the DICOM tests: "
    "`make system-packages` installs them (Debian packages orthanc orthanc-dicomweb, as `make test` does)"
)
#: Where Debian's orthanc-dicomweb puts the plugin (``dpkg -L orthanc-dicomweb``).
PLUGIN_PLACES = ("/usr/share/orthanc/plugins/libOrthancDicomWeb.so", "/usr/lib/orthanc/libOrthancDicomWeb.so.1.7")
USER, PASSWORD = "radiology", "not-a-real-secret"


def orthanc_binary() -> str:
    """Path of the Orthanc executable; AssertionError with the install command when it is missing."""
    binary = shutil.which("Orthanc") or shutil.which("Orthanc", path="/usr/sbin:/usr/bin:/sbin:/bin")
    assert binary, INSTALL_HINT
    return binary


def dicomweb_plugin() -> str:
    """Path of the DICOMweb plugin; AssertionError with the install command when it is missing."""
    found = [place for place in PLUGIN_PLACES if Path(place).exists()]
    assert found, INSTALL_HINT
    return found[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OrthancServer:
    """One Orthanc process on ``folder`` (configuration, storage, log)."""

    def __init__(self, folder: Path, port: int | None = None):
        self.folder = Path(folder)
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config_path = self.folder / "orthanc.json"
        storage = self.folder / "storage"
        config = {
            "Name": "CalcificationTests",
            "StorageDirectory": str(storage),
            "IndexDirectory": str(storage),
            "HttpPort": self.port,
            "DicomServerEnabled": False,
            "DicomPort": free_port(),
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": True,
            "RegisteredUsers": {USER: PASSWORD},
            "Plugins": [dicomweb_plugin()],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": False},
            "HttpCompressionEnabled": False,
            "StorageCompression": False,
            "SaveJobs": False,
        }
        self.config_path.write_text(json.dumps(config, indent=2))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def dicomweb_url(self) -> str:
        return f"{self.base_url}/dicom-web"

    @property
    def auth(self) -> tuple[str, str]:
        return USER, PASSWORD

    def start(self, timeout_s: float = 60.0) -> OrthancServer:
        """Start Orthanc and wait until ``/system`` answers."""
        log = open(self.folder / "orthanc.log", "ab")  # noqa: SIM115 - owned by the process until stop()
        self.process = subprocess.Popen([orthanc_binary(), str(self.config_path)], stdout=log, stderr=log)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"Orthanc exited at start ({self.process.returncode}); see {self.folder}/orthanc.log"
                )
            try:
                if requests.get(f"{self.base_url}/system", auth=self.auth, timeout=2).ok:
                    return self
            except requests.exceptions.ConnectionError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"Orthanc did not answer on {self.base_url} within {timeout_s} s")

    def stop(self) -> None:
        """Stop Orthanc (SIGTERM, then SIGKILL after 20 s)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def upload(self, path: Path) -> dict:
        """Store one DICOM file through Orthanc's REST API (test set-up only; the product uses STOW-RS)."""
        answer = requests.post(f"{self.base_url}/instances", data=Path(path).read_bytes(), auth=self.auth, timeout=60)
        answer.raise_for_status()
        return answer.json()

    def instances_of_study(self, study_uid: str) -> list[dict]:
        """Every instance of a study as DICOM JSON (QIDO-RS), with its Modality and SOP Instance UID."""
        answer = requests.get(
            f"{self.dicomweb_url}/studies/{study_uid}/instances",
            auth=self.auth,
            timeout=30,
            params={"includefield": "00080060"},
        )
        if answer.status_code == 204:
            return []
        answer.raise_for_status()
        return answer.json() if answer.content else []
