"""The product's mammography SEGs and SRs back into a scene, as the extension's DICOM plugin loads them.

Slicer's stock SEG loader converts with dcmqi's ``segimage2itkimage`` (the ``dcmqi`` PyPI package is the same
converter): it reads the SEG of an image with a patient coordinate system and refuses the SEG of a projection
mammogram without one (QIICR/dcmqi#319). The extension's plugin takes those (above the stock loader's confidence)
and its logic loads them on real MRML with the same segments and pixels as the ``.seg.nrrd`` the same run wrote.
"""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import numpy as np
import pytest
from pydicom.uid import generate_uid

from calcification.cli.main import main
from calcification.core.dicom_import.result_headers import STOCK_SEG_CONFIDENCE, read_result_header
from calcification.core.errors import InputError
from calcification.logic.mrml.segmentation_nodes import segment_mask
from calcification.logic.mrml.table_nodes import columns_from_table_node
from calcification.logic.workflows.agreement_nodes import load_segmentation_file
from calcification.logic.workflows.dicom_result_loading import load_dicom_cluster_table, load_dicom_segmentation

from dicom_factory import real_mammogram_crop, write_dicom

#: A crop of the DDSM demo image with one cluster and vascular calcifications (test_dicom_export.py's CROP).
CROP = (slice(2600, 3240), slice(600, 1112))
#: A patient coordinate system, as a "for processing" or tomosynthesis-projection image could carry one.
PATIENT_GEOMETRY = {
    "ImageOrientationPatient": [1, 0, 0, 0, 1, 0],
    "ImagePositionPatient": [0, 0, 0],
    "PixelSpacing": [0.05, 0.05],
    "SliceThickness": 1,
}


def _analysed(folder: Path, source: Path, **tags) -> dict:
    folder.mkdir()
    image = write_dicom(folder / "crop.dcm", real_mammogram_crop(source, *CROP, **tags))
    out = folder / "out"
    assert main(["analyze", str(image), "--method", "hdog", "--out", str(out), "--dicom"]) == 0
    (name,) = {path.name.split(".")[0] for path in out.glob("*.seg.dcm")}
    files = {suffix: out / f"{name}.{suffix}" for suffix in ("seg.dcm", "sr.dcm", "seg.nrrd", "clusters.csv")}
    return {"image": image, **files}


@pytest.fixture(scope="module")
def results(tmp_path_factory, ddsm_cases) -> dict:
    """The same real crop analysed twice: as a projection mammogram (no patient coordinate system) and with one."""
    folder = tmp_path_factory.mktemp("dicom_results")
    source = Path(ddsm_cases[0]["lcc"])
    return {
        "projection": _analysed(folder / "projection", source),
        "patient": _analysed(folder / "patient", source, FrameOfReferenceUID=generate_uid(), **PATIENT_GEOMETRY),
    }


def _dcmqi(seg: Path, out: Path) -> subprocess.CompletedProcess:
    import dcmqi  # the test extra: the converter Slicer's stock SEG loader runs

    out.mkdir()
    binary = Path(dcmqi.__file__).parent / "bin" / "segimage2itkimage"
    command = [str(binary), "--inputDICOM", str(seg), "--outputDirectory", str(out), "--mergeSegments"]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_dcmqi_converts_only_the_seg_of_an_image_with_a_patient_coordinate_system(results, tmp_path):
    converted = _dcmqi(results["patient"]["seg.dcm"], tmp_path / "patient")
    assert converted.returncode == 0, converted.stderr
    assert list((tmp_path / "patient").glob("*.nrrd"))
    refused = _dcmqi(results["projection"]["seg.dcm"], tmp_path / "projection")
    assert refused.returncode != 0 and "Plane Orientation (Patient) is missing" in refused.stdout + refused.stderr
    # The plugin's choice follows: above the stock loader where dcmqi refuses, below it where dcmqi converts.
    projection = read_result_header(results["projection"]["seg.dcm"])
    patient = read_result_header(results["patient"]["seg.dcm"])
    assert not projection.dcmqi_converts and projection.confidence > STOCK_SEG_CONFIDENCE
    assert patient.dcmqi_converts and patient.confidence < STOCK_SEG_CONFIDENCE
    assert read_result_header(results["projection"]["image"]) is None  # the mammogram itself is not a result
    assert read_result_header(results["projection"]["sr.dcm"]).modality == "SR"


@pytest.mark.parametrize("kind", ["projection", "patient"])
def test_the_plugin_logic_loads_the_seg_as_the_seg_nrrd_holds_it(results, scene, kind):
    files = results[kind]
    segmentation, volume = load_dicom_segmentation(scene, files["seg.dcm"], reference_path=files["image"])
    expected = load_segmentation_file(scene, files["seg.nrrd"])
    loaded_ids = list(segmentation.GetSegmentation().GetSegmentIDs())
    assert loaded_ids == list(expected.GetSegmentation().GetSegmentIDs())
    assert loaded_ids == ["Calcification", "Vascular calcification"]
    for segment_id in loaded_ids:
        mask = segment_mask(segmentation, segment_id, volume)
        assert mask.sum() > 0
        np.testing.assert_array_equal(mask, segment_mask(expected, segment_id, volume))
        ours = segmentation.GetSegmentation().GetSegment(segment_id)
        theirs = expected.GetSegmentation().GetSegment(segment_id)
        assert ours.GetName() == theirs.GetName()
        assert ours.GetTerminology() == theirs.GetTerminology() != ""
        np.testing.assert_allclose(ours.GetColor(), theirs.GetColor(), atol=0.02)
    # A second SEG of the same image goes onto the volume already loaded for it (as Slicer's DICOM module loads it).
    again, same_volume = load_dicom_segmentation(scene, files["seg.dcm"])
    assert same_volume is volume and again is not segmentation


def test_the_plugin_logic_loads_the_sr_cluster_measurements(results, scene):
    files = results["projection"]
    table = columns_from_table_node(load_dicom_cluster_table(scene, files["sr.dcm"]))
    with open(files["clusters.csv"], newline="", encoding="utf-8") as handle:
        clusters = list(csv.DictReader(handle))
    assert len(clusters) >= 1
    assert list(table["group"]) == [f"cluster {row['cluster_id']}" for row in clusters]
    np.testing.assert_array_equal(table["Number of calcifications [{count}]"], [float(r["count"]) for r in clusters])
    np.testing.assert_array_equal(table["Area [mm2]"], [float(r["area_mm2"]) for r in clusters])


def test_a_seg_without_its_image_is_refused_and_the_scene_left_alone(results, scene, tmp_path):
    files = results["projection"]
    before = scene.GetNumberOfNodes()
    with pytest.raises(InputError, match="is not loaded and its file was not found"):
        load_dicom_segmentation(scene, files["seg.dcm"])
    other = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode")  # an image of another size
    other.SetAndObserveImageData(None)
    with pytest.raises(InputError, match="does not outline this image"):
        load_dicom_segmentation(scene, files["seg.dcm"], volume_node=other)
    assert scene.GetNumberOfNodes() == before + 1
    with pytest.raises(InputError, match="not a readable DICOM Segmentation"):
        load_dicom_segmentation(scene, files["image"], reference_path=files["image"])
