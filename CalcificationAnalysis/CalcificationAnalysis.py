"""CalcificationAnalysis: find, outline, measure and judge breast calcifications on a mammogram in 3D Slicer.

This file is the thin Slicer-facing layer (Slicer's camelCase rule applies here): the module description, the
parameter node, the widget (reads the parameter node, calls the logic inside an error display, shows progress) and
the self-test. Every algorithm lives in the ``calcification`` package beside this file, which runs unchanged
without Slicer (see README.md, "Batch mode"); the Logic class below is the console-friendly adapter to it.
"""

import logging
import os
import pathlib
import time
from typing import Annotated

import qt
import slicer
import vtk
from slicer import vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode
from slicer.i18n import tr as _
from slicer.i18n import translate
from slicer.parameterNodeWrapper import Choice, Default, FloatRange, RangeBounds, WithinRange, parameterNodeWrapper
from slicer.ScriptedLoadableModule import (
    ScriptedLoadableModule,
    ScriptedLoadableModuleLogic,
    ScriptedLoadableModuleTest,
    ScriptedLoadableModuleWidget,
)
from slicer.util import VTKObservationMixin

#: Oldest supported Slicer (Python 3.12, ``vtkSegment.SetTerminology``); README.md "Adding the extension to 3D Slicer".
MINIMUM_SLICER_VERSION = (5, 10)
#: Name of the Segment Editor effect this module registers (SegmentEditorCalcificationTraceLib).
TRACE_EFFECT_NAME = "Calcification trace"
#: Outer bounds of the density range widget: signed and unsigned 16-bit mammograms (and normalised float images).
#: Slicer's range-widget connector needs them (RangeBounds); the widget then narrows to the volume's own range.
INTENSITY_BOUNDS = (-32768.0, 65535.0)

#
# CalcificationAnalysis
#


class CalcificationAnalysis(ScriptedLoadableModule):
    """Module description shown in Slicer's module list and help panel; registers the Segment Editor effect."""

    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("Calcification Analysis")
        self.parent.categories = [translate("qSlicerAbstractCoreModule", "Quantification")]
        self.parent.dependencies = ["Segmentations", "SegmentEditor"]
        self.parent.contributors = ["CalcificationAnalysis developers"]
        self.parent.helpText = _("""
Find, outline, measure and judge breast calcifications on a 2D mammogram.
<b>Annotate</b>: set the density range and click calcifications (Segment Editor effect "Calcification trace"), or
review detector candidates. <b>Segment</b>: one click runs the Pro_UNeXt network (or the Hessian-DoG detector).
<b>Results</b>: per-calcification, per-cluster and image-level features and a benign/malignant probability.
Research use only; not a medical device. Models trained on synthetic data are marked as such.
See <a href="https://github.com/calcification-analysis/SlicerCalcificationAnalysis">the project page</a>.
""")
        self.parent.acknowledgementText = _("""
Methods from Tong et al., Front. Oncol. 2024 (Pro_UNeXt); Marasinou et al. 2023 (Hessian-DoG);
Terrassin et al., SPIE 2024 (synthetic calcifications); Hossain 2019 (breast and pectoral masking);
Lin et al. 2023 (breast-level aggregation).
""")
        if (slicer.app.majorVersion, slicer.app.minorVersion) < MINIMUM_SLICER_VERSION:
            minimum = ".".join(str(part) for part in MINIMUM_SLICER_VERSION)
            logging.error(
                f"Calcification Analysis needs 3D Slicer {minimum} or later; this is "
                f"{slicer.app.applicationVersion}. Install a newer Slicer."
            )
        slicer.app.connect("startupCompleted()", registerCalcificationTraceEffect)
        slicer.app.connect("startupCompleted()", registerSampleData)


def registerCalcificationTraceEffect():
    """Register the "Calcification trace" Segment Editor effect (Slicer's scripted-effect registration)."""
    import qSlicerSegmentationsEditorEffectsPythonQt as qSlicerSegmentationsEditorEffects

    effect = qSlicerSegmentationsEditorEffects.qSlicerSegmentEditorScriptedEffect(None)
    effectFile = os.path.join(os.path.dirname(__file__), "SegmentEditorCalcificationTraceLib", "SegmentEditorEffect.py")
    effect.setPythonSource(effectFile.replace("\\", "/"))
    effect.self().register()


def registerSampleData():
    """Register the synthetic sample mammogram (and its ground-truth segmentation) in the Sample Data module.

    Runs at startup, so it imports nothing outside what Slicer bundles. The arguments come from
    ``sample_source_arguments``, in the form Slicer's ``SampleDataSource`` constructor accepts also before the files
    exist. When they were written before, they are registered with their SHA-256 checksums (Sample Data verifies
    them before loading). Otherwise the entry also gets a custom downloader: clicking it asks to install the packages
    the data engine needs, writes the files (about a second) and loads them (``CalcificationAnalysisLogic.loadSample``).
    """
    import SampleData

    from calcification.logic.workflows.sample_data import SAMPLE_NAME, existing_sample_files, sample_source_arguments

    thumbnail = os.path.join(os.path.dirname(__file__), "Resources", "Icons", "CalcificationAnalysis.png")
    sample = existing_sample_files()
    arguments = sample_source_arguments(sample)
    if sample is None:
        arguments["customDownloader"] = lambda source: CalcificationAnalysisLogic().loadSample()
    SampleData.SampleDataLogic.registerCustomSampleDataSource(
        category=_("Calcification"), sampleName=SAMPLE_NAME, thumbnailFileName=thumbnail, **arguments
    )


def methodLabels():
    """The panel's wording of each built-in segmentation method, by registry name, through Slicer's translation
    function (``_`` takes literals only, so the registry's labels are repeated here; a test keeps them equal to the
    registry's, their one owner). A method an extension registers later shows the registry's label."""
    return {
        "network": _("Trained network ensemble: Pro_UNeXt (Tong et al. 2024) or another trained model"),
        "hdog_filtered": _(
            "Hessian-DoG candidates judged by a filter trained on real mammograms (Marasinou et al. 2023)"
        ),
        "hdog": _("Hessian-DoG blob detector (Marasinou et al. 2023), no trained model"),
    }


