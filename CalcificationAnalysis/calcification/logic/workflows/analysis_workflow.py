"""Analyse the calcification segment of a mammogram in a scene: measurements, clusters, image features and the
malignancy probability, as table nodes and cluster outlines (the panel's "Analyze" and the console's one call), and
export them as CSV files and an HTML report (also what ``calcification analyze`` writes).

Everything is computed before the scene is touched, so bad input or a missing classifier leaves the scene as it was.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ...core.analysis import ImageAnalysis, MalignancyResult, analyze_mask, judge_malignancy
from ...core.analysis.headline import Headline, choose_headline
from ...core.analysis.report_content import build_report_content
from ...core.analysis.result_tables import ResultTable, calcification_table, cluster_table, image_feature_table
from ...core.classification import DEFAULT_CLASSIFIER_NAME, TrainedClassifier, list_classifiers, load_classifier
from ...core.errors import InputError
from ...core.features import IMAGE_FEATURE_NAMES
from ...core.image import Mammogram
from ...core.masking.breast_mask import compute_breast_mask
from ...core.progress import ProgressCallback, report_progress
from ...core.reporting.csv_cells import SafeDictWriter
from ...core.reporting.html_report import write_html_report
from ...core.reporting.table_files import schema_path_for, write_table_csv
from ..mrml.cluster_markups import add_cluster_outlines
from ..mrml.scene_storage import atomic_destination
from ..mrml.segmentation_nodes import CALCIFICATION_SEGMENT_ID, VASCULAR_SEGMENT_ID, segment_mask
from ..mrml.table_nodes import table_node_from_columns
from ..mrml.volume_nodes import mammogram_from_volume_node

#: Keys of :attr:`AnalysisRun.table_nodes`, in the order the panel offers them.
TABLE_KINDS = ("image", "calcifications", "clusters")
#: Identification columns that precede the features in ``features.csv`` (the ``train-classifier`` input form).
FEATURE_ID_COLUMNS = ("case_id", "patient_id", "laterality", "view")
#: Columns of ``features.csv`` and ``<name>.features.csv``, in the order they are written.
FEATURE_COLUMNS = (*FEATURE_ID_COLUMNS, *IMAGE_FEATURE_NAMES)

ClassifierChoice = Union[None, bool, str, os.PathLike, TrainedClassifier]


@dataclass(frozen=True)
class AnalysisRun:
    """One analysed mammogram: plain-Python results and the MRML nodes that show them.

    Attributes
    ----------
    name : str
        The image's name (file stem or volume node name), used for exported files.
    mammogram : Mammogram
    breast : np.ndarray, bool (rows, cols)
    analysis : ImageAnalysis
        Measurements, clusters, the 35 image features.
    malignancy : MalignancyResult or None
        None when no classifier was used.
    table_nodes : dict str -> vtkMRMLTableNode
        Keys of :data:`TABLE_KINDS`.
    cluster_nodes : tuple of vtkMRMLMarkupsClosedCurveNode
        One outline per cluster.
    segmentation_note : str
        How the calcifications were found, for the report.
    """

    name: str
    mammogram: Mammogram
    breast: np.ndarray
    analysis: ImageAnalysis
    malignancy: Optional[MalignancyResult]
    table_nodes: dict
    cluster_nodes: tuple = ()
    segmentation_note: str = ""

    @property
    def probability(self) -> Optional[float]:
        return None if self.malignancy is None else self.malignancy.probability

    @property
    def calcification_count(self) -> int:
        return self.analysis.calcification_count

    @property
    def image_features(self) -> dict:
        return dict(self.analysis.features)

    @property
    def summary(self) -> str:
        """One line for the panel and the command, in the headline rule's order, e.g. ``"14 calcifications (2.31 mm²)
        in 2 clusters; BI-RADS 4B suggested (fine pleomorphic, grouped); synthetic-trained probability 0.36 (...)"``."""
        top = None if self.analysis.description is None else self.analysis.description.top
        suggestion = (
            "no BI-RADS finding"
            if top is None
            else (
                f"{top.assessment.category.label} suggested ({top.morphology.morphology.value}, "
                f"{top.distribution.distribution.value})"
            )
        )
        if self.malignancy is None:
            return f"{self.analysis.summary()}; {suggestion}; no classifier"
        kind = "synthetic-trained probability" if self.malignancy.card.synthetic_training else "probability"
        classifier = f"{kind} of malignancy {self.malignancy.probability:.2f} ({self.malignancy.classifier_name})"
        if self.headline.descriptor_first:
            return f"{self.analysis.summary()}; {suggestion}; {classifier}"
        return f"{self.analysis.summary()}; {classifier}; {suggestion}"

    @property
    def headline(self) -> Headline:
        """The judgement this image is announced with (:func:`choose_headline`: the BI-RADS suggestion unless the
        classifier was trained on real images) and the other one."""
        return choose_headline(self.analysis.description, self.malignancy)

    def result_text(self) -> str:
        """What a console user reads under Results: the headline (the BI-RADS suggestion unless the classifier was
        trained on real images), the other judgement, the summary, and the classifier's card summary (algorithm,
        calibration, training data, cross-validated AUC) and its warning, one per line."""
        headline = self.headline
        lines = [headline.primary, headline.secondary, self.analysis.summary()]
        if self.malignancy is None:
            lines.append("No classifier installed or chosen: no probability of malignancy.")
        else:
            lines += [self.malignancy.classifier_summary(), self.malignancy.warning]
        return "\n".join(line for line in lines if line)

    def tables(self) -> dict[str, ResultTable]:
        """The three tables as plain columns (what the nodes hold), keyed like :attr:`table_nodes`."""
        return analysis_tables(self.analysis)

    def location_pixel(self, kind: str, row: int) -> Optional[tuple[float, float]]:
        """(row, col) pixel of the calcification or cluster in table row ``row``; None for other tables or rows."""
        if kind == "calcifications" and 0 <= row < len(self.analysis.measurements):
            measurements = self.analysis.measurements
            return float(measurements.centroid_row_px[row]), float(measurements.centroid_col_px[row])
        if kind == "clusters" and 0 <= row < self.analysis.cluster_count:
            cluster = self.analysis.clusters.clusters[row]
            return cluster.centroid_row_px, cluster.centroid_col_px
        return None


