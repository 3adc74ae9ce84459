"""Which inference engine predicts the tiles: the one owner of that choice.

On a CPU the fold ensemble runs fastest as an exported graph in ONNX Runtime or OpenVINO (layer fusion, kernels
tuned for small channel counts; comparison table in ``calcification/models/README.md``). PyTorch stays the source
of truth and the fallback: it runs on a GPU, when neither engine is installed, when the model card has no weight
checksums, and whenever an engine's outputs on fixed inputs differ from PyTorch's by more than
:data:`~.exported_graphs.VERIFY_TOLERANCE` (see :mod:`.exported_graphs`).
"""

from __future__ import annotations

import enum
import warnings
from collections.abc import Callable

import numpy as np

from ..cpu_threads import cpu_threads
from ..models.model_store import LoadedModel


class InferenceEngine(str, enum.Enum):
    """``AUTO``: the first of ONNX Runtime, OpenVINO that is installed and verified, else PyTorch (CPU); PyTorch on
    a GPU. ``PYTORCH`` / ``ONNXRUNTIME`` / ``OPENVINO``: that engine (an unavailable or failing exported engine
    still falls back to PyTorch, with a warning)."""

    AUTO = "auto"
    PYTORCH = "pytorch"
    ONNXRUNTIME = "onnxruntime"
    OPENVINO = "openvino"


#: Order AUTO tries the exported engines in (fastest first on the 2-core benchmark machine).
AUTO_ORDER = (InferenceEngine.ONNXRUNTIME, InferenceEngine.OPENVINO)

Session = Callable[[np.ndarray], np.ndarray]


def _openvino_session(graph) -> tuple[Session, str]:
    import openvino

    from .exported_graphs import cache_root

    config = {
        "INFERENCE_NUM_THREADS": cpu_threads(),
        "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_PRECISION_HINT": "f32",  # bf16 on AVX-512 CPUs moves probabilities by up to 0.2
        "CACHE_DIR": str(cache_root() / "openvino"),  # compiled blobs: the second run skips compilation
    }
    compiled = openvino.Core().compile_model(str(graph), "CPU", config)
    request = compiled.create_infer_request()

    def run(tiles: np.ndarray) -> np.ndarray:
        return np.array(request.infer({0: np.ascontiguousarray(tiles)})[0], dtype=np.float32)

    return run, openvino.__version__


def _onnxruntime_session(graph) -> tuple[Session, str]:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = cpu_threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # idle threads leave the cores free
    session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
    shrink = onnxruntime.RunOptions()
    shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def run(tiles: np.ndarray, run_options=None) -> np.ndarray:
        return session.run(None, {"tiles": np.ascontiguousarray(tiles, dtype=np.float32)}, run_options)[0]

    def release(tile: np.ndarray) -> None:
        run(tile, shrink)  # the arena returns its free chunks at the end of this run

    run.release = release
    return run, onnxruntime.__version__


_SESSION_MAKERS = {InferenceEngine.OPENVINO: _openvino_session, InferenceEngine.ONNXRUNTIME: _onnxruntime_session}


def engine_available(engine: InferenceEngine) -> bool:
    """True when the engine's Python package can be imported here (PyTorch always counts as available)."""
    import importlib.util

    return engine is InferenceEngine.PYTORCH or importlib.util.find_spec(engine.value) is not None


def exported_session(model: LoadedModel, engine: InferenceEngine, tile_shape: tuple[int, int]) -> Session | None:
    """A verified session of ``engine`` on the model's exported graph for ``tile_shape``; None (with a warning when
    the engine is installed) if the graph cannot be made, the engine fails, or its outputs do not match PyTorch's."""
    from .exported_graphs import exported_graph, verify_against_pytorch

    if not engine_available(engine):
        return None
    graph = exported_graph(model, tile_shape)
    if graph is None:
        return None
    try:
        session, version = _SESSION_MAKERS[engine](graph)
        difference = verify_against_pytorch(model, graph, tile_shape, engine.value, version, session)
    except Exception as exc:  # noqa: BLE001 - a broken engine install must not stop a segmentation
        warnings.warn(f"{engine.value} could not run the model ({exc}); using PyTorch.", RuntimeWarning, 2)
        return None
    if difference is None:
        warnings.warn(
            f"{engine.value} does not reproduce PyTorch's outputs on this model; using PyTorch.", RuntimeWarning, 2
        )
        return None
    return session


