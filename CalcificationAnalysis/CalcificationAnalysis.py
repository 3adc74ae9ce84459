"""CalcificationAnalysis: find, outline and measure breast calcifications on a mammogram in 3D Slicer.

This file is the thin Slicer-facing layer (Slicer's camelCase rule applies here): the module description, the
parameter node, the widget (reads the parameter node, calls the logic inside an error display, shows progress) and
the self-test. Every algorithm lives in the ``calcification`` package beside this file, which runs unchanged
without Slicer (see README.md, "Batch mode").
"""

import logging
import os

import slicer
import vtk
from slicer import vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode
from slicer.parameterNodeWrapper import parameterNodeWrapper
from slicer.ScriptedLoadableModule import (
    ScriptedLoadableModule,
    ScriptedLoadableModuleLogic,
    ScriptedLoadableModuleTest,
    ScriptedLoadableModuleWidget,
)
from slicer.util import VTKObservationMixin

#
# CalcificationAnalysis
#


class CalcificationAnalysis(ScriptedLoadableModule):
    """Module description shown in Slicer's module list and help panel."""

    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = "Calcification Analysis"
        self.parent.categories = ["Quantification"]
        self.parent.dependencies = ["Segmentations"]
        self.parent.contributors = ["CalcificationAnalysis developers"]
        self.parent.helpText = """
Find, outline and measure breast calcifications on a 2D mammogram. Select the mammogram volume (DICOM loaded
through the DICOM module, PNG, TIFF or NRRD), choose a method and press <b>Segment</b>: the calcifications are added
as a "Calcification" segment of a segmentation node. Hessian-DoG is a non-learned blob detector (Marasinou et al.
2023) that needs no trained model. Research use only; not a medical device.
See <a href="https://github.com/calcification-analysis/SlicerCalcificationAnalysis">the project page</a>.
"""
        self.parent.acknowledgementText = """
Methods from Tong et al., Front. Oncol. 2024 (Pro_UNeXt); Marasinou et al. 2023 (Hessian-DoG);
Terrassin et al., SPIE 2024 (synthetic calcifications); Hossain 2019 (breast and pectoral masking);
Lin et al. 2023 (breast-level aggregation).
"""


#
# Parameter node
#


@parameterNodeWrapper
class CalcificationAnalysisParameterNode:
    """Panel state, saved with the scene.

    inputVolume: the mammogram (a single-slice scalar volume).
    outputSegmentation: where the "Calcification" segment goes; created on demand when empty.
    method: segmentation method name understood by the logic ("hdog").
    """

    inputVolume: vtkMRMLScalarVolumeNode
    outputSegmentation: vtkMRMLSegmentationNode
    method: str = "hdog"


#
# Widget
#


class CalcificationAnalysisWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
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
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/CalcificationAnalysis.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)

        self.logic = CalcificationAnalysisLogic()
        self.ui.methodComboBox.clear()
        for methodName, methodLabel in self.logic.availableMethods():
            self.ui.methodComboBox.addItem(methodLabel, methodName)

        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.ui.segmentButton.connect("clicked(bool)", self.onSegmentButton)
        self.ui.cancelButton.connect("clicked(bool)", self.onCancelButton)
        self.ui.methodComboBox.connect("currentIndexChanged(int)", self.onMethodChanged)
        self.initializeParameterNode()

    def cleanup(self) -> None:
        self.removeObservers()

    def enter(self) -> None:
        self.initializeParameterNode()

    def exit(self) -> None:
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self._parameterNodeGuiTag = None
            self.removeObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self._updateButtons)

    def onSceneStartClose(self, caller, event) -> None:
        self.setParameterNode(None)

    def onSceneEndClose(self, caller, event) -> None:
        if self.parent.isEntered:
            self.initializeParameterNode()

    def initializeParameterNode(self) -> None:
        self.setParameterNode(self.logic.getParameterNode())
        if not self._parameterNode.inputVolume:
            firstVolumeNode = slicer.mrmlScene.GetFirstNodeByClass("vtkMRMLScalarVolumeNode")
            if firstVolumeNode:
                self._parameterNode.inputVolume = firstVolumeNode

    def setParameterNode(self, inputParameterNode) -> None:
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self.removeObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self._updateButtons)
        self._parameterNode = inputParameterNode
        if self._parameterNode:
            # Binds inputVolumeSelector / outputSegmentationSelector through their SlicerParameterName property.
            self._parameterNodeGuiTag = self._parameterNode.connectGui(self.ui)
            self.addObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self._updateButtons)
            index = self.ui.methodComboBox.findData(self._parameterNode.method)
            if index >= 0:
                self.ui.methodComboBox.setCurrentIndex(index)
            self._updateButtons()

    def onMethodChanged(self, index: int) -> None:
        if self._parameterNode and index >= 0:
            self._parameterNode.method = self.ui.methodComboBox.itemData(index)

    def _updateButtons(self, caller=None, event=None) -> None:
        hasInput = bool(self._parameterNode and self._parameterNode.inputVolume)
        self.ui.segmentButton.enabled = hasInput
        self.ui.segmentButton.toolTip = "Segment calcifications" if hasInput else "Select a mammogram volume first"

    def onCancelButton(self) -> None:
        self._cancelRequested = True

    def _progress(self, fraction: float, message: str) -> bool:
        """Progress callback handed to the logic: updates the bar, keeps the GUI alive, reports Cancel."""
        self.ui.progressBar.value = int(round(100 * fraction))
        self.ui.statusLabel.text = message
        slicer.app.processEvents()
        return not self._cancelRequested

    def onSegmentButton(self) -> None:
        if not self.logic.ensureDependencies():
            return
        self._cancelRequested = False
        self.ui.cancelButton.enabled = True
        self.ui.segmentButton.enabled = False
        try:
            with slicer.util.tryWithErrorDisplay("Calcification segmentation failed.", waitCursor=True):
                segmentationNode = self.logic.segment(
                    self._parameterNode.inputVolume,
                    self._parameterNode.outputSegmentation,
                    method=self._parameterNode.method,
                    progress=self._progress,
                )
                self._parameterNode.outputSegmentation = segmentationNode
                self.ui.statusLabel.text = self.logic.lastSummary
        finally:
            self.ui.cancelButton.enabled = False
            self._updateButtons()


