"""Model cards and the model store: JSON and weight round-trips, checksum and corruption checks, lookup by name."""

from __future__ import annotations

import json

import pytest
import torch

from calcification.core.errors import InputError
from calcification.core.models.model_card import CARD_FILE_NAME, ModelCard, NormalisationSpec
from calcification.core.models.model_store import (
    USER_MODELS_ENV,
    default_search_dirs,
    list_models,
    load_model,
    read_card,
    save_model,
    sha256_of,
    shipped_models_dir,
)
from calcification.core.networks.factory import build_network

TINY = {"widths": [4, 4, 8, 8, 8, 8, 8], "expansion": 1.0}


def _card(name: str = "tiny_test_model") -> ModelCard:
    return ModelCard(
        name=name,
        architecture="pro_unext",
        architecture_kwargs=dict(TINY),
        spacing_mm=0.1,
        normalisation=NormalisationSpec(low_percentile=1.0, high_percentile=99.0),
        threshold=0.6,
        min_object_area_mm2=0.02,
        trained_on="synthetic mammograms, seeds 0-999",
        synthetic_training=True,
        metrics={"dice": 0.81, "recall": 0.9},
        description="made by test_model_store",
    )


def _folds(count: int = 2):
    networks = []
    for seed in range(count):
        torch.manual_seed(seed)
        networks.append(build_network("pro_unext", TINY))
    return networks


@pytest.fixture
def saved(tmp_path):
    """A two-fold model written to tmp_path / "tiny_test_model": (folder, card as written, fold networks)."""
    folds = _folds()
    folder = tmp_path / "tiny_test_model"
    return folder, save_model(folder, _card(), folds), folds


def test_card_json_round_trip():
    card = _card()
    assert ModelCard.from_json(card.to_json()) == card
    assert json.loads(card.to_json())["synthetic_training"] is True


def test_weights_and_card_round_trip(saved):
    folder, written, folds = saved
    assert sorted(p.name for p in folder.iterdir()) == sorted([CARD_FILE_NAME, "fold_0.pt", "fold_1.pt"])
    assert [f.sha256 for f in written.folds] == [sha256_of(folder / f"fold_{k}.pt") for k in range(2)]
    model = load_model(folder)
    assert model.card == written == read_card(folder)
    assert model.card.synthetic_training and model.card.normalisation.low_percentile == 1.0
    x = torch.randn(1, 1, 40, 50)
    for original, loaded in zip(folds, model.networks, strict=True):
        original.eval()
        assert not loaded.training
        for key, value in original.state_dict().items():
            assert torch.equal(value, loaded.state_dict()[key])
        with torch.inference_mode():
            assert torch.equal(original(x), loaded(x))


def test_corrupted_weight_file_is_refused(saved):
    folder, _, _ = saved
    data = bytearray((folder / "fold_1.pt").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "fold_1.pt").write_bytes(bytes(data))
    with pytest.raises(InputError, match="does not match the checksum"):
        load_model(folder)


def test_unreadable_weights_with_matching_checksum_are_refused(saved):
    folder, written, _ = saved
    (folder / "fold_0.pt").write_bytes(b"not a torch file at all")
    card = json.loads((folder / CARD_FILE_NAME).read_text())
    card["folds"][0]["sha256"] = sha256_of(folder / "fold_0.pt")
    (folder / CARD_FILE_NAME).write_text(json.dumps(card))
    with pytest.raises(InputError, match="cannot be read as PyTorch weights"):
        load_model(folder)


def test_checksum_mismatch_in_the_card_is_refused(saved):
    folder, _, _ = saved
    card = json.loads((folder / CARD_FILE_NAME).read_text())
    card["folds"][1]["sha256"] = "0" * 64
    (folder / CARD_FILE_NAME).write_text(json.dumps(card))
    with pytest.raises(InputError, match="does not match the checksum"):
        load_model(folder)


def test_missing_folder_card_and_weights_are_refused(saved, tmp_path):
    folder, _, _ = saved
    with pytest.raises(InputError, match="No model named"):
        load_model(tmp_path / "nowhere", search_dirs=[tmp_path])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="has no model_card.json"):
        load_model(tmp_path / "empty")
    (folder / "fold_0.pt").unlink()
    with pytest.raises(InputError, match="is missing"):
        load_model(folder)


def test_a_blank_model_name_or_a_folder_without_card_is_an_input_error(tmp_path):
    from calcification.core.segmentation.network_method import load_model_cached

    with pytest.raises(InputError, match="No model was given"):
        load_model_cached("  ")
    (tmp_path / "not_a_model").mkdir()
    with pytest.raises(InputError, match="not a model folder"):  # the cache reads the card first: no OSError
        load_model_cached(tmp_path / "not_a_model")


def test_weights_of_another_architecture_are_refused_and_nothing_is_written(tmp_path):
    folder = tmp_path / "mismatch"
    with pytest.raises(InputError, match="does not fit"):
        save_model(folder, _card(), [build_network("unext_s", {})])
    assert not folder.exists()


def test_existing_model_is_not_overwritten_without_permission(saved):
    folder, _, _ = saved
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(InputError, match="already holds a model"):
        save_model(folder, _card(), _folds(1))
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    rewritten = save_model(folder, _card(), _folds(1), overwrite=True)
    assert len(rewritten.folds) == 1 and len(load_model(folder).networks) == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"threshold": 1.5}, "threshold"),
        ({"spacing_mm": -0.1}, "spacing_mm must be between"),
        ({"architecture": ""}, "'architecture'"),
        ({"format_version": 99}, "format version"),
        ({"folds": [{"file": "../evil.pt", "sha256": "0" * 64}]}, "invalid weight file"),
        ({"normalisation": {"method": "zscore"}}, "Unknown normalisation method"),
    ],
)
def test_invalid_cards_are_refused(saved, change, message):
    folder, _, _ = saved
    card = json.loads((folder / CARD_FILE_NAME).read_text())
    card.update(change)
    (folder / CARD_FILE_NAME).write_text(json.dumps(card))
    with pytest.raises(InputError, match=message):
        load_model(folder)


def test_list_models_finds_user_models_by_name_and_skips_broken_ones(tmp_path, monkeypatch):
    user_dir = tmp_path / "user_models"
    save_model(user_dir / "model_a", _card("model_a"), _folds(1))
    save_model(user_dir / "model_b", _card("model_b"), _folds(1))
    (user_dir / "broken").mkdir()
    (user_dir / "broken" / CARD_FILE_NAME).write_text("{ not json")
    monkeypatch.setenv(USER_MODELS_ENV, str(user_dir))
    assert default_search_dirs() == (shipped_models_dir(), user_dir)
    entries = [e for e in list_models() if e.origin == "user"]
    assert [(e.name, e.folder.name) for e in entries] == [("model_a", "model_a"), ("model_b", "model_b")]
    assert load_model("model_b").card.name == "model_b"
    assert shipped_models_dir().is_dir() and (shipped_models_dir() / "README.md").is_file()


def test_every_shipped_model_loads_verified_says_it_is_synthetic_and_all_weights_stay_under_20_mb():
    shipped = [e for e in list_models() if e.origin == "shipped"]
    assert {"pro_unext_synthetic", "pro_unext_synthetic_single"} <= {e.name for e in shipped}
    for entry in shipped:
        loaded = load_model(entry.folder)  # checksums verified, weights_only=True
        assert loaded.card.synthetic_training and len(loaded.networks) == len(loaded.card.folds) >= 1
    weights = sum(path.stat().st_size for path in shipped_models_dir().rglob("*.pt"))
    assert weights < 20 * 1024 * 1024
