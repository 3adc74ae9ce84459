"""Segment Editor effect "Calcification trace": click the centre of a calcification, its outline is added.

Level tracing made for tiny bright objects (issue 6): the click snaps to the brightest pixel nearby and the outline
is traced with Slicer's vtkITKLevelTracingImageFilter at a level between that peak and the local background
(``calcification.logic.workflows.level_tracing``); with "Automatic level" off it behaves like Slicer's "Level tracing"
(the clicked value is the level). The outline goes through the editor's own modification path, so its masking
settings (editable intensity range, overwrite rules, mask segment) and its undo/redo apply to every click.
Ctrl+click marks a point annotation (a speck too small to outline) stored with the segmentation.

All array work is in ``calcification.logic.workflows.editor_effect_support``; this file only wires events and options.
Registered by the CalcificationAnalysis module, in the style of Slicer's ScriptedSegmentEditorEffect template.

Every Segment Editor calls ``setMRMLDefaults`` (and creates the options widgets) of every registered effect when it
gets a parameter node, also on a fresh Slicer where the library's packages are not installed yet: those methods
import only what Slicer bundles. A click asks to install the packages first (``ensureDependencies``).
"""

import logging
import os

import ctk
import qt
import slicer
import vtk
from SegmentEditorEffects import AbstractScriptedSegmentEditorEffect
from slicer.i18n import tr as _


