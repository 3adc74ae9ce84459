"""TID 1500 Measurement Report (Comprehensive SR) of one analysed mammogram, written with highdicom.

Content (DICOM PS3.16 TID 1500, with TID 1501 / TID 1410 measurement groups):

- one image-level group (tracking id ``image``): the 35 image features of Tong et al. 2024 with their units, and,
  when a classifier ran, the probability of malignancy ("Probability of cancer", DCM 111047) and the classifier's
  benign/malignant call (private concept, values SCT Benign / Malignant), each with the classifier's name, version
  and calibration as Algorithm Identification (TID 4019);
- one planar-ROI group per cluster (tracking id ``cluster N``): the cluster's region on the source image (a closed
  polyline around its members, pixel coordinates), finding "Calcification Cluster" (DCM 111105) in the breast of the
  image's side, and the values of ``clusters.csv``: number of calcifications (DCM 111038), area (SCT 42798000, mm2),
  calcifications per cm², spread, linearity, centre, and the BI-RADS description of the finding it lies in
  (:mod:`calcification.core.birads`): calcification type (DCM 111009, a CID 6010 value), distribution (DCM 111008,
  a CID 6012 value), suggested assessment category (DCM 111005, SNOMED CT "Mammography assessment (Category N)",
  with a private 4A / 4B / 4C qualifier) and its likelihood as "Probability of cancer" identified by the descriptor
  algorithm (TID 4019 naming the PPV sources); the image group carries the image's highest suggested category.

Codes: :mod:`.codes` (a documented private scheme where DICOM and SNOMED have none). The SEG, when given, is listed
as evidence. Every numeric value is the one written to the CSVs (same float64), so a reader compares them exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes as dicom_codes

from ..analysis import ImageAnalysis, MalignancyResult
from ..analysis.result_tables import cluster_boxes, cluster_table
from ..classification.breast_level import DEFAULT_THRESHOLD
from ..features import IMAGE_FEATURE_NAMES
from ..image import Laterality
from . import codes
from .dataset_rules import quiet_highdicom, with_type2_attributes
from .provenance import (
    MANUFACTURER,
    MODEL_NAME,
    SOFTWARE_VERSION,
    SR_SERIES_NUMBER,
    AlgorithmDescription,
    stable_uid,
)

#: Tracking identifier of the image-level group.
IMAGE_GROUP_ID = "image"


@dataclass(frozen=True)
class ReportInputs:
    """What the SR describes: the analysis of one source image and how it was made."""

    source: Dataset
    analysis: ImageAnalysis
    malignancy: Optional[MalignancyResult]
    laterality: Laterality
    algorithm: AlgorithmDescription
    segmentation: Optional[Dataset] = None
    #: cluster id -> change status since the prior exam (``calcification compare``), added to each cluster's group
    cluster_changes: Optional[dict] = None


def cluster_group_id(cluster_id: int) -> str:
    """Tracking identifier of a cluster's measurement group (``cluster 1`` for cluster_id 1)."""
    return f"cluster {cluster_id}"


def _tracking(inputs: ReportInputs, identifier: str):
    import highdicom as hd

    uid = stable_uid(inputs.source.SOPInstanceUID, inputs.algorithm.key(), identifier)
    return hd.sr.TrackingIdentifier(uid=uid, identifier=identifier)


def _finding_site(laterality: Laterality):
    import highdicom as hd

    side = {Laterality.LEFT: codes.LEFT, Laterality.RIGHT: codes.RIGHT}.get(laterality)
    return hd.sr.FindingSite(anatomic_location=codes.BREAST, laterality=side)


def _segmentation_algorithm(algorithm: AlgorithmDescription):
    import highdicom as hd

    parameters = [f"{key}={value}" for key, value in algorithm.all_parameters().items()]
    return hd.sr.AlgorithmIdentification(name=algorithm.name, version=algorithm.version, parameters=parameters or None)


def classifier_algorithm(malignancy: MalignancyResult):
    """TID 4019 of the classifier: name, version (its training date) and parameters naming the algorithm, the
    calibration and the cross-validated AUC."""
    import highdicom as hd

    card = malignancy.card
    parameters = [
        f"algorithm={card.algorithm.value}",
        f"calibration={card.calibration_method}",
        f"cv_auc={card.metrics.auc:.4f}",
        f"synthetic_training={card.synthetic_training}",
    ]
    return hd.sr.AlgorithmIdentification(name=card.name, version=card.created or "unknown", parameters=parameters)


