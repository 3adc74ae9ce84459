"""Start a training from a trained model's weights instead of random ones: fine-tuning.

The shipped model learned calcification shapes from synthetic mammograms only (see the models README); fine-tuning it
on a site's own annotated images keeps what it learned while the new images teach it the site's real tissue, film
grain or detector noise. Fold k of the new run starts from fold k of the model, cycling when the model has fewer
folds, so a fine-tuned ensemble is still an ensemble of different networks.
"""

from __future__ import annotations

from ..errors import InputError
from ..models.model_card import NormalisationSpec
from .training_config import TrainingConfig


def check_initial_model(config: TrainingConfig, normalisation: NormalisationSpec):
    """Load ``config.init_model`` and check it can start this training; returns the :class:`LoadedModel`.

    Raises
    ------
    InputError
        The model cannot be found or loaded, or it works at another pixel spacing, another intensity normalisation
        or with another network than ``config.preset`` builds (its weights would not fit or not mean the same).
    """
    from ..models.model_store import load_model
    from ..networks.factory import build_preset

    model = load_model(config.init_model)
    card = model.card
    if abs(card.spacing_mm - config.spacing_mm) > 1e-9:
        raise InputError(
            f"The model {card.name!r} works at {card.spacing_mm:g} mm per pixel, this training at "
            f"{config.spacing_mm:g} mm; it cannot start from that model."
        )
    if card.normalisation != normalisation:
        raise InputError(
            f"The model {card.name!r} normalises intensities as {card.normalisation}, this training as "
            f"{normalisation}; it cannot start from that model."
        )
    try:
        build_preset(config.preset).load_state_dict(model.networks[0].state_dict())
    except RuntimeError as exc:  # torch lists every missing, unexpected or mis-shaped tensor
        raise InputError(
            f"The model {card.name!r} is a {card.architecture} network with {card.architecture_kwargs}; the preset "
            f"{config.preset!r} builds a different one. Train with the preset that matches the model."
        ) from exc
    return model


def initial_state(config: TrainingConfig, fold: int) -> dict:
    """The state_dict fold ``fold`` starts from: fold ``fold % n`` of ``config.init_model`` (float32 copies).

    The model is loaded again for each fold (checksums verified); its weights are a few MB, and a fold takes minutes.
    """
    from ..models.model_store import load_model

    model = load_model(config.init_model)
    network = model.networks[fold % len(model.networks)]
    return {name: tensor.detach().clone() for name, tensor in network.state_dict().items()}
