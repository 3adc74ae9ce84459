"""Tests of the calibrated classifier, its skops folder (checksum, type allow-list, feature checks) and the
Lin et al. 2023 CC/MLO breast-level rule."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from calcification.core.classification import (
    ClassifierAlgorithm,
    CombinationRule,
    breast_patient_id,
    calibration_method_for,
    combine_views,
    list_classifiers,
    load_classifier,
    read_classifier_card,
    save_classifier,
    shipped_classifiers_dir,
    train_classifier,
    user_classifiers_dir,
)
from calcification.core.classification.classifier_store import CARD_FILE_NAME, MODEL_FILE_NAME, is_allowed_type
from calcification.core.errors import InputError

NAMES = ("calc_num", "clu_num", "size_10", "noise_a", "noise_b")


def feature_data(n_cases: int, seed: int = 0):
    """(X, y, groups): calc_num and clu_num carry the label, two or three cases per patient."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_cases, len(NAMES)))
    y = (rng.random(n_cases) < 1.0 / (1.0 + np.exp(-(2.5 * X[:, 0] + 2.0 * X[:, 1])))).astype(int)
    groups = np.array([f"patient-{k // 2 if k < n_cases // 2 else k // 3}" for k in range(n_cases)])
    return X, y, groups


@pytest.fixture(scope="module")
def trained():
    X, y, groups = feature_data(120)
    return train_classifier(
        X,
        y,
        groups,
        NAMES,
        ClassifierAlgorithm.LOGISTIC_REGRESSION,
        seed=1,
        folds=3,
        n_boot=100,
        name="test_lr",
        trained_on="120 synthetic feature rows",
        synthetic_training=True,
    )


def test_card_describes_the_training_and_probabilities_are_calibrated(trained):
    X, y, groups = feature_data(120)
    card = trained.card
    assert (card.n_cases, card.n_patients) == (120, np.unique(groups).size)
    assert (card.n_malignant, card.n_benign) == (int(y.sum()), int(120 - y.sum()))
    assert (
        card.calibration_method == "sigmoid"
        and card.synthetic_training
        and card.algorithm.value == "logistic_regression"
    )
    assert card.metrics.auc_low <= card.metrics.auc <= card.metrics.auc_high and card.metrics.auc > 0.8
    assert 0 < card.metrics.brier < 0.25 and card.feature_names == NAMES
    probabilities = trained.predict_probability(np.vstack([X, X * 50]))  # extreme rows too
    assert probabilities.shape == (240,) and probabilities.min() >= 0 and probabilities.max() <= 1
    assert calibration_method_for(999) == "sigmoid" and calibration_method_for(1000) == "isotonic"


def test_isotonic_calibration_with_1000_cases_and_default_adaboost():
    X, y, groups = feature_data(1000, seed=3)
    adaboost = train_classifier(X, y, groups, NAMES, n_boot=50, folds=2)
    assert adaboost.card.algorithm is ClassifierAlgorithm.ADABOOST and adaboost.card.calibration_method == "isotonic"
    probabilities = adaboost.predict_probability(X)
    assert probabilities.min() >= 0 and probabilities.max() <= 1 and adaboost.card.metrics.auc > 0.8


def test_round_trip_gives_identical_probabilities(trained, tmp_path):
    folder = save_classifier(trained, tmp_path / "lr")
    loaded = load_classifier(folder)
    X, _, _ = feature_data(40, seed=9)
    np.testing.assert_array_equal(loaded.predict_probability(X), trained.predict_probability(X))
    assert loaded.card == trained.card
    document = json.loads((folder / CARD_FILE_NAME).read_text())
    assert len(document["model_sha256"]) == 64 and document["feature_names"] == list(NAMES)
    with zipfile.ZipFile(folder / MODEL_FILE_NAME) as archive:  # a skops zip, not a pickle
        assert "schema.json" in archive.namelist()


def test_save_refuses_to_overwrite_and_files(trained, tmp_path):
    save_classifier(trained, tmp_path / "lr")
    before = (tmp_path / "lr" / MODEL_FILE_NAME).read_bytes()
    with pytest.raises(InputError, match="already holds"):
        save_classifier(trained, tmp_path / "lr")
    assert (tmp_path / "lr" / MODEL_FILE_NAME).read_bytes() == before
    save_classifier(trained, tmp_path / "lr", overwrite=True)
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        save_classifier(trained, tmp_path / "a_file")


def test_tampered_model_file_is_refused(trained, tmp_path):
    folder = save_classifier(trained, tmp_path / "lr")
    data = bytearray((folder / MODEL_FILE_NAME).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / MODEL_FILE_NAME).write_bytes(bytes(data))
    with pytest.raises(InputError, match="checksum"):
        load_classifier(folder)
    (folder / MODEL_FILE_NAME).unlink()
    with pytest.raises(InputError, match="missing"):
        load_classifier(folder)


def test_untrusted_type_is_refused_even_with_a_matching_checksum(trained, tmp_path):
    """A file naming a non-sklearn function (os.system) is refused before load, even when its card was rewritten."""
    import os

    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    folder = save_classifier(trained, tmp_path / "lr")
    skops.io.dump(FunctionTransformer(func=os.system), folder / MODEL_FILE_NAME)
    from calcification.core.checksums import sha256_of

    document = json.loads((folder / CARD_FILE_NAME).read_text())
    document["model_sha256"] = sha256_of(folder / MODEL_FILE_NAME)
    (folder / CARD_FILE_NAME).write_text(json.dumps(document))
    with pytest.raises(InputError, match="not trusted"):
        load_classifier(folder)
    allowed = ["sklearn.tree._tree.Tree", "numpy.dtype", "sklearn.calibration._SigmoidCalibration"]
    refused = ["posix.system", "builtins.eval", "numpy.load", "numpy.lib.npyio.NpzFile", "numpyx.evil", "sklearn"]
    assert [is_allowed_type(t) for t in allowed + refused] == [True] * 3 + [False] * 6