#: TID 4019 of the descriptor-based assessment: the figures' sources as parameters.
DESCRIPTOR_ALGORITHM_NAME = "CalcificationAnalysis BI-RADS descriptors"


def descriptor_algorithm():
    import highdicom as hd

    return hd.sr.AlgorithmIdentification(
        name=DESCRIPTOR_ALGORITHM_NAME,
        version=SOFTWARE_VERSION,
        parameters=["ppv_sources=Liberman 1998; Burnside 2007; Bent 2010; BI-RADS Atlas 5th ed."],
    )


def _category_evaluations(category) -> list:
    import highdicom as hd

    value, subcategory = codes.category_codes(category)
    evaluations = [hd.sr.QualitativeEvaluation(codes.ASSESSMENT_CATEGORY, value)]
    if subcategory is not None:
        evaluations.append(hd.sr.QualitativeEvaluation(codes.BIRADS_SUBCATEGORY, subcategory))
    return evaluations


def _descriptor_content(finding) -> tuple[list, list]:
    """(measurements, qualitative evaluations) of a cluster's BI-RADS finding: calcification type (CID 6010),
    distribution (CID 6012), assessment category, and the likelihood with the descriptor algorithm."""
    import highdicom as hd

    evaluations = [
        hd.sr.QualitativeEvaluation(codes.CALCIFICATION_TYPE, codes.morphology_code(finding.morphology.morphology)),
        hd.sr.QualitativeEvaluation(
            codes.CALCIFICATION_DISTRIBUTION, codes.distribution_code(finding.distribution.distribution)
        ),
        *_category_evaluations(finding.assessment.category),
    ]
    likelihood = _measurement(
        codes.DESCRIPTOR_LIKELIHOOD, finding.assessment.likelihood, codes.UNIT_RATIO, descriptor_algorithm()
    )
    return [likelihood], evaluations


def _measurement(name, value, unit, algorithm=None):
    import highdicom as hd

    return hd.sr.Measurement(name=name, value=float(value), unit=unit, algorithm_id=algorithm)


def _image_group(inputs: ReportInputs):
    import highdicom as hd

    algorithm = _segmentation_algorithm(inputs.algorithm)
    measurements = []
    for name in IMAGE_FEATURE_NAMES:
        concept, unit = codes.image_feature_code(name)
        measurements.append(_measurement(concept, inputs.analysis.features[name], unit))
    evaluations = []
    if inputs.malignancy is not None:
        classifier = classifier_algorithm(inputs.malignancy)
        probability = inputs.malignancy.probability
        measurements.append(_measurement(codes.PROBABILITY_OF_CANCER, probability, codes.UNIT_RATIO, classifier))
        call = codes.MALIGNANT if probability >= DEFAULT_THRESHOLD else codes.BENIGN
        evaluations.append(hd.sr.QualitativeEvaluation(name=codes.CLASSIFIER_ASSESSMENT, value=call))
    description = inputs.analysis.description
    if description is not None and description.top is not None:  # the image's highest suggested category
        evaluations += _category_evaluations(description.top.assessment.category)
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=_tracking(inputs, IMAGE_GROUP_ID),
        finding_type=codes.ALL_CALCIFICATIONS,
        algorithm_id=algorithm,
        finding_sites=[_finding_site(inputs.laterality)],
        measurements=measurements,
        qualitative_evaluations=evaluations or None,
        source_images=[hd.sr.SourceImageForMeasurementGroup.from_source_image(inputs.source)],
    )


def _box_polyline(box) -> np.ndarray:
    """Closed polyline (column, row) around an inclusive pixel box, on pixel edges (PS3.3 C.18.6.1.1: (0, 0) is the
    top-left corner of the top-left pixel)."""
    row0, col0, row1, col1 = box
    left, top, right, bottom = float(col0), float(row0), float(col1 + 1), float(row1 + 1)
    return np.array([[left, top], [right, top], [right, bottom], [left, bottom], [left, top]], dtype=np.float32)


def _change_evaluation(inputs: ReportInputs, cluster_id: int) -> list:
    """The cluster's change since the prior exam, when a comparison gave one."""
    import highdicom as hd

    status = (inputs.cluster_changes or {}).get(cluster_id)
    return (
        []
        if status is None
        else [hd.sr.QualitativeEvaluation(codes.CHANGE_SINCE_PRIOR, codes.change_status_code(status))]
    )


