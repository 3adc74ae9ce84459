"""Where network work runs: the one owner of the ``auto`` / ``cpu`` / ``cuda`` choice.

Two policies share the same names. The headless command and scripts are strict (:func:`resolve_device`: a script
that asked for a GPU should be told it did not get one). The panel is forgiving (:func:`run_with_device_fallback`):
a radiologist who picked CUDA on a laptop without a usable GPU, or whose GPU runs out of memory on a large mammogram,
still gets a result, computed on the CPU, with the reason for the status line.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from typing import Optional, TypeVar

from .errors import InputError

_LOG = logging.getLogger(__name__)
T = TypeVar("T")


class Device(str, enum.Enum):
    """A device choice. ``AUTO``: CUDA when PyTorch can use a GPU, else the CPU. ``CUDA`` also accepts an index
    (``"cuda:1"``) wherever a device name is parsed."""

    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"


#: Device names the panels and commands offer, in that order.
DEVICE_CHOICES = tuple(d.value for d in Device)


def parse_device(value: Device | str) -> str:
    """The normalised device name (``auto``, ``cpu``, ``cuda`` or ``cuda:<k>``); InputError for anything else."""
    name = str(getattr(value, "value", value)).strip().lower()
    base, _, index = name.partition(":")
    if base in DEVICE_CHOICES and (not index or (base == "cuda" and index.isdigit())):
        return name
    raise InputError(f"Unknown device {value!r}; choose one of {', '.join(DEVICE_CHOICES)} (or cuda:<index>).")


def cuda_available() -> bool:
    """True when PyTorch here can use a CUDA GPU (False when torch itself is missing)."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def resolve_device(value: Device | str):
    """The ``torch.device`` for ``value``, strictly: ``auto`` -> CUDA when available else CPU; ``cuda`` without a
    usable GPU, or a GPU index that does not exist, is an InputError."""
    import torch

    name = parse_device(value)
    if name == Device.AUTO.value:
        return torch.device("cuda" if cuda_available() else "cpu")
    if name == Device.CPU.value:
        return torch.device("cpu")
    if not cuda_available():
        raise InputError("A GPU (CUDA) was requested but none is available to PyTorch here; use device 'cpu'.")
    resolved = torch.device(name)
    if resolved.index is not None and resolved.index >= torch.cuda.device_count():
        raise InputError(f"CUDA device {resolved.index} does not exist ({torch.cuda.device_count()} available).")
    return resolved


def resolve_device_name(value: Device | str) -> str:
    """:func:`resolve_device` as a name (``"cpu"``, ``"cuda"``, ``"cuda:1"``): ``cpu`` is answered without
    importing PyTorch (seconds of start-up an ONNX Runtime run does not need); ``auto`` and ``cuda`` ask PyTorch."""
    name = parse_device(value)
    return name if name == Device.CPU.value else str(resolve_device(name))


def choose_device(requested: Device | str) -> tuple[str, Optional[str]]:
    """The forgiving choice: the device to run on and a message when it differs from what was asked.

    ``auto`` -> ``cuda`` when available else ``cpu`` (no message: that is what auto means); ``cuda`` without a GPU
    -> ``cpu`` with a message; ``cpu`` -> ``cpu``. InputError for an unknown name.
    """
    name = parse_device(requested)
    if name == Device.CPU.value:
        return name, None
    if cuda_available():
        return ("cuda" if name == Device.AUTO.value else name), None
    if name == Device.AUTO.value:
        return "cpu", None
    return "cpu", "CUDA was chosen but PyTorch finds no usable GPU here: the segmentation ran on the CPU."


def _is_out_of_memory(error: BaseException) -> bool:
    try:
        import torch
    except ImportError:
        return False
    return isinstance(error, torch.cuda.OutOfMemoryError) or "out of memory" in str(error).lower()


def run_with_device_fallback(
    work: Callable[[str], T], requested: Device | str = Device.AUTO
) -> tuple[T, Optional[str]]:
    """Call ``work(device)`` on :func:`choose_device`'s device; on a CUDA out-of-memory error, free the GPU and redo
    it on the CPU. Returns ``(result, message)``: ``message`` says why the CPU was used instead of the GPU, or is
    None. Any other error is raised unchanged."""
    device, message = choose_device(requested)
    try:
        return work(device), message
    except RuntimeError as error:
        if not device.startswith("cuda") or not _is_out_of_memory(error):
            raise
        import torch

        torch.cuda.empty_cache()
        _LOG.warning("CUDA ran out of memory (%s); running on the CPU instead", error)
        return work("cpu"), "The GPU ran out of memory on this mammogram: the segmentation ran on the CPU instead."
