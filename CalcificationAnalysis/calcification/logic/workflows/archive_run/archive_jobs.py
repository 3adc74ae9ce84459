"""The inputs of an archive run as jobs: one per image, each naming its manifest key, its output name and the Dask
task that analyses it (a file: :func:`.image_task.analyze_image`; a DICOMweb instance:
:func:`.instance_task.analyze_instance`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ....core.image import name_from_path
from .image_task import analyze_image


@dataclass(frozen=True)
class ArchiveJob:
    """One input image of an archive run.

    Attributes
    ----------
    input : str
        The manifest key: a file's absolute path, or a DICOMweb instance's SOP Instance UID.
    name : str
        Name of its output files.
    task : callable
        Run on a worker as ``task(*arguments, out_dir, settings, previous_record)``; returns an ``ImageRecord``.
    arguments : tuple
        What identifies the input to the task (small and picklable: paths, URLs, UIDs; never pixels or secrets).
    source : str
        For messages: where a DICOMweb instance comes from (``study S, series R, instance I``); "" for a file.
    """

    input: str
    name: str
    task: Callable
    arguments: tuple
    source: str = ""


def file_jobs(paths: Sequence[Path]) -> list[ArchiveJob]:
    """One job per mammogram file (see :func:`.archive_inputs.collect_inputs`), its outputs named by its file name:
    tasks cannot see each other's names, so the patient, side and view names of ``analyze`` (made unique within one
    process) would let two screening rounds of one breast overwrite each other; file names were checked unique."""
    return [ArchiveJob(str(path), name_from_path(path), analyze_image, (str(path),)) for path in paths]
