"""What the HTML report of one analysed mammogram shows, assembled from the analysis (the page itself is drawn by
:mod:`calcification.core.reporting.html_report`)."""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..reporting.html_report import ReportContent, ReportTable
from ..reporting.report_figures import cluster_crop, overview_picture, png_data_uri
from .image_analysis import ImageAnalysis
from .malignancy import MalignancyResult
from .result_tables import ResultTable, calcification_table, cluster_boxes, cluster_table, image_feature_table

#: Always on the page: what the product is and is not.
RESEARCH_USE_WARNING = "Research software: not a medical device; every finding needs a radiologist's reading."

#: At most this many cluster crops on one page (the largest clusters first).
MAX_CLUSTER_CROPS = 12


def _report_table(table: ResultTable, title: str) -> ReportTable:
    return ReportTable(title, tuple(table.columns), tuple(table.rows()), dict(table.descriptions))


def _facts(analysis: ImageAnalysis, segmentation_note: str) -> tuple:
    facts = [
        ("Calcifications", str(analysis.calcification_count)),
        ("Total calcified area", f"{float(np.sum(analysis.measurements.area_mm2)):.2f} mm²"),
        ("Clusters (more than 5 within 1.088 mm)", str(analysis.cluster_count)),
        ("Vascular calcifications (benign, not in clusters)", str(analysis.vascular_count)),
        ("Pixel spacing", f"{analysis.spacing_mm[0]:.3f} × {analysis.spacing_mm[1]:.3f} mm"),
    ]
    if analysis.breast_area_cm2 is not None:
        facts.append(("Breast area searched", f"{analysis.breast_area_cm2:.1f} cm²"))
    if segmentation_note:
        facts.append(("Segmentation", segmentation_note))
    return tuple(facts)


def _cluster_crops(pixels: np.ndarray, analysis: ImageAnalysis) -> tuple:
    boxes = cluster_boxes(analysis)
    order = sorted(range(len(boxes)), key=lambda i: -analysis.clusters.clusters[i].count)[:MAX_CLUSTER_CROPS]
    crops = []
    for index in order:
        cluster = analysis.clusters.clusters[index]
        caption = (
            f"Cluster {cluster.cluster_id}: {cluster.count} calcifications, {cluster.area_mm2:.1f} mm², "
            f"{cluster.shape.value}"
        )
        crop = cluster_crop(pixels, analysis.labels, boxes[index], analysis.spacing_mm)
        crops.append((caption, png_data_uri(crop)))
    return tuple(crops)


def build_report_content(
    title: str,
    pixels: np.ndarray,
    analysis: ImageAnalysis,
    malignancy: Optional[MalignancyResult] = None,
    breast: Optional[np.ndarray] = None,
    segmentation_note: str = "",
    extra_warnings: tuple = (),
) -> ReportContent:
    """The report of one mammogram: probability with the classifier's card summary, key facts, the picture with
    outlines and cluster boxes, a zoomed crop per cluster, and the three tables.

    Parameters
    ----------
    title : str
        Usually the image's name.
    pixels : np.ndarray, float (rows, cols)
        The mammogram the analysis was made on.
    analysis : ImageAnalysis
    malignancy : MalignancyResult, optional
        None when no classifier was used (the page says so).
    breast : np.ndarray, bool (rows, cols), optional
        Drawn as the breast boundary.
    segmentation_note : str
        How the calcifications were found (method, model), shown among the facts.
    extra_warnings : tuple of str
        E.g. the segmentation model's synthetic-training warning.
    """
    warnings = [RESEARCH_USE_WARNING, *extra_warnings]
    if malignancy is not None and malignancy.warning:
        warnings.append(malignancy.warning)
    overview = overview_picture(pixels, analysis.labels, breast, cluster_boxes(analysis),
                                vascular=analysis.vascular_labels)  # fmt: skip
    return ReportContent(
        title=title,
        probability=None if malignancy is None else malignancy.probability,
        classifier_summary="No classifier was used." if malignancy is None else malignancy.classifier_summary(),
        facts=_facts(analysis, segmentation_note),
        warnings=tuple(dict.fromkeys(warnings)),
        overview_uri=png_data_uri(overview),
        cluster_crops=_cluster_crops(pixels, analysis),
        tables=(
            _report_table(image_feature_table(analysis), "Image features (Tong et al. 2024)"),
            _report_table(cluster_table(analysis), "Clusters"),
            _report_table(calcification_table(analysis), "Calcifications"),
        ),
    )
