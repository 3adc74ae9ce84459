"""One segmentations logic per process: headless scenes (one per image of a batch, also inside Slicer) add no
converter rules to the process-wide ``vtkSegmentationConverterFactory`` (each ``vtkSlicerSegmentationsModuleLogic``
bound to a scene registers four, Slicer v5.10.0 vtkSlicerSegmentationsModuleLogic.cxx ``RegisterNodes``). Inside
Slicer the application's logic, handed over with ``use_application_logic``, serves them all."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np

from calcification.logic.mrml.mrml_imports import slicer, vtk
from calcification.logic.mrml.scene_factory import create_headless_scene, segmentations_logic_for
from calcification.logic.mrml.segmentation_nodes import (
    CALCIFICATION_SEGMENT_ID,
    create_calcification_segmentation,
    segment_mask,
    set_segment_mask,
)


def _rule_count() -> int:
    return len(slicer.vtkSegmentationConverterFactory.GetInstance().GetConverterRules())


def _segment_round_trip(scene) -> bool:
    volume = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode")
    image = vtk.vtkImageData()
    image.SetDimensions(8, 6, 1)
    image.AllocateScalars(vtk.VTK_UNSIGNED_CHAR, 1)
    volume.SetAndObserveImageData(image)
    segmentation = create_calcification_segmentation(scene, volume)
    mask = np.zeros((6, 8), bool)
    mask[2:4, 3:6] = True
    set_segment_mask(segmentation, CALCIFICATION_SEGMENT_ID, mask, volume)
    return bool(np.array_equal(segment_mask(segmentation, CALCIFICATION_SEGMENT_ID, volume), mask))


def test_headless_scenes_share_one_logic_and_add_no_converter_rules():
    first = create_headless_scene()
    rules = _rule_count()
    scenes = [create_headless_scene() for _ in range(5)]
    plain = slicer.vtkMRMLScene()  # a script's own scene
    assert all(segmentations_logic_for(scene) is segmentations_logic_for(first) for scene in [*scenes, plain])
    assert all(_segment_round_trip(scene) for scene in [*scenes, plain])
    assert _rule_count() == rules
    assert scenes[0].CreateNodeByClass("vtkMRMLSegmentEditorNode") is not None  # what binding used to register


def test_inside_slicer_every_headless_scene_uses_the_applications_logic(tmp_path):
    """As the Slicer module does at start: the application's scene and segmentations logic (bound to it, as Slicer
    binds it) are handed over; then the library makes headless scenes, as analyze_files does for every image."""
    script = textwrap.dedent(
        """
        import json
        import slicer
        from calcification.logic.mrml.scene_factory import (create_headless_scene, segmentations_logic_for,
                                                            use_application_logic)
        rules = lambda: len(slicer.vtkSegmentationConverterFactory.GetInstance().GetConverterRules())
        application_scene = slicer.vtkMRMLScene()
        application_logic = slicer.vtkSlicerSegmentationsModuleLogic()
        application_logic.SetMRMLScene(application_scene)
        use_application_logic(application_scene, "Segmentations", application_logic)
        before = rules()
        scenes = [create_headless_scene() for _ in range(4)]
        shared = [segmentations_logic_for(scene) is application_logic for scene in [application_scene, *scenes]]
        print(json.dumps({"before": before, "after": rules(), "shared": shared}))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["before"] == 4 and result["after"] == 4
    assert result["shared"] == [True] * 5
