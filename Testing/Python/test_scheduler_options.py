"""Issue 28: ``--scheduler`` and ``--scheduler-file`` that cannot work are one line and exit code 2, at once: no hang
on a scheduler file that does not exist, no traceback from a half-made Dask client, no wait on a server that is not a
Dask scheduler. A real scheduler still passes."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from calcification.core.errors import InputError
from calcification.logic.workflows.archive_run.scheduler_address import scheduler_address

COMMAND = [sys.executable, "-c", "import sys; from calcification.cli.main import main; sys.exit(main())"]


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never says a word (another service on the port)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = []
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nobody listens once it is closed


@pytest.mark.parametrize(
    "address, words",
    [
        ("not a url", "no port"),
        ("http://127.0.0.1:1/", "not a Dask scheduler address"),
        ("tcp://127.0.0.1:99999", "port"),
        ("CLOSED", "Nothing answers"),
        ("", "not a Dask scheduler address"),
    ],
)
def test_bad_scheduler_addresses_are_one_line(address, words):
    address = f"tcp://127.0.0.1:{_closed_port()}" if address == "CLOSED" else address
    with pytest.raises(InputError, match=words) as caught:
        scheduler_address(address, None)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "content, words",
    [
        (None, "does not exist"),
        ("FOLDER", "is not a file"),
        ("{garbage", "not a Dask scheduler file"),
        ('["tcp://127.0.0.1:1"]', "not a Dask scheduler file"),
        ('{"address": 5}', "not a Dask scheduler file"),
        (b"\xff\xfe\x00", "not a Dask scheduler file"),
    ],
)
def test_bad_scheduler_files_are_one_line(tmp_path, content, words):
    path = tmp_path / "scheduler.json"
    if content == "FOLDER":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(InputError, match=words):
        scheduler_address(None, str(path))


def test_a_server_that_is_not_a_dask_scheduler_is_refused(silent_server):
    with pytest.raises(InputError, match="does not answer as a Dask scheduler"):
        scheduler_address(silent_server, None)


def test_a_real_scheduler_passes_by_address_and_by_file(tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert scheduler_address(address, None) == address
        (tmp_path / "s.json").write_text(f'{{"address": "{address}"}}')
        assert scheduler_address(None, str(tmp_path / "s.json")) == address


@pytest.mark.parametrize("option", ["--scheduler=not a url", "--scheduler-file=MISSING", "--scheduler=SILENT"])
def test_analyze_with_a_bad_scheduler_exits_2_with_one_line_and_no_traceback(tmp_path, option, silent_server):
    from PIL import Image

    image = tmp_path / "a.png"
    Image.new("L", (128, 160), 90).save(image)
    option = option.replace("MISSING", str(tmp_path / "nonexistent.json")).replace("SILENT", silent_server)
    run = subprocess.run(
        [*COMMAND, "analyze", str(image), "--out", str(tmp_path / "out"), option, "--method", "hdog"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 2, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr, run.stderr
    assert not Path(tmp_path / "out").exists()
