"""``calcification candidate-table``: build (part of) the training table of the Hessian-DoG candidate filter from
real normal mammograms, the same normals with calcifications inserted as their acquisition would record them, and
synthetic cases at 0.05-0.1 mm. ``--shard K/N`` builds every N-th normal from the K-th, so N processes (or machines)
build a large table in parallel; ``train-candidate-filter`` reads all the shards."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.errors import InputError
from .arguments import add_spacing_option
from .progress_bar import terminal_progress


def shard_argument(text: str) -> tuple[int, int]:
    """``K/N`` with 0 <= K < N."""
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected K/N such as 0/2, got {text!r}") from None
    if not 0 <= k < n:
        raise argparse.ArgumentTypeError(f"K/N needs 0 <= K < N, got {text!r}")
    return k, n


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "candidate-table",
        help="build the candidate filter's training table from real normal mammograms (and synthetic cases)",
        description="Find Hessian-DoG candidates on every NORMAL image (all false), on BLENDS acquisition-blended "
        "copies of each (inserted calcifications are the positives) and on SYNTHETIC data-engine cases at 0.05, "
        "0.07 and 0.1 mm; write their features and labels to OUT (.npz). Never give images with calcifications "
        "as normals.",
    )
    parser.add_argument("normals", nargs="*", type=Path, help="normal mammograms (files or folders of them)")
    add_spacing_option(parser)
    parser.add_argument("--blends", type=int, default=2, help="blended copies per normal (default 2)")
    parser.add_argument("--synthetic", type=int, default=0, metavar="N", help="synthetic cases (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="series of the blends and synthetic cases (default 0)")
    parser.add_argument(
        "--shard",
        type=shard_argument,
        default=(0, 1),
        metavar="K/N",
        help="build part K of N: normals K, K+N, ...; seeds offset by K (default 0/1)",
    )
    parser.add_argument("--out", required=True, type=Path, help="table file to write (.npz)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..core.candidates.table_building import build_table

    if args.blends < 0 or args.synthetic < 0:
        raise InputError("--blends and --synthetic must be 0 or more.")
    with terminal_progress("Building the table", enabled=sys.stderr.isatty()) as progress:
        summary = build_table(
            args.normals,
            args.out,
            spacing_mm=args.spacing,
            blends=args.blends,
            synthetic=args.synthetic,
            seed=args.seed,
            shard=args.shard,
            progress=progress,
        )
    print(summary)
    print(f"wrote {args.out}")
    return 0
