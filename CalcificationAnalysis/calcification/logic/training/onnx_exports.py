"""The repeatable ONNX step: the graphs of the shipped classifiers and models, rebuilt from their source of truth.

Run it (``make onnx``, i.e. ``calcification prepare --shipped``) whenever a shipped classifier is retrained or a
shipped model gets new weights. Each shipped classifier's ``classifier.onnx`` is exported again from its skops file
and checked against scikit-learn on its own training features (``training_features.csv`` beside it); each shipped
segmentation model's graph is exported into the cache, checked against PyTorch, and its SHA-256 written on its card.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...core.classification.classifier_store import export_classifier_folder, list_classifiers, shipped_classifiers_dir
from ...core.errors import InputError
from ...core.features import IMAGE_FEATURE_NAMES
from ...core.inference.graph_preparation import prepare_graph, record_on_card
from ...core.models.model_store import list_models, load_model, shipped_models_dir
from .classifier_training import TRAINING_FEATURES_FILE
from .classifier_training_data import read_feature_csv


def export_shipped_classifiers() -> Iterator[str]:
    """Re-export every shipped classifier to ONNX; yields one line per classifier with the largest probability
    difference from scikit-learn. InputError when one has no training features to check against, or differs."""
    for entry in list_classifiers(shipped_classifiers_dir()):
        features = entry.folder / TRAINING_FEATURES_FILE
        if not features.is_file():
            raise InputError(f"{entry.folder} has no {TRAINING_FEATURES_FILE} to check its ONNX export against.")
        _, _, X = read_feature_csv(features)
        X = X[:, [IMAGE_FEATURE_NAMES.index(name) for name in entry.card.feature_names]]
        difference = export_classifier_folder(entry.folder, X)
        yield (
            f"classifier {entry.name}: classifier.onnx written; largest |probability difference| from scikit-learn "
            f"on its {X.shape[0]} training cases (and with a third of the values missing): {difference:.3g}"
        )


def record_shipped_graphs() -> Iterator[str]:
    """Export and check every shipped model's graph and write its SHA-256 on the model card; one line each."""
    for entry in list_models([shipped_models_dir()]):
        model = load_model(entry.folder)
        prepared = prepare_graph(model)
        record_on_card(model, prepared)
        yield (
            f"model {entry.name}: graph sha256 {prepared.entry['sha256']} recorded on its card; largest |difference| "
            f"from PyTorch {prepared.entry['max_abs_difference']:.3g}"
        )
