"""Tables and saving on a real slicer-core scene: .seg.nrrd, .csv and .mrb files that re-read exactly."""

from __future__ import annotations

import os
import zipfile

import nrrd
import numpy as np
import pytest

from calcification.core.errors import InputError
from calcification.logic.scene_factory import create_headless_scene
from calcification.logic.scene_storage import load_scene_bundle, save_scene_bundle, save_segmentation, save_table_csv
from calcification.logic.segmentation_nodes import (
    CALCIFICATION_SEGMENT_ID,
    create_calcification_segmentation,
    segment_mask,
    set_segment_mask,
)
from calcification.logic.table_nodes import columns_from_table_node, table_node_from_columns
from calcification.logic.volume_nodes import mammogram_from_volume_node, volume_node_from_mammogram

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
