"""Segmentation nodes on a real slicer-core scene: the Calcification segment and exact mask round trips."""

from __future__ import annotations

import numpy as np
import pytest

from calcification.core.errors import InputError
from calcification.logic.mrml.mrml_imports import slicer, vtk
from calcification.logic.mrml.segmentation_nodes import (
    CALCIFICATION_COLOR,
    CALCIFICATION_SEGMENT_ID,
    CALCIFICATION_TERMINOLOGY,
    create_calcification_segmentation,
    labels_to_segments,
    segment_mask,
    set_segment_mask,
)
from calcification.logic.mrml.volume_nodes import volume_node_from_mammogram


@pytest.fixture
def volume_and_segmentation(scene, small_mammogram):
    volume = volume_node_from_mammogram(scene, small_mammogram)
    return volume, create_calcification_segmentation(scene, volume)


def test_calcification_segment_has_terminology_and_reference_geometry(volume_and_segmentation):
    volume, segmentation_node = volume_and_segmentation
    segment = segmentation_node.GetSegmentation().GetSegment(CALCIFICATION_SEGMENT_ID)
    assert segment.GetName() == "Calcification"
    assert segment.GetTerminology() == CALCIFICATION_TERMINOLOGY
    assert segmentation_node.GetNodeReference(segmentation_node.GetReferenceImageGeometryReferenceRole()) is volume
    assert segmentation_node.GetDisplayNode() is not None


def test_mask_round_trip_is_exact(volume_and_segmentation, small_mammogram):
    volume, segmentation_node = volume_and_segmentation
    mask = small_mammogram.pixels > 3000
    mask[0, 0] = mask[-1, -1] = True  # corners: no off-by-one at the extent
    set_segment_mask(segmentation_node, CALCIFICATION_SEGMENT_ID, mask, volume)
    np.testing.assert_array_equal(segment_mask(segmentation_node, CALCIFICATION_SEGMENT_ID, volume), mask)


def test_empty_mask_round_trip(volume_and_segmentation, small_mammogram):
    volume, segmentation_node = volume_and_segmentation
    set_segment_mask(segmentation_node, CALCIFICATION_SEGMENT_ID, small_mammogram.pixels > 100, volume)
    set_segment_mask(segmentation_node, CALCIFICATION_SEGMENT_ID, np.zeros((60, 40), bool), volume)
    assert not segment_mask(segmentation_node, CALCIFICATION_SEGMENT_ID, volume).any()


def test_wrong_shaped_mask_and_missing_segment_are_refused(volume_and_segmentation):
    volume, segmentation_node = volume_and_segmentation
    with pytest.raises(InputError, match="shape"):
        set_segment_mask(segmentation_node, CALCIFICATION_SEGMENT_ID, np.ones((40, 60), bool), volume)
    with pytest.raises(InputError, match="no segment"):
        segment_mask(segmentation_node, "Mass", volume)
    assert not segment_mask(segmentation_node, CALCIFICATION_SEGMENT_ID, volume).any()


def test_terminology_entry_is_read_by_slicers_terminology_logic(volume_and_segmentation):
    _, segmentation_node = volume_and_segmentation
    segment = segmentation_node.GetSegmentation().GetSegment(CALCIFICATION_SEGMENT_ID)
    entry = slicer.vtkSlicerTerminologyEntry()
    assert slicer.vtkSlicerTerminologiesModuleLogic.DeserializeTerminologyEntry(segment.GetTerminology(), entry)
    category, kind = entry.GetCategoryObject(), entry.GetTypeObject()
    assert (category.GetCodingSchemeDesignator(), category.GetCodeValue()) == ("SCT", "49755003")
    assert category.GetCodeMeaning() == "Morphologically Altered Structure"
    assert (kind.GetCodingSchemeDesignator(), kind.GetCodeValue(), kind.GetCodeMeaning()) == (
        "SCT",
        "18115005",
        "Calcification",
    )
    assert slicer.vtkSlicerTerminologiesModuleLogic.SerializeTerminologyEntry(entry) == CALCIFICATION_TERMINOLOGY
    assert segment.GetColor() == pytest.approx(CALCIFICATION_COLOR)


def test_mask_round_trip_on_a_rotated_grid_is_exact_and_stored_on_the_volume_grid(scene, mammogram_volume_node):
    segmentation_node = create_calcification_segmentation(scene, mammogram_volume_node)
    mask = np.zeros((30, 50), bool)
    mask[10:13, 20:23] = True
    mask[0, 49] = mask[29, 0] = True
    set_segment_mask(segmentation_node, CALCIFICATION_SEGMENT_ID, mask, mammogram_volume_node)
    back = segment_mask(segmentation_node, CALCIFICATION_SEGMENT_ID, mammogram_volume_node)
    np.testing.assert_array_equal(back, mask)
    stored = slicer.vtkOrientedImageData()
    segmentation_node.GetBinaryLabelmapRepresentation(CALCIFICATION_SEGMENT_ID, stored)
    stored_to_world, volume_to_world = vtk.vtkMatrix4x4(), vtk.vtkMatrix4x4()
    stored.GetImageToWorldMatrix(stored_to_world)
    mammogram_volume_node.GetIJKToRASMatrix(volume_to_world)
    for i in range(4):
        for j in range(4):
            assert stored_to_world.GetElement(i, j) == pytest.approx(volume_to_world.GetElement(i, j), abs=1e-12)


def test_labels_become_one_exact_segment_each(scene, mammogram_volume_node):
    segmentation_node = create_calcification_segmentation(scene, mammogram_volume_node)
    labels = np.zeros((30, 50), np.uint8)
    labels[2:6, 2:9] = 1
    labels[4:9, 9:15] = 2  # touches label 1: shared labelmap layers must still keep them apart
    labels[20, 40] = 7
    ids = labels_to_segments(segmentation_node, labels, mammogram_volume_node, names={1: CALCIFICATION_SEGMENT_ID})
    assert list(ids) == [1, 2, 7] and ids[1] == CALCIFICATION_SEGMENT_ID
    assert segmentation_node.GetSegmentation().GetNumberOfSegments() == 3
    for value, segment_id in ids.items():
        np.testing.assert_array_equal(
            segment_mask(segmentation_node, segment_id, mammogram_volume_node), labels == value
        )
    assert segmentation_node.GetSegmentation().GetSegment(ids[7]).GetName() == "Label 7"
    with pytest.raises(InputError, match="integers"):
        labels_to_segments(segmentation_node, labels.astype(float), mammogram_volume_node)
