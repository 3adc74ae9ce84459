"""``calcification classifiers``: list the benign/malignant classifiers this installation can use."""

from __future__ import annotations

import argparse

from ..core.classification import DEFAULT_CLASSIFIER_NAME, list_classifiers
from ..core.classification.classifier_store import user_classifiers_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "classifiers",
        help="list the shipped and installed benign/malignant classifiers",
        description="List classifiers: those shipped with the package, then those in the user's classifier folder "
        f"({user_classifiers_dir()}). `calcification analyze` uses {DEFAULT_CLASSIFIER_NAME!r} unless "
        "--classifier names another. The model file is verified (SHA-256, allowed types) when a classifier is used.",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    entries = sorted(list_classifiers(), key=lambda entry: entry.name != DEFAULT_CLASSIFIER_NAME)
    if not entries:
        print(f"No classifiers found. Train one with `calcification train-classifier` (into {user_classifiers_dir()}).")
        return 0
    for entry in entries:
        card = entry.card
        metrics = card.metrics
        data = "SYNTHETIC training data" if card.synthetic_training else (card.trained_on or "training data not stated")
        mark = "  (default)" if entry.name == DEFAULT_CLASSIFIER_NAME else ""
        auc = f"AUC {metrics.auc:.3f} [{metrics.auc_low:.3f}, {metrics.auc_high:.3f}]"
        print(
            f"{card.name}{mark}  [{entry.origin}]  {card.algorithm.display_name}, {card.n_cases} cases, {auc}; {data}"
        )
        print(f"    {entry.folder}")
    return 0
