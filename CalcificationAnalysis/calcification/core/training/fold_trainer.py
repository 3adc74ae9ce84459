"""Train one fold network: phase 1 focal + Dice, phase 2 with the Hausdorff distance-transform loss (Tong et al.,
Front. Oncol. 2024), the best epoch by validation Dice kept, a checkpoint after every epoch to resume from.

A checkpoint holds only tensors, numbers, strings, lists and dicts (network, optimiser, best weights, history and
both random generator states), so it loads with ``torch.load(..., weights_only=True)``; resuming from it gives the
same network as an uninterrupted run.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..errors import CancelledError, InputError
from ..progress import ProgressCallback
from .crop_batches import CropBatcher
from .training_cases import TrainingCase
from .training_config import TrainingConfig

_LOG = logging.getLogger(__name__)

#: ``events(record)`` receives machine-readable progress: dicts with ``event`` = ``"step"`` or ``"epoch"``.
EventCallback = Optional[Callable[[dict], None]]
CHECKPOINT_FORMAT = 1


@dataclass(frozen=True)
class FoldResult:
    """A trained fold: its best weights (CPU state_dict), best validation Dice and epoch, and the per-epoch history
    (dicts with epoch, phase, train_loss, val_dice, learning_rate, seconds)."""

    state_dict: dict
    best_dice: float
    best_epoch: int
    history: tuple[dict, ...]


def _learning_rate(config: TrainingConfig, epoch: int, step: int) -> float:
    """Cosine decay from ``learning_rate`` to 5% of it over phase 1; ``phase_two_learning_rate`` in phase 2."""
    if epoch >= config.phase_one_epochs:
        return config.phase_two_learning_rate
    progress = (epoch * config.steps_per_epoch + step) / (config.phase_one_epochs * config.steps_per_epoch)
    return config.learning_rate * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * progress)))


def _save_checkpoint(path: Path, state: dict) -> None:
    import torch

    partial = path.with_name(path.name + ".partial")
    torch.save(state, partial)
    os.replace(partial, path)  # an interrupted save never replaces a good checkpoint with half a file


def _load_checkpoint(path: Path, config: TrainingConfig) -> Optional[dict]:
    import torch

    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for damaged files, with several lines of its own advice
        _LOG.debug("Loading the checkpoint %s failed: %s", path, exc)
        raise InputError(
            f"The checkpoint {path} cannot be read (damaged, or not a checkpoint of this product); delete it to start "
            "this fold again."
        ) from exc
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise InputError(f"{path} is not a training checkpoint of this version; delete it to start this fold again.")
    if state.get("config") != repr(config):
        raise InputError(
            f"The checkpoint {path} was written with other settings; delete it or resume with the same settings."
        )
    fields = {**_CHECKPOINT_FIELDS, "torch_rng": torch.Tensor}
    if any(not isinstance(state.get(key), kind) for key, kind in fields.items()):
        raise InputError(f"The checkpoint {path} is incomplete or damaged; delete it to start this fold again.")
    return state


#: What a checkpoint must hold to be resumed from, and of which type.
_CHECKPOINT_FIELDS = {
    "network": dict,
    "optimizer": dict,
    "numpy_rng": dict,
    "epoch": int,
    "best_state": dict,
    "best_dice": (int, float),
    "best_epoch": int,
    "history": list,
}


class _Run:
    """Mutable state of one fold's training (network, optimiser, generators, best weights, history)."""

    def __init__(self, config: TrainingConfig, fold: int, device):
        import torch

        from ..networks.factory import build_preset

        torch.manual_seed(config.seed * 1000 + fold)
        self.network = build_preset(config.preset)
        if config.init_model:
            from .initial_weights import initial_state

            self.network.load_state_dict(initial_state(config, fold))
        self.network = self.network.to(device)
        self.forward = self.network  # what the training steps call: the network, or its DDP wrapper
        self.optimizer = torch.optim.AdamW(
            self.network.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
        )
        self.rng = np.random.default_rng([config.seed, fold])
        self.epoch = 0
        self.best_state = copy.deepcopy(self.network.state_dict())
        self.best_dice, self.best_epoch, self.history = -1.0, -1, []

    def restore(self, state: dict) -> None:
        import torch

        self.network.load_state_dict(state["network"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["numpy_rng"]
        torch.set_rng_state(state["torch_rng"])
        self.epoch, self.best_state = int(state["epoch"]), state["best_state"]
        self.best_dice, self.best_epoch = float(state["best_dice"]), int(state["best_epoch"])
        self.history = list(state["history"])

    def snapshot(self, config: TrainingConfig) -> dict[str, Any]:
        import torch

        return {
            "format": CHECKPOINT_FORMAT,
            "config": repr(config),
            "epoch": self.epoch,
            "network": {k: v.detach().cpu() for k, v in self.network.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "numpy_rng": self.rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(),
            "best_state": {k: v.detach().cpu() for k, v in self.best_state.items()},
            "best_dice": self.best_dice,
            "best_epoch": self.best_epoch,
            "history": self.history,
        }


def _train_epoch(
    run: _Run,
    batcher: CropBatcher,
    config: TrainingConfig,
    device,
    events: EventCallback,
    report: Callable[[int], None],
    processes,
) -> float:
    """One epoch of optimiser steps; returns the mean training loss."""
    import torch

    from .losses import focal_dice_loss, phase_two_loss

    loss_fn = phase_two_loss if run.epoch >= config.phase_one_epochs else focal_dice_loss
    use_amp = device.type == "cuda" and config.mixed_precision
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    run.network.train()
    losses = []
    for step in range(config.steps_per_epoch):
        for group in run.optimizer.param_groups:
            group["lr"] = _learning_rate(config, run.epoch, step)
        images, masks = batcher.next_batch()
        x, y = torch.from_numpy(images).to(device), torch.from_numpy(masks).to(device)
        run.optimizer.zero_grad(set_to_none=True)
        loss = processes.backward(
            run, x, y, lambda logits, target: loss_fn(logits.float(), target, config.losses), use_amp, scaler
        )
        scaler.step(run.optimizer)
        scaler.update()
        losses.append(float(loss.detach()))
        if events:
            events({"event": "step", "epoch": run.epoch, "step": step, "loss": losses[-1]})
        report(step)
    return float(np.mean(losses))


def _replay_history(history: Sequence[dict], fold: int, events: Callable[[dict], None]) -> None:
    """Send a resumed fold's earlier epochs as ``epoch`` events, with the best Dice as it stood after each."""
    best = -1.0
    for record in history:
        best = max(best, float(record["val_dice"]))
        events({"event": "epoch", "fold": fold, **record, "best_dice": best, "from_checkpoint": True})


def train_fold(
    train_cases: Sequence[TrainingCase],
    validation_cases: Sequence[TrainingCase],
    config: Optional[TrainingConfig] = None,
    fold: int = 0,
    checkpoint: Optional[os.PathLike] = None,
    progress: ProgressCallback = None,
    events: EventCallback = None,
    processes=None,
) -> FoldResult:
    """Train one network on ``train_cases`` and keep its epoch with the best Dice on ``validation_cases``.

    Parameters
    ----------
    train_cases, validation_cases : sequences of TrainingCase
        Disjoint patients (see :func:`calcification.core.training.folds.grouped_folds`).
    config : TrainingConfig, optional
        Defaults to ``TrainingConfig()``.
    fold : int
        Fold number; it offsets the seeds so folds start from different weights.
    checkpoint : path, optional
        Written after every epoch; when it exists (same settings), training resumes after its epoch.
    progress : callable, optional
        ``progress(fraction, message) -> bool``; False stops after the current step (the last epoch's checkpoint
        stays for resuming) and raises :class:`CancelledError`.
    events : callable, optional
        Receives ``{"event": "step", ...}`` and ``{"event": "epoch", ...}`` dicts (losses, validation Dice, ETA).
        After resuming, the checkpoint's epochs are sent first as ``epoch`` events with ``"from_checkpoint": True``,
        so a listener's curves show the whole fold, not only the epochs of this run.
    processes : ProcessGroup, optional
        This process's place in a ``torchrun`` job (:mod:`.distributed_training`): the batch's crops are spread over
        the processes, rank 0 alone reads and writes the checkpoint. One process when None.

    Returns
    -------
    FoldResult

    Raises
    ------
    InputError
        No validation case, a batch that cannot be filled, a damaged or foreign checkpoint, or a missing GPU.
    """
    config = config or TrainingConfig()
    if not validation_cases:
        raise InputError("Each fold needs at least one validation case to choose its best epoch.")
    from .distributed_training import SINGLE_PROCESS

    processes = processes or SINGLE_PROCESS
    device = processes.device(config)
    run = _Run(config, fold, device)
    checkpoint = Path(checkpoint) if checkpoint is not None else None
    saved = processes.shared(lambda: _load_checkpoint(checkpoint, config)) if checkpoint is not None else None
    if saved is not None:
        try:
            run.restore(saved)
        except (RuntimeError, ValueError, TypeError, KeyError) as exc:  # weights of another network, damaged state
            raise InputError(
                f"The checkpoint {checkpoint} does not fit this training ({type(exc).__name__}); "
                "delete it to start this fold again."
            ) from exc
        if events:
            _replay_history(run.history, fold, events)
    processes.prepare(run)
    batcher = processes.batcher(train_cases, config, run, fold)
    started, first_epoch = time.perf_counter(), run.epoch
    total_steps = config.total_epochs * config.steps_per_epoch

    def report(step: int) -> None:
        done = run.epoch * config.steps_per_epoch + step + 1
        rate = (time.perf_counter() - started) / max(1, done - first_epoch * config.steps_per_epoch)
        eta = rate * (total_steps - done)
        message = f"Fold {fold}: epoch {run.epoch + 1} of {config.total_epochs}, about {eta:.0f} s left"
        if progress is not None and progress(min(done / total_steps, 1.0), message) is False:
            raise CancelledError(f"Training stopped in fold {fold}; run again with the same settings to resume.")

    # Step events name their fold too, so a listener resuming mid-run never has to infer it.
    step_events = (lambda record: events({**record, "fold": fold})) if events else None
    while run.epoch < config.total_epochs:
        epoch_started = time.perf_counter()
        train_loss = _train_epoch(run, batcher, config, device, step_events, report, processes)
        dice = processes.validation_dice(run.network, validation_cases, device, config.validation_threshold)
        record = {
            "epoch": run.epoch,
            "phase": 1 if run.epoch < config.phase_one_epochs else 2,
            "train_loss": train_loss,
            "val_dice": dice,
            "seconds": time.perf_counter() - epoch_started,
            "learning_rate": _learning_rate(config, run.epoch, config.steps_per_epoch - 1),
        }
        if dice > run.best_dice:
            run.best_dice, run.best_epoch = dice, run.epoch
            run.best_state = {k: v.detach().cpu().clone() for k, v in run.network.state_dict().items()}
        run.history.append(record)
        run.epoch += 1
        if events:
            events({"event": "epoch", "fold": fold, **record, "best_dice": run.best_dice})
        if checkpoint is not None and processes.is_main:
            _save_checkpoint(checkpoint, run.snapshot(config))
    return FoldResult(run.best_state, run.best_dice, run.best_epoch, tuple(run.history))
