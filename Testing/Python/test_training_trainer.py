"""The fold trainer: reproducible, resumable after a cancel, checkpoints that load with weights_only, and a model
folder that the inference side loads; crop batches with the requested share of calcification crops."""

import numpy as np
import pytest
import torch

from calcification.core.errors import CancelledError, InputError
from calcification.core.models.model_card import NormalisationSpec
from calcification.core.models.model_store import load_model
from calcification.core.synthetic import SynthesisConfig, generate_case
from calcification.core.training.crop_batches import CropBatcher
from calcification.core.training.fold_trainer import train_fold
from calcification.core.training.initial_weights import initial_state
from calcification.core.training.segmenter_training import train_segmenter
from calcification.core.training.training_cases import prepare_training_case
from calcification.core.training.training_config import TrainingConfig

TINY = TrainingConfig(
    crop_size=64, batch_size=2, steps_per_epoch=3, phase_one_epochs=2, phase_two_epochs=1, augment=False, device="cpu"
)


@pytest.fixture(scope="module")
def cases():
    out = []
    for index in range(4):
        case = generate_case(SynthesisConfig(shape=(256, 256), crop=True), seed=77, index=index)
        m = case.mammogram
        out.append(prepare_training_case(f"c{index}", f"p{index}", m.pixels, m.spacing_mm, case.mask, None, 0.07))
    return out


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_same_seed_gives_the_same_network_and_history(cases):
    first = train_fold(cases[:3], cases[3:], TINY)
    second = train_fold(cases[:3], cases[3:], TINY)
    assert _same(first.state_dict, second.state_dict)
    assert [h["train_loss"] for h in first.history] == [h["train_loss"] for h in second.history]
    assert len(first.history) == TINY.total_epochs and [h["phase"] for h in first.history] == [1, 1, 2]
    assert 0 <= first.best_epoch < TINY.total_epochs


def test_resume_after_cancel_equals_an_uninterrupted_run(cases, tmp_path):
    uninterrupted = train_fold(cases[:3], cases[3:], TINY)
    checkpoint = tmp_path / "fold.pt"
    calls = []

    def stop_in_second_epoch(fraction, message):
        calls.append(fraction)
        return len(calls) <= TINY.steps_per_epoch + 1

    with pytest.raises(CancelledError, match="resume"):
        train_fold(cases[:3], cases[3:], TINY, checkpoint=checkpoint, progress=stop_in_second_epoch)
    saved = torch.load(checkpoint, weights_only=True)
    assert saved["epoch"] == 1
    received = []
    resumed = train_fold(cases[:3], cases[3:], TINY, checkpoint=checkpoint, fold=0, events=received.append)
    assert _same(resumed.state_dict, uninterrupted.state_dict)
    assert [h["train_loss"] for h in resumed.history] == [h["train_loss"] for h in uninterrupted.history]
    # The checkpoint's epoch comes first, marked, so a resumed run's curves show the whole fold.
    epochs = [r for r in received if r["event"] == "epoch"]
    assert [r["epoch"] for r in epochs] == list(range(TINY.total_epochs))
    assert [r.get("from_checkpoint", False) for r in epochs] == [True, False, False]
    assert epochs[0]["train_loss"] == uninterrupted.history[0]["train_loss"]
    assert epochs[0]["best_dice"] == uninterrupted.history[0]["val_dice"]
    assert not any(r["event"] == "step" and r["epoch"] == 0 for r in received)


def test_checkpoint_of_other_settings_is_refused(cases, tmp_path):
    checkpoint = tmp_path / "fold.pt"
    train_fold(cases[:3], cases[3:], TINY, checkpoint=checkpoint)
    with pytest.raises(InputError, match="other settings"):
        train_fold(cases[:3], cases[3:], TrainingConfig(**{**TINY.__dict__, "seed": 5}), checkpoint=checkpoint)
    checkpoint.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="cannot be read"):
        train_fold(cases[:3], cases[3:], TINY, checkpoint=checkpoint)


def test_segmenter_training_writes_a_loadable_ensemble(cases, tmp_path):
    card = train_segmenter(
        cases,
        tmp_path / "model",
        "tiny",
        TINY,
        folds=2,
        trained_on="4 synthetic crops",
        synthetic_training=True,
        half_precision_weights=True,
    )
    assert len(card.folds) == 2 and card.synthetic_training
    assert set(card.metrics) == {"fold_0_validation_dice", "fold_1_validation_dice", "mean_validation_dice"}
    loaded = load_model(tmp_path / "model")
    assert len(loaded.networks) == 2
    assert next(loaded.networks[0].parameters()).dtype == torch.float32  # float16 files load as float32
    with pytest.raises(InputError, match="already holds a model"):
        train_segmenter(cases, tmp_path / "model", "tiny", TINY, folds=2)


def test_crop_batches_have_the_requested_share_of_calcification_crops(cases):
    config = TrainingConfig(crop_size=64, batch_size=200, empty_fraction=0.25, augment=False)
    images, masks = CropBatcher(cases, config, np.random.default_rng(0)).next_batch()
    assert images.shape == masks.shape == (200, 1, 64, 64) and images.dtype == np.float32
    with_calcification = float(np.mean(masks.reshape(200, -1).max(axis=1)))
    assert 0.7 <= with_calcification <= 0.95  # 75% placed on a calcification, plus some random crops that hit one


