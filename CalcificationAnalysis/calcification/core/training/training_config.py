"""Settings of one segmentation training run (Tong et al., Front. Oncol. 2024, section 2.3), as a frozen dataclass."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Optional

from ..errors import InputError
from .losses import LossConfig

#: Ways of placing a crop on a calcification (see :attr:`TrainingConfig.positive_sampling`).
POSITIVE_SAMPLING = ("object", "pixel")


@dataclass(frozen=True)
class TrainingConfig:
    """How a fold network is trained.

    Attributes
    ----------
    preset : str
        Network configuration from :data:`calcification.core.networks.factory.PRESETS` (``pro_unext_cpu`` is the
        CPU-sized Pro_UNeXt; ``pro_unext_paper``, ``unext``, ``unext_s``, ``unet`` for comparison).
    spacing_mm : float
        Pixel spacing the network works at; images are resampled to it (0.07 mm: full-field digital mammography).
    crop_size : int
        Side of the square training crops in pixels. The paper trains on 512; 256 gives four times the crops per
        second on a CPU, and the network is fully convolutional, so inference still runs 512 tiles.
    empty_fraction : float
        Share of crops placed anywhere on the breast rather than on a calcification.
    positive_sampling : str
        How a crop is placed on a calcification: ``"object"`` (default) picks one calcification with equal chance,
        then a pixel of it, so a 5-pixel speck is as often in a crop as a 500-pixel coarse one; ``"pixel"`` picks a
        calcification pixel, so large calcifications dominate (the behaviour of models trained before 2026-12).
    batch_size : int
    steps_per_epoch : int
        Optimiser steps per epoch (crops are drawn afresh each step, so an epoch is a fixed amount of work).
    phase_one_epochs : int
        Epochs with the focal + Dice loss (learning rate on a cosine decay to 5% of ``learning_rate``).
    phase_two_epochs : int
        Fine-tuning epochs with the Hausdorff distance-transform loss added, at ``phase_two_learning_rate``.
    learning_rate, phase_two_learning_rate, weight_decay : float
        AdamW settings.
    losses : LossConfig
    augmentation : AugmentationConfig or None
        The paper's eight augmentations (:mod:`calcification.core.training.augmentations`); None = its defaults.
    augment : bool
        False switches augmentation off (for tests and ablations).
    seed : int
        Seeds crops, augmentations and weight initialisation; the same data and seed give the same network.
    device : str
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"`` or ``"cuda"``.
    mixed_precision : bool
        float16 autocast on CUDA (ignored on CPU).
    validation_threshold : float
        Probability threshold for the validation Dice that picks each fold's best epoch.
    init_model : str
        Model name or folder to start from instead of random weights (fine-tuning; fold k starts from its fold k,
        cycling): see :mod:`calcification.core.training.initial_weights`. Empty (default) = random initial weights.
    validation_cases : int
        At most this many of a fold's validation cases score its epochs (evenly spread over them; whole-image
        validation of full-field real mammograms takes longer than an epoch on a CPU); 0 (default) = all.
    """

    preset: str = "pro_unext_cpu"
    spacing_mm: float = 0.07
    crop_size: int = 256
    empty_fraction: float = 0.25
    positive_sampling: str = "object"
    batch_size: int = 8
    steps_per_epoch: int = 100
    phase_one_epochs: int = 10
    phase_two_epochs: int = 2
    learning_rate: float = 2e-3
    phase_two_learning_rate: float = 2e-4
    weight_decay: float = 1e-4
    losses: LossConfig = LossConfig()
    augmentation: Optional[Any] = None
    augment: bool = True
    seed: int = 0
    device: str = "auto"
    mixed_precision: bool = True
    validation_threshold: float = 0.5
    init_model: str = ""
    validation_cases: int = 0

    def __post_init__(self) -> None:
        from ..networks.factory import PRESETS

        if self.preset not in PRESETS:
            raise InputError(f"Unknown network preset {self.preset!r}; known: {', '.join(sorted(PRESETS))}.")
        if self.crop_size < 32 or self.crop_size % 32:
            raise InputError(f"The crop size must be a multiple of 32 and at least 32 pixels, got {self.crop_size}.")
        for name in ("batch_size", "steps_per_epoch"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be at least 1, got {getattr(self, name)}.")
        if self.phase_one_epochs < 1 or self.phase_two_epochs < 0:
            raise InputError("Training needs at least one phase-1 epoch and no negative number of phase-2 epochs.")
        if not 0.0 <= self.empty_fraction < 1.0:
            raise InputError(f"empty_fraction must lie in [0, 1), got {self.empty_fraction}.")
        if self.positive_sampling not in POSITIVE_SAMPLING:
            raise InputError(
                f"positive_sampling must be one of {', '.join(POSITIVE_SAMPLING)}, got {self.positive_sampling!r}."
            )
        if not 0.0 < self.validation_threshold < 1.0:
            raise InputError("The validation threshold must lie between 0 and 1.")

    @property
    def total_epochs(self) -> int:
        return self.phase_one_epochs + self.phase_two_epochs

    def summary(self) -> dict[str, Any]:
        """JSON-compatible settings for the model card."""
        data = asdict(self)
        data["augmentation"] = None if self.augmentation is None else repr(self.augmentation)
        return data
