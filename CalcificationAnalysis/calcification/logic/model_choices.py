"""What the panels' lists show and how their settings become library choices: segmentation methods (from the
method registry), models, classifiers, network presets and classifier algorithms; card summaries and warnings.

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


def model_choices() -> list[tuple[str, str]]:
    """(name, label) of every segmentation model found, the one used by default first.

    The label carries "(default)" and "(synthetic data)" so that the choice is informed before anything runs.
    """
    from ..core.models.model_store import list_models
    from ..core.segmentation.network_method import default_model_name

    default = default_model_name()
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
    from ..core.segmentation.network_method import default_model_name

    try:
        card = read_card(resolve_model_folder(name or default_model_name()))
    except InputError as error:
        return "", str(error)
    parts = [f"{card.architecture} at {card.spacing_mm:g} mm, {len(card.folds)} fold(s)"]
    if "mean_validation_dice" in card.metrics:
        parts.append(f"mean validation Dice {card.metrics['mean_validation_dice']:.3f}")
    if card.trained_on:
        parts.append(f"trained on {card.trained_on}")
    return "; ".join(parts) + ".", SYNTHETIC_WARNING if card.synthetic_training else ""


def filter_summary(card) -> str:
    """One line on a candidate filter card: name, threshold, what it was trained on and its cross-validated ROC AUC
    (what ``calcification models`` prints and the panel shows for the ``hdog_filtered`` method)."""
    parts = [f"{card.name}: Hessian-DoG candidate filter, kept at probability >= {card.threshold:g}"]
    auc = card.metrics.get("cross_validation", {}).get("roc_auc")
    if auc is not None:
        parts.append(f"cross-validated ROC AUC {float(auc):.3f}")
    parts.append("synthetic training data only" if card.synthetic_training else f"trained on {card.trained_on}")
    return "; ".join(parts) + "."


def method_model_description(method: str, model: Optional[str] = None) -> tuple[str, str]:
    """(summary, warning) of the trained part ``method`` runs: the network model ``model`` (the default when empty)
    for network methods, the shipped candidate filter for ``hdog_filtered``, ("", "") for methods without one."""
    from ..core.candidates.candidate_filter import read_filter_card
    from ..core.segmentation import ModelKind, method_spec

    try:
        kind = method_spec(method).model_kind
    except InputError as error:
        return "", str(error)
    if kind is ModelKind.NETWORK:
        return model_description(model)
    if kind is ModelKind.CANDIDATE_FILTER:
        try:
            card = read_filter_card(None)
        except InputError as error:
            return "", str(error)
        return filter_summary(card), SYNTHETIC_WARNING if card.synthetic_training else ""
    return "", ""


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


def method_choices() -> list[tuple[str, str]]:
    """(name, label) of every segmentation method of the registry, the default first."""
    from ..core.segmentation import DEFAULT_METHOD, available_methods

    methods = sorted(available_methods(), key=lambda spec: spec.name != DEFAULT_METHOD)
    return [(spec.name, spec.label) for spec in methods]


def method_uses_network_model(method: str) -> bool:
    """True when ``method`` (any accepted name) runs the network the model list chooses; False for unknown names."""
    from ..core.segmentation import ModelKind, method_spec

    try:
        return method_spec(method).model_kind is ModelKind.NETWORK
    except InputError:
        return False


def method_needs_torch(method: str) -> bool:
    """True when running ``method`` imports PyTorch (True for unknown names: the run will say what is wrong)."""
    from ..core.segmentation import method_spec

    try:
        return method_spec(method).needs_torch
    except InputError:
        return True


def panel_segmenter_choice(method: Optional[str], model: Optional[str], threshold: Optional[float], device: str):
    """The :class:`~calcification.core.segmentation.SegmenterChoice` of a panel's settings (the default method when
    ``method`` is empty); settings the method does not take are left out."""
    from ..core.segmentation import DEFAULT_METHOD, SegmenterChoice

    return SegmenterChoice.from_settings(method or DEFAULT_METHOD, model or None, threshold, device or "auto")


def network_preset_choices() -> list[str]:
    """Names of the network configurations ``train-segmenter --preset`` accepts, the CPU-sized default first."""
    from ..core.networks.factory import PRESETS

    return sorted(PRESETS, key=lambda name: name != "pro_unext_cpu")


def initial_model_choices() -> list[str]:
    """Names of the models a training can start from (``train-segmenter --init-model``), shipped ones first."""
    from ..core.models.model_store import list_models

    return [entry.name for entry in list_models()]


def classifier_algorithm_choices() -> list[tuple[str, str]]:
    """(name, label) of the classifier algorithms, the default (AdaBoost, the paper's best) first."""
    from ..core.classification.algorithms import ALL_ALGORITHMS, DEFAULT_ALGORITHM

    ordered = sorted(ALL_ALGORITHMS, key=lambda algorithm: algorithm is not DEFAULT_ALGORITHM)
    return [(algorithm.value, algorithm.display_name) for algorithm in ordered]


def use_model_for_analysis(name_or_folder, models_dir=None) -> Optional[str]:
    """Make a model the default of the analysis (its card must load); returns what was stored
    (:func:`~calcification.core.models.preferred_model.set_preferred_model`)."""
    from ..core.models.preferred_model import set_preferred_model

    return set_preferred_model(name_or_folder, models_dir)
