"""Benign/malignant classifiers as ONNX graphs, run by ONNX Runtime: the analysis path needs no scikit-learn.

The skops file stays the classifier's source of truth (training, evaluation, importance plots read it); the graph
beside it is derived from it with ``skl2onnx`` (the ONNX project's converter for scikit-learn) when the classifier
is saved, and checked there against scikit-learn's own probabilities (:func:`export_classifier_onnx`). Loading a
classifier (:func:`~.classifier_store.load_classifier`) then takes the graph when its card lists one whose SHA-256
matches, and imports neither scikit-learn nor skops.

The graph computes in float32, as ONNX Runtime's ML operators do (its imputer and tree operators have no float64
kernels); scikit-learn's trees compare float32 features too, so the difference comes from the float32 scaler and
sums: about 2e-7 on the shipped classifier's training cases, far inside :data:`ONNX_TOLERANCE`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError

ONNX_FILE_NAME = "classifier.onnx"
#: Largest |probability difference| against scikit-learn that an export may show on its check cases. A decision
#: stump flipped by float32 rounding would move a probability by about 1e-2; sums in float32 move it by about 1e-7.
ONNX_TOLERANCE = 1e-5
_OPSETS = {"": 17, "ai.onnx.ml": 3}


class OnnxClassifier:
    """``predict_proba(X (n, features) float) -> (n, 2) float64`` and ``classes_`` as the scikit-learn model it was
    exported from, run by ONNX Runtime on one thread (a feature row is microseconds of work)."""

    def __init__(self, graph: bytes | Path, classes: tuple[int, ...], n_features: int):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        source = str(graph) if isinstance(graph, Path) else graph
        self._session = onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self.classes_ = np.asarray(classes)
        self.n_features_in_ = int(n_features)

    def predict_proba(self, X) -> np.ndarray:
        matrix = np.ascontiguousarray(np.atleast_2d(np.asarray(X, dtype=np.float32)))
        outputs = self._session.run(None, {self._input: matrix})
        return np.asarray(outputs[1], dtype=np.float64)


def _check_cases(X: np.ndarray) -> np.ndarray:
    """``X`` and a copy with every third value missing, so the imputer's path is compared as well."""
    holes = np.array(X, dtype=np.float64, copy=True)
    holes.ravel()[::3] = np.nan
    return np.concatenate([np.asarray(X, dtype=np.float64), holes])


def _final_estimators(model) -> list:
    """The estimators inside a calibrated pipeline whose raw scores the calibrator maps (skl2onnx must be told to
    give it scores, not probabilities, through the pipeline)."""
    found = []
    for calibrated in getattr(model, "calibrated_classifiers_", ()):
        estimator = calibrated.estimator
        found.append(estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator)
    return found


def export_classifier_onnx(model, X: np.ndarray) -> tuple[bytes, float]:
    """The ONNX graph of a fitted scikit-learn classifier, and its largest |probability difference| from
    ``model.predict_proba`` on ``X`` (and on ``X`` with a third of its values missing).

    Parameters
    ----------
    model : fitted scikit-learn classifier (the product's calibrated pipelines)
    X : (n_cases, n_features) float
        Check cases, e.g. the training features.

    Returns
    -------
    (bytes, float)
        The serialised graph (inputs ``features`` float32 (n, n_features); outputs label and probabilities).

    Raises
    ------
    InputError
        The converter does not support the model, or the difference exceeds :data:`ONNX_TOLERANCE`.
    """
    try:
        from skl2onnx import to_onnx
        from skl2onnx.common.data_types import FloatTensorType
    except ImportError as exc:
        message = f"skl2onnx is not installed ({exc}); the classifier is kept in its scikit-learn form."
        raise InputError(message) from exc

    n_features = int(model.n_features_in_)
    options = {id(model): {"zipmap": False}}
    for estimator in _final_estimators(model):
        if hasattr(estimator, "decision_function"):
            options[id(estimator)] = {"raw_scores": True}  # the calibrator maps decision values, as sklearn's does
    try:
        graph = to_onnx(
            model,
            initial_types=[("features", FloatTensorType([None, n_features]))],
            options=options,
            target_opset=_OPSETS,
        ).SerializeToString()
    except Exception as exc:  # noqa: BLE001 - skl2onnx raises many types for models it cannot convert
        raise InputError(f"This classifier cannot be exported to ONNX ({type(exc).__name__}: {exc}).") from exc
    cases = _check_cases(X)
    runner = OnnxClassifier(graph, tuple(int(c) for c in model.classes_), n_features)
    difference = float(np.abs(runner.predict_proba(cases) - model.predict_proba(cases)).max())
    if not difference <= ONNX_TOLERANCE:
        raise InputError(
            f"The ONNX export of this classifier differs from scikit-learn by {difference:.3g} (tolerance "
            f"{ONNX_TOLERANCE:g}); it is kept in its scikit-learn form only."
        )
    return graph, difference
