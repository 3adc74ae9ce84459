"""Who made a DICOM result object: the product, the segmentation algorithm and the classifier, and the stable UIDs
that let a rerun recognise objects it stored before."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from ... import __version__

#: Manufacturer and model name written into every SEG and SR (General Equipment module).
MANUFACTURER = "CalcificationAnalysis project"
MODEL_NAME = "CalcificationAnalysis"
SOFTWARE_VERSION = __version__
#: Series numbers of the result series, apart from a modality's usual 1-100.
SEG_SERIES_NUMBER = 9701
SR_SERIES_NUMBER = 9702


#: Namespace of the product's name-based UUIDs (uuid5 of the product's name in the URL namespace).
_UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/CalcificationAnalysis")


def stable_uid(*parts: str) -> str:
    """A DICOM UID ``2.25.<uuid>`` from a name-based UUID (version 5) of ``parts`` (PS3.5 B.2, ISO/IEC 9834-8): the
    same parts always give the same UID. (pydicom's ``generate_uid(prefix=None)`` ignores its entropy sources.)"""
    return f"2.25.{uuid.uuid5(_UID_NAMESPACE, '|'.join(parts)).int}"


@dataclass(frozen=True)
class AlgorithmDescription:
    """A segmentation algorithm as the SEG's Algorithm Identification Sequence names it.

    Attributes
    ----------
    name : str
        Method name, e.g. ``"network"`` (the ``--method`` value).
    version : str
        The product's version (the method's code is the product's).
    model_name : str
        Trained model or filter name, "" for a method without one (``hdog``).
    model_checksum : str
        SHA-256 (hex) identifying the model's weights, "" without a model.
    parameters : dict str -> str
        Further settings that changed the result (threshold, spacing used).
    """

    name: str
    version: str = SOFTWARE_VERSION
    model_name: str = ""
    model_checksum: str = ""
    parameters: dict = field(default_factory=dict)

    @property
    def is_learned(self) -> bool:
        return bool(self.model_name)

    def all_parameters(self) -> dict[str, str]:
        """Parameters written into the SEG: the model name and checksum (when there is a model) and the settings."""
        values = {"model_name": self.model_name, "model_sha256": self.model_checksum} if self.model_name else {}
        values.update({key: str(value) for key, value in self.parameters.items()})
        return values

    def key(self) -> str:
        """Text that changes whenever the algorithm would give another result (for :func:`result_uids`)."""
        settings = ";".join(f"{k}={v}" for k, v in sorted(self.all_parameters().items()))
        return f"{self.name}|{self.version}|{settings}"


@dataclass(frozen=True)
class ResultUids:
    """Series and SOP Instance UIDs of the SEG and SR made for one source image."""

    seg_series: str
    seg_instance: str
    sr_series: str
    sr_instance: str


def result_uids(source_sop_instance_uid: str, algorithm: AlgorithmDescription, classifier_key: str = "") -> ResultUids:
    """UIDs derived from the source image, the algorithm and the classifier (:func:`stable_uid`): the same analysis
    of the same image gets the same UIDs, so a rerun finds what an earlier run stored and does not store it twice,
    while another method, model or classifier makes new objects."""
    base = (source_sop_instance_uid, algorithm.key())
    seg_series = stable_uid(*base, "seg-series")
    seg_instance = stable_uid(*base, "seg-instance")
    sr_series = stable_uid(*base, classifier_key, "sr-series")
    sr_instance = stable_uid(*base, classifier_key, "sr-instance")
    return ResultUids(seg_series, seg_instance, sr_series, sr_instance)
