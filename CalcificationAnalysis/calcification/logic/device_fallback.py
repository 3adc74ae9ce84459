"""Run network work on the device the user asked for, falling back to the CPU with a message instead of failing.

The panel offers auto / CPU / CUDA. A radiologist who picked CUDA on a laptop without a usable GPU, or whose GPU
runs out of memory on a large mammogram, should still get a result: the work is redone on the CPU and the reason is
returned for the status line. The headless command keeps the strict behaviour (a clear error) because a script
that asked for a GPU should know it did not get one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Optional, TypeVar

from ..core.errors import InputError

_LOG = logging.getLogger(__name__)
T = TypeVar("T")

#: Device names the panel offers.
DEVICE_CHOICES = ("auto", "cpu", "cuda")


def cuda_available() -> bool:
    """True when PyTorch here can use a CUDA GPU (False when torch itself is missing)."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def choose_device(requested: str) -> tuple[str, Optional[str]]:
    """The device to run on for the panel's choice, and a message when it differs from what was asked.

    ``"auto"`` -> ``"cuda"`` when available else ``"cpu"`` (no message: that is what auto means);
    ``"cuda"`` without a GPU -> ``"cpu"`` with a message; ``"cpu"`` -> ``"cpu"``.

    Raises
    ------
    InputError
        For a name other than auto, cpu or cuda.
    """
    name = str(requested).strip().lower()
    if name not in DEVICE_CHOICES:
        raise InputError(f"Unknown device {requested!r}; choose one of {', '.join(DEVICE_CHOICES)}.")
    if name == "cpu":
        return "cpu", None
    if cuda_available():
        return "cuda", None
    if name == "auto":
        return "cpu", None
    return "cpu", "CUDA was chosen but PyTorch finds no usable GPU here: the segmentation ran on the CPU."


def _is_out_of_memory(error: BaseException) -> bool:
    try:
        import torch
    except ImportError:
        return False
    return isinstance(error, torch.cuda.OutOfMemoryError) or "out of memory" in str(error).lower()


def run_with_device_fallback(work: Callable[[str], T], requested: str = "auto") -> tuple[T, Optional[str]]:
    """Call ``work(device)`` on the chosen device; on a CUDA out-of-memory error, free the GPU and redo it on the CPU.

    Returns ``(result, message)`` where ``message`` says why the CPU was used instead of the GPU, or is None.
    Any other error is raised unchanged.
    """
    device, message = choose_device(requested)
    try:
        return work(device), message
    except RuntimeError as error:
        if device != "cuda" or not _is_out_of_memory(error):
            raise
        import torch

        torch.cuda.empty_cache()
        _LOG.warning("CUDA ran out of memory (%s); running on the CPU instead", error)
        return work("cpu"), "The GPU ran out of memory on this mammogram: the segmentation ran on the CPU instead."
