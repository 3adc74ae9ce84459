"""The sample registers in Slicer's Sample Data module at every start, before and after its files exist.

Runs the module file's own ``registerSampleData`` (read from CalcificationAnalysis.py) against Slicer's own code: a
verbatim excerpt of Slicer v5.10.0 Modules/Scripted/SampleData/SampleData.py (``SampleDataSource`` and
``SampleDataLogic.registerCustomSampleDataSource``, in slicer_reference/), whose constructor takes ``len(uris)``,
``len(fileNames)`` ... (lines 176-214) and so raised ``TypeError`` for a source given only a custom downloader.
The ``slicer`` the excerpt sees is a namespace holding ``modules``, the registry these methods fill (in Slicer,
``slicer.modules``); everything else is Slicer's code and the library's.
"""

from __future__ import annotations

import ast
import hashlib
import os
import sys
import types
from pathlib import Path

import pytest

from calcification.logic.workflows.sample_data import SAMPLE_NAME, existing_sample_files, write_sample_files

REPO = Path(__file__).resolve().parents[2]
EXCERPT = Path(__file__).parent / "slicer_reference" / "SampleData_v5_10_0_excerpt.py"
#: SHA-256 of the two excerpts (SampleData.py v5.10.0 lines 132-243, trailing blank lines dropped, and 509-591) as
#: read at the tag.
EXCERPT_SHA256 = (
    "9403df15ddd24284ba3bde4f4ce5614966161fa62ff865d1dd2df15139abdfcb",
    "bda0ebdb8dd04f434ff89de8a0b09963211880a7ea6c5c300c527a8b8ba59810",
)


def _slicer_sample_data(registry: types.SimpleNamespace) -> types.ModuleType:
    """A ``SampleData`` module made of Slicer's excerpt, its ``slicer.modules`` being ``registry``."""
    module = types.ModuleType("SampleData")
    module.slicer = types.SimpleNamespace(modules=registry)
    exec(compile(EXCERPT.read_text(encoding="utf-8"), str(EXCERPT), "exec"), module.__dict__)
    return module


def _register_sample_data_function(sample_data: types.ModuleType):
    """``registerSampleData`` of CalcificationAnalysis.py, compiled from its source with the names it uses."""
    path = REPO / "CalcificationAnalysis" / "CalcificationAnalysis.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "registerSampleData")
    namespace = {"os": os, "_": lambda text: text, "__file__": str(path), "CalcificationAnalysisLogic": object}
    exec(compile(ast.Module(body=[function], type_ignores=[]), str(path), "exec"), namespace)
    return namespace["registerSampleData"]


@pytest.fixture
def register(monkeypatch, tmp_path):
    """(registerSampleData, the registry it fills, the sample folder) with Slicer's SampleData importable."""
    registry = types.SimpleNamespace()
    sample_data = _slicer_sample_data(registry)
    monkeypatch.setitem(sys.modules, "SampleData", sample_data)
    monkeypatch.setenv("CALCIFICATION_SAMPLE_DIR", str(tmp_path / "sample"))
    return _register_sample_data_function(sample_data), registry, tmp_path / "sample"


def test_the_excerpt_is_slicers_code_unchanged():
    lines = EXCERPT.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("class SampleDataSource"))
    split = next(i for i, line in enumerate(lines) if line.startswith("class SampleDataLogic"))
    first = "".join(lines[start:split]).rstrip("\n") + "\n"
    second = "".join(lines[split + 1 :])
    assert (hashlib.sha256(first.encode()).hexdigest(), hashlib.sha256(second.encode()).hexdigest()) == EXCERPT_SHA256


def test_first_start_registers_a_downloader_entry_that_slicer_accepts(register):
    register_sample_data, registry, folder = register
    assert existing_sample_files(folder) is None
    register_sample_data()  # Slicer 5.10's constructor raised TypeError here before the fix
    (source,) = registry.sampleDataSources["Calcification"]
    assert source.sampleName == SAMPLE_NAME and source.customDownloader is not None
    assert source.fileNames == [f"{SAMPLE_NAME}.nrrd", f"{SAMPLE_NAME}.seg.nrrd"]
    assert source.uris == [(folder / name).resolve().as_uri() for name in source.fileNames]
    assert source.checksums == [None, None] and "sampleName" in str(source)  # __str__ zips every list


def test_later_starts_register_the_written_files_with_their_checksums(register):
    register_sample_data, registry, folder = register
    written = write_sample_files(folder)
    register_sample_data()
    (source,) = registry.sampleDataSources["Calcification"]
    assert source.customDownloader is None
    assert source.uris == [written.image_path.resolve().as_uri(), written.segmentation_path.resolve().as_uri()]
    assert source.checksums == written.checksums()
    assert source.loadFileTypes == ["VolumeFile", "SegmentationFile"]
    assert source.nodeNames == [SAMPLE_NAME, f"{SAMPLE_NAME} truth"]
