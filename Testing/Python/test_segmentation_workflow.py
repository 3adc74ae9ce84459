"""From a volume node or a file to a Calcification segment and result files, on real MRML nodes."""

from __future__ import annotations

import os

import numpy as np
import pytest
import SimpleITK as sitk
from PIL import Image

from calcification.cli.main import main
from calcification.core.errors import CancelledError, InputError
from calcification.core.segmentation import segment_mammogram
from calcification.core.synthetic import SynthesisConfig, generate_case
from calcification.logic.mrml.scene_storage import load_scene_bundle
from calcification.logic.mrml.segmentation_nodes import CALCIFICATION_SEGMENT_ID, segment_mask
from calcification.logic.mrml.volume_nodes import update_volume_node_from_array, volume_node_from_mammogram
from calcification.logic.workflows.segmentation_workflow import segment_volume_node


@pytest.fixture(scope="module")
def synthetic_case():
    return generate_case(SynthesisConfig(shape=(512, 512), crop=True), seed=3, index=0)


def test_volume_node_to_segment_matches_the_core_result(scene, synthetic_case):
    volume = volume_node_from_mammogram(scene, synthetic_case.mammogram, name="case")
    run = segment_volume_node(scene, volume, segmenter="hdog")
    expected = segment_mammogram(synthetic_case.mammogram, "hdog")
    np.testing.assert_array_equal(segment_mask(run.segmentation_node, CALCIFICATION_SEGMENT_ID, volume), expected.mask)
    assert run.calcification_count == expected.count > 0
    hit = np.unique(synthetic_case.instances[expected.mask])
    assert len(hit[hit > 0]) >= 0.5 * len(np.unique(synthetic_case.instances)[1:])
    assert f"{expected.count} calcification" in run.summary


def test_existing_segmentation_node_is_reused(scene, synthetic_case):
    volume = volume_node_from_mammogram(scene, synthetic_case.mammogram)
    first = segment_volume_node(scene, volume).segmentation_node
    again = segment_volume_node(scene, volume, segmentation_node=first).segmentation_node
    assert again is first and scene.GetNumberOfNodesByClass("vtkMRMLSegmentationNode") == 1
    assert first.GetSegmentation().GetNumberOfSegments() == 1


def test_cancel_and_bad_input_leave_the_scene_unchanged(scene, synthetic_case):
    volume = volume_node_from_mammogram(scene, synthetic_case.mammogram)
    before = scene.GetNumberOfNodes()
    with pytest.raises(CancelledError):
        segment_volume_node(scene, volume, progress=lambda fraction, message: fraction < 0.3)
    with pytest.raises(InputError, match="Unknown segmentation method"):
        segment_volume_node(scene, volume, segmenter="magic")
    stack = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "tomo")
    update_volume_node_from_array(stack, np.stack([synthetic_case.mammogram.pixels] * 2))
    with pytest.raises(InputError, match="2 slices"):
        segment_volume_node(scene, stack)
    assert scene.GetNumberOfNodes() == before + 1  # only the volume this test added


def test_segment_command_writes_three_files_that_reopen(tmp_path, synthetic_case, capsys):
    image = sitk.GetImageFromArray(synthetic_case.mammogram.pixels.astype(np.uint16)[None])
    image.SetSpacing((0.07, 0.07, 1.0))
    sitk.WriteImage(image, str(tmp_path / "case.nrrd"))
    assert main(["segment", str(tmp_path / "case.nrrd"), "--out", str(tmp_path / "out"), "--method", "hdog"]) == 0
    assert sorted(os.listdir(tmp_path / "out")) == ["case.mrb", "case.overlay.png", "case.seg.nrrd"]
    expected = segment_mammogram(synthetic_case.mammogram, "hdog")
    assert f"{expected.count} calcification" in capsys.readouterr().out
    scene = load_scene_bundle(tmp_path / "out" / "case.mrb")
    volume = scene.GetFirstNodeByClass("vtkMRMLScalarVolumeNode")
    segmentation = scene.GetFirstNodeByClass("vtkMRMLSegmentationNode")
    np.testing.assert_array_equal(segment_mask(segmentation, CALCIFICATION_SEGMENT_ID, volume), expected.mask)
    assert Image.open(tmp_path / "out" / "case.overlay.png").size == (512, 512)


@pytest.mark.filterwarnings("ignore:.*pixel spacing")
@pytest.mark.parametrize("bad", ["missing", "blank", "text", "volume"])
def test_segment_command_bad_input_exits_non_zero_and_writes_nothing(tmp_path, bad, capsys):
    path = tmp_path / {"missing": "none.dcm", "blank": "blank.png", "text": "notes.dcm", "volume": "v.nrrd"}[bad]
    if bad == "blank":
        Image.fromarray(np.zeros((64, 64), np.uint8)).save(path)
    elif bad == "text":
        path.write_text("not an image")
    elif bad == "volume":
        sitk.WriteImage(sitk.GetImageFromArray(np.ones((3, 32, 32), np.uint16)), str(path))
    assert main(["segment", str(path), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert not (tmp_path / "out").exists()
