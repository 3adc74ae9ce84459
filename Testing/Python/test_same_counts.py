"""One count of calcifications in every output (issue 27, item 3): ``segment`` printed the method's own labels (277
Hessian-DoG blobs, 32 vascular, on the DDSM demo image) while ``analyze`` and the saved ``.seg.nrrd`` hold 261 and 26,
because blobs that touch are one object once the segment is a mask. Every count is now the saved segmentation's."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest
import SimpleITK as sitk

from calcification.cli.main import main
from calcification.core.analysis import analyze_mask
from calcification.core.io import read_mammogram
from calcification.core.segmentation import CalcificationSegmentation, MethodSpec, register_method
from calcification.core.segmentation.registry import unregister_method
from calcification.core.segmentation.result import count_calcifications
from calcification.logic.mrml.scene_factory import create_headless_scene
from calcification.logic.mrml.segmentation_nodes import CALCIFICATION_SEGMENT_ID, segment_mask
from calcification.logic.mrml.volume_nodes import volume_node_from_mammogram
from calcification.logic.workflows.agreement_nodes import load_segmentation_file

#: Top-left corners of the toy objects: 2 x 2 pixel squares, far apart, each split into two touching labels; in the
#: middle of the image, more than 6 mm from its border, so the boundary rule (core/segmentation/boundary_rule.py)
#: has nothing to drop and the test counts only what it is about.
CORNERS = [(220 + 30 * (i // 5), 180 + 30 * (i % 5)) for i in range(10)]


def touching_halves(mammogram, choice, progress=None):
    """A toy method for the test: ten 2 x 2 squares, each labelled as two objects (its left and right column), as a
    blob detector labels neighbouring blobs that touch."""
    labels = np.zeros(mammogram.pixels.shape, np.int32)
    for index, (row, col) in enumerate(CORNERS):
        labels[row : row + 2, col] = 2 * index + 1
        labels[row : row + 2, col + 1] = 2 * index + 2
    return CalcificationSegmentation(labels, np.ones(labels.shape, bool), mammogram.spacing_mm, choice.method)


@pytest.fixture
def touching_method():
    register_method(MethodSpec("touching", "Touching halves (test)", f"{__name__}:touching_halves"))
    yield "touching"
    unregister_method("touching")


@pytest.fixture
def image_file(tmp_path):
    rng = np.random.default_rng(5)
    pixels = rng.normal(1000, 20, (512, 512)).astype(np.uint16)
    image = sitk.GetImageFromArray(pixels[None])
    image.SetSpacing((0.07, 0.07, 1.0))
    sitk.WriteImage(image, str(tmp_path / "case.nrrd"))
    return tmp_path / "case.nrrd"


def _saved_count(folder) -> int:
    scene = create_headless_scene()
    segmentation = load_segmentation_file(scene, folder / "case.seg.nrrd")
    volume = volume_node_from_mammogram(scene, read_mammogram(folder.parent / "case.nrrd"))
    return count_calcifications(segment_mask(segmentation, CALCIFICATION_SEGMENT_ID, volume))


def test_segment_and_analyze_print_the_count_the_saved_segmentation_holds(
    touching_method, image_file, tmp_path, capsys
):
    assert main(["segment", str(image_file), "--out", str(tmp_path / "seg"), "--method", touching_method]) == 0
    segmented = capsys.readouterr().out
    assert main(["analyze", str(image_file), "--out", str(tmp_path / "ana"), "--method", touching_method]) == 0
    analyzed = capsys.readouterr().out
    printed = [int(re.search(r"(\d+) calcifications", text).group(1)) for text in (segmented, analyzed)]
    with open(tmp_path / "ana" / "summary.csv", newline="") as handle:
        tabled = int(next(csv.DictReader(handle))["calcifications"])
    assert printed == [len(CORNERS), len(CORNERS)] and tabled == len(CORNERS)
    assert _saved_count(tmp_path / "seg") == _saved_count(tmp_path / "ana") == len(CORNERS)


def test_vascular_count_is_the_saved_segments_count_too():
    labels = np.zeros((64, 64), np.int32)
    vascular = np.zeros((64, 64), np.int32)
    labels[5, 5:7] = (1, 2)  # two labels that touch: one calcification once saved
    vascular[30, 10:14] = (1, 2, 3, 4)  # a vessel's wall traced as four touching pieces: one object once saved
    vascular[40, 40] = 5
    result = CalcificationSegmentation(labels, np.ones(labels.shape, bool), (0.1, 0.1), "toy", vascular_labels=vascular)
    analysis = analyze_mask(np.ones(labels.shape), labels > 0, (0.1, 0.1), vascular_mask=vascular > 0)
    assert (result.count, result.vascular_count) == (analysis.calcification_count, analysis.vascular_count) == (1, 2)
    assert "1 calcification (0.02 mm²), 2 vascular" in result.summary()


def test_segment_help_and_readme_say_what_segment_writes(touching_method, image_file, tmp_path, capsys):
    """``segment`` measures nothing (the README said it "segments and analyzes"); its help and the README name every
    file it writes, the network's probability map included."""
    from pathlib import Path

    with pytest.raises(SystemExit) as stopped:
        main(["segment", "--help"])
    assert stopped.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("`segment` outlines") :].split("\n\n")[0]
    suffixes = (".seg.nrrd", ".mrb", ".overlay.png", ".probability.nrrd")
    assert all(suffix in help_text and suffix in paragraph for suffix in suffixes)
    assert "measures nothing" in help_text and "measures nothing" in paragraph
    assert main(["segment", str(image_file), "--out", str(tmp_path / "seg"), "--method", touching_method]) == 0
    assert all(any(path.name.endswith(s) for s in suffixes) for path in (tmp_path / "seg").iterdir())
    assert "analyze" not in readme[readme.index("calcification segment IMAGE") :].splitlines()[1]
