"""ONNX graphs of a model's fold ensemble, derived from its PyTorch weights and kept in the user's cache folder.

The PyTorch weights, their model card and checksums stay the model's source of truth; a graph is never shipped.
It is traced from :class:`~.fold_ensemble.FoldEnsemble` the first time an engine needs it, written atomically into
``<cache>/graphs/<key>/ensemble.onnx`` and reused while the key matches. The key hashes the weights' SHA-256s from
the model card, the architecture and its arguments, the tile shape (tracing fixes the shape-dependent branches of
the network, so each tile shape has its own graph), the PyTorch version and :data:`GRAPH_FORMAT`: new weights or a
new exporter give a new graph, never a stale one.

Before an engine's session is used, its outputs on fixed inputs are compared with PyTorch's
(:func:`verify_against_pytorch`); the result is recorded beside the graph per engine and engine version, with the
graph's SHA-256, so the check costs once, not once per run. A later run reads the record, checks the graph's
SHA-256 against it (and against the model card's, when the card lists a graph of this key) and then needs no PyTorch
at all. :func:`prepare_graph` does the export and the check ahead of time (``make install``), so the first analysis on
a new machine does not export either.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from pathlib import Path

import numpy as np

from ..checksums import sha256_of
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


def torch_version() -> str:
    """The installed PyTorch's version, read from its package metadata (importing PyTorch takes seconds)."""
    from importlib import metadata

    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "none"


def tile_name(tile_shape: tuple[int, int]) -> str:
    """``"512x512"``: how a tile shape is named on the model card."""
    return "x".join(str(int(n)) for n in tile_shape)


def graph_key(model: LoadedModel, tile_shape: tuple[int, int]) -> str | None:
    """Hex key of the graph for ``model`` at ``tile_shape``; None when the card carries no weight checksums."""
    card = model.card
    digests = [fold.sha256 for fold in card.folds]
    if not digests:
        return None
    description = {
        "format": GRAPH_FORMAT,
        "weights": digests,
        "architecture": card.architecture,
        "arguments": card.architecture_kwargs,
        "tile": list(tile_shape),
        "torch": torch_version(),
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
    expected = card_digest(model, tile_shape)
    if path.is_file() and (expected is None or sha256_of(path) == expected):
        return path
    if path.is_file():
        warnings.warn(f"{path} is not the graph its model card lists; exporting it again.", RuntimeWarning, 2)
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


def _recorded_difference(record: Path, digest: str) -> float | None:
    """The difference a verification record holds for a graph of SHA-256 ``digest``; None when there is no such
    record (missing, damaged, or written for other bytes)."""
    try:
        document = json.loads(record.read_text())
        if document["graph_sha256"] == digest:
            return float(document["max_abs_difference"])
    except (ValueError, KeyError, TypeError, OSError):
        pass  # missing or damaged record: verify again
    return None


def card_digest(model: LoadedModel, tile_shape: tuple[int, int]) -> str | None:
    """The SHA-256 the model card lists for the graph of this tile shape, when it lists one of the current key
    (same weights, PyTorch version and graph format); None otherwise."""
    listed = model.card.onnx_graphs.get(tile_name(tile_shape))
    if isinstance(listed, dict) and listed.get("key") == graph_key(model, tile_shape):
        return listed.get("sha256")
    return None


def verify_against_pytorch(
    model: LoadedModel, graph: Path, tile_shape: tuple[int, int], engine: str, version: str, predict
) -> float | None:
    """Largest |difference| between ``predict`` (an engine session on ``graph``) and PyTorch on
    :func:`fixed_inputs`; None when it exceeds :data:`VERIFY_TOLERANCE`. A passing result is recorded beside the
    graph for this engine and version, with the graph's SHA-256, and read back on later calls instead of recomputing
    while the graph still has that SHA-256 and the model card lists no other for this key."""
    record = graph.with_name(f"verified-{engine}-{re.sub(r'[^A-Za-z0-9.]+', '_', version)}.json")
    digest = sha256_of(graph)
    recorded = _recorded_difference(record, digest)
    if recorded is not None:
        return recorded
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
        document = {"max_abs_difference": difference, "tolerance": VERIFY_TOLERANCE, "graph_sha256": digest}
        temporary.write_text(json.dumps(document))
        os.replace(temporary, record)
    except OSError:
        pass  # read-only cache: the check simply runs again next time
    return difference
