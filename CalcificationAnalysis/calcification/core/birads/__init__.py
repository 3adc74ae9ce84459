"""BI-RADS (5th edition) description of calcifications from measured shapes and positions: morphology per
calcification and per finding, distribution per finding, and a suggested assessment category with a likelihood of
malignancy from published positive predictive values.

Typical use::

    description = describe_calcifications(image, analysis.labels, analysis.measurements, breast)
    print(description.headline())  # "Fine pleomorphic, grouped: BI-RADS 4B suggested (PPV about 29%, ...)"

Modules: :mod:`.vocabulary` (the words), :mod:`.shape_measures` (skeleton, width, lucency, orientation),
:mod:`.morphology`, :mod:`.distribution`, :mod:`.nipple`, :mod:`.ppv_table` (the published figures and their
sources), :mod:`.assessment`, :mod:`.description` (the one call).
"""

from .assessment import Assessment, assess
from .description import DESCRIPTOR_NOTE, Finding, ImageDescription, describe_calcifications
from .vocabulary import Category, Distribution, Morphology

__all__ = [
    "DESCRIPTOR_NOTE",
    "Assessment",
    "Category",
    "Distribution",
    "Finding",
    "ImageDescription",
    "Morphology",
    "assess",
    "describe_calcifications",
]
