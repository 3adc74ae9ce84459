"""Tables and saving on a real slicer-core scene: .seg.nrrd, .csv and .mrb files that re-read exactly."""

from __future__ import annotations

import os
import zipfile

import nrrd
import numpy as np
import pytest

from calcification.core.errors import InputError
from calcification.logic.mrml.mrml_imports import vtk
from calcification.logic.mrml.scene_factory import create_headless_scene
from calcification.logic.mrml.scene_storage import (
    load_scene_bundle,
    save_scene_bundle,
    save_segmentation,
    save_table_csv,
)
from calcification.logic.mrml.segmentation_nodes import (
    CALCIFICATION_SEGMENT_ID,
    CALCIFICATION_TERMINOLOGY,
    create_calcification_segmentation,
    segment_mask,
    set_segment_mask,
)
from calcification.logic.mrml.table_nodes import columns_from_table_node, table_node_from_columns
from calcification.logic.mrml.volume_nodes import (
    DIRECTIONS_KEY,
    ORIGIN_KEY,
    mammogram_from_volume_node,
    volume_node_from_mammogram,
)

COLUMNS = {"id": [1, 2, 3], "area_mm2": [0.02, 0.5, 1.25], "shape": ["round", "linear", "round"]}


@pytest.fixture
def annotated_scene(scene, small_mammogram):
    volume = volume_node_from_mammogram(scene, small_mammogram, name="mammogram")
    segmentation_node = create_calcification_segmentation(scene, volume)
    mask = small_mammogram.pixels > 3500
    set_segment_mask(segmentation_node, CALCIFICATION_SEGMENT_ID, mask, volume)
    table = table_node_from_columns(scene, "calcifications", COLUMNS, {"area_mm2": "Area"}, {"area_mm2": "mm2"})
    return scene, volume, segmentation_node, table, mask


def test_table_columns_types_descriptions_and_units(annotated_scene):
    _, _, _, table, _ = annotated_scene
    columns = columns_from_table_node(table)
    assert list(columns) == ["id", "area_mm2", "shape"]
    assert columns["id"].dtype.kind == "i" and columns["area_mm2"].dtype.kind == "f"
    np.testing.assert_array_equal(columns["area_mm2"], COLUMNS["area_mm2"])
    assert list(columns["shape"]) == COLUMNS["shape"]
    assert table.GetColumnDescription("area_mm2") == "Area" and table.GetColumnUnitLabel("area_mm2") == "mm2"


def test_unequal_columns_are_refused(scene):
    with pytest.raises(InputError, match="different lengths"):
        table_node_from_columns(scene, "bad", {"a": [1, 2], "b": [1]})


def test_segmentation_file_reads_back_in_a_fresh_scene(annotated_scene, tmp_path):
    _, volume, segmentation_node, _, mask = annotated_scene
    path = save_segmentation(segmentation_node, tmp_path / "case.seg.nrrd")
    header = nrrd.read_header(str(path))
    assert header["Segment0_Name"] == "Calcification"
    fresh = create_headless_scene()
    fresh_volume = volume_node_from_mammogram(fresh, mammogram_from_volume_node(volume), name="again")
    storage = fresh.AddNewNodeByClass("vtkMRMLSegmentationStorageNode")
    loaded = fresh.AddNewNodeByClass("vtkMRMLSegmentationNode")
    storage.SetFileName(str(path))
    assert storage.ReadData(loaded)
    np.testing.assert_array_equal(segment_mask(loaded, CALCIFICATION_SEGMENT_ID, fresh_volume), mask)


def test_csv_has_values_and_schema(annotated_scene, tmp_path):
    _, _, _, table, _ = annotated_scene
    save_table_csv(table, tmp_path / "calcifications.csv")
    assert sorted(os.listdir(tmp_path)) == ["calcifications.csv", "calcifications.schema.csv"]
    lines = (tmp_path / "calcifications.csv").read_text().splitlines()
    assert lines[0] == '"id","area_mm2","shape"' and lines[2].startswith("2,0.5,")
    assert '"area_mm2","Area","mm2"' in (tmp_path / "calcifications.schema.csv").read_text()


