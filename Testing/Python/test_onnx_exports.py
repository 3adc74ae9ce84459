"""ONNX forms of the trained parts (issue 31): classifiers saved with an ONNX graph checked against scikit-learn and
loaded without it, the shipped cards listing the checksums of their graphs, a cached network graph that is not the
one its card lists exported again."""

from __future__ import annotations

import json

import numpy as np
import pytest

from calcification.core.classification import (
    ClassifierAlgorithm,
    load_classifier,
    save_classifier,
    shipped_classifiers_dir,
    train_classifier,
)
from calcification.core.classification.classifier_store import CARD_FILE_NAME
from calcification.core.classification.onnx_classifier import ONNX_FILE_NAME, ONNX_TOLERANCE, OnnxClassifier
from calcification.core.errors import InputError
from calcification.core.inference.exported_graphs import cache_root, graph_key, torch_version
from calcification.core.inference.graph_preparation import default_tile_shape, prepare_graph, record_on_card
from calcification.core.models.model_card import ModelCard
from calcification.core.models.model_store import list_models, load_model, save_model, shipped_models_dir

NAMES = ("calc_num", "clu_num", "size_10", "noise_a")


def _features(n_cases: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_cases, len(NAMES)))
    y = (rng.random(n_cases) < 1.0 / (1.0 + np.exp(-(2.5 * X[:, 0] + 2.0 * X[:, 1])))).astype(int)
    return X, y, np.array([f"p{k}" for k in range(n_cases)])


@pytest.mark.parametrize("algorithm", [ClassifierAlgorithm.ADABOOST, ClassifierAlgorithm.SVM])
def test_a_saved_classifier_loads_from_its_onnx_graph_with_scikit_learns_probabilities(tmp_path, algorithm):
    X, y, groups = _features(90)
    trained = train_classifier(X, y, groups, NAMES, algorithm, folds=3, n_boot=10, name="onnx_test")
    folder = save_classifier(trained, tmp_path / "onnx_test", check_features=X)
    document = json.loads((folder / CARD_FILE_NAME).read_text())
    assert document["onnx_file"] == ONNX_FILE_NAME and 0 <= document["onnx_max_abs_difference"] <= ONNX_TOLERANCE
    loaded = load_classifier(folder)
    assert isinstance(loaded.model, OnnxClassifier)
    cases = X.copy()
    cases[::4, 1] = np.nan  # imputed as scikit-learn imputes it
    expected = trained.predict_probability(cases)
    assert np.abs(loaded.predict_probability(cases) - expected).max() <= ONNX_TOLERANCE
    assert not isinstance(load_classifier(folder, engine="sklearn").model, OnnxClassifier)


def test_a_damaged_onnx_graph_is_refused_and_a_save_without_check_cases_writes_none(tmp_path):
    X, y, groups = _features(60, seed=1)
    trained = train_classifier(X, y, groups, NAMES, ClassifierAlgorithm.LOGISTIC_REGRESSION, folds=3, n_boot=10)
    folder = save_classifier(trained, tmp_path / "lr", check_features=X)
    graph = folder / ONNX_FILE_NAME
    graph.write_bytes(graph.read_bytes()[:-10])
    with pytest.raises(InputError, match="does not match the checksum"):
        load_classifier(folder)
    save_classifier(trained, folder, overwrite=True)  # no check cases: no graph, and the old one is removed
    assert not graph.exists() and "onnx_file" not in json.loads((folder / CARD_FILE_NAME).read_text())
    assert not isinstance(load_classifier(folder).model, OnnxClassifier)


def test_shipped_classifiers_list_a_graph_that_matches_their_skops_file():
    for folder in (p for p in shipped_classifiers_dir().iterdir() if (p / CARD_FILE_NAME).is_file()):
        loaded, reference = load_classifier(folder), load_classifier(folder, engine="sklearn")
        assert isinstance(loaded.model, OnnxClassifier), f"{folder}: run `make onnx` after retraining it"
        rows = np.random.default_rng(0).normal(size=(50, len(loaded.feature_names))) * 3 + 5
        difference = np.abs(loaded.predict_probability(rows) - reference.predict_probability(rows)).max()
        assert difference <= ONNX_TOLERANCE


def test_shipped_model_cards_list_the_graph_of_their_current_weights():
    """Fails when a shipped model's weights change without `make onnx` rerun (its card would list a stale graph)."""
    for entry in list_models([shipped_models_dir()]):
        model = load_model(entry.folder, load_networks=False)
        listed = entry.card.onnx_graphs["x".join(map(str, default_tile_shape()))]
        if listed["torch"] == torch_version():  # the key names the PyTorch version that exported the graph
            assert listed["key"] == graph_key(model, default_tile_shape()), f"{entry.name}: run `make onnx`"
        assert len(listed["sha256"]) == 64


def test_a_cached_graph_that_is_not_the_one_its_card_lists_is_exported_again(tmp_path):
    import torch

    from calcification.core.networks.factory import build_network

    kwargs = {"width_multiplier": 1 / 16, "expansion": 1.0}
    card = ModelCard(name="tiny_card", architecture="pro_unext", architecture_kwargs=kwargs, spacing_mm=0.1)
    torch.manual_seed(0)
    save_model(tmp_path / "tiny_card", card, [build_network("pro_unext", kwargs).eval()])
    tile = (64, 64)
    prepared = prepare_graph(load_model(tmp_path / "tiny_card"), tile)
    record_on_card(load_model(tmp_path / "tiny_card"), prepared, tile)
    model = load_model(tmp_path / "tiny_card", load_networks=False)
    assert model.card.onnx_graphs["64x64"]["sha256"] == prepared.entry["sha256"]
    again = prepare_graph(model, tile)
    assert again.matches_card and again.path == prepared.path
    prepared.path.write_bytes(prepared.path.read_bytes() + b"\0")  # a damaged cache entry
    with pytest.warns(RuntimeWarning, match="not the graph its model card lists"):
        repaired = prepare_graph(model, tile)
    assert repaired.matches_card and repaired.path == prepared.path
    assert str(repaired.path).startswith(str(cache_root()))
