"""Build a segmentation network from an architecture name and keyword arguments, as a model card stores them.

Every network here maps (N, 1, H, W) float32 normalised intensities to (N, 1, H, W) float32 logits, for any H, W.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from ..errors import InputError


def _pro_unext():
    from .pro_unext import ProUNeXt

    return ProUNeXt


def _unext():
    from .unext import UNeXt

    return UNeXt


def _unet():
    from .unet import UNet

    return UNet


#: Architecture name -> (class loader, default keyword arguments). ``unext_s`` is UNeXt with the small widths.
ARCHITECTURES = {
    "pro_unext": (_pro_unext, {}),
    "unext": (_unext, {}),
    "unext_s": (_unext, {"widths": (8, 16, 32, 64, 128)}),
    "unet": (_unet, {}),
}

#: Named configurations: (architecture, kwargs). ``pro_unext_cpu`` is the default shipped variant: 1/8 of the
#: paper's widths and expansion 2, chosen to stay under 150 ms per 512 x 512 tile on 2 CPU cores
#: (Testing/Benchmarks/benchmark_networks.py). ``pro_unext_cpu_wide`` doubles every width (1/4 of the paper's,
#: 3.2 M parameters): at equal training steps its five folds found more synthetic calcifications than the default
#: model at the same false-object rate, and five times more objects on real DDSM images (models/README.md).
#: ``unet_cpu`` is the plain UNet at 1/8 of its usual width (base 8, 0.49 M parameters, the size class of
#: ``pro_unext_cpu``): the full-width UNet (31 M parameters) is too slow to train on 2 CPU cores for a comparison of
#: networks trained the same way (Testing/Benchmarks/benchmark_network_comparison.py).
PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "pro_unext_paper": ("pro_unext", {"width_multiplier": 1.0, "expansion": 4.0}),
    "pro_unext_cpu": ("pro_unext", {"width_multiplier": 0.125, "expansion": 2.0}),
    "pro_unext_cpu_wide": ("pro_unext", {"width_multiplier": 0.25, "expansion": 2.0}),
    "unext": ("unext", {}),
    "unext_s": ("unext_s", {}),
    "unet": ("unet", {}),
    "unet_cpu": ("unet", {"base_width": 8}),
}


def _json_to_python(value: Any) -> Any:
    """JSON has lists where the constructors take tuples (widths)."""
    return tuple(value) if isinstance(value, list) else value


def build_network(architecture: str, kwargs: Mapping[str, Any] | None = None, in_channels: int = 1):
    """A freshly initialised network (torch.nn.Module, train mode).

    Parameters
    ----------
    architecture : str
        One of :data:`ARCHITECTURES` (``pro_unext``, ``unext``, ``unext_s``, ``unet``).
    kwargs : mapping, optional
        Constructor arguments (e.g. ``{"width_multiplier": 0.125, "expansion": 2}``); JSON lists become tuples.
    in_channels : int
        Image channels (1 for mammograms).

    Raises
    ------
    InputError
        Unknown architecture, or an argument the architecture does not take, or a value it refuses.
    """
    name = str(architecture).lower()
    if name not in ARCHITECTURES:
        raise InputError(f"Unknown network architecture {architecture!r}; known: {', '.join(sorted(ARCHITECTURES))}.")
    loader, defaults = ARCHITECTURES[name]
    network_class = loader()
    arguments = {**defaults, **{k: _json_to_python(v) for k, v in (kwargs or {}).items()}}
    accepted = set(inspect.signature(network_class.__init__).parameters) - {"self", "in_channels"}
    unknown = sorted(set(arguments) - accepted)
    if unknown:
        raise InputError(
            f"The {name} network takes no argument(s) {', '.join(unknown)}; it takes: {', '.join(sorted(accepted))}."
        )
    try:
        return network_class(in_channels=in_channels, **arguments)
    except (TypeError, ValueError) as exc:
        raise InputError(f"Cannot build a {name} network with {arguments}: {exc}") from exc


def build_preset(preset: str):
    """The network of a named configuration in :data:`PRESETS` (InputError if unknown)."""
    if preset not in PRESETS:
        raise InputError(f"Unknown network preset {preset!r}; known: {', '.join(sorted(PRESETS))}.")
    architecture, kwargs = PRESETS[preset]
    return build_network(architecture, kwargs)


def count_parameters(network) -> int:
    """Number of trainable parameters of a torch.nn.Module."""
    return sum(p.numel() for p in network.parameters() if p.requires_grad)
