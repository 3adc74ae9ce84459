"""Array side of the Segment Editor effect on real vtkOrientedImageData (extents not starting at 0)."""

from __future__ import annotations

import numpy as np

from calcification.logic.editor_effect_support import fill_modifier_labelmap, image_pixels, trace_on_image
from calcification.logic.level_tracing import TraceOptions
from calcification.logic.mrml_imports import numpy_support, slicer


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
