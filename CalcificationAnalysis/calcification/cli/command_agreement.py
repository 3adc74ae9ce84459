"""``calcification agreement SEG_A SEG_B``: compare two readers' segmentations of the same mammogram."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from ..core.annotation.agreement import AgreementConfig


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "agreement",
        help="compare two readers' segmentations (Dice, calcifications they disagree on)",
        description="Compare two .seg.nrrd files of the same mammogram: image Dice, and each calcification one "
        "reader marked and the other did not, or outlined differently. A Dice below 0.95 is a discrepancy for a "
        "senior reader (Tong et al. 2024).",
    )
    parser.add_argument("seg_a", type=Path, help="first reader's segmentation (.seg.nrrd)")
    parser.add_argument("seg_b", type=Path, help="second reader's segmentation (.seg.nrrd)")
    parser.add_argument("--csv", type=Path, default=None, help="also write the per-calcification match list here")
    parser.add_argument(
        "--max-distance-mm",
        type=float,
        default=AgreementConfig.max_centroid_distance_mm,
        metavar="MM",
        help="non-overlapping outlines closer than this are the same calcification (default %(default)s)",
    )
    parser.set_defaults(func=run)


#: Flagged calcifications listed on the terminal at most; the CSV has every one.
MAX_LISTED = 10


def run(args: argparse.Namespace) -> int:
    from ..logic.workflows.annotation_files import compare_segmentation_files, write_agreement_csv

    report = compare_segmentation_files(
        args.seg_a, args.seg_b, AgreementConfig(max_centroid_distance_mm=args.max_distance_mm)
    )
    verdict = "discrepancy: send to a senior reader" if report.needs_senior_reader else "agreement"
    print(f"Dice {report.dice:.4f} ({verdict}); {len(report.matches)} calcifications, {len(report.flagged)} flagged")
    counts = Counter(match.status.value for match in report.matches)
    if counts:
        print("  " + ", ".join(f"{status} {count}" for status, count in sorted(counts.items())))
    for match in report.flagged[:MAX_LISTED]:
        row, col = match.centroid_a_rc if match.label_a else match.centroid_b_rc
        print(f"  {match.status.value:16s} at x={col:.0f} y={row:.0f}: Dice {match.dice:.2f}")
    hidden = len(report.flagged) - MAX_LISTED
    if hidden > 0:
        where = "in the CSV" if args.csv is not None else "with --csv FILE"
        print(f"  ... and {hidden} more flagged; every calcification {where}")
    if args.csv is not None:
        print(f"wrote {write_agreement_csv(report, args.csv)}")
    return 0
