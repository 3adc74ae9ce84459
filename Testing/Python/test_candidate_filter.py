"""The hdog_filtered method: working grid, acquisition blending, candidate table, two-look filter, its store and its
commands. A tiny filter is trained here on three synthetic cases; the shipped filter's figures are in the models
README (real images are not needed for these tests)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from calcification.cli.main import main
from calcification.core.candidates.candidate_features import FEATURE_NAMES
from calcification.core.candidates.candidate_filter import (
    CONTEXT_FILE_NAME,
    FILTER_CARD_NAME,
    FILTER_FILE_NAME,
    load_filter,
)
from calcification.core.candidates.context_features import CONTEXT_FEATURE_NAMES, context_features
from calcification.core.candidates.working_grid import (
    WORKING_SPACING_MM,
    check_spacing,
    labels_to_input_grid,
    to_working_grid,
    working_shape,
)
from calcification.core.errors import InputError
from calcification.core.image import Mammogram
from calcification.core.segmentation import SegmenterChoice, segment_mammogram
from calcification.core.synthetic import SynthesisConfig, generate_case
from calcification.core.synthetic.acquisition_blending import blend_at_acquisition


def test_working_grid_shapes_and_refused_spacings():
    assert working_shape((1024, 1024), (0.2, 0.2)) == (2926, 2926)
    assert working_shape((4432, 2864), (0.05, 0.05)) == (3166, 2046)
    block = np.arange(16, dtype=np.float32).reshape(4, 4)
    np.testing.assert_allclose(to_working_grid(block, (2, 2), order=1), [[2.5, 4.5], [10.5, 12.5]])  # block means
    check_spacing((0.05, 0.05))
    with pytest.raises(InputError, match="0.04-0.25 mm"):
        check_spacing((1.0, 1.0))


def test_objects_smaller_than_an_input_pixel_survive_the_way_back():
    labels = np.zeros((30, 30), np.int32)
    labels[4, 4], labels[20, 21] = 1, 2  # one working pixel each: at 0.2 mm they fall between input pixels
    centroids = np.array([[4 * 0.35, 4 * 0.35], [20 * 0.35, 21 * 0.35]])
    back = labels_to_input_grid(labels, centroids, (10, 10))
    assert sorted(np.unique(back)) == [0, 1, 2]


def test_acquisition_blending_is_softer_at_coarse_pixels_and_leaves_the_original_alone():
    background = generate_case(SynthesisConfig(shape=(700, 700), spacing_mm=0.2, clusters_per_case=(0, 0)), seed=3)
    original = background.mammogram.pixels.copy()
    config = SynthesisConfig(clusters_per_case=(2, 2))
    case = blend_at_acquisition(background.mammogram, seed=1, config=config)
    np.testing.assert_array_equal(background.mammogram.pixels, original)
    added = case.mammogram.pixels - original
    assert case.instances.max() > 5 and added[case.mask].min() >= 0
    # the signal sits on the truth: nothing is added farther than the blur from a true calcification
    from scipy import ndimage

    near = ndimage.binary_dilation(case.mask, iterations=2)
    assert added[~near].max() < 0.05 * added.max()
    # a pixel aperture of 0.2 mm averages: the peak is lower than the same groups drawn at 0.05 mm
    fine = generate_case(SynthesisConfig(shape=(2800, 2800), spacing_mm=0.05, clusters_per_case=(0, 0)), seed=3)
    fine_case = blend_at_acquisition(fine.mammogram, seed=1, config=config)
    assert fine_case.record.n_calcifications == case.record.n_calcifications
    fine_added = fine_case.mammogram.pixels - fine.mammogram.pixels
    assert added.max() < fine_added.max()


def test_context_features_count_believed_neighbours_within_one_image():
    points = np.array([[0, 0], [0, 0.5], [0, 2.5], [0, 10], [0, 0.2]])
    probability = np.array([0.9, 0.8, 0.9, 0.9, 0.1])
    images = np.array([0, 0, 0, 0, 1])  # the last one is on another image
    table = context_features(points, probability, images)
    assert table.shape == (5, len(CONTEXT_FEATURE_NAMES))
    np.testing.assert_allclose(table[0, :4], [1, 2, 1.7, 0.8])
    np.testing.assert_allclose(table[3, :4], [0, 0, 0, 0])
    np.testing.assert_allclose(table[4, :4], [0, 0, 0, 0])
    assert table[0, 4] == pytest.approx(1.0)  # three believed points on one line


@pytest.fixture(scope="module")
def tiny_filter(tmp_path_factory):
    """A filter trained by the two commands on three synthetic cases (one per spacing 0.05 / 0.07 / 0.1 mm)."""
    folder = tmp_path_factory.mktemp("filter")
    table = folder / "table.npz"
    assert main(["candidate-table", "--synthetic", "3", "--seed", "5", "--out", str(table)]) == 0
    out = folder / "tiny"
    assert (
        main(
            [
                "train-candidate-filter",
                str(table),
                "--name",
                "tiny",
                "--out",
                str(out),
                "--folds",
                "2",
                "--negatives",
                "1",
            ]
        )
        == 0
    )
    return out


def test_the_trained_filter_loads_verified_and_finds_calcifications(tiny_filter):
    card = json.loads((tiny_filter / FILTER_CARD_NAME).read_text())
    assert card["feature_names"] == list(FEATURE_NAMES) and card["context_sha256"]
    assert "roc_auc" in card["metrics"]["cross_validation"]
    loaded = load_filter(tiny_filter)
    assert loaded.context is not None
    case = generate_case(SynthesisConfig(shape=(1024, 768)), seed=9000, index=0)
    result = segment_mammogram(case.mammogram, SegmenterChoice("hdog_filtered", model=tiny_filter))
    assert result.count > 0 and result.details["model_name"] == "tiny"
    assert result.details["candidates"] >= result.count
    probability = result.details["probability"]
    assert probability.shape == case.mask.shape and 0.0 <= probability.min() <= probability.max() <= 1.0
    found = np.unique(case.instances[result.mask])
    assert np.count_nonzero(found) >= 0.3 * case.record.n_calcifications


def test_a_tampered_filter_is_refused(tiny_filter, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny_filter, copy)
    with open(copy / CONTEXT_FILE_NAME, "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(InputError, match="damaged"):
        load_filter(copy)
    (copy / FILTER_FILE_NAME).unlink()
    with pytest.raises(InputError, match="damaged"):
        load_filter(copy)


def test_commands_refuse_bad_input_with_exit_2(tmp_path, tiny_filter, capsys):
    assert main(["candidate-table", "--out", str(tmp_path / "t.npz")]) == 2
    assert main(["candidate-table", str(tmp_path / "missing.pgm"), "--out", str(tmp_path / "t.npz")]) == 2
    assert (
        main(["train-candidate-filter", str(tmp_path / "none.npz"), "--name", "x", "--out", str(tmp_path / "f")]) == 2
    )
    assert main(["train-candidate-filter", "x.npz", "--name", "x", "--out", str(tiny_filter)]) == 2
    assert not (tmp_path / "t.npz").exists() and not (tmp_path / "f").exists()
    image = Mammogram(np.random.default_rng(0).random((50, 50), np.float32), (1.0, 1.0))
    with pytest.raises(InputError, match="0.04-0.25 mm"):
        segment_mammogram(image, SegmenterChoice("hdog_filtered", model=tiny_filter))
    assert WORKING_SPACING_MM == 0.07
