"""What the HTML report of one analysed mammogram shows, assembled from the analysis (the page itself is drawn by
:mod:`calcification.core.reporting.html_report`)."""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..features.clusters import CLUSTER_RULE_TEXT
from ..rendering.overlay import BREAST_RGB, OUTLINE_RGB, VASCULAR_RGB, display_window
from ..reporting.cluster_pictures import CLUSTER_BOX_RGB, close_up_geometry, cluster_close_up
from ..reporting.html_report import ReportContent, ReportTable
from ..reporting.report_figures import breast_crop, overview_picture, palette_png_data_uri
from .image_analysis import ImageAnalysis
from .malignancy import MalignancyResult
from .result_tables import ResultTable, calcification_table, cluster_boxes, cluster_table, image_feature_table

#: Always on the page: what the product is and is not.
RESEARCH_USE_WARNING = "Research software: not a medical device; every finding needs a radiologist's reading."

#: At most this many cluster close-ups on one page (the lowest cluster numbers first).
MAX_CLUSTER_CROPS = 12

#: Longest side of the mammogram shown on the page (pixels): about twice its 860 px on the screen, so its outlines,
#: thickened by the reduction, stay visible.
OVERVIEW_SIZE_PX = 2400

#: Longest side of the full-size picture opened by a click: the breast at one image pixel per screen pixel up to this
#: size (a 4432-pixel film is shown whole), reduced by an integer factor beyond it.
FULL_SIZE_MAX_PX = 6000

#: Background kept around the breast in the report's pictures, mm.
BREAST_MARGIN_MM = 5.0

#: Calcification-table columns shown by default; the rest are one click away.
MAIN_CALCIFICATION_COLUMNS = (
    "label",
    "kind",
    "cluster_id",
    "area_mm2",
    "feret_max_mm",
    "roundness",
    "aspect_ratio",
    "mean_intensity",
    "contrast",
    "contrast_to_noise",
)

#: Shape measures that need more than a couple of pixels to mean anything (a 1-pixel square has roundness 1).
SHAPE_COLUMNS = ("roundness", "aspect_ratio", "rectangularity", "perimeter_ratio")

#: Objects of at most this many pixels have no shape: their shape measures are shown as a dash.
MAX_SHAPELESS_PIXELS = 2

#: Image features measured in grey levels, shown as integers.
INTENSITY_FEATURES = ("density", "density_32", "density_8")

LEGEND = (
    (OUTLINE_RGB, "Calcification outline"),
    (VASCULAR_RGB, "Vascular calcification (benign, in no cluster)"),
    (CLUSTER_BOX_RGB, "Cluster, numbered as in the close-ups and the cluster table"),
    (BREAST_RGB, "Breast region searched"),
)


def _report_table(table: ResultTable, title: str, **layout) -> ReportTable:
    return ReportTable(
        title, tuple(table.columns), tuple(table.rows()), dict(table.descriptions), dict(table.units), **layout
    )


def _facts(analysis: ImageAnalysis, segmentation_note: str) -> tuple:
    facts = [
        ("Calcifications", str(analysis.calcification_count)),
        ("Total calcified area", f"{float(np.sum(analysis.measurements.area_mm2)):.2f} mm²"),
        (f"Clusters ({CLUSTER_RULE_TEXT})", str(analysis.cluster_count)),
        ("Vascular calcifications (benign, not in clusters)", str(analysis.vascular_count)),
        ("Pixel spacing", f"{analysis.spacing_mm[0]:.3f} × {analysis.spacing_mm[1]:.3f} mm"),
    ]
    if analysis.breast_area_cm2 is not None:
        facts.append(("Breast area searched", f"{analysis.breast_area_cm2:.1f} cm²"))
    if segmentation_note:
        facts.append(("Segmentation", segmentation_note))
    return tuple(facts)


