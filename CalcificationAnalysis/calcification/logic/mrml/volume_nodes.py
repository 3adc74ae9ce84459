"""Scalar volume nodes <-> mammograms: the only place pixel arrays enter or leave a volume node.

A 2D mammogram is stored as a single-slice volume, the way Slicer loads a 2D image: numpy (rows, cols) is VTK
(I = column, J = row, K = 0), i.e. a numpy array (1, rows, cols) in KJI order; spacing is (column mm, row mm, 1).
Geometry (origin and IJK-to-RAS directions) lives in the node, not in the image data, so replacing the voxels keeps
it. A :class:`Mammogram` read from a node carries the node's origin and directions in its ``metadata``
(:data:`ORIGIN_KEY`, :data:`DIRECTIONS_KEY`), and :func:`volume_node_from_mammogram` puts them back: node ->
mammogram -> node keeps values, spacing, origin and directions exactly. A mammogram read from a file has no such
keys and gets origin (0, 0, 0) and the directions ITK gives a 2D file with identity LPS directions, diag(-1, -1, 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from ...core.errors import InputError
from ...core.image import Laterality, Mammogram, View
from .mrml_imports import numpy_support, vtk

#: Node attributes that carry the mammogram's metadata through the scene (and .mrb files).
ATTRIBUTE_PREFIX = "Calcification."
#: ``Mammogram.metadata`` key: the node origin, RAS mm, tuple of 3 floats.
ORIGIN_KEY = "origin_ras"
#: ``Mammogram.metadata`` key: the IJK-to-RAS direction matrix, tuple of 3 rows of 3 floats (unit columns I, J, K).
DIRECTIONS_KEY = "ijk_to_ras_directions"
_LPS_TO_RAS = ((-1.0, 0.0, 0.0), (0.0, -1.0, 0.0), (0.0, 0.0, 1.0))


def _node_name(volume_node) -> str:
    return volume_node.GetName() if volume_node is not None else "None"


def array_from_volume_node(volume_node) -> np.ndarray:
    """The voxels of ``volume_node`` as a numpy array (a copy, the voxel type of the node).

    Returns
    -------
    np.ndarray
        Shape (slices, rows, cols) for a scalar volume, (slices, rows, cols, components) for a vector volume;
        index [k, j, i] is voxel IJK (i, j, k).

    Raises
    ------
    InputError
        When the node is missing or has no image data.
    """
    image = volume_node.GetImageData() if volume_node is not None else None
    if image is None or image.GetPointData().GetScalars() is None:
        raise InputError(f"The volume '{_node_name(volume_node)}' has no image data; load a mammogram first.")
    columns, rows, slices = image.GetDimensions()
    components = image.GetNumberOfScalarComponents()
    array = numpy_support.vtk_to_numpy(image.GetPointData().GetScalars())
    shape = (slices, rows, columns) + ((components,) if components > 1 else ())
    return array.reshape(shape).copy()


def update_volume_node_from_array(volume_node, array: np.ndarray) -> None:
    """Replace the voxels of ``volume_node`` by ``array``, keeping the node's spacing, origin and directions.

    Parameters
    ----------
    volume_node : vtkMRMLScalarVolumeNode (or vtkMRMLVectorVolumeNode for 4D arrays)
    array : np.ndarray
        (slices, rows, cols) or (slices, rows, cols, components), any numeric dtype VTK has (bool is stored as
        uint8). Copied: later changes to ``array`` do not reach the node.

    Raises
    ------
    InputError
        When the array is not 3D/4D or its type has no VTK equivalent.
    """
    array = np.asarray(array)
    if array.ndim not in (3, 4) or array.size == 0:
        raise InputError(f"Volume arrays are (slices, rows, cols[, components]); got shape {array.shape}.")
    if array.dtype == bool:
        array = array.astype(np.uint8)  # VTK has no bool voxels; label maps are uint8 in Slicer too
    array = np.ascontiguousarray(array)
    components = array.shape[3] if array.ndim == 4 else 1
    try:
        scalars = numpy_support.numpy_to_vtk(array.reshape(-1, components), deep=True)
    except (TypeError, ValueError) as exc:
        raise InputError(f"Voxels of type {array.dtype} cannot be stored in a volume node.") from exc
    image = vtk.vtkImageData()
    image.SetDimensions(array.shape[2], array.shape[1], array.shape[0])
    image.GetPointData().SetScalars(scalars)
    volume_node.SetAndObserveImageData(image)  # the node's geometry is separate from the image data: kept


def _set_geometry(node, mammogram: Mammogram) -> None:
    row_mm, col_mm = mammogram.spacing_mm
    node.SetSpacing(col_mm, row_mm, 1.0)
    origin = mammogram.metadata.get(ORIGIN_KEY, (0.0, 0.0, 0.0))
    directions_rows = mammogram.metadata.get(DIRECTIONS_KEY, _LPS_TO_RAS)
    try:
        origin = [float(value) for value in origin]
        directions_rows = np.asarray(directions_rows, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"The mammogram's stored geometry is damaged: {exc}.") from exc
    if len(origin) != 3 or directions_rows.shape != (3, 3) or not np.isfinite(directions_rows).all():
        raise InputError("The mammogram's stored geometry is damaged: expected a 3-vector origin and 3x3 directions.")
    node.SetOrigin(*origin)
    directions = vtk.vtkMatrix4x4()
    for i in range(3):
        for j in range(3):
            directions.SetElement(i, j, directions_rows[i, j])
    node.SetIJKToRASDirectionMatrix(directions)


def volume_node_from_mammogram(scene, mammogram: Mammogram, name: Optional[str] = None):
    """Add a scalar volume node holding ``mammogram`` to ``scene``, with display nodes.

    Parameters
    ----------
    scene : vtkMRMLScene
    mammogram : Mammogram
        Its float32 pixels (rows, cols) become a float voxel array (1, rows, cols).
    name : str, optional
        Node name; the mammogram's file name by default.

    Returns
    -------
    vtkMRMLScalarVolumeNode
        Spacing (col, row, 1) mm; origin and IJK-to-RAS directions from ``mammogram.metadata`` (see module
        docstring), else (0, 0, 0) and diag(-1, -1, 1); laterality, view, source path, patient id, bit depth,
        photometric interpretation and whether the spacing came from the file as node attributes
        ``Calcification.*``.
    """
    node = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", name or mammogram.name)
    _set_geometry(node, mammogram)
    update_volume_node_from_array(node, mammogram.pixels[None])
    attributes = {
        "Laterality": mammogram.laterality.value,
        "View": mammogram.view.value,
        "SourcePath": str(mammogram.source_path or ""),
        "BitDepth": str(mammogram.bit_depth),
        "PhotometricInterpretation": mammogram.photometric_interpretation,
        "SpacingFromFile": str(int(mammogram.spacing_from_file)),
        "PatientID": str(mammogram.metadata.get("patient_id", "")),
    }
    for key, value in attributes.items():
        node.SetAttribute(ATTRIBUTE_PREFIX + key, value)
    node.CreateDefaultDisplayNodes()
    return node


def _attribute(node, key: str, default: str) -> str:
    value = node.GetAttribute(ATTRIBUTE_PREFIX + key)
    return value if value else default


def _bit_depth(volume_node, pixels: np.ndarray) -> int:
    """Stored bit depth from the node attribute, else the voxel type's (a damaged attribute is ignored)."""
    value = _attribute(volume_node, "BitDepth", "")
    return int(value) if value.isdigit() else 8 * pixels.dtype.itemsize


