"""Reading mammograms from files: :func:`read_mammogram` recognises DICOM, PNG, TIFF, PGM, NRRD, NIfTI and MHA."""

from .mammogram_reader import mammogram_from_array, read_mammogram

__all__ = ["mammogram_from_array", "read_mammogram"]
