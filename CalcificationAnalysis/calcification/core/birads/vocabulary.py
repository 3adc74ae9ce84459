"""The BI-RADS (ACR BI-RADS Atlas, 5th edition, 2013) calcification vocabulary the product describes findings in:
morphology (typically benign versus suspicious), distribution, and the assessment categories with the likelihood
of malignancy the Atlas attaches to each.

Only the words the product can assign from measured shapes are listed: skin, suture and dystrophic calcifications
need context (position on the skin line, surgery, trauma) that a segmentation does not give, and milk of calcium
needs the lateral view's "teacup" shape, so the product does not claim them.
"""

from __future__ import annotations

import enum


class Morphology(str, enum.Enum):
    """BI-RADS calcification morphology; the value is the word shown to users."""

    ROUND = "round / punctate"  #: round, smooth; "punctate" when below 0.5 mm
    RIM = "rim"  #: thin calcified shell around a lucent centre (eggshell)
    COARSE_POPCORN = "coarse (popcorn-like)"  #: large (> 2 mm), lobulated: involuting fibroadenoma
    LARGE_ROD = "large rod-like"  #: thick (>= 0.5 mm) smooth rods along ducts: secretory disease
    VASCULAR = "vascular"  #: parallel tracks of calcified vessel walls
    AMORPHOUS = "amorphous"  #: small and hazy, no definable shape
    COARSE_HETEROGENEOUS = "coarse heterogeneous"  #: irregular, 0.5-1 mm, conspicuous
    FINE_PLEOMORPHIC = "fine pleomorphic"  #: varied shapes and sizes, below 0.5 mm
    FINE_LINEAR = "fine linear / fine-linear branching"  #: thin (< 0.5 mm) linear casts, may branch

    @property
    def suspicious(self) -> bool:
        """True for the Atlas's 'suspicious morphology' group."""
        return self in SUSPICIOUS_MORPHOLOGIES


SUSPICIOUS_MORPHOLOGIES = frozenset(
    {Morphology.AMORPHOUS, Morphology.COARSE_HETEROGENEOUS, Morphology.FINE_PLEOMORPHIC, Morphology.FINE_LINEAR}
)


class Distribution(str, enum.Enum):
    """BI-RADS calcification distribution; the value is the word shown to users."""

    DIFFUSE = "diffuse"  #: scattered randomly throughout the breast
    REGIONAL = "regional"  #: a large area (> 2 cm) not following a duct
    GROUPED = "grouped"  #: a few calcifications in a small area (at least 5 within 1 cm, up to 2 cm)
    LINEAR = "linear"  #: in a line: deposits in one duct
    SEGMENTAL = "segmental"  #: a duct and its branches: a wedge pointing to the nipple


class Category(str, enum.Enum):
    """BI-RADS assessment categories a calcification finding can be given (0, 1 and 6 are not suggested: they
    need more images, no finding, or a biopsy result)."""

    BENIGN = "2"
    PROBABLY_BENIGN = "3"
    LOW_SUSPICION = "4A"
    MODERATE_SUSPICION = "4B"
    HIGH_SUSPICION = "4C"
    HIGHLY_SUGGESTIVE = "5"

    @property
    def label(self) -> str:
        """E.g. ``"BI-RADS 4B"``."""
        return f"BI-RADS {self.value}"