#
# Parameter node
#


@parameterNodeWrapper
class CalcificationAnalysisParameterNode:
    """Panel state, saved with the scene.

    inputVolume: the mammogram (a single-slice scalar volume).
    outputSegmentation: where the "Calcification" segment goes; created on demand when empty.
    intensityRange: editable density range for annotation, in image units.
    method / model / classifier: names understood by the logic (set by the widget from its combo boxes).
    device: auto, cpu or cuda (CPU is used, with a message, when CUDA is missing or out of memory).
    threshold: probability threshold of network methods.
    exportFolder: where tables and the report are written.
    priorVolume: optional earlier exam of the same breast and view, compared with inputVolume.
    forcePair: compare even when the DICOM tags cannot confirm a pair (files without tags, e.g. NRRD or PNG).
    """

    inputVolume: vtkMRMLScalarVolumeNode
    outputSegmentation: vtkMRMLSegmentationNode
    # Slicer's range-widget connector needs RangeBounds, and a Default annotation (not "= value") because it checks
    # the bounds against 0 otherwise (guiConnectors.py); Testing/Python/test_parameter_node_conformance.py.
    intensityRange: Annotated[FloatRange, RangeBounds(*INTENSITY_BOUNDS), Default(FloatRange(0.0, 1.0))]
    # The library is not importable when this class is defined (its packages may be missing), so the default is a
    # literal; Testing/Python/test_slicer_module_files.py keeps it equal to the registry's DEFAULT_METHOD.
    method: str = "network"
    model: str = ""
    classifier: str = ""
    device: Annotated[str, Choice(["auto", "cpu", "cuda"])] = "auto"
    threshold: Annotated[float, WithinRange(0.05, 0.95)] = 0.5
    exportFolder: pathlib.Path = pathlib.Path.home()
    priorVolume: vtkMRMLScalarVolumeNode
    forcePair: bool = False


#
# Widget
#


class CalcificationAnalysisWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
    """The module panel: binds the .ui widgets to the parameter node and calls the logic.

    Creating and entering the panel imports only what Slicer bundles. The model and classifier lists (and every
    action) need the packages of ``requirements-slicer.txt``: when they are missing the panel opens anyway, asks once
    whether to install them and otherwise shows an Install button; after installing it continues without a restart.
    """

    RESULT_TABLES = [
        ("image", _("Image-level features")),
        ("calcifications", _("Calcifications")),
        ("clusters", _("Clusters")),
    ]

    def __init__(self, parent=None) -> None:
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None
        self._parameterNode = None
        self._parameterNodeGuiTag = None
        self._cancelRequested = False
        self._startTime = None
        self._libraryReady = False
        self._installOffered = False
        self._editorPresetKey = None
        self._rangeVolumeId = None

    def setup(self) -> None:
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/CalcificationAnalysis.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = CalcificationAnalysisLogic()

        # As Slicer's Segment Editor module sets up its editor (Modules/Scripted/SegmentEditor/SegmentEditor.py).
        self.ui.segmentEditorWidget.setMaximumNumberOfUndoStates(10)
        self.ui.segmentEditorWidget.setMRMLSegmentEditorNode(self.logic.segmentEditorNode())
        labels = methodLabels()
        for name, label in self.logic.availableMethods():
            self.ui.methodComboBox.addItem(labels.get(name, label), name)
        for key, label in self.RESULT_TABLES:
            self.ui.tableChoiceComboBox.addItem(label, key)
        self.ui.candidateTableWidget.setColumnCount(4)
        self.ui.candidateTableWidget.setHorizontalHeaderLabels(["#", _("Contrast"), _("Area (mm²)"), _("Decision")])

        # As SegmentEditor.py setup(): when this is the home module, the panel is built before startupCompleted
        # registers the "Calcification trace" effect; list every effect registered later in the embedded editor.
        self.effectFactorySingleton = slicer.qSlicerSegmentEditorEffectFactory.instance()
        self.effectFactorySingleton.connect("effectRegistered(QString)", self.onEditorEffectRegistered)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.ui.installDependenciesButton.connect("clicked(bool)", lambda: self.onInstallDependencies(askUser=False))
        self.ui.methodComboBox.connect("currentIndexChanged(int)", self.onMethodChanged)
        self.ui.modelComboBox.connect("currentIndexChanged(int)", self.onModelChanged)
        self.ui.classifierComboBox.connect("currentIndexChanged(int)", self.onClassifierChanged)
        self.ui.defaultIntensityRangeButton.connect("clicked(bool)", self.onDefaultIntensityRange)
        self.ui.intensityRangeWidget.connect("valuesChanged(double,double)", self.onIntensityRangeChanged)
        self.ui.startReviewButton.connect("clicked(bool)", self.onStartReview)
        self.ui.previousCandidateButton.connect("clicked(bool)", lambda: self.onMoveCandidate(-1))
        self.ui.nextCandidateButton.connect("clicked(bool)", lambda: self.onMoveCandidate(+1))
        self.ui.acceptCandidateButton.connect("clicked(bool)", lambda: self.onDecideCandidate(True))
        self.ui.rejectCandidateButton.connect("clicked(bool)", lambda: self.onDecideCandidate(False))
        self.ui.candidateTableWidget.connect("cellClicked(int,int)", self.onCandidateClicked)
        self.ui.segmentButton.connect("clicked(bool)", self.onSegmentButton)
        self.ui.cancelButton.connect("clicked(bool)", self.onCancelButton)
        self.ui.analyzeButton.connect("clicked(bool)", self.onAnalyzeButton)
        self.ui.tableChoiceComboBox.connect("currentIndexChanged(int)", self.onTableChoiceChanged)
        self.ui.resultsTableView.connect("clicked(QModelIndex)", self.onResultsRowClicked)
        self.ui.exportButton.connect("clicked(bool)", self.onExportButton)
        self.ui.compareButton.connect("clicked(bool)", self.onCompareButton)
        self.ui.changeTableView.connect("clicked(QModelIndex)", self.onChangeRowClicked)
        self._showLibraryState()
        self.initializeParameterNode()

    def cleanup(self) -> None:
        self.removeObservers()
        self.effectFactorySingleton.disconnect("effectRegistered(QString)", self.onEditorEffectRegistered)

    def onEditorEffectRegistered(self) -> None:
        """An effect was registered after the panel was built (SegmentEditor.py ``editorEffectRegistered``): list it,
        and select the trace effect again if the panel already pointed the editor at a volume."""
        editor = self.ui.segmentEditorWidget
        editor.updateEffectList()
        if self.parent.isEntered:
            editor.setMRMLSegmentEditorNode(self.logic.segmentEditorNode())
            editor.updateWidgetFromMRML()
            self._editorPresetKey = None  # the next preset selects the effect, which did not exist before
            if self._parameterNode:
                self._updateGui()

    def enter(self) -> None:
        editor = self.ui.segmentEditorWidget
        editor.installKeyboardShortcuts()  # Ctrl+Z / Ctrl+Y and the effect shortcuts, while this panel is shown
        editor.setMRMLSegmentEditorNode(self.logic.segmentEditorNode())
        editor.updateWidgetFromMRML()
        self.initializeParameterNode()
        if not self._libraryReady and not self._installOffered:
            self._installOffered = True
            qt.QTimer.singleShot(0, lambda: self.onInstallDependencies(askUser=True))  # after the panel is shown

    def exit(self) -> None:
        # As SegmentEditor.py exit(): the effect must stop taking clicks in the views once the panel is left.
        editor = self.ui.segmentEditorWidget
        editor.setActiveEffect(None)
        editor.uninstallKeyboardShortcuts()
        editor.removeViewObservations()
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self._parameterNodeGuiTag = None
            self.removeObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self._updateGui)

    def onSceneStartClose(self, caller, event) -> None:
        self.setParameterNode(None)
        self.ui.segmentEditorWidget.setSegmentationNode(None)
        self.ui.segmentEditorWidget.removeViewObservations()
        self._editorPresetKey = None

    def onSceneEndClose(self, caller, event) -> None:
        if self.parent.isEntered:
            self.ui.segmentEditorWidget.setMRMLSegmentEditorNode(self.logic.segmentEditorNode())
            self.ui.segmentEditorWidget.updateWidgetFromMRML()
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
            self.removeObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self._updateGui)
        self._parameterNode = inputParameterNode
        self._rangeVolumeId = None  # connectGui resets the range widget to INTENSITY_BOUNDS
        if self._parameterNode:
            # Binds the widgets that carry a SlicerParameterName property in the .ui file.
            self._parameterNodeGuiTag = self._parameterNode.connectGui(self.ui)
            self.addObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self._updateGui)
            self._selectComboBoxItems()
            self._updateGui()

    # First use ---------------------------------------------------------------------------------------------------

    def onInstallDependencies(self, askUser: bool) -> None:
        """Offer (or, from the Install button, start) the installation; continue in this session when done."""
        with slicer.util.tryWithErrorDisplay(_("Installing the Python packages failed."), waitCursor=True):
            if self.logic.ensureDependencies(askUser=askUser, needTorch=False):
                self._onLibraryReady()
        self._showLibraryState()

    def _showLibraryState(self) -> None:
        from calcification.slicer_support.python_dependencies import missing_requirements

        missing = missing_requirements()
        if self.logic.dependenciesPresent() and not self._libraryReady:
            self._onLibraryReady()
        self.ui.dependenciesFrame.visible = bool(missing)
        self.ui.dependenciesLabel.text = _(
            "Calcification Analysis needs Python packages that are not installed in Slicer yet: {packages}. Install "
            "them to use this module (a few minutes; no restart needed)."
        ).format(packages=", ".join(missing))
        for section in (
            "annotateCollapsibleButton",
            "segmentCollapsibleButton",
            "resultsCollapsibleButton",
            "compareCollapsibleButton",
        ):
            getattr(self.ui, section).enabled = not missing

    def _onLibraryReady(self) -> None:
        """Everything the library needs is importable: fill the lists that come from it."""
        self._libraryReady = True
        self._fillModelAndClassifierLists()
        self._selectComboBoxItems()
        if self._parameterNode:
            self._updateGui()

    # Lists and state ---------------------------------------------------------------------------------------------

    def _fillModelAndClassifierLists(self) -> None:
        self.ui.modelComboBox.clear()
        for name, label in self.logic.availableModels():
            self.ui.modelComboBox.addItem(label, name)
        self.ui.classifierComboBox.clear()
        for name, label in self.logic.availableClassifiers():
            self.ui.classifierComboBox.addItem(label, name)

    def _selectComboBoxItems(self) -> None:
        if not self._parameterNode:
            return
        for comboBox, value in (
            (self.ui.methodComboBox, self._parameterNode.method),
            (self.ui.modelComboBox, self._parameterNode.model),
            (self.ui.classifierComboBox, self._parameterNode.classifier),
        ):
            index = comboBox.findData(value)
            if index >= 0:
                comboBox.setCurrentIndex(index)

    def onMethodChanged(self, index: int) -> None:
        if self._parameterNode and index >= 0:
            self._parameterNode.method = self.ui.methodComboBox.itemData(index)

    def onModelChanged(self, index: int) -> None:
        if self._parameterNode and index >= 0:
            self._parameterNode.model = self.ui.modelComboBox.itemData(index)

    def onClassifierChanged(self, index: int) -> None:
        if self._parameterNode and index >= 0:
            self._parameterNode.classifier = self.ui.classifierComboBox.itemData(index)

    def _updateGui(self, caller=None, event=None) -> None:
        parameters = self._parameterNode
        hasInput = bool(parameters and parameters.inputVolume)
        usesModel = bool(parameters and self._libraryReady and self.logic.methodUsesNetworkModel(parameters.method))

        self.ui.segmentButton.enabled = hasInput
        self.ui.segmentButton.toolTip = (
            _("Segment calcifications") if hasInput else _("Select a mammogram volume first")
        )
        self.ui.startReviewButton.enabled = hasInput
        self.ui.analyzeButton.enabled = bool(hasInput and parameters.outputSegmentation)
        self.ui.exportButton.enabled = self.logic.lastAnalysis is not None
        canCompare = bool(hasInput and parameters.priorVolume and parameters.priorVolume != parameters.inputVolume)
        self.ui.compareButton.enabled = canCompare
        self.ui.compareButton.toolTip = (
            _("Compare the prior exam with the mammogram")
            if canCompare
            else _("Select the mammogram and a different prior exam volume first")
        )
        for widget in (self.ui.modelComboBox, self.ui.deviceComboBox, self.ui.thresholdSliderWidget):
            widget.enabled = usesModel
        # The network's model card, or the candidate filter's for hdog_filtered (its trained part, always shown).
        summary, warning = (
            self.logic.methodModelDescription(parameters.method, parameters.model)
            if parameters and self._libraryReady
            else ("", "")
        )
        self.ui.modelCardLabel.text = summary
        self.ui.modelWarningLabel.text = warning
        self.ui.modelWarningLabel.visible = bool(warning)
        if hasInput and parameters.inputVolume.GetID() != self._rangeVolumeId:
            self._rangeVolumeId = parameters.inputVolume.GetID()
            low, high = self.logic.intensityWidgetRange(parameters.inputVolume, parameters.intensityRange)
            self.ui.intensityRangeWidget.setRange(low, high)
        if hasInput and parameters.outputSegmentation:
            self._presetSegmentEditor()

    def _presetSegmentEditor(self) -> None:
        """Point the embedded editor at the volume, segment and density range, only when one of them changed (not
        on every parameter change); a new volume or segmentation also selects the "Calcification trace" effect."""
        parameters = self._parameterNode
        volumeAndSegmentation = (parameters.inputVolume.GetID(), parameters.outputSegmentation.GetID())
        bounds = (parameters.intensityRange.minimum, parameters.intensityRange.maximum)
        key = (volumeAndSegmentation, bounds)
        if key == self._editorPresetKey:
            return
        newTarget = self._editorPresetKey is None or self._editorPresetKey[0] != volumeAndSegmentation
        self._editorPresetKey = key
        self.logic.presetSegmentEditor(parameters.inputVolume, parameters.outputSegmentation, parameters.intensityRange)
        if newTarget and self.parent.isEntered:
            self.ui.segmentEditorWidget.setActiveEffectByName(TRACE_EFFECT_NAME)

    # Annotate ----------------------------------------------------------------------------------------------------

    def _ensureSegmentation(self):
        if not self._parameterNode.outputSegmentation:
            self._parameterNode.outputSegmentation = self.logic.createSegmentation(self._parameterNode.inputVolume)
        return self._parameterNode.outputSegmentation

    def onDefaultIntensityRange(self) -> None:
        if not self.logic.ensureDependencies(needTorch=False):
            return
        with slicer.util.tryWithErrorDisplay(_("Could not compute a density range."), waitCursor=True):
            low, high = self.logic.defaultIntensityRange(self._parameterNode.inputVolume)
            self.ui.intensityRangeWidget.setRange(
                *self.logic.intensityWidgetRange(self._parameterNode.inputVolume, FloatRange(low, high))
            )
            self._parameterNode.intensityRange = FloatRange(low, high)

    def onIntensityRangeChanged(self, low: float, high: float) -> None:
        if self._parameterNode and self._parameterNode.inputVolume and self._parameterNode.outputSegmentation:
            self._updateGui()

    def onStartReview(self) -> None:
        if not self.logic.ensureDependencies(needTorch=False):
            return
        with slicer.util.tryWithErrorDisplay(_("Candidate detection failed."), waitCursor=True):
            session = self.logic.annotationSession(self._parameterNode.inputVolume, self._ensureSegmentation())
            session.start_review(progress=self._progress)
            self._showReview(session)

    def _showReview(self, session) -> None:
        review = session.review
        table = self.ui.candidateTableWidget
        table.setRowCount(len(review) if review else 0)
        for index, candidate in enumerate(review.candidates if review else []):
            decision = review.decisions[index].value
            for column, text in enumerate(
                [str(index + 1), f"{candidate.contrast:.3g}", f"{candidate.area_mm2:.3f}", decision]
            ):
                table.setItem(index, column, qt.QTableWidgetItem(text))
        counts = session.review_counts()
        self.ui.reviewStatusLabel.text = ", ".join(f"{count} {name}" for name, count in counts.items())
        if review is not None and review.current is not None:
            table.selectRow(review.index)
            self.logic.jumpToPixel(session.volume_node, review.current.row, review.current.col)

    def onMoveCandidate(self, step: int) -> None:
        with slicer.util.tryWithErrorDisplay(_("Could not move to the candidate.")):
            session = self.logic.annotationSession(self._parameterNode.inputVolume, self._ensureSegmentation())
            session.next_candidate() if step > 0 else session.previous_candidate()
            self._showReview(session)

    def onCandidateClicked(self, row: int, column: int) -> None:
        with slicer.util.tryWithErrorDisplay(_("Could not move to the candidate.")):
            session = self.logic.annotationSession(self._parameterNode.inputVolume, self._ensureSegmentation())
            self.logic.goToCandidate(session, row)
            self._showReview(session)

    def onDecideCandidate(self, accept: bool) -> None:
        with slicer.util.tryWithErrorDisplay(_("Could not record the decision.")):
            session = self.logic.annotationSession(self._parameterNode.inputVolume, self._ensureSegmentation())
            self.logic.decideCandidate(session, accept, self._parameterNode.intensityRange)
            self._showReview(session)

    # Segment -----------------------------------------------------------------------------------------------------

    def onCancelButton(self) -> None:
        self._cancelRequested = True

    def _progress(self, fraction: float, message: str) -> bool:
        """Progress callback handed to the logic: bar, message with a time estimate, GUI kept alive, Cancel."""
        self.ui.progressBar.value = int(round(100 * fraction))
        elapsed = time.monotonic() - self._startTime if self._startTime else 0.0
        if 0.05 < fraction < 1.0 and elapsed > 2.0:
            remaining = round(elapsed * (1.0 - fraction) / fraction)
            message = _("{message} (about {seconds} s left)").format(message=message, seconds=remaining)
        self.ui.statusLabel.text = message
        slicer.app.processEvents()
        return not self._cancelRequested

    def _runLong(self, errorMessage: str, work) -> None:
        """Run ``work()`` with Cancel enabled, the progress bar reset and errors shown to the user."""
        self._cancelRequested = False
        self._startTime = time.monotonic()
        self.ui.cancelButton.enabled = True
        self.ui.segmentButton.enabled = self.ui.analyzeButton.enabled = self.ui.compareButton.enabled = False
        try:
            with slicer.util.tryWithErrorDisplay(errorMessage, waitCursor=True):
                work()
        finally:
            self._startTime = None
            self.ui.cancelButton.enabled = False
            self._updateGui()

    def _chosenSegmenter(self):
        """The segmenter of the Segment section's method, model, threshold and device (Segment and Compare use it)."""
        parameters = self._parameterNode
        return self.logic.segmenterChoice(parameters.method, parameters.model, parameters.threshold, parameters.device)

    def onSegmentButton(self) -> None:
        parameters = self._parameterNode
        if not self.logic.ensureDependencies(needTorch=self.logic.methodNeedsTorch(parameters.method)):
            return

        def work():
            segmentationNode = self.logic.segment(
                parameters.inputVolume, parameters.outputSegmentation, self._chosenSegmenter(), progress=self._progress
            )
            parameters.outputSegmentation = segmentationNode
            self.ui.statusLabel.text = self.logic.lastSummary

        self._runLong(_("Calcification segmentation failed."), work)

    # Results -----------------------------------------------------------------------------------------------------

    def onAnalyzeButton(self) -> None:
        if not self.logic.ensureDependencies(needTorch=False):
            return
        parameters = self._parameterNode

        def work():
            analysis = self.logic.analyze(
                parameters.inputVolume,
                parameters.outputSegmentation,
                classifier=parameters.classifier or None,
                progress=self._progress,
            )
            self.ui.probabilityLabel.text = self._resultText(analysis)
            self.ui.statusLabel.text = analysis.summary
            self.onTableChoiceChanged(self.ui.tableChoiceComboBox.currentIndex)
            self.logic.showTableInLayout(self.logic.lastAnalysis.table_nodes["image"])

        self._runLong(_("Calcification analysis failed."), work)

    def _resultText(self, analysis) -> str:
        """The Results text in the user's language: the headline (the BI-RADS suggestion unless the classifier was
        trained on real images), the other judgement, the summary and the classifier's card; the descriptor words and
        figures themselves are the library's."""
        headline = analysis.headline
        lines = [_("Headline: {text}").format(text=headline.primary)]
        if headline.secondary:
            lines.append(_("Also: {text}").format(text=headline.secondary))
        lines.append(analysis.analysis.summary())
        if analysis.malignancy is None:
            lines.append(_("No classifier installed or chosen: no probability of malignancy."))
        else:
            lines.append(analysis.malignancy.classifier_summary())
            if analysis.malignancy.warning:
                lines.append(_("Trained only on synthetic mammograms: not validated on real patients."))
        lines.append(_("Suggestions for the radiologist, not a diagnosis."))
        return "\n".join(lines)

    def onTableChoiceChanged(self, index: int) -> None:
        analysis = self.logic.lastAnalysis
        if analysis is None or index < 0:
            return
        self.ui.resultsTableView.setMRMLTableNode(analysis.table_nodes[self.ui.tableChoiceComboBox.itemData(index)])

    def onResultsRowClicked(self, modelIndex) -> None:
        analysis = self.logic.lastAnalysis
        kind = self.ui.tableChoiceComboBox.itemData(self.ui.tableChoiceComboBox.currentIndex)
        if analysis is None or kind == "image":
            return
        location = analysis.location_pixel(kind, modelIndex.row())
        if location is not None:
            self.logic.jumpToPixel(self._parameterNode.inputVolume, *location)

    # Comparison with the prior exam -----------------------------------------------------------------------------

    def onCompareButton(self) -> None:
        parameters = self._parameterNode
        if not self.logic.ensureDependencies(needTorch=self.logic.methodNeedsTorch(parameters.method)):
            return

        def work():
            comparison = self.logic.compareWithPrior(
                parameters.priorVolume,
                parameters.inputVolume,
                self._chosenSegmenter(),
                parameters.forcePair,
                self._progress,
            )
            self.ui.changeTableView.setMRMLTableNode(self.logic.lastChangeTable)
            self.ui.comparisonStatusLabel.text = comparison.summary()
            self.ui.statusLabel.text = comparison.summary()
            self.logic.showPriorAndCurrent(parameters.priorVolume, parameters.inputVolume)

        self._runLong(_("Comparison with the prior exam failed."), work)

    def onChangeRowClicked(self, modelIndex) -> None:
        """Centre the current view on the row's cluster and the prior view on where the registration puts it."""
        if self.logic.lastComparison is None or modelIndex.row() < 0:
            return
        with slicer.util.tryWithErrorDisplay(_("Could not centre the views on the cluster.")):
            self.logic.centreViewsOnChange(modelIndex.row())

    def onExportButton(self) -> None:
        with slicer.util.tryWithErrorDisplay(_("Export failed."), waitCursor=True):
            written = self.logic.exportResults(self._parameterNode.exportFolder)
            self.ui.statusLabel.text = _("Wrote {count} files to {folder}").format(
                count=len(written), folder=self._parameterNode.exportFolder
            )


