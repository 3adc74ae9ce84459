"""Breast calcification analysis on mammograms: the library behind the CalcificationAnalysis Slicer extension.

Layers (imports only point down):

- ``calcification.cli``   the headless ``calcification`` command.
- ``calcification.logic`` the MRML bridge: converts between Slicer nodes (``slicer-core`` or the Slicer app) and
  arrays, and orchestrates the pipeline. Takes a ``vtkMRMLScene`` explicitly; never uses Qt or ``slicer.app``.
- ``calcification.core``  the science: numpy / scipy / scikit-image / SimpleITK / torch; no slicer, no vtk.
"""

__version__ = "0.1.0"