def test_missing_extra_or_misordered_features(trained):
    X, _, _ = feature_data(10, seed=4)
    row = dict(zip(NAMES, X[0], strict=True))
    assert trained.predict_probability(row)[0] == trained.predict_probability(X[:1])[0]
    del row["size_10"]
    with pytest.raises(InputError, match="missing \\['size_10'\\]"):
        trained.predict_probability(row)
    with pytest.raises(InputError, match="unexpected \\['clu_num_typo'\\]"):
        trained.predict_probability({**row, "size_10": 1.0, "clu_num_typo": 2.0})
    with pytest.raises(InputError, match="needs 5 features"):
        trained.predict_probability(X[:, :4])
    order = [4, 2, 0, 3, 1]
    shuffled = trained.predict_probability(X[:, order], feature_names=[NAMES[i] for i in order])
    np.testing.assert_allclose(shuffled, trained.predict_probability(X), rtol=1e-12)  # column copy: 1 ulp
    with pytest.raises(InputError, match="infinite"):
        trained.predict_probability(np.where(np.arange(5) == 1, np.inf, X))


def test_listing_and_lookup_by_name(trained, tmp_path, monkeypatch):
    save_classifier(trained, tmp_path / "user" / "lr")
    (tmp_path / "user" / "broken").mkdir()
    (tmp_path / "user" / "broken" / CARD_FILE_NAME).write_text("{not json")
    monkeypatch.setenv("CALCIFICATION_CLASSIFIERS_DIR", str(tmp_path / "user"))
    assert user_classifiers_dir() == tmp_path / "user"
    assert shipped_classifiers_dir().parts[-2:] == ("calcification", "classifiers")
    entries = list_classifiers(tmp_path / "user")
    assert [(e.name, e.origin) for e in entries] == [("test_lr", "user")]
    assert any(e.name == "test_lr" for e in list_classifiers())
    assert load_classifier("test_lr").card.name == "test_lr"
    assert read_classifier_card(tmp_path / "user" / "lr").n_cases == 120
    with pytest.raises(InputError, match="Available classifiers: adaboost_synthetic, test_lr"):
        load_classifier("nonexistent")
    with pytest.raises(InputError, match="Cannot read"):
        load_classifier(tmp_path / "user" / "broken")


@pytest.mark.parametrize(
    "cc, mlo, threshold, probability, malignant, rule",
    [
        (0.8, 0.6, 0.5, 0.8, True, CombinationRule.VIEWS_AGREE_MAXIMUM),
        (0.2, 0.4, 0.5, 0.4, False, CombinationRule.VIEWS_AGREE_MAXIMUM),
        (0.5, 0.9, 0.5, 0.9, True, CombinationRule.VIEWS_AGREE_MAXIMUM),  # 0.5 counts as malignant
        (0.7, 0.3, 0.5, 0.7, True, CombinationRule.VIEWS_DISAGREE_MALIGNANT_VIEW),
        (0.2, 0.6, 0.5, 0.6, True, CombinationRule.VIEWS_DISAGREE_MALIGNANT_VIEW),
        (0.4, 0.2, 0.3, 0.4, True, CombinationRule.VIEWS_DISAGREE_MALIGNANT_VIEW),
        (None, 0.35, 0.5, 0.35, False, CombinationRule.SINGLE_VIEW),
        (0.65, None, 0.5, 0.65, True, CombinationRule.SINGLE_VIEW),
    ],
)
def test_breast_rule_table(cc, mlo, threshold, probability, malignant, rule):
    result = combine_views(cc, mlo, threshold)
    assert result.probability == pytest.approx(probability)
    assert (result.malignant, result.rule) == (malignant, rule)
    assert (result.cc_probability, result.mlo_probability) == (cc, mlo)
    if rule is CombinationRule.SINGLE_VIEW:
        assert "missing" in result.note


@pytest.mark.parametrize(
    "cc, mlo, threshold, message",
    [
        (None, None, 0.5, "at least one view"),
        (1.2, 0.3, 0.5, "CC probability"),
        (0.2, float("nan"), 0.5, "MLO probability"),
        ("high", 0.3, 0.5, "must be a number"),
        (0.2, 0.3, 1.0, "threshold"),
    ],
)
def test_breast_rule_bad_input(cc, mlo, threshold, message):
    with pytest.raises(InputError, match=message):
        combine_views(cc, mlo, threshold)


@pytest.mark.parametrize(
    "patient_id, expected",
    [
        ("Mass-Test_P_00173_LEFT_CC", "Mass-Test_P_00173"),
        ("Calc-Training_P_00038_right_mlo", "Calc-Training_P_00038"),
        (" 12345 ", "12345"),
        ("P_CC_7", "P_CC_7"),  # a view word inside the ID is part of it
        ("LEFT_CC", "LEFT_CC"),  # nothing would be left: kept whole
        ("", ""),
    ],
)
def test_breast_patient_id_drops_trailing_side_and_view(patient_id, expected):
    assert breast_patient_id(patient_id) == expected


def test_real_ddsm_views_of_one_woman_share_a_breast_patient_id(ddsm_cases):
    import pydicom

    for case in ddsm_cases:
        raw = {pydicom.dcmread(p, stop_before_pixels=True).PatientID for p in case.values()}
        assert len(raw) == 4  # each view has its own Patient ID in CBIS-DDSM
        assert len({breast_patient_id(p) for p in raw}) == 1
