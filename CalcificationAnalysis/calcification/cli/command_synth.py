"""``calcification synth``: write seeded synthetic mammograms with exact calcification ground truth.

Per case: ``<case>.nrrd`` (12-bit image, uint16, spacing in the header), ``<case>.seg.nrrd`` (a Slicer segmentation
with one "Calcification" segment), ``<case>.instances.nrrd`` (instance label map), ``<case>.json`` (the record);
for the series ``cases.csv``; with ``--mrb`` an annotated Slicer scene per case. Every file is written to a temporary
name and renamed, so a file is either complete or absent; parameters are checked before anything is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.errors import InputError
from ..core.image import DEFAULT_SPACING_MM, View
from ..core.memory import check_fits_in_memory
from .progress_bar import terminal_progress


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``synth`` sub-command."""
    parser = subparsers.add_parser(
        "synth",
        help="write synthetic mammograms with calcifications and exact masks",
        description="Write seeded synthetic mammograms (BI-RADS density, calcification morphology and distribution, "
        "benign/malignant labels) with exact calcification masks, as NRRD, Slicer .seg.nrrd and a cases.csv.",
    )
    parser.add_argument("--out", required=True, type=Path, help="output folder (created if missing)")
    parser.add_argument("--cases", type=int, required=True, help="number of cases")
    parser.add_argument("--seed", type=int, default=0, help="series seed; same seed, same files (default 0)")
    parser.add_argument(
        "--spacing",
        type=float,
        metavar="MM",
        help="pixel spacing in mm (default 0.07); with --background, the background's real spacing, "
        "overriding its file's (needed for files without one, e.g. 0.05 for DDSM film)",
    )
    parser.add_argument("--size", default="2500x3300", metavar="WxH", help="image width x height in px (2500x3300)")
    parser.add_argument("--density", default="mixed", help="BI-RADS density A, B, C, D or mixed (default)")
    parser.add_argument("--view", default="mixed", help="CC, MLO or mixed (default)")
    parser.add_argument("--crop", action="store_true", help="draw crops inside the breast instead of full views")
    parser.add_argument("--overlap", type=float, default=0.2, help="class overlap in [0, 1] (default 0.2)")
    parser.add_argument("--mrb", action="store_true", help="also save an annotated Slicer scene (.mrb) per case")
    parser.add_argument("--background", type=Path, help="blend calcifications into this real mammogram instead")
    parser.add_argument(
        "--pairs",
        action="store_true",
        help="write prior/current pairs instead (--cases of them): the same breast with a known deformation and "
        "acquisition change, clusters new, increased, stable or resolved, truth in <pair>.pair.json",
    )
    parser.add_argument("--no-change", action="store_true", help="with --pairs: every cluster stable")
    parser.set_defaults(func=run)


#: Bytes the data engine holds per pixel of a case at its peak (float64 texture, structures and masks), measured
#: with margin; a size whose estimate exceeds the machine's memory is refused before anything is allocated.
SYNTHESIS_BYTES_PER_PIXEL = 80


def _parse_size(text: str) -> tuple[int, int]:
    """``WxH`` -> (rows, columns); :class:`InputError` for sizes that are not positive or cannot fit in memory."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise InputError(f"--size must be WIDTHxHEIGHT in pixels, e.g. 512x512; got {text!r}.") from exc
    if width < 1 or height < 1:
        raise InputError(f"--size must be positive (WIDTHxHEIGHT in pixels); got {text!r}.")
    check_fits_in_memory(width * height * SYNTHESIS_BYTES_PER_PIXEL, f"A {width} x {height} synthetic mammogram")
    return height, width


def build_config(args: argparse.Namespace):
    """Turn the arguments into a validated :class:`SynthesisConfig` (raises :class:`InputError`)."""
    from ..core.synthetic import BreastDensity, SynthesisConfig  # here: `calcification --help` stays light

    if args.cases < 1:
        raise InputError(f"--cases must be at least 1, got {args.cases}.")
    if getattr(args, "seed", 0) < 0:
        raise InputError(f"--seed must be a whole number >= 0, got {args.seed}.")
    density = None if args.density.lower() == "mixed" else BreastDensity.parse(args.density)
    views = {"mixed": None, "cc": View.CC, "mlo": View.MLO}
    if args.view.lower() not in views:
        raise InputError(f"--view must be CC, MLO or mixed, got {args.view!r}.")
    return SynthesisConfig(
        shape=_parse_size(args.size),
        spacing_mm=DEFAULT_SPACING_MM if args.spacing is None else args.spacing,
        density=density,
        view=views[args.view.lower()],
        crop=args.crop,
        class_overlap=args.overlap,
    )


def run(args: argparse.Namespace) -> int:
    from ..core.io import read_mammogram
    from ..logic.workflows.synthetic_dataset import write_synthetic_dataset

    """Generate ``args.cases`` cases into ``args.out``; returns 0."""
    config = build_config(args)
    background = None
    if args.background is not None:
        spacing = None if args.spacing is None else (args.spacing, args.spacing)
        background = read_mammogram(args.background, spacing_mm=spacing)
    if args.no_change and not args.pairs:
        raise InputError("--no-change applies to --pairs only.")
    if args.pairs:
        return _run_pairs(args, config, background)
    with terminal_progress("Synthesising", enabled=sys.stderr.isatty()) as progress:
        dataset = write_synthetic_dataset(
            args.out,
            args.cases,
            seed=args.seed,
            config=config,
            write_scenes=args.mrb,
            background=background,
            progress=progress,
        )
    print(f"wrote {len(dataset.cases)} cases to {dataset.folder}")
    return 0


def _run_pairs(args: argparse.Namespace, config, background) -> int:
    """``synth --pairs``: prior/current pairs with known truth."""
    from ..logic.workflows.synthetic_pairs import write_synthetic_pairs

    if args.crop:
        raise InputError("--pairs draws whole breasts (the registration needs the outline); leave out --crop.")
    with terminal_progress("Synthesising pairs", enabled=sys.stderr.isatty()) as progress:
        rows = write_synthetic_pairs(
            args.out, args.cases, args.seed, config, args.no_change, background, progress=progress
        )
    print(f"wrote {len(rows)} pairs to {args.out}")
    return 0