#
# Logic
#


class CalcificationAnalysisLogic(ScriptedLoadableModuleLogic):
    """Slicer adapter of the ``calcification`` logic layer: the same calls work from Slicer's Python console.

    Example (Python console)::

        logic = slicer.util.getModuleLogic("CalcificationAnalysis")
        segmentationNode = logic.segment(slicer.util.getNode("mammogram"))
    """

    def __init__(self) -> None:
        ScriptedLoadableModuleLogic.__init__(self)
        self.lastSummary = ""
        self.lastResult = None

    def getParameterNode(self):
        return CalcificationAnalysisParameterNode(super().getParameterNode())

    @staticmethod
    def availableMethods():
        """(name, label) of each segmentation method the panel offers."""
        return [("hdog", "Hessian-DoG blob detector (no model needed)")]

    @staticmethod
    def ensureDependencies(askUser: bool = True) -> bool:
        """Install the Python packages the library needs, after asking the user; True when all are present."""
        from calcification.slicer_support.python_dependencies import REQUIREMENTS_FILE, missing_distributions

        missing = missing_distributions()
        if not missing:
            return True
        message = "CalcificationAnalysis needs these Python packages, which are not installed yet:\n\n"
        message += "\n".join(missing) + "\n\nInstall them now? This can take a few minutes."
        if askUser and not slicer.util.confirmOkCancelDisplay(message, "Install Python packages"):
            return False
        with slicer.util.WaitCursor():
            slicer.util.pip_install(["-r", os.fspath(REQUIREMENTS_FILE)])
        return not missing_distributions()

    def segment(self, volumeNode, segmentationNode=None, method: str = "hdog", progress=None):
        """Segment calcifications of ``volumeNode`` into the "Calcification" segment of ``segmentationNode``.

        A new segmentation node is created when ``segmentationNode`` is None. Returns the segmentation node.
        Raises ``calcification.core.errors.InputError`` with a readable message on unusable input; on error or
        cancellation the scene is left as it was.
        """
        from calcification.logic.segmentation_workflow import segment_volume_node

        result = segment_volume_node(
            slicer.mrmlScene, volumeNode, segmentation_node=segmentationNode, method=method, progress=progress
        )
        self.lastResult = result
        self.lastSummary = result.summary
        logging.info(result.summary)
        return result.segmentation_node


#
# Test
#


class CalcificationAnalysisTest(ScriptedLoadableModuleTest):
    """Self-test run inside Slicer (Developer mode > Reload and Test, or ctest with Slicer)."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_segmentSyntheticCase()

    def test_segmentSyntheticCase(self):
        """A synthetic crop with known calcifications: the Hessian-DoG segment overlaps most of them."""
        from calcification.core.synthetic import SynthesisConfig, generate_case
        from calcification.logic.volume_nodes import volume_node_from_mammogram

        self.delayDisplay("Creating a synthetic mammogram crop with known calcifications")
        case = generate_case(SynthesisConfig(shape=(512, 512), crop=True), seed=7, index=0)
        volumeNode = volume_node_from_mammogram(slicer.mrmlScene, case.mammogram, name="synthetic")

        logic = CalcificationAnalysisLogic()
        segmentationNode = logic.segment(volumeNode, method="hdog")
        segmentId = segmentationNode.GetSegmentation().GetSegmentIdBySegmentName("Calcification")
        self.assertTrue(segmentId)
        self.assertGreater(logic.lastResult.calcification_count, 0)
        self.delayDisplay(f"Test passed: {logic.lastSummary}")
