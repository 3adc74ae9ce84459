"""The segments of one of the product's DICOM SEGs, as masks on the source image's pixel grid (highdicom).

A SEG the product writes for a mammogram covers one source frame: one binary frame per segment, referenced to the
source image by SOP Instance UID, with no need for a patient coordinate system. Reference: DICOM PS3.3 A.51
(Segmentation IOD), C.8.20.4 (Segment Description); highdicom's ``Segmentation.get_pixels_by_source_instance``
(available from highdicom 0.22, the newest that runs on Slicer 5.10's pydicom 2.4, to 0.28).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ..errors import InputError


@dataclass(frozen=True)
class CodedConcept:
    """A code triplet as DICOM writes it (Code Value, Coding Scheme Designator, Code Meaning)."""

    value: str
    scheme: str
    meaning: str


@dataclass(frozen=True)
class SegmentImage:
    """One segment of a SEG.

    Attributes
    ----------
    number : int
        Segment Number (1, 2, ...).
    label : str
        Segment Label, e.g. ``"Calcification"``.
    category, property_type : CodedConcept
        Segmented Property Category and Type.
    anatomic_region : CodedConcept or None
    color_rgb : tuple of float or None
        Recommended display colour as sRGB in [0, 1] (converted from its CIELab value).
    mask : np.ndarray, bool, shape (rows, columns)
        The segment's pixels on the source image's grid (row 0 = first row of the image).
    """

    number: int
    label: str
    category: CodedConcept
    property_type: CodedConcept
    anatomic_region: Optional[CodedConcept]
    color_rgb: Optional[tuple]
    mask: np.ndarray


@dataclass(frozen=True)
class SegmentationContents:
    """What a SEG holds: its source image's UIDs and its segments in Segment Number order."""

    source_sop_instance_uid: str
    source_series_instance_uid: str
    series_description: str
    segments: tuple


def _concept(sequence) -> CodedConcept:
    item = sequence[0]
    return CodedConcept(str(item.CodeValue), str(item.CodingSchemeDesignator), str(item.CodeMeaning))


def cielab_to_rgb(scaled_lab) -> tuple:
    """sRGB (0-1) of a DICOM Recommended Display CIELab Value (three 16-bit scaled L*, a*, b*; PS3.3 C.10.7.1.1),
    through CIE XYZ with the D65 white point (CIE 15:2004; IEC 61966-2-1 for sRGB)."""
    lightness = scaled_lab[0] * 100.0 / 65535.0
    a_star = scaled_lab[1] * 255.0 / 65535.0 - 128.0
    b_star = scaled_lab[2] * 255.0 / 65535.0 - 128.0
    fy = (lightness + 16.0) / 116.0
    f = np.array([fy + a_star / 500.0, fy, fy - b_star / 200.0])
    xyz = np.where(f**3 > 216.0 / 24389.0, f**3, (116.0 * f - 16.0) * 27.0 / 24389.0)
    xyz *= np.array([0.95047, 1.0, 1.08883])
    linear = np.array([[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]]) @ xyz
    linear = np.clip(linear, 0.0, 1.0)
    rgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return tuple(float(round(value, 4)) for value in rgb)


def _segment_image(seg, number: int, mask: np.ndarray) -> SegmentImage:
    description = next(item for item in seg.SegmentSequence if item.SegmentNumber == number)
    regions = description.get("AnatomicRegionSequence")
    lab = description.get("RecommendedDisplayCIELabValue")
    return SegmentImage(
        number=number,
        label=str(description.SegmentLabel),
        category=_concept(description.SegmentedPropertyCategoryCodeSequence),
        property_type=_concept(description.SegmentedPropertyTypeCodeSequence),
        anatomic_region=_concept(regions) if regions else None,
        color_rgb=cielab_to_rgb([int(v) for v in lab]) if lab else None,
        mask=mask,
    )


def read_segmentation(path: Union[str, Path]) -> SegmentationContents:
    """Read a SEG of one source frame (as the product writes them) into masks on the source image's grid.

    Parameters
    ----------
    path : str or Path
        A DICOM Segmentation file (binary or fractional; fractional frames are read as > 0).

    Returns
    -------
    SegmentationContents

    Raises
    ------
    InputError
        Not a readable SEG, or one that covers several source images (a volume's SEG: Slicer's stock loader reads
        those).
    """
    import highdicom as hd

    try:
        seg = hd.seg.segread(str(path))
    except Exception as error:  # pydicom and highdicom raise many kinds for a file that is not a SEG
        raise InputError(f"{path} is not a readable DICOM Segmentation ({error}).") from error
    sources = seg.get_source_image_uids()
    if len(sources) != 1:
        raise InputError(
            f"{path} segments {len(sources)} source images; only SEGs of one mammogram (one image) are read here."
        )
    series_uid, sop_uid = str(sources[0][1]), str(sources[0][2])
    numbers = list(seg.segment_numbers)
    pixels = seg.get_pixels_by_source_instance(source_sop_instance_uids=[sop_uid], segment_numbers=numbers)
    segments = tuple(_segment_image(seg, number, pixels[0, ..., index] > 0) for index, number in enumerate(numbers))
    return SegmentationContents(sop_uid, series_uid, str(seg.get("SeriesDescription", "")), segments)
