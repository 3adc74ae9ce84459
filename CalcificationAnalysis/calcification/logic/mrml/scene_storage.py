"""Saving and loading: segmentations (.seg.nrrd), tables (.csv) and whole scenes (.mrb bundles Slicer opens).

Every write goes to a temporary name in the destination folder and is renamed into place only when complete, so a
failure or a cancel never leaves a partial file with the final name.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ...core.atomic_files import move_into_place, temporary_file_beside, temporary_folder_in
from ...core.errors import InputError
from .mrml_imports import slicer
from .scene_factory import create_headless_scene


def _check_destination(path: Path) -> Path:
    """The folder ``path`` will be written into, or :class:`InputError` saying why it cannot be."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"Cannot write {path}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK):
        raise InputError(f"Cannot write {path}: the folder {folder} is not writable.")
    if path.is_dir():
        raise InputError(f"Cannot write {path}: a folder of that name exists there.")
    return folder


def _move_into_place(temporary: Path, path: Path) -> None:
    try:
        move_into_place(temporary, path)
    except OSError as exc:
        raise InputError(f"Cannot write {path}: {exc.strerror or exc}.") from exc


@contextmanager
def atomic_destination(path: os.PathLike | str) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix); rename it to ``path`` if the block succeeds.

    The temporary file is in the destination folder (same file system, so the rename is atomic) and is removed
    whatever happens; an existing ``path`` is only replaced once the new content is complete.

    Raises
    ------
    InputError
        When the destination folder does not exist or is not writable, or ``path`` is a folder.
    """
    path = Path(path)
    folder = _check_destination(path)
    suffix = "".join(path.suffixes[-2:]) if path.name.endswith((".seg.nrrd", ".nii.gz")) else path.suffix
    # No leading dot: Slicer derives a bundle's folder and scene file names from the file name.
    try:
        temporary = temporary_file_beside(folder / path.name, suffix)
    except OSError as exc:
        raise InputError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    try:
        yield temporary
        _move_into_place(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def staged_write(path: Path) -> Iterator[Path]:
    """Yield ``path``'s name inside a private temporary folder beside it; the folder is removed whatever happens.

    For writers that put more than one file (a table and its schema) or name inner parts after the file (a scene
    bundle): the caller moves the finished files into place; nothing it did not move survives.

    Raises
    ------
    InputError
        When the destination folder does not exist or is not writable, or ``path`` is a folder.
    """
    folder = _check_destination(path)
    try:
        staging = temporary_folder_in(folder, path.name)
    except OSError as exc:
        raise InputError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    try:
        yield staging / path.name
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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

    Both are written in a temporary folder beside ``path`` and moved into place when complete (schema first, so a
    ``NAME.csv`` never appears without its schema).

    Raises
    ------
    InputError
        Not a ``.csv`` name, unwritable destination, or the table could not be written.
    """
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise InputError(f"A table file must end in .csv, got {path.name}.")
    with staged_write(path) as staged:
        _write_with_storage_node(table_node, "vtkMRMLTableStorageNode", staged)
        schema = staged.with_name(f"{path.stem}.schema.csv")
        if schema.exists():
            _move_into_place(schema, path.with_name(schema.name))
        _move_into_place(staged, path)
    return path


def save_volume(volume_node, path: os.PathLike | str) -> Path:
    """Write a volume node (NRRD, NIfTI or MHA by extension)."""
    path = Path(path)
    with atomic_destination(path) as temporary:
        _write_with_storage_node(volume_node, "vtkMRMLVolumeArchetypeStorageNode", temporary)
    return path


def save_volume_from_bundle(bundle: os.PathLike | str, volume_node, path: os.PathLike | str) -> Path:
    """Write ``volume_node`` as ``path`` (``.nrrd``) by copying its file out of a scene bundle just written by
    :func:`save_scene_bundle`, instead of compressing the same pixels a second time (a full-field probability map
    costs about a second of gzip per copy). The bundle stores its members uncompressed (each NRRD is gzip-encoded
    inside), so the copy is a plain read. Falls back to :func:`save_volume` when the bundle has no such member.
    """
    path = Path(path)
    wanted = f"{volume_node.GetName()}.nrrd"
    with zipfile.ZipFile(bundle) as archive:
        members = [info for info in archive.infolist() if info.filename.split("/")[-2:] == ["Data", wanted]]
        if path.suffix.lower() != ".nrrd" or len(members) != 1:
            return save_volume(volume_node, path)
        with atomic_destination(path) as temporary, archive.open(members[0]) as source, open(temporary, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
    return path


def save_scene_bundle(scene, path: os.PathLike | str) -> Path:
    """Write the whole ``scene`` (nodes and their data) as a Slicer data bundle ``.mrb`` that Slicer opens.

    Uses ``vtkMRMLScene.WriteToMRB`` (MRML packs the scene and every storable node's data in a cache folder, then
    zips it), which names the bundle's inner folder and ``.mrml`` file after the file: it writes ``NAME.mrb`` in a
    temporary folder beside ``path``, moved into place when complete. Storage nodes are added to nodes that had
    none; the scene's own file names are restored by MRML afterwards.

    Raises
    ------
    InputError
        Unwritable destination, or the scene could not be packed (MRML's messages are included).
    """
    path = Path(path)
    if path.suffix.lower() != ".mrb":
        raise InputError(f"A scene bundle must end in .mrb, got {path.name}.")
    with staged_write(path) as staged:
        messages = slicer.vtkMRMLMessageCollection()
        if not scene.WriteToMRB(str(staged), None, messages) or not staged.is_file():
            raise InputError(f"Could not write the scene bundle {path.name}: {messages.GetAllMessagesAsString()}")
        _move_into_place(staged, path)
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
    messages = slicer.vtkMRMLMessageCollection()
    try:
        if not scene.ReadFromMRB(str(path.resolve()), False, messages):
            raise InputError(
                f"{path} is not a readable Slicer scene bundle (.mrb): {messages.GetAllMessagesAsString()}".strip()
            )
    finally:
        os.chdir(working_directory)  # MRML's unzip can leave the process in its temporary folder on failure
    return scene
