"""A picture of augmented training crops, to see what the network will be trained on before a long run.

Each row is one crop as the trainer draws it (:class:`calcification.core.training.crop_batches.CropBatcher`): the crop
before augmentation on the left, after the augmentations of Tong et al. (Front. Oncol. 2024) on the right, both with
the calcification mask outlined in colour, so a misaligned mask or an implausible intensity change is seen at once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy import ndimage

from ..atomic_files import replaced_when_done
from ..errors import InputError
from .training_cases import TrainingCase
from .training_config import TrainingConfig

#: Outline colour (RGB): an orange-red that stands out on grey tissue.
_OUTLINE = (255, 80, 40)
_GAP_PX = 4
_HEADER_PX = 16


def _rgb(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """uint8 (rows, cols, 3): grey intensities [0, 1] with the mask's one-pixel inner outline coloured."""
    grey = (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    rgb = np.repeat(grey[..., None], 3, axis=2)
    mask = mask.astype(bool)
    rgb[mask & ~ndimage.binary_erosion(mask, border_value=1)] = _OUTLINE
    return rgb


def _grid(pairs: Sequence[tuple[np.ndarray, np.ndarray]], size: int) -> np.ndarray:
    """uint8 (height, width, 3) canvas: one row per pair, white gaps, an empty header strip for the titles."""
    height = _HEADER_PX + len(pairs) * (size + _GAP_PX)
    width = 2 * size + 3 * _GAP_PX
    canvas = np.full((height, width, 3), 255, np.uint8)
    for row, (left, right) in enumerate(pairs):
        top = _HEADER_PX + row * (size + _GAP_PX)
        canvas[top : top + size, _GAP_PX : _GAP_PX + size] = left
        canvas[top : top + size, 2 * _GAP_PX + size : 2 * _GAP_PX + 2 * size] = right
    return canvas


def _save_png(canvas: np.ndarray, path: Path, size: int) -> None:
    """Write atomically: a temporary file in the same folder replaces ``path`` only once it is complete."""
    from PIL import Image, ImageDraw

    picture = Image.fromarray(canvas, mode="RGB")
    draw = ImageDraw.Draw(picture)
    draw.text((_GAP_PX, 2), "original", fill=(0, 0, 0))
    draw.text((2 * _GAP_PX + size, 2), "augmented", fill=(0, 0, 0))
    with replaced_when_done(path) as temporary:  # the product's one safe writer (and the usual permissions)
        picture.save(temporary, format="PNG")


def check_preview_path(path: os.PathLike) -> Path:
    """``path`` as a Path when it names a ``.png`` file in an existing folder (checked before slow work starts).

    Raises
    ------
    InputError
        Otherwise, with what to change.
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise InputError(f"The augmentation preview is a PNG picture: give a file name ending in .png, not {path}.")
    if not path.parent.is_dir():
        raise InputError(f"The folder {path.parent} does not exist; create it or choose another place for {path.name}.")
    return path


def write_augmentation_preview(
    cases: Sequence[TrainingCase], config: TrainingConfig, path: os.PathLike, count: int = 8, seed: int = 0
) -> Path:
    """Write a PNG grid of ``count`` training crops, original | augmented, with the mask outlined in colour.

    Parameters
    ----------
    cases : sequence of TrainingCase
        Crops are drawn from these as in training (same share of calcification crops); copy-paste donors come
        from them too.
    config : TrainingConfig
        ``crop_size``, ``empty_fraction`` and ``augmentation`` (its defaults when None) are used; the picture shows
        augmentation even when ``config.augment`` is False.
    path : path-like
        The ``.png`` file to write (replaced if it exists).
    count : int
        Number of crops (rows).
    seed : int
        Seed of the crop positions and augmentations.

    Returns
    -------
    Path
        ``path``. The picture is ``16 + count * (crop_size + 4)`` pixels high and ``2 * crop_size + 12`` wide.

    Raises
    ------
    InputError
        A path that is not a ``.png`` in an existing folder, a count below 1, or cases without a breast region;
        nothing is written then.
    """
    from .augmentations import AugmentationConfig, augment
    from .crop_batches import CropBatcher

    path = check_preview_path(path)
    if count < 1:
        raise InputError(f"The augmentation preview needs at least one crop, got count={count}.")
    rng = np.random.default_rng(seed)
    batcher = CropBatcher(cases, replace(config, augment=True), rng)
    settings = config.augmentation or AugmentationConfig()
    pairs = []
    for _ in range(count):
        k = int(rng.integers(len(batcher.cases)))
        image, mask, region = batcher.draw_crop(k)
        augmented, augmented_mask = augment(image, mask, rng, settings, batcher.donors, region=region, source=k)
        pairs.append((_rgb(image, mask), _rgb(augmented, augmented_mask)))
    _save_png(_grid(pairs, config.crop_size), path, config.crop_size)
    return path
