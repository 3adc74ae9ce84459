"""The filter's training table: one row per Hessian-DoG candidate, labelled by ground truth, from three kinds of
image (Terrassin et al. 2024's real backgrounds, made physical in :mod:`..synthetic.acquisition_blending`):

- **real normals** (e.g. the mini-MIAS normals at 0.2 mm): every candidate is a real false positive (film grain,
  vessels, skin line, labels, scanner artefacts);
- **the same normals with calcifications inserted** as their acquisition would have recorded them: candidates on
  an inserted calcification are positives, the rest negatives;
- **synthetic mammograms** of the data engine at the fine pixel sizes of digital systems and scanned film (0.05,
  0.07, 0.1 mm), so the filter has seen calcifications at every pixel size the product accepts.

Rows carry their image's group (a background's name, or the synthetic case), so cross-validation keeps each
background's real and blended versions in one fold.
"""

from __future__ import annotations

import dataclasses
import os
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..image import Mammogram
from ..synthetic import SynthesisConfig, generate_case
from ..synthetic.acquisition_blending import blend_at_acquisition
from .candidate_detection import find_candidates
from .candidate_features import FEATURE_NAMES
from .candidate_labels import true_instance_per_candidate

#: Pixel sizes (mm) of the synthetic part of the table.
SYNTHETIC_SPACINGS_MM = (0.05, 0.07, 0.1)
#: Field of view (mm) of a synthetic training case: 72 x 54 mm, the held-out test cases' 1024 x 768 px at 0.07 mm.
SYNTHETIC_FIELD_MM = (71.7, 53.8)
#: Groups per blended or synthetic case: more than the default so positives are not rare in the table.
GROUPS_PER_CASE = (2, 4)


@dataclass(frozen=True)
class TableImage:
    """One image of the table: its group, its kind (``normal``, ``blended``, ``synthetic``), the mammogram and the
    ground-truth instance map (None: nothing to find)."""

    group: str
    kind: str
    mammogram: Mammogram
    instances: np.ndarray | None = None
    breast: np.ndarray | None = None


@dataclass(frozen=True)
class TableRows:
    """Rows of one image: ``features`` (n, F) float32, ``labels`` (n,) 0/1, how many true calcifications the image
    had and how many of them some candidate found (the first stage's recall), and each candidate's position."""

    group: str
    kind: str
    spacing_mm: float
    features: np.ndarray
    labels: np.ndarray
    true_count: int
    true_found: int
    points_mm: np.ndarray | None = None  # (n, 2) candidate centroids (row, col) in mm, for context features


def rows_for_image(image: TableImage) -> TableRows:
    """Candidates of ``image`` with their features and labels."""
    found = find_candidates(image.mammogram, breast=image.breast)
    if image.instances is None:
        labels = np.zeros(len(found.detection.candidates), np.int8)
        true_count = true_found = 0
    else:
        hit = true_instance_per_candidate(found, image.instances)
        labels = (hit > 0).astype(np.int8)
        true_count = int(len(np.unique(image.instances)) - (image.instances == 0).any())
        true_found = int(len(np.unique(hit[hit > 0])))
    spacing = float(image.mammogram.spacing_mm[0])
    points = np.array([(c.y_mm, c.x_mm) for c in found.detection.candidates], np.float32).reshape(-1, 2)
    return TableRows(image.group, image.kind, spacing, found.features, labels, true_count, true_found, points)


def real_background_images(normals: Iterable[Mammogram], blends_per_image: int, seed: int) -> Iterator[TableImage]:
    """Each real normal as a negative image, then ``blends_per_image`` acquisition-blended versions of it."""
    config = SynthesisConfig(shape=(512, 512), clusters_per_case=GROUPS_PER_CASE)
    for number, normal in enumerate(normals):
        yield TableImage(normal.name, "normal", normal)
        for k in range(blends_per_image):
            case = blend_at_acquisition(
                normal, seed=seed, index=number * blends_per_image + k, config=config, breast_mask=None
            )
            yield TableImage(normal.name, "blended", case.mammogram, case.instances, case.breast_mask)