def test_scene_bundle_round_trip(annotated_scene, tmp_path, small_mammogram):
    scene, _, _, _, mask = annotated_scene
    save_scene_bundle(scene, tmp_path / "case.mrb")
    assert os.listdir(tmp_path) == ["case.mrb"]
    loaded = load_scene_bundle(tmp_path / "case.mrb")
    volume = loaded.GetFirstNodeByName("mammogram")
    np.testing.assert_array_equal(mammogram_from_volume_node(volume).pixels, small_mammogram.pixels)
    segmentation_node = loaded.GetFirstNodeByClass("vtkMRMLSegmentationNode")
    np.testing.assert_array_equal(segment_mask(segmentation_node, CALCIFICATION_SEGMENT_ID, volume), mask)
    table = loaded.GetFirstNodeByClass("vtkMRMLTableNode")
    np.testing.assert_array_equal(columns_from_table_node(table)["area_mm2"], COLUMNS["area_mm2"])


def test_unwritable_destination_leaves_nothing(annotated_scene, tmp_path):
    scene, _, segmentation_node, table, _ = annotated_scene
    (tmp_path / "a-file").write_text("occupies the name of the folder")
    for folder in (tmp_path / "no-such-folder", tmp_path / "a-file"):
        with pytest.raises(InputError, match="does not exist"):
            save_segmentation(segmentation_node, folder / "case.seg.nrrd")
        with pytest.raises(InputError, match="does not exist"):
            save_scene_bundle(scene, folder / "case.mrb")
        with pytest.raises(InputError, match="does not exist"):
            save_table_csv(table, folder / "table.csv")
    assert sorted(os.listdir(tmp_path)) == ["a-file"]


