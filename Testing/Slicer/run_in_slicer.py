"""Click through both panels inside a real 3D Slicer (5.10, 5.12 or later) and fail on any error or Python traceback.

Run from the repository root (README.md, "Testing in a real Slicer"; the same command, kept equal by
Testing/Python/test_run_in_slicer_command.py):

    /path/to/Slicer --no-splash \
      --additional-module-paths "$PWD/CalcificationAnalysis" "$PWD/CalcificationTraining" \
      --python-script "$PWD/Testing/Slicer/run_in_slicer.py"

It needs the main window (``slicer.util.selectModule`` raises without one and there is no layout manager), so no
``--no-main-window``; and no ``--disable-cli-modules``, which removes the CLI modules other DICOM loaders use.

Steps: install the Python packages (no question), open Calcification Analysis, load the sample through Sample
Data, trace one calcification with the "Calcification trace" effect in a slice view and undo it, segment with the
shipped network, analyse and export; open Calcification Training, check a two-case synthetic dataset and train one
epoch on it in the panel's own training process; write the sample as a DICOM mammogram without a patient coordinate
system (as projection mammograms are), analyse it into a DICOM SEG and SR (on Slicer 5.10, whose pydicom 2.4 the
extension keeps, written in a PythonSlicer process with pydicom 3 from a private folder), import them into a temporary
DICOM database and load the SEG and SR through Slicer's DICOM module, which must choose the extension's own plugin
(DICOMCalcificationResultsPlugin) for them. Exits 0 when every step passed and Slicer's log has no Python
traceback, else 1 (slicer.util.exit). Cannot run without Slicer; the pytest suite checks the rest.
"""

import logging
import os
import pathlib
import sys
import tempfile
import time
import traceback

import qt
import slicer
import vtk

ANALYSIS, TRAINING = "CalcificationAnalysis", "CalcificationTraining"


