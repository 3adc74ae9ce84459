"""Analysis of a calcification segmentation: features in one call, result tables and cluster outlines on a real
slicer-core scene, CSV + HTML export, the headless ``calcification analyze`` (identical tables to the console call,
all or nothing) and the breast-level result of CC + MLO views."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from calcification.cli.main import main
from calcification.core.analysis import analyze_mask, label_calcifications
from calcification.core.classification import CombinationRule, train_classifier
from calcification.core.errors import InputError
from calcification.core.features import (
    IMAGE_FEATURE_NAMES,
    attach_cluster_ids,
    find_clusters,
    image_feature_vector,
    measure_calcifications,
)
from calcification.core.image import Laterality, View
from calcification.core.io import read_mammogram
from calcification.core.synthetic import SynthesisConfig, generate_case
from calcification.logic.mrml.scene_factory import create_headless_scene
from calcification.logic.mrml.segmentation_nodes import (
    CALCIFICATION_SEGMENT_ID,
    create_calcification_segmentation,
    set_segment_mask,
)
from calcification.logic.mrml.table_nodes import columns_from_table_node
from calcification.logic.mrml.volume_nodes import volume_node_from_mammogram
from calcification.logic.workflows.analysis_files import AnalyzedFile, breast_results
from calcification.logic.workflows.analysis_workflow import (
    AnalysisRun,
    analyze_mammogram,
    analyze_segmentation_node,
    export_analysis,
)
from calcification.logic.workflows.segmentation_workflow import segment_volume_node
from calcification.logic.workflows.synthetic_dataset import write_case

SHAPE = (512, 448)
CLUSTERED = 2  # index of a case (seed 9100) whose ground truth holds two clusters


@pytest.fixture(scope="module")
def case():
    return generate_case(SynthesisConfig(shape=SHAPE), seed=9100, index=CLUSTERED)


@pytest.fixture(scope="module")
def tiny_classifier():
    """A real calibrated logistic regression that keys on calc_num only (the other features are constant in
    training, so they get no weight): about 10 calcifications benign, about 50 malignant."""
    rng = np.random.default_rng(0)
    X = np.zeros((80, len(IMAGE_FEATURE_NAMES)))
    y = np.tile([0, 1], 40)
    X[:, 0] = 10.0 + y * 40.0 + rng.normal(scale=8.0, size=80)
    return train_classifier(
        X,
        y,
        [f"p{i}" for i in range(80)],
        IMAGE_FEATURE_NAMES,
        "logistic_regression",
        folds=3,
        name="tiny_test",
        trained_on="test features",
        synthetic_training=True,
        n_boot=50,
    )


def _scene_with_case(case):
    scene = create_headless_scene()
    volume = volume_node_from_mammogram(scene, case.mammogram, name="case")
    segmentation = create_calcification_segmentation(scene, volume)
    set_segment_mask(segmentation, CALCIFICATION_SEGMENT_ID, case.mask, volume)
    return scene, volume, segmentation


def test_analyze_mask_matches_the_feature_functions_on_its_components(case):
    analysis = analyze_mask(case.mammogram.pixels, case.mask, case.mammogram.spacing_mm, case.breast_mask)
    labels, count = ndimage.label(case.mask, structure=np.ones((3, 3)))
    assert analysis.calcification_count == count > 0
    clusters = find_clusters(labels, case.mammogram.spacing_mm)
    measurements = attach_cluster_ids(
        measure_calcifications(case.mammogram.pixels, labels, case.mammogram.spacing_mm), clusters
    )
    assert analysis.features == image_feature_vector(measurements, clusters)
    assert list(analysis.features) == list(IMAGE_FEATURE_NAMES)
    assert analysis.cluster_count == 2
    assert analysis.breast_area_cm2 == pytest.approx(case.breast_mask.sum() * 0.07 * 0.07 / 100)


def test_empty_mask_gives_zero_features_and_bad_shapes_are_refused(case):
    empty = analyze_mask(case.mammogram.pixels, np.zeros(SHAPE, bool), (0.07, 0.07))
    assert empty.calcification_count == 0 and set(empty.features.values()) == {0.0}
    with pytest.raises(InputError, match="image's shape"):
        analyze_mask(case.mammogram.pixels, np.zeros((10, 10), bool), (0.07, 0.07))
    with pytest.raises(InputError, match="breast mask"):
        analyze_mask(case.mammogram.pixels, case.mask, (0.07, 0.07), breast=np.ones((3, 3), bool))
    diagonal = np.eye(4, dtype=bool)  # diagonal pixels are one 8-connected calcification
    assert label_calcifications(diagonal).max() == 1


def test_tables_outlines_and_refill_on_a_real_scene(case, tiny_classifier):
    scene, volume, segmentation = _scene_with_case(case)
    run = analyze_segmentation_node(scene, volume, segmentation, classifier=tiny_classifier)
    calcifications = columns_from_table_node(run.table_nodes["calcifications"])
    assert len(calcifications["label"]) == run.calcification_count
    np.testing.assert_allclose(calcifications["area_mm2"], run.analysis.measurements.area_mm2)
    assert run.table_nodes["calcifications"].GetColumnUnitLabel("area_mm2") == "mm²"
    assert "surround" in run.table_nodes["calcifications"].GetColumnDescription("density_8_mean")
    image = columns_from_table_node(run.table_nodes["image"])
    assert dict(zip(image["feature"], image["value"], strict=True)) == pytest.approx(run.analysis.features)
    assert len(run.cluster_nodes) == 2 and run.cluster_nodes[0].GetNumberOfControlPoints() >= 3
    assert 0.0 <= run.probability <= 1.0 and "tiny_test" in run.summary
    # The clicked row leads to the calcification's own centroid.
    row, col = run.location_pixel("calcifications", 0)
    assert run.analysis.labels[int(round(row)), int(round(col))] == calcifications["label"][0]
    assert run.location_pixel("image", 0) is None and run.location_pixel("clusters", 5) is None

    tables_before = scene.GetNumberOfNodesByClass("vtkMRMLTableNode")
    again = analyze_segmentation_node(scene, volume, segmentation, classifier=False, table_nodes=run.table_nodes)
    assert scene.GetNumberOfNodesByClass("vtkMRMLTableNode") == tables_before  # refilled, not added
    assert scene.GetNumberOfNodesByClass("vtkMRMLMarkupsClosedCurveNode") == 2  # replaced, not added
    assert again.probability is None and "no classifier" in again.summary


def test_bad_input_leaves_the_scene_untouched(case, tmp_path):
    scene, volume, segmentation = _scene_with_case(case)
    segmentation.GetSegmentation().RemoveSegment(CALCIFICATION_SEGMENT_ID)
    nodes_before = scene.GetNumberOfNodes()
    with pytest.raises(InputError, match="no 'Calcification' segment"):
        analyze_segmentation_node(scene, volume, segmentation)
    with pytest.raises(InputError, match="segment or annotate"):
        analyze_segmentation_node(scene, volume, None)
    with pytest.raises(InputError, match="Available classifiers"):
        analyze_segmentation_node(scene, volume, _scene_with_case(case)[2], classifier="no_such_classifier")
    assert scene.GetNumberOfNodes() == nodes_before


def test_export_writes_tables_and_a_self_contained_report(case, tiny_classifier, tmp_path):
    scene, volume, segmentation = _scene_with_case(case)
    run = analyze_segmentation_node(scene, volume, segmentation, classifier=tiny_classifier)
    created = export_analysis(run, tmp_path / "new" / "folder")  # created, as the command does (README snippet)
    assert sorted(p.name for p in created) == sorted(p.name for p in (tmp_path / "new" / "folder").iterdir())
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="Cannot create the export folder"):
        export_analysis(run, tmp_path / "file" / "below")
    written = export_analysis(run, tmp_path)
    names = sorted(p.name for p in written)
    assert names == sorted(
        [
            "case.features.csv",
            "case.calcifications.csv",
            "case.calcifications.schema.csv",
            "case.clusters.csv",
            "case.clusters.schema.csv",
            "case.report.html",
        ]
    )
    with open(tmp_path / "case.features.csv", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert float(row["calc_num"]) == run.calcification_count
    report = (tmp_path / "case.report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in report and report.count("<script") == 1 and "<script src" not in report
    assert "synthetic" in report and f"{100 * run.probability:.0f}" in report
    assert report.count("Cluster ") >= 2  # one zoomed crop per cluster


def _csv_columns(path: Path) -> dict[str, list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {name: [row[name] for row in rows] for name in rows[0]} if rows else {}


def test_headless_analyze_gives_the_console_tables(case, tmp_path):
    write_case(case, tmp_path)
    image = tmp_path / f"{case.record.case_id}.nrrd"
    out = tmp_path / "out"
    assert main(["analyze", str(image), "--out", str(out), "--method", "hdog", "--classifier", "none"]) == 0

    # The console path: load the same file into a scene, segment, analyse.
    scene = create_headless_scene()
    volume = volume_node_from_mammogram(scene, read_mammogram(image))
    segmented = segment_volume_node(scene, volume, segmenter="hdog")
    run = analyze_segmentation_node(scene, volume, segmented.segmentation_node, classifier=False)
    name = case.record.case_id
    for kind in ("calcifications", "clusters"):
        headless = _csv_columns(out / f"{name}.{kind}.csv")
        console = columns_from_table_node(run.table_nodes[kind])
        assert list(headless) == list(console)
        for column, values in console.items():
            if values.dtype.kind in "fi":
                np.testing.assert_array_equal([float(v) for v in headless[column]], values)  # every digit kept
            else:
                assert headless[column] == list(values)
    features = _csv_columns(out / f"{name}.features.csv")
    assert {k: float(features[k][0]) for k in IMAGE_FEATURE_NAMES} == pytest.approx(run.analysis.features)
    assert run.calcification_count > 0
    assert (out / "summary.csv").exists() and (out / "features.csv").exists()


def test_headless_analyze_is_all_or_nothing(case, tmp_path):
    write_case(case, tmp_path)
    image = tmp_path / f"{case.record.case_id}.nrrd"
    broken = tmp_path / "broken.dcm"
    broken.write_bytes(b"DICM" + bytes(200))
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier work")
    assert main(["analyze", str(image), str(broken), "--out", str(out), "--method", "hdog"]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    # Two images of one name no longer stop the run: the second one's files get a suffix (issue 20).
    assert main(["analyze", str(image), str(image), "--out", str(out), "--method", "hdog", "--classifier", "none"]) == 0
    name = case.record.case_id
    assert {f"{name}.report.html", f"{name}_2.report.html"} <= {p.name for p in out.iterdir()}


def test_exported_table_reads_back_in_slicer_with_types_and_units(case, tmp_path):
    scene, volume, segmentation = _scene_with_case(case)
    run = analyze_segmentation_node(scene, volume, segmentation, classifier=False)
    export_analysis(run, tmp_path)
    storage = scene.AddNewNodeByClass("vtkMRMLTableStorageNode")
    storage.SetFileName(str(tmp_path / "case.clusters.csv"))
    table = scene.AddNewNodeByClass("vtkMRMLTableNode", "read back")
    assert storage.ReadData(table)
    columns = columns_from_table_node(table)
    assert columns["count"].dtype == np.int64 and list(columns["shape"]) == list(
        run.tables()["clusters"].columns["shape"]
    )
    np.testing.assert_array_equal(columns["area_mm2"], run.tables()["clusters"].columns["area_mm2"])
    assert table.GetColumnUnitLabel("calcifications_per_cm2") == "1/cm²"


def _analyzed(case, view: View, patient: str, classifier) -> AnalyzedFile:
    mammogram = case.mammogram
    mammogram = type(mammogram)(
        **{**mammogram.__dict__, "view": view, "laterality": Laterality.LEFT, "metadata": {"patient_id": patient}}
    )
    analysis, malignancy, breast = analyze_mammogram(mammogram, case.mask, classifier)
    run = AnalysisRun(f"{patient}_{view.value}", mammogram, breast, analysis, malignancy, {})
    return AnalyzedFile(segmented=None, run=run, paths=())


def test_breast_level_result_combines_cc_and_mlo_of_one_breast(tiny_classifier):
    few = generate_case(SynthesisConfig(shape=SHAPE), seed=9100, index=3)  # 6 calcifications
    many = generate_case(SynthesisConfig(shape=SHAPE), seed=9100, index=CLUSTERED)  # 53 calcifications
    files = [
        _analyzed(few, View.CC, "A", tiny_classifier),
        _analyzed(many, View.MLO, "A", tiny_classifier),
        _analyzed(few, View.CC, "B", tiny_classifier),
    ]
    (a, b) = breast_results(files)
    cc, mlo = files[0].run.probability, files[1].run.probability
    assert cc < 0.5 <= mlo  # the classifier keys on calc_num: the views disagree
    assert (a.patient_id, a.cc_case, a.mlo_case) == ("A", "A_CC", "A_MLO")
    assert a.result.rule is CombinationRule.VIEWS_DISAGREE_MALIGNANT_VIEW
    assert a.result.malignant and a.result.probability == pytest.approx(mlo)
    assert b.result.rule is CombinationRule.SINGLE_VIEW and b.mlo_case == ""
    with pytest.raises(InputError, match="two CC images"):
        breast_results([*files, _analyzed(many, View.CC, "A", tiny_classifier)])


def test_breast_level_pairs_views_whose_patient_ids_name_the_view(tiny_classifier):
    few = generate_case(SynthesisConfig(shape=SHAPE), seed=9100, index=3)
    files = [
        _analyzed(few, View.CC, "Calc-Test_P_00038_LEFT_CC", tiny_classifier),
        _analyzed(few, View.MLO, "Calc-Test_P_00038_LEFT_MLO", tiny_classifier),
    ]
    (breast,) = breast_results(files)
    assert breast.patient_id == "Calc-Test_P_00038"
    assert (breast.cc_case, breast.mlo_case) == ("Calc-Test_P_00038_LEFT_CC_CC", "Calc-Test_P_00038_LEFT_MLO_MLO")
    assert breast.result.rule is CombinationRule.VIEWS_AGREE_MAXIMUM
