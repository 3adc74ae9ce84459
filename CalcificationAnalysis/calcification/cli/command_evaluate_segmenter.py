"""``calcification evaluate-segmenter``: measure a segmentation method on held-out annotated or synthetic cases.

Writes OUT/evaluation.json (pooled Dice / IoU / recall / specificity / precision with 95 % bootstrap intervals over
images, object recall, FROC points, partial AUC, sensitivity at 0.1 / 0.3 / 1 FP/cm², per-image rows),
OUT/per_image.csv, OUT/froc.png and OUT/dice.png; prints a short table. Test cases are a site's own annotated DATA
(scenes ``.mrb`` or image + ``<name>.seg.nrrd`` folders, checked first as ``calcification check-dataset`` does; labels
and patient ids are not needed here) or ``--synthetic N``; exactly one. The measurement itself is
:func:`calcification.logic.workflows.segmenter_evaluation_workflow.evaluate_segmenter`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.errors import InputError
from .arguments import add_segmenter_options, add_synthetic_shape_option, segmenter_choice
from .command_check_dataset import add_data_arguments, checked_dataset
from .progress_bar import terminal_progress


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate-segmenter",
        help="measure a segmentation method on held-out annotated or synthetic cases (Dice with CIs, FROC)",
        description="Segment annotated DATA (or N synthetic cases with exact ground truth) and write "
        "OUT/evaluation.json, OUT/per_image.csv, OUT/froc.png and OUT/dice.png. Pixel metrics as in Tong et al. "
        "2024 (pooled, 95%% bootstrap intervals over images); FROC with the 0.35 mm / IoU 0.3 rule of "
        "Marasinou et al. 2023.",
    )
    add_data_arguments(parser, nargs="*")
    parser.add_argument("--synthetic", type=int, metavar="N", help="number of synthetic test cases (instead of DATA)")
    parser.add_argument(
        "--synthetic-seed",
        type=int,
        default=9000,
        help="series of the test cases (default 9000; "
        "keep it apart from the training series, 1000 for the shipped model)",
    )
    add_synthetic_shape_option(parser)
    add_segmenter_options(parser)
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples for the intervals (1000)")
    parser.add_argument("--out", required=True, type=Path, help="output folder (created if missing)")
    parser.set_defaults(func=run)


#: Problems that do not stop an evaluation: it needs images and segments, not labels or patient ids.
_NOT_NEEDED_TO_EVALUATE = ("missing_label", "unknown_label", "missing_patient_id")


def _check_arguments(args: argparse.Namespace) -> None:
    """InputError for a bad combination, before anything is generated or written."""
    if bool(args.data) == (args.synthetic is not None):
        raise InputError(
            "Give either annotated DATA (scenes, folders or images) or --synthetic N, not both or neither."
        )
    if not args.data and (args.labels is not None or args.spacing is not None):
        raise InputError("--labels and --spacing apply to annotated DATA only, not to --synthetic.")


def _data_sources(args: argparse.Namespace) -> list:
    """The annotated cases of DATA, checked; InputError with every problem that stops an evaluation."""
    report = checked_dataset(args)
    blocking = [p for p in report.problems if p.kind.value not in _NOT_NEEDED_TO_EVALUATE]
    if blocking:
        lines = "\n".join(f"  [{p.kind.value}] {p.case or '-'}: {p.message}" for p in blocking)
        raise InputError(f"the annotated data have {len(blocking)} problem(s); nothing was evaluated.\n{lines}")
    return list(report.sources)


def _table(evaluation, report: dict) -> str:
    pooled = evaluation.pooled
    if "synthetic" in report:
        data = f"{evaluation.n_images} synthetic case(s) (series {report['synthetic']['seed']})"
    else:
        data = f"{evaluation.n_images} annotated case(s)"
    lines = [f"{report['method']}" + (f" ({report['model']})" if report["model"] else "") + f" on {data}"]
    for name in ("dice", "iou", "recall", "specificity", "precision"):
        ci = pooled[name]
        lines.append(f"  pooled {name:<12} {ci.value:.4f}  [{ci.low:.4f}, {ci.high:.4f}]")
    recall = evaluation.object_recall
    lines.append(
        f"  object recall       {recall.value:.4f}  [{recall.low:.4f}, {recall.high:.4f}]  "
        f"at {evaluation.fp_per_cm2:.3f} FP/cm²"
    )
    at = ", ".join(f"{s:.3f} @ {fp:g}" for fp, s in evaluation.sensitivity_at_fp.items())
    lines.append(
        f"  FROC sensitivity    {at} FP/cm²;  pAUC [0, {evaluation.settings.max_fp_per_cm2:g}] "
        f"{evaluation.partial_auc:.4f}"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..logic.workflows.segmenter_evaluation_workflow import SyntheticTestSeries, evaluate_segmenter

    _check_arguments(args)
    synthetic = None
    if args.synthetic is not None:
        synthetic = SyntheticTestSeries(args.synthetic, args.synthetic_seed, tuple(args.synthetic_shape))
    segmenter = segmenter_choice(args)
    if args.n_boot < 1:
        raise InputError(f"--n-boot must be at least 1, got {args.n_boot}.")
    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"--out {args.out} is a file; give a folder.")
    sources = _data_sources(args) if args.data else None
    with terminal_progress("Evaluating", enabled=sys.stderr.isatty(), lines_without_terminal=True) as progress:
        run = evaluate_segmenter(segmenter, args.out, sources, args.spacing, synthetic, args.n_boot, progress)
    print(_table(run.evaluation, run.report))
    for path in run.paths:
        print(f"wrote {path}")
    return 0
