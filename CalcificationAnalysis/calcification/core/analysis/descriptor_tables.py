"""The BI-RADS findings of an analysed image and the sources of the likelihood figures, as result tables for the
report (and for anyone who wants them as plain columns)."""

from __future__ import annotations

import numpy as np

from ..birads.ppv_table import source_rows
from .image_analysis import ImageAnalysis
from .result_tables import ResultTable

#: Findings-table columns: (name, description).
FINDING_COLUMNS = (
    ("finding", "Finding number (by decreasing likelihood of malignancy)"),
    ("calcifications", "Number of calcifications in the finding"),
    ("clusters", "Product clusters (Tong et al.) inside the finding"),
    ("morphology", "BI-RADS morphology, dominant over the finding's calcifications"),
    ("morphology_runner_up", "The morphology the measurements came closest to instead"),
    ("morphology_evidence", "Measured values (medians over the calcifications) and the cuts they were tested against"),
    ("distribution", "BI-RADS distribution"),
    ("distribution_runner_up", "The distribution the geometry came closest to instead"),
    ("distribution_evidence", "Measured geometry of the finding's calcification centres"),
    ("birads", "Suggested BI-RADS assessment category (a suggestion for the radiologist, not a diagnosis)"),
    ("likelihood", "Likelihood of malignancy and where the figure comes from"),
)
TEXT_COLUMNS = ("morphology_evidence", "distribution_evidence", "likelihood")


def findings_table(analysis: ImageAnalysis) -> ResultTable:
    """One row per BI-RADS finding of ``analysis.description`` (no rows without a description)."""
    findings = () if analysis.description is None else analysis.description.findings
    rows = [
        (
            f.finding_id,
            f.count,
            ", ".join(str(c) for c in f.cluster_ids) or "-",
            f.morphology.morphology.value,
            f.morphology.runner_up.value if f.morphology.runner_up else "-",
            f.morphology.evidence,
            f.distribution.distribution.value,
            f.distribution.runner_up.value if f.distribution.runner_up else "-",
            f.distribution.evidence,
            f.assessment.category.label,
            f.assessment.figure_text,
        )
        for f in findings
    ]
    names = [name for name, _ in FINDING_COLUMNS]
    columns = {
        name: np.array([row[i] for row in rows], dtype=np.int64 if i < 2 else str)
        if rows
        else np.zeros(0, dtype=np.int64 if i < 2 else str)
        for i, name in enumerate(names)
    }
    return ResultTable("findings", columns, dict(FINDING_COLUMNS))


def sources_table() -> ResultTable:
    """The published figures the likelihood rests on, with their kind and source."""
    rows = source_rows()
    names = ("descriptor", "figure", "kind", "source")
    columns = {name: np.array([row[i] for row in rows], dtype=str) for i, name in enumerate(names)}
    descriptions = {
        "descriptor": "BI-RADS descriptor or assessment category",
        "figure": "Positive predictive value, or the category's likelihood range",
        "kind": "Study value, BI-RADS Atlas approximate value, or category range",
        "source": "Where the figure comes from",
    }
    return ResultTable("likelihood sources", columns, descriptions)
