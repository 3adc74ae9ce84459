"""The one check of an instance label image (0 background, one positive integer per calcification) that the
per-calcification measurements and the clusters both take."""

from __future__ import annotations

import numpy as np

from ..errors import InputError


def validate_instance_labels(labels) -> np.ndarray:
    """``labels`` as an array after checking it is an integer instance map without negative labels.

    The shape is checked by the caller (each states what it needs); this is the part both share.

    Raises
    ------
    InputError
        Non-integer labels (a mask or a probability map passed by mistake) or negative labels.
    """
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise InputError(
            f"The labels have type {labels.dtype}; expected an integer instance map (0 background, 1..n one per "
            "calcification). Label a mask with scipy.ndimage.label first."
        )
    if labels.size and labels.min() < 0:
        raise InputError("The label image has negative labels; use 0 for background and 1..n for calcifications.")
    return labels