class EnsemblePredictor:
    """Tile predictor ``(B, 1, h, w) -> (B, 2, h, w)`` (fold mean and spread, see
    :class:`~.fold_ensemble.FoldEnsemble`) on the chosen engine; one session per tile shape, made on first use.

    ``engine_used`` names the engine that predicted the last batch (``"pytorch"`` after a fallback).
    """

    def __init__(self, model: LoadedModel, device, engine: InferenceEngine = InferenceEngine.AUTO):
        # ``device``: a torch.device or its name ("cpu", "cuda:0"); a name keeps PyTorch unimported on the CPU
        self.model, self.device, self.engine = model, device, InferenceEngine(engine)
        self.engine_used = InferenceEngine.PYTORCH.value
        self._sessions: dict[tuple[int, int], tuple[Session, str]] = {}
        self._pytorch = None
        self._last_tile: np.ndarray | None = None  # kept for release_memory()

    def _candidates(self) -> tuple[InferenceEngine, ...]:
        if str(self.device).partition(":")[0] != "cpu" or self.engine is InferenceEngine.PYTORCH:
            return ()
        return AUTO_ORDER if self.engine is InferenceEngine.AUTO else (self.engine,)

    def _session(self, tile_shape: tuple[int, int]) -> tuple[Session, str]:
        if tile_shape not in self._sessions:
            for engine in self._candidates():
                session = exported_session(self.model, engine, tile_shape)
                if session is not None:
                    self._sessions[tile_shape] = (session, engine.value)
                    break
            else:
                self._sessions[tile_shape] = (self._pytorch_session(), InferenceEngine.PYTORCH.value)
        return self._sessions[tile_shape]

    def _pytorch_session(self) -> Session:
        if self._pytorch is None:
            import torch

            from .fold_ensemble import FoldEnsemble

            ensemble = FoldEnsemble([network.to(self.device).eval() for network in self.model.networks]).eval()

            def run(tiles: np.ndarray) -> np.ndarray:
                with torch.inference_mode():
                    return ensemble(torch.from_numpy(tiles).to(self.device)).cpu().numpy()

            self._pytorch = run
        return self._pytorch

    def __call__(self, tiles: np.ndarray) -> np.ndarray:
        session, self.engine_used = self._session(tuple(int(n) for n in tiles.shape[2:]))
        if self.engine_used == InferenceEngine.PYTORCH.value:
            return session(tiles)
        # One tile per call: ONNX Runtime is as fast per tile as with batches of 4 on 2 cores, and its memory arena
        # then holds one tile's activations (about 0.3 GB for the shipped ensemble) instead of four (0.8 GB).
        self._last_tile = tiles[-1:].copy()
        return np.concatenate([session(tiles[k : k + 1]) for k in range(tiles.shape[0])])

    def release_memory(self) -> None:
        """Give back the engine's working memory after the last tile of an image (ONNX Runtime keeps its arena,
        about 0.3 GB for the shipped ensemble, otherwise; the later analysis steps then peak on top of it). Costs
        one tile's run; the sessions stay ready for the next image."""
        tile = self._last_tile
        if tile is None:
            return
        session, _ = self._sessions[tuple(int(n) for n in tile.shape[2:])]
        release = getattr(session, "release", None)
        if release is not None:
            release(tile)
        self._last_tile = None


_LAST: dict = {}  # (model identity, device, engine) -> (model, EnsemblePredictor): a batch of images compiles once


def ensemble_predictor(model: LoadedModel, device, engine: InferenceEngine = InferenceEngine.AUTO) -> EnsemblePredictor:
    """The :class:`EnsemblePredictor` for ``model`` on ``device`` and ``engine``, reused across calls with the same
    loaded model (sessions of one model are kept: switching models does not pile up compiled sessions)."""
    key = (id(model), str(device), InferenceEngine(engine))
    if any(kept is not model for kept, _ in _LAST.values()):
        _LAST.clear()
    if key not in _LAST:
        _LAST[key] = (model, EnsemblePredictor(model, device, engine))
    return _LAST[key][1]
