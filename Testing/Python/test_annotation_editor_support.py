"""Array side of the Segment Editor effect on real vtkOrientedImageData (extents not starting at 0)."""

from __future__ import annotations

import numpy as np
import pytest

from calcification.logic.mrml.mrml_imports import numpy_support, slicer
from calcification.logic.workflows.editor_effect_support import fill_modifier_labelmap, image_pixels, trace_on_image
from calcification.logic.workflows.level_tracing import TraceOptions


def oriented(array: np.ndarray, i0: int, j0: int, vtk_type=None):
    image = slicer.vtkOrientedImageData()
    image.SetExtent(i0, i0 + array.shape[1] - 1, j0, j0 + array.shape[0] - 1, 0, 0)
    image.SetSpacing(0.07, 0.07, 1.0)
    scalars = numpy_support.numpy_to_vtk(np.ascontiguousarray(array).ravel(), deep=True, array_type=vtk_type)
    image.GetPointData().SetScalars(scalars)
    return image


def test_trace_on_image_uses_absolute_indices():
    array = np.full((80, 90), 100.0, np.float32)
    array[40:46, 50:55] = 900.0
    image = oriented(array, i0=200, j0=300)
    pixels, origin = image_pixels(image)
    assert origin == (300, 200) and pixels.shape == (80, 90) and pixels[42, 52] == 900.0
    traced = trace_on_image(image, (252, 342, 0), TraceOptions())
    assert traced.peak[0] in range(340, 346) and traced.peak[1] in range(250, 255)
    full = np.zeros((80, 90), bool)
    full[traced.rows.start - 300 : traced.rows.stop - 300, traced.cols.start - 200 : traced.cols.stop - 200] = (
        traced.mask
    )
    np.testing.assert_array_equal(full, array > 100.0)
    assert trace_on_image(image, (199, 342, 0), TraceOptions()) is None  # beside the image: nothing
    assert not trace_on_image(image, (210, 310, 0), TraceOptions()).mask.any()  # flat background: nothing


def test_fill_modifier_labelmap_sets_only_the_traced_rectangle():
    array = np.full((80, 90), 100.0, np.float32)
    array[10:13, 70:74] = 900.0
    image = oriented(array, i0=5, j0=7)
    labelmap = oriented(np.ones((80, 90), np.uint8), i0=5, j0=7)
    traced = trace_on_image(image, (76, 18, 0), TraceOptions())
    extent = fill_modifier_labelmap(labelmap, traced)
    written, _ = image_pixels(labelmap)
    np.testing.assert_array_equal(written != 0, array > 100.0)
    assert extent == [traced.cols.start, traced.cols.stop - 1, traced.rows.start, traced.rows.stop - 1, 0, 0]
    assert extent[0] <= 75 and extent[1] >= 78 and extent[2] <= 17 and extent[3] >= 19


def test_editor_preset_on_a_real_segment_editor_node(scene):
    from calcification.core.annotation.intensity_range import calcification_intensity_range
    from calcification.core.synthetic import SynthesisConfig, generate_case
    from calcification.logic.mrml.segmentation_nodes import CALCIFICATION_SEGMENT_ID, create_calcification_segmentation
    from calcification.logic.mrml.volume_nodes import volume_node_from_mammogram
    from calcification.logic.workflows.editor_effect_support import preset_segment_editor_node

    case = generate_case(SynthesisConfig(shape=(512, 512), crop=True), seed=1, index=0)
    low, high = calcification_intensity_range(case.mammogram.pixels, case.breast_mask)
    pixels = case.mammogram.pixels
    assert low == np.percentile(pixels[case.breast_mask], 50) and high == pixels.max()
    assert (pixels[case.mask] >= low).mean() > 0.9  # the calcifications lie inside the range
    volume = volume_node_from_mammogram(scene, case.mammogram)
    segmentation = create_calcification_segmentation(scene, volume)
    editor = scene.AddNewNodeByClass("vtkMRMLSegmentEditorNode")
    preset_segment_editor_node(editor, segmentation, volume, CALCIFICATION_SEGMENT_ID, (low, high))
    assert editor.GetSegmentationNode() is segmentation and editor.GetSourceVolumeNode() is volume
    assert editor.GetSelectedSegmentID() == CALCIFICATION_SEGMENT_ID and editor.GetSourceVolumeIntensityMask()
    assert editor.GetSourceVolumeIntensityMaskRange() == pytest.approx((low, high))


def test_intensity_range_refuses_a_flat_breast():
    from calcification.core.annotation.intensity_range import calcification_intensity_range
    from calcification.core.errors import InputError

    with pytest.raises(InputError, match="no intensities above"):
        calcification_intensity_range(np.ones((10, 10)))
