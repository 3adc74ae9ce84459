"""``calcification train-classifier`` / ``evaluate-classifier`` / ``classifiers``: FEATURES + LABELS in the form
``analyze`` and ``synth`` write, a saved classifier that loads and judges, the seven-algorithm comparison files, the
synthetic path on real segmenter output, and bad tables that are refused before anything is written."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from calcification.cli.main import main
from calcification.core.analysis import judge_malignancy
from calcification.core.classification import load_classifier
from calcification.core.evaluation.classifier_plots import roc_points
from calcification.core.features import IMAGE_FEATURE_NAMES
from calcification.logic.training.classifier_evaluation import OUTPUT_NAMES
from calcification.logic.training.classifier_training_data import training_table

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_tables(folder, n_cases=60, seed=0, label_text=("benign", "malignant")):
    """FEATURES.csv and LABELS.csv with a real signal: malignant cases have more, smaller, rounder-less calcifications
    (calc_num, size_10 up; round_m down), the other features are noise; two cases (CC and MLO) per patient."""
    rng = np.random.default_rng(seed)
    y = (np.arange(n_cases) // 2) % 2  # both views of a patient share the label
    features, labels = folder / "features.csv", folder / "labels.csv"
    with open(features, "w", newline="") as f_handle, open(labels, "w", newline="") as l_handle:
        fw = csv.DictWriter(f_handle, fieldnames=["case_id", "patient_id", "laterality", "view", *IMAGE_FEATURE_NAMES])
        lw = csv.DictWriter(l_handle, fieldnames=["case_id", "patient_id", "label"])
        fw.writeheader()
        lw.writeheader()
        for i in range(n_cases):
            values = {name: abs(rng.normal(5.0, 2.0)) for name in IMAGE_FEATURE_NAMES}
            values["calc_num"] += 6.0 * y[i] + rng.normal(0, 2.0)
            values["size_10"] += 4.0 * y[i]
            values["round_m"] -= 2.0 * y[i]
            patient = f"P{i // 2:03d}"
            fw.writerow(
                {"case_id": f"case{i:03d}", "patient_id": "", "laterality": "L", "view": ("CC", "MLO")[i % 2], **values}
            )
            lw.writerow({"case_id": f"case{i:03d}", "patient_id": patient, "label": label_text[y[i]]})
    return features, labels


def test_train_on_feature_and_label_csvs_saves_a_classifier_that_judges(tmp_path, capsys):
    features, labels = write_tables(tmp_path, label_text=("0", "1"))  # 0/1 labels are accepted too
    out = tmp_path / "clf"
    assert (
        main(
            [
                "train-classifier",
                str(features),
                str(labels),
                "--name",
                "site_adaboost",
                "--out",
                str(out),
                "--n-boot",
                "100",
            ]
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["classifier"] == "site_adaboost" and printed["n_cases"] == 60 and printed["auc"] > 0.8
    trained = load_classifier(out)
    assert (out / "classifier.onnx").is_file()  # exported when trained: analyses load it without scikit-learn
    assert type(trained.model).__name__ == "OnnxClassifier"
    card = trained.card
    assert card.name == "site_adaboost" and card.algorithm.value == "adaboost" and not card.synthetic_training
    assert card.n_patients == 30 and card.n_malignant == 30 and "features.csv" in card.trained_on
    assert card.feature_names == tuple(IMAGE_FEATURE_NAMES)
    low = {name: 5.0 for name in IMAGE_FEATURE_NAMES}
    high = {**low, "calc_num": 17.0, "size_10": 9.0, "round_m": 3.0}
    assert judge_malignancy(high, trained).probability > judge_malignancy(low, trained).probability
    assert not (out / "training_features.csv").exists()  # only synthetic training keeps its table


def test_existing_classifier_is_refused_before_any_work_and_left_untouched(tmp_path, capsys):
    features, labels = write_tables(tmp_path)
    out = tmp_path / "clf"
    assert (
        main(
            [
                "train-classifier",
                str(features),
                str(labels),
                "--name",
                "a",
                "--out",
                str(out),
                "--n-boot",
                "50",
                "--algorithm",
                "logistic_regression",
            ]
        )
        == 0
    )
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    assert main(["train-classifier", str(features), str(labels), "--name", "b", "--out", str(out)]) == 2
    assert "already holds a classifier" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("drop_label_row", "have no row in"),
        ("normal_label", "other than benign/malignant"),
        ("drop_feature_column", "lacks the feature column(s) clu_num"),
        ("text_in_feature", "is 'many', not a number"),
        ("no_patient_ids", "no patient id in either file"),
        ("one_class", "needs benign and malignant"),
        ("duplicate_case", "several rows for case001"),
    ],
)
def test_bad_tables_are_refused_with_the_rows_to_fix_and_nothing_is_written(tmp_path, capsys, damage, message):
    features, labels = write_tables(tmp_path, n_cases=12)
    feature_rows = list(csv.DictReader(open(features, newline="")))
    label_rows = list(csv.DictReader(open(labels, newline="")))
    if damage == "drop_label_row":
        label_rows = label_rows[1:]
    elif damage == "normal_label":
        label_rows[3]["label"] = "normal"
    elif damage == "drop_feature_column":
        feature_rows = [{k: v for k, v in row.items() if k != "clu_num"} for row in feature_rows]
    elif damage == "text_in_feature":
        feature_rows[2]["calc_num"] = "many"
    elif damage == "no_patient_ids":
        label_rows = [{**row, "patient_id": ""} for row in label_rows]
    elif damage == "one_class":
        label_rows = [{**row, "label": "benign"} for row in label_rows]
    elif damage == "duplicate_case":
        feature_rows.append(dict(feature_rows[1]))
    for path, rows in ((features, feature_rows), (labels, label_rows)):
        with open(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    out = tmp_path / "clf"
    assert main(["train-classifier", str(features), str(labels), "--name", "x", "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
    assert main(["evaluate-classifier", str(features), str(labels), "--out", str(tmp_path / "eval")]) == 2
    assert not (tmp_path / "eval").exists()


def test_evaluation_compares_all_seven_algorithms_and_writes_every_file(tmp_path, capsys):
    features, labels = write_tables(tmp_path, n_cases=80)
    out = tmp_path / "eval"
    assert main(["evaluate-classifier", str(features), str(labels), "--out", str(out), "--n-boot", "100"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_NAMES)
    rows = list(csv.DictReader(open(out / "algorithms.csv", newline="")))
    expected = ["Decision tree", "Logistic regression", "SVM", "k-NN", "Random forest", "Gradient boosting", "AdaBoost"]
    assert [r["algorithm"] for r in rows] == [*expected, "AdaBoost (calibrated, as shipped)"]
    for row in rows:
        assert float(row["auc_low"]) <= float(row["auc"]) <= float(row["auc_high"])
        assert 0.0 <= float(row["brier"]) <= 1.0
    assert float(rows[1]["auc"]) > 0.8  # logistic regression finds the linear signal
    importance = list(csv.DictReader(open(out / "importance.csv", newline="")))
    assert len(importance) == len(IMAGE_FEATURE_NAMES)
    assert {importance[0]["feature"], importance[1]["feature"]} & {"calc_num", "size_10", "round_m"}
    oof = list(csv.DictReader(open(out / "out_of_fold.csv", newline="")))
    assert len(oof) == 80 and {r["fold"] for r in oof} == {"0", "1", "2", "3", "4"}
    assert all(len({r["fold"] for r in oof if r["patient_id"] == p}) == 1 for p in {r["patient_id"] for r in oof})
    for name in ("roc.png", "importance.png", "reliability.png"):
        assert (out / name).read_bytes()[:8] == PNG_SIGNATURE
    summary = json.loads((out / "summary.json").read_text())
    assert summary["chosen"] == "adaboost" and len(summary["algorithms"]) == 8


def test_synthetic_training_measures_segmenter_output_and_keeps_its_table(tmp_path, capsys):
    out = tmp_path / "synthetic_clf"
    assert (
        main(
            [
                "train-classifier",
                "--synthetic",
                "14",
                "--synthetic-seed",
                "7100",
                "--synthetic-shape",
                "384,320",
                "--method",
                "hdog",
                "--folds",
                "2",
                "--n-boot",
                "50",
                "--algorithm",
                "logistic_regression",
                "--name",
                "tiny_synthetic",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    card = load_classifier(out).card
    assert card.synthetic_training and card.n_cases == 14
    assert "Hessian-DoG" in card.trained_on and "not the ground-truth masks" in card.trained_on
    table = training_table(out / "training_features.csv", out / "training_labels.csv")
    assert table.y.size == 14 and table.case_ids[0] == "synth7100-00000_" + table.case_ids[0].split("_", 1)[1]
    assert np.isfinite(table.X).all() and table.X[:, IMAGE_FEATURE_NAMES.index("calc_num")].max() > 0


def test_classifiers_lists_a_trained_user_classifier(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CALCIFICATION_CLASSIFIERS_DIR", str(tmp_path / "user"))
    features, labels = write_tables(tmp_path, n_cases=40)
    assert (
        main(
            [
                "train-classifier",
                str(features),
                str(labels),
                "--name",
                "mine",
                "--n-boot",
                "50",
                "--algorithm",
                "logistic_regression",
            ]
        )
        == 0
    )
    assert (tmp_path / "user" / "mine" / "classifier_card.json").is_file()
    capsys.readouterr()
    assert main(["classifiers"]) == 0
    listing = capsys.readouterr().out
    assert "mine  [user]  Logistic regression, 40 cases" in listing


def test_roc_points_step_through_ties_and_end_at_one():
    fpr, tpr = roc_points([0, 0, 1, 1], [0.1, 0.5, 0.5, 0.9])
    assert fpr.tolist() == [0.0, 0.0, 0.5, 1.0] and tpr.tolist() == [0.0, 0.5, 1.0, 1.0]
    area = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    assert area == pytest.approx(0.875)  # the rank AUC: one tie counts half


def test_comparison_table_node_holds_every_algorithm_with_descriptions(tmp_path, scene):
    from calcification.logic.mrml.table_nodes import table_node_from_columns
    from calcification.logic.training.classifier_evaluation import (
        COMPARISON_COLUMNS,
        comparison_columns,
        evaluate_classifiers,
    )

    features, labels = write_tables(tmp_path, n_cases=40)
    evaluation = evaluate_classifiers(
        training_table(features, labels), tmp_path / "eval", ["logistic_regression", "adaboost"], n_boot=50
    )
    node = table_node_from_columns(
        scene, "Classifier comparison", comparison_columns(evaluation), descriptions=COMPARISON_COLUMNS
    )
    assert node.GetNumberOfRows() == 3 and node.GetNumberOfColumns() == len(COMPARISON_COLUMNS)
    assert node.GetCellText(2, 0) == "AdaBoost (calibrated, as shipped)"
    assert float(node.GetCellText(0, 1)) == pytest.approx(evaluation.report.results[0].metrics.auc)
    assert node.GetColumnDescription("brier").startswith("Brier score")


def test_shipped_classifier_says_it_learned_from_segmenter_output_on_synthetic_cases():
    from calcification.core.classification import DEFAULT_CLASSIFIER_NAME, list_classifiers

    entry = next(e for e in list_classifiers() if e.name == DEFAULT_CLASSIFIER_NAME)
    assert entry.origin == "shipped"
    trained = load_classifier(DEFAULT_CLASSIFIER_NAME)  # SHA-256 and allowed types checked on load
    card = trained.card
    assert card.synthetic_training and card.algorithm.value == "adaboost" and card.calibration_method == "sigmoid"
    assert "not the ground-truth masks" in card.trained_on and "no real patient" in card.trained_on
    table = training_table(entry.folder / "training_features.csv", entry.folder / "training_labels.csv")
    assert table.y.size == card.n_cases and int(table.y.sum()) == card.n_malignant
    assert card.metrics.auc_low <= card.metrics.auc <= card.metrics.auc_high
    verdict = judge_malignancy(dict(zip(table.feature_names, table.X[0], strict=True)), trained)
    assert 0.0 <= verdict.probability <= 1.0 and "synthetic" in verdict.warning.lower()


def test_a_trained_classifier_is_scored_on_held_out_cases_without_refitting(tmp_path, capsys):
    train_dir, test_dir = tmp_path / "train", tmp_path / "test"
    train_dir.mkdir()
    test_dir.mkdir()
    features, labels = write_tables(train_dir, n_cases=60, seed=1)
    held_features, held_labels = write_tables(test_dir, n_cases=40, seed=2)
    assert (
        main(
            [
                "train-classifier",
                str(features),
                str(labels),
                "--name",
                "lr",
                "--out",
                str(tmp_path / "lr"),
                "--algorithm",
                "logistic_regression",
                "--n-boot",
                "50",
            ]
        )
        == 0
    )
    out = tmp_path / "held_out"
    assert (
        main(
            [
                "evaluate-classifier",
                str(held_features),
                str(held_labels),
                "--classifier",
                str(tmp_path / "lr"),
                "--out",
                str(out),
                "--n-boot",
                "100",
            ]
        )
        == 0
    )
    from calcification.logic.training.classifier_evaluation import HELD_OUT_NAMES

    assert sorted(p.name for p in out.iterdir()) == sorted(HELD_OUT_NAMES)
    report = json.loads((out / "held_out.json").read_text())
    assert report["classifier"] == "lr" and report["n_cases"] == 40 and report["auc"] > 0.8
    rows = list(csv.DictReader(open(out / "held_out.csv", newline="")))
    expected = load_classifier(tmp_path / "lr").predict_probability(training_table(held_features, held_labels).X)
    assert [float(r["probability"]) for r in rows] == pytest.approx(expected.tolist())
    capsys.readouterr()
    assert (
        main(
            [
                "evaluate-classifier",
                str(held_features),
                str(held_labels),
                "--classifier",
                "no_such_classifier",
                "--out",
                str(tmp_path / "none"),
            ]
        )
        == 2
    )
    assert "no_such_classifier" in capsys.readouterr().err and not (tmp_path / "none").exists()


def test_segmenter_flags_without_synthetic_cases_are_refused(tmp_path, capsys):
    features, labels = write_tables(tmp_path, n_cases=12)
    assert (
        main(
            [
                "train-classifier",
                str(features),
                str(labels),
                "--name",
                "x",
                "--out",
                str(tmp_path / "x"),
                "--method",
                "hdog",
            ]
        )
        == 2
    )
    assert "choose the segmenter of --synthetic cases" in capsys.readouterr().err and not (tmp_path / "x").exists()
    assert main(["train-classifier", "--name", "x", "--out", str(tmp_path / "x")]) == 2
    assert "Give FEATURES.csv and LABELS.csv, or --synthetic N" in capsys.readouterr().err