def cluster_caption(analysis: ImageAnalysis, cluster) -> str:
    """The close-up's caption. Its area is the calcified area of the cluster's members (a part of the image's total
    calcified area, shown among the facts); the region the cluster spans (``area_mm2`` of the cluster table, the
    dilated domain of Tong et al.) is named as such, since it is mostly tissue between the calcifications."""
    members = np.asarray(analysis.measurements.cluster_id) == cluster.cluster_id
    calcified = float(np.sum(np.asarray(analysis.measurements.area_mm2)[members]))
    return (
        f"Cluster {cluster.cluster_id}: {cluster.count} calcifications, calcified area {calcified:.2f} mm² "
        f"(in a region of {cluster.area_mm2:.1f} mm²), {cluster.shape.value}"
    )


def _cluster_crops(pixels: np.ndarray, analysis: ImageAnalysis, breast: Optional[np.ndarray]) -> tuple:
    """Close-ups in cluster-number order, all at one magnification and one grey scale."""
    boxes = cluster_boxes(analysis)[:MAX_CLUSTER_CROPS]
    geometry = close_up_geometry(boxes, analysis.spacing_mm)
    window = display_window(pixels, breast)
    crops = []
    for cluster, box in zip(analysis.clusters.clusters[:MAX_CLUSTER_CROPS], boxes, strict=True):
        picture = cluster_close_up(
            pixels,
            analysis.labels,
            box,
            cluster.cluster_id,
            analysis.spacing_mm,
            geometry,
            vascular=analysis.vascular_labels,
            window=window,
            member_labels=cluster.member_labels,
        )
        crops.append((cluster_caption(analysis, cluster), palette_png_data_uri(picture)))
    return tuple(crops), geometry


def _crops_note(analysis: ImageAnalysis, geometry) -> str:
    shown = min(analysis.cluster_count, MAX_CLUSTER_CROPS)
    more = f" (the first {shown} of {analysis.cluster_count})" if analysis.cluster_count > shown else ""
    native = "native resolution" if geometry.zoom == 1 else f"{geometry.zoom} screen pixels per image pixel"
    return (
        f"In cluster-number order{more}, all at the same magnification ({geometry.field_mm:.1f} mm across, {native}, "
        "bar = 1 mm). Outlines are drawn just outside each calcification: yellow for the cluster's, cyan for "
        "calcifications outside it, red for vascular ones."
    )


def _calcification_rows(table: ResultTable, spacing_mm) -> tuple:
    """Rows with the shape measures of 1-2 pixel objects, and the cluster of calcifications in none (-1 in the CSV),
    replaced by None (shown as a dash)."""
    columns = list(table.columns)
    area, cluster = columns.index("area_mm2"), columns.index("cluster_id")
    shape = [columns.index(c) for c in SHAPE_COLUMNS]
    pixel_mm2 = float(spacing_mm[0]) * float(spacing_mm[1])
    rows = []
    for row in table.rows():
        shapeless = row[area] / pixel_mm2 < MAX_SHAPELESS_PIXELS + 0.5
        rows.append(
            tuple(None if (shapeless and i in shape) or (i == cluster and v < 0) else v for i, v in enumerate(row))
        )
    return tuple(rows)


def _tables(analysis: ImageAnalysis) -> tuple:
    features = image_feature_table(analysis)
    feature_rows = tuple(
        (name, round(value) if name in INTENSITY_FEATURES or float(value).is_integer() else value, text)
        for name, value, text in features.rows()
    )
    calcifications = calcification_table(analysis)
    return (
        _report_table(cluster_table(analysis), "Cluster table"),
        ReportTable(
            "Calcification table",
            tuple(calcifications.columns),
            _calcification_rows(calcifications, analysis.spacing_mm),
            dict(calcifications.descriptions),
            dict(calcifications.units),
            main_columns=MAIN_CALCIFICATION_COLUMNS,
        ),
        ReportTable(
            "Image features (Tong et al. 2024)",
            tuple(features.columns),
            feature_rows,
            dict(features.descriptions),
            text_columns=("description",),
        ),
    )


