"""Seeded synthetic mammograms with calcifications and exact ground truth (Terrassin et al., SPIE Medical Imaging
2024): backgrounds with BI-RADS density, BI-RADS calcification morphologies and distributions, case labels with a
controlled class overlap, and blending into real mammograms.

Public entry points: :func:`generate_case`, :func:`blend_calcifications`, :class:`SynthesisConfig`.
"""

from .blending import blend_calcifications
from .case_generator import generate_case, plan_case
from .config import (
    BreastDensity,
    CaseLabel,
    Distribution,
    ImagingConfig,
    Morphology,
    SynthesisConfig,
)
from .records import CalcificationRecord, CaseRecord, ClusterRecord, SyntheticCase

__all__ = [
    "BreastDensity",
    "CalcificationRecord",
    "CaseLabel",
    "CaseRecord",
    "ClusterRecord",
    "Distribution",
    "ImagingConfig",
    "Morphology",
    "SynthesisConfig",
    "SyntheticCase",
    "blend_calcifications",
    "generate_case",
    "plan_case",
]
