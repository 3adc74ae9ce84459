"""Training batches: crops from the paper's 20%-overlap grid over the breast, a controlled share without
calcifications, each augmented (Tong et al. 2024), drawn from one seeded generator so a run is reproducible."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InputError
from .training_cases import TrainingCase
from .training_config import TrainingConfig


class CropBatcher:
    """Draws batches of augmented crops from a list of :class:`TrainingCase`.

    Parameters
    ----------
    cases : sequence of TrainingCase
    config : TrainingConfig
        ``crop_size``, ``crop_overlap``, ``empty_fraction``, ``batch_size``, ``augment`` / ``augmentation``.
    rng : np.random.Generator
        The only source of randomness (its state is what a checkpoint stores).

    Raises
    ------
    InputError
        When the cases hold no crop that touches a breast region, so no batch can be filled.
    """

    def __init__(self, cases: Sequence[TrainingCase], config: TrainingConfig, rng: np.random.Generator):
        from .augmentations import AugmentationConfig

        self.cases = list(cases)
        self.config = config
        self.rng = rng
        self.augmentation = config.augmentation or AugmentationConfig()
        usable = [c for c in self.cases if c.region.any()]
        if not usable:
            raise InputError(
                "The training data cannot fill a batch: no case has a breast region to take crops from. "
                "Check the images and their masks (calcification dataset check)."
            )
        self.cases = usable

    def _crop(self, case: TrainingCase) -> tuple[np.ndarray, np.ndarray]:
        from .crops import extract_crop, sample_training_crops

        size = self.config.crop_size
        (row, col), *_ = sample_training_crops(
            case.image, case.mask, case.region, size, self.rng, empty_fraction=self.config.empty_fraction, count=1
        )
        image = extract_crop(case.image, row, col, size, fill=0.0)
        mask = extract_crop(case.mask, row, col, size, fill=0)
        if self.config.augment:
            from .augmentations import augment

            image, mask = augment(image, mask, self.rng, self.augmentation)
        return image, mask

    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """(images, masks): float32 arrays of shape (batch_size, 1, crop_size, crop_size); masks in {0, 1}."""
        picks = self.rng.integers(0, len(self.cases), size=self.config.batch_size)
        pairs = [self._crop(self.cases[k]) for k in picks]
        images = np.stack([p[0] for p in pairs])[:, None].astype(np.float32)
        masks = np.stack([p[1] for p in pairs])[:, None].astype(np.float32)
        return images, masks