def numbered_overview(
    pixels: np.ndarray,
    analysis: ImageAnalysis,
    breast: Optional[np.ndarray],
    max_size_px: int = OVERVIEW_SIZE_PX,
    crop: Optional[tuple[slice, slice]] = None,
) -> np.ndarray:
    """The mammogram with outlines and the numbered cluster boxes, as in the report and ``<name>.overlay.png``.

    ``crop`` (rows, cols) draws that part of the image only (see :func:`breast_crop_of`); the whole image when None.

    Returns
    -------
    np.ndarray, uint8 (rows / f, cols / f, 3), the longest side at most ``max_size_px``
    """
    rows, cols = crop or (slice(0, pixels.shape[0]), slice(0, pixels.shape[1]))
    vascular = analysis.vascular_labels
    return overview_picture(
        pixels[rows, cols],
        analysis.labels[rows, cols],
        None if breast is None else breast[rows, cols],
        [
            (r0 - rows.start, c0 - cols.start, r1 - rows.start, c1 - cols.start)
            for r0, c0, r1, c1 in cluster_boxes(analysis)
        ],
        max_size_px=max_size_px,
        vascular=None if vascular is None else vascular[rows, cols],
        numbers=[c.cluster_id for c in analysis.clusters.clusters],
    )


def breast_crop_of(analysis: ImageAnalysis, breast: Optional[np.ndarray]) -> tuple[slice, slice]:
    """The report pictures' part of the image: the breast and every calcification, with :data:`BREAST_MARGIN_MM`
    around them (no background, no film label)."""
    margin_px = int(round(BREAST_MARGIN_MM / min(analysis.spacing_mm)))
    return breast_crop(analysis.labels.shape, breast, (analysis.labels, analysis.vascular_labels), margin_px)


def _overview_pictures(pixels: np.ndarray, analysis: ImageAnalysis, breast: Optional[np.ndarray]) -> dict:
    """The page's picture of the breast and the full-size one a click opens, each embedded once (one picture when
    the breast is small enough to be shown whole on the page)."""
    crop = breast_crop_of(analysis, breast)
    full = numbered_overview(pixels, analysis, breast, FULL_SIZE_MAX_PX, crop)
    scale = full.shape[0] / (crop[0].stop - crop[0].start)
    if max(full.shape[:2]) <= OVERVIEW_SIZE_PX:  # the page's picture is the full-size one
        return {"overview_uri": palette_png_data_uri(full), "full_size_scale": scale}
    shown = numbered_overview(pixels, analysis, breast, OVERVIEW_SIZE_PX, crop)
    return {
        "overview_uri": palette_png_data_uri(shown),
        "full_size_uri": palette_png_data_uri(full),
        "full_size_scale": scale,
    }


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
    outlines and numbered cluster boxes, a close-up per cluster, and the three tables.

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
        Drawn as the breast boundary; sets the grey scale of the close-ups.
    segmentation_note : str
        How the calcifications were found (method, model), shown among the facts.
    extra_warnings : tuple of str
        E.g. the segmentation model's synthetic-training warning.
    """
    warnings = [RESEARCH_USE_WARNING, *extra_warnings]
    if malignancy is not None and malignancy.warning:
        warnings.append(malignancy.warning)
    crops, geometry = _cluster_crops(pixels, analysis, breast)
    return ReportContent(
        title=title,
        probability=None if malignancy is None else malignancy.probability,
        classifier_summary="No classifier was used." if malignancy is None else malignancy.classifier_summary(),
        facts=_facts(analysis, segmentation_note),
        warnings=tuple(dict.fromkeys(warnings)),
        **_overview_pictures(pixels, analysis, breast),
        cluster_crops=crops,
        tables=_tables(analysis),
        probability_secondary=malignancy is not None and bool(malignancy.warning),
        crops_note=_crops_note(analysis, geometry) if crops else "",
        legend=LEGEND,
    )
