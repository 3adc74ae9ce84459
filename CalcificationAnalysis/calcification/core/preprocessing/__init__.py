"""Intensity preprocessing shared by the detectors and the networks."""

from .normalisation import normalise_to_unit

__all__ = ["normalise_to_unit"]