def analysis_tables(analysis: ImageAnalysis) -> dict[str, ResultTable]:
    """The image-feature, calcification and cluster tables of ``analysis``, keyed by :data:`TABLE_KINDS`."""
    return {
        "image": image_feature_table(analysis),
        "calcifications": calcification_table(analysis),
        "clusters": cluster_table(analysis),
    }


def resolve_classifier(classifier: ClassifierChoice) -> Optional[TrainedClassifier]:
    """The classifier to use: None -> the shipped default if installed (else none), False -> none, a name or folder
    -> loaded (InputError when it cannot be), a TrainedClassifier -> itself."""
    if classifier is False:
        return None
    if isinstance(classifier, TrainedClassifier):
        return classifier
    if classifier is None:
        if not any(entry.name == DEFAULT_CLASSIFIER_NAME for entry in list_classifiers()):
            return None
        classifier = DEFAULT_CLASSIFIER_NAME
    return load_classifier(classifier)


def analyze_mammogram(
    mammogram: Mammogram,
    mask: np.ndarray,
    classifier: ClassifierChoice = None,
    breast: Optional[np.ndarray] = None,
    vascular_mask: Optional[np.ndarray] = None,
) -> tuple[ImageAnalysis, Optional[MalignancyResult], np.ndarray]:
    """Scene-free core of the analysis: (analysis, malignancy or None, breast mask used). Vascular calcifications
    (``vascular_mask``) are tabled but kept out of clusters, features and so the probability."""
    trained = resolve_classifier(classifier)
    pectoral = None
    if breast is None:
        masks = compute_breast_mask(mammogram.pixels, mammogram.spacing_mm, mammogram.view)
        breast, pectoral = masks.analysable, masks.pectoral
    lateral = mammogram.view.shows_pectoral_muscle
    analysis = analyze_mask(mammogram.pixels, mask, mammogram.spacing_mm, breast, vascular_mask, pectoral, lateral)
    malignancy = None if trained is None else judge_malignancy(analysis.features, trained)
    return analysis, malignancy, breast


def _fill_table_nodes(scene, name: str, tables: dict[str, ResultTable], previous: Optional[dict]) -> dict:
    nodes = {}
    for kind in TABLE_KINDS:
        table = tables[kind]
        node = (previous or {}).get(kind)
        if node is not None and node.GetScene() is not scene:
            node = None  # from a closed scene: make a new one
        nodes[kind] = table_node_from_columns(
            scene, f"{name} {table.name}", table.columns, table.descriptions, table.units, node=node
        )
    return nodes


