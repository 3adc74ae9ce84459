"""``calcification evaluate-classifier``: compare the seven classifiers of Tong et al. (2024) on FEATURES + LABELS.

Writes into ``--out`` the Figure 9 table (``algorithms.csv``: out-of-fold AUC with 95% bootstrap interval, accuracy,
sensitivity, specificity, Brier score per algorithm, and the chosen one calibrated as ``train-classifier`` ships it),
``importance.csv`` and ``importance.png`` (permutation importance, Figure 10), ``roc.png``, ``reliability.png``,
``out_of_fold.csv`` (every case's probability per algorithm) and ``summary.json``; see
:mod:`calcification.logic.training.classifier_evaluation`. With ``--classifier NAME`` a trained classifier is scored on
the cases instead (no refitting; ``held_out.json``, ``held_out.csv``, ROC and reliability PNGs): the external check on
cases it never saw.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.errors import InputError
from .command_train_classifier import add_algorithm_arguments, add_table_arguments
from .progress_bar import terminal_progress


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``evaluate-classifier`` sub-command."""
    from ..core.classification.algorithms import ALL_ALGORITHMS, DEFAULT_ALGORITHM

    parser = subparsers.add_parser(
        "evaluate-classifier",
        help="compare the seven classifiers (patient-grouped CV): AUC table, ROC, importance, reliability PNGs",
        description="Cross-validate the seven classifiers of Tong et al. (2024) with patient-grouped folds on "
        "FEATURES.csv + LABELS.csv and write the comparison table, ROC curves, the chosen algorithm's feature "
        "importance and its reliability curve (calibrated, as train-classifier ships it) into --out.",
    )
    add_table_arguments(parser, nargs=None)
    parser.add_argument("--out", required=True, type=Path, help="output folder (created if missing)")
    names = [a.value for a in ALL_ALGORITHMS]
    parser.add_argument(
        "--algorithms",
        default=",".join(names),
        metavar="A,B,...",
        help=f"comma-separated subset of {', '.join(names)} (default: all)",
    )
    parser.add_argument(
        "--chosen",
        default=DEFAULT_ALGORITHM.value,
        choices=names,
        help=f"algorithm explained and calibrated (default {DEFAULT_ALGORITHM.value})",
    )
    add_algorithm_arguments(parser)
    parser.add_argument(
        "--classifier",
        metavar="NAME",
        help="score this trained classifier (name or folder) on the cases, no comparison",
    )
    parser.set_defaults(func=run)


def _score(args: argparse.Namespace, table) -> int:
    from ..logic.training.classifier_evaluation import score_trained_classifier

    score = score_trained_classifier(table, args.classifier, args.out, n_boot=args.n_boot, seed=args.seed)
    m = score.metrics
    print(
        f"{score.classifier} on {table.y.size} held-out cases: AUC {m.auc:.3f} [{m.auc_low:.3f}, {m.auc_high:.3f}], "
        f"accuracy {m.accuracy:.3f}, sensitivity {m.sensitivity:.3f}, specificity {m.specificity:.3f}, "
        f"Brier {m.brier:.3f}"
    )
    for path in score.paths:
        print(f"wrote {path}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Evaluate, write the files and print the table; returns 0."""
    from ..logic.training.classifier_evaluation import evaluate_classifiers
    from ..logic.training.classifier_training_data import training_table

    algorithms = [a.strip() for a in args.algorithms.split(",") if a.strip()]
    if not algorithms:
        raise InputError("--algorithms lists no algorithm.")
    if args.n_boot < 1:
        raise InputError(f"--n-boot must be at least 1, got {args.n_boot}.")
    table = training_table(args.features, args.labels)
    print(table.summary(), file=sys.stderr)
    if args.classifier:
        return _score(args, table)
    with terminal_progress("Evaluating", enabled=sys.stderr.isatty(), lines_without_terminal=True) as progress:
        evaluation = evaluate_classifiers(
            table, args.out, algorithms, args.chosen, args.folds, args.seed, args.n_boot, progress
        )
    print(f"{'algorithm':<36} {'AUC [95% CI]':<22} accuracy sensitivity specificity  Brier")
    for row in evaluation.table_rows():
        print(
            f"{row['algorithm']:<36} {row['auc']:.3f} [{row['auc_low']:.3f}, {row['auc_high']:.3f}]   "
            f"{row['accuracy']:.3f}    {row['sensitivity']:.3f}       {row['specificity']:.3f}     "
            f"{row['brier']:.3f}"
        )
    for path in evaluation.paths:
        print(f"wrote {path}")
    return 0
