"""ONNX graphs of a model's fold ensemble, derived from its PyTorch weights and kept in the user's cache folder.

The PyTorch weights, their model card and checksums stay the model's source of truth; a graph is never shipped.
It is traced from :class:`~.fold_ensemble.FoldEnsemble` the first time an engine needs it, written atomically into
``<cache>/graphs/<key>/ensemble.onnx`` and reused while the key matches. The key hashes the weights' SHA-256s from
the model card, the architecture and its arguments, the tile shape (tracing fixes the shape-dependent branches of
the network, so each tile shape has its own graph), the PyTorch version and :data:`GRAPH_FORMAT`: new weights or a
new exporter give a new graph, never a stale one.

Before an engine's session is used, its outputs on fixed inputs are compared with PyTorch's
(:func:`verify_against_pytorch`); the result is recorded beside the graph per engine and engine version, so the
check costs once, not once per run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from pathlib import Path

import numpy as np

from ..models.model_store import LoadedModel

CACHE_ENV = "CALCIFICATION_CACHE_DIR"

#: Bump when the exported graph's content changes (inputs, outputs, opset), so older cached graphs are not reused.
GRAPH_FORMAT = "fold-ensemble-onnx-1"
OPSET = 17

#: Largest |difference| of the probability or the fold spread, against PyTorch on the fixed inputs, that an engine
#: may show. Float32 engines reorder sums and fuse layers (about 1e-5 to 1e-4 on the shipped model); a difference
#: this large would move objects at the 0.5 threshold.
VERIFY_TOLERANCE = 1e-3


def cache_root() -> Path:
    """``$CALCIFICATION_CACHE_DIR``, else ``$XDG_CACHE_HOME/calcification``, else ``~/.cache/calcification``."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "calcification"


def graph_key(model: LoadedModel, tile_shape: tuple[int, int]) -> str | None:
    """Hex key of the graph for ``model`` at ``tile_shape``; None when the card carries no weight checksums."""
    import torch

    card = model.card
    digests = [fold.sha256 for fold in card.folds]
    if not digests or len(digests) != len(model.networks):
        return None
    description = {
        "format": GRAPH_FORMAT,
        "weights": digests,
        "architecture": card.architecture,
        "arguments": card.architecture_kwargs,
        "tile": list(tile_shape),
        "torch": torch.__version__,
    }
    return hashlib.sha256(json.dumps(description, sort_keys=True, default=str).encode()).hexdigest()[:32]


def fixed_inputs(tile_shape: tuple[int, int]) -> np.ndarray:
    """The verification batch (2, 1, rows, cols) float32: seeded noise in [0, 1], and a smooth background with
    bright spots (so the outputs cover low and high probabilities)."""
    rng = np.random.default_rng(20240613)
    rows, cols = tile_shape
    noise = rng.random((rows, cols), dtype=np.float32)
    rr, cc = np.mgrid[0:rows, 0:cols].astype(np.float32)
    smooth = 0.3 + 0.2 * np.sin(rr / 37.0) * np.cos(cc / 53.0)
    for r, c in rng.integers(0, (rows, cols), size=(40, 2)):
        smooth += 0.6 * np.exp(-((rr - r) ** 2 + (cc - c) ** 2) / 4.0)
    return np.stack([noise, smooth])[:, None].astype(np.float32)


def exported_graph(model: LoadedModel, tile_shape: tuple[int, int]) -> Path | None:
    """Path of the model's ONNX graph for ``tile_shape``, exported into the cache on first use; None when the model
    has no weight checksums or the export or the write fails (the caller then keeps PyTorch)."""
    key = graph_key(model, tile_shape)
    if key is None:
        return None
    path = cache_root() / "graphs" / key / "ensemble.onnx"
    if path.is_file():
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _export(model, tile_shape, path)
    except Exception as exc:  # noqa: BLE001 - any exporter or disk failure means: run PyTorch instead
        warnings.warn(f"Could not prepare a faster inference graph ({exc}); using PyTorch.", RuntimeWarning, 2)
        return None
    return path


def _export(model: LoadedModel, tile_shape: tuple[int, int], path: Path) -> None:
    import torch

    from .fold_ensemble import FoldEnsemble

    ensemble = FoldEnsemble([network.to("cpu").eval() for network in model.networks]).eval()
    example = torch.from_numpy(fixed_inputs(tile_shape))
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # tracer and deprecation warnings: the verification is the real check
            torch.onnx.export(
                ensemble,
                (example,),
                str(temporary),
                dynamo=False,
                opset_version=OPSET,
                input_names=["tiles"],
                output_names=["maps"],
                dynamic_axes={"tiles": {0: "batch"}, "maps": {0: "batch"}},
            )
        os.replace(temporary, path)  # a cache entry is complete or absent; concurrent writers write the same bytes
    finally:
        temporary.unlink(missing_ok=True)


def verify_against_pytorch(
    model: LoadedModel, graph: Path, tile_shape: tuple[int, int], engine: str, version: str, predict
) -> float | None:
    """Largest |difference| between ``predict`` (an engine session on ``graph``) and PyTorch on
    :func:`fixed_inputs`; None when it exceeds :data:`VERIFY_TOLERANCE`. A passing result is recorded beside the
    graph for this engine and version and read back on later calls instead of recomputing."""
    record = graph.with_name(f"verified-{engine}-{re.sub(r'[^A-Za-z0-9.]+', '_', version)}.json")
    if record.is_file():
        try:
            return float(json.loads(record.read_text())["max_abs_difference"])
        except (ValueError, KeyError, OSError):
            pass  # damaged record: verify again
    import torch

    from .fold_ensemble import FoldEnsemble

    tiles = fixed_inputs(tile_shape)
    with torch.inference_mode():
        expected = FoldEnsemble([network.to("cpu").eval() for network in model.networks])(torch.from_numpy(tiles))
    difference = float(np.abs(np.asarray(predict(tiles), np.float32) - expected.numpy()).max())
    if not difference <= VERIFY_TOLERANCE:
        return None
    try:
        temporary = record.with_name(f".{record.name}.{os.getpid()}.partial")
        temporary.write_text(json.dumps({"max_abs_difference": difference, "tolerance": VERIFY_TOLERANCE}))
        os.replace(temporary, record)
    except OSError:
        pass  # read-only cache: the check simply runs again next time
    return difference
