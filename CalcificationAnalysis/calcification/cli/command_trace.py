"""``calcification trace IMAGE --point X,Y --range LO,HI --out DIR``: outline calcifications by clicking them."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from .arguments import add_spacing_option


def _pair(text: str, what: str) -> tuple[float, float]:
    try:
        first, second = (float(v) for v in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{what} must be two numbers separated by a comma; got {text!r}") from exc
    if not (math.isfinite(first) and math.isfinite(second)):
        raise argparse.ArgumentTypeError(f"{what} must be two finite numbers; got {text!r}")
    return first, second


def snap_argument(text: str) -> float:
    """A search radius in mm: a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"the snap radius must be a number of mm >= 0; got {text!r}")
    return value


def fraction_argument(text: str) -> float:
    """The automatic level's fraction: a number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:  # also refuses nan
        raise argparse.ArgumentTypeError(f"the level fraction must be a number from 0 to 1; got {text!r}")
    return value


def point_argument(text: str) -> tuple[float, float]:
    """``X,Y`` in pixels (x = column, y = row, counted from 0 at the top-left corner)."""
    return _pair(text, "a point")


def range_argument(text: str) -> tuple[float, float]:
    """``LO,HI`` in the image's intensity units, LO <= HI."""
    low, high = _pair(text, "the intensity range")
    if low > high:
        raise argparse.ArgumentTypeError(f"the intensity range must be LO,HI with LO <= HI; got {text!r}")
    return low, high


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "trace",
        help="outline calcifications at given points (level tracing, as in the Annotate panel)",
        description="Trace the calcification at each --point with Slicer's level tracing filter: the point snaps to "
        "the brightest pixel nearby and the outline is drawn at 0.3 of the way from the local background to that "
        "peak (--raw: Slicer's own rule, the clicked value is the level). Writes OUT/<name>.seg.nrrd and "
        "OUT/<name>.trace.png. Points outside the image are refused before anything is written; a point that "
        "outlines nothing (background, noise, outside --range) is refused with the reason, and nothing is written.",
    )
    parser.add_argument("image", help="DICOM, PNG, TIFF, PGM, NRRD, NIfTI or MHA file")
    parser.add_argument(
        "--point",
        action="append",
        required=True,
        type=point_argument,
        metavar="X,Y",
        help="pixel to trace at: x = column, y = row, from 0 at the top left (repeat for several)",
    )
    parser.add_argument(
        "--range",
        type=range_argument,
        default=None,
        metavar="LO,HI",
        help="intensity range: traced pixels outside it are left out (image units)",
    )
    parser.add_argument("--out", required=True, type=Path, help="output folder (created if missing)")
    parser.add_argument("--raw", action="store_true", help="Slicer's behaviour: the clicked value is the level")
    parser.add_argument(
        "--fraction",
        type=fraction_argument,
        default=None,
        metavar="F",
        help="automatic level: background + F x (peak - background); 0.5 is the half maximum (default 0.3)",
    )
    parser.add_argument(
        "--snap-mm",
        type=snap_argument,
        default=None,
        metavar="MM",
        help="search radius for the peak around each point, mm (default 0.3)",
    )
    add_spacing_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, so `calcification --help` does not load VTK; the help's defaults are TraceOptions' (a test
    # checks that they agree).
    from ..logic.workflows.annotation_files import trace_file
    from ..logic.workflows.level_tracing import TraceOptions

    options = TraceOptions(
        snap_radius_mm=TraceOptions.snap_radius_mm if args.snap_mm is None else args.snap_mm,
        automatic_level=not args.raw,
        level_fraction=TraceOptions.level_fraction if args.fraction is None else args.fraction,
        intensity_range=args.range,
    )
    traced = trace_file(args.image, args.point, args.out, options, spacing_mm=args.spacing)
    for (x, y), result in zip(args.point, traced.results, strict=True):
        peak_row, peak_col = result.peak
        print(
            f"point x={x:g} y={y:g}: peak x={peak_col} y={peak_row}, level {result.level:g}, "
            f"{result.changed_pixels} pixels added{'' if result.changed_pixels else ' (already outlined)'}"
        )
    print(f"traced area {traced.area_mm2:.3f} mm²")
    for path in traced.paths:
        print(f"wrote {path}")
    return 0
