"""``train-segmenter`` under ``torchrun``: join the job, and turn the loss of another process into one line.

Outside ``torchrun`` nothing changes (one process). Under it, every process trains its share of each batch
(:mod:`calcification.core.training.distributed_training`) and only rank 0 prints and writes. When a process dies,
``torchrun`` stops the others; each then ends with one line saying how to resume instead of a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

from ..core.errors import InputError
from ..core.training.distributed_training import (
    PeerStopped,
    ProcessGroup,
    check_batch_split,
    process_group_from_environment,
)


def _lost_peer(exc: BaseException) -> bool:
    """True for the errors torch.distributed raises when another process of the job is gone, and for the SIGTERM
    (KeyboardInterrupt) torchrun sends the survivors."""
    import torch.distributed as dist

    if isinstance(exc, KeyboardInterrupt | dist.DistError):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and any(word in text for word in ("gloo", "nccl", "connection", "peer"))


@contextmanager
def torchrun_job(config, checkpoints: Optional[Path], parts: Optional[int] = None) -> Iterator[Optional[ProcessGroup]]:
    """Yield this process's :class:`ProcessGroup` under ``torchrun`` (None otherwise; ``parts``: see
    :func:`process_group_from_environment`); on leaving, wait for the others. A lost process becomes
    :class:`PeerStopped` with the way to resume."""
    if parts is not None and "WORLD_SIZE" not in os.environ:
        raise InputError("--batch-parts applies to runs started by torchrun.")
    group = process_group_from_environment(config.device, parts)
    if group is None:
        yield None
        return
    check_batch_split(config, group)
    try:
        yield group
        group.finish()
    except BaseException as exc:
        if not _lost_peer(exc):
            raise
        kept = (
            f"the checkpoints in {checkpoints} are kept: run the same command again, under any number of "
            "processes, to resume"
            if checkpoints
            else "without --checkpoints a rerun starts again"
        )
        raise PeerStopped(
            f"process {group.rank} of {group.world_size}: the training stopped because a process of "
            f"it was stopped or died ({type(exc).__name__}); {kept}."
        ) from None
