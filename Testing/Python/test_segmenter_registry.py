"""The segmenter choice and the method registry: one typed choice, validated once; a new method is one function plus
one registry line, and then the panel's list, the commands and the logic calls all offer it."""

from __future__ import annotations

import numpy as np
import pytest

from calcification.cli.main import main
from calcification.core.errors import InputError
from calcification.core.segmentation import (
    CalcificationSegmentation,
    MethodSpec,
    SegmenterChoice,
    available_methods,
    method_spec,
    register_method,
    segment_mammogram,
)
from calcification.core.segmentation.registry import unregister_method


def segment_brightest_pixels(mammogram, choice, progress=None):
    """A toy method for the test: the brightest 0.1 % of pixels, one object each (no trained part)."""
    pixels = mammogram.pixels
    labels = np.zeros(pixels.shape, np.int32)
    brightest = np.argsort(pixels, axis=None)[-max(1, pixels.size // 1000) :]
    labels.flat[brightest] = np.arange(1, brightest.size + 1)
    return CalcificationSegmentation(
        labels=labels,
        breast=np.ones(pixels.shape, bool),
        spacing_mm=mammogram.spacing_mm,
        method=choice.method,
        objects=(),
        details={},
    )


@pytest.fixture(scope="module")
def synthetic_case():
    from calcification.core.synthetic import SynthesisConfig, generate_case

    return generate_case(SynthesisConfig(shape=(256, 256), crop=True), seed=3, index=0)


@pytest.fixture
def toy_method():
    spec = MethodSpec("brightest", "Brightest pixels (test)", f"{__name__}:segment_brightest_pixels")
    register_method(spec)
    yield spec
    unregister_method(spec.name)


def test_a_registered_method_runs_from_the_library_the_logic_and_the_command_line(
    toy_method, synthetic_case, scene, tmp_path
):
    from calcification.logic.model_choices import method_choices
    from calcification.logic.mrml.volume_nodes import volume_node_from_mammogram
    from calcification.logic.workflows.segmentation_workflow import segment_volume_node

    assert "brightest" in [name for name, _ in method_choices()]
    result = segment_mammogram(synthetic_case.mammogram, "brightest")
    assert result.method == "brightest" and 0 < result.count <= synthetic_case.mammogram.pixels.size // 1000
    volume = volume_node_from_mammogram(scene, synthetic_case.mammogram)
    assert segment_volume_node(scene, volume, segmenter=SegmenterChoice("brightest")).calcification_count > 0
    import SimpleITK as sitk

    image = sitk.GetImageFromArray(synthetic_case.mammogram.pixels.astype(np.uint16)[None])
    image.SetSpacing((0.07, 0.07, 1.0))
    sitk.WriteImage(image, str(tmp_path / "case.nrrd"))
    assert main(["segment", str(tmp_path / "case.nrrd"), "--out", str(tmp_path / "out"), "--method", "brightest"]) == 0
    assert (tmp_path / "out" / "case.seg.nrrd").is_file()
    assert method_spec("BRIGHTEST") is toy_method


def test_names_are_unique_and_the_old_network_name_still_works():
    assert method_spec("prounext").name == "network"
    assert SegmenterChoice("prounext").method == "network"
    with pytest.raises(ValueError, match="already registered"):
        register_method(MethodSpec("prounext", "clash", "x:y"))
    with pytest.raises(InputError, match="choose one of"):
        method_spec("magic")
    assert [spec.name for spec in available_methods()][:3] == ["network", "hdog_filtered", "hdog"]


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"method": "hdog", "model": "pro_unext_synthetic"}, "has no trained model"),
        ({"method": "hdog", "threshold": 0.5}, "has no trained model"),
        ({"method": "network", "threshold": 1.0}, "strictly between 0 and 1"),
        ({"method": "hdog_filtered", "device": "cuda"}, "runs on the CPU only"),
        ({"method": "network", "device": "tpu"}, "Unknown device"),
        ({"method": "hdog_filtered", "min_object_area_mm2": 0.01}, "network methods only"),
        ({"method": "network", "min_object_area_mm2": -1.0}, "0 mm² or more"),
        ({"method": "network", "engine": "tpu"}, "Unknown inference engine"),
        ({"method": "hdog", "engine": "onnxruntime"}, "network methods only"),
    ],
)
def test_an_invalid_combination_is_refused_when_the_choice_is_made(arguments, message):
    with pytest.raises(InputError, match=message):
        SegmenterChoice(**arguments)


def test_the_panel_settings_keep_only_what_the_method_takes():
    network = SegmenterChoice.from_settings("network", "my_model", 0.3, "auto")
    assert (network.model, network.threshold, network.device) == ("my_model", 0.3, "auto")
    # the slider is the network's threshold: the candidate filter keeps its card's operating point
    filtered = SegmenterChoice.from_settings("hdog_filtered", "my_model", 0.3, "cuda")
    assert (filtered.model, filtered.threshold, filtered.device) == (None, None, "cpu")
    plain = SegmenterChoice.from_settings("hdog", "my_model", 0.3, "cuda")
    assert (plain.model, plain.threshold, plain.device) == (None, None, "cpu")


def test_a_missing_model_fails_when_checked_before_any_work():
    with pytest.raises(InputError, match="No model named"):
        SegmenterChoice("network", model="no_such_model").check_ready()
