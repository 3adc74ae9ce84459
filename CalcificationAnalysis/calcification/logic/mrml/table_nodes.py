"""Table nodes from columns of values, with a description and a unit per column, and back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Optional

import numpy as np

from ...core.errors import InputError
from .mrml_imports import numpy_support, vtk


def _vtk_column(name: str, values: Sequence):
    array = np.asarray(values)
    if array.ndim != 1:
        raise InputError(f"Table column '{name}' must be one-dimensional, got shape {array.shape}.")
    if array.dtype.kind in "biu":
        column = numpy_support.numpy_to_vtk(array.astype(np.int64), deep=True, array_type=vtk.VTK_LONG_LONG)
    elif array.dtype.kind == "f":
        column = numpy_support.numpy_to_vtk(array.astype(np.float64), deep=True)
    else:
        column = vtk.vtkStringArray()
        for value in array:
            column.InsertNextValue(str(value))
    column.SetName(name)
    return column


def table_node_from_columns(
    scene,
    name: str,
    columns: Mapping[str, Sequence],
    descriptions: Optional[Mapping[str, str]] = None,
    units: Optional[Mapping[str, str]] = None,
    node=None,
):
    """Add a ``vtkMRMLTableNode`` with one typed column per entry of ``columns`` (or refill ``node``).

    Parameters
    ----------
    scene : vtkMRMLScene
    name : str
        Node name.
    columns : mapping str -> sequence
        Column name -> values; all of one length. Integers and bools become ``vtkLongLongArray`` (64-bit, no
        overflow; Slicer's schema type "long long"), floats ``vtkDoubleArray``, anything else ``vtkStringArray``.
    descriptions, units : mapping str -> str, optional
        Column properties ``description`` and ``unitLabel`` (``SetColumnDescription`` / ``SetColumnUnitLabel``):
        Slicer's table view shows them as tooltip and unit, and the ``.schema.csv`` beside a saved table keeps them.
    node : vtkMRMLTableNode, optional
        An existing table node of ``scene`` to refill (its name is set to ``name``), so that a repeated analysis
        updates the tables a view shows instead of adding new ones.

    Returns
    -------
    vtkMRMLTableNode
    """
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise InputError(f"Table '{name}' has columns of different lengths: {sorted(lengths)}.")
    table = vtk.vtkTable()
    for column_name, values in columns.items():
        table.AddColumn(_vtk_column(column_name, values))
    if node is None:
        node = scene.AddNewNodeByClass("vtkMRMLTableNode", name)
    elif node.GetScene() is not scene:
        raise InputError(f"The table '{node.GetName()}' does not belong to this scene.")
    else:
        node.SetName(name)
    node.SetAndObserveTable(table)
    for column_name in columns:
        if descriptions and column_name in descriptions:
            node.SetColumnDescription(column_name, descriptions[column_name])
        if units and column_name in units:
            node.SetColumnUnitLabel(column_name, units[column_name])
    return node


def columns_from_table_node(table_node) -> dict[str, np.ndarray]:
    """Column name -> numpy array (a copy: int64 / float64 as stored) or array of str, in table order.

    Descriptions and units stay on the node: ``table_node.GetColumnDescription(name)`` / ``GetColumnUnitLabel``.
    """
    table = table_node.GetTable()
    columns = {}
    for index in range(table.GetNumberOfColumns()):
        column = table.GetColumn(index)
        if isinstance(column, vtk.vtkStringArray):
            columns[column.GetName()] = np.array([column.GetValue(i) for i in range(column.GetNumberOfValues())])
        else:
            columns[column.GetName()] = numpy_support.vtk_to_numpy(column).copy()
    return columns
