"""MRML and VTK classes, found the same way in Slicer's Python and in plain Python with ``slicer-core``.

With ``slicer-core`` every class is an attribute of the ``slicer`` package. Inside the Slicer application most are
too, but the vtkITK filters live in the ``vtkITK`` module: hence the fallback.
"""

from __future__ import annotations

import slicer  # noqa: F401  (re-exported: the MRML classes)
import vtk  # noqa: F401  (re-exported)

try:
    from slicer import vtkITKLevelTracingImageFilter  # noqa: F401  (slicer-core)
except ImportError:  # the Slicer application
    from vtkITK import vtkITKLevelTracingImageFilter  # noqa: F401

from vtk.util import numpy_support  # noqa: F401  (re-exported: array <-> vtkDataArray)
