"""DICOM Segmentation (SEG) of the calcifications of one mammogram, written with highdicom.

A binary SEG with one segment per kind found ("Calcification", and "Vascular calcification" when there is one),
referencing its source image (Referenced Series, source SOP Instance, and Frame of Reference when the source has
one), with patient and study attributes copied from the source by highdicom, the segment terminology Slicer uses
(:mod:`.codes`) and the algorithm's name, version, model name and checksum. Reference: DICOM PS3.3 A.51
(Segmentation IOD); highdicom's ``Segmentation``.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from pydicom.dataset import Dataset

from . import codes
from .dataset_rules import patient_orientation, quiet_highdicom, with_type2_attributes
from .provenance import MANUFACTURER, MODEL_NAME, SEG_SERIES_NUMBER, SOFTWARE_VERSION, AlgorithmDescription

#: Segment labels, as in the Slicer segmentation the product makes.
CALCIFICATION_LABEL = "Calcification"
VASCULAR_LABEL = "Vascular calcification"
#: Recommended Display CIELab Value (DICOM's scaled 16-bit L*a*b*) of the product's yellow (255, 217, 0) and
#: orange-red (255, 89, 41) segment colours, as highdicom 0.28's ``CIELabColor.from_rgb`` converts them. Written as
#: the attribute itself because highdicom 0.22 (the newest that runs on Slicer 5.10's pydicom 2.4) lacks ``from_rgb``.
_DISPLAY_CIELAB = {CALCIFICATION_LABEL: (57297, 32142, 55381), VASCULAR_LABEL: (39580, 48578, 48065)}


def _segment_description(number: int, label: str, algorithm: AlgorithmDescription):
    import highdicom as hd

    family = codes.ARTIFICIAL_INTELLIGENCE if algorithm.is_learned else codes.IMAGE_PROCESSING
    identification = hd.AlgorithmIdentificationSequence(
        name=algorithm.name,
        family=family,
        version=algorithm.version,
        source=MANUFACTURER,
        parameters=algorithm.all_parameters() or None,
    )
    regions = [codes.BLOOD_VESSEL] if label == VASCULAR_LABEL else None
    description = hd.seg.SegmentDescription(
        segment_number=number,
        segment_label=label,
        segmented_property_category=codes.MORPHOLOGICALLY_ALTERED_STRUCTURE,
        segmented_property_type=codes.CALCIFICATION,
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
        algorithm_identification=identification,
        anatomic_regions=regions,
    )
    description.RecommendedDisplayCIELabValue = list(_DISPLAY_CIELAB[label])
    return description


def build_segmentation(
    source: Dataset,
    calcification_mask: np.ndarray,
    vascular_mask: Optional[np.ndarray],
    algorithm: AlgorithmDescription,
    series_instance_uid: str,
    sop_instance_uid: str,
) -> Dataset:
    """The SEG of one mammogram.

    Parameters
    ----------
    source : pydicom Dataset
        The source image (pixel data not needed): its patient, study and image attributes are referenced / copied.
    calcification_mask : np.ndarray, bool (Rows, Columns)
        Calcification pixels on the source grid.
    vascular_mask : np.ndarray, bool (Rows, Columns), or None
        Vascular calcification pixels; a second segment only when it holds at least one pixel.
    algorithm : AlgorithmDescription
    series_instance_uid, sop_instance_uid : str
        UIDs of the new object (see :func:`~.provenance.result_uids`).

    Returns
    -------
    highdicom.seg.Segmentation (a pydicom Dataset)

    Raises
    ------
    ValueError
        A mask whose shape is not the source's Rows x Columns.
    """
    import highdicom as hd

    source = with_type2_attributes(source)
    shape = (int(source.Rows), int(source.Columns))
    masks = [(CALCIFICATION_LABEL, calcification_mask)]
    if vascular_mask is not None and np.any(vascular_mask):
        masks.append((VASCULAR_LABEL, vascular_mask))
    for label, mask in masks:
        if mask.shape != shape:
            raise ValueError(f"The {label} mask has shape {mask.shape}; the source image is {shape[0]} x {shape[1]}.")
    stacked = np.stack([np.asarray(mask, dtype=bool) for _, mask in masks], axis=-1)[None]
    descriptions = [_segment_description(number, label, algorithm) for number, (label, _) in enumerate(masks, 1)]
    with quiet_highdicom():
        segmentation = _segmentation(hd, source, stacked, descriptions, series_instance_uid, sop_instance_uid)
    # General Image module, Type 2C without a patient coordinate system: the source's value when well formed.
    segmentation.PatientOrientation = patient_orientation(source)
    return segmentation


def _segmentation(hd, source, stacked, descriptions, series_instance_uid, sop_instance_uid):
    return hd.seg.Segmentation(
        source_images=[source],
        pixel_array=stacked,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=series_instance_uid,
        series_number=SEG_SERIES_NUMBER,
        sop_instance_uid=sop_instance_uid,
        instance_number=1,
        manufacturer=MANUFACTURER,
        manufacturer_model_name=MODEL_NAME,
        software_versions=SOFTWARE_VERSION,
        device_serial_number="0",
        content_description="Calcifications",
        content_label="CALCIFICATIONS",
        series_description="Calcification segmentation",
        omit_empty_frames=False,
    )
