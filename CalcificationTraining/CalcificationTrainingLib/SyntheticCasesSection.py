"""The panel's "Synthetic cases" section: write seeded synthetic cases with a progress bar and Cancel.

Kept beside the module file so that the file stays small; the writing itself is
``CalcificationTrainingLogic.generateSyntheticCases`` (``calcification.logic.workflows.synthetic_dataset``).
"""

import slicer
from slicer.i18n import tr as _


class SyntheticCasesSection:
    """Connects the section's Write and Cancel buttons; ``parameterNode()`` returns the panel's parameter node."""

    def __init__(self, ui, logic, parameterNode, updateButtons):
        self.ui, self.logic, self._parameterNode, self._updateButtons = ui, logic, parameterNode, updateButtons
        self._cancelRequested = False
        self.ui.generateButton.connect("clicked(bool)", self.onGenerate)
        self.ui.syntheticCancelButton.connect("clicked(bool)", self.onCancel)

    def onCancel(self) -> None:
        self._cancelRequested = True

    def _progress(self, fraction: float, message: str) -> bool:
        self.ui.syntheticProgressBar.value = int(round(100 * fraction))
        self.ui.syntheticStatusLabel.text = message
        slicer.app.processEvents()  # the writing runs in the GUI thread: keep Cancel clickable
        return not self._cancelRequested

    def onGenerate(self) -> None:
        from calcification.slicer_support.dependency_installer import ensure_dependencies

        if not ensure_dependencies():
            return
        self._cancelRequested = False
        self.ui.syntheticCancelButton.enabled = True
        self.ui.generateButton.enabled = False
        try:
            with slicer.util.tryWithErrorDisplay(_("Writing synthetic cases failed."), waitCursor=True):
                parameters = self._parameterNode()
                self.ui.syntheticStatusLabel.text = self.logic.generateSyntheticCases(
                    parameters.outputDirectory,
                    parameters.numberOfCases,
                    seed=parameters.seed,
                    writeScenes=parameters.writeScenes,
                    progress=self._progress,
                )
        finally:
            self.ui.syntheticCancelButton.enabled = False
            self._updateButtons()
