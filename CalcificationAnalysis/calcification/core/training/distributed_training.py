"""Segmenter training spread over processes with ``torchrun`` and DistributedDataParallel (DDP).

What is spread: the **crops of each batch** (data parallel within a fold), not the folds. Every process holds the
same network; each step, process ``r`` of ``W`` draws its ``batch / W`` crops of the step's batch, DDP averages the
gradients, and all processes take the same optimiser step. Folds run one after another, as in one process. Why
crops rather than folds: it speeds up any fold count (also ``--folds 1``, and 8 GPUs for a 5-fold ensemble), every
process works all the time instead of ranks idling once the folds run out, and the state to checkpoint is one
network whatever the number of processes, so a checkpoint resumes under any number of processes.

Crops are drawn from a generator seeded by (seed, fold, epoch, step, crop index) rather than by one stream, so the
step's batch is the same set of crops whatever the number of processes. Each batch is processed in ``parts`` equal
parts (``--batch-parts``, a multiple of the process count; one per process by default): BatchNorm statistics and the
batch Dice term are computed per part, part gradients are summed in a process and averaged over processes by DDP.
So the arithmetic depends on ``parts``, not on how many processes share them: runs with the same ``parts`` under 1
or 2 processes give the same weights up to summation order (measured in the tests). Without a fixed ``parts``, 1
and 2 processes differ as a batch of 8 differs from two batches of 4: BatchNorm normalises by other statistics, and
AdamW's normalised steps make those gradient differences weight differences of the order of the learning rate.
(SyncBatchNorm, used on GPUs, makes the statistics those of each process's whole share; it is CUDA-only.)

Rank 0 alone writes checkpoints and the model; it reads a checkpoint to resume and sends it to the others, so nodes
need no shared folder. Rank 0 alone validates (Dice on whole validation images) and sends the result, so every
process keeps the same best epoch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..errors import CalcificationError, InputError
from .crop_batches import CropBatcher
from .training_config import TrainingConfig
from .validation import validation_dice


class SingleProcess:
    """The one-process behaviour behind the same calls as :class:`ProcessGroup` (no torch.distributed)."""

    rank, world_size, is_main = 0, 1, True

    def device(self, config: TrainingConfig):
        from ..compute_device import resolve_device

        return resolve_device(config.device)

    def prepare(self, run) -> None:
        """Nothing to wrap: the network trains as it is."""

    def shared(self, load: Callable[[], Any]) -> Any:
        return load()

    def batcher(self, cases, config: TrainingConfig, run, fold: int) -> CropBatcher:
        return CropBatcher(cases, config, run.rng)

    def validation_dice(self, network, cases, device, threshold: float) -> float:
        return validation_dice(network, cases, device, threshold)

    def backward(self, run, x, y, loss_of: Callable, use_amp: bool, scaler):
        """Forward the whole batch, backward its loss; returns the loss."""
        import torch

        with torch.autocast(x.device.type, dtype=torch.float16, enabled=use_amp):
            logits = run.forward(x)
        loss = loss_of(logits, y)
        scaler.scale(loss).backward()
        return loss

    def finish(self) -> None:
        pass


SINGLE_PROCESS = SingleProcess()


@dataclass(frozen=True)
class ProcessGroup:
    """This process's place in a ``torchrun`` job (from ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``)."""

    rank: int
    world_size: int
    local_rank: int
    parts: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def device(self, config: TrainingConfig):
        """``cuda:LOCAL_RANK`` when the run uses CUDA (one GPU per process), else the CPU."""
        import torch

        from ..compute_device import resolve_device

        device = resolve_device(config.device)
        return torch.device("cuda", self.local_rank) if device.type == "cuda" else device

    def prepare(self, run) -> None:
        """Train through DDP (gradients averaged over the processes); on GPUs with synchronised BatchNorm. The
        wrapped network shares its parameters with ``run.network``, which checkpoints and validation keep using."""
        import warnings

        import torch
        from torch.nn.parallel import DistributedDataParallel

        # The depthwise convolutions' gradients have another memory layout than DDP's buckets: a copy per step, not
        # an error (torch says so itself); not worth a line on every run.
        warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
        device = next(run.network.parameters()).device
        if device.type == "cuda":
            run.network = torch.nn.SyncBatchNorm.convert_sync_batchnorm(run.network)  # same parameters, same keys
        # Buffers (BatchNorm running statistics) are merged over the parts by backward(), not copied from rank 0.
        run.forward = DistributedDataParallel(
            run.network, device_ids=[device] if device.type == "cuda" else None, forward_sync_buffers=False
        )

    def shared(self, load: Callable[[], Any]) -> Any:
        """``load()`` run by rank 0 and its result (or its InputError) sent to every process."""
        import torch.distributed as dist

        box: list[Any] = [None]
        if self.is_main:
            try:
                box[0] = ("ok", load())
            except InputError as exc:
                box[0] = ("error", str(exc))
        dist.broadcast_object_list(box, src=0)
        status, value = box[0]
        if status == "error":
            raise InputError(value)
        return value

    def batcher(self, cases, config: TrainingConfig, run, fold: int) -> ShardedCropBatcher:
        return ShardedCropBatcher(cases, config, run.rng, fold, run.epoch, self)

    def validation_dice(self, network, cases, device, threshold: float) -> float:
        return float(self.shared(lambda: validation_dice(network, cases, device, threshold)))

    def backward(self, run, x, y, loss_of: Callable, use_amp: bool, scaler):
        """This process's parts of the batch, each forwarded and backwarded on its own (its own BatchNorm statistics
        and Dice term), gradients summed here and averaged over the processes by DDP: the gradient of the mean loss
        over all ``parts`` of the batch, whatever the process count. BatchNorm running statistics are updated once
        per step with the mean of the parts' (:func:`_merged_buffers`). Returns this process's mean part loss."""
        from contextlib import nullcontext

        import torch

        mine = self.parts // self.world_size
        buffers = list(run.network.buffers())
        with _merged_buffers(buffers, self.parts) as start_part:
            total = 0.0
            for index, (x_part, y_part) in enumerate(zip(x.chunk(mine), y.chunk(mine), strict=True)):
                start_part(index)
                # gradients are exchanged once per step, after this process's last part
                with run.forward.no_sync() if index < mine - 1 else nullcontext():
                    with torch.autocast(x.device.type, dtype=torch.float16, enabled=use_amp):
                        logits = run.forward(x_part)
                    loss = loss_of(logits, y_part) / mine
                    scaler.scale(loss).backward()
                total += float(loss.detach())
        return torch.as_tensor(total)

    def finish(self) -> None:
        """Wait for every process (rank 0 writes the model meanwhile), then leave the process group."""
        import torch.distributed as dist

        dist.barrier()
        dist.destroy_process_group()