#
# Logic
#


class CalcificationAnalysisLogic(ScriptedLoadableModuleLogic):
    """Slicer adapter of the ``calcification`` logic layer: every panel action is one call, also from the console.

    Example (Python console)::

        logic = slicer.util.getModuleLogic("CalcificationAnalysis")
        volumeNode = slicer.util.getNode("mammogram")
        segmentationNode = logic.segment(volumeNode)  # the default method; or e.g.
        # logic.segment(volumeNode, segmenter=logic.segmenterChoice("hdog_filtered"))
        analysis = logic.analyze(volumeNode, segmentationNode)
        print(analysis.summary, analysis.image_features["calc_num"])
        logic.exportResults("/tmp/results")
    """

    def __init__(self) -> None:
        ScriptedLoadableModuleLogic.__init__(self)
        from calcification.logic.mrml.scene_factory import use_application_logic

        self.lastSummary = ""
        self.lastResult = None
        self.lastAnalysis = None
        self.lastComparison = None
        self.lastChangeTable = None
        self._comparedVolumes = None
        self._sessions = {}
        # The library must use the application's segmentations logic, not create a second one on slicer.mrmlScene.
        use_application_logic(slicer.mrmlScene, "Segmentations", slicer.modules.segmentations.logic())

    def getParameterNode(self):
        return CalcificationAnalysisParameterNode(super().getParameterNode())

    @staticmethod
    def availableMethods():
        """(name, label) of each segmentation method (the registry's), the default first."""
        from calcification.logic.model_choices import method_choices

        return method_choices()

    @staticmethod
    def methodUsesNetworkModel(method) -> bool:
        """True when ``method`` uses the model list's network (and the threshold slider and device choice)."""
        from calcification.logic.model_choices import method_uses_network_model

        return method_uses_network_model(method)

    @staticmethod
    def methodNeedsTorch(method) -> bool:
        """True when running ``method`` needs PyTorch."""
        from calcification.logic.model_choices import method_needs_torch

        return method_needs_torch(method)

    @staticmethod
    def segmenterChoice(method=None, model=None, threshold=None, device="auto"):
        """The typed segmenter choice (``calcification.core.segmentation.SegmenterChoice``) of the panel's
        settings; settings the method does not take are left out (see ``SegmenterChoice.from_settings``)."""
        from calcification.logic.model_choices import panel_segmenter_choice

        return panel_segmenter_choice(method, model, threshold, device)

    @staticmethod
    def availableModels():
        """(name, label) of every segmentation model found; the default (shipped or preferred) first."""
        from calcification.logic.model_choices import model_choices

        return model_choices()

    @staticmethod
    def modelDescription(name):
        """(summary, warning) texts of a model card; the warning is non-empty for models trained on synthetic data."""
        from calcification.logic.model_choices import model_description

        return model_description(name or None)

    @staticmethod
    def methodModelDescription(method, model=None):
        """(summary, warning) of the trained part ``method`` runs: the network model's card, the candidate filter's
        for ``hdog_filtered``, nothing for methods without one."""
        from calcification.logic.model_choices import method_model_description

        return method_model_description(method, model or None)

    @staticmethod
    def availableClassifiers():
        """(name, label) of every benign/malignant classifier found, the default first."""
        from calcification.logic.model_choices import classifier_choices

        return classifier_choices()

    @staticmethod
    def ensureDependencies(askUser: bool = True, needTorch: bool = True) -> bool:
        """Install the Python packages the library needs, after asking the user; True when all are present
        (``calcification.slicer_support.dependency_installer``, which the other panels and the effect use too)."""
        from calcification.slicer_support.dependency_installer import ensure_dependencies

        return ensure_dependencies(askUser, needTorch)

    @staticmethod
    def dependenciesPresent(needTorch: bool = False) -> bool:
        """True when every package the library needs is importable (nothing is installed or asked)."""
        from calcification.slicer_support.python_dependencies import missing_requirements

        return not missing_requirements(needTorch)

    def loadSample(self):
        """Load the synthetic sample mammogram and its ground truth through Sample Data, writing the files the first
        time (after asking to install the packages the data engine needs). Returns the volume node, or None when the
        user declined the installation."""
        import SampleData

        from calcification.logic.workflows.sample_data import SAMPLE_NAME, sample_source_arguments, write_sample_files

        if not self.ensureDependencies(needTorch=False):
            return None
        with slicer.util.WaitCursor():
            sample = write_sample_files()
        source = SampleData.SampleDataSource(sampleName=SAMPLE_NAME, **sample_source_arguments(sample))
        nodes = SampleData.SampleDataLogic().downloadFromSource(source)
        return nodes[0] if nodes else None

    # Segmentation ------------------------------------------------------------------------------------------------

    def createSegmentation(self, volumeNode):
        from calcification.logic.mrml.segmentation_nodes import create_calcification_segmentation

        return create_calcification_segmentation(slicer.mrmlScene, volumeNode)

    def segment(self, volumeNode, segmentationNode=None, segmenter=None, progress=None):
        """Segment calcifications of ``volumeNode`` into the "Calcification" segment of ``segmentationNode``.

        ``segmenter``: from :meth:`segmenterChoice` (or a method name); the default method when None. A new
        segmentation node is created when ``segmentationNode`` is None. Network methods also add the probability map
        as a volume node. Device auto / cpu / cuda: when CUDA is missing or runs out of memory the CPU is used and
        ``lastSummary`` says so. Returns the segmentation node. Raises ``InputError`` on unusable input; on error or
        cancel the scene is left as it was.
        """
        from calcification.logic.workflows.segmentation_workflow import segment_volume_node_with_fallback

        result, message = segment_volume_node_with_fallback(
            slicer.mrmlScene, volumeNode, segmentationNode, segmenter, progress
        )
        self.lastResult = result
        self.lastSummary = result.summary + (f" {message}" if message else "")
        logging.info(self.lastSummary)
        return result.segmentation_node

    # Annotation --------------------------------------------------------------------------------------------------

    def segmentEditorNode(self):
        """The segment editor node the panel's embedded editor uses (one per scene, a singleton node).

        Created as SegmentEditor.py creates its own: the singleton tag is set before ``AddNode``, so that the scene
        treats it as a singleton from the start (and reuses it instead of adding another when a scene is loaded)."""
        node = slicer.mrmlScene.GetSingletonNode("CalcificationAnalysis", "vtkMRMLSegmentEditorNode")
        if node is None:
            node = slicer.mrmlScene.CreateNodeByClass("vtkMRMLSegmentEditorNode")
            node.UnRegister(None)  # CreateNodeByClass returns a new reference that Python already holds
            node.SetSingletonTag("CalcificationAnalysis")
            node = slicer.mrmlScene.AddNode(node)
        return node

    def presetSegmentEditor(self, volumeNode, segmentationNode, intensityRange) -> None:
        """Point the editor at the volume and segment, with the density range as the editable intensity range."""
        from calcification.logic.mrml.segmentation_nodes import ensure_calcification_segment
        from calcification.logic.workflows.editor_effect_support import preset_segment_editor_node

        segmentId = ensure_calcification_segment(segmentationNode)
        bounds = (intensityRange.minimum, intensityRange.maximum)
        preset_segment_editor_node(self.segmentEditorNode(), segmentationNode, volumeNode, segmentId, bounds)

    @staticmethod
    def intensityWidgetRange(volumeNode, intensityRange):
        """(low, high) the density range slider spans for ``volumeNode``: its scalar range, widened to hold
        ``intensityRange`` and a margin below (background), within ``INTENSITY_BOUNDS``."""
        scalarLow, scalarHigh = volumeNode.GetImageData().GetScalarRange() if volumeNode.GetImageData() else (0, 1)
        low = min(scalarLow, intensityRange.minimum)
        high = max(scalarHigh, intensityRange.maximum)
        low -= 0.5 * (high - low)
        return max(low, INTENSITY_BOUNDS[0]), min(high, INTENSITY_BOUNDS[1])

    def defaultIntensityRange(self, volumeNode):
        """(low, high) density range from the breast's intensity distribution."""
        from calcification.logic.workflows.editor_effect_support import default_intensity_range

        return default_intensity_range(volumeNode)

    def annotationSession(self, volumeNode, segmentationNode):
        """The ``AnnotationSession`` (``calcification.logic.workflows.annotation_session``) of this volume and
        segmentation."""
        from calcification.logic.workflows.annotation_session import AnnotationSession

        key = (volumeNode.GetID(), segmentationNode.GetID())
        if key not in self._sessions:
            self._sessions[key] = AnnotationSession(volumeNode, segmentationNode)
        return self._sessions[key]

    @staticmethod
    def goToCandidate(session, index: int) -> None:
        session.go_to_candidate(index)

    @staticmethod
    def decideCandidate(session, accept: bool, intensityRange=None) -> None:
        """Accept (trace into the segment, within the density range) or reject the current candidate."""
        from calcification.logic.workflows.level_tracing import TraceOptions

        if accept:
            bounds = (intensityRange.minimum, intensityRange.maximum) if intensityRange else None
            session.accept_current(TraceOptions(intensity_range=bounds))
        else:
            session.reject_current()
        session.next_candidate(pending_only=True)

    @staticmethod
    def jumpToPixel(volumeNode, row: float, col: float) -> None:
        """Centre the slice views on pixel (row, col) of ``volumeNode``."""
        from calcification.logic.mrml.point_annotations import ijk_to_ras

        x, y, z = ijk_to_ras(volumeNode, row, col)
        slicer.modules.markups.logic().JumpSlicesToLocation(x, y, z, True)

    # Results -----------------------------------------------------------------------------------------------------

    def analyze(self, volumeNode, segmentationNode, classifier=None, progress=None):
        """Measure the "Calcification" segment: per-calcification, per-cluster and image-level tables (table nodes)
        and the probability of malignancy from ``classifier`` (the default when None). Returns the
        :class:`calcification.logic.workflows.analysis_workflow.AnalysisRun` (plain Python results and the table
        nodes)."""
        from calcification.logic.workflows.analysis_workflow import analyze_segmentation_node

        previous = self.lastAnalysis.table_nodes if self.lastAnalysis is not None else None
        self.lastAnalysis = analyze_segmentation_node(
            slicer.mrmlScene,
            volumeNode,
            segmentationNode,
            classifier=classifier,
            progress=progress,
            table_nodes=previous,
        )
        logging.info(self.lastAnalysis.summary)
        return self.lastAnalysis

    def exportResults(self, folder):
        """Write the last analysis's three tables as CSV and the HTML report into ``folder``; returns the paths."""
        from calcification.logic.errors import InputError
        from calcification.logic.workflows.analysis_workflow import export_analysis

        if self.lastAnalysis is None:
            raise InputError(_("Analyse a segmentation first: there are no results to export."))
        return export_analysis(self.lastAnalysis, folder)

    @staticmethod
    def showTableInLayout(tableNode) -> None:
        """Switch to a layout with a table view and show ``tableNode`` there."""
        slicer.app.layoutManager().setLayout(slicer.vtkMRMLLayoutNode.SlicerLayoutFourUpTableView)
        selectionNode = slicer.app.applicationLogic().GetSelectionNode()
        selectionNode.SetActiveTableID(tableNode.GetID())
        slicer.app.applicationLogic().PropagateTableSelection()

    # Comparison with the prior exam -----------------------------------------------------------------------------

    #: Slice views of Slicer's side-by-side layout (vtkMRMLLayoutLogic.cxx ``sideBySideView``): current, prior.
    COMPARISON_VIEWS = ("Red", "Yellow")

    def compareWithPrior(self, priorVolumeNode, currentVolumeNode, segmenter=None, forcePair=False, progress=None):
        """Analyse both exams, register the prior onto the current one and fill the change table node
        (``lastChangeTable``, refilled by a repeated comparison). Returns the
        :class:`calcification.logic.workflows.prior_comparison.PriorComparison`. Raises ``InputError`` (not a pair)
        or ``RegistrationError`` (registration too poor to call changes) before anything is added to the scene."""
        from calcification.logic.workflows.comparison_nodes import compare_volume_nodes

        # A table node the user deleted (or a closed scene's) cannot be refilled: a new one is added instead.
        previous = self.lastChangeTable
        if previous is not None and previous.GetScene() is not slicer.mrmlScene:
            previous = None
        self.lastComparison, self.lastChangeTable = compare_volume_nodes(
            slicer.mrmlScene,
            priorVolumeNode,
            currentVolumeNode,
            segmenter,
            force_pair=forcePair,
            progress=progress,
            table_node=previous,
            dicom_files=(self.dicomFileOfVolume(priorVolumeNode), self.dicomFileOfVolume(currentVolumeNode)),
        )
        self._comparedVolumes = (priorVolumeNode, currentVolumeNode)
        logging.info(self.lastComparison.summary())
        return self.lastComparison

    @staticmethod
    def dicomFileOfVolume(volumeNode):
        """The DICOM file Slicer's DICOM module loaded ``volumeNode`` from, or None: the first of its instance UIDs
        (attribute set by DICOMPlugins/DICOMScalarVolumePlugin.py) looked up in the DICOM database, as
        DICOMLib/DICOMUtils.py does. The pair check reads the exam's tags there, since the volume keeps none."""
        from calcification.logic.workflows.dicom_result_loading import INSTANCE_UIDS_ATTRIBUTE

        uids = (volumeNode.GetAttribute(INSTANCE_UIDS_ATTRIBUTE) or "").split()
        database = getattr(slicer, "dicomDatabase", None)
        if not uids or database is None:
            return None
        return database.fileForInstance(uids[0]) or None

    def showPriorAndCurrent(self, priorVolumeNode, currentVolumeNode) -> None:
        """Side-by-side layout: the current exam in the left (Red) view, the prior in the right (Yellow) one, each
        fitted to its image, then the two views linked so that zoom and pan act on both. The link is set last: the
        link logic copies a linked view's changes to the others only while the user interacts
        (vtkMRMLSliceLinkLogic), so each view keeps its own volume and centre."""
        layoutManager = slicer.app.layoutManager()
        layoutManager.setLayout(slicer.vtkMRMLLayoutNode.SlicerLayoutSideBySideView)
        for viewName, volumeNode in zip(self.COMPARISON_VIEWS, (currentVolumeNode, priorVolumeNode), strict=True):
            sliceWidget = layoutManager.sliceWidget(viewName)
            sliceWidget.mrmlSliceCompositeNode().SetBackgroundVolumeID(volumeNode.GetID())
            sliceWidget.mrmlSliceNode().RotateToVolumePlane(volumeNode)
            sliceWidget.sliceLogic().FitSliceToBackground()
        for viewName in self.COMPARISON_VIEWS:
            layoutManager.sliceWidget(viewName).mrmlSliceCompositeNode().SetLinkedControl(True)

    def centreViewsOnChange(self, row: int) -> None:
        """Centre the current view on change-table row ``row``'s cluster and the prior view on the prior position
        the registration gives it (``comparison_nodes.change_row_centres``)."""
        from calcification.logic.workflows.comparison_nodes import change_row_centres

        priorVolumeNode, currentVolumeNode = self._comparedVolumes
        centres = change_row_centres(self.lastComparison, row, priorVolumeNode, currentVolumeNode)
        layoutManager = slicer.app.layoutManager()
        for viewName, ras in zip(self.COMPARISON_VIEWS, centres, strict=True):
            layoutManager.sliceWidget(viewName).mrmlSliceNode().JumpSliceByCentering(*ras)


