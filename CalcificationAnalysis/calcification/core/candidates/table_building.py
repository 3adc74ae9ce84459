"""Building the candidate filter's training table from files: which images, in which order, resumable."""

from __future__ import annotations

import itertools
from pathlib import Path

from ..errors import InputError
from ..io import read_mammogram
from ..io.readable import check_readable
from ..progress import ProgressCallback, report_progress
from .training_table import (
    check_table_path,
    load_rows,
    real_background_images,
    rows_for_image,
    save_rows,
    synthetic_images,
)

#: File endings taken from a folder of normals.
IMAGE_SUFFIXES = (".dcm", ".pgm", ".png", ".tif", ".tiff", ".nrrd", ".nii", ".nii.gz", ".mha")
#: The table file is rewritten after this many images, so an interrupted build resumes from there.
SAVE_EVERY = 10


def image_files(sources: list[Path]) -> list[Path]:
    """Files given, and the image files of folders given, sorted; InputError when a source does not exist."""
    files = []
    for source in sources:
        check_readable(source)
        if source.is_dir():
            files += sorted(p for p in source.iterdir() if p.name.lower().endswith(IMAGE_SUFFIXES))
        elif source.is_file():
            files.append(source)
        else:
            raise InputError(f"{source} does not exist.")
    return files


def build_table(
    normals: list[Path],
    out: Path,
    spacing_mm=None,
    blends: int = 2,
    synthetic: int = 0,
    seed: int = 0,
    shard: tuple[int, int] = (0, 1),
    progress: ProgressCallback = None,
) -> str:
    """Write the table of shard ``shard`` = (k, n) to ``out``: normals k, k + n, ... with ``blends`` blended copies
    each (series ``seed + k``), then ``synthetic`` data-engine cases (series ``seed + 1000 + k``). When ``out``
    already holds part of this shard, the images it holds are skipped (the order is deterministic). Returns a
    one-line summary."""
    k, n = shard
    out = check_table_path(out)
    files = image_files(list(normals))[k::n]
    if not files and synthetic == 0:
        raise InputError("Nothing to build: give normal mammograms and/or --synthetic N.")
    total = len(files) * (1 + blends) + synthetic
    rows = load_rows(out) if Path(out).is_file() else []
    mammograms = (read_mammogram(path, spacing_mm=spacing_mm) for path in files)
    images = itertools.chain(
        real_background_images(mammograms, blends, seed + k), synthetic_images(synthetic, seed + 1000 + k)
    )
    for number, image in enumerate(images):
        if number < len(rows):
            continue
        report_progress(progress, number / max(total, 1), f"{image.kind} {image.group}")
        rows.append(rows_for_image(image))
        if len(rows) % SAVE_EVERY == 0:
            save_rows(rows, out)
    save_rows(rows, out)
    positives = sum(int(r.labels.sum()) for r in rows)
    truths, found = sum(r.true_count for r in rows), sum(r.true_found for r in rows)
    return (
        f"{len(rows)} images, {sum(len(r.labels) for r in rows)} candidates ({positives} on calcifications); "
        f"candidates reach {found} of {truths} inserted calcifications"
    )