class LogWatcher(logging.Handler):
    """Keeps every log record that carries a Python traceback (Slicer routes Python errors through logging)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.tracebacks = []

    def emit(self, record):
        text = record.getMessage() + (self.formatException(record.exc_info) if record.exc_info else "")
        if "Traceback (most recent call last)" in text or record.exc_info:
            self.tracebacks.append(text)

    def formatException(self, excInfo):
        return "".join(traceback.format_exception(*excInfo))


def step(name):
    print(f"[run_in_slicer] {name}", flush=True)
    slicer.app.processEvents()


def waitUntil(condition, timeoutSeconds, what):
    deadline = time.monotonic() + timeoutSeconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeoutSeconds} s waiting for {what}")
        slicer.app.processEvents()
        time.sleep(0.05)


def segmentVoxelCount(segmentationNode, segmentId, volumeNode):
    return int(slicer.util.arrayFromSegmentBinaryLabelmap(segmentationNode, segmentId, volumeNode).sum())


def annotateWithTheTraceEffect(widget, volumeNode):
    """Outline the brightest sample calcification with the effect, as a click in the Red view would, then undo."""
    import numpy as np

    parameters = widget._parameterNode
    parameters.inputVolume = volumeNode
    parameters.outputSegmentation = widget.logic.createSegmentation(volumeNode)
    widget.onDefaultIntensityRange()
    slicer.util.setSliceViewerLayers(background=volumeNode, fit=True)
    editor = widget.ui.segmentEditorWidget
    editor.setActiveEffectByName("Calcification trace")
    effect = editor.activeEffect()
    assert effect is not None and effect.name == "Calcification trace", "the trace effect was not selected"
    pixels = slicer.util.arrayFromVolume(volumeNode)[0]
    row, col = np.unravel_index(int(np.argmax(pixels)), pixels.shape)
    ijkToRas = vtk.vtkMatrix4x4()
    volumeNode.GetIJKToRASMatrix(ijkToRas)
    ras = ijkToRas.MultiplyPoint((float(col), float(row), 0.0, 1.0))[:3]
    sliceWidget = slicer.app.layoutManager().sliceWidget("Red")
    slicer.modules.markups.logic().JumpSlicesToLocation(*ras, True)
    segmentId = editor.mrmlSegmentEditorNode().GetSelectedSegmentID()
    before = segmentVoxelCount(parameters.outputSegmentation, segmentId, volumeNode)
    effect.self().traceAt(effect.self().rasToXy(ras, sliceWidget), sliceWidget)
    traced = segmentVoxelCount(parameters.outputSegmentation, segmentId, volumeNode)
    assert traced > before, f"the trace added nothing ({effect.self().statusLabel.text})"
    editor.undo()
    assert segmentVoxelCount(parameters.outputSegmentation, segmentId, volumeNode) == before, "undo did not revert"
    return traced - before


def runAnalysisPanel(outputFolder):
    slicer.util.selectModule(ANALYSIS)
    widget = slicer.util.getModuleWidget(ANALYSIS)
    step("packages")
    assert widget.logic.ensureDependencies(askUser=False, needTorch=True), "the Python packages could not be installed"
    widget.onInstallDependencies(askUser=False)
    assert widget.ui.modelComboBox.count > 0, "the model list stayed empty after the installation"
    step("sample data")
    volumeNode = widget.logic.loadSample()
    assert volumeNode is not None, "the sample did not load"
    step(f"annotate: traced {annotateWithTheTraceEffect(widget, volumeNode)} voxels and undid them")
    step("segment")
    parameters = widget._parameterNode
    parameters.method, parameters.device = "network", "cpu"
    widget.onSegmentButton()
    assert widget.logic.lastResult is not None and widget.logic.lastResult.calcification_count > 0, "no segmentation"
    step("analyse")
    widget.onAnalyzeButton()
    assert widget.logic.lastAnalysis is not None, "no analysis"
    step("export")
    parameters.exportFolder = pathlib.Path(outputFolder)
    widget.onExportButton()
    assert any(name.endswith(".csv") for name in os.listdir(outputFolder)), "nothing exported"
    slicer.util.selectModule("Data")  # exit(): the effect must let go of the views


def runTrainingPanel(folder):
    from calcification.logic.workflows.synthetic_dataset import write_synthetic_dataset

    slicer.util.selectModule(TRAINING)
    widget = slicer.util.getModuleWidget(TRAINING)
    step("synthetic dataset")
    write_synthetic_dataset(folder, 2, seed=5)
    parameters = widget._parameterNode
    widget._setDataPaths([folder])
    parameters.labelsCsv = os.path.join(folder, "cases.csv")
    step("dataset check")
    widget.onCheckDataset()
    assert widget.ui.datasetTableView.mrmlTableNode() is not None, "the dataset check showed no table"
    step("one-epoch training")
    parameters.modelName, parameters.folds, parameters.epochs, parameters.fineTuneEpochs = "run_in_slicer", 1, 1, 0
    parameters.steps, parameters.batch, parameters.crop, parameters.device = 2, 2, 64, "cpu"
    widget.onStartTraining()
    assert widget._runner is not None, widget.ui.trainingStatusLabel.text
    waitUntil(lambda: widget._runner is None, 1200, "the training process")
    assert widget.ui.useForAnalysisButton.enabled, widget.ui.trainingStatusLabel.text
    slicer.util.selectModule("Data")


def writeSampleAsDicom(volumeNode, path):
    """The sample mammogram as a single-frame MG DICOM file without a patient coordinate system, as "for
    presentation" mammograms are (pydicom, bundled; written the same on Slicer 5.10's pydicom 2.4 and on 3)."""
    import numpy as np
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    from calcification.logic.workflows.dicom_results import save_dicom_file

    pixels = slicer.util.arrayFromVolume(volumeNode)[0]
    pixels = np.clip(pixels, 0, 65535).astype(np.uint16)
    dataset = Dataset()
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset.SOPClassUID = dataset.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.2"
    dataset.SOPInstanceUID = dataset.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    dataset.StudyInstanceUID, dataset.SeriesInstanceUID = generate_uid(), generate_uid()
    dataset.PatientID, dataset.PatientName, dataset.Modality = "RUN-IN-SLICER", "Sample^Synthetic", "MG"
    dataset.Rows, dataset.Columns = pixels.shape
    dataset.SamplesPerPixel, dataset.PhotometricInterpretation = 1, "MONOCHROME2"
    dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit, dataset.PixelRepresentation = 16, 16, 15, 0
    rowSpacing, columnSpacing = volumeNode.GetSpacing()[1], volumeNode.GetSpacing()[0]
    dataset.ImagerPixelSpacing = [f"{rowSpacing:.6g}", f"{columnSpacing:.6g}"]
    dataset.PixelData = pixels.tobytes()
    save_dicom_file(dataset, path)


def writeResultsWithPydicom3(dicomFolder, folder):
    """Write the SEG and SR of ``dicomFolder/sample.dcm`` with ``calcification analyze --dicom`` in a PythonSlicer
    process that finds pydicom 3 and highdicom first in a private folder. Slicer 5.10 keeps its pydicom 2.4.4, with
    which the extension gets highdicom 0.22, which cannot write a SEG; the running Slicer's packages stay as they
    are. PythonSlicer is found as slicer.util's _executePythonModule finds it (on the PATH Slicer sets)."""
    import shutil
    import subprocess

    python = shutil.which("PythonSlicer")
    assert python, "PythonSlicer is not on the PATH"
    private = pathlib.Path(folder) / "pydicom3"
    packages = ["highdicom>=0.27", "pydicom>=3.0.1", "pyjpegls>=1.0"]
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "--target", str(private), *packages], check=True)
    library = os.path.dirname(slicer.util.modulePath(ANALYSIS))  # the folder holding the calcification package
    searchPath = os.pathsep.join([str(private), library, os.environ.get("PYTHONPATH", "")])
    environment = dict(os.environ, PYTHONPATH=searchPath)
    command = "import sys; from calcification.cli.main import main; sys.exit(main(sys.argv[1:]))"
    out = pathlib.Path(folder) / "results-pydicom3"
    arguments = ["analyze", str(dicomFolder / "sample.dcm"), "--method", "hdog", "--out", str(out), "--dicom"]
    subprocess.run([python, "-c", command, *arguments], check=True, env=environment)
    for path in [*out.glob("*.seg.dcm"), *out.glob("*.sr.dcm")]:
        shutil.copy(path, dicomFolder / path.name)


