"""Which segmenter runs, with which trained part and settings: one typed value, checked once when it is made.

The panel, the commands' shared options (``--method --model --threshold --device``) and every logic call take this one
object and pass it down unchanged; only the method's own module reads its settings. What a method accepts is on its
registry line (:mod:`.registry`), not repeated here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Optional, Union

from ..compute_device import Device, parse_device
from ..errors import InputError
from ..inference.engines import InferenceEngine
from .registry import DEFAULT_METHOD, MethodSpec, ModelKind, import_named, method_spec

#: Where each kind of trained part is loaded (and cached per process); imported only when checked.
_LOADERS = {
    ModelKind.NETWORK: ".network_method:load_model_cached",
    ModelKind.CANDIDATE_FILTER: ".candidate_method:load_filter_cached",
}


@dataclass(frozen=True)
class SegmenterChoice:
    """A segmentation method and its settings; an invalid combination is an InputError when the object is made.

    Attributes
    ----------
    method : str
        A registered method name (older names such as ``"prounext"`` are accepted and stored as today's name).
    model : str, optional
        Trained methods: model name, folder or card path (a network) or filter name or folder; the shipped (or, for
        networks, the user's preferred) one when None. Refused by methods without a trained part.
    threshold : float, optional
        Trained methods: probability threshold strictly between 0 and 1; the card's operating point when None.
    device : str
        ``cpu`` (default), ``auto`` or ``cuda[:k]``; other than ``cpu`` only for methods that can use a GPU.
    min_object_area_mm2 : float, optional
        Network methods: objects smaller than this (mm²) are dropped; the model card's value when None.
    engine : str
        Network methods: what predicts the tiles, ``auto`` (the fastest verified engine; default), ``pytorch``,
        ``onnxruntime`` or ``openvino`` (:class:`~..inference.engines.InferenceEngine`).
    """

    method: str = DEFAULT_METHOD
    model: Optional[str] = None
    threshold: Optional[float] = None
    device: str = Device.CPU.value
    min_object_area_mm2: Optional[float] = None
    engine: str = "auto"

    def __post_init__(self) -> None:
        spec = method_spec(self.method)
        object.__setattr__(self, "method", spec.name)
        if self.model is not None:
            object.__setattr__(self, "model", os.fspath(self.model))
        object.__setattr__(self, "device", parse_device(self.device))
        if not spec.takes_model and (self.model is not None or self.threshold is not None):
            raise InputError(f"The {spec.name} method has no trained model: a model or threshold does not apply to it.")
        if self.threshold is not None and not 0.0 < float(self.threshold) < 1.0:
            raise InputError(f"The probability threshold must lie strictly between 0 and 1, got {self.threshold}.")
        if not spec.takes_device and self.device != Device.CPU.value:
            raise InputError(f"The {spec.name} method runs on the CPU only; the device {self.device!r} does not apply.")
        try:
            engine = InferenceEngine(str(getattr(self.engine, "value", self.engine)).lower())
        except ValueError:
            choices = ", ".join(e.value for e in InferenceEngine)
            raise InputError(f"Unknown inference engine {self.engine!r}; choose one of {choices}.") from None
        object.__setattr__(self, "engine", engine.value)
        if engine is not InferenceEngine.AUTO and spec.model_kind is not ModelKind.NETWORK:
            raise InputError("An inference engine applies to network methods only.")
        if self.min_object_area_mm2 is not None:
            if spec.model_kind is not ModelKind.NETWORK:
                raise InputError("A minimum calcification area applies to network methods only.")
            if not float(self.min_object_area_mm2) >= 0.0:
                raise InputError(
                    f"The minimum calcification area must be 0 mm² or more, got {self.min_object_area_mm2}."
                )

    @classmethod
    def of(cls, value: Union[SegmenterChoice, MethodSpec, str, None]) -> SegmenterChoice:
        """``value`` itself, or a method name with its default settings (None: the default method)."""
        if isinstance(value, SegmenterChoice):
            return value
        if value is None:
            return cls()
        return cls(method_spec(value).name)

    @classmethod
    def from_settings(
        cls,
        method: str,
        network_model: Optional[str] = None,
        threshold: Optional[float] = None,
        device: str = Device.AUTO.value,
    ) -> SegmenterChoice:
        """The choice made from a panel that keeps one value of each setting whatever the method: settings the
        method does not take are left out rather than refused. ``network_model`` is the panel's model list (trained
        networks), used by network methods only; ``threshold`` is the panel's slider, used by methods whose
        registry line says ``panel_threshold``; ``device`` by methods that can use a GPU."""
        spec = method_spec(method)
        is_network = spec.model_kind is ModelKind.NETWORK
        return cls(
            spec.name,
            model=(network_model or None) if is_network else None,
            threshold=threshold if spec.panel_threshold else None,
            device=device if spec.takes_device else Device.CPU.value,
        )

    @property
    def spec(self) -> MethodSpec:
        """The method's registry line."""
        return method_spec(self.method)

    def with_device(self, device: str) -> SegmenterChoice:
        """The same choice on another device (the panel's CPU fallback)."""
        return replace(self, device=device)

    def inference_options(self):
        """The settings of tiled network inference (:class:`~..inference.segmenter.SegmenterOptions`)."""
        from ..inference.segmenter import SegmenterOptions

        return SegmenterOptions(
            threshold=self.threshold,
            min_object_area_mm2=self.min_object_area_mm2,
            device=self.device,
            engine=InferenceEngine(self.engine),
        )

    def check_ready(self) -> None:
        """Load (and cache) the trained part and check the device now, so that a missing model or GPU fails before
        minutes of work rather than after. InputError naming what is wrong."""
        spec = self.spec
        if spec.model_kind is not None:
            import_named(_LOADERS[spec.model_kind])(self.model)
        if spec.takes_device:
            from ..compute_device import resolve_device_name

            resolve_device_name(self.device)
