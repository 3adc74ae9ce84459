"""Model card: what a trained segmentation model is, what it expects and how well it did, as JSON beside its weights.

A model is a folder with ``model_card.json`` and one ``fold_<k>.pt`` state_dict per cross-validation fold (the
Pro_UNeXt paper ensembles five). The card names the architecture and its constructor arguments, the pixel spacing
and intensity normalisation the network was trained at, the default threshold and minimum object size, the training
data (and plainly whether it was synthetic), metrics, and the SHA-256 of every weight file.
"""

from __future__ import annotations

import enum
import json
import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Optional

import numpy as np

from ..errors import InputError

#: Version of the JSON layout; a card with a newer version is refused rather than half-read.
CARD_FORMAT_VERSION = 1
CARD_FILE_NAME = "model_card.json"


class NormalisationMethod(str, enum.Enum):
    """How intensities are mapped before the network sees them.

    ``PERCENTILE``: linear map of the low/high percentiles inside the breast to 0/1, clipped
    (:func:`calcification.core.preprocessing.normalisation.normalise_to_unit`).
    """

    PERCENTILE = "percentile"


@dataclass(frozen=True)
class NormalisationSpec:
    """Intensity normalisation of a model: method and its parameters (percentiles 0-100)."""

    method: NormalisationMethod = NormalisationMethod.PERCENTILE
    low_percentile: float = 0.5
    high_percentile: float = 99.5

    def apply(self, pixels: np.ndarray, region: Optional[np.ndarray] = None) -> np.ndarray:
        """Normalised float32 copy of ``pixels`` (rows, cols); percentiles measured inside ``region`` (bool)."""
        from ..preprocessing.normalisation import normalise_to_unit

        return normalise_to_unit(pixels, region, self.low_percentile, self.high_percentile)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method.value,
            "low_percentile": self.low_percentile,
            "high_percentile": self.high_percentile,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NormalisationSpec:
        try:
            method = NormalisationMethod(str(data.get("method", "percentile")).lower())
        except ValueError:
            known = ", ".join(m.value for m in NormalisationMethod)
            raise InputError(
                f"Unknown normalisation method {data.get('method')!r} in the model card; known: {known}."
            ) from None
        low = _number(data.get("low_percentile", 0.5), "normalisation.low_percentile")
        high = _number(data.get("high_percentile", 99.5), "normalisation.high_percentile")
        if not 0 <= low < high <= 100:
            raise InputError(f"The model card's percentiles must satisfy 0 <= low < high <= 100, got {low}, {high}.")
        return cls(method, low, high)


@dataclass(frozen=True)
class FoldWeights:
    """One fold's weight file (name inside the model folder) and its SHA-256 (64 hex digits)."""

    file: str
    sha256: str


