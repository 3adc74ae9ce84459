"""Trained models: model cards (JSON) and the model store (save, find, verify, load)."""
