"""Logic the CalcificationAnalysis panel calls, tested without Slicer: device choice with CPU fallback, the model
list and card summary with the synthetic-data warning, the default density range, and jumping within a review."""

from __future__ import annotations

import json

import pytest

from calcification.core.compute_device import choose_device, cuda_available, run_with_device_fallback
from calcification.core.errors import InputError
from calcification.core.synthetic import SynthesisConfig, generate_case
from calcification.logic.model_choices import SYNTHETIC_WARNING, model_choices, model_description
from calcification.logic.mrml.segmentation_nodes import create_calcification_segmentation
from calcification.logic.mrml.volume_nodes import volume_node_from_mammogram
from calcification.logic.workflows.annotation_session import REVIEW_ATTRIBUTE, AnnotationSession
from calcification.logic.workflows.editor_effect_support import default_intensity_range


def test_cpu_and_auto_choose_a_device_without_a_message():
    assert choose_device("cpu") == ("cpu", None)
    device, message = choose_device("Auto")
    assert message is None and device == ("cuda" if cuda_available() else "cpu")


@pytest.mark.skipif(cuda_available(), reason="checks the fallback on a machine without a GPU")
def test_cuda_without_a_gpu_runs_on_the_cpu_and_says_so():
    devices = []
    result, message = run_with_device_fallback(lambda device: devices.append(device) or "done", "cuda")
    assert result == "done" and devices == ["cpu"]
    assert "no usable GPU" in message and "CPU" in message


def test_unknown_device_and_other_errors_are_not_swallowed():
    with pytest.raises(InputError, match="auto, cpu, cuda"):
        choose_device("tpu")

    def failing(device):
        raise RuntimeError("something else broke")

    with pytest.raises(RuntimeError, match="something else"):
        run_with_device_fallback(failing, "cpu")


def test_model_list_puts_the_default_first_and_marks_synthetic_training():
    choices = model_choices()
    assert choices, "the shipped model must be listed"
    name, label = choices[0]
    assert name == "pro_unext_synthetic" and "(default, synthetic data)" in label


def test_model_description_summarises_the_card_and_warns_about_synthetic_data():
    summary, warning = model_description(None)
    assert "pro_unext at 0.07 mm, 5 fold(s)" in summary and "mean validation Dice 0.88" in summary
    assert warning == SYNTHETIC_WARNING
    summary, warning = model_description("no_such_model")
    assert summary == "" and "no_such_model" in warning


@pytest.fixture(scope="module")
def case():
    return generate_case(SynthesisConfig(shape=(512, 448)), seed=5, index=1)


def test_default_density_range_starts_at_the_breast_median(scene, case):
    import numpy as np

    volume = volume_node_from_mammogram(scene, case.mammogram, name="case")
    low, high = default_intensity_range(volume)
    pixels = case.mammogram.pixels
    assert high == pytest.approx(float(pixels.max()))
    # The median of the breast lies well above the background and below the brightest calcification.
    assert float(np.median(pixels[~case.breast_mask])) < low < high
    assert low == pytest.approx(float(np.median(pixels[case.breast_mask])), rel=0.1)


def test_default_density_range_refuses_a_blank_volume(scene, case):
    import numpy as np

    from calcification.logic.mrml.volume_nodes import update_volume_node_from_array

    volume = volume_node_from_mammogram(scene, case.mammogram, name="blank")
    update_volume_node_from_array(volume, np.zeros((1, 64, 64), np.float32))
    with pytest.raises(InputError, match="blank"):
        default_intensity_range(volume)


def test_clicking_a_candidate_row_moves_the_review_and_saves_it(scene, case):
    volume = volume_node_from_mammogram(scene, case.mammogram, name="case")
    segmentation = create_calcification_segmentation(scene, volume)
    session = AnnotationSession(volume, segmentation)
    review = session.start_review()
    assert len(review) >= 3
    session.go_to_candidate(2)
    assert review.index == 2
    assert json.loads(segmentation.GetAttribute(REVIEW_ATTRIBUTE))["index"] == 2  # what a saved scene keeps
    with pytest.raises(InputError, match="no candidate"):
        session.go_to_candidate(len(review))
