"""Volume nodes on a real slicer-core scene: exact round trips of values and geometry, refusals of bad volumes."""

from __future__ import annotations

import numpy as np
import pytest

from calcification.core.errors import InputError
from calcification.core.image import Laterality, View
from calcification.logic.volume_nodes import (
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