def process_group_from_environment(device: str = "auto", parts: Optional[int] = None) -> Optional[ProcessGroup]:
    """Join the ``torchrun`` job this process belongs to (``WORLD_SIZE`` set), or None when run on its own.

    ``parts``: how many parts each batch is processed in (BatchNorm statistics and the Dice term are per part); a
    multiple of the process count, one per process when None. Runs with the same ``parts`` give the same weights
    (to rounding) under any process count. The backend is NCCL when training on CUDA, else gloo (CPU).
    """
    if "WORLD_SIZE" not in os.environ or "RANK" not in os.environ:
        return None
    import torch
    import torch.distributed as dist

    world_size = int(os.environ["WORLD_SIZE"])
    if parts is not None and (parts < 1 or parts % world_size):
        raise InputError(f"--batch-parts {parts} must be a multiple of the number of processes ({world_size}).")
    group = ProcessGroup(int(os.environ["RANK"]), world_size, int(os.environ.get("LOCAL_RANK", 0)), parts or world_size)
    cuda = str(device).lower() != "cpu" and torch.cuda.is_available()
    if cuda:
        torch.cuda.set_device(group.local_rank)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    return group


def check_batch_split(config: TrainingConfig, group: ProcessGroup) -> None:
    """InputError unless the batch splits evenly into the parts (DDP averages equal shares)."""
    if config.batch_size % group.parts:
        raise InputError(
            f"--batch {config.batch_size} cannot be split evenly into {group.parts} parts (one or more "
            f"per process); choose a multiple of {group.parts}."
        )


@contextmanager
def _merged_buffers(buffers: list, parts: int) -> Iterator[Callable[[int], None]]:
    """Make the network's buffers after a step independent of how the parts were shared out: every part starts from
    the buffers as they were before the step (the yielded ``start_part(index)`` puts them back), and at the end the
    floating-point buffers (BatchNorm running mean and variance) are the mean over all ``parts`` of the values each
    part left (summed in float64 over the processes); integer ones (batches seen) are as a part left them."""
    import torch
    import torch.distributed as dist

    before = [b.detach().clone() for b in buffers]
    left = [torch.zeros_like(b, dtype=torch.float64) if b.is_floating_point() else b.detach().clone() for b in buffers]

    def take_part() -> None:
        with torch.no_grad():
            for buffer, kept, first in zip(buffers, left, before, strict=True):
                if buffer.is_floating_point():
                    kept += buffer.double()
                else:
                    kept.copy_(buffer)
                buffer.copy_(first)

    yield lambda index: take_part() if index else None
    take_part()
    with torch.no_grad():
        for buffer, kept in zip(buffers, left, strict=True):
            if buffer.is_floating_point():
                dist.all_reduce(kept)
                kept /= parts
            buffer.copy_(kept.to(buffer.dtype))


class PeerStopped(CalcificationError):
    """Another process of a distributed training stopped (killed, out of memory, a lost node)."""


class ShardedCropBatcher(CropBatcher):
    """Draws this process's share of each step's batch; crop ``j`` of step ``s`` of epoch ``e`` comes from a
    generator seeded by ``(seed, fold, e, s, j)``, so the step's batch is the same whatever the process count.

    Counts its own calls: epoch ``first_epoch`` onwards, ``steps_per_epoch`` calls per epoch (a resumed run starts
    at the checkpoint's epoch).
    """

    def __init__(
        self, cases, config: TrainingConfig, rng: np.random.Generator, fold: int, first_epoch: int, group: ProcessGroup
    ):
        super().__init__(cases, config, rng)
        check_batch_split(config, group)
        self.fold, self.group = fold, group
        self.calls = first_epoch * config.steps_per_epoch

    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        epoch, step = divmod(self.calls, self.config.steps_per_epoch)
        self.calls += 1
        share = self.config.batch_size // self.group.world_size
        images, masks = [], []
        for j in range(self.group.rank * share, (self.group.rank + 1) * share):
            self.rng = np.random.default_rng([self.config.seed, self.fold, epoch, step, j])
            k = int(self.rng.integers(len(self.cases)))
            image, mask, region = self.draw_crop(k)
            if self._augmentation is not None:
                from .augmentations import augment

                image, mask = augment(image, mask, self.rng, self._augmentation, self.donors, region=region, source=k)
            images.append(image)
            masks.append(mask)
        return np.stack(images)[:, None].astype(np.float32), np.stack(masks)[:, None].astype(np.float32)
