"""The segmentation methods the product offers: one registry line per method, the one default.

A method is a module with a function ``segment(mammogram, choice, progress) -> CalcificationSegmentation`` plus one
:class:`MethodSpec` line in :data:`_BUILT_IN`. Everything that offers or checks a method (the panel's list, the
commands' ``--method`` and ``--help``, :class:`~.segmenter_choice.SegmenterChoice`'s validation, the dependency check
before a run) asks this registry, so a new method needs no other change. The function is named by its import path
and imported only when the method runs, so listing methods imports neither PyTorch nor scikit-image.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import InputError


class ModelKind(str, enum.Enum):
    """What a method's ``model`` setting names. ``NETWORK``: a trained network ensemble of the model store
    (``calcification models``). ``CANDIDATE_FILTER``: a candidate filter folder (``models/<name>/filter_card.json``)."""

    NETWORK = "network"
    CANDIDATE_FILTER = "candidate_filter"


@dataclass(frozen=True)
class MethodSpec:
    """One segmentation method.

    Attributes
    ----------
    name : str
        The value users type (``--method NAME``) and scenes store.
    label : str
        One line for the panel's list and ``--help``.
    segment : str
        ``"module:function"`` of ``segment(mammogram, choice, progress)``; a relative module is relative to this
        package.
    model_kind : ModelKind or None
        What the ``model`` setting names; None for methods with no trained part (they refuse a model and a threshold).
    takes_device : bool
        True when the method can run on a GPU (it refuses a device other than the CPU otherwise).
    needs_torch : bool
        True when running it imports PyTorch (the panel installs it first).
    panel_threshold : bool
        True when the panel's threshold slider (network probabilities, 0.05-0.95) is this method's threshold; the
        panel leaves other trained methods at the operating point on their card.
    aliases : tuple of str
        Older names still accepted (scenes and scripts written before a rename).
    """

    name: str
    label: str
    segment: str
    model_kind: ModelKind | None = None
    takes_device: bool = False
    needs_torch: bool = False
    panel_threshold: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def takes_model(self) -> bool:
        """True for methods with a trained part (a model or filter, and a probability threshold)."""
        return self.model_kind is not None

    def segment_function(self) -> Callable:
        """The method's ``segment(mammogram, choice, progress)``, imported now."""
        return import_named(self.segment)


def import_named(path: str) -> Callable:
    """The function named ``"module:function"``, imported now; a module starting with ``.`` is relative to this
    package. Lets the registry name methods (and their loaders) without importing them when it is read."""
    module, _, function = path.partition(":")
    package = __name__.rpartition(".")[0] if module.startswith(".") else None
    return getattr(importlib.import_module(module, package), function)


#: The methods shipped with the product, in the order the panel lists them (the default first).
_BUILT_IN = (
    MethodSpec(
        "network",
        "Trained network ensemble: Pro_UNeXt (Tong et al. 2024) or another trained model",
        ".network_method:segment_with_network",
        ModelKind.NETWORK,
        takes_device=True,
        needs_torch=True,
        panel_threshold=True,
        aliases=("prounext",),
    ),
    MethodSpec(
        "hdog_filtered",
        "Hessian-DoG candidates judged by a filter trained on real mammograms (Marasinou et al. 2023)",
        ".candidate_method:segment_with_candidates",
        ModelKind.CANDIDATE_FILTER,
    ),
    MethodSpec(
        "hdog", "Hessian-DoG blob detector (Marasinou et al. 2023), no trained model", ".hdog_method:segment_with_hdog"
    ),
)

_METHODS: dict[str, MethodSpec] = {spec.name: spec for spec in _BUILT_IN}

#: The method used wherever none is named: the panel, ``segment``, ``analyze``, ``evaluate-segmenter`` and every
#: logic call. Chosen on real images (models README, "Choosing the default").
DEFAULT_METHOD = "network"


def register_method(spec: MethodSpec) -> None:
    """Add a method (an extension's own, or a test's); ValueError when its name or an alias is taken."""
    taken = {name for known in _METHODS.values() for name in (known.name, *known.aliases)}
    clash = {spec.name, *spec.aliases} & taken
    if clash:
        raise ValueError(f"Segmentation method name(s) already registered: {', '.join(sorted(clash))}")
    _METHODS[spec.name] = spec


def unregister_method(name: str) -> None:
    """Remove a method added with :func:`register_method` (built-in methods stay)."""
    if name in {spec.name for spec in _BUILT_IN}:
        raise ValueError(f"The built-in method {name!r} cannot be removed.")
    _METHODS.pop(name, None)


def available_methods() -> tuple[MethodSpec, ...]:
    """Every method, built-in ones first in the panel's order."""
    return tuple(_METHODS.values())


def method_spec(value: MethodSpec | str) -> MethodSpec:
    """The method named ``value`` (case-insensitive; older names accepted); InputError listing the choices otherwise."""
    if isinstance(value, MethodSpec):
        return value
    name = str(value).strip().lower()
    for spec in _METHODS.values():
        if name == spec.name or name in spec.aliases:
            return spec
    choices = ", ".join(_METHODS)
    raise InputError(f"Unknown segmentation method {value!r}; choose one of: {choices}.")
