"""Slicer-side helpers of the CalcificationTraining module (they use qt; the work itself is in ``calcification``)."""
