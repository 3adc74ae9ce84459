"""A headless MRML scene that can hold volumes, segmentations, tables and markups, and read and write them.

Inside Slicer, pass ``slicer.mrmlScene`` to the logic functions instead: the application has registered all of
this already. Outside Slicer (``slicer-core``) the logics must be created and bound to the scene by hand, and kept
alive as long as the scene: they are stored in a registry keyed by the scene object.
"""

from __future__ import annotations

import tempfile
import weakref
from pathlib import Path

from .mrml_imports import slicer

#: scene -> the logic objects bound to it (kept alive with the scene; dropped when the scene is collected).
_SCENE_LOGICS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cache_directory() -> Path:
    """A private cache folder for MRML (with the sentinel file Slicer's cache manager expects)."""
    folder = Path(tempfile.gettempdir()) / "calcification-mrml-cache"
    folder.mkdir(exist_ok=True)
    (folder / ".slicer-cache").touch()
    return folder


def create_headless_scene() -> slicer.vtkMRMLScene:
    """Create an empty scene with the application, segmentations, markups and tables logics registered.

    Returns
    -------
    vtkMRMLScene
        Ready for :mod:`calcification.logic` calls; ``segmentations_logic_for(scene)`` returns its segmentations
        logic.
    """
    scene = slicer.vtkMRMLScene()
    # Reading a .mrb unpacks it through the scene's data I/O manager, which needs a cache folder.
    cache_manager = slicer.vtkCacheManager()
    cache_manager.SetRemoteCacheDirectory(str(_cache_directory()))
    data_io_manager = slicer.vtkDataIOManager()
    data_io_manager.SetCacheManager(cache_manager)
    scene.SetCacheManager(cache_manager)
    scene.SetDataIOManager(data_io_manager)
    application_logic = slicer.vtkSlicerApplicationLogic()
    application_logic.SetMRMLScene(scene)
    logics = {"application": application_logic, "cache": cache_manager, "data_io": data_io_manager}
    for name, cls in (
        ("segmentations", slicer.vtkSlicerSegmentationsModuleLogic),
        ("markups", slicer.vtkSlicerMarkupsLogic),
        ("tables", slicer.vtkSlicerTablesLogic),
        ("volumes", slicer.vtkSlicerVolumesLogic),
    ):
        logic = cls()
        logic.SetMRMLApplicationLogic(application_logic)
        logic.SetMRMLScene(scene)  # registers the node classes and storage nodes this module brings
        logics[name] = logic
    _SCENE_LOGICS[scene] = logics
    return scene


def segmentations_logic_for(scene: slicer.vtkMRMLScene) -> slicer.vtkSlicerSegmentationsModuleLogic:
    """The segmentations logic bound to ``scene``; one is created and bound when the scene has none from here
    (e.g. ``slicer.mrmlScene`` inside Slicer, where binding a second instance is harmless)."""
    logics = _SCENE_LOGICS.setdefault(scene, {})
    if "segmentations" not in logics:
        logic = slicer.vtkSlicerSegmentationsModuleLogic()
        logic.SetMRMLScene(scene)
        logics["segmentations"] = logic
    return logics["segmentations"]
