"""Every code the product writes into DICOM SEG and SR objects, in one place.

Standard codes come from DICOM PS3.16 (scheme ``DCM``), SNOMED CT (``SCT``) and UCUM units. Where no standard
concept exists (the 35 image features of Tong et al. 2024, the cluster spread and linearity, the calcification
density of a cluster, the classifier's call), a private coding scheme is used:

- Designator ``99CALCAN`` (PS3.16 8.2: designators starting with "99" are private), version ``1``.
- Code values are the column names of the product's CSV files (``features.csv`` and ``clusters.csv``), so a value
  read from the SR is matched to its CSV column by code value alone; the one name longer than the 16 characters a
  Code Value (SH) holds is shortened: ``calcifications_per_cm2`` -> ``calcs_per_cm2``.
- Every object that uses the scheme declares it in its Coding Scheme Identification Sequence (0008,0110) with
  :func:`private_scheme_identification`.

The segment terminology is the one Slicer shows for the product's segments (``CALCIFICATION_TERMINOLOGY`` in
``logic/mrml/segmentation_nodes.py``): category "Morphologically Altered Structure" (SCT 49755003), type "Calcification"
(SCT 18115005); vascular calcifications add the anatomic region "Blood vessel" (SCT 59820001).
"""

from __future__ import annotations

from typing import Optional

from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from ..features import IMAGE_FEATURE_NAMES

#: The private coding scheme (see the module docstring).
PRIVATE_SCHEME = "99CALCAN"
PRIVATE_SCHEME_VERSION = "1"
PRIVATE_SCHEME_NAME = "CalcificationAnalysis measurement codes"

# Segment terminology (the same codes Slicer's terminology entry of the product's segments carries).
MORPHOLOGICALLY_ALTERED_STRUCTURE = Code("49755003", "SCT", "Morphologically Altered Structure")
CALCIFICATION = Code("18115005", "SCT", "Calcification")
BLOOD_VESSEL = Code("59820001", "SCT", "Blood vessel")
BREAST = Code("76752008", "SCT", "Breast")

# Algorithm families (CID 7162).
ARTIFICIAL_INTELLIGENCE = Code("123110", "DCM", "Artificial Intelligence")
IMAGE_PROCESSING = Code("110001", "DCM", "Image Processing")

# SR concepts.
MAMMOGRAPHY_PROCEDURE = Code("71651007", "SCT", "Mammography")
LEFT = Code("7771000", "SCT", "Left")
RIGHT = Code("24028007", "SCT", "Right")
CALCIFICATION_CLUSTER = Code("111105", "DCM", "Calcification Cluster")
NUMBER_OF_CALCIFICATIONS = Code("111038", "DCM", "Number of calcifications")
AREA = Code("42798000", "SCT", "Area")
CALCIFICATION_DISTRIBUTION = Code("111008", "DCM", "Calcification Distribution")
PROBABILITY_OF_CANCER = Code("111047", "DCM", "Probability of cancer")
BENIGN = Code("30807003", "SCT", "Benign")
MALIGNANT = Code("21594007", "SCT", "Malignant")
LINEAR_DISTRIBUTION = Code("112150", "DCM", "Linear")

# UCUM units.
UNIT_MM = Code("mm", "UCUM", "millimeter")
UNIT_MM2 = Code("mm2", "UCUM", "square millimeter")
UNIT_PER_CM2 = Code("/cm2", "UCUM", "per square centimeter")
UNIT_COUNT = Code("{count}", "UCUM", "count")
UNIT_RATIO = Code("1", "UCUM", "no units")
UNIT_GREY = Code("[arb'U]", "UCUM", "arbitrary unit")  # image grey values: no physical unit


def private_code(value: str, meaning: str) -> Code:
    """A code of the private scheme :data:`PRIVATE_SCHEME`; ``value`` at most 16 characters (SH)."""
    if len(value) > 16:
        raise ValueError(f"private code value {value!r} is longer than 16 characters")
    return Code(value, PRIVATE_SCHEME, meaning, scheme_version=PRIVATE_SCHEME_VERSION)


#: Cluster qualitative value "grouped" (no standard code; "linear" is DCM 112150).
GROUPED_DISTRIBUTION = private_code("grouped", "Grouped")
#: Concept of the classifier's benign/malignant call (value BENIGN or MALIGNANT).
CLASSIFIER_ASSESSMENT = private_code("assessment", "Classifier benign/malignant assessment")
#: Cluster measurements without a standard concept: CSV column -> (code, unit).
CLUSTER_SPREAD = (private_code("spread_mm", "Cluster spread (RMS distance to centre)"), UNIT_MM)
CLUSTER_LINEARITY = (private_code("linearity", "Cluster linearity"), UNIT_RATIO)
CLUSTER_DENSITY = (private_code("calcs_per_cm2", "Calcifications per square centimeter"), UNIT_PER_CM2)
CLUSTER_CENTRE_X = (private_code("centroid_x_mm", "Cluster centre, column direction"), UNIT_MM)
CLUSTER_CENTRE_Y = (private_code("centroid_y_mm", "Cluster centre, row direction"), UNIT_MM)
#: Image-level group's finding: all calcifications of the image.
ALL_CALCIFICATIONS = private_code("all_calcs", "All calcifications of the image")
#: Cluster qualitative evaluation of ``calcification compare``: the change since the prior exam (values below; no
#: standard concept or value set for a calcification cluster's change exists in DICOM PS3.16).
CHANGE_SINCE_PRIOR = private_code("change_prior", "Change since the prior exam")


