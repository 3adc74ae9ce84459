"""Train a segmentation model ensemble with patient-grouped cross-validation and write it as a model folder.

Each fold trains on the other folds' patients and keeps its best epoch by validation Dice; the fold networks form the
ensemble that :func:`calcification.core.inference.segmenter.segment_with_model` averages (Tong et al. 2024 stitch
five). One fold (``folds=1``) trains a single network with 20% of the patients held out for choosing its epoch.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import InputError
from ..models.model_card import ModelCard, NormalisationSpec
from ..progress import ProgressCallback, sub_progress
from .fold_trainer import EventCallback, FoldResult, train_fold
from .folds import check_fold_count, grouped_folds
from .training_cases import TrainingCase
from .training_config import TrainingConfig


def _splits(cases: Sequence[TrainingCase], folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    patients = [c.patient_id for c in cases]
    if folds > 1:
        return grouped_folds(patients, folds, seed)
    if len(set(patients)) < 2:
        raise InputError("Training needs cases from at least 2 patients (one to train on, one to validate).")
    five = grouped_folds(patients, min(5, len(set(patients))), seed)
    return [five[0]]  # a single network: the first of the 5-fold splits (20% of the patients validate)


def train_segmenter(
    cases: Sequence[TrainingCase],
    out_folder: os.PathLike,
    name: str,
    config: Optional[TrainingConfig] = None,
    folds: int = 5,
    trained_on: str = "",
    synthetic_training: bool = False,
    normalisation: Optional[NormalisationSpec] = None,
    checkpoint_folder: Optional[os.PathLike] = None,
    overwrite: bool = False,
    half_precision_weights: bool = False,
    progress: ProgressCallback = None,
    events: EventCallback = None,
    processes=None,
) -> ModelCard:
    """Cross-validate, train every fold and save the ensemble with its model card.

    Parameters
    ----------
    cases : sequence of TrainingCase
        Prepared at ``config.spacing_mm`` with ``normalisation`` (see :mod:`.training_cases`).
    out_folder : path
        The model folder to write (``model_card.json`` + ``fold_<k>.pt``); refused if it holds a model unless
        ``overwrite``.
    name : str
        The model's name (shown in the model list and the panel).
    config : TrainingConfig, optional
        Defaults to ``TrainingConfig()``.
    folds : int
        Folds of patient-grouped cross-validation (5 as in the paper); 1 trains a single network.
    trained_on : str
        Plain description of the data, for the card.
    synthetic_training : bool
        True when the data are synthetic; the card and the UI say so.
    normalisation : NormalisationSpec, optional
        The intensity rule the cases were prepared with (the default percentiles when None).
    checkpoint_folder : path, optional
        Per-fold checkpoints (``fold_<k>.checkpoint.pt``) for resuming; none are kept when None.
    half_precision_weights : bool
        Store floating-point weights as float16 (half the file size, for shipping; they are cast back to float32
        when loaded, and the probability maps differ by about 1e-3).
    progress, events : callables, optional
        See :func:`calcification.core.training.fold_trainer.train_fold`.
    processes : ProcessGroup, optional
        Under ``torchrun``: this process's place in the job (:mod:`.distributed_training`); every process trains,
        rank 0 alone writes checkpoints and the model folder (the others return the same card).

    Returns
    -------
    ModelCard
        The card as written, with per-fold and pooled validation Dice in ``metrics``.
    """
    from ..models.model_store import save_model
    from ..networks.factory import PRESETS

    config, normalisation = config or TrainingConfig(), normalisation or NormalisationSpec()
    out_folder = Path(out_folder)
    if (out_folder / "model_card.json").exists() and not overwrite:
        raise InputError(f"{out_folder} already holds a model; choose another folder or allow overwriting.")
    if config.init_model:  # refused before any training rather than at the first fold
        from .initial_weights import check_initial_model

        check_initial_model(config, normalisation)
    splits = _splits(cases, check_fold_count(folds), config.seed)
    results: list[FoldResult] = []
    for k, (train_index, validation_index) in enumerate(splits):
        if 0 < config.validation_cases < len(validation_index):
            pick = np.linspace(0, len(validation_index) - 1, config.validation_cases).round().astype(int)
            validation_index = np.asarray(validation_index)[pick]
        checkpoint = None if checkpoint_folder is None else Path(checkpoint_folder) / f"fold_{k}.checkpoint.pt"
        if checkpoint is not None:
            checkpoint.parent.mkdir(parents=True, exist_ok=True)
        results.append(
            train_fold(
                [cases[i] for i in train_index],
                [cases[i] for i in validation_index],
                config,
                fold=k,
                checkpoint=checkpoint,
                progress=sub_progress(progress, k / len(splits), (k + 1) / len(splits)),
                events=events,
                processes=processes,
            )
        )
    architecture, kwargs = PRESETS[config.preset]
    metrics = {f"fold_{k}_validation_dice": round(r.best_dice, 4) for k, r in enumerate(results)}
    metrics["mean_validation_dice"] = round(float(np.mean([r.best_dice for r in results])), 4)
    card = ModelCard(
        name=name,
        architecture=architecture,
        architecture_kwargs=dict(kwargs),
        spacing_mm=config.spacing_mm,
        normalisation=normalisation,
        threshold=config.validation_threshold,
        trained_on=trained_on,
        synthetic_training=synthetic_training,
        metrics=metrics,
        description=f"Trained with {config.preset}, {len(splits)} fold(s), settings: {config.summary()}",
    )
    states = [r.state_dict for r in results]
    if half_precision_weights:
        states = [{k: v.half() if v.is_floating_point() else v for k, v in state.items()} for state in states]
    if processes is not None and not processes.is_main:
        return card  # rank 0 writes the one model folder
    return save_model(out_folder, card, states, overwrite=overwrite)
