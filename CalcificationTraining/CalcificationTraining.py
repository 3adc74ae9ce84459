"""CalcificationTraining: train the calcification segmentation network in 3D Slicer and hand it to the analysis.

Thin Slicer-facing layer (camelCase, Slicer's rule): module description, parameter node, widget and self-test. The
training is the ``calcification train-segmenter`` command in a separate process (Slicer stays responsive, Stop ends
it) whose JSON-line events feed a progress bar and a live loss / Dice plot; the command line, event parser, curve
nodes and preferred-model setting live in the ``calcification`` package (logic/training/training_process.py,
logic/mrml/training_curves.py, core/models/preferred_model.py), so each action is also one console call.
"""

import logging
import os
from typing import Annotated

import qt
import slicer
import vtk
from slicer.i18n import tr as _
from slicer.i18n import translate
from slicer.parameterNodeWrapper import Choice, WithinRange, parameterNodeWrapper
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
        self.parent.title = _("Calcification Training")
        self.parent.categories = [translate("qSlicerAbstractCoreModule", "Quantification")]
        self.parent.dependencies = ["CalcificationAnalysis"]
        self.parent.contributors = ["CalcificationAnalysis developers"]
        self.parent.helpText = _("""
Train the calcification segmentation network on annotated scenes or folders with a labels CSV, or on synthetic
mammograms. Training runs in a separate process with a live loss / Dice plot; Stop keeps finished epochs in the
checkpoints folder for resuming. <b>Start from</b> a model to fine-tune it (for example the shipped synthetic-data
model on your own images) instead of training from random weights. <b>Use this model</b> makes the result the
default of Calcification Analysis.
<b>Classifier</b> trains the benign/malignant classifier on the features.csv that Calcification Analysis writes
plus a labels CSV, or compares the seven classifiers (AUC table, ROC, importance and reliability plots).
<b>Synthetic cases</b> writes seeded synthetic mammograms with exact masks. Research use only.
""")
        self.parent.acknowledgementText = _("""
Training after Tong et al., Front. Oncol. 2024 (Pro_UNeXt); synthetic calcifications after Terrassin et al.,
SPIE Medical Imaging 2024.
""")


@parameterNodeWrapper
class CalcificationTrainingParameterNode:
    """Panel state, saved with the scene.

    dataPaths / labelsCsv: annotated scenes or folders and their labels CSV. preset, folds, epochs, fineTuneEpochs,
    steps, batch, crop, device: training settings (see ``calcification train-segmenter --help``). modelName: the new
    model's name. syntheticCases: synthetic mammograms to train on when no data are listed. checkpointsFolder:
    per-epoch checkpoints (a rerun resumes). initModel: model to fine-tune ("" = random initial weights).
    outputDirectory, numberOfCases, seed, writeScenes: synthetic case writing.
    classifierFeaturesCsv, classifierLabelsCsv, classifierAlgorithm, classifierName, classifierEvaluationFolder: the
    classifier section (features.csv from Calcification Analysis, labels, algorithm, name, comparison folder).
    """

    dataPaths: list[str]
    labelsCsv: str = ""
    preset: str = "pro_unext_cpu"
    folds: Annotated[int, WithinRange(1, 10)] = 5
    epochs: Annotated[int, WithinRange(1, 1000)] = 10
    fineTuneEpochs: Annotated[int, WithinRange(0, 1000)] = 2
    steps: Annotated[int, WithinRange(1, 100000)] = 100
    batch: Annotated[int, WithinRange(1, 256)] = 8
    crop: Annotated[int, WithinRange(32, 2048)] = 256
    device: Annotated[str, Choice(["auto", "cpu", "cuda"])] = "auto"
    modelName: str = "my_model"
    syntheticCases: Annotated[int, WithinRange(0, 100000)] = 0
    checkpointsFolder: str = ""
    initModel: str = ""
    outputDirectory: str = ""
    numberOfCases: Annotated[int, WithinRange(1, 100000)] = 20
    seed: Annotated[int, WithinRange(0, 2**31 - 1)] = 0
    writeScenes: bool = False
    classifierFeaturesCsv: str = ""
    classifierLabelsCsv: str = ""
    classifierAlgorithm: str = "adaboost"
    classifierName: str = "my_classifier"
    classifierEvaluationFolder: str = ""


class CalcificationTrainingWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
    """The module panel: binds the .ui widgets to the parameter node, starts and stops the training process."""

    def __init__(self, parent=None) -> None:
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None
        self._parameterNode = None
        self._parameterNodeGuiTag = None
        self._runner = None
        self._finishedRunner = None

    def setup(self) -> None:
        ScriptedLoadableModuleWidget.setup(self)
        from CalcificationTrainingLib.ClassifierSection import ClassifierSection
        from CalcificationTrainingLib.SyntheticCasesSection import SyntheticCasesSection

        uiWidget = slicer.util.loadUI(self.resourcePath("UI/CalcificationTraining.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = CalcificationTrainingLogic()
        for name in self.logic.availablePresets():
            self.ui.presetComboBox.addItem(name, name)
        self.ui.initModelComboBox.addItem(_("Random weights (train from scratch)"), "")
        for name in self.logic.availableInitialModels():
            self.ui.initModelComboBox.addItem(name, name)

        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.ui.addScenesButton.connect("clicked(bool)", self.onAddScenes)
        self.ui.addFolderButton.connect("clicked(bool)", self.onAddFolder)
        self.ui.removeDataButton.connect("clicked(bool)", self.onRemoveData)
        self.ui.labelsPathLineEdit.connect("currentPathChanged(QString)", self.onLabelsChanged)
        self.ui.checkpointsPathLineEdit.connect("currentPathChanged(QString)", self.onCheckpointsChanged)
        self.ui.presetComboBox.connect("currentIndexChanged(int)", self.onPresetChanged)
        self.ui.initModelComboBox.connect("currentIndexChanged(int)", self.onInitModelChanged)
        self.ui.checkDatasetButton.connect("clicked(bool)", self.onCheckDataset)
        self.ui.startButton.connect("clicked(bool)", self.onStartTraining)
        self.ui.stopButton.connect("clicked(bool)", self.onStopTraining)
        self.ui.useForAnalysisButton.connect("clicked(bool)", self.onUseForAnalysis)
        self.ui.outputDirectoryButton.connect("directoryChanged(QString)", self.onOutputDirectoryChanged)
        self._syntheticSection = SyntheticCasesSection(
            self.ui, self.logic, lambda: self._parameterNode, self._updateButtons
        )
        self._classifierSection = ClassifierSection(self.ui, self.logic, lambda: self._parameterNode)
        self.initializeParameterNode()

    def cleanup(self) -> None:
        self.removeObservers()
        if self._runner is not None:
            self._runner.stop()  # a closing panel must not leave an orphan training process behind

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
            parameters = self._parameterNode
            self.ui.dataListWidget.clear()
            self.ui.dataListWidget.addItems(list(parameters.dataPaths))
            self.ui.labelsPathLineEdit.currentPath = parameters.labelsCsv
            self.ui.checkpointsPathLineEdit.currentPath = parameters.checkpointsFolder
            self.ui.presetComboBox.setCurrentIndex(max(0, self.ui.presetComboBox.findData(parameters.preset)))
            self.ui.initModelComboBox.setCurrentIndex(max(0, self.ui.initModelComboBox.findData(parameters.initModel)))
            self.ui.outputDirectoryButton.directory = parameters.outputDirectory or os.path.expanduser("~")
            self._classifierSection.refresh()
            self._updateButtons()

    def _updateButtons(self, caller=None, event=None) -> None:
        parameters = self._parameterNode
        running = self._runner is not None
        hasData = bool(parameters and parameters.dataPaths)
        canTrain = bool(parameters and parameters.modelName.strip() and (hasData or parameters.syntheticCases >= 2))
        self.ui.startButton.enabled = canTrain and not running
        self.ui.startButton.toolTip = (
            _("Train in a separate process; Slicer stays usable.")
            if canTrain
            else _("Name the model and list annotated data, or ask for at least 2 synthetic cases.")
        )
        self.ui.stopButton.enabled = running
        self.ui.checkDatasetButton.enabled = bool(hasData and parameters.labelsCsv) and not running
        self.ui.generateButton.enabled = bool(parameters and parameters.outputDirectory)
        self._classifierSection.updateButtons()

    # Data --------------------------------------------------------------------------------------------------------

    def _setDataPaths(self, paths) -> None:
        self._parameterNode.dataPaths = list(dict.fromkeys(paths))  # keep order, drop repeats
        self.ui.dataListWidget.clear()
        self.ui.dataListWidget.addItems(list(self._parameterNode.dataPaths))

    def onAddScenes(self) -> None:
        files = qt.QFileDialog.getOpenFileNames(
            self.parent, _("Add annotated scenes"), "", _("Slicer scenes") + " (*.mrb *.mrml)"
        )
        self._setDataPaths(list(self._parameterNode.dataPaths) + list(files))

    def onAddFolder(self) -> None:
        folder = qt.QFileDialog.getExistingDirectory(self.parent, _("Add a folder of cases"))
        if folder:
            self._setDataPaths(list(self._parameterNode.dataPaths) + [folder])

    def onRemoveData(self) -> None:
        selected = {item.text() for item in self.ui.dataListWidget.selectedItems()}
        self._setDataPaths([p for p in self._parameterNode.dataPaths if p not in selected])

    def onLabelsChanged(self, path: str) -> None:
        if self._parameterNode:
            self._parameterNode.labelsCsv = path

    def onCheckpointsChanged(self, path: str) -> None:
        if self._parameterNode:
            self._parameterNode.checkpointsFolder = path

    def onPresetChanged(self, index: int) -> None:
        if self._parameterNode and index >= 0:
            self._parameterNode.preset = self.ui.presetComboBox.itemData(index)

    def onInitModelChanged(self, index: int) -> None:
        if self._parameterNode and index >= 0:
            self._parameterNode.initModel = self.ui.initModelComboBox.itemData(index)

    def onCheckDataset(self) -> None:
        from calcification.slicer_support.dependency_installer import ensure_dependencies

        if not ensure_dependencies(need_torch=False):
            return
        with slicer.util.tryWithErrorDisplay(_("The dataset check failed."), waitCursor=True):
            tableNode, summary = self.logic.checkDataset(self._parameterNode.dataPaths, self._parameterNode.labelsCsv)
            self.ui.datasetTableView.setMRMLTableNode(tableNode)
            self.ui.datasetStatusLabel.text = summary

    # Run ---------------------------------------------------------------------------------------------------------

    def onStartTraining(self) -> None:
        from CalcificationTrainingLib.TrainingProcessRunner import TrainingProcessRunner

        from calcification.slicer_support.dependency_installer import ensure_dependencies

        if not ensure_dependencies():
            return
        with slicer.util.tryWithErrorDisplay(_("Training could not start."), waitCursor=True):
            settings = self.logic.settingsFromParameters(self._parameterNode)
            nodes = self.logic.createCurveNodes(f"Training {settings.name}")
            self.ui.resultsTableView.setMRMLTableNode(nodes.table)
            self.logic.showChartInLayout(nodes.chart)
            runner = TrainingProcessRunner(settings, self._onTrainingEvent, self._onTrainingFinished)
            self.ui.trainingProgressBar.value = 0
            self.ui.trainingStatusLabel.text = runner.progress.message()
            self.ui.resultLabel.text = ""
            self.ui.useForAnalysisButton.enabled = False
            runner.start()
            self._runner = runner if runner.isRunning() else None  # a failed start was already reported
        self._updateButtons()

    def onStopTraining(self) -> None:
        if self._runner is not None:
            self.ui.trainingStatusLabel.text = _("Stopping the training process...")
            self._runner.stop()

    def _onTrainingEvent(self, event) -> None:
        progress = self._runner.progress
        self.ui.trainingProgressBar.value = int(round(100 * progress.fraction))
        self.ui.trainingStatusLabel.text = progress.message()
        if event.kind == "epoch":
            self.logic.updateCurveNodes(self._runner.curves)

    def _onTrainingFinished(self, finishedEvent, errorMessage: str, stopped: bool) -> None:
        # Keep the runner (and its QProcess) alive until the next run: this is called from the QProcess's own signal.
        self._finishedRunner, self._runner = self._runner, None
        if finishedEvent is not None:
            self.logic.lastModelFolder = finishedEvent.folder
            self.ui.trainingProgressBar.value = 100
            self.ui.resultLabel.text = self.logic.resultSummary(finishedEvent)
            self.ui.trainingStatusLabel.text = _("Model {model} written to {folder}").format(
                model=repr(finishedEvent.model), folder=finishedEvent.folder
            )
            self.ui.useForAnalysisButton.enabled = True
        elif stopped:
            self.ui.trainingStatusLabel.text = _("Training stopped; start again with the same checkpoints to resume.")
        else:
            self.ui.trainingStatusLabel.text = errorMessage
            slicer.util.errorDisplay(errorMessage, windowTitle=_("Training failed"))
        self._updateButtons()

    def onUseForAnalysis(self) -> None:
        with slicer.util.tryWithErrorDisplay(_("The model cannot be used for analysis."), waitCursor=True):
            stored = self.logic.useForAnalysis(self.logic.lastModelFolder)
            self.ui.resultLabel.text += "\n" + _("Calcification Analysis now uses {model} by default.").format(
                model=stored
            )

    # Synthetic cases ---------------------------------------------------------------------------------------------

    def onOutputDirectoryChanged(self, directory: str) -> None:
        if self._parameterNode:
            self._parameterNode.outputDirectory = directory


class CalcificationTrainingLogic(ScriptedLoadableModuleLogic):
    """Slicer adapter of the ``calcification`` training logic; the same calls work from the Python console.

    Example::

        logic = slicer.util.getModuleLogic("CalcificationTraining")
        settings = logic.settingsFromParameters(logic.getParameterNode())  # or calcification's TrainingSettings(...)
        outcome, nodes = logic.runTraining(settings)  # blocks; the panel runs the same command in a QProcess
        logic.useForAnalysis(outcome.finished.folder)
    """

    def __init__(self) -> None:
        ScriptedLoadableModuleLogic.__init__(self)
        self.curveNodes = None
        self.lastModelFolder = None
        self._datasetTableNode = None

    def getParameterNode(self):
        return CalcificationTrainingParameterNode(super().getParameterNode())

    @staticmethod
    def availablePresets():
        """Names of the network configurations ``train-segmenter --preset`` accepts, the CPU-sized default first."""
        from calcification.logic.model_choices import network_preset_choices

        return network_preset_choices()

    @staticmethod
    def availableInitialModels():
        """Names of the models a training can start from (``train-segmenter --init-model``), shipped ones first."""
        from calcification.logic.model_choices import initial_model_choices

        return initial_model_choices()

    @staticmethod
    def settingsFromParameters(parameters):
        """The frozen ``TrainingSettings`` of the panel state; synthetic cases only when no data are listed."""
        from calcification.logic.training.training_process import TrainingSettings

        dataPaths = tuple(parameters.dataPaths)
        return TrainingSettings(
            name=parameters.modelName.strip(),
            data_paths=dataPaths,
            labels_csv=parameters.labelsCsv,
            synthetic_cases=0 if dataPaths else parameters.syntheticCases,
            preset=parameters.preset,
            folds=parameters.folds,
            epochs=parameters.epochs,
            fine_tune_epochs=parameters.fineTuneEpochs,
            steps=parameters.steps,
            batch=parameters.batch,
            crop=parameters.crop,
            device=parameters.device,
            checkpoints=parameters.checkpointsFolder,
            init_model=parameters.initModel,
        )

    def createCurveNodes(self, name="Training curves"):
        """New table and plot chart nodes (loss and validation Dice per epoch) for a run; kept as ``curveNodes``."""
        from calcification.logic.mrml.training_curves import create_curve_nodes

        self.curveNodes = create_curve_nodes(slicer.mrmlScene, name=name)
        return self.curveNodes

    def updateCurveNodes(self, curves) -> None:
        """Refill ``curveNodes`` from a ``TrainingCurves`` (the plot view follows its table)."""
        from calcification.logic.mrml.training_curves import update_curve_nodes

        update_curve_nodes(slicer.mrmlScene, self.curveNodes, curves)

    def runTraining(self, settings, onEvent=None):
        """Train and wait (console and self-test): returns (``TrainingOutcome``, curve nodes filled live)."""
        from calcification.logic.mrml.training_curves import train_with_curve_nodes

        outcome, self.curveNodes = train_with_curve_nodes(slicer.mrmlScene, settings, onEvent)
        self.lastModelFolder = outcome.finished.folder
        logging.info(self.resultSummary(outcome.finished))
        return outcome, self.curveNodes

    @staticmethod
    def resultSummary(finishedEvent) -> str:
        """The trained model's name and metrics (validation Dice per fold and their mean) in one line."""
        from calcification.logic.training.training_process import finished_summary

        return finished_summary(finishedEvent)

    def checkDataset(self, dataPaths, labelsCsv):
        """Run ``calcification check-dataset`` and show its report in a table node: (table node, summary text)."""
        from calcification.logic.mrml.table_nodes import table_node_from_columns
        from calcification.logic.training.training_process import check_dataset, report_columns, report_summary

        report = check_dataset(list(dataPaths), labelsCsv)
        if self._datasetTableNode is not None and self._datasetTableNode.GetScene() is not slicer.mrmlScene:
            self._datasetTableNode = None  # the scene was closed since the last check
        columns = report_columns(report)
        self._datasetTableNode = table_node_from_columns(
            slicer.mrmlScene, "Dataset check", columns, node=self._datasetTableNode
        )
        return self._datasetTableNode, report_summary(report)

    def useForAnalysis(self, modelNameOrFolder, modelsDir=None) -> str:
        """Make a model the default of CalcificationAnalysis (its card must load); returns what was stored."""
        from calcification.logic.model_choices import use_model_for_analysis

        return use_model_for_analysis(modelNameOrFolder, modelsDir)

    @staticmethod
    def showChartInLayout(chartNode) -> None:
        """Switch to a layout with a plot view showing ``chartNode``."""
        slicer.modules.plots.logic().ShowChartInLayout(chartNode)

    @staticmethod
    def classifierAlgorithms():
        """(name, label) of the seven classifiers, AdaBoost (the paper's best, the default) first."""
        from calcification.logic.model_choices import classifier_algorithm_choices

        return classifier_algorithm_choices()

    def trainClassifier(
        self, featuresCsv, labelsCsv, name, algorithm="adaboost", overwrite=False, outputFolder=None, progress=None
    ):
        """Train a calibrated classifier on ``featuresCsv`` (Calcification Analysis's features.csv) and ``labelsCsv``
        (case_id, patient_id, label) and save it in ``outputFolder``, by default the user's classifier folder / name,
        where Calcification Analysis lists it; returns the ``SavedClassifier`` (``.summary()``, ``.folder``,
        ``.trained.card``)."""
        from calcification.logic.training.classifier_training import train_classifier_from_files

        saved = train_classifier_from_files(
            featuresCsv, labelsCsv, name, out=outputFolder, algorithm=algorithm, overwrite=overwrite, progress=progress
        )
        logging.info(saved.summary())
        return saved

    def compareClassifiers(self, featuresCsv, labelsCsv, outputDirectory, chosen="adaboost", progress=None):
        """Cross-validate the seven classifiers, write the table and plots into ``outputDirectory`` and show the table
        as the "Classifier comparison" table node; returns (table node, ``ClassifierEvaluation``)."""
        from calcification.logic.mrml.table_nodes import table_node_from_columns
        from calcification.logic.training.classifier_evaluation import (
            COMPARISON_COLUMNS,
            comparison_columns,
            evaluate_classifiers,
        )
        from calcification.logic.training.classifier_training_data import training_table

        evaluation = evaluate_classifiers(
            training_table(featuresCsv, labelsCsv), outputDirectory, chosen=chosen, progress=progress
        )
        node = slicer.mrmlScene.GetFirstNodeByName("Classifier comparison")
        node = node if node is not None and node.IsA("vtkMRMLTableNode") else None
        node = table_node_from_columns(
            slicer.mrmlScene,
            "Classifier comparison",
            comparison_columns(evaluation),
            descriptions=COMPARISON_COLUMNS,
            node=node,
        )
        return node, evaluation

    def generateSyntheticCases(
        self, outputDirectory, numberOfCases, seed=0, writeScenes=False, backgroundVolumeNode=None, progress=None
    ):
        """Write ``numberOfCases`` synthetic cases into ``outputDirectory``; returns a one-line summary.

        With ``backgroundVolumeNode`` (a normal mammogram loaded in Slicer), synthetic calcifications are blended
        into that real image instead of a synthetic background.
        """
        from calcification.logic.mrml.volume_nodes import mammogram_from_volume_node
        from calcification.logic.workflows.synthetic_dataset import write_synthetic_dataset

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
        self.test_tinyTraining()
        self.setUp()
        self.test_generateSyntheticCases()
        self.setUp()
        self.test_classifierTrainingAndComparison()

    def test_tinyTraining(self):
        """A tiny synthetic training in a child process fills the curve table and plot; the model can be chosen."""
        import tempfile

        from calcification.logic.training.training_process import TrainingSettings

        with tempfile.TemporaryDirectory() as modelsDir:
            settings = TrainingSettings(
                name="selftest_tiny",
                synthetic_cases=4,
                synthetic_shape=(256, 256),
                folds=1,
                epochs=2,
                fine_tune_epochs=0,
                steps=2,
                batch=2,
                crop=64,
                device="cpu",
                augment=False,
                out_folder=os.path.join(modelsDir, "selftest_tiny"),
            )
            self.delayDisplay("Training a tiny model on 4 synthetic cases")
            logic = CalcificationTrainingLogic()
            outcome, nodes = logic.runTraining(settings)
            table = nodes.table.GetTable()
            self.assertEqual(table.GetNumberOfRows(), 2)
            epochs = [e for e in outcome.events if e.kind == "epoch"]
            self.assertEqual(table.GetValueByName(1, "train_loss").ToDouble(), epochs[1].train_loss)
            self.assertEqual(nodes.chart.GetNumberOfPlotSeriesNodes(), 2)
            self.assertEqual(outcome.finished.model, "selftest_tiny")
            self.assertEqual(logic.useForAnalysis(outcome.finished.folder, modelsDir), "selftest_tiny")
        self.delayDisplay("Test passed")

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

    def test_classifierTrainingAndComparison(self):
        """Features of small synthetic cases (Hessian-DoG) train a classifier and fill the comparison table node."""
        import tempfile

        from calcification.logic.training.classifier_training_data import write_label_rows
        from calcification.logic.training.synthetic_features import SynthesisConfig, measure_synthetic_cases
        from calcification.logic.workflows.analysis_workflow import write_feature_rows

        logic = CalcificationTrainingLogic()
        with tempfile.TemporaryDirectory() as folder:
            self.delayDisplay("Measuring 30 small synthetic cases")
            rows = measure_synthetic_cases(30, 7200, SynthesisConfig(shape=(384, 320)), "hdog")
            features, labels = os.path.join(folder, "features.csv"), os.path.join(folder, "labels.csv")
            write_feature_rows(rows.features, features)
            write_label_rows(rows.labels, labels)
            saved = logic.trainClassifier(
                features,
                labels,
                "selftest_classifier",
                "logistic_regression",
                outputFolder=os.path.join(folder, "classifier"),
            )
            self.assertEqual(saved.trained.card.n_cases, len(rows.features))  # a case too small for a group is normal
            self.assertTrue(os.path.isfile(os.path.join(folder, "classifier", "classifier_card.json")))
            node, evaluation = logic.compareClassifiers(
                features, labels, os.path.join(folder, "comparison"), chosen="logistic_regression"
            )
            self.assertEqual(node.GetNumberOfRows(), 8)
            self.assertTrue(os.path.isfile(os.path.join(folder, "comparison", "roc.png")))
        self.delayDisplay("Test passed")
