"""Argument types shared by several sub-commands, so every command parses spacing and sizes the same way."""

from __future__ import annotations

import argparse

from ..core.errors import InputError
from ..core.segmentation import DEFAULT_METHOD, SegmentationMethod


def spacing_mm_argument(text: str) -> tuple[float, float]:
    """Parse ``--spacing`` as ``MM`` (square pixels) or ``ROW_MM,COL_MM``; the values are checked by the reader."""
    parts = [p for p in text.replace("x", ",").split(",") if p.strip()]
    try:
        values = [float(p) for p in parts]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"spacing must be a number of mm, or ROW,COL in mm; got {text!r}") from exc
    if len(values) == 1:
        return values[0], values[0]
    if len(values) == 2:
        return values[0], values[1]
    raise argparse.ArgumentTypeError(f"spacing must be one or two numbers (mm); got {text!r}")


def pixel_shape_argument(text: str) -> tuple[int, int]:
    """Parse an image size as ``ROWS,COLS`` (or ``ROWSxCOLS``) in pixels."""
    try:
        rows, cols = (int(v) for v in text.lower().replace("x", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ROWS,COLS in pixels, got {text!r}") from None
    return rows, cols


def add_spacing_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--spacing`` for files that carry no pixel spacing (PNG, TIFF, some DICOMs)."""
    parser.add_argument(
        "--spacing",
        type=spacing_mm_argument,
        default=None,
        metavar="MM",
        help="pixel spacing in mm (one value, or ROW,COL); overrides the file's. "
        "Files without spacing fall back to 0.07 mm with a warning.",
    )


def add_segmenter_options(parser: argparse.ArgumentParser) -> None:
    """``--method``, ``--model``, ``--threshold`` and ``--device``: which segmenter runs (read by
    :func:`network_options`)."""
    parser.add_argument("--method", default=DEFAULT_METHOD.value, choices=[m.value for m in SegmentationMethod],
                        help=f"{METHOD_HELP} (default {DEFAULT_METHOD.value})")  # fmt: skip
    parser.add_argument("--model", help="prounext: model name, folder or model_card.json; hdog_filtered: filter "
                        "folder (default: the shipped one)")  # fmt: skip
    parser.add_argument("--threshold", type=float, help="prounext, hdog_filtered: probability threshold (default: "
                        "the model's or filter's)")  # fmt: skip
    parser.add_argument("--device", default="cpu", help="prounext only: cpu (default) or cuda")


#: What each method is, for --help.
METHOD_HELP = (
    "hdog_filtered: Hessian-DoG candidates judged by a filter trained on real normal mammograms; prounext: the "
    "Pro_UNeXt network ensemble (trained on synthetic mammograms); hdog: the plain Hessian-DoG detector"
)


def network_options(args: argparse.Namespace):
    """SegmenterOptions from the flags, None for plain Hessian-DoG (which refuses them); the threshold, device and
    model are checked here, so a bad one fails before minutes of work."""
    method = SegmentationMethod.parse(args.method)
    if not method.takes_model:
        if args.model is not None or args.threshold is not None or args.device != "cpu":
            raise InputError("--model, --threshold and --device apply to --method prounext or hdog_filtered only.")
        return None
    if not method.takes_device and args.device != "cpu":
        raise InputError(f"--device applies to --method prounext only; {method.value} runs on the CPU.")
    if args.threshold is not None and not 0.0 < args.threshold < 1.0:
        raise InputError(f"--threshold must lie strictly between 0 and 1, got {args.threshold}.")
    from ..core.inference.segmenter import SegmenterOptions, resolve_device

    if method is SegmentationMethod.HDOG_FILTERED:
        from ..core.segmentation.candidate_method import load_filter_cached

        load_filter_cached(args.model)
    else:
        from ..core.segmentation.network_method import load_model_cached

        resolve_device(args.device)
        load_model_cached(args.model)
    return SegmenterOptions(threshold=args.threshold, device=args.device)
