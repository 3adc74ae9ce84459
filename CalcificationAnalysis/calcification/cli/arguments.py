"""Argument types shared by several sub-commands, so every command parses spacing and sizes the same way."""

from __future__ import annotations

import argparse

from ..core.image import validate_spacing_mm
from ..core.segmentation import DEFAULT_METHOD, SegmenterChoice, available_methods


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


def check_spacing_option(args: argparse.Namespace) -> None:
    """Refuse an unusable ``--spacing`` (of :func:`add_spacing_option`) before any work, naming the flag: InputError,
    one line."""
    spacing = getattr(args, "spacing", None)
    if isinstance(spacing, tuple):
        validate_spacing_mm(spacing, given_by="--spacing")


def pixel_shape_argument(text: str) -> tuple[int, int]:
    """Parse an image size as ``ROWS,COLS`` (or ``ROWSxCOLS``) in pixels."""
    try:
        rows, cols = (int(v) for v in text.lower().replace("x", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ROWS,COLS in pixels, got {text!r}") from None
    return rows, cols


def add_synthetic_shape_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--synthetic-shape ROWS,COLS``: the size of each synthetic view (the data engine's default, 1024 x 768)."""
    parser.add_argument(
        "--synthetic-shape",
        type=pixel_shape_argument,
        default=(1024, 768),
        metavar="ROWS,COLS",
        help="size of each synthetic view in pixels (default 1024,768)",
    )


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
    :func:`segmenter_choice`). The choices and their help come from the method registry."""
    methods = available_methods()
    names = [name for spec in methods for name in (spec.name, *spec.aliases)]
    described = "; ".join(f"{spec.name}: {spec.label}" for spec in methods)
    parser.add_argument("--method", choices=names, metavar="METHOD", help=f"{described} (default {DEFAULT_METHOD})")
    parser.add_argument(
        "--model",
        help="trained methods: model name, folder or model_card.json (network), filter folder (hdog_filtered); "
        "default: the shipped one",
    )
    parser.add_argument("--threshold", type=float, help="trained methods: probability threshold (default: the card's)")
    parser.add_argument("--device", default="cpu", help="network only: cpu (default), auto or cuda[:k]")


def segmenter_choices_given(args: argparse.Namespace) -> bool:
    """True when any of the segmenter options was given on the command line."""
    return bool(args.method or args.model or args.threshold is not None or args.device != "cpu")


def segmenter_choice(args: argparse.Namespace) -> SegmenterChoice:
    """The :class:`SegmenterChoice` of the flags, with its model loaded and its device checked now, so a bad one
    fails before minutes of work."""
    choice = SegmenterChoice(args.method or DEFAULT_METHOD, args.model, args.threshold, args.device)
    choice.check_ready()
    return choice