def _single_grey_slice(volume_node) -> np.ndarray:
    """The one slice of ``volume_node`` as (rows, cols), refusing stacks and colour images."""
    array = array_from_volume_node(volume_node)
    if array.shape[0] != 1:
        raise InputError(
            f"The volume '{volume_node.GetName()}' has {array.shape[0]} slices; a mammogram is one 2D image. "
            "Select a slice first (e.g. with Crop Volume, or export the slice you want)."
        )
    pixels = array[0]
    if pixels.ndim == 3:  # vector voxels: accept only grey stored as equal R, G, B (alpha ignored)
        colour = pixels[..., : min(pixels.shape[-1], 3)]
        if not all(np.array_equal(colour[..., 0], colour[..., c]) for c in range(1, colour.shape[-1])):
            raise InputError(
                f"The volume '{volume_node.GetName()}' is in colour; a mammogram must be greyscale. "
                "Convert it to a scalar volume first (Vector to Scalar Volume module)."
            )
        pixels = pixels[..., 0]
    return pixels


def _node_geometry(volume_node) -> dict:
    directions = [[0.0] * 3 for _ in range(3)]
    volume_node.GetIJKToRASDirections(directions)
    return {
        ORIGIN_KEY: tuple(float(v) for v in volume_node.GetOrigin()),
        DIRECTIONS_KEY: tuple(tuple(float(v) for v in row) for row in directions),
    }


def mammogram_from_volume_node(volume_node) -> Mammogram:
    """Read a single-slice scalar volume node as a :class:`Mammogram` (values copied to float32).

    Works for volumes made by :func:`volume_node_from_mammogram` and for those Slicer loads (DICOM, PNG, NRRD);
    metadata missing from the node attributes is UNKNOWN. ``metadata`` holds ``node_name``, ``patient_id`` and the
    node's geometry (:data:`ORIGIN_KEY`, :data:`DIRECTIONS_KEY`).

    Raises
    ------
    InputError
        No node, no image data, more than one slice ("Select a slice"), colour voxels, blank or non-finite voxels,
        absurd spacing.
    """
    if volume_node is None:
        raise InputError("No mammogram volume is selected.")
    pixels = _single_grey_slice(volume_node)
    col_mm, row_mm, _ = volume_node.GetSpacing()
    source = _attribute(volume_node, "SourcePath", "")
    try:
        laterality = Laterality(_attribute(volume_node, "Laterality", "U"))
    except ValueError:
        laterality = Laterality.UNKNOWN
    try:
        view = View(_attribute(volume_node, "View", "UNKNOWN"))
    except ValueError:
        view = View.UNKNOWN
    return Mammogram(
        pixels=pixels,
        spacing_mm=(row_mm, col_mm),
        laterality=laterality,
        view=view,
        source_path=Path(source) if source else None,
        bit_depth=_bit_depth(volume_node, pixels),
        photometric_interpretation=_attribute(volume_node, "PhotometricInterpretation", "MONOCHROME2"),
        spacing_from_file=_attribute(volume_node, "SpacingFromFile", "1") == "1",
        metadata={
            "node_name": volume_node.GetName(),
            "patient_id": _attribute(volume_node, "PatientID", ""),
            **_node_geometry(volume_node),
        },
    )
