"""Issue 28: ``analyze --dicomweb`` against addresses and servers that answer nonsense. A DICOMweb address without a
host, or a real HTTP server (started here) that answers QIDO-RS with JSON that is not a list of DICOM JSON objects,
gives one line and exit code 2, never a traceback."""

from __future__ import annotations

import json

import pytest

from answering_server import start_answering_server
from command_runs import run_command as _run


def _assert_one_line_error(code, err, *words):
    assert code == 2, err
    progress = ("usage:", " ", "Analysing")  # the progress line printed without a terminal
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(progress)]
    assert "Traceback" not in err
    # A batch prints one line per failure and a closing count line.
    assert 1 <= len(lines) <= 2 and all(line.startswith("calcification analyze") for line in lines), err
    for word in words:
        assert word in err, err


#: QIDO-RS answers that are valid JSON but no list of DICOM JSON objects.
ANSWERS = {
    "numbers": [1, 2, 3],
    "strings": ["1.2.3"],
    "nulls": [None],
    "object": {"0020000D": {"vr": "UI", "Value": ["1.2.3"]}},
    "nested-garbage": [{"0020000D": "not an element"}, {"00080060": {"Value": "MG"}}],
    "text": "hello",
}


@pytest.fixture(scope="module")
def nonsense_server():
    """A real HTTP server answering every GET with the JSON chosen by the first path segment after /dicom-web/."""
    server = start_answering_server(lambda path: json.dumps(ANSWERS.get(path.split("/")[1], [])).encode())
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("kind", list(ANSWERS))
def test_a_server_answering_json_that_is_no_dicom_json_is_one_line(tmp_path, capsys, nonsense_server, kind):
    url = f"{nonsense_server}/{kind}"
    code, err = _run(["analyze", "--dicomweb", url, "--study", "1.2.3", "--out", tmp_path / "out"], capsys)
    _assert_one_line_error(code, err, "1.2.3")


@pytest.mark.parametrize("url", ["http://", "https://", "http://:8042/dicom-web", "http://host:port/", "http://h:0/"])
def test_a_dicomweb_address_without_a_host_or_port_is_one_line(tmp_path, capsys, url):
    code, err = _run(["analyze", "--dicomweb", url, "--study", "1.2.3", "--out", tmp_path / "out"], capsys)
    _assert_one_line_error(code, err, "needs a host")
    assert not (tmp_path / "out").exists()
