"""``calcification train-classifier``: train the calibrated benign/malignant classifier that ``analyze`` uses.

Input is either FEATURES.csv + LABELS.csv (see :mod:`calcification.logic.training.classifier_training_data`: what
``analyze`` writes, and a ``case_id, patient_id, label`` table) or ``--synthetic N``: N synthetic cases segmented by the
chosen segmenter (the default network unless told otherwise) and measured exactly as ``analyze`` measures an image;
their rows are kept beside the classifier as ``training_features.csv`` and ``training_labels.csv``, so
``evaluate-classifier`` can reproduce the comparison. The classifier is saved (skops, no pickle; a JSON card with the
cross-validated AUC and its interval) under ``--out`` or the user's classifier folder / NAME, where ``analyze
--classifier NAME`` and the Slicer panel find it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..core.errors import InputError
from .arguments import add_segmenter_options, add_synthetic_shape_option, segmenter_choice, segmenter_choices_given
from .progress_bar import terminal_progress


def add_table_arguments(parser: argparse.ArgumentParser, nargs: str) -> None:
    """FEATURES and LABELS positionals, shared with ``evaluate-classifier``."""
    parser.add_argument(
        "features",
        nargs=nargs,
        type=Path,
        metavar="FEATURES.csv",
        help="the features.csv that `calcification analyze` writes",
    )
    parser.add_argument(
        "labels",
        nargs=nargs,
        type=Path,
        metavar="LABELS.csv",
        help="case_id, label (benign/malignant or 0/1), patient_id (synth's cases.csv)",
    )


def add_algorithm_arguments(parser: argparse.ArgumentParser) -> None:
    """``--folds``, ``--seed`` and ``--n-boot``, shared with ``evaluate-classifier``."""
    parser.add_argument("--folds", type=int, default=5, help="patient-grouped cross-validation folds (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the folds, models and bootstrap (default 0)")
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples of the AUC interval (1000)")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train-classifier`` sub-command."""
    from ..core.classification.algorithms import ALL_ALGORITHMS, DEFAULT_ALGORITHM

    parser = subparsers.add_parser(
        "train-classifier",
        help="train the calibrated benign/malignant classifier on features.csv + labels, or on synthetic cases",
        description="Cross-validate (patient-grouped) and fit a calibrated classifier on image features. Give "
        "FEATURES.csv LABELS.csv, or --synthetic N to measure N synthetic cases on the segmenter's output. The "
        "classifier is saved as skops + JSON card; `calcification analyze --classifier NAME` uses it.",
    )
    add_table_arguments(parser, nargs="?")
    parser.add_argument("--name", required=True, help="classifier name (in reports and `calcification classifiers`)")
    parser.add_argument("--out", type=Path, help="classifier folder (default: the user's classifier folder / NAME)")
    parser.add_argument("--overwrite", action="store_true", help="replace a classifier already in the folder")
    parser.add_argument(
        "--algorithm",
        default=DEFAULT_ALGORITHM.value,
        choices=[a.value for a in ALL_ALGORITHMS],
        help=f"default {DEFAULT_ALGORITHM.value} (the best in Tong et al. 2024)",
    )
    add_algorithm_arguments(parser)
    parser.add_argument("--synthetic", type=int, metavar="N", help="train on N synthetic cases instead of FEATURES")
    parser.add_argument(
        "--synthetic-seed",
        type=int,
        default=5000,
        help="series of the synthetic cases (default 5000, the shipped classifier's; keep test series apart)",
    )
    add_synthetic_shape_option(parser)
    parser.add_argument("--overlap", type=float, default=0.2, help="synthetic class overlap in [0, 1] (default 0.2)")
    add_segmenter_options(parser)
    parser.set_defaults(func=run)


def _check_arguments(args: argparse.Namespace) -> None:
    if args.synthetic is None and (args.features is None or args.labels is None):
        raise InputError("Give FEATURES.csv and LABELS.csv, or --synthetic N.")
    if args.synthetic is not None and args.features is not None:
        raise InputError("Give either FEATURES.csv LABELS.csv or --synthetic N, not both.")
    if args.synthetic is None and segmenter_choices_given(args):
        raise InputError(
            "--method, --model, --threshold and --device choose the segmenter of --synthetic cases; "
            "FEATURES.csv were measured already."
        )
    if args.synthetic is not None and args.synthetic < 10:
        raise InputError(f"--synthetic needs at least 10 cases for {args.folds}-fold cross-validation.")
    if args.n_boot < 1:
        raise InputError(f"--n-boot must be at least 1, got {args.n_boot}.")


def run(args: argparse.Namespace) -> int:
    """Train, save and print the card's cross-validated metrics; returns 0."""
    from ..core.synthetic import SynthesisConfig
    from ..logic.training.classifier_training import (
        classifier_destination,
        train_classifier_from_files,
        train_classifier_on_synthetic,
    )

    _check_arguments(args)
    common = {
        "name": args.name,
        "out": args.out,
        "algorithm": args.algorithm,
        "folds": args.folds,
        "seed": args.seed,
        "n_boot": args.n_boot,
        "overwrite": args.overwrite,
    }
    classifier_destination(args.name, args.out, args.overwrite)  # refused before the segmenter model is loaded
    with terminal_progress("Training", enabled=sys.stderr.isatty()) as progress:
        if args.synthetic is not None:
            segmenter = segmenter_choice(args)
            config = SynthesisConfig(shape=tuple(args.synthetic_shape), class_overlap=args.overlap)
            saved = train_classifier_on_synthetic(
                args.synthetic,
                synthetic_seed=args.synthetic_seed,
                config=config,
                segmenter=segmenter,
                progress=progress,
                **common,
            )
        else:
            saved = train_classifier_from_files(args.features, args.labels, progress=progress, **common)
    metrics = saved.trained.card.metrics
    print(json.dumps({"classifier": saved.trained.card.name, "folder": str(saved.folder), **metrics.to_dict()}))
    print(f"wrote {saved.folder}: {saved.summary()}", file=sys.stderr)
    return 0
