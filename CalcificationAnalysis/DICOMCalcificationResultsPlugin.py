"""DICOM plugin that loads the CalcificationAnalysis product's mammography results from Slicer's DICOM database.

Slicer's stock SEG loader (DICOMSegmentationPlugin: in Slicer's core since 5.12, in QuantitativeReporting before)
converts with dcmqi's ``segimage2itkimage``, which refuses a SEG without a patient coordinate system (projection
mammograms, QIICR/dcmqi#319). This plugin loads the product's SEGs with highdicom onto the mammogram they outline,
and the cluster measurements of its TID 1500 SRs as a table. For SEGs dcmqi refuses it reports a confidence above
the stock loader's, so the DICOM module selects it; for others it is offered below the stock loader
(``calcification.core.dicom_import.result_headers``). Written as Slicer's scripted DICOM plugins are
(Modules/Scripted/DICOMLib/DICOMPlugin.py, Modules/Scripted/DICOMPlugins/DICOMScalarVolumePlugin.py): a
``DICOMPlugin`` subclass plus a module class that registers it in ``slicer.modules.dicomPlugins``.

Examining imports only what Slicer bundles (pydicom reads the header); loading asks to install the library's
packages first (highdicom), as the panels do. The reading itself is ``calcification.logic.workflows
.dicom_result_loading``, tested without Slicer.
"""

import logging

import slicer
from DICOMLib import DICOMLoadable, DICOMPlugin
from slicer.i18n import tr as _
from slicer.i18n import translate

#: Key of this plugin in ``slicer.modules.dicomPlugins`` (the DICOM module's plugin list).
PLUGIN_NAME = "DICOMCalcificationResultsPlugin"


class DICOMCalcificationResultsPluginClass(DICOMPlugin):
    """Loads the product's SEG (segmentation node on the referenced mammogram) and SR (cluster table)."""

    def __init__(self):
        super().__init__()
        self.loadType = _("Calcification results")
        self.tags["modality"] = "0008,0060"

    def examineForImport(self, fileLists):
        """One loadable per SEG or SR file of the product (DICOMPlugin.examineForImport)."""
        from calcification.logic.workflows.dicom_result_loading import result_header

        loadables = []
        for files in fileLists:
            for path in files:
                # The database's cached tag first: only SEG and SR files are opened (the header only).
                if slicer.dicomDatabase.fileValue(path, self.tags["modality"]) not in ("SEG", "SR"):
                    continue
                header = result_header(path)
                if header is not None:
                    loadables.append(self._loadable(path, header))
        return loadables

    def _loadable(self, path, header):
        loadable = DICOMLoadable()
        loadable.files = [path]
        loadable.name = header.series_description or _("Calcification results")
        if header.modality == "SEG":
            loadable.tooltip = _("Calcification segmentation, loaded onto the mammogram it outlines")
        else:
            loadable.tooltip = _("Calcification cluster measurements (TID 1500), loaded as a table")
        loadable.selected = True
        loadable.confidence = header.confidence
        loadable.modality = header.modality
        loadable.referencedInstanceUIDs = list(header.referenced_sop_instance_uids)
        return loadable

    def load(self, loadable):
        """Load ``loadable`` into the scene (DICOMPlugin.load); False, with the reason in the log, on failure."""
        from calcification.slicer_support.dependency_installer import ensure_dependencies

        if not ensure_dependencies(True, False):
            logging.error(_("Calcification results were not loaded: the Python packages they need are not installed."))
            return False
        from calcification.logic.errors import InputError
        from calcification.logic.workflows.dicom_result_loading import (
            load_dicom_cluster_table,
            load_dicom_segmentation,
        )

        path = loadable.files[0]
        try:
            if loadable.modality == "SEG":
                node = self._loadSegmentation(path, loadable, load_dicom_segmentation)
            else:
                node = load_dicom_cluster_table(slicer.mrmlScene, path, name=loadable.name)
        except InputError as error:
            logging.error(str(error))
            return False
        self.addSeriesInSubjectHierarchy(loadable, node)
        return True

    @staticmethod
    def _loadSegmentation(path, loadable, loadDicomSegmentation):
        """The SEG onto the referenced image: the volume already loaded from it, else its file in the database."""
        referencePath = None
        for uid in loadable.referencedInstanceUIDs:
            referencePath = slicer.dicomDatabase.fileForInstance(uid) or referencePath
        segmentationNode, _volumeNode = loadDicomSegmentation(
            slicer.mrmlScene, path, reference_path=referencePath, name=loadable.name
        )
        return segmentationNode


class DICOMCalcificationResultsPlugin:
    """Module hook: Slicer loads this file as a scripted module, which registers the plugin with the DICOM module
    (as Slicer's DICOMScalarVolumePlugin.py does)."""

    def __init__(self, parent):
        parent.title = _("DICOM Calcification Results Plugin")
        parent.categories = [translate("qSlicerAbstractCoreModule", "Developer Tools.DICOM Plugins")]
        parent.contributors = ["CalcificationAnalysis developers"]
        parent.helpText = _(
            "Loads the mammography DICOM SEG and TID 1500 SR objects that Calcification Analysis writes, also those "
            "of images without a patient coordinate system. No panel: use the DICOM module."
        )
        parent.acknowledgementText = ""
        parent.dependencies = ["DICOM", "Segmentations"]
        parent.hidden = True
        # The DICOM module may be created after this hook: make its plugin list if it is not there yet.
        if not hasattr(slicer.modules, "dicomPlugins"):
            slicer.modules.dicomPlugins = {}
        slicer.modules.dicomPlugins[PLUGIN_NAME] = DICOMCalcificationResultsPluginClass
