"""Archive-scale analysis on Dask: many mammograms, one task each, a manifest, resume (:func:`analyze_archive`)."""

from .archive_runner import ArchiveAnalysis, ArchiveStart, analyze_archive
from .manifest import DONE, FAILED, MANIFEST_NAME, PENDING, ImageRecord, read_manifest

__all__ = [
    "DONE",
    "FAILED",
    "MANIFEST_NAME",
    "PENDING",
    "ArchiveAnalysis",
    "ArchiveStart",
    "ImageRecord",
    "analyze_archive",
    "read_manifest",
]