#
# Test
#


class CalcificationAnalysisTest(ScriptedLoadableModuleTest):
    """Self-test run inside Slicer (Developer mode > Reload and Test, or ctest with Slicer)."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_segmentAnalyseExport()

    def _sampleVolume(self):
        """The sample mammogram, written if needed and loaded through the Sample Data module as a user would."""
        return CalcificationAnalysisLogic().loadSample()

    def test_segmentAnalyseExport(self):
        """Load the sample data, segment with the shipped network, analyse and export."""
        import tempfile

        self.delayDisplay("Loading the synthetic sample mammogram")
        logic = CalcificationAnalysisLogic()
        self.assertTrue(logic.ensureDependencies(askUser=False), "the Python packages could not be installed")
        volumeNode = self._sampleVolume()
        self.assertIsNotNone(volumeNode)

        segmentationNode = logic.segment(volumeNode, segmenter=logic.segmenterChoice("network", device="cpu"))
        self.assertGreater(logic.lastResult.calcification_count, 0)
        self.assertIsNotNone(logic.lastResult.probability_node)

        analysis = logic.analyze(volumeNode, segmentationNode)
        self.assertEqual(analysis.table_nodes["calcifications"].GetNumberOfRows(), analysis.calcification_count)
        if analysis.probability is not None:
            self.assertTrue(0.0 <= analysis.probability <= 1.0)

        with tempfile.TemporaryDirectory() as folder:
            written = logic.exportResults(folder)
            self.assertTrue(all(os.path.getsize(path) > 0 for path in written))
        self.delayDisplay(f"Test passed: {analysis.summary}")
