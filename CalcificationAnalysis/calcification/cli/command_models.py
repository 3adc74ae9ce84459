"""``calcification models``: list the segmentation models this installation can use."""

from __future__ import annotations

import argparse

from ..core.models.model_store import list_models, user_models_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list the shipped and installed segmentation models",
        description="List segmentation models: those shipped with the package, then those in the user's model "
        "folder ($CALCIFICATION_MODELS_DIR, else ~/.calcification/models). Weights are verified when a model is used.",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    entries = list_models()
    if not entries:
        print(f"No models found. Train one with `calcification train-segmenter` or copy one into {user_models_dir()}.")
        return 0
    for entry in entries:
        card = entry.card
        data = "SYNTHETIC training data" if card.synthetic_training else (card.trained_on or "training data not stated")
        dice = card.metrics.get("test_dice", card.metrics.get("mean_validation_dice"))
        quality = f", Dice {dice}" if dice is not None else ""
        print(f"{card.name}  [{entry.origin}]  {card.architecture}, {len(card.folds)} fold(s){quality}; {data}")
        print(f"    {entry.folder}")
    return 0
