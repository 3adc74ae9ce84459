"""Which DICOM files are the product's results, and which loader should read them.

Slicer's stock SEG loader (core DICOMSegmentationPlugin since Slicer 5.12, QuantitativeReporting's before) converts
with dcmqi's ``segimage2itkimage``, which needs the Plane Orientation of a patient coordinate system; a projection
mammogram without one (most "for presentation" images, scanned films such as DDSM) gives a SEG it refuses ("Plane
Orientation (Patient) is missing", QIICR/dcmqi#319). Such SEGs are the extension's plugin's to load; others it
offers as an alternative below the stock loader. The product's SRs are its too (above Slicer 5.12's TID 1500 loaders,
0.95 and 0.96 in DICOMPlugins/DICOMTID1500Plugin.py), which load them as measurement reports without the cluster
table. Only the header is read (pydicom, which Slicer bundles), so the
DICOM module can ask this while it examines a database, before any optional package is installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from ..dicom_export.provenance import MANUFACTURER

#: Confidence the stock SEG loader gives every SEG (Slicer v5.12.0 Modules/Scripted/DICOMPlugins/
#: DICOMSegmentationPlugin.py ``examineFiles``; QuantitativeReporting's DICOMSegmentationPlugin.py the same).
STOCK_SEG_CONFIDENCE = 0.95
#: Above the stock loader, so that Slicer's DICOM module selects the extension's plugin
#: (DICOMLib/DICOMUtils.py ``selectHighestConfidenceLoadables`` keeps the highest per series).
PREFERRED_CONFIDENCE = 0.99
#: Below the stock loader: offered (advanced mode of the DICOM browser) but not selected.
ALTERNATIVE_CONFIDENCE = 0.5

SEG_MODALITY, SR_MODALITY = "SEG", "SR"


@dataclass(frozen=True)
class ResultHeader:
    """What the DICOM module needs to know about one of the product's result files, before loading it.

    Attributes
    ----------
    modality : str
        ``"SEG"`` or ``"SR"``.
    sop_instance_uid, series_instance_uid, series_description : str
    referenced_sop_instance_uids : tuple of str
        The source image(s) the result refers to.
    patient_plane_orientation : bool
        True for a SEG with a Plane Orientation (Patient): one dcmqi can convert.
    """

    modality: str
    sop_instance_uid: str
    series_instance_uid: str
    series_description: str
    referenced_sop_instance_uids: tuple
    patient_plane_orientation: bool = False

    @property
    def dcmqi_converts(self) -> bool:
        """True when Slicer's stock SEG loader (dcmqi) can read this object."""
        return self.modality == SEG_MODALITY and self.patient_plane_orientation

    @property
    def confidence(self) -> float:
        """The extension's plugin's confidence for this file (see the module docstring)."""
        return ALTERNATIVE_CONFIDENCE if self.dcmqi_converts else PREFERRED_CONFIDENCE


def _referenced_instances(dataset) -> tuple:
    uids = []
    for series in dataset.get("ReferencedSeriesSequence", []):  # SEG: Common Instance Reference module
        uids += [str(item.ReferencedSOPInstanceUID) for item in series.get("ReferencedInstanceSequence", [])]
    for study in dataset.get("CurrentRequestedProcedureEvidenceSequence", []):  # SR: the evidence it rests on
        for series in study.get("ReferencedSeriesSequence", []):
            uids += [str(item.ReferencedSOPInstanceUID) for item in series.get("ReferencedSOPSequence", [])]
    return tuple(dict.fromkeys(uids))


def _has_plane_orientation(dataset) -> bool:
    for item in dataset.get("SharedFunctionalGroupsSequence", []):
        if "PlaneOrientationSequence" in item:
            return True
    return False


def read_result_header(path: Union[str, Path]) -> Optional[ResultHeader]:
    """The :class:`ResultHeader` of ``path`` when it is a SEG or SR the product wrote (Manufacturer
    :data:`~calcification.core.dicom_export.provenance.MANUFACTURER`); None for any other file, readable or not."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        dataset = pydicom.dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError, ValueError, AttributeError, EOFError):
        return None
    modality = str(dataset.get("Modality", ""))
    if modality not in (SEG_MODALITY, SR_MODALITY) or str(dataset.get("Manufacturer", "")) != MANUFACTURER:
        return None
    return ResultHeader(
        modality=modality,
        sop_instance_uid=str(dataset.SOPInstanceUID),
        series_instance_uid=str(dataset.SeriesInstanceUID),
        series_description=str(dataset.get("SeriesDescription", "")),
        referenced_sop_instance_uids=_referenced_instances(dataset),
        patient_plane_orientation=_has_plane_orientation(dataset),
    )