class SegmentEditorEffect(AbstractScriptedSegmentEditorEffect):
    """Click-to-outline for calcifications; see the module docstring."""

    def __init__(self, scriptedEffect):
        scriptedEffect.name = "Calcification trace"  # modules find effects by this name: do not translate
        scriptedEffect.title = _("Calcification trace")  # shown in the editor (as Slicer's effects, since 5.6)
        scriptedEffect.perSegment = True  # modifies the selected segment
        AbstractScriptedSegmentEditorEffect.__init__(self, scriptedEffect)

    def clone(self):
        import qSlicerSegmentationsEditorEffectsPythonQt as effects

        clonedEffect = effects.qSlicerSegmentEditorScriptedEffect(None)
        clonedEffect.setPythonSource(__file__.replace("\\", "/"))
        return clonedEffect

    def icon(self):
        iconPath = os.path.join(os.path.dirname(__file__), "..", "Resources", "Icons", "CalcificationAnalysis.png")
        return qt.QIcon(iconPath) if os.path.exists(iconPath) else qt.QIcon()

    def helpText(self):
        return (
            "<html>"
            + _("""Outline calcifications with one click.<p><ul style="margin: 0">
<li><b>Left-click</b> on or near the centre of a calcification: its outline is added to the selected segment
(removed with <i>Erase</i> checked).</li>
<li><b>Ctrl+left-click</b>: mark a point (a speck too small to outline); points are saved with the segmentation.</li>
</ul><p>Set <i>Masking / Editable intensity range</i> to limit outlines to a density range.
Undo/redo with the editor's buttons or Ctrl+Z / Ctrl+Y.""")
            + "</html>"
        )

    def setupOptionsFrame(self):
        self.automaticLevelCheckBox = qt.QCheckBox(_("Automatic level (snap to the peak)"))
        self.automaticLevelCheckBox.setToolTip(
            _(
                "On: the click moves to the brightest pixel nearby and the outline is drawn between that peak and the "
                "local background. Off: Slicer's level tracing (the clicked pixel's value is the level)."
            )
        )
        self.scriptedEffect.addOptionsWidget(self.automaticLevelCheckBox)

        self.levelFractionSlider = ctk.ctkSliderWidget()
        self.levelFractionSlider.setToolTip(
            _("Level = background + fraction x (peak - background); 0.5 = half maximum.")
        )
        self.levelFractionSlider.minimum, self.levelFractionSlider.maximum = 0.05, 0.95
        self.levelFractionSlider.singleStep, self.levelFractionSlider.decimals = 0.05, 2
        self.scriptedEffect.addLabeledOptionsWidget(_("Level fraction:"), self.levelFractionSlider)

        self.snapRadiusSlider = ctk.ctkSliderWidget()
        self.snapRadiusSlider.setToolTip(_("How far from the click the peak is searched, in mm."))
        self.snapRadiusSlider.minimum, self.snapRadiusSlider.maximum = 0.0, 2.0
        self.snapRadiusSlider.singleStep, self.snapRadiusSlider.decimals = 0.05, 2
        self.snapRadiusSlider.suffix = " mm"
        self.scriptedEffect.addLabeledOptionsWidget(_("Snap radius:"), self.snapRadiusSlider)

        self.eraseCheckBox = qt.QCheckBox(_("Erase (remove the clicked outline)"))
        self.scriptedEffect.addOptionsWidget(self.eraseCheckBox)

        self.statusLabel = qt.QLabel()
        self.scriptedEffect.addOptionsWidget(self.statusLabel)

        self.automaticLevelCheckBox.connect("toggled(bool)", self.updateMRMLFromGUI)
        self.levelFractionSlider.connect("valueChanged(double)", self.updateMRMLFromGUI)
        self.snapRadiusSlider.connect("valueChanged(double)", self.updateMRMLFromGUI)
        self.eraseCheckBox.connect("toggled(bool)", self.updateMRMLFromGUI)

    def createCursor(self, widget):
        mainWindow = slicer.util.mainWindow()  # None with --no-main-window
        return mainWindow.cursor if mainWindow else qt.QCursor()  # as Slicer's effect template: no special cursor

    def dependenciesReady(self) -> bool:
        """True when the library's packages are importable; otherwise asks to install them (once per click)."""
        if getattr(self, "_dependenciesReady", False):
            return True
        from calcification.slicer_support.dependency_installer import ensure_dependencies

        self._dependenciesReady = ensure_dependencies(need_torch=False)
        if not self._dependenciesReady:
            self.statusLabel.text = _("Install the Python packages Calcification Analysis needs, then click again.")
        return self._dependenciesReady

    def setMRMLDefaults(self):
        from calcification.logic.workflows.level_tracing import (
            TraceOptions,  # importable before the first-use installation
        )

        self.scriptedEffect.setParameterDefault("AutomaticLevel", 1)
        self.scriptedEffect.setParameterDefault("LevelFraction", TraceOptions.level_fraction)
        self.scriptedEffect.setParameterDefault("SnapRadiusMm", TraceOptions.snap_radius_mm)
        self.scriptedEffect.setParameterDefault("Erase", 0)

    def updateGUIFromMRML(self):
        widgets = (self.automaticLevelCheckBox, self.levelFractionSlider, self.snapRadiusSlider, self.eraseCheckBox)
        wasBlocked = [widget.blockSignals(True) for widget in widgets]
        self.automaticLevelCheckBox.checked = self.scriptedEffect.integerParameter("AutomaticLevel") != 0
        self.levelFractionSlider.value = self.scriptedEffect.doubleParameter("LevelFraction")
        self.snapRadiusSlider.value = self.scriptedEffect.doubleParameter("SnapRadiusMm")
        self.eraseCheckBox.checked = self.scriptedEffect.integerParameter("Erase") != 0
        self.levelFractionSlider.enabled = self.snapRadiusSlider.enabled = self.automaticLevelCheckBox.checked
        for widget, blocked in zip(widgets, wasBlocked, strict=True):
            widget.blockSignals(blocked)

    def updateMRMLFromGUI(self):
        self.scriptedEffect.setParameter("AutomaticLevel", 1 if self.automaticLevelCheckBox.checked else 0)
        self.scriptedEffect.setParameter("LevelFraction", self.levelFractionSlider.value)
        self.scriptedEffect.setParameter("SnapRadiusMm", self.snapRadiusSlider.value)
        self.scriptedEffect.setParameter("Erase", 1 if self.eraseCheckBox.checked else 0)
        self.levelFractionSlider.enabled = self.snapRadiusSlider.enabled = self.automaticLevelCheckBox.checked

    def traceOptions(self):
        from calcification.logic.workflows.level_tracing import TraceOptions

        return TraceOptions(
            snap_radius_mm=self.scriptedEffect.doubleParameter("SnapRadiusMm"),
            automatic_level=self.scriptedEffect.integerParameter("AutomaticLevel") != 0,
            level_fraction=self.scriptedEffect.doubleParameter("LevelFraction"),
        )

    def processInteractionEvents(self, callerInteractor, eventId, viewWidget):
        abortEvent = False
        if viewWidget.className() != "qMRMLSliceWidget" or eventId != vtk.vtkCommand.LeftButtonPressEvent:
            return abortEvent
        if callerInteractor.GetShiftKey() or callerInteractor.GetAltKey():
            return abortEvent  # leave modified clicks to the views (e.g. Shift+move crosshair)
        if not self.dependenciesReady():
            return True
        xy = callerInteractor.GetEventPosition()
        if callerInteractor.GetControlKey():
            self.addPoint(xy, viewWidget)
            return True
        if not self.scriptedEffect.confirmCurrentSegmentVisible():
            return True
        self.traceAt(xy, viewWidget)
        return True

    def traceAt(self, xy, viewWidget):
        from calcification.logic.errors import CalcificationError
        from calcification.logic.workflows.editor_effect_support import fill_modifier_labelmap, trace_on_image

        sourceImage = self.scriptedEffect.sourceVolumeImageData()
        if sourceImage is None:
            self.statusLabel.text = _("Select a source volume first.")
            return
        segmentationNode = self.scriptedEffect.parameterSetNode().GetSegmentationNode()
        ijk = self.xyToIjk(xy, viewWidget, sourceImage, segmentationNode.GetParentTransformNode())
        try:
            traced = trace_on_image(sourceImage, ijk, self.traceOptions())
        except CalcificationError as error:
            self.statusLabel.text = str(error)
            return
        if traced is None or not traced.mask.any():
            self.statusLabel.text = _("Nothing to outline here (outside the image or flat background).")
            return
        self.scriptedEffect.saveStateForUndo()
        modifierLabelmap = self.scriptedEffect.defaultModifierLabelmap()
        extent = fill_modifier_labelmap(modifierLabelmap, traced)
        erase = self.scriptedEffect.integerParameter("Erase") != 0
        mode = (
            slicer.qSlicerSegmentEditorAbstractEffect.ModificationModeRemove
            if erase
            else (slicer.qSlicerSegmentEditorAbstractEffect.ModificationModeAdd)
        )
        self.scriptedEffect.modifySelectedSegmentByLabelmap(modifierLabelmap, mode, extent)
        count, level = int(traced.mask.sum()), f"{traced.level:g}"
        self.statusLabel.text = (
            _("Erased {count} pixels at level {level}.").format(count=count, level=level)
            if erase
            else _("Outlined {count} pixels at level {level}.").format(count=count, level=level)
        )

    def addPoint(self, xy, viewWidget):
        from calcification.logic.mrml.point_annotations import add_point_annotation_ras

        segmentationNode = self.scriptedEffect.parameterSetNode().GetSegmentationNode()
        if segmentationNode is None:
            return
        index = add_point_annotation_ras(segmentationNode, self.xyToRas(xy, viewWidget))
        logging.info(f"Calcification trace: point {index + 1} marked")
        self.statusLabel.text = _("Point {number} marked.").format(number=index + 1)
