"""Segmentation nodes on a real slicer-core scene: the Calcification segment and exact mask round trips."""

from __future__ import annotations

import numpy as np
import pytest

from calcification.core.errors import InputError
from calcification.logic.segmentation_nodes import (
    CALCIFICATION_SEGMENT_ID,
    CALCIFICATION_TERMINOLOGY,
    create_calcification_segmentation,
    segment_mask,
    set_segment_mask,
)
from calcification.logic.volume_nodes import volume_node_from_mammogram


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