def change_status_code(status: str) -> Code:
    """Value of :data:`CHANGE_SINCE_PRIOR`: ``new``, ``increased``, ``stable``, ``decreased`` or ``resolved``."""
    return private_code(status, status.capitalize())


#: Image features measured in mm² and in image grey values; every other feature is a count.
_AREA_FEATURES = ("calc_area", "clu_max_area")
_GREY_FEATURES = ("density", "density_8", "density_32")


def image_feature_code(name: str) -> tuple[Code, Code]:
    """(concept, UCUM unit) of the image feature ``name`` of :data:`IMAGE_FEATURE_NAMES`; the code value is the
    feature's ``features.csv`` column name."""
    if name not in IMAGE_FEATURE_NAMES:
        raise KeyError(f"unknown image feature {name!r}")
    unit = UNIT_MM2 if name in _AREA_FEATURES else UNIT_GREY if name in _GREY_FEATURES else UNIT_COUNT
    return private_code(name, f"Image feature {name}"), unit


def private_scheme_identification() -> Dataset:
    """The Coding Scheme Identification Sequence item (0008,0110) that declares :data:`PRIVATE_SCHEME`."""
    item = Dataset()
    item.CodingSchemeDesignator = PRIVATE_SCHEME
    item.CodingSchemeName = PRIVATE_SCHEME_NAME
    item.CodingSchemeVersion = PRIVATE_SCHEME_VERSION
    item.CodingSchemeResponsibleOrganization = "CalcificationAnalysis project"
    return item


# BI-RADS descriptors (issue 30). Concept names from DICOM PS3.16 (DCM 111009 Calcification Type, DCM 111008
# Calcification Distribution, DCM 111005 Assessment Category, as the Mammography CAD SR uses them); values from
# CID 6010 "Mammography Calcification Type" and CID 6012 "Calcification Distribution Modifier" (SNOMED CT, one DCM
# code), read from pydicom's copy of PS3.16 so the meanings are the standard's own; assessment categories are the
# SNOMED CT "Mammography assessment (Category N)" concepts. SNOMED has no concept for the 4A / 4B / 4C
# subdivision, so category 4 findings also carry a private qualifier (BIRADS_SUBCATEGORY).
CALCIFICATION_TYPE = Code("111009", "DCM", "Calcification Type")
ASSESSMENT_CATEGORY = Code("111005", "DCM", "Assessment Category")
BIRADS_SUBCATEGORY = private_code("birads4_sub", "BI-RADS category 4 subdivision")
DESCRIPTOR_LIKELIHOOD = PROBABILITY_OF_CANCER  # per cluster, identified by the descriptor algorithm (TID 4019)


def _cid(number: int, keyword: str) -> Code:
    from pydicom.sr.codedict import codes as standard

    found = getattr(getattr(standard, f"cid{number}"), keyword)
    return Code(found.value, found.scheme_designator, found.meaning)


def morphology_code(morphology) -> Code:
    """CID 6010 value of a :class:`calcification.core.birads.Morphology` (round / punctate as Round shaped; rim as
    Eggshell, the earlier name of the same form)."""
    keyword = {
        "ROUND": "RoundShapedCalcification",
        "RIM": "EggshellCalcification",
        "COARSE_POPCORN": "CoarsePopcornLikeCalcification",
        "LARGE_ROD": "LargeRodLikeCalcification",
        "VASCULAR": "VascularCalcificationRadiographicFinding",
        "AMORPHOUS": "AmorphousCalcification",
        "COARSE_HETEROGENEOUS": "HeterogeneousCalcification",
        "FINE_PLEOMORPHIC": "FinePleomorphicCalcification",
        "FINE_LINEAR": "FineLinearBranchingCastingCalcification",
    }[morphology.name]
    return _cid(6010, keyword)


def distribution_code(distribution) -> Code:
    """CID 6012 value of a :class:`calcification.core.birads.Distribution`."""
    return _cid(6012, f"{distribution.name.capitalize()}CalcificationDistribution")


#: SNOMED CT mammography assessment concepts (as listed in pydicom's PS3.16 concept dictionary); the meanings are
#: the terms up to their category number, since the full terms are longer than a Code Meaning (LO, 64) holds.
_CATEGORY_CODES = {"2": "397141009", "3": "397143007", "4": "397144001", "5": "397145000"}


def category_codes(category) -> tuple[Code, Optional[Code]]:
    """(SNOMED CT category code, private 4A/4B/4C qualifier or None) of a BI-RADS :class:`Category`."""
    number = category.value[0]
    value, meaning = _CATEGORY_CODES[number], f"Mammography assessment (Category {number})"
    sub = private_code(category.value, f"BI-RADS {category.value}") if category.value.startswith("4") else None
    return Code(value, "SCT", meaning), sub