def test_loading_a_missing_or_bogus_bundle_is_refused(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_scene_bundle(tmp_path / "none.mrb")
    (tmp_path / "bogus.mrb").write_text("not a zip")
    with pytest.raises(InputError, match="not a readable"):
        load_scene_bundle(tmp_path / "bogus.mrb")
    with zipfile.ZipFile(tmp_path / "empty.mrb", "w") as archive:
        archive.writestr("readme.txt", "a zip without a scene")
    working_directory = os.getcwd()
    with pytest.raises(InputError, match="not a readable"):
        load_scene_bundle(tmp_path / "empty.mrb")
    assert os.getcwd() == working_directory


def test_csv_reads_back_in_a_fresh_scene_with_types_descriptions_and_units(annotated_scene, tmp_path):
    _, _, _, table, _ = annotated_scene
    save_table_csv(table, tmp_path / "calcifications.csv")
    fresh = create_headless_scene()
    storage = fresh.AddNewNodeByClass("vtkMRMLTableStorageNode")
    loaded = fresh.AddNewNodeByClass("vtkMRMLTableNode")
    storage.SetFileName(str(tmp_path / "calcifications.csv"))
    assert storage.ReadData(loaded)
    columns = columns_from_table_node(loaded)
    assert columns["id"].dtype.kind == "i" and list(columns["id"]) == COLUMNS["id"]
    np.testing.assert_array_equal(columns["area_mm2"], COLUMNS["area_mm2"])
    assert list(columns["shape"]) == COLUMNS["shape"]
    assert (loaded.GetColumnDescription("area_mm2"), loaded.GetColumnUnitLabel("area_mm2")) == ("Area", "mm2")


def test_seg_nrrd_header_carries_terminology_and_the_rotated_geometry(scene, mammogram_volume_node, tmp_path):
    segmentation_node = create_calcification_segmentation(scene, mammogram_volume_node)
    mask = np.zeros((30, 50), bool)
    mask[10:13, 20:23] = True
    set_segment_mask(segmentation_node, CALCIFICATION_SEGMENT_ID, mask, mammogram_volume_node)
    path = save_segmentation(segmentation_node, tmp_path / "rotated.seg.nrrd")
    data, header = nrrd.read(str(path))
    tags = dict(tag.split(":", 1) for tag in header["Segment0_Tags"].split("|") if tag)
    assert tags["TerminologyEntry"] == CALCIFICATION_TERMINOLOGY
    assert header["Segment0_NameAutoGenerated"] == header["Segment0_ColorAutoGenerated"] == "0"
    assert header["space"] == "left-posterior-superior"
    matrix = vtk.vtkMatrix4x4()
    mammogram_volume_node.GetIJKToRASMatrix(matrix)
    ijk_to_lps = np.diag([-1.0, -1.0, 1.0]) @ np.array([[matrix.GetElement(i, j) for j in range(3)] for i in range(3)])
    space_directions = np.asarray(header["space directions"], dtype=float)[-3:]  # rows: the I, J, K axes
    np.testing.assert_allclose(space_directions, ijk_to_lps.T, atol=1e-9)
    np.testing.assert_allclose(header["space origin"], [-12.5, 40.25, 3.0], atol=1e-9)
    assert data.shape[:2] == (50, 30) and (data.reshape(50, 30).T != 0).sum() == mask.sum()


def test_bundle_keeps_geometry_attributes_terminology_and_column_metadata(scene, mammogram_volume_node, tmp_path):
    segmentation_node = create_calcification_segmentation(scene, mammogram_volume_node)
    mask = np.zeros((30, 50), bool)
    mask[10:13, 20:23] = True
    set_segment_mask(segmentation_node, CALCIFICATION_SEGMENT_ID, mask, mammogram_volume_node)
    table_node_from_columns(scene, "calcifications", COLUMNS, {"area_mm2": "Area"}, {"area_mm2": "mm2"})
    save_scene_bundle(scene, tmp_path / "rotated.mrb")
    with zipfile.ZipFile(tmp_path / "rotated.mrb") as archive:
        assert "rotated/rotated.mrml" in archive.namelist()  # named after the file, not the temporary name
    loaded = load_scene_bundle(tmp_path / "rotated.mrb")
    volume = loaded.GetFirstNodeByName("synthetic mammogram")
    original, again = mammogram_from_volume_node(mammogram_volume_node), mammogram_from_volume_node(volume)
    np.testing.assert_array_equal(again.pixels, original.pixels)
    for key in (DIRECTIONS_KEY, ORIGIN_KEY):  # NRRD stores them as decimal text: equal to double precision
        np.testing.assert_allclose(again.metadata[key], original.metadata[key], rtol=0, atol=1e-12)
    assert (again.spacing_mm, again.laterality) == (original.spacing_mm, original.laterality)
    loaded_segmentation = loaded.GetFirstNodeByClass("vtkMRMLSegmentationNode")
    segment = loaded_segmentation.GetSegmentation().GetSegment(CALCIFICATION_SEGMENT_ID)
    assert segment.GetTerminology() == CALCIFICATION_TERMINOLOGY
    np.testing.assert_array_equal(segment_mask(loaded_segmentation, CALCIFICATION_SEGMENT_ID, volume), mask)
    table = loaded.GetFirstNodeByClass("vtkMRMLTableNode")
    assert (table.GetColumnDescription("area_mm2"), table.GetColumnUnitLabel("area_mm2")) == ("Area", "mm2")


def test_a_folder_in_the_way_is_refused_and_a_bundle_is_replaced_whole(annotated_scene, tmp_path):
    scene, _, segmentation_node, _, _ = annotated_scene
    (tmp_path / "case.mrb").mkdir()
    (tmp_path / "case.seg.nrrd").mkdir()
    with pytest.raises(InputError, match="folder of that name"):
        save_scene_bundle(scene, tmp_path / "case.mrb")
    with pytest.raises(InputError, match="folder of that name"):
        save_segmentation(segmentation_node, tmp_path / "case.seg.nrrd")
    assert sorted(os.listdir(tmp_path)) == ["case.mrb", "case.seg.nrrd"] and not os.listdir(tmp_path / "case.mrb")
    (tmp_path / "case.seg.nrrd").rmdir()
    (tmp_path / "case.mrb").rmdir()
    (tmp_path / "case.mrb").write_bytes(b"an older bundle")
    save_scene_bundle(scene, tmp_path / "case.mrb")
    assert os.listdir(tmp_path) == ["case.mrb"] and zipfile.is_zipfile(tmp_path / "case.mrb")
