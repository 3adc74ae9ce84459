"""Inference engines: the exported graph reproduces PyTorch, lives in the user cache keyed by the weights, is checked
before use (a graph that does not match the weights falls back to PyTorch), and the thread policy is one setting."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
import torch

from calcification.core.cpu_threads import THREADS_ENV, cpu_threads, limited_threads
from calcification.core.errors import InputError
from calcification.core.inference.engines import EnsemblePredictor, InferenceEngine
from calcification.core.inference.exported_graphs import VERIFY_TOLERANCE, cache_root, fixed_inputs, graph_key
from calcification.core.inference.fold_ensemble import FoldEnsemble
from calcification.core.models.model_card import ModelCard
from calcification.core.models.model_store import load_model, save_model
from calcification.core.networks.factory import build_network

SMALL = {"width_multiplier": 1 / 16, "expansion": 1.0}
TILE = (64, 64)
CPU = torch.device("cpu")


def _saved_model(folder, seed: int):
    card = ModelCard(
        name=f"tiny{seed}",
        architecture="pro_unext",
        architecture_kwargs=SMALL,
        spacing_mm=0.1,
        threshold=0.5,
        min_object_area_mm2=0.0,
        synthetic_training=True,
    )
    networks = []
    for fold in range(2):
        torch.manual_seed(seed * 10 + fold)
        networks.append(build_network("pro_unext", SMALL).eval())
    save_model(folder / card.name, card, networks)
    return load_model(folder / card.name)


def _pytorch(model, tiles: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return FoldEnsemble(model.networks).eval()(torch.from_numpy(tiles)).numpy()


def test_onnxruntime_reproduces_pytorch_and_its_graph_is_cached_by_the_weights(tmp_path):
    model = _saved_model(tmp_path, seed=1)
    tiles = fixed_inputs(TILE)
    predictor = EnsemblePredictor(model, CPU, InferenceEngine.ONNXRUNTIME)
    outputs = predictor(tiles)
    assert predictor.engine_used == "onnxruntime"
    assert outputs.shape == (2, 2, *TILE) and outputs.dtype == np.float32
    assert np.abs(outputs - _pytorch(model, tiles)).max() <= VERIFY_TOLERANCE
    predictor.release_memory()  # gives back the arena; the session stays ready for the next image
    np.testing.assert_array_equal(predictor(tiles), outputs)
    folder = cache_root() / "graphs" / graph_key(model, TILE)
    graph = folder / "ensemble.onnx"
    assert graph.is_file() and any(folder.glob("verified-onnxruntime-*.json"))
    written = graph.stat().st_mtime_ns
    again = EnsemblePredictor(model, CPU, InferenceEngine.ONNXRUNTIME)
    np.testing.assert_array_equal(again(tiles), outputs)
    assert graph.stat().st_mtime_ns == written  # reused, not exported again
    other = _saved_model(tmp_path, seed=2)
    assert graph_key(other, TILE) != graph_key(model, TILE)  # other weights, other graph
    assert graph_key(model, (32, 64)) != graph_key(model, TILE)  # each tile shape is traced on its own


def test_a_cached_graph_that_does_not_match_the_weights_falls_back_to_pytorch(tmp_path):
    model, stale = _saved_model(tmp_path, seed=3), _saved_model(tmp_path, seed=4)
    EnsemblePredictor(stale, CPU, InferenceEngine.ONNXRUNTIME)(fixed_inputs(TILE))  # export the other model's graph
    source = cache_root() / "graphs" / graph_key(stale, TILE) / "ensemble.onnx"
    target = cache_root() / "graphs" / graph_key(model, TILE) / "ensemble.onnx"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)  # a damaged or swapped cache entry under this model's key
    predictor = EnsemblePredictor(model, CPU, InferenceEngine.ONNXRUNTIME)
    tiles = fixed_inputs(TILE)
    with pytest.warns(RuntimeWarning, match="does not reproduce PyTorch"):
        outputs = predictor(tiles)
    assert predictor.engine_used == "pytorch"
    np.testing.assert_array_equal(outputs, _pytorch(model, tiles))
    assert not any(target.parent.glob("verified-*.json"))


def test_pytorch_engine_exports_nothing(tmp_path):
    model = _saved_model(tmp_path, seed=5)
    predictor = EnsemblePredictor(model, CPU, InferenceEngine.PYTORCH)
    np.testing.assert_array_equal(predictor(fixed_inputs(TILE)), _pytorch(model, fixed_inputs(TILE)))
    assert predictor.engine_used == "pytorch"
    assert not (cache_root() / "graphs" / graph_key(model, TILE)).exists()


def test_one_thread_setting_holds_torch_and_is_restored(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setenv(THREADS_ENV, "1")
    assert cpu_threads() == 1
    with limited_threads() as threads:
        assert threads == 1 and torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    monkeypatch.delenv(THREADS_ENV)
    assert cpu_threads() == len(os.sched_getaffinity(0))
    monkeypatch.setenv(THREADS_ENV, "none")
    with pytest.raises(InputError, match=THREADS_ENV):
        cpu_threads()
