"""Training batches of crops, drawn from one seeded generator so a run is reproducible.

Calcifications cover well under 1% of a mammogram, so crops are not taken uniformly: a share ``1 - empty_fraction``
is placed so that a chosen calcification pixel lies at a random position inside the crop, the rest anywhere on the
breast (most of those contain no calcification: the hard negatives of vessels, ligaments and dense tissue). The
calcification pixel is drawn object-first by default (one connected calcification with equal chance, then one of
its pixels): drawn pixel-first, a coarse 500-pixel calcification is picked 100 times as often as a 5-pixel speck,
and the specks, the calcifications a model most often misses, are rarely in the middle of a crop.
Positions are random rather than on the 20%-overlap inference grid, so every part of an image can appear anywhere
in a crop; at inference the fully convolutional network runs on 512 x 512 tiles with 20% overlap as in the paper.
When ``config.augment`` is True each crop then goes through the paper's augmentations
(:mod:`calcification.core.training.augmentations`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from ..errors import InputError
from .training_cases import TrainingCase
from .training_config import TrainingConfig

#: Share of the empty crops centred on a case's hard negatives (skin line, labels) when it has any.
HARD_NEGATIVE_SHARE = 0.5


def _pixels_by_object(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices of the calcification pixels of ``mask``, grouped by 8-connected object, and the start of each
    group (int64 arrays; ``starts`` has one more entry than there are objects, the last being the pixel count)."""
    labels, count = ndimage.label(mask > 0, structure=np.ones((3, 3), dtype=bool))
    pixels = np.flatnonzero(labels)
    object_of_pixel = labels.ravel()[pixels]
    order = np.argsort(object_of_pixel, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(object_of_pixel, minlength=count + 1)[1:])])
    return pixels[order].astype(np.int64), starts.astype(np.int64)


def _crop(array: np.ndarray, row: int, col: int, size: int, fill) -> np.ndarray:
    """``array[row:row+size, col:col+size]``, padded with ``fill`` where it runs past the image (small images)."""
    out = np.full((size, size), fill, dtype=array.dtype)
    patch = array[max(row, 0) : row + size, max(col, 0) : col + size]
    out[max(-row, 0) : max(-row, 0) + patch.shape[0], max(-col, 0) : max(-col, 0) + patch.shape[1]] = patch
    return out


class CropBatcher:
    """Draws batches of crops from a list of :class:`TrainingCase`.

    Parameters
    ----------
    cases : sequence of TrainingCase
    config : TrainingConfig
        ``crop_size``, ``empty_fraction``, ``batch_size``, ``augment`` / ``augmentation``.
    rng : np.random.Generator
        The only source of randomness (its state is what a checkpoint stores).

    Attributes
    ----------
    donors : CalcificationDonors or None
        Calcification components of these cases for copy-paste (built once, capped at the augmentation config's
        ``max_donors``); None when augmentation or copy-paste is off.

    Raises
    ------
    InputError
        When no case has a breast region, so no batch can be filled.
    """

    def __init__(self, cases: Sequence[TrainingCase], config: TrainingConfig, rng: np.random.Generator):
        self.config = config
        self.rng = rng
        self.cases = [c for c in cases if c.region.any()]
        if not self.cases:
            raise InputError(
                "The training data cannot fill a batch: no case has a breast region to take crops from. "
                "Check the images and their masks (calcification check-dataset)."
            )
        # Calcification pixels per case, computed once, so drawing a position is one or two random indices: grouped
        # by object for object-first sampling, in raster order for pixel sampling (the order earlier models drew in).
        if config.positive_sampling == "object":
            self._positives = [_pixels_by_object(c.mask) for c in self.cases]
        else:
            self._positives = [(np.flatnonzero(c.mask), None) for c in self.cases]
        self._breast = [np.flatnonzero(c.region[::4, ::4]) for c in self.cases]  # 1 in 16 is plenty to place crops
        self._hard = [
            np.zeros(0, np.int64) if c.hard_negatives is None else np.flatnonzero(c.hard_negatives[::4, ::4])
            for c in self.cases
        ]
        self._augmentation = None
        self.donors = None
        if config.augment:
            from .augmentations import AugmentationConfig
            from .copy_paste import CalcificationDonors

            self._augmentation = config.augmentation or AugmentationConfig()
            if self._augmentation.copy_paste_probability > 0:
                # Built once per batcher, from its own (training) cases only, capped so memory stays bounded.
                self.donors = CalcificationDonors.from_cases(self.cases, self._augmentation.max_donors)

    def _position(self, k: int) -> tuple[int, int]:
        case, size = self.cases[k], self.config.crop_size
        rows, cols = case.image.shape
        positives, starts = self._positives[k]
        if positives.size and self.rng.random() >= self.config.empty_fraction:
            if starts is not None:
                chosen = int(self.rng.integers(starts.size - 1))
                pixel = positives[starts[chosen] + self.rng.integers(starts[chosen + 1] - starts[chosen])]
            else:
                pixel = positives[self.rng.integers(positives.size)]
            row, col = divmod(int(pixel), cols)
            return row - int(self.rng.integers(size)), col - int(self.rng.integers(size))
        places = self._breast[k]
        if self._hard[k].size and self.rng.random() < HARD_NEGATIVE_SHARE:
            places = self._hard[k]
        row, col = divmod(int(places[self.rng.integers(places.size)]), (cols + 3) // 4)
        return 4 * row - size // 2, 4 * col - size // 2

    def _clamped(self, k: int, row: int, col: int) -> tuple[int, int]:
        """Keep the crop inside the image when the image is at least a crop wide (padding only for small images)."""
        size = self.config.crop_size
        rows, cols = self.cases[k].image.shape
        row = min(max(row, 0), rows - size) if rows >= size else (rows - size) // 2
        col = min(max(col, 0), cols - size) if cols >= size else (cols - size) // 2
        return row, col

    def draw_crop(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One crop of case ``k`` before augmentation: image (float32), mask (uint8), breast region (bool)."""
        size = self.config.crop_size
        row, col = self._clamped(k, *self._position(k))
        case = self.cases[k]
        return (
            _crop(case.image, row, col, size, 0.0),
            _crop(case.mask, row, col, size, 0),
            _crop(case.region, row, col, size, False),
        )

    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """(images, masks): float32 arrays of shape (batch_size, 1, crop_size, crop_size); masks in {0, 1}."""
        images, masks = [], []
        for k in self.rng.integers(0, len(self.cases), size=self.config.batch_size):
            image, mask, region = self.draw_crop(int(k))
            if self._augmentation is not None:
                from .augmentations import augment

                image, mask = augment(
                    image, mask, self.rng, self._augmentation, self.donors, region=region, source=int(k)
                )
            images.append(image)
            masks.append(mask)
        return np.stack(images)[:, None].astype(np.float32), np.stack(masks)[:, None].astype(np.float32)