def _cluster_groups(inputs: ReportInputs) -> list:
    import highdicom as hd

    table = cluster_table(inputs.analysis).columns
    algorithm = _segmentation_algorithm(inputs.algorithm)
    source_ref = hd.sr.SourceImageForRegion.from_source_image(inputs.source)
    groups = []
    for index, box in enumerate(cluster_boxes(inputs.analysis)):
        cluster_id = int(table["cluster_id"][index])
        measurements = [
            _measurement(codes.NUMBER_OF_CALCIFICATIONS, table["count"][index], codes.UNIT_COUNT),
            _measurement(codes.AREA, table["area_mm2"][index], codes.UNIT_MM2),
        ]
        for column, (concept, unit) in (
            ("calcifications_per_cm2", codes.CLUSTER_DENSITY),
            ("spread_mm", codes.CLUSTER_SPREAD),
            ("linearity", codes.CLUSTER_LINEARITY),
            ("centroid_x_mm", codes.CLUSTER_CENTRE_X),
            ("centroid_y_mm", codes.CLUSTER_CENTRE_Y),
        ):
            measurements.append(_measurement(concept, table[column][index], unit))
        description = inputs.analysis.description
        finding = None if description is None else description.finding_of_cluster(cluster_id)
        if finding is not None:
            extra_measurements, evaluations = _descriptor_content(finding)
            measurements += extra_measurements
        else:  # an analysis without a BI-RADS description: the cluster's own shape word
            linear = str(table["shape"][index]).startswith("linear")
            shape = codes.LINEAR_DISTRIBUTION if linear else codes.GROUPED_DISTRIBUTION
            evaluations = [hd.sr.QualitativeEvaluation(codes.CALCIFICATION_DISTRIBUTION, shape)]
        region = hd.sr.ImageRegion(
            graphic_type=hd.sr.GraphicTypeValues.POLYLINE, graphic_data=_box_polyline(box), source_image=source_ref
        )
        groups.append(
            hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
                tracking_identifier=_tracking(inputs, cluster_group_id(cluster_id)),
                referenced_region=region,
                finding_type=codes.CALCIFICATION_CLUSTER,
                algorithm_id=algorithm,
                finding_sites=[_finding_site(inputs.laterality)],
                measurements=measurements,
                qualitative_evaluations=[*evaluations, *_change_evaluation(inputs, cluster_id)],
            )
        )
    return groups


def _observation_context():
    import highdicom as hd

    device = hd.sr.DeviceObserverIdentifyingAttributes(
        uid=stable_uid(MODEL_NAME, SOFTWARE_VERSION),
        name=MODEL_NAME,
        manufacturer_name=MANUFACTURER,
        model_name=MODEL_NAME,
    )
    observer = hd.sr.ObserverContext(observer_type=dicom_codes.DCM.Device, observer_identifying_attributes=device)
    return hd.sr.ObservationContext(observer_device_context=observer)


def build_measurement_report(inputs: ReportInputs, series_instance_uid: str, sop_instance_uid: str) -> Dataset:
    """The Comprehensive SR (TID 1500) of one analysed mammogram; see the module docstring for its content.

    Parameters
    ----------
    inputs : ReportInputs
        Source image dataset (pixel data not needed), its analysis, the malignancy result or None, the image's
        side, the segmentation algorithm, and the SEG (listed as evidence) or None.
    series_instance_uid, sop_instance_uid : str

    Returns
    -------
    highdicom.sr.ComprehensiveSR (a pydicom Dataset)
    """
    import highdicom as hd

    inputs = replace(inputs, source=with_type2_attributes(inputs.source))
    with quiet_highdicom():
        report = hd.sr.MeasurementReport(
            observation_context=_observation_context(),
            procedure_reported=codes.MAMMOGRAPHY_PROCEDURE,
            imaging_measurements=[_image_group(inputs), *_cluster_groups(inputs)],
        )
        evidence = [inputs.source] + ([inputs.segmentation] if inputs.segmentation is not None else [])
        sr = hd.sr.ComprehensiveSR(
            evidence=evidence,
            content=report,
            series_instance_uid=series_instance_uid,
            series_number=SR_SERIES_NUMBER,
            sop_instance_uid=sop_instance_uid,
            instance_number=1,
            manufacturer=MANUFACTURER,
            is_complete=True,
            series_description="Calcification measurements",
        )
    sr.CodingSchemeIdentificationSequence = [codes.private_scheme_identification()]
    return sr
