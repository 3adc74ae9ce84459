"""CalcificationTraining: prepare data for, train and evaluate the calcification models in 3D Slicer.

Thin Slicer-facing layer (camelCase, Slicer's rule): module description, parameter node, widget and self-test.
The work is done by the ``calcification`` package that the CalcificationAnalysis module provides, so every action
here is also one call from Slicer's Python console and from the ``calcification`` command.

Available so far: synthetic training cases with exact masks (Terrassin et al., SPIE 2024), written in the form the
training pipeline reads (NRRD image, ``.seg.nrrd`` segmentation, ``cases.csv`` labels, optional ``.mrb`` scenes).
"""

import logging
import os
from typing import Annotated

import slicer
import vtk
from slicer.parameterNodeWrapper import WithinRange, parameterNodeWrapper
from slicer.ScriptedLoadableModule import (
    ScriptedLoadableModule,
    ScriptedLoadableModuleLogic,
    ScriptedLoadableModuleTest,
    ScriptedLoadableModuleWidget,
)
from slicer.util import VTKObservationMixin


class CalcificationTraining(ScriptedLoadableModule):
    """Module description shown in Slicer's module list and help panel."""

    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = "Calcification Training"
        self.parent.categories = ["Quantification"]
        self.parent.dependencies = ["CalcificationAnalysis"]
        self.parent.contributors = ["CalcificationAnalysis developers"]
        self.parent.helpText = """
Prepare training data for the calcification segmentation network and classifier. <b>Synthetic cases</b> writes
seeded synthetic mammograms with exact calcification masks and benign/malignant labels into a folder, for
pre-training when few pixel-level annotations exist. Research use only.
"""
        self.parent.acknowledgementText = """
Synthetic calcifications after Terrassin et al., SPIE Medical Imaging 2024.
"""


@parameterNodeWrapper
class CalcificationTrainingParameterNode:
    """Panel state, saved with the scene.

    outputDirectory: folder that receives the synthetic cases.
    numberOfCases: how many cases to write.
    seed: series seed; the same seed writes the same files.
    writeScenes: also write one annotated .mrb scene per case.
    """

    outputDirectory: str = ""
    numberOfCases: Annotated[int, WithinRange(1, 100000)] = 20
    seed: Annotated[int, WithinRange(0, 2**31 - 1)] = 0
    writeScenes: bool = False


class CalcificationTrainingWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
    """The module panel: binds the .ui widgets to the parameter node and calls the logic."""

    def __init__(self, parent=None) -> None:
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None
        self._parameterNode = None
        self._parameterNodeGuiTag = None
        self._cancelRequested = False

    def setup(self) -> None:
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/CalcificationTraining.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = CalcificationTrainingLogic()

        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.ui.outputDirectoryButton.connect("directoryChanged(QString)", self.onOutputDirectoryChanged)
        self.ui.generateButton.connect("clicked(bool)", self.onGenerateButton)
        self.ui.cancelButton.connect("clicked(bool)", self.onCancelButton)
        self.initializeParameterNode()

    def cleanup(self) -> None:
        self.removeObservers()

    def enter(self) -> None:
        self.initializeParameterNode()

    def exit(self) -> None:
        self.setParameterNode(None)

    def onSceneStartClose(self, caller, event) -> None:
        self.setParameterNode(None)

    def onSceneEndClose(self, caller, event) -> None:
        if self.parent.isEntered:
            self.initializeParameterNode()

    def initializeParameterNode(self) -> None:
        self.setParameterNode(self.logic.getParameterNode())

    def setParameterNode(self, inputParameterNode) -> None:
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self.removeObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self._updateButtons)
        self._parameterNode = inputParameterNode
        if self._parameterNode:
            self._parameterNodeGuiTag = self._parameterNode.connectGui(self.ui)
            self.addObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self._updateButtons)
            self.ui.outputDirectoryButton.directory = self._parameterNode.outputDirectory or os.path.expanduser("~")
            self._updateButtons()

    def onOutputDirectoryChanged(self, directory: str) -> None:
        if self._parameterNode:
            self._parameterNode.outputDirectory = directory

    def _updateButtons(self, caller=None, event=None) -> None:
        ready = bool(self._parameterNode and self._parameterNode.outputDirectory)
        self.ui.generateButton.enabled = ready
        self.ui.generateButton.toolTip = "Write synthetic cases" if ready else "Choose an output folder first"

    def onCancelButton(self) -> None:
        self._cancelRequested = True

    def _progress(self, fraction: float, message: str) -> bool:
        self.ui.progressBar.value = int(round(100 * fraction))
        self.ui.statusLabel.text = message
        slicer.app.processEvents()
        return not self._cancelRequested

    def onGenerateButton(self) -> None:
        from CalcificationAnalysis import CalcificationAnalysisLogic

        if not CalcificationAnalysisLogic.ensureDependencies():
            return
        self._cancelRequested = False
        self.ui.cancelButton.enabled = True
        self.ui.generateButton.enabled = False
        try:
            with slicer.util.tryWithErrorDisplay("Writing synthetic cases failed.", waitCursor=True):
                summary = self.logic.generateSyntheticCases(
                    self._parameterNode.outputDirectory,
                    self._parameterNode.numberOfCases,
                    seed=self._parameterNode.seed,
                    writeScenes=self._parameterNode.writeScenes,
                    progress=self._progress,
                )
                self.ui.statusLabel.text = summary
        finally:
            self.ui.cancelButton.enabled = False
            self._updateButtons()


class CalcificationTrainingLogic(ScriptedLoadableModuleLogic):
    """Slicer adapter of the ``calcification`` training logic; the same calls work from the Python console.

    Example::

        logic = slicer.util.getModuleLogic("CalcificationTraining")
        logic.generateSyntheticCases("/data/synthetic", 100, seed=1)
    """

    def getParameterNode(self):
        return CalcificationTrainingParameterNode(super().getParameterNode())

    def generateSyntheticCases(
        self, outputDirectory, numberOfCases, seed=0, writeScenes=False, backgroundVolumeNode=None, progress=None
    ):
        """Write ``numberOfCases`` synthetic cases into ``outputDirectory``; returns a one-line summary.

        With ``backgroundVolumeNode`` (a normal mammogram loaded in Slicer), synthetic calcifications are blended
        into that real image instead of a synthetic background.
        """
        from calcification.logic.synthetic_dataset import write_synthetic_dataset
        from calcification.logic.volume_nodes import mammogram_from_volume_node

        background = mammogram_from_volume_node(backgroundVolumeNode) if backgroundVolumeNode else None
        written = write_synthetic_dataset(
            outputDirectory,
            numberOfCases,
            seed=seed,
            write_scenes=writeScenes,
            background=background,
            progress=progress,
        )
        summary = f"Wrote {len(written.cases)} synthetic cases to {outputDirectory}"
        logging.info(summary)
        return summary


class CalcificationTrainingTest(ScriptedLoadableModuleTest):
    """Self-test run inside Slicer."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_generateSyntheticCases()

    def test_generateSyntheticCases(self):
        """Two small synthetic cases are written with their images, segmentations and labels."""
        import tempfile

        with tempfile.TemporaryDirectory() as outputDirectory:
            summary = CalcificationTrainingLogic().generateSyntheticCases(outputDirectory, 2, seed=3)
            self.assertIn("2 synthetic cases", summary)
            names = sorted(os.listdir(outputDirectory))
            self.assertIn("cases.csv", names)
            self.assertEqual(len([n for n in names if n.endswith(".seg.nrrd")]), 2)
        self.delayDisplay("Test passed")