def analyze_segmentation_node(
    scene,
    volume_node,
    segmentation_node,
    classifier: ClassifierChoice = None,
    progress: ProgressCallback = None,
    table_nodes: Optional[dict] = None,
    segment_id: str = CALCIFICATION_SEGMENT_ID,
    segmentation_note: str = "",
    breast: Optional[np.ndarray] = None,
) -> AnalysisRun:
    """Analyse the calcification segment of ``segmentation_node`` on ``volume_node`` and add the results to
    ``scene``.

    Parameters
    ----------
    scene : vtkMRMLScene
    volume_node : vtkMRMLScalarVolumeNode
        A single-slice mammogram.
    segmentation_node : vtkMRMLSegmentationNode
        Holds the segment ``segment_id`` (by default the product's "Calcification" segment); each 8-connected
        component is one calcification. A "Vascular calcification" segment, when present, is tabled as vascular
        and kept out of clusters, features and the probability.
    classifier : None, False, str, path or TrainedClassifier
        See :func:`resolve_classifier`; None uses the shipped default when it is installed.
    progress : callable, optional
        ``progress(fraction, message) -> bool``.
    table_nodes : dict, optional
        Table nodes of an earlier run (keys of :data:`TABLE_KINDS`) to refill instead of adding new ones.
    segment_id : str
    segmentation_note : str
        How the segment was made, for the report.
    breast : np.ndarray, bool (rows, cols), optional
        The breast region when already known (e.g. from the segmentation); computed from the image otherwise.

    Returns
    -------
    AnalysisRun

    Raises
    ------
    InputError
        No volume or segmentation, a 3D or blank volume, a missing segment, or a classifier that cannot be loaded.
    """
    if segmentation_node is None:
        raise InputError("No segmentation is selected: segment or annotate the mammogram first.")
    mammogram = mammogram_from_volume_node(volume_node)
    if segmentation_node.GetSegmentation().GetSegment(segment_id) is None:
        raise InputError(f"The segmentation '{segmentation_node.GetName()}' has no '{segment_id}' segment to analyse.")
    report_progress(progress, 0.05, "Reading the calcification segment")
    mask = segment_mask(segmentation_node, segment_id, volume_node)
    vascular_id = segmentation_node.GetSegmentation().GetSegmentIdBySegmentName(VASCULAR_SEGMENT_ID)
    vascular = segment_mask(segmentation_node, vascular_id, volume_node) if vascular_id else None
    report_progress(progress, 0.15, "Measuring calcifications and clusters")
    analysis, malignancy, breast = analyze_mammogram(mammogram, mask, classifier, breast, vascular)
    report_progress(progress, 0.9, "Filling the result tables")
    name = volume_node.GetName()
    nodes = _fill_table_nodes(scene, name, analysis_tables(analysis), table_nodes)
    outlines = tuple(add_cluster_outlines(scene, volume_node, analysis))
    run = AnalysisRun(name, mammogram, breast, analysis, malignancy, nodes, outlines, segmentation_note)
    report_progress(progress, 1.0, run.summary)
    return run


def feature_row(run: AnalysisRun, case_id: Optional[str] = None) -> dict:
    """The ``features.csv`` row of ``run``: identification columns, then the 35 features."""
    patient_id = run.mammogram.metadata.get("patient_id", "")
    return image_feature_row(case_id or run.name, patient_id, run.mammogram, run.analysis.features)


def image_feature_row(case_id: str, patient_id: str, mammogram: Mammogram, features) -> dict:
    """A ``features.csv`` row: case and patient id, the mammogram's laterality and view, the features by name."""
    row = {
        "case_id": case_id,
        "patient_id": patient_id,
        "laterality": mammogram.laterality.value,
        "view": mammogram.view.value,
    }
    row.update({name: features[name] for name in IMAGE_FEATURE_NAMES})
    return row


def write_feature_rows(rows: list[dict], path: os.PathLike | str) -> Path:
    """Write feature rows (see :func:`feature_row`) as a CSV, atomically."""
    with atomic_destination(path) as temporary, open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = SafeDictWriter(handle, fieldnames=FEATURE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return Path(path)


def export_analysis(
    run: AnalysisRun, folder: os.PathLike | str, name: Optional[str] = None, extra_warnings: tuple = ()
) -> list[Path]:
    """Write ``<name>.features.csv`` (one row, the ``train-classifier`` form), ``<name>.calcifications.csv`` and
    ``<name>.clusters.csv`` (every digit kept; each with Slicer's ``.schema.csv`` holding types, descriptions and
    units, so Slicer opens them as typed tables) and
    ``<name>.report.html`` into ``folder`` (created when missing); all or nothing.

    Returns
    -------
    list of Path
        Every file written.
    """
    if not folder:
        raise InputError("Choose a folder to export the results to.")
    folder = Path(folder)
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)  # as `calcification analyze --out` does
    except OSError as exc:
        raise InputError(f"Cannot create the export folder {folder}: {exc.strerror or exc}.") from exc
    name = name or run.name
    planned = [
        f"{name}.features.csv",
        f"{name}.calcifications.csv",
        f"{name}.calcifications.schema.csv",
        f"{name}.clusters.csv",
        f"{name}.clusters.schema.csv",
        f"{name}.report.html",
    ]
    existed = {path for path in (folder / file for file in planned) if path.exists()}
    written: list[Path] = []
    try:
        written.append(write_feature_rows([feature_row(run, name)], folder / f"{name}.features.csv"))
        tables = run.tables()
        for kind in ("calcifications", "clusters"):
            table, path = tables[kind], folder / f"{name}.{kind}.csv"
            written += [path, schema_path_for(path)]  # listed first: a failure half way removes both
            write_table_csv(table.columns, path, table.descriptions, table.units)
        content = build_report_content(
            name,
            run.mammogram.pixels,
            run.analysis,
            run.malignancy,
            run.breast,
            run.segmentation_note,
            extra_warnings,
        )
        written.append(write_html_report(content, folder / f"{name}.report.html"))
    except BaseException:
        for path in written:
            if path not in existed:  # an earlier export's file stays; only this run's new files go
                path.unlink(missing_ok=True)
        if created and not any(folder.iterdir()):
            folder.rmdir()
        raise
    return written
