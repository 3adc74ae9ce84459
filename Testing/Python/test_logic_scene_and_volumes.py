"""Volume nodes on a real slicer-core scene: exact round trips of values and geometry, refusals of bad volumes."""

from __future__ import annotations

import numpy as np
import pytest

from calcification.core.errors import InputError
from calcification.core.image import Laterality, View
from calcification.logic.mrml.mrml_imports import slicer, vtk
from calcification.logic.mrml.scene_factory import segmentations_logic_for
from calcification.logic.mrml.volume_nodes import (
    ORIGIN_KEY,
    array_from_volume_node,
    mammogram_from_volume_node,
    update_volume_node_from_array,
    volume_node_from_mammogram,
)


def test_volume_round_trip_keeps_values_spacing_and_metadata(scene, small_mammogram):
    node = volume_node_from_mammogram(scene, small_mammogram, name="right MLO")
    assert node.IsA("vtkMRMLScalarVolumeNode") and node.GetScene() is scene
    assert node.GetSpacing() == pytest.approx((0.05, 0.1, 1.0))  # (column, row, slice) mm
    assert node.GetImageData().GetDimensions() == (40, 60, 1)
    back = mammogram_from_volume_node(node)
    np.testing.assert_array_equal(back.pixels, small_mammogram.pixels)
    assert back.spacing_mm == pytest.approx((0.1, 0.05))
    assert (back.laterality, back.view) == (Laterality.RIGHT, View.MLO)


def test_geometry_set_by_slicer_is_kept_when_values_change(scene, small_mammogram):
    node = volume_node_from_mammogram(scene, small_mammogram)
    node.SetOrigin(12.5, -3.0, 7.0)
    node.SetIJKToRASDirections(0, 1, 0, -1, 0, 0, 0, 0, 1)
    update_volume_node_from_array(node, small_mammogram.pixels[None] * 2)
    assert node.GetOrigin() == pytest.approx((12.5, -3.0, 7.0))
    directions = [[0.0] * 3 for _ in range(3)]
    node.GetIJKToRASDirections(directions)
    assert directions == [[0, 1, 0], [-1, 0, 0], [0, 0, 1]]
    np.testing.assert_array_equal(array_from_volume_node(node)[0], small_mammogram.pixels * 2)


def test_a_volume_with_three_slices_is_refused(scene, small_mammogram):
    node = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "tomosynthesis")
    update_volume_node_from_array(node, np.stack([small_mammogram.pixels] * 3))
    with pytest.raises(InputError, match="3 slices"):
        mammogram_from_volume_node(node)


def test_a_node_without_image_data_is_refused(scene):
    node = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "empty")
    with pytest.raises(InputError, match="no image data"):
        mammogram_from_volume_node(node)
    with pytest.raises(InputError, match="No mammogram"):
        mammogram_from_volume_node(None)


def test_a_blank_volume_is_refused(scene):
    node = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "blank")
    update_volume_node_from_array(node, np.zeros((1, 20, 20), np.uint16))
    with pytest.raises(InputError, match="same value"):
        mammogram_from_volume_node(node)


def _ijk_to_ras(node) -> np.ndarray:
    matrix = vtk.vtkMatrix4x4()
    node.GetIJKToRASMatrix(matrix)
    return np.array([[matrix.GetElement(i, j) for j in range(4)] for i in range(4)])


def test_headless_scene_has_the_process_segmentations_logic(scene):
    """One logic per process (test_segmentations_logic_reuse.py); each scene gets the node class binding added."""
    logic = segmentations_logic_for(scene)
    assert logic.IsA("vtkSlicerSegmentationsModuleLogic") and logic.GetMRMLScene() is not None
    assert segmentations_logic_for(scene) is logic and scene.IsNodeClassRegistered("vtkMRMLSegmentEditorNode")
    bare = slicer.vtkMRMLScene()  # e.g. a scene made elsewhere: the same logic, its node classes registered
    assert segmentations_logic_for(bare) is logic and bare.IsNodeClassRegistered("vtkMRMLSegmentEditorNode")


def test_node_to_mammogram_to_node_keeps_geometry_and_values_exactly(scene, mammogram_volume_node):
    mammogram = mammogram_from_volume_node(mammogram_volume_node)
    assert mammogram.shape == (30, 50) and mammogram.spacing_mm == (0.1, 0.07)
    assert (mammogram.laterality, mammogram.view) == (Laterality.RIGHT, View.CC)
    assert mammogram.metadata[ORIGIN_KEY] == (12.5, -40.25, 3.0)
    again = volume_node_from_mammogram(scene, mammogram, name="again")
    np.testing.assert_array_equal(_ijk_to_ras(again), _ijk_to_ras(mammogram_volume_node))
    assert again.GetSpacing() == mammogram_volume_node.GetSpacing()
    np.testing.assert_array_equal(array_from_volume_node(again), array_from_volume_node(mammogram_volume_node))
    assert array_from_volume_node(again)[0, 11, 21] == 9000 and array_from_volume_node(again)[0, 2, 3] == 203


def test_a_mammogram_from_a_file_gets_the_lps_identity_geometry(scene, small_mammogram):
    node = volume_node_from_mammogram(scene, small_mammogram)
    expected = np.diag([-0.05, -0.1, 1.0, 1.0])  # ITK's identity LPS directions seen in RAS, times spacing
    np.testing.assert_array_equal(_ijk_to_ras(node), expected)


def test_bool_and_vector_arrays_are_stored_and_colour_is_refused(scene, small_mammogram):
    mask_node = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "mask")
    update_volume_node_from_array(mask_node, small_mammogram.pixels[None] > 2000)
    stored = array_from_volume_node(mask_node)
    assert stored.dtype == np.uint8 and (stored[0] == (small_mammogram.pixels > 2000)).all()
    grey = np.repeat(small_mammogram.pixels[None, ..., None], 3, axis=-1)
    rgb_node = scene.AddNewNodeByClass("vtkMRMLVectorVolumeNode", "grey as RGB")
    update_volume_node_from_array(rgb_node, grey)
    np.testing.assert_array_equal(mammogram_from_volume_node(rgb_node).pixels, small_mammogram.pixels)
    grey[0, 5, 5, 1] += 1
    update_volume_node_from_array(rgb_node, grey)
    with pytest.raises(InputError, match="colour"):
        mammogram_from_volume_node(rgb_node)


def test_the_refusal_of_a_stack_says_to_select_a_slice(scene, small_mammogram):
    node = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "stack")
    update_volume_node_from_array(node, np.stack([small_mammogram.pixels] * 3))
    with pytest.raises(InputError, match="(?i)select a slice"):
        mammogram_from_volume_node(node)
    with pytest.raises(InputError, match="slices, rows, cols"):
        update_volume_node_from_array(node, small_mammogram.pixels)


def test_an_application_logic_handed_over_is_used_instead_of_a_second_one():
    """Inside Slicer the module hands over slicer.modules.segmentations.logic(): no second logic is created."""
    from calcification.logic.mrml.scene_factory import use_application_logic
    from calcification.logic.mrml.segmentation_nodes import create_calcification_segmentation

    application_scene = slicer.vtkMRMLScene()
    application_logic = slicer.vtkSlicerSegmentationsModuleLogic()
    application_logic.SetMRMLScene(application_scene)
    use_application_logic(application_scene, "Segmentations", application_logic)
    assert segmentations_logic_for(application_scene) is application_logic
    volume = application_scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode")
    update_volume_node_from_array(volume, np.zeros((1, 4, 4), np.uint16))
    create_calcification_segmentation(application_scene, volume)
    assert segmentations_logic_for(application_scene) is application_logic
