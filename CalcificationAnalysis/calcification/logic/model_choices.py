"""What the panel's model and classifier lists show: names, one-line labels, card summaries and warnings.

Kept out of the Slicer module file so that the wording (in particular the synthetic-data warning, which must never
be lost) is tested without Slicer.
"""

from __future__ import annotations

from typing import Optional

from ..core.errors import InputError

#: Shown for every model or classifier whose card says it was trained on synthetic data only.
SYNTHETIC_WARNING = (
    "Trained on synthetic mammograms only: not validated on real patients' images. Check every result; "
    "train a model on your own annotated mammograms (CalcificationTraining) before relying on it."
)


def _default_model_name() -> str:
    from ..core.models.preferred_model import preferred_model
    from ..core.segmentation.network_method import DEFAULT_MODEL_NAME

    return preferred_model() or DEFAULT_MODEL_NAME


def model_choices() -> list[tuple[str, str]]:
    """(name, label) of every segmentation model found, the one used by default first.

    The label carries "(default)" and "(synthetic data)" so that the choice is informed before anything runs.
    """
    from ..core.models.model_store import list_models

    default = _default_model_name()
    entries = sorted(list_models(), key=lambda entry: entry.name != default)
    choices = []
    for entry in entries:
        tags = [
            tag
            for tag, on in (("default", entry.name == default), ("synthetic data", entry.card.synthetic_training))
            if on
        ]
        choices.append((entry.name, entry.name + (f" ({', '.join(tags)})" if tags else "")))
    return choices


def model_description(name: Optional[str]) -> tuple[str, str]:
    """(summary, warning) of the model ``name`` (the default when None or empty).

    The summary names the architecture, spacing, number of folds, what it was trained on and its mean validation
    Dice; the warning is :data:`SYNTHETIC_WARNING` for synthetic-trained models, else empty. An unknown or damaged
    model gives its error message as the warning, so the panel shows why it cannot be used.
    """
    from ..core.models.model_store import read_card, resolve_model_folder

    try:
        card = read_card(resolve_model_folder(name or _default_model_name()))
    except InputError as error:
        return "", str(error)
    parts = [f"{card.architecture} at {card.spacing_mm:g} mm, {len(card.folds)} fold(s)"]
    if "mean_validation_dice" in card.metrics:
        parts.append(f"mean validation Dice {card.metrics['mean_validation_dice']:.3f}")
    if card.trained_on:
        parts.append(f"trained on {card.trained_on}")
    return "; ".join(parts) + ".", SYNTHETIC_WARNING if card.synthetic_training else ""


def classifier_choices() -> list[tuple[str, str]]:
    """(name, label) of every benign/malignant classifier found, the shipped default first."""
    from ..core.classification.classifier_store import DEFAULT_CLASSIFIER_NAME, list_classifiers

    entries = sorted(list_classifiers(), key=lambda entry: entry.name != DEFAULT_CLASSIFIER_NAME)
    choices = []
    for entry in entries:
        tags = [entry.card.algorithm]
        if entry.card.synthetic_training:
            tags.append("synthetic data")
        choices.append((entry.name, f"{entry.name} ({', '.join(tags)})"))
    return choices
