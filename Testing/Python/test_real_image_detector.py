"""Issue 33: calibrated insertion, appearance measures, the boundary rule, hard negatives, training on real normals."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import ndimage

from calcification.cli.main import main
from calcification.core.segmentation.boundary_rule import SKIN_BAND_MM, apply_boundary_rule
from calcification.core.segmentation.result import CalcificationSegmentation
from calcification.core.synthetic import SynthesisConfig, generate_case
from calcification.core.synthetic.acquisition_blending import ContrastDistribution, blend_at_acquisition
from calcification.core.synthetic.appearance import (
    brightest_quarter,
    instance_centroids,
    ks_distance,
    measure_spots,
)
from calcification.core.training.crop_batches import CropBatcher
from calcification.core.training.training_cases import TrainingCase
from calcification.core.training.training_config import TrainingConfig


def test_appearance_of_a_known_spot():
    pixels = np.full((40, 40), 10.0)
    pixels[20, 20] = 14.0  # contrast 4 on a flat background
    pixels[20:23, 30:33] = 12.0  # a 3 x 3 plateau of contrast 2
    pixels += np.random.default_rng(0).normal(0, 0.01, pixels.shape)
    breast = np.zeros_like(pixels, bool)
    breast[:, :20], breast[:, 20:] = True, True
    breast_values = pixels.copy()
    breast_values[0, 0] = 0.0  # make the tissue range well defined: 5th-95th percentile is about 0.03
    values = measure_spots(pixels, breast, np.array([[20, 20], [21, 31], [1, 1]]), spacing_mm=0.2)
    assert values.shape == (2, 4)  # the point 1 px from the border is left out
    assert values[0, 2] == 1 and values[1, 2] == 9  # half-maximum areas
    assert values[0, 1] > 100  # contrast 4 against noise 0.01
    assert values[1, 3] == pytest.approx(2 * np.sqrt(9 / np.pi) * 0.2)
    assert ks_distance(np.arange(10), np.arange(10)) == 0.0
    assert ks_distance(np.arange(10), np.arange(10) + 100) == 1.0
    assert ks_distance(np.arange(4), np.arange(2, 6)) == pytest.approx(0.5)
    assert len(brightest_quarter(np.c_[np.zeros(8), np.arange(8), np.zeros((8, 2))])) == 2


def test_insertion_draws_each_calcifications_contrast():
    background = generate_case(SynthesisConfig(shape=(500, 500), spacing_mm=0.2, clusters_per_case=(0, 0)), seed=3)
    config = SynthesisConfig(clusters_per_case=(2, 2))
    pixels = background.mammogram.pixels

    def peaks(contrast):
        case = blend_at_acquisition(background.mammogram, seed=1, config=config, contrast=contrast)
        added = case.mammogram.pixels - pixels
        ids = np.arange(1, case.instances.max() + 1)
        return np.asarray(ndimage.maximum(added, case.instances, ids)), case

    flat, case = peaks(ContrastDistribution(1.0, 0.0))
    half, _ = peaks(ContrastDistribution(0.5, 0.0))
    drawn, _ = peaks(ContrastDistribution(0.5, 0.8))
    present = flat > 0
    np.testing.assert_allclose(half[present], 0.5 * flat[present], rtol=1e-4)  # the scale is linear
    ratios = drawn[present] / flat[present]
    # one draw per calcification, not one per case: the ratios spread like the log-normal asked for
    assert ratios.std() > 0.2 * ratios.mean()
    assert len(instance_centroids(case.instances)) == case.instances.max()


def _result(labels: np.ndarray, breast: np.ndarray) -> CalcificationSegmentation:
    return CalcificationSegmentation(labels=labels, breast=breast, spacing_mm=(0.1, 0.1), method="test")


def test_boundary_rule_refuses_the_skin_line_and_keeps_calcifications():
    rng = np.random.default_rng(1)
    pixels = 100 + rng.normal(0, 1.0, (400, 400))
    breast = np.zeros((400, 400), bool)
    breast[:, :300] = True  # the skin line is the column 300 (a vertical outline)
    labels = np.zeros((400, 400), np.int32)
    spots = {1: (200, 150), 2: (100, 295), 3: (370, 296)}  # inside, and two in the 2 mm skin band
    for k, (r, c) in spots.items():
        labels[r - 1 : r + 2, c - 1 : c + 2] = k
        pixels[r - 1 : r + 2, c - 1 : c + 2] += 3.0  # faint
    pixels[369:372, 295:298] += 40.0  # object 3 is a bright compact speck: it looks like a calcification
    for n, r in enumerate(range(230, 290, 10)):  # a string of six along the outline, 4 mm deep
        labels[r : r + 2, 259:261] = 4 + n
        pixels[r : r + 2, 259:261] += 40.0
    out = apply_boundary_rule(_result(labels, breast), pixels)
    kept = {tuple(np.round(c).astype(int)) for c in ndimage.center_of_mass(out.labels > 0, out.labels, range(1, 3))}
    assert out.count == 2 and out.details["boundary_refused"] == 7
    assert kept == {(200, 150), (370, 296)}
    assert SKIN_BAND_MM == 2.0
    # a cluster of the same six objects deep inside the breast is not touched
    inner = np.zeros_like(labels)
    inner[230:290, 100:102] = labels[230:290, 259:261]
    assert apply_boundary_rule(_result(inner, breast), pixels).count == 6


def test_empty_crops_visit_the_hard_negatives():
    image = np.zeros((512, 512), np.float32)
    hard = np.zeros((512, 512), bool)
    hard[400:404, 400:404] = True
    case = TrainingCase("a", "a", image, np.zeros((512, 512), np.uint8), np.ones((512, 512), bool), hard)
    batcher = CropBatcher([case], TrainingConfig(crop_size=64, augment=False), np.random.default_rng(0))
    positions = [batcher._position(0) for _ in range(400)]
    at_hard = sum(abs(r + 32 - 400) <= 4 and abs(c + 32 - 400) <= 4 for r, c in positions)
    assert 150 < at_hard < 250  # half of the empty crops, not 1 in 16,000 as by area


def test_train_segmenter_on_real_normals(tmp_path, capsys):
    background = generate_case(SynthesisConfig(shape=(300, 240), spacing_mm=0.2, clusters_per_case=(0, 0)), seed=4)
    import SimpleITK as sitk

    paths = []
    for k in range(3):
        path = tmp_path / f"normal{k}.png"
        pixels = np.clip(background.mammogram.pixels * 60000 + k, 0, 65535).astype(np.uint16)
        sitk.WriteImage(sitk.GetImageFromArray(pixels), str(path))
        paths.append(path)
    listing = tmp_path / "normals.txt"
    listing.write_text("".join(f"{p} 0.2\n" for p in paths))
    out = tmp_path / "model"
    common = ["train-segmenter", "--real-normals", str(listing), "--name", "real_bg", "--out", str(out), "--folds", "1"]
    small = ["--epochs", "1", "--fine-tune-epochs", "0", "--steps", "1", "--batch", "2", "--crop", "64"]
    assert main([*common, *small, "--no-augment", "--device", "cpu", "--validation-cases", "1"]) == 0
    card = json.loads((out / "model_card.json").read_text())
    assert "3 real normal mammograms (1 calibrated insertion(s) each" in card["trained_on"]
    assert card["synthetic_training"] is True  # the calcifications it learned are still synthetic
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{tmp_path / 'missing.png'} 0.2\n")
    capsys.readouterr()
    assert main(["train-segmenter", "--real-normals", str(bad), "--name", "x", "--out", str(tmp_path / "m")]) == 2
    assert "no file" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
