"""``calcification synth``: write seeded synthetic mammograms with exact calcification ground truth.

Per case: ``<case>.nrrd`` (12-bit image, uint16, spacing in the header), ``<case>.seg.nrrd`` (a Slicer segmentation
with one "Calcification" segment), ``<case>.instances.nrrd`` (instance label map), ``<case>.json`` (the record);
for the series ``cases.csv``; with ``--mrb`` an annotated Slicer scene per case. Every file is written to a temporary
name and renamed, so a file is either complete or absent; parameters are checked before anything is written.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from pathlib import Path

import numpy as np

from ..core.errors import InputError
from ..core.image import View
from ..core.synthetic import BreastDensity, SynthesisConfig, blend_calcifications, generate_case
from .progress_bar import terminal_progress

CSV_COLUMNS = (
    "case_id",
    "patient_id",
    "label",
    "density",
    "view",
    "laterality",
    "n_calcifications",
    "n_clusters",
    "seed",
    "index",
    "spacing_mm",
    "image",
    "segmentation",
    "instances",
)
SEGMENT_NAME = "Calcification"


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
    parser.add_argument("--spacing", type=float, default=0.07, metavar="MM", help="pixel spacing in mm (0.07)")
    parser.add_argument("--size", default="2500x3300", metavar="WxH", help="image width x height in px (2500x3300)")
    parser.add_argument("--density", default="mixed", help="BI-RADS density A, B, C, D or mixed (default)")
    parser.add_argument("--view", default="mixed", help="CC, MLO or mixed (default)")
    parser.add_argument("--crop", action="store_true", help="draw crops inside the breast instead of full views")
    parser.add_argument("--overlap", type=float, default=0.2, help="class overlap in [0, 1] (default 0.2)")
    parser.add_argument("--mrb", action="store_true", help="also save an annotated Slicer scene (.mrb) per case")
    parser.add_argument("--background", type=Path, help="blend calcifications into this real mammogram instead")
    parser.set_defaults(func=run)


def _parse_size(text: str) -> tuple[int, int]:
    """``WxH`` -> (rows, columns)."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise InputError(f"--size must be WIDTHxHEIGHT in pixels, e.g. 512x512; got {text!r}.") from exc
    return height, width


def build_config(args: argparse.Namespace) -> SynthesisConfig:
    """Turn the arguments into a validated :class:`SynthesisConfig` (raises :class:`InputError`)."""
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
        spacing_mm=args.spacing,
        density=density,
        view=views[args.view.lower()],
        crop=args.crop,
        class_overlap=args.overlap,
    )


def _atomic(path: Path, write) -> None:
    """Call ``write(temporary_path)`` and rename the result to ``path``; nothing is left behind on error."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _nrrd_header(spacing_mm: float) -> dict:
    return {
        "space": "left-posterior-superior",
        "space directions": np.diag([spacing_mm, spacing_mm, 1.0]),
        "space origin": np.zeros(3),
        "kinds": ["domain", "domain", "domain"],
        "encoding": "gzip",
    }


def _write_volume(path: Path, array: np.ndarray, spacing_mm: float, extra: dict | None = None) -> None:
    """A 2D array as a one-slice 3D NRRD (x = column, y = row), as Slicer reads it."""
    import nrrd

    header = {**_nrrd_header(spacing_mm), **(extra or {})}
    _atomic(path, lambda tmp: nrrd.write(str(tmp), array[None], header, index_order="C"))


def segmentation_header(mask: np.ndarray) -> dict:
    """Header fields of a Slicer segmentation (.seg.nrrd) with the single segment ``Calcification`` (value 1)."""
    rows, cols = np.nonzero(mask)
    extent = f"{cols.min()} {cols.max()} {rows.min()} {rows.max()} 0 0" if rows.size else "0 -1 0 -1 0 -1"
    return {
        "Segmentation_MasterRepresentation": "Binary labelmap",
        "Segmentation_ContainedRepresentationNames": "Binary labelmap|",
        "Segmentation_ReferenceImageExtentOffset": "0 0 0",
        "Segment0_ID": SEGMENT_NAME,
        "Segment0_Name": SEGMENT_NAME,
        "Segment0_NameAutoGenerated": "0",
        "Segment0_Color": "1 0.9 0.1",
        "Segment0_ColorAutoGenerated": "0",
        "Segment0_LabelValue": "1",
        "Segment0_Layer": "0",
        "Segment0_Extent": extent,
        "Segment0_Tags": "TerminologyEntry:Segmentation category and type - 3D Slicer General Anatomy list~"
        "SCT^49755003^Morphologically altered structure~SCT^36222008^Calcification~^^~Anatomic codes - DICOM "
        "master list~^^~^^|",
    }


def _mrb_writer():
    """The MRML logic functions used for ``--mrb``; raises :class:`InputError` when the layer is not available."""
    try:
        from ..logic import (  # noqa: F401  (checked here so a missing layer fails before anything is written)
            create_calcification_segmentation,
            create_headless_scene,
            save_scene_bundle,
            set_segment_mask,
            volume_node_from_mammogram,
        )
    except ImportError as exc:
        raise InputError(f"--mrb needs the MRML logic layer (slicer-core), which is not available: {exc}") from exc

    def write(case, path: Path) -> None:
        scene = create_headless_scene()
        volume = volume_node_from_mammogram(scene, case.mammogram, name=case.record.case_id)
        segmentation = create_calcification_segmentation(scene, volume)
        set_segment_mask(segmentation, SEGMENT_NAME, case.mask, volume)
        _atomic(path, lambda tmp: save_scene_bundle(scene, tmp))

    return write


def write_case(case, out: Path, mrb_writer=None) -> dict:
    """Write one case's files into ``out``; returns its ``cases.csv`` row."""
    record, spacing = case.record, case.record.spacing_mm
    name = record.case_id
    _write_volume(out / f"{name}.nrrd", case.mammogram.pixels.astype(np.uint16), spacing)
    _write_volume(out / f"{name}.seg.nrrd", case.mask.astype(np.uint8), spacing, segmentation_header(case.mask))
    _write_volume(out / f"{name}.instances.nrrd", case.instances.astype(np.uint16), spacing)
    text = record.to_json()
    _atomic(out / f"{name}.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    if mrb_writer is not None:
        mrb_writer(case, out / f"{name}.mrb")
    row = {key: value for key, value in record.to_dict().items() if key in CSV_COLUMNS}
    row.update(image=f"{name}.nrrd", segmentation=f"{name}.seg.nrrd", instances=f"{name}.instances.nrrd")
    return row


def run(args: argparse.Namespace) -> int:
    """Generate ``args.cases`` cases into ``args.out``; returns 0."""
    config = build_config(args)
    background = None
    if args.background is not None:
        from ..core.io import read_mammogram

        background = read_mammogram(args.background)
    mrb_writer = _mrb_writer() if args.mrb else None
    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"--out {args.out} exists and is not a folder.")
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    with terminal_progress("Synthesising", enabled=sys.stderr.isatty()) as progress:
        for index in range(args.cases):
            progress(index / args.cases, f"case {index + 1}/{args.cases}")
            if background is None:
                case = generate_case(config, seed=args.seed, index=index)
            else:
                case = blend_calcifications(background, seed=args.seed, index=index, config=config)
            rows.append(write_case(case, args.out, mrb_writer))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    _atomic(args.out / "cases.csv", lambda tmp: tmp.write_text(buffer.getvalue(), encoding="utf-8"))
    print(f"wrote {len(rows)} cases to {args.out}")
    return 0
