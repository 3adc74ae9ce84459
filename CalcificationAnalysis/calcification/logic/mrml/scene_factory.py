"""A headless MRML scene that can hold volumes, segmentations, tables and markups, and read and write them.

Inside Slicer, pass ``slicer.mrmlScene`` to the logic functions instead: the application has registered all of this
already, and the Slicer module hands its own logics over with :func:`use_application_logic`. Outside Slicer
(``slicer-core``) the module logics must be created, bound to the scene and registered with an application logic by
hand, and kept alive as long as the scene: they are stored in a registry keyed (weakly) by the scene object, the way
trame-slicer's ``SlicerApp`` keeps them on the application object. The segmentations logic is the exception: one
per process serves every scene (the application's inside Slicer), because each one bound to a scene adds converter
rules to a process-wide factory.

The Terminologies logic is deliberately not created: ``slicer-core`` ships none of its JSON lists, so it only logs
load errors, and nothing here needs it (segment terminology entries are plain strings, see
:mod:`calcification.logic.mrml.segmentation_nodes`).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Optional

from .mrml_imports import slicer

#: scene -> the logic objects bound to it (kept alive with the scene; dropped when the scene is collected).
_SCENE_LOGICS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

#: The one segmentations logic of this process, and the private empty scene it is bound to when this layer made it.
#: Every ``vtkSlicerSegmentationsModuleLogic`` bound to a scene appends four converter rules to the process-wide
#: ``vtkSegmentationConverterFactory`` (``RegisterNodes``, Modules/Loadable/Segmentations/Logic/
#: vtkSlicerSegmentationsModuleLogic.cxx, v5.10.0 lines 140-157), so a logic per scene made the list grow with every
#: image of a batch. Inside Slicer it is the application's (:func:`use_application_logic`).
_PROCESS_SEGMENTATIONS: dict = {}

#: (name the application logic knows it by, class name in ``slicer``); names as in Slicer, so a logic that asks the
#: application logic for another one (``GetModuleLogic("Segmentations")``) finds it.
_MODULE_LOGICS = (
    ("Segmentations", "vtkSlicerSegmentationsModuleLogic"),
    ("Markups", "vtkSlicerMarkupsLogic"),
    ("Tables", "vtkSlicerTablesLogic"),
    ("Volumes", "vtkSlicerVolumesLogic"),
)


_PRIVATE_CACHE: Optional[Path] = None


def _cache_directory() -> Path:
    """This process's private cache folder for MRML (with the sentinel file Slicer's cache manager expects).

    Made with ``mkdtemp`` (mode 0700, unpredictable name) in the temporary folder and removed at exit: a fixed shared
    path would fail for a second user on the machine, could be planted by another user, and two runs packing bundles
    of one name would share its sub-folders.
    """
    global _PRIVATE_CACHE
    if _PRIVATE_CACHE is None or not _PRIVATE_CACHE.is_dir():
        _PRIVATE_CACHE = Path(tempfile.mkdtemp(prefix="calcification-mrml-cache-"))
        (_PRIVATE_CACHE / ".slicer-cache").touch()
        atexit.register(shutil.rmtree, _PRIVATE_CACHE, True)
    return _PRIVATE_CACHE


def create_headless_scene() -> slicer.vtkMRMLScene:
    """Create an empty scene with the application, segmentations, markups, tables and volumes logics registered.

    The scene also gets a data I/O manager with a private cache folder (see :func:`_cache_directory`), which
    ``vtkMRMLScene.WriteToMRB`` / ``ReadFromMRB`` use to pack and unpack bundles.

    Returns
    -------
    vtkMRMLScene
        Ready for :mod:`calcification.logic` calls; ``segmentations_logic_for(scene)`` returns its segmentations
        logic. Release it with ``scene.Clear(1)`` when done with a large scene.
    """
    scene = slicer.vtkMRMLScene()
    cache_manager = slicer.vtkCacheManager()
    cache_manager.SetRemoteCacheDirectory(str(_cache_directory()))
    data_io_manager = slicer.vtkDataIOManager()
    data_io_manager.SetCacheManager(cache_manager)
    scene.SetCacheManager(cache_manager)
    scene.SetDataIOManager(data_io_manager)
    application_logic = slicer.vtkSlicerApplicationLogic()
    application_logic.SetMRMLScene(scene)
    logics = {"application": application_logic, "cache": cache_manager, "data_io": data_io_manager}
    for name, class_name in _MODULE_LOGICS:
        if name == "Segmentations":
            logic = _shared_segmentations_logic(scene)
            application_logic.SetModuleLogic(name, logic)
            logics[name.lower()] = logic
            continue
        logic = getattr(slicer, class_name)()
        logic.SetMRMLApplicationLogic(application_logic)
        # Registers the node classes, storage nodes and (segmentations) converter rules the module brings; without
        # it segments cannot be converted or added.
        logic.SetMRMLScene(scene)
        application_logic.SetModuleLogic(name, logic)
        logics[name.lower()] = logic
    _SCENE_LOGICS[scene] = logics
    return scene


def _shared_segmentations_logic(scene: slicer.vtkMRMLScene):
    """The process's one segmentations logic, with ``scene`` given what binding a new one to it would register.

    Binding registers the converter rules (process-wide, once is enough) and the ``vtkMRMLSegmentEditorNode`` class
    (per scene: done here); the logic's scene observations only serve subject-hierarchy DICOM UIDs, which headless
    scenes do not use. Made on first use, bound to a private empty scene, unless the application's was handed over.
    """
    if "logic" not in _PROCESS_SEGMENTATIONS:
        own_scene = slicer.vtkMRMLScene()
        logic = slicer.vtkSlicerSegmentationsModuleLogic()
        logic.SetMRMLScene(own_scene)
        _PROCESS_SEGMENTATIONS.update(logic=logic, scene=own_scene)
    if not scene.IsNodeClassRegistered("vtkMRMLSegmentEditorNode"):
        scene.RegisterNodeClass(slicer.vtkMRMLSegmentEditorNode())
    return _PROCESS_SEGMENTATIONS["logic"]


def use_application_logic(scene: slicer.vtkMRMLScene, name: str, logic) -> None:
    """Make ``logic`` the module logic ``name`` (e.g. ``"Segmentations"``) that this layer uses for ``scene``.

    The Slicer module calls this with the application's own logics (``slicer.modules.segmentations.logic()`` for
    ``slicer.mrmlScene``), which this layer may not fetch itself. Without it a second logic would be created: bound
    to the application's scene, it re-registers the node classes (warnings in the log) and appends duplicate rules
    to the global segmentation converter factory. The segmentations logic handed over this way also serves every
    headless scene made afterwards in the process (:func:`create_headless_scene`), so none adds converter rules.
    """
    _SCENE_LOGICS.setdefault(scene, {})[name.lower()] = logic
    if name == "Segmentations":
        _PROCESS_SEGMENTATIONS.clear()
        _PROCESS_SEGMENTATIONS["logic"] = logic


def segmentations_logic_for(scene: slicer.vtkMRMLScene) -> slicer.vtkSlicerSegmentationsModuleLogic:
    """The segmentations logic bound to ``scene``.

    For a scene given a logic with :func:`use_application_logic` (inside Slicer, the application's), that one; for
    any other scene (from :func:`create_headless_scene`, or a plain ``vtkMRMLScene`` made by a script) the process's
    one segmentations logic (the application's inside Slicer), with the scene's node classes registered.

    Returns
    -------
    vtkSlicerSegmentationsModuleLogic
    """
    logics = _SCENE_LOGICS.setdefault(scene, {})
    if "segmentations" not in logics:
        logics["segmentations"] = _shared_segmentations_logic(scene)
    return logics["segmentations"]
