"""``calcification info IMAGE``: print what the reader understood of a mammogram file, as JSON."""

from __future__ import annotations

import argparse
import json
import warnings

from ..core.io import read_mammogram
from .arguments import add_spacing_option


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "info",
        help="describe a mammogram file (JSON)",
        description="Print shape, pixel spacing, laterality, view, photometric interpretation and bit depth as JSON.",
    )
    parser.add_argument("image", help="DICOM, PNG, TIFF, PGM, NRRD, NIfTI or MHA file")
    add_spacing_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mammogram = read_mammogram(args.image, spacing_mm=args.spacing)
    info = {
        "path": str(mammogram.source_path),
        "shape": list(mammogram.shape),
        "spacing_mm": list(mammogram.spacing_mm),
        "spacing_from_file": mammogram.spacing_from_file,
        "size_mm": [round(n * s, 2) for n, s in zip(mammogram.shape, mammogram.spacing_mm, strict=True)],
        "laterality": mammogram.laterality.value,
        "view": mammogram.view.value,
        "photometric_interpretation": mammogram.photometric_interpretation,
        "bit_depth": mammogram.bit_depth,
        "intensity_range": [float(mammogram.pixels.min()), float(mammogram.pixels.max())],
        "warnings": [str(w.message) for w in caught],
    }
    print(json.dumps(info, indent=2))
    return 0