@dataclass(frozen=True)
class ModelCard:
    """Everything needed to run a trained model and to tell a user what it is.

    Attributes
    ----------
    name : str
        Short identifier, also the model folder's name (e.g. ``"pro_unext_synthetic_v1"``).
    architecture : str
        Network name for :func:`calcification.core.networks.factory.build_network`.
    architecture_kwargs : dict
        Its constructor arguments (JSON-compatible values).
    spacing_mm : float
        Isotropic pixel spacing (mm) the network was trained at; images are resampled to it.
    normalisation : NormalisationSpec
    threshold : float
        Default probability threshold in (0, 1).
    min_object_area_mm2 : float
        Detected objects smaller than this (mm²) are dropped.
    trained_on : str
        Plain-language description of the training data.
    synthetic_training : bool
        True when the training data were synthetic; the UI must say so.
    metrics : dict of str -> float
        Held-out figures (e.g. ``{"dice": 0.82}``).
    folds : tuple of FoldWeights
        One entry per ensemble member; empty until :func:`save_model` writes the weights.
    description : str
        Free text (training command, notes).
    onnx_graphs : dict
        Exported ONNX graphs of the fold ensemble that were checked against PyTorch when the card was written, by
        tile shape (``"512x512"``): ``{"key", "sha256", "torch", "max_abs_difference"}`` (see
        :mod:`calcification.core.inference.exported_graphs`); a graph built where PyTorch and the weights are the
        same has this SHA-256.
    """

    name: str
    architecture: str
    architecture_kwargs: dict = field(default_factory=dict)
    spacing_mm: float = 0.07
    normalisation: NormalisationSpec = NormalisationSpec()
    threshold: float = 0.5
    min_object_area_mm2: float = 0.0
    trained_on: str = ""
    synthetic_training: bool = False
    metrics: dict = field(default_factory=dict)
    folds: tuple[FoldWeights, ...] = ()
    description: str = ""
    onnx_graphs: dict = field(default_factory=dict)

    def with_folds(self, folds: tuple[FoldWeights, ...]) -> ModelCard:
        """A copy with ``folds`` replaced (and no exported graphs: they belong to the old weights)."""
        return replace(self, folds=tuple(folds), onnx_graphs={})

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible dict (tuples become lists)."""
        data = asdict(self)
        data["normalisation"] = self.normalisation.to_dict()
        data["folds"] = [asdict(f) for f in self.folds]
        data["architecture_kwargs"] = json.loads(json.dumps(self.architecture_kwargs))
        data["format_version"] = CARD_FORMAT_VERSION
        return data

    def to_json(self) -> str:
        """Indented JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ModelCard:
        """Parse a card; :class:`InputError` naming the problem when the text is not a valid card."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"The model card is not valid JSON ({exc}); the file is damaged.") from exc
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> ModelCard:
        """Validate and convert a parsed card; :class:`InputError` on missing or ill-typed fields."""
        if not isinstance(data, dict):
            raise InputError("The model card must be a JSON object.")
        version = data.get("format_version", CARD_FORMAT_VERSION)
        if not isinstance(version, int) or version > CARD_FORMAT_VERSION:
            raise InputError(
                f"The model card has format version {version!r}; this version reads up to "
                f"{CARD_FORMAT_VERSION}. Update CalcificationAnalysis to use this model."
            )
        for key in ("name", "architecture"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise InputError(f"The model card has no {key!r} (a non-empty text is required).")
        kwargs, metrics = data.get("architecture_kwargs", {}), data.get("metrics", {})
        if not isinstance(kwargs, dict) or not isinstance(metrics, dict):
            raise InputError("The model card's 'architecture_kwargs' and 'metrics' must be JSON objects.")
        _check_architecture_kwargs(kwargs)
        return cls(
            name=data["name"],
            architecture=data["architecture"],
            architecture_kwargs=kwargs,
            spacing_mm=_spacing(data.get("spacing_mm", 0.07)),
            normalisation=NormalisationSpec.from_dict(_mapping(data.get("normalisation", {}), "normalisation")),
            threshold=_probability(data.get("threshold", 0.5)),
            min_object_area_mm2=_non_negative(data.get("min_object_area_mm2", 0.0), "min_object_area_mm2"),
            trained_on=str(data.get("trained_on", "")),
            synthetic_training=bool(data.get("synthetic_training", False)),
            metrics=metrics,
            folds=_folds(data.get("folds", [])),
            description=str(data.get("description", "")),
            onnx_graphs=_mapping(data.get("onnx_graphs", {}), "onnx_graphs"),
        )


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"The model card's {what} must be a finite number, got {value!r}.")
    return float(value)


def _positive(value: Any, what: str) -> float:
    number = _number(value, what)
    if number <= 0:
        raise InputError(f"The model card's {what} must be positive, got {number:g}.")
    return number


#: Pixel spacings a model may work at, mm: finer than any detector or film scan, coarser than any mammogram is absurd
#: (and a tiny spacing would make every image enormous when resampled to it).
CARD_SPACING_RANGE_MM = (0.01, 2.0)
#: Largest number a network's constructor argument may have (channel counts, depths, sizes): beyond it a card is
#: damaged or hostile, and building the network would exhaust the memory.
MAX_ARCHITECTURE_NUMBER = 4096


def _spacing(value: Any) -> float:
    number = _number(value, "spacing_mm")
    low, high = CARD_SPACING_RANGE_MM
    if not low <= number <= high:
        raise InputError(f"The model card's spacing_mm must be between {low:g} and {high:g} mm, got {number:g}.")
    return number


def _check_architecture_kwargs(kwargs: dict) -> None:
    for key, value in kwargs.items():
        for number in value if isinstance(value, list) else [value]:
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                continue
            if not math.isfinite(number) or abs(number) > MAX_ARCHITECTURE_NUMBER:
                raise InputError(
                    f"The model card's architecture argument {key!r} is out of range ({number!r}; at "
                    f"most {MAX_ARCHITECTURE_NUMBER})."
                )


def _non_negative(value: Any, what: str) -> float:
    number = _number(value, what)
    if number < 0:
        raise InputError(f"The model card's {what} must not be negative, got {number:g}.")
    return number


def _probability(value: Any) -> float:
    return checked_threshold(value, "The model card's")


def checked_threshold(value: Any, owner: str) -> float:
    """``value`` as a probability threshold in (0, 1): a threshold of 0 keeps everything and one of 1 or more keeps
    nothing, so neither can be a card's; InputError (naming ``owner``, e.g. "The model card's") otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{owner} threshold must be a finite number, got {value!r}.")
    if not 0 < value < 1:
        raise InputError(f"{owner} threshold must be between 0 and 1 (exclusive), got {value:g}.")
    return float(value)


def _mapping(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise InputError(f"The model card's {what} must be a JSON object.")
    return value


def _folds(value: Any) -> tuple[FoldWeights, ...]:
    if not isinstance(value, list):
        raise InputError("The model card's 'folds' must be a list of {file, sha256} objects.")
    folds = []
    for entry in value:
        entry = _mapping(entry, "fold entry")
        file, digest = entry.get("file"), entry.get("sha256")
        if not isinstance(file, str) or "/" in file or "\\" in file or file in ("", ".", ".."):
            raise InputError(f"The model card names an invalid weight file {file!r} (a plain file name is required).")
        if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest.lower()):
            raise InputError(f"The model card's checksum for {file} is not a SHA-256 (64 hex digits).")
        folds.append(FoldWeights(file, digest.lower()))
    return tuple(folds)