def test_a_batch_needs_a_breast_region(cases):
    empty = [type(cases[0])("c", "p", cases[0].image, cases[0].mask, np.zeros_like(cases[0].region))]
    with pytest.raises(InputError, match="cannot fill a batch"):
        CropBatcher(empty, TINY, np.random.default_rng(0))


def test_small_images_are_padded_into_crops():
    image = np.random.default_rng(1).random((40, 50)).astype(np.float32)
    mask = np.zeros((40, 50), np.uint8)
    mask[20, 25] = 1
    case = prepare_training_case("s", "p", image, (0.07, 0.07), mask, None, 0.07, NormalisationSpec())
    images, masks = CropBatcher(
        [case], TrainingConfig(crop_size=64, batch_size=4, augment=False), np.random.default_rng(0)
    ).next_batch()
    assert images.shape == (4, 1, 64, 64) and masks.sum() <= 4


def _speck_and_blob_case():
    """One case with a 400-pixel calcification and a 1-pixel speck far apart on a noise breast."""
    image = np.random.default_rng(2).random((600, 600)).astype(np.float32)
    mask = np.zeros((600, 600), np.uint8)
    mask[50:70, 50:70] = 1  # 400 px
    mask[500, 500] = 1  # 1 px
    return prepare_training_case("s", "p", image, (0.07, 0.07), mask, None, 0.07, NormalisationSpec())


@pytest.mark.parametrize("sampling, speck_share", [("object", (0.4, 0.6)), ("pixel", (0.0, 0.02))])
def test_object_sampling_puts_small_specks_in_crops_as_often_as_large_calcifications(sampling, speck_share):
    config = TrainingConfig(crop_size=64, batch_size=400, empty_fraction=0.0, augment=False, positive_sampling=sampling)
    _, masks = CropBatcher([_speck_and_blob_case()], config, np.random.default_rng(0)).next_batch()
    share_of_speck = float(np.mean(masks.reshape(400, -1).sum(axis=1) == 1))  # the speck alone, no blob pixel
    assert speck_share[0] <= share_of_speck <= speck_share[1]


def test_positive_sampling_is_checked_and_offered_by_the_command_line():
    from calcification.cli.main import build_parser
    from calcification.core.training.training_config import POSITIVE_SAMPLING

    with pytest.raises(InputError, match="positive_sampling"):
        TrainingConfig(positive_sampling="cluster")
    args = build_parser().parse_args(["train-segmenter", "--synthetic", "2", "--name", "x"])
    assert args.positive_sampling == "object"
    choices = next(
        a.choices
        for a in build_parser()._subparsers._group_actions[0].choices["train-segmenter"]._actions
        if a.dest == "positive_sampling"
    )
    assert tuple(choices) == POSITIVE_SAMPLING


def test_fine_tuning_starts_every_fold_from_the_models_fold(cases, tmp_path):
    train_segmenter(cases, tmp_path / "base", "base", TINY, folds=2)
    base = load_model(tmp_path / "base")
    tuned_config = TrainingConfig(**{**TINY.__dict__, "init_model": str(tmp_path / "base")})
    for fold in (0, 1, 2):  # fold 2 cycles back to the model's fold 0
        state = initial_state(tuned_config, fold)
        assert _same(state, base.networks[fold % 2].state_dict())
    # Fine-tuned with a learning rate of 0 (phase 1 only), each fold keeps its starting weights (batch-norm running
    # statistics still follow the new crops, so only the learned parameters are compared).
    frozen = TrainingConfig(
        **{**tuned_config.__dict__, "learning_rate": 0.0, "phase_two_epochs": 0, "weight_decay": 0.0}
    )
    card = train_segmenter(cases, tmp_path / "tuned", "tuned", frozen, folds=2)
    tuned = load_model(tmp_path / "tuned")
    for fold in (0, 1):
        learned = dict(tuned.networks[fold].named_parameters())
        assert _same(learned, dict(base.networks[fold].named_parameters()))
        assert not _same(learned, dict(base.networks[1 - fold].named_parameters()))
    assert "init_model" in card.description


def test_fine_tuning_refuses_a_model_that_does_not_fit(cases, tmp_path):
    train_segmenter(cases, tmp_path / "base", "base", TINY, folds=2)
    start = {**TINY.__dict__, "init_model": str(tmp_path / "base")}
    with pytest.raises(InputError, match="preset"):
        train_segmenter(cases, tmp_path / "a", "a", TrainingConfig(**{**start, "preset": "unext_s"}), folds=2)
    with pytest.raises(InputError, match="mm per pixel"):
        train_segmenter(cases, tmp_path / "b", "b", TrainingConfig(**{**start, "spacing_mm": 0.1}), folds=2)
    with pytest.raises(InputError, match="normalises"):
        train_segmenter(
            cases,
            tmp_path / "c",
            "c",
            TrainingConfig(**start),
            folds=2,
            normalisation=NormalisationSpec(low_percentile=1.0, high_percentile=99.0),
        )
    with pytest.raises(InputError):
        train_segmenter(cases, tmp_path / "d", "d", TrainingConfig(**{**start, "init_model": str(tmp_path / "none")}))
    assert not any((tmp_path / name).exists() for name in "abcd")
