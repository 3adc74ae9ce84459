"""``calcification models``: list the segmentation models this installation can use."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list the shipped and installed segmentation models",
        description="List segmentation models: those shipped with the package, then those in the user's model "
        "folder ($CALCIFICATION_MODELS_DIR, else ~/.calcification/models). Weights are verified when a model is used. "
        "The default (used when no --model is given, here and in the Slicer panel) is listed first.",
    )
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--prefer", metavar="NAME", help="make this model (name or folder) the default")
    choice.add_argument("--prefer-shipped", action="store_true", help="go back to the shipped default model")
    parser.set_defaults(func=run)


#: Which Dice a model card holds, and how to name it for a reader: a figure without its kind is easy to misread.
DICE_LABELS = (("test_dice", "test Dice"), ("mean_validation_dice", "validation Dice"))


def _labelled_dice(metrics: dict) -> str:
    """ ", validation Dice 0.883" (the test Dice instead when the card has one), or "" when it has neither."""
    for key, label in DICE_LABELS:
        if metrics.get(key) is not None:
            return f", {label} {float(metrics[key]):.3f}"
    return ""


def run(args: argparse.Namespace) -> int:
    from ..core.models.model_store import list_models, user_models_dir
    from ..core.models.preferred_model import set_preferred_model
    from ..core.segmentation.network_method import DEFAULT_MODEL_NAME, default_model_name

    if args.prefer or args.prefer_shipped:
        stored = set_preferred_model(None if args.prefer_shipped else args.prefer)
        print(f"default model: {stored or DEFAULT_MODEL_NAME}")
    default = default_model_name()
    entries = sorted(list_models(), key=lambda entry: entry.name != default)
    if not entries:
        print(f"No models found. Train one with `calcification train-segmenter` or copy one into {user_models_dir()}.")
        return 0
    for entry in entries:
        card = entry.card
        data = "SYNTHETIC training data" if card.synthetic_training else (card.trained_on or "training data not stated")
        quality = _labelled_dice(card.metrics)
        mark = "  (default)" if entry.name == default else ""
        print(f"{card.name}{mark}  [{entry.origin}]  {card.architecture}, {len(card.folds)} fold(s){quality}; {data}")
        print(f"    {entry.folder}")
    _print_filters()
    return 0


def _print_filters() -> None:
    """The candidate filters the ``hdog_filtered`` method uses (shipped; the default first)."""
    from ..core.candidates.candidate_filter import DEFAULT_FILTER_NAME, list_filters
    from ..logic.model_choices import filter_summary

    filters = list_filters()
    if filters:
        print("Candidate filters (--method hdog_filtered; --model NAME or FOLDER):")
    for folder, card in filters:
        mark = "  (default)" if card.name == DEFAULT_FILTER_NAME else ""
        print(f"{filter_summary(card)}{mark}  [shipped]")
        print(f"    {folder}")