def synthetic_images(count: int, seed: int) -> Iterator[TableImage]:
    """``count`` data-engine cases, cycling through :data:`SYNTHETIC_SPACINGS_MM`, each of the same field size."""
    for index in range(count):
        spacing = SYNTHETIC_SPACINGS_MM[index % len(SYNTHETIC_SPACINGS_MM)]
        shape = tuple(int(round(mm / spacing)) for mm in SYNTHETIC_FIELD_MM)
        config = SynthesisConfig(shape=shape, spacing_mm=spacing, clusters_per_case=GROUPS_PER_CASE)
        case = generate_case(config, seed=seed, index=index)
        mammogram = dataclasses.replace(case.mammogram, metadata={**case.mammogram.metadata})
        yield TableImage(f"synthetic-{seed}-{index}", "synthetic", mammogram, case.instances, case.breast_mask)


def save_rows(rows: list[TableRows], path: Path) -> None:
    """All rows in one ``.npz`` (no pickled objects): per row features, label, image group, kind and spacing; per
    image its group, kind, spacing, true calcifications, those found by a candidate, and its number of rows. Written
    under a temporary name, then renamed, so an interrupted build leaves the previous complete file."""
    path = Path(path)
    empty = not rows
    per_row = {
        "features": np.zeros((0, len(FEATURE_NAMES)), np.float32)
        if empty
        else np.concatenate([r.features for r in rows]),
        "labels": np.zeros(0, np.int8) if empty else np.concatenate([r.labels for r in rows]),
        "group": np.array([r.group for r in rows for _ in r.labels], dtype=str),
        "kind": np.array([r.kind for r in rows for _ in r.labels], dtype=str),
        "spacing": np.array([r.spacing_mm for r in rows for _ in r.labels], dtype=float),
        "image": np.array([i for i, r in enumerate(rows) for _ in r.labels], dtype=int),
        "points_mm": np.zeros((0, 2), np.float32) if empty else np.concatenate([r.points_mm for r in rows]),
    }
    per_image = {
        "image_group": np.array([r.group for r in rows], dtype=str),
        "image_kind": np.array([r.kind for r in rows], dtype=str),
        "image_spacing": np.array([r.spacing_mm for r in rows], dtype=float),
        "image_true_count": np.array([r.true_count for r in rows], dtype=int),
        "image_true_found": np.array([r.true_found for r in rows], dtype=int),
        "image_rows": np.array([len(r.labels) for r in rows], dtype=int),
    }
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial.npz")
    try:
        np.savez_compressed(partial, **per_row, **per_image)
        os.replace(partial, path)
    except OSError as exc:
        raise InputError(f"Cannot write the candidate table {path}: {exc.strerror or exc}.") from exc
    finally:
        partial.unlink(missing_ok=True)  # gone after the rename; left by a failed write otherwise


def check_table_path(path: Path) -> Path:
    """``path`` if a table can be written there (a ``.npz`` name in an existing folder, not a folder itself), else
    InputError: checked before any image is read."""
    path = Path(path)
    if path.suffix.lower() != ".npz":
        raise InputError(f"A candidate table is a .npz file; give --out a name ending in .npz, not {path.name!r}.")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give --out a file name such as {path / 'table.npz'}.")
    if not path.parent.is_dir():
        raise InputError(f"The folder {path.parent} does not exist (or is not a folder); create it first.")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise InputError(f"Cannot write into {path.parent}: permission denied.")
    return path


def load_rows(path: Path) -> list[TableRows]:
    """The per-image rows of a table written by :func:`save_rows` (to resume a build); InputError when ``path`` is
    not one."""
    try:
        return _load_rows(path)
    except (OSError, ValueError, KeyError, IndexError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise InputError(f"{path} is not a candidate table this command can resume ({exc}); move it away.") from exc


def _load_rows(path: Path) -> list[TableRows]:
    with np.load(path, allow_pickle=False) as data:
        bounds = np.concatenate([[0], np.cumsum(data["image_rows"])])
        return [
            TableRows(
                str(data["image_group"][i]),
                str(data["image_kind"][i]),
                float(data["image_spacing"][i]),
                data["features"][bounds[i] : bounds[i + 1]],
                data["labels"][bounds[i] : bounds[i + 1]],
                int(data["image_true_count"][i]),
                int(data["image_true_found"][i]),
                data["points_mm"][bounds[i] : bounds[i + 1]],
            )
            for i in range(len(bounds) - 1)
        ]
