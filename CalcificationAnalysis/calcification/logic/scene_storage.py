"""Saving and loading: segmentations (.seg.nrrd), tables (.csv) and whole scenes (.mrb bundles Slicer opens).

Every write goes to a temporary name in the destination folder and is renamed into place only when complete, so a
failure or a cancel never leaves a partial file with the final name.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..core.errors import InputError
from .scene_factory import create_headless_scene


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


@contextmanager
def atomic_destination(path: os.PathLike | str) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix); rename it to ``path`` if the block succeeds.

    Raises
    ------
    InputError
        When the destination folder does not exist or is not writable.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"Cannot write {path}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK):
        raise InputError(f"Cannot write {path}: the folder {folder} is not writable.")
    suffix = "".join(path.suffixes[-2:]) if path.name.endswith((".seg.nrrd", ".nii.gz")) else path.suffix
    # No leading dot: Slicer derives a bundle's folder and scene file names from the file name.
    handle, temporary = tempfile.mkstemp(prefix=f"partial_{path.name.split('.')[0]}_", suffix=suffix, dir=folder)
    os.close(handle)
    temporary = Path(temporary)
    try:
        yield temporary
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes private files; outputs get the usual permissions
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _write_with_storage_node(node, storage_class: str, path: Path) -> None:
    scene = node.GetScene()
    storage = scene.AddNewNodeByClass(storage_class)
    try:
        storage.SetFileName(str(path))
        if hasattr(storage, "SetUseCompression"):
            storage.SetUseCompression(1)
        if hasattr(storage, "SetCropToMinimumExtent"):
            storage.SetCropToMinimumExtent(False)  # keep the mammogram's full grid, as training code expects
        if not storage.WriteData(node):
            raise InputError(f"Could not write {path.name}: {storage.GetWriteStateAsString()}.")
    finally:
        scene.RemoveNode(storage)


def save_segmentation(segmentation_node, path: os.PathLike | str) -> Path:
    """Write ``segmentation_node`` as a Slicer ``.seg.nrrd`` file (binary labelmap, with segment metadata)."""
    path = Path(path)
    with atomic_destination(path) as temporary:
        _write_with_storage_node(segmentation_node, "vtkMRMLSegmentationStorageNode", temporary)
    return path


def save_table_csv(table_node, path: os.PathLike | str) -> Path:
    """Write ``table_node`` as ``NAME.csv`` plus Slicer's ``NAME.schema.csv`` (column types, descriptions, units).

    Both are written in a temporary folder beside ``path`` and moved into place together.
    """
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise InputError(f"A table file must end in .csv, got {path.name}.")
    with atomic_destination(path) as temporary:  # checks the folder and reserves the final name
        with tempfile.TemporaryDirectory(prefix="partial_", dir=path.parent) as work:
            staged = Path(work) / path.name
            _write_with_storage_node(table_node, "vtkMRMLTableStorageNode", staged)
            schema = staged.with_name(f"{path.stem}.schema.csv")
            if schema.exists():
                os.replace(schema, path.with_name(schema.name))
            os.replace(staged, temporary)
    return path


def save_volume(volume_node, path: os.PathLike | str) -> Path:
    """Write a volume node (NRRD, NIfTI or MHA by extension)."""
    path = Path(path)
    with atomic_destination(path) as temporary:
        _write_with_storage_node(volume_node, "vtkMRMLVolumeArchetypeStorageNode", temporary)
    return path


def save_scene_bundle(scene, path: os.PathLike | str) -> Path:
    """Write the whole ``scene`` (nodes and their data) as a Slicer data bundle ``.mrb`` that Slicer opens.

    Raises
    ------
    InputError
        Unwritable destination, or the scene could not be packed.
    """
    path = Path(path)
    if path.suffix.lower() != ".mrb":
        raise InputError(f"A scene bundle must end in .mrb, got {path.name}.")
    with atomic_destination(path) as temporary:
        if not scene.WriteToMRB(str(temporary), None):
            raise InputError(f"Could not write the scene bundle {path.name}.")
    return path


def load_scene_bundle(path: os.PathLike | str):
    """Read a ``.mrb`` into a new headless scene (see :func:`create_headless_scene`) and return it.

    Raises
    ------
    InputError
        Missing or unreadable bundle.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file.")
    if not zipfile.is_zipfile(path):
        raise InputError(f"{path} is not a readable Slicer scene bundle (.mrb): it is not a zip archive.")
    scene = create_headless_scene()
    working_directory = os.getcwd()
    try:
        if not scene.ReadFromMRB(str(path.resolve())):
            raise InputError(f"{path} is not a readable Slicer scene bundle (.mrb).")
    finally:
        os.chdir(working_directory)  # MRML's unzip can leave the process in its temporary folder on failure
    return scene
