"""Tiled inference: tile layout, blending against whole-image forward passes, region skipping, cancellation, and the
model-ensemble segmenter end to end on a saved model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from calcification.core.errors import CancelledError, InputError
from calcification.core.inference.segmenter import SegmenterOptions, resolve_device, segment_with_model
from calcification.core.inference.tiling import BlendWindow, TilingConfig, plan_tiles, predict_tiled, tile_starts
from calcification.core.models.model_card import ModelCard
from calcification.core.models.model_store import load_model, save_model
from calcification.core.networks.factory import build_network

torch.set_num_threads(2)
SMALL = {"width_multiplier": 1 / 16, "expansion": 1.0}


def _network(seed: int = 0):
    torch.manual_seed(seed)
    return build_network("pro_unext", SMALL).eval()


def _predictor(network):
    def predict(batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return torch.sigmoid(network(torch.from_numpy(batch))).numpy()

    return predict


def _whole_image(network, image: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return torch.sigmoid(network(torch.from_numpy(image)[None, None]))[0, 0].numpy()


@pytest.mark.parametrize(
    "length, tile, overlap",
    [(100, 512, 0.2), (512, 512, 0.2), (513, 512, 0.2), (4500, 512, 0.2), (300, 64, 0.5), (1000, 100, 0.0)],
)
def test_tiles_cover_the_axis_with_at_least_the_requested_overlap(length, tile, overlap):
    starts = tile_starts(length, tile, overlap)
    assert starts[0] == 0 and starts[-1] == max(0, length - tile)
    steps = np.diff(starts)
    assert (steps > 0).all() and (steps <= tile * (1 - overlap)).all()


def test_one_tile_reproduces_the_whole_image_forward_pass():
    network = _network()
    image = np.random.default_rng(1).random((150, 230), dtype=np.float32)
    tiled = predict_tiled(image, _predictor(network), config=TilingConfig(tile_size=512))
    assert tiled.shape == (1, 150, 230) and tiled.dtype == np.float32
    np.testing.assert_allclose(tiled[0], _whole_image(network, image), atol=1e-6)


@pytest.mark.parametrize("window", list(BlendWindow))
def test_blending_is_exact_for_a_pointwise_predictor(window):
    """With a per-pixel predictor every tile agrees, so any weighted blend must give back exactly its values."""
    image = np.random.default_rng(2).random((211, 157), dtype=np.float32)
    config = TilingConfig(tile_size=64, overlap=0.3, batch_size=3, window=window)
    tiled = predict_tiled(image, lambda b: np.concatenate([b**2, 1 - b], axis=1), 2, config)
    np.testing.assert_allclose(tiled[0], image**2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tiled[1], 1 - image, rtol=1e-5, atol=1e-6)


def test_overlapping_tiles_nearly_reproduce_the_whole_image_forward_pass():
    network = _network()
    rng = np.random.default_rng(3)
    image = (0.2 * rng.random((300, 260)) + np.linspace(0, 0.6, 260)[None]).astype(np.float32)
    whole = _whole_image(network, image)
    tiled = predict_tiled(image, _predictor(network), config=TilingConfig(tile_size=128, overlap=0.25))[0]
    # Tiles see less context near their edges, and squeeze-and-excitation pools over the tile, not the image: close,
    # not equal. (Random weights vary the output by only ~0.003, so the comparison is relative to that spread.)
    error = np.abs(tiled - whole)
    assert np.median(error) < 0.1 * np.std(whole)
    assert np.corrcoef(tiled.ravel(), whole.ravel())[0, 1] > 0.9


def test_only_tiles_touching_the_region_are_predicted():
    image = np.ones((400, 400), np.float32)
    region = np.zeros((400, 400), bool)
    region[10:60, 20:70] = True
    config = TilingConfig(tile_size=100, overlap=0.2)
    seen = []

    def predict(batch):
        seen.append(batch.shape[0])
        return batch * 0.5

    out = predict_tiled(image, predict, config=config, region=region)[0]
    assert sum(seen) == len(plan_tiles(image.shape, config, region)) == 1
    assert (out[:100, :100] == 0.5).all() and (out[100:, :] == 0).all() and (out[:, 100:] == 0).all()


def test_cancelling_between_tiles_raises_cancelled_error():
    calls = []

    def progress(fraction, message):
        calls.append(fraction)
        return fraction < 0.3

    with pytest.raises(CancelledError):
        predict_tiled(
            np.ones((300, 300), np.float32),
            lambda b: b,
            config=TilingConfig(tile_size=64, batch_size=2),
            progress=progress,
        )
    assert 0 < len(calls) < 20 and calls[-1] >= 0.3


@pytest.fixture
def two_fold_model(tmp_path):
    card = ModelCard(
        name="tiny",
        architecture="pro_unext",
        architecture_kwargs=SMALL,
        spacing_mm=0.1,
        threshold=0.5,
        min_object_area_mm2=0.05,
        synthetic_training=True,
    )
    save_model(tmp_path / "tiny", card, [_network(0), _network(1)])
    return load_model(tmp_path / "tiny")


def _mammogram(shape=(230, 190)):
    rng = np.random.default_rng(4)
    pixels = (1000 + 200 * rng.random(shape)).astype(np.float32)
    region = np.zeros(shape, bool)
    region[20:-20, 10:-40] = True
    pixels[~region] = 50
    return pixels, region


def test_segmenter_resamples_blends_folds_and_measures_objects(two_fold_model):
    pixels, region = _mammogram()
    first = segment_with_model(pixels, (0.07, 0.05), two_fold_model, region, SegmenterOptions(tiling=TilingConfig(96)))
    assert first.probability.shape == pixels.shape and first.probability.dtype == np.float32
    assert first.fold_std.shape == pixels.shape and first.labels.dtype == np.int32
    assert 0 <= first.probability.min() and first.probability.max() <= 1 and first.fold_std[region].max() > 0
    # Random weights: pick a threshold that the top 3% of the breast passes, so there are objects to measure.
    threshold = float(np.quantile(first.probability[region], 0.97))
    options = SegmenterOptions(threshold=threshold, min_object_area_mm2=0.01, tiling=TilingConfig(96))
    result = segment_with_model(pixels, (0.07, 0.05), two_fold_model, region, options)
    assert result.synthetic_training and result.threshold == threshold
    assert not (result.mask & ~region).any()
    assert len(result.objects) == result.labels.max() > 0
    for obj in result.objects:
        pixels_in = result.labels == obj.label
        assert obj.area_mm2 == pytest.approx(pixels_in.sum() * 0.07 * 0.05) and obj.area_mm2 >= 0.01
        assert obj.mean_probability == pytest.approx(result.probability[pixels_in].mean(), rel=1e-5)
        assert obj.mean_probability >= threshold and obj.fold_spread >= 0


def test_single_model_has_no_fold_spread(tmp_path):
    card = ModelCard(name="one", architecture="pro_unext", architecture_kwargs=SMALL, spacing_mm=0.07)
    save_model(tmp_path / "one", card, [_network(0)])
    pixels, region = _mammogram((150, 170))
    result = segment_with_model(
        pixels,
        (0.07, 0.07),
        load_model(tmp_path / "one"),
        region,
        SegmenterOptions(tiling=TilingConfig(64, overlap=0.3)),
    )
    assert (result.fold_std == 0).all()


def test_segmenter_refuses_bad_requests(two_fold_model):
    pixels, region = _mammogram((100, 100))
    with pytest.raises(InputError, match="search region"):
        segment_with_model(pixels, (0.07, 0.07), two_fold_model, region[:50])
    with pytest.raises(InputError, match="threshold"):
        segment_with_model(pixels, (0.07, 0.07), two_fold_model, region, SegmenterOptions(threshold=1.0))
    # 100 px at 1 mm (Slicer's spacing for a DICOM without one, on a real 4,000-px film) is refused before any
    # resampling, which would otherwise make a working image 14 times larger on each side.
    film, film_region = np.random.default_rng(0).random((4432, 100), np.float32), np.ones((4432, 100), bool)
    with pytest.raises(InputError, match="spacing is probably wrong"):
        segment_with_model(film, (1.0, 1.0), two_fold_model, film_region)
    with pytest.raises(InputError, match="Unknown device"):
        resolve_device("tpu")
    if torch.cuda.is_available():
        assert resolve_device("cuda").type == "cuda"
    else:
        with pytest.raises(InputError, match="GPU"):
            segment_with_model(pixels, (0.07, 0.07), two_fold_model, region, SegmenterOptions(device="cuda"))


def test_segmenter_cancellation(two_fold_model):
    pixels, region = _mammogram()
    with pytest.raises(CancelledError):
        segment_with_model(
            pixels,
            (0.07, 0.07),
            two_fold_model,
            region,
            SegmenterOptions(tiling=TilingConfig(64)),
            progress=lambda fraction, message: fraction < 0.5,
        )
