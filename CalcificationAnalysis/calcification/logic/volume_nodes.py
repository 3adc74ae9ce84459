"""Scalar volume nodes <-> mammograms: the only place pixel arrays enter or leave a volume node.

A 2D mammogram is stored as a single-slice volume, the way Slicer loads a 2D image: numpy (rows, cols) is VTK
(I = column, J = row, K = 0); spacing is (column mm, row mm, 1); the IJK-to-RAS directions are those ITK gives a
2D file with identity LPS directions (diag(-1, -1, 1)) unless the node already has others, which are kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from ..core.errors import InputError
from ..core.image import Laterality, Mammogram, View
from .mrml_imports import numpy_support, vtk

#: Node attributes that carry the mammogram's metadata through the scene (and .mrb files).
ATTRIBUTE_PREFIX = "Calcification."
_LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0])


def array_from_volume_node(volume_node) -> np.ndarray:
    """The voxels of ``volume_node`` as a numpy array of shape (slices, rows, cols[, components]) (a copy).

    Raises
    ------
    InputError
        When the node is missing or has no image data.
    """
    image = volume_node.GetImageData() if volume_node is not None else None
    if image is None or image.GetPointData().GetScalars() is None:
        name = volume_node.GetName() if volume_node is not None else "None"
        raise InputError(f"The volume '{name}' has no image data; load a mammogram first.")
    columns, rows, slices = image.GetDimensions()
    components = image.GetNumberOfScalarComponents()
    array = numpy_support.vtk_to_numpy(image.GetPointData().GetScalars())
    shape = (slices, rows, columns) + ((components,) if components > 1 else ())
    return array.reshape(shape).copy()


def update_volume_node_from_array(volume_node, array: np.ndarray) -> None:
    """Replace the voxels of ``volume_node`` by ``array`` (slices, rows, cols), keeping its geometry."""
    array = np.ascontiguousarray(array)
    if array.ndim != 3:
        raise InputError(f"Volume arrays are (slices, rows, cols); got shape {array.shape}.")
    image = vtk.vtkImageData()
    image.SetDimensions(array.shape[2], array.shape[1], array.shape[0])
    scalars = numpy_support.numpy_to_vtk(array.ravel(), deep=True)
    image.GetPointData().SetScalars(scalars)
    volume_node.SetAndObserveImageData(image)


def volume_node_from_mammogram(scene, mammogram: Mammogram, name: Optional[str] = None):
    """Add a scalar volume node holding ``mammogram`` to ``scene``, with display nodes.

    Parameters
    ----------
    scene : vtkMRMLScene
    mammogram : Mammogram
    name : str, optional
        Node name; the mammogram's file name by default.

    Returns
    -------
    vtkMRMLScalarVolumeNode
        Spacing (col, row, 1) mm, origin (0, 0, 0), LPS-identity directions; laterality, view, source path, bit
        depth and photometric interpretation as node attributes ``Calcification.*``.
    """
    node = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", name or mammogram.name)
    row_mm, col_mm = mammogram.spacing_mm
    node.SetSpacing(col_mm, row_mm, 1.0)
    node.SetOrigin(0.0, 0.0, 0.0)
    directions = vtk.vtkMatrix4x4()
    for i in range(3):
        for j in range(3):
            directions.SetElement(i, j, _LPS_TO_RAS[i, j])
    node.SetIJKToRASDirectionMatrix(directions)
    update_volume_node_from_array(node, mammogram.pixels[None])
    attributes = {
        "Laterality": mammogram.laterality.value,
        "View": mammogram.view.value,
        "SourcePath": str(mammogram.source_path or ""),
        "BitDepth": str(mammogram.bit_depth),
        "PhotometricInterpretation": mammogram.photometric_interpretation,
        "SpacingFromFile": str(int(mammogram.spacing_from_file)),
    }
    for key, value in attributes.items():
        node.SetAttribute(ATTRIBUTE_PREFIX + key, value)
    node.CreateDefaultDisplayNodes()
    return node


def _attribute(node, key: str, default: str) -> str:
    value = node.GetAttribute(ATTRIBUTE_PREFIX + key)
    return value if value else default


def mammogram_from_volume_node(volume_node) -> Mammogram:
    """Read a single-slice scalar volume node as a :class:`Mammogram` (values copied to float32).

    Works for volumes made by :func:`volume_node_from_mammogram` and for those Slicer loads (DICOM, PNG, NRRD);
    metadata missing from the node attributes is UNKNOWN.

    Raises
    ------
    InputError
        No node, no image data, more than one slice, colour voxels, blank or non-finite voxels, absurd spacing.
    """
    if volume_node is None:
        raise InputError("No mammogram volume is selected.")
    array = array_from_volume_node(volume_node)
    if array.shape[0] != 1:
        raise InputError(
            f"The volume '{volume_node.GetName()}' has {array.shape[0]} slices; a mammogram is one 2D image. "
            "Select a single slice (e.g. with Crop Volume) first."
        )
    pixels = array[0]
    if pixels.ndim == 3:
        if not all(np.array_equal(pixels[..., 0], pixels[..., c]) for c in range(1, min(pixels.shape[-1], 3))):
            raise InputError(f"The volume '{volume_node.GetName()}' is in colour; a mammogram must be greyscale.")
        pixels = pixels[..., 0]
    col_mm, row_mm, _ = volume_node.GetSpacing()
    source = _attribute(volume_node, "SourcePath", "")
    try:
        laterality = Laterality(_attribute(volume_node, "Laterality", "U"))
        view = View(_attribute(volume_node, "View", "UNKNOWN"))
    except ValueError:
        laterality, view = Laterality.UNKNOWN, View.UNKNOWN
    return Mammogram(
        pixels=pixels,
        spacing_mm=(row_mm, col_mm),
        laterality=laterality,
        view=view,
        source_path=Path(source) if source else None,
        bit_depth=int(_attribute(volume_node, "BitDepth", str(8 * pixels.dtype.itemsize))),
        photometric_interpretation=_attribute(volume_node, "PhotometricInterpretation", "MONOCHROME2"),
        spacing_from_file=_attribute(volume_node, "SpacingFromFile", "1") == "1",
        metadata={"node_name": volume_node.GetName()},
    )
