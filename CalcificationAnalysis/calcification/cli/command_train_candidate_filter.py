"""``calcification train-candidate-filter TABLE... --name NAME --out DIR``: train the learned false-positive filter
of the ``hdog_filtered`` method on tables from ``candidate-table``, report grouped cross-validated figures, and
save it (skops + card) where ``--model DIR`` finds it."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.artifact_names import check_artifact_name
from ..core.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train-candidate-filter",
        help="train the Hessian-DoG candidate filter on candidate tables",
        description="Train a gradient-boosted filter on the rows of TABLE files (calcification candidate-table), "
        "cross-validated by background image (each real normal and its blends in one fold), and save it to OUT as "
        "filter.skops + filter_card.json. Segment with it: --method hdog_filtered --model OUT.",
    )
    parser.add_argument("tables", nargs="+", type=Path, help="table files (.npz)")
    parser.add_argument("--name", required=True, help="name written on the filter's card")
    parser.add_argument("--out", required=True, type=Path, help="folder to write (must not exist)")
    parser.add_argument("--threshold", type=float, default=0.5, help="probability a candidate needs (default 0.5)")
    parser.add_argument("--negatives", type=float, default=0.25, help="share of false candidates used (0.25)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds, 0 to skip (default 5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..core.candidates.candidate_features import FEATURE_NAMES
    from ..core.candidates.candidate_filter import CandidateFilterCard, save_filter
    from ..core.candidates.filter_training import (
        check_trainable,
        cross_validated_figures,
        fit_filter,
        out_of_fold_probability,
        read_tables,
        thinned_negatives,
    )

    if not 0.0 < args.threshold < 1.0:
        raise InputError(f"--threshold must lie strictly between 0 and 1, got {args.threshold}.")
    check_artifact_name(args.name, "candidate filter")
    if args.out.exists() or args.out.is_symlink():
        raise InputError(f"{args.out} already exists; choose a new folder.")
    if not args.out.parent.is_dir():
        raise InputError(f"The folder {args.out.parent} does not exist (or is not a folder); create it first.")
    table = thinned_negatives(read_tables(args.tables), args.negatives, args.seed)
    check_trainable(table, args.folds)
    figures = {}
    if args.folds:
        print(
            f"cross-validating on {len(table.labels)} candidates ({int(table.labels.sum())} true), {args.folds} folds"
        )
        figures = cross_validated_figures(table, out_of_fold_probability(table, args.folds, args.seed), args.threshold)
        print(figures)
    estimator, context = fit_filter(table, max(args.folds, 2), args.seed)
    kinds = {str(kind): int((table.kind == kind).sum()) for kind in sorted(set(table.kind))}
    images = len(set(table.group))
    card = CandidateFilterCard(
        name=args.name,
        threshold=args.threshold,
        feature_names=FEATURE_NAMES,
        trained_on=f"{len(table.labels)} Hessian-DoG candidates of {images} images or backgrounds (rows by kind: "
        f"{kinds}; negatives thinned to {args.negatives:g}) from {', '.join(p.name for p in args.tables)}",
        synthetic_training=False,
        metrics={"cross_validation": figures},
        description="Gradient-boosted trees on candidate features (Marasinou et al. 2023's second stage), then on "
        "those plus the first look's belief in the neighbours (stacked); positives are synthetic calcifications "
        "inserted into real normal mammograms and synthetic cases, negatives real candidates of real normals, of "
        "their blended copies and of synthetic cases.",
    )
    save_filter(estimator, card, args.out, context)
    print(f"wrote {args.out}")
    return 0
