"""The panel's "Classifier" section: train the benign/malignant classifier, or compare the seven, on analysed cases.

Inputs are the features.csv that Calcification Analysis (or ``calcification analyze``) writes and a labels CSV
(case_id, patient_id, label). Training takes seconds to a minute, so it runs in the GUI thread with a progress bar
and Cancel; the work itself is ``CalcificationTrainingLogic.trainClassifier`` / ``compareClassifiers``
(``calcification.logic.training.classifier_training`` / ``classifier_evaluation``), one call each from the Python
console.
"""

import os

import slicer
from slicer.i18n import tr as _


class ClassifierSection:
    """Binds the section's widgets to the panel's parameter node (``parameterNode()`` returns it)."""

    def __init__(self, ui, logic, parameterNode):
        self.ui, self.logic, self._parameterNode = ui, logic, parameterNode
        self._cancelRequested = False
        self._busy = False
        for name, label in logic.classifierAlgorithms():
            ui.classifierAlgorithmComboBox.addItem(label, name)
        ui.classifierFeaturesPathLineEdit.connect("currentPathChanged(QString)", self.onFeaturesChanged)
        ui.classifierLabelsPathLineEdit.connect("currentPathChanged(QString)", self.onLabelsChanged)
        ui.classifierEvaluationDirectoryButton.connect("directoryChanged(QString)", self.onEvaluationFolderChanged)
        ui.classifierAlgorithmComboBox.connect("currentIndexChanged(int)", self.onAlgorithmChanged)
        ui.trainClassifierButton.connect("clicked(bool)", self.onTrain)
        ui.compareClassifiersButton.connect("clicked(bool)", self.onCompare)
        ui.classifierCancelButton.connect("clicked(bool)", self.onCancel)

    def onFeaturesChanged(self, path: str) -> None:
        if self._parameterNode():
            self._parameterNode().classifierFeaturesCsv = path

    def onLabelsChanged(self, path: str) -> None:
        if self._parameterNode():
            self._parameterNode().classifierLabelsCsv = path

    def onEvaluationFolderChanged(self, directory: str) -> None:
        if self._parameterNode():
            self._parameterNode().classifierEvaluationFolder = directory

    def refresh(self) -> None:
        """Show the parameter node's values (called when the panel gets a parameter node)."""
        parameters = self._parameterNode()
        self.ui.classifierFeaturesPathLineEdit.currentPath = parameters.classifierFeaturesCsv
        self.ui.classifierLabelsPathLineEdit.currentPath = parameters.classifierLabelsCsv
        self.ui.classifierEvaluationDirectoryButton.directory = (
            parameters.classifierEvaluationFolder or os.path.expanduser("~")
        )
        combo = self.ui.classifierAlgorithmComboBox
        combo.setCurrentIndex(max(0, combo.findData(parameters.classifierAlgorithm)))

    def updateButtons(self) -> None:
        parameters = self._parameterNode()
        hasTables = bool(parameters and parameters.classifierFeaturesCsv and parameters.classifierLabelsCsv)
        self.ui.trainClassifierButton.enabled = hasTables and bool(parameters.classifierName.strip()) and not self._busy
        self.ui.compareClassifiersButton.enabled = (
            hasTables and bool(parameters.classifierEvaluationFolder) and not self._busy
        )
        self.ui.classifierCancelButton.enabled = self._busy

    def onAlgorithmChanged(self, index: int) -> None:
        if self._parameterNode() and index >= 0:
            self._parameterNode().classifierAlgorithm = self.ui.classifierAlgorithmComboBox.itemData(index)

    def onCancel(self) -> None:
        self._cancelRequested = True

    def _progress(self, fraction: float, message: str) -> bool:
        self.ui.classifierProgressBar.value = int(round(100 * fraction))
        self.ui.classifierStatusLabel.text = message
        slicer.app.processEvents()  # keep Cancel clickable
        return not self._cancelRequested

    def _run(self, title: str, work) -> None:
        from calcification.slicer_support.dependency_installer import ensure_dependencies

        if not ensure_dependencies():
            return
        self._cancelRequested, self._busy = False, True
        self.updateButtons()
        try:
            with slicer.util.tryWithErrorDisplay(title, waitCursor=True):
                self.ui.classifierStatusLabel.text = work(self._parameterNode())
        finally:
            self._busy = False
            self.updateButtons()

    def onTrain(self) -> None:
        def train(parameters) -> str:
            saved = self.logic.trainClassifier(
                parameters.classifierFeaturesCsv,
                parameters.classifierLabelsCsv,
                parameters.classifierName.strip(),
                parameters.classifierAlgorithm,
                progress=self._progress,
            )
            return (
                saved.summary()
                + "\n"
                + _("Saved in {folder}; choose it in Calcification Analysis (Classifier list).").format(
                    folder=saved.folder
                )
            )

        self._run(_("Training the classifier failed."), train)

    def onCompare(self) -> None:
        def compare(parameters) -> str:
            node, evaluation = self.logic.compareClassifiers(
                parameters.classifierFeaturesCsv,
                parameters.classifierLabelsCsv,
                parameters.classifierEvaluationFolder,
                chosen=parameters.classifierAlgorithm,
                progress=self._progress,
            )
            slicer.app.applicationLogic().GetSelectionNode().SetActiveTableID(node.GetID())
            slicer.app.applicationLogic().PropagateTableSelection()
            best = evaluation.report.best()
            return _(
                "Best out-of-fold AUC: {algorithm} {auc}. Table, ROC, importance and reliability plots in {folder}."
            ).format(
                algorithm=best.algorithm.display_name,
                auc=f"{best.metrics.auc:.3f}",
                folder=parameters.classifierEvaluationFolder,
            )

        self._run(_("Comparing the classifiers failed."), compare)
