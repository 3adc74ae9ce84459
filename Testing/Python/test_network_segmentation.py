"""The shipped Pro_UNeXt model through the library, the logic layer and the command (real trained weights)."""

import json

import numpy as np
import pytest

from calcification.cli.main import main
from calcification.core.errors import InputError
from calcification.core.models.model_store import list_models
from calcification.core.models.preferred_model import preferred_model, set_preferred_model
from calcification.core.segmentation import SegmenterChoice, segment_mammogram
from calcification.core.segmentation.network_method import DEFAULT_MODEL_NAME
from calcification.core.synthetic import SynthesisConfig, generate_case
from calcification.logic.mrml.scene_storage import save_volume
from calcification.logic.mrml.volume_nodes import mammogram_from_volume_node, volume_node_from_mammogram
from calcification.logic.workflows.segmentation_workflow import segment_volume_node


@pytest.fixture(scope="module")
def held_out_case():
    """A synthetic full view from a series never used in training (training used series 1000)."""
    return generate_case(SynthesisConfig(shape=(768, 640)), seed=9001, index=3)


def _dice(a, b):
    return 2.0 * np.count_nonzero(a & b) / max(1, np.count_nonzero(a) + np.count_nonzero(b))


def test_shipped_model_is_listed_and_says_it_is_synthetic():
    shipped = [e for e in list_models() if e.origin == "shipped"]
    assert DEFAULT_MODEL_NAME in [e.name for e in shipped]
    card = next(e.card for e in shipped if e.name == DEFAULT_MODEL_NAME)
    assert card.synthetic_training and "synthetic" in card.trained_on


def test_default_model_finds_held_out_calcifications(held_out_case):
    result = segment_mammogram(held_out_case.mammogram, "prounext")  # the old name still works
    assert result.method == "network" and result.details["synthetic_training"]
    assert result.details["probability"].shape == held_out_case.mask.shape
    assert 0.0 <= float(result.details["probability"].min()) and float(result.details["probability"].max()) <= 1.0
    assert result.count == len(result.objects) == int(result.labels.max())
    assert not (result.mask & ~result.breast).any()
    assert _dice(result.mask, held_out_case.mask) > 0.6  # trained weights; an untrained network scores ~0


def test_threshold_option_changes_the_outline(held_out_case):
    low = segment_mammogram(held_out_case.mammogram, SegmenterChoice("network", threshold=0.1))
    high = segment_mammogram(held_out_case.mammogram, SegmenterChoice("network", threshold=0.9))
    assert np.count_nonzero(low.mask) > np.count_nonzero(high.mask)
    assert not (high.mask & ~low.mask).any()


def test_hdog_refuses_a_model_and_unknown_models_are_named(held_out_case):
    with pytest.raises(InputError, match="has no trained model"):
        SegmenterChoice("hdog", model=DEFAULT_MODEL_NAME)
    with pytest.raises(InputError, match="No model named"):
        segment_mammogram(held_out_case.mammogram, SegmenterChoice("network", model="no_such_model"))


def test_volume_node_gets_segment_and_one_probability_node(scene, held_out_case):
    volume = volume_node_from_mammogram(scene, held_out_case.mammogram, "case")
    first = segment_volume_node(scene, volume, segmenter="network")
    again = segment_volume_node(scene, volume, first.segmentation_node, segmenter="network")
    assert again.probability_node is first.probability_node  # refilled, not duplicated
    probability = mammogram_from_volume_node(first.probability_node).pixels
    assert probability.shape == held_out_case.mask.shape
    np.testing.assert_allclose(probability, first.segmentation.details["probability"], atol=1e-6)
    assert first.probability_node.GetSpacing() == volume.GetSpacing()


def test_segment_command_writes_the_probability_map(tmp_path, scene, held_out_case, capsys):
    image = save_volume(volume_node_from_mammogram(scene, held_out_case.mammogram, "case"), tmp_path / "case.nrrd")
    out = tmp_path / "out"
    assert main(["segment", str(image), "--out", str(out), "--method", "network", "--threshold", "0.4"]) == 0
    assert "trained on synthetic data" in capsys.readouterr().out
    names = sorted(p.name for p in out.iterdir())
    assert names == ["case.mrb", "case.overlay.png", "case.probability.nrrd", "case.seg.nrrd"]


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--method", "prounext", "--model", "no_such_model"], "No model named"),
        (["--method", "hdog", "--threshold", "0.3"], "has no trained model"),
        (["--method", "hdog_filtered", "--device", "cuda"], "runs on the CPU"),
        (["--method", "hdog_filtered", "--model", "no_such_filter"], "No candidate filter named"),
    ],
)
def test_segment_command_refuses_bad_model_flags_and_writes_nothing(
    tmp_path, scene, held_out_case, capsys, flags, message
):
    image = save_volume(volume_node_from_mammogram(scene, held_out_case.mammogram, "case"), tmp_path / "case.nrrd")
    out = tmp_path / "out"
    assert main(["segment", str(image), "--out", str(out), *flags]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())


def test_models_command_lists_the_default(capsys):
    assert main(["models"]) == 0
    text = capsys.readouterr().out
    assert DEFAULT_MODEL_NAME in text and "SYNTHETIC" in text


def test_preferred_model_is_stored_checked_and_cleared(tmp_path):
    assert preferred_model(tmp_path) is None
    set_preferred_model(DEFAULT_MODEL_NAME, tmp_path)
    assert preferred_model(tmp_path) == DEFAULT_MODEL_NAME
    assert json.loads((tmp_path / "preferred_model.json").read_text())["model"] == DEFAULT_MODEL_NAME
    with pytest.raises(InputError, match="No model named"):
        set_preferred_model("no_such_model", tmp_path)
    assert preferred_model(tmp_path) == DEFAULT_MODEL_NAME  # a refused name leaves the setting as it was
    (tmp_path / "preferred_model.json").write_text("{damaged")
    assert preferred_model(tmp_path) is None
    set_preferred_model(None, tmp_path)
    assert not (tmp_path / "preferred_model.json").exists()


def test_models_command_sets_and_clears_the_default(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CALCIFICATION_MODELS_DIR", str(tmp_path))
    assert main(["models", "--prefer", DEFAULT_MODEL_NAME]) == 0
    assert f"{DEFAULT_MODEL_NAME}  (default)" in capsys.readouterr().out
    assert preferred_model(tmp_path) == DEFAULT_MODEL_NAME
    assert main(["models", "--prefer", "no_such_model"]) == 2
    assert "No model named" in capsys.readouterr().err
    assert preferred_model(tmp_path) == DEFAULT_MODEL_NAME  # a refused name changes nothing
    assert main(["models", "--prefer-shipped"]) == 0
    assert preferred_model(tmp_path) is None
