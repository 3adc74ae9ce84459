"""The README's test command sets up a fresh machine by itself: `make test` installs the Debian packages the tests
use as real peers, and CI's `.ci/run` is that command and nothing else (issue 27, item 1).

The packages are found from the files the tests really run (``dpkg -S`` on the Orthanc binary, its DICOMweb plugin,
dciodvfy, Chromium and the report's font), so a test that starts needing another package's file fails here until
the Makefile installs it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from orthanc_server import PLUGIN_PLACES, orthanc_binary

ROOT = Path(__file__).resolve().parents[2]


def _make_variable(name: str) -> list[str]:
    """The words of a Makefile variable, as make itself expands it."""
    printed = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "-pn", "system-packages"], capture_output=True, text=True, check=True
    ).stdout
    line = next(line for line in printed.splitlines() if line.startswith(f"{name} :="))
    return line.split(":=", 1)[1].split()


def _package_of(path: str) -> str:
    """The Debian package that installed ``path`` (``dpkg -S``), following a symbolic link to its file."""
    answer = subprocess.run(["dpkg", "-S", str(Path(path).resolve())], capture_output=True, text=True)
    if answer.returncode != 0:
        answer = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True, check=True)
    return answer.stdout.split(":", 1)[0].strip()


def test_ci_runs_the_readme_test_command_and_nothing_else():
    commands = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert commands[-1] == "make test"
    assert not any(re.search(r"\bapt-get\b|\bpip\b", line) for line in commands), commands
    assert "make test" in (ROOT / "README.md").read_text()


def test_make_test_installs_the_system_packages_first():
    dry_run = subprocess.run(["make", "-C", str(ROOT), "-n", "test"], capture_output=True, text=True, check=True)
    assert "apt-get install" in dry_run.stdout
    assert dry_run.stdout.index("apt-get install") < dry_run.stdout.index("pytest")


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="the package owners are read with Debian's dpkg")
def test_every_program_the_tests_run_comes_from_a_package_make_installs():
    installed_by_make = set(_make_variable("SYSTEM_PACKAGES"))
    programs = {
        "Orthanc": orthanc_binary(),
        "its DICOMweb plugin": next(place for place in PLUGIN_PLACES if Path(place).exists()),
        "dciodvfy": shutil.which("dciodvfy"),
        "Chromium": shutil.which("chromium"),
        "the report's font": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    }
    for what, path in programs.items():
        assert path and Path(path).exists(), f"{what} is missing: run `make system-packages`"
        assert _package_of(path) in installed_by_make, f"{what} ({path}) comes from {_package_of(path)}"
