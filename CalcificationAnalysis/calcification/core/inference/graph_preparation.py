"""Export and check a model's ONNX graph ahead of time, and record its checksum on the model card.

The graph is not shipped (the shipped ensemble's graph is 17 MB; the repository's weights budget is 20 MB, 14 MB
used): ``make install`` (``calcification prepare``) builds it from the shipped PyTorch weights into the user's cache
(:func:`~.exported_graphs.cache_root`), where the engines look for it, and checks it against PyTorch with ONNX
Runtime, so the first analysis on a new machine neither exports nor imports PyTorch. The export is deterministic for
one PyTorch version (three exports of the shipped model gave the same bytes), so the model card can list the graph's
SHA-256 (:func:`record_on_card`, run by ``make onnx`` whenever the weights change); a cached graph of the same key
that differs from it is exported again (:func:`~.exported_graphs.exported_graph`).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from ..checksums import sha256_of
from ..errors import InputError
from ..models.model_card import CARD_FILE_NAME
from ..models.model_store import LoadedModel
from .exported_graphs import card_digest, exported_graph, graph_key, tile_name, torch_version, verify_against_pytorch
from .tiling import TilingConfig


@dataclass(frozen=True)
class PreparedGraph:
    """A graph in the cache that ONNX Runtime reproduces PyTorch with.

    ``path``; ``entry``: the model card's record of it (``key``, ``sha256``, ``torch``, ``max_abs_difference``);
    ``card_sha256``: the SHA-256 the card lists for this key (None when it lists none).
    """

    path: Path
    entry: dict
    card_sha256: str | None

    @property
    def matches_card(self) -> bool:
        return self.card_sha256 == self.entry["sha256"]


def default_tile_shape() -> tuple[int, int]:
    """The tile shape of the default tiling (the one every full mammogram is predicted with)."""
    size = TilingConfig().tile_size
    return (size, size)


def prepare_graph(model: LoadedModel, tile_shape: tuple[int, int] | None = None) -> PreparedGraph:
    """Export ``model``'s graph for ``tile_shape`` (default :func:`default_tile_shape`) into the cache when it is
    not there, and check it with ONNX Runtime against PyTorch (once per graph and engine version).

    Raises
    ------
    InputError
        The card has no weight checksums, the export failed, or ONNX Runtime does not reproduce PyTorch.
    """
    from .engines import _onnxruntime_session

    tile_shape = tuple(tile_shape or default_tile_shape())
    path = exported_graph(model, tile_shape)
    if path is None:
        raise InputError(f"The ONNX graph of {model.card.name!r} could not be made (see the warning above).")
    try:
        session, version = _onnxruntime_session(path)
    except Exception as exc:  # noqa: BLE001 - ONNX Runtime raises its own types for an unreadable graph
        raise InputError(f"ONNX Runtime cannot read {path} ({exc}); delete that folder and run again.") from exc
    difference = verify_against_pytorch(model, path, tile_shape, "onnxruntime", version, session)
    if difference is None:
        raise InputError(f"ONNX Runtime does not reproduce PyTorch on the graph of {model.card.name!r}.")
    entry = {
        "key": graph_key(model, tile_shape),
        "sha256": sha256_of(path),
        "torch": torch_version(),
        "max_abs_difference": difference,
    }
    return PreparedGraph(path, entry, card_digest(model, tile_shape))


def record_on_card(model: LoadedModel, prepared: PreparedGraph, tile_shape: tuple[int, int] | None = None) -> Path:
    """Write ``prepared``'s entry into the model card of ``model`` (atomically); returns the card's path."""
    tile_shape = tuple(tile_shape or default_tile_shape())
    graphs = {**model.card.onnx_graphs, tile_name(tile_shape): prepared.entry}
    card = dataclasses.replace(model.card, onnx_graphs=graphs)
    path = model.folder / CARD_FILE_NAME
    partial = path.with_name(path.name + ".partial")
    partial.write_text(card.to_json(), encoding="utf-8")
    os.replace(partial, path)
    return path
