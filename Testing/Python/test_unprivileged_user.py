"""Issue 28: inputs this user may not read give one line and exit code 2, from every command that reads them.

CI runs as root, which reads everything, so the test makes a second user with ``useradd`` and runs the commands
without root's power over file permissions: as that user when it can start this Python, else (the interpreter lies
in root's private home, as on the development machines) as root with the two capabilities that bypass file
permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) dropped by ``setpriv`` and the inputs owned by the new user with
no access for others. A run that is already unprivileged runs as it is."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

USER = "calcification-test"
COMMAND = [sys.executable, "-c", "import sys; from calcification.cli.main import main; sys.exit(main())"]
NO_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]


def _ensure_user() -> int:
    """The uid of :data:`USER`, created with ``useradd`` when missing (a system user with no home and no login)."""
    found = subprocess.run(["id", "-u", USER], capture_output=True, text=True)
    if found.returncode != 0:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
            check=True,
            capture_output=True,
        )
        found = subprocess.run(["id", "-u", USER], capture_output=True, text=True, check=True)
    return int(found.stdout)


@pytest.fixture(scope="module")
def unprivileged():
    """(command prefix, owner uid for the unreadable inputs, a folder both may use). As the test user the inputs
    stay root's; without the capabilities they become the test user's; unprivileged already, they stay ours."""
    folder = Path(tempfile.mkdtemp(prefix="calcification-unprivileged-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        if os.geteuid() != 0:
            yield [], os.geteuid(), folder
            return
        uid = _ensure_user()
        as_user = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
        starts = subprocess.run([*as_user, sys.executable, "-c", "import calcification"], capture_output=True)
        yield (as_user, 0, folder) if starts.returncode == 0 else (NO_DAC, uid, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _picture(path: Path) -> Path:
    rng = np.random.default_rng(0)
    Image.fromarray((60 + rng.random((160, 128)) * 40).astype(np.uint8)).save(path)
    return path


@pytest.fixture(scope="module")
def inputs(unprivileged, ddsm_cases):
    """Unreadable inputs (owned by the test user, no access for anyone else): a DICOM, a folder with a picture, a
    segmentation, a model folder, a data folder; and a readable picture."""
    _, uid, folder = unprivileged
    made = {
        "dicom": folder / "locked.dcm",
        "folder": folder / "locked_folder",
        "seg": folder / "locked.seg.nrrd",
        "model": folder / "locked_model",
        "data": folder / "locked_data",
    }
    shutil.copyfile(ddsm_cases[0]["lcc"], made["dicom"])
    made["folder"].mkdir()
    _picture(made["folder"] / "a.png")
    made["seg"].write_bytes(
        b"NRRD0004\ntype: uint8\ndimension: 2\nsizes: 2 2\nencoding: raw\nSegment0_ID: x\n\n\0\0\0\0"
    )
    made["model"].mkdir()
    (made["model"] / "model_card.json").write_text("{}")
    made["data"].mkdir()
    for path in made.values():
        for inner in [path, *(path.rglob("*") if path.is_dir() else [])]:
            if os.geteuid() == 0:
                os.chown(inner, uid, -1)
            inner.chmod(0o700 if inner.is_dir() else 0o600)
        if os.geteuid() != 0:
            path.chmod(0)  # this user owns it: take its own access away
    made["readable"] = _picture(folder / "readable.png")
    made["readable"].chmod(0o644)
    out = folder / "out"
    out.mkdir()
    out.chmod(0o777)
    return made


CASES = {
    "info": ["info", "{dicom}"],
    "info-in-folder": ["info", "{folder}/a.png"],
    "segment": ["segment", "{dicom}", "--out", "{out}/s", "--method", "hdog"],
    "analyze": ["analyze", "{dicom}", "--out", "{out}/a", "--method", "hdog", "--classifier", "none"],
    "analyze-folder": ["analyze", "{folder}", "--out", "{out}/b", "--method", "hdog", "--classifier", "none"],
    "trace": ["trace", "{dicom}", "--point", "10,10", "--out", "{out}/t"],
    "candidates": ["candidates", "{dicom}", "--out", "{out}/c"],
    "candidate-table": ["candidate-table", "{dicom}", "--out", "{out}/t.npz", "--blends", "0"],
    "candidate-table-folder": ["candidate-table", "{folder}", "--out", "{out}/t2.npz", "--blends", "0"],
    "check-dataset": ["check-dataset", "{data}"],
    "synth-background": ["synth", "--out", "{out}/syn", "--cases", "1", "--background", "{dicom}"],
    "segment-model": ["segment", "{readable}", "--out", "{out}/m", "--model", "{model}", "--spacing", "0.07"],
    "agreement": ["agreement", "{seg}", "{seg}"],
}


@pytest.mark.parametrize("case", list(CASES))
def test_unreadable_inputs_are_one_line_and_exit_2(unprivileged, inputs, case):
    prefix, _, folder = unprivileged
    values = {key: str(path) for key, path in inputs.items()} | {"out": str(folder / "out")}
    argv = [part.format(**values) for part in CASES[case]]
    run = subprocess.run([*prefix, *COMMAND, *argv], capture_output=True, text=True, timeout=300, cwd=folder)
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert run.returncode == 2, run.stderr
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    assert "permission denied" in lines[0] and "No mammogram file found" not in lines[0], lines[0]
    assert "is not a segmentation" not in lines[0]
    assert not any((folder / "out").iterdir())