def writeDicomResults(dicomFolder, folder):
    """SEG and SR of the sample beside it: in this process where its highdicom can write them (Slicer 5.12 and
    later), else with pydicom 3 in a separate process (writeResultsWithPydicom3). Returns their Series UIDs."""
    import pydicom

    from calcification.logic.errors import InputError
    from calcification.logic.workflows.analysis_files import analyze_files
    from calcification.logic.workflows.dicom_results import dicom_results_for, write_dicom_results

    batch = analyze_files([dicomFolder / "sample.dcm"], pathlib.Path(folder) / "results", segmenter="hdog")
    try:
        write_dicom_results(dicom_results_for(batch.files[0]), dicomFolder, "sample")
    except InputError as error:  # Slicer 5.10: the refusal names what to do
        step(f"DICOM results: {error} Writing them in a PythonSlicer process instead.")
        writeResultsWithPydicom3(dicomFolder, folder)
    seg, sr = next(dicomFolder.glob("*.seg.dcm")), next(dicomFolder.glob("*.sr.dcm"))
    return [pydicom.dcmread(path, stop_before_pixels=True).SeriesInstanceUID for path in (seg, sr)]


def runDicomResults(folder):
    """Load the product's DICOM SEG and SR through Slicer's DICOM database. API checked against Slicer's
    Modules/Scripted/DICOMLib/DICOMUtils.py (TemporaryDICOMDatabase, importDicom, loadSeriesWithVerification, whose
    expectedSelectedPlugins are keyed by the plugin's loadType)."""
    from DICOMLib import DICOMUtils

    assert "DICOMCalcificationResultsPlugin" in slicer.modules.dicomPlugins, "the extension's DICOM plugin is missing"
    loadType = slicer.modules.dicomPlugins["DICOMCalcificationResultsPlugin"]().loadType
    step("DICOM results: write the sample as DICOM, analyse, write SEG and SR")
    slicer.mrmlScene.Clear()
    volumeNode = slicer.util.getModuleLogic(ANALYSIS).loadSample()
    dicomFolder = pathlib.Path(folder) / "dicom"
    dicomFolder.mkdir()
    writeSampleAsDicom(volumeNode, dicomFolder / "sample.dcm")
    segSeries, srSeries = writeDicomResults(dicomFolder, folder)
    step("DICOM results: import into a temporary DICOM database and load the SEG and the SR")
    slicer.mrmlScene.Clear()
    with DICOMUtils.TemporaryDICOMDatabase(str(pathlib.Path(folder) / "database")):
        assert DICOMUtils.importDicom(str(dicomFolder)), "the DICOM files could not be imported"
        loaded = DICOMUtils.loadSeriesWithVerification(
            [segSeries],
            expectedSelectedPlugins={loadType: 1},
            expectedLoadedNodes={"vtkMRMLSegmentationNode": 1},
        )
        assert loaded, "the SEG did not load through the DICOM module with the extension's plugin (see the log)"
        loaded = DICOMUtils.loadSeriesWithVerification(
            [srSeries],
            expectedSelectedPlugins={loadType: 1},
            expectedLoadedNodes={"vtkMRMLTableNode": 1},
        )
        assert loaded, "the SR did not load through the DICOM module with the extension's plugin (see the log)"
    segmentationNode = slicer.mrmlScene.GetFirstNodeByClass("vtkMRMLSegmentationNode")
    names = [
        segmentationNode.GetSegmentation().GetNthSegment(i).GetName()
        for i in range(segmentationNode.GetSegmentation().GetNumberOfSegments())
    ]
    assert "Calcification" in names, f"segments loaded: {names}"
    slicer.util.selectModule("Data")


def main():
    watcher = LogWatcher()
    logging.getLogger().addHandler(watcher)
    failures = []
    os.environ.setdefault("CALCIFICATION_MODELS_DIR", tempfile.mkdtemp(prefix="calcification-models-"))
    runs = (
        ("analysis panel", runAnalysisPanel),
        ("training panel", runTrainingPanel),
        ("DICOM SEG and SR in the DICOM module", runDicomResults),
    )
    for name, run in runs:
        with tempfile.TemporaryDirectory() as folder:
            try:
                run(folder)
                step(f"{name}: passed")
            except Exception:
                failures.append(f"{name}:\n{traceback.format_exc()}")
                step(f"{name}: FAILED")
    failures += [f"traceback in the log:\n{text}" for text in watcher.tracebacks]
    for failure in failures:
        print(failure, file=sys.stderr)
    print(f"[run_in_slicer] {'FAILED' if failures else 'all steps passed'}", flush=True)
    slicer.util.exit(1 if failures else 0)


qt.QTimer.singleShot(0, main)  # after Slicer has finished starting (effects and sample data registered)
