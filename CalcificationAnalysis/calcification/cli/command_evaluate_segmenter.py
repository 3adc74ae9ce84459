"""``calcification evaluate-segmenter``: measure a segmentation method on held-out annotated or synthetic cases.

Writes OUT/evaluation.json (pooled Dice / IoU / recall / specificity / precision with 95 % bootstrap intervals over
images, object recall, FROC points, partial AUC, sensitivity at 0.1 / 0.3 / 1 FP/cm², per-image rows),
OUT/per_image.csv, OUT/froc.png and OUT/dice.png; prints a short table. Every argument is checked before any case is
generated, and the files are written only once everything is measured, each under a temporary name then renamed.

Test cases are a site's own annotated DATA (scenes ``.mrb`` or image + ``<name>.seg.nrrd`` folders, checked first as
``calcification check-dataset`` does; labels and patient ids are not needed here) or ``--synthetic N``; exactly one.
For DATA the truth is the Calcification segment, specificity and FP/cm² are measured inside the product's breast mask
(without pectoral muscle), and every case is measured at the first case's pixel spacing (cases at another spacing are
resampled to it: image linear, mask by the 0.5 level, as training does). For synthetic cases the truth is the data
engine's exact instance map, and the region the engine's breast mask; the same region for every method. Object
scores for the FROC: the mean network probability over each object (prounext), the Hessian-DoG response of each
candidate (hdog).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import sys
from pathlib import Path

import numpy as np

from ..core.atomic_files import write_text_atomically
from ..core.errors import InputError
from ..core.reporting.csv_cells import SafeDictWriter
from ..core.segmentation import SegmentationMethod
from .arguments import add_segmenter_options, network_options, pixel_shape_argument
from .command_check_dataset import add_data_arguments, checked_dataset
from .progress_bar import terminal_progress

OUTPUT_NAMES = ("evaluation.json", "per_image.csv", "froc.png", "dice.png")


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
    parser.add_argument("--synthetic-seed", type=int, default=9000, help="series of the test cases (default 9000; "
                        "keep it apart from the training series, 1000 for the shipped model)")  # fmt: skip
    parser.add_argument("--synthetic-shape", type=pixel_shape_argument, default=(1024, 768), metavar="ROWS,COLS",
                        help="size of each synthetic view in pixels (default 1024,768)")  # fmt: skip
    add_segmenter_options(parser)
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples for the intervals (1000)")
    parser.add_argument("--out", required=True, type=Path, help="output folder (created if missing)")
    parser.set_defaults(func=run)


def _check_arguments(args: argparse.Namespace):
    """Validated (SynthesisConfig or None for DATA, SegmenterOptions or None); InputError before anything is
    generated or written."""
    from ..core.synthetic import SynthesisConfig

    if bool(args.data) == (args.synthetic is not None):
        raise InputError(
            "Give either annotated DATA (scenes, folders or images) or --synthetic N, not both or neither."
        )
    if not args.data and (args.labels is not None or args.spacing is not None):
        raise InputError("--labels and --spacing apply to annotated DATA only, not to --synthetic.")
    if not args.data and args.synthetic < 1:
        raise InputError(f"--synthetic needs at least 1 case, got {args.synthetic}.")
    if args.synthetic_seed < 0:
        raise InputError(f"--synthetic-seed must be a whole number >= 0, got {args.synthetic_seed}.")
    if args.n_boot < 1:
        raise InputError(f"--n-boot must be at least 1, got {args.n_boot}.")
    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"--out {args.out} is a file; give a folder.")
    config = None if args.data else SynthesisConfig(shape=tuple(args.synthetic_shape))
    return config, network_options(args)


def _score_map(segmentation) -> np.ndarray | None:
    """Per-pixel object score for the FROC: the network probability, or each Hessian-DoG candidate's DoG response
    painted over its pixels (the detector's own confidence; labels are ``candidates[label - 1]``)."""
    if "probability" in segmentation.details:
        return segmentation.details["probability"]
    responses = np.array([0.0] + [c.dog_response for c in segmentation.objects], dtype=np.float64)
    if responses.size != int(segmentation.labels.max(initial=0)) + 1:
        return None  # labels and records disagree: fall back to one score for every object
    return responses[segmentation.labels]


def _cases(args, config, options, progress, meta: dict):
    """Generate, segment and yield (truth, labels, scores, region) per case; record names and the model in ``meta``."""
    from ..core.progress import report_progress, sub_progress
    from ..core.segmentation import segment_mammogram
    from ..core.synthetic import generate_case

    for index in range(args.synthetic):
        report_progress(progress, index / args.synthetic, f"Case {index + 1} of {args.synthetic}")
        case = generate_case(config, seed=args.synthetic_seed, index=index)
        stage = sub_progress(progress, index / args.synthetic, (index + 1) / args.synthetic)
        model = args.model if SegmentationMethod.parse(args.method).takes_model else None
        result = segment_mammogram(case.mammogram, args.method, progress=stage, model=model, options=options)
        meta["names"].append(case.record.case_id)
        meta.setdefault("model_name", result.details.get("model_name"))
        meta.setdefault("threshold", result.details.get("threshold"))
        yield case.instances, result.labels, _score_map(result), case.breast_mask


#: Problems that do not stop an evaluation: it needs images and segments, not labels or patient ids.
_NOT_NEEDED_TO_EVALUATE = ("missing_label", "unknown_label", "missing_patient_id")


def _data_sources(args: argparse.Namespace) -> list:
    """The annotated cases of DATA, checked; InputError with every problem that stops an evaluation."""
    report = checked_dataset(args)
    blocking = [p for p in report.problems if p.kind.value not in _NOT_NEEDED_TO_EVALUATE]
    if blocking:
        lines = "\n".join(f"  [{p.kind.value}] {p.case or '-'}: {p.message}" for p in blocking)
        raise InputError(f"the annotated data have {len(blocking)} problem(s); nothing was evaluated.\n{lines}")
    return list(report.sources)


def _resampled(mammogram, mask: np.ndarray, spacing_mm: tuple[float, float]):
    """``mammogram`` (linear) and ``mask`` (0.5 level) resampled to ``spacing_mm``; unchanged when already there."""
    from dataclasses import replace

    from scipy import ndimage

    if np.allclose(mammogram.spacing_mm, spacing_mm, rtol=1e-6, atol=0):
        return mammogram, mask
    factors = [s / t for s, t in zip(mammogram.spacing_mm, spacing_mm, strict=True)]
    pixels = ndimage.zoom(mammogram.pixels, factors, order=1, mode="nearest", grid_mode=True).astype(np.float32)
    truth = ndimage.zoom(mask.astype(np.float32), factors, order=1, mode="nearest", grid_mode=True) >= 0.5
    return replace(mammogram, pixels=pixels, spacing_mm=tuple(spacing_mm)), truth


def _data_cases(args, sources, spacing_mm, options, progress, meta: dict):
    """Read, segment and yield (truth, labels, scores, region) per annotated case at ``spacing_mm``."""
    from ..core.masking.breast_mask import compute_breast_mask
    from ..core.progress import report_progress, sub_progress
    from ..core.segmentation import segment_mammogram
    from ..logic.annotated_dataset import read_annotated_case

    for index, source in enumerate(sources):
        report_progress(progress, index / len(sources), f"Case {index + 1} of {len(sources)}")
        case = read_annotated_case(source, args.spacing)
        mammogram, truth = _resampled(case.mammogram, case.mask, spacing_mm)
        stage = sub_progress(progress, index / len(sources), (index + 1) / len(sources))
        model = args.model if SegmentationMethod.parse(args.method).takes_model else None
        result = segment_mammogram(mammogram, args.method, progress=stage, model=model, options=options)
        region = compute_breast_mask(mammogram.pixels, mammogram.spacing_mm, mammogram.view).analysable
        meta["names"].append(source.case_id)
        meta.setdefault("model_name", result.details.get("model_name"))
        meta.setdefault("threshold", result.details.get("threshold"))
        yield truth, result.labels, _score_map(result), region


def _per_image_csv(evaluation) -> str:
    buffer = io.StringIO()
    fields = [f.name for f in dataclasses.fields(evaluation.per_image[0])]
    writer = SafeDictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(row.to_dict() for row in evaluation.per_image)
    return buffer.getvalue()


def _write_outputs(out: Path, evaluation, report: dict) -> list[Path]:
    from ..core.evaluation.evaluation_plots import plot_froc, plot_per_image_dice

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / name for name in OUTPUT_NAMES]
    try:
        write_text_atomically(paths[0], json.dumps(report, indent=2) + "\n")
        write_text_atomically(paths[1], _per_image_csv(evaluation))
        plot_froc(evaluation.froc, paths[2], title=f"FROC, {report['method']} ({evaluation.n_images} cases)")
        rows = evaluation.per_image
        plot_per_image_dice([r.name for r in rows], [r.dice for r in rows], paths[3], title="Dice per case")
    except BaseException:
        for path in paths:  # all four files or none
            path.unlink(missing_ok=True)
        raise
    return paths


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
    lines.append(f"  object recall       {recall.value:.4f}  [{recall.low:.4f}, {recall.high:.4f}]  "
                 f"at {evaluation.fp_per_cm2:.3f} FP/cm²")  # fmt: skip
    at = ", ".join(f"{s:.3f} @ {fp:g}" for fp, s in evaluation.sensitivity_at_fp.items())
    lines.append(f"  FROC sensitivity    {at} FP/cm²;  pAUC [0, {evaluation.settings.max_fp_per_cm2:g}] "
                 f"{evaluation.partial_auc:.4f}")  # fmt: skip
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..core.evaluation import EvaluationSettings, evaluate_segmentations

    config, options = _check_arguments(args)
    sources = _data_sources(args) if args.data else None
    if sources:
        from ..logic.annotated_dataset import read_annotated_case

        spacing = tuple(read_annotated_case(sources[0], args.spacing).mammogram.spacing_mm)
    else:
        spacing = (config.spacing_mm, config.spacing_mm)
    meta: dict = {"names": []}  # filled by the generator: each name is appended before its case is yielded
    with terminal_progress("Evaluating", enabled=sys.stderr.isatty(), lines_without_terminal=True) as progress:
        if sources:
            pairs = _data_cases(args, sources, spacing, options, progress, meta)
        else:
            pairs = _cases(args, config, options, progress, meta)
        settings = EvaluationSettings(n_boot=args.n_boot)
        evaluation = evaluate_segmentations(pairs, spacing, names=meta["names"], settings=settings)
    if sources:
        data = {"data": {"paths": [str(p) for p in args.data], "cases": len(sources), "spacing_mm": list(spacing)}}
    else:
        synthetic = {"cases": args.synthetic, "seed": args.synthetic_seed, "shape": list(args.synthetic_shape)}
        data = {"synthetic": {**synthetic, "spacing_mm": list(spacing)}}
    report = {
        "method": args.method,
        "model": meta.get("model_name"),
        "threshold": meta.get("threshold"),
        **data,
        **evaluation.to_dict(),
    }
    paths = _write_outputs(args.out, evaluation, report)
    print(_table(evaluation, report))
    for path in paths:
        print(f"wrote {path}")
    return 0
