"""From a calcification mask to what a radiologist reads: measurements, clusters, the image feature vector, the
malignancy probability, the result tables and the report content.

Typical use::

    analysis = analyze_mask(mammogram.pixels, mask, mammogram.spacing_mm, breast)
    malignancy = judge_malignancy(analysis.features, load_classifier(DEFAULT_CLASSIFIER_NAME))

Modules: :mod:`.image_analysis` (features of one image), :mod:`.malignancy` (classifier probability with its card),
:mod:`.result_tables` (the three tables with descriptions and units), :mod:`.report_content` (the HTML report's
content).
"""

from .image_analysis import ImageAnalysis, analyze_mask, label_calcifications
from .malignancy import MalignancyResult, judge_malignancy

__all__ = ["ImageAnalysis", "MalignancyResult", "analyze_mask", "judge_malignancy", "label_calcifications"]
