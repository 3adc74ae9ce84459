"""Issue 23, items 2 and 4-14: hostile names, damaged files and nonsense options give a one-line error and exit code
2 (or are handled safely), never a traceback, a garbage result or a file outside the chosen folder."""

from __future__ import annotations

import csv
import json
import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from calcification.core.errors import InputError

from command_runs import run_command as _run
from dicom_factory import mammography_dataset, ramp_pattern, write_dicom


def _assert_one_line_error(code, err):
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("usage:", " "))]
    assert "Traceback" not in err
    assert len(lines) == 1, err


def _png(path: Path, size=(64, 48)) -> Path:
    pixels = (np.indices(size).sum(axis=0) * 20 % 256).astype(np.uint8)
    Image.fromarray(pixels).save(path)
    return path


# -- item 2: Rows/Columns that disagree with the pixel data ------------------------------------------------------


@pytest.mark.parametrize("syntax", ["RLE", "J2K", "plain"])
@pytest.mark.parametrize("change", ["half", "swap", "double"])
def test_dicom_rows_columns_disagreeing_with_pixel_data_are_refused(tmp_path, syntax, change):
    if (syntax, change) == ("plain", "swap"):
        pytest.skip("uncompressed pixels swapped keep their length and carry no width of their own")
    import pydicom
    from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless, RLELossless

    from calcification.core.io import read_mammogram

    transfer = {"RLE": RLELossless, "J2K": JPEG2000Lossless, "plain": None}[syntax]
    good = mammography_dataset(ramp_pattern(), PixelSpacing=[0.07, 0.07])
    source = write_dicom(tmp_path / "good.dcm", good, transfer)
    dataset = pydicom.dcmread(source)
    rows, columns = dataset.Rows, dataset.Columns
    dataset.Rows, dataset.Columns = {
        "half": (rows // 2, columns),
        "swap": (columns, rows),
        "double": (rows * 2, columns),
    }[change]
    if syntax == "plain":
        dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset.save_as(tmp_path / "bad.dcm")
    with pytest.raises(InputError, match="bad.dcm"):
        read_mammogram(tmp_path / "bad.dcm")


# -- item 4: the MRML cache folder is private to the user ---------------------------------------------------------


def test_mrml_cache_is_private_and_not_a_predictable_shared_path(tmp_path, monkeypatch):
    import tempfile

    from calcification.logic.mrml import scene_factory

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    (tmp_path / "calcification-mrml-cache").write_text("planted by another user")  # what another user could do
    monkeypatch.setattr(scene_factory, "_PRIVATE_CACHE", None, raising=False)
    folder = scene_factory._cache_directory()
    assert folder.is_dir() and folder != tmp_path / "calcification-mrml-cache"
    assert folder.stat().st_uid == os.getuid() and folder.stat().st_mode & 0o077 == 0
    scene_factory.create_headless_scene()


# -- item 5: --name is a name, never a path ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/abs-name", "a/b", "..", ".", "bad\\name", "x\x00y", ""])
def test_model_and_classifier_names_cannot_escape_their_folder(tmp_path, capsys, name):
    features, labels = tmp_path / "features.csv", tmp_path / "labels.csv"
    features.write_text("case_id,patient_id\n")
    labels.write_text("case_id,patient_id,label\n")
    code, err = _run(["train-classifier", features, labels, "--name", name], capsys)
    _assert_one_line_error(code, err)
    code, err = _run(["train-segmenter", "--synthetic", "2", "--name", name, "--epochs", "1"], capsys)
    _assert_one_line_error(code, err)


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/abs-name", "a/b", ".."])
def test_classifier_destination_refuses_a_path_as_name(name):
    from calcification.logic.training.classifier_training import classifier_destination

    with pytest.raises(InputError, match="plain name"):
        classifier_destination(name)


def test_a_plain_name_is_accepted():
    from calcification.core.artifact_names import check_artifact_name

    assert check_artifact_name("my-model_2.v1", "model") == "my-model_2.v1"


# -- item 6: CSV formula injection -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_cells_that_would_be_formulas_are_neutralised(value):
    from calcification.core.reporting.csv_cells import restore_cell, safe_cell

    cell = safe_cell(value)
    assert cell[0] == "'" and cell[1:] == value and restore_cell(cell) == value
    assert safe_cell("-0.25") == "-0.25" and safe_cell(-3) == -3 and safe_cell("P_00038") == "P_00038"
    assert safe_cell(cell) == cell  # idempotent


# -- item 7: a user model named like a shipped one ---------------------------------------------------------------


def test_user_model_with_a_shipped_name_is_used_with_a_warning(tmp_path, monkeypatch):
    from calcification.core.models.model_store import (
        CARD_FILE_NAME,
        list_models,
        resolve_model_folder,
        shipped_models_dir,
    )

    shipped = next(e for e in list_models() if e.origin == "shipped")
    user_dir = tmp_path / "models"
    shutil.copytree(shipped.folder, user_dir / "mine")
    monkeypatch.setenv("CALCIFICATION_MODELS_DIR", str(user_dir))
    assert (user_dir / "mine" / CARD_FILE_NAME).is_file()
    with pytest.warns(UserWarning, match="shipped"):
        folder = resolve_model_folder(shipped.name)
    assert folder == user_dir / "mine" and folder.parent != shipped_models_dir()


# -- item 8: model cards ----------------------------------------------------------------------------------------


def _card_folder(tmp_path, **changes) -> Path:
    from calcification.core.models.model_store import CARD_FILE_NAME, list_models

    shipped = next(e for e in list_models() if e.origin == "shipped")
    folder = tmp_path / "model"
    shutil.copytree(shipped.folder, folder)
    card = json.loads((folder / CARD_FILE_NAME).read_text())
    card.update(changes)
    (folder / CARD_FILE_NAME).write_text(json.dumps(card))
    return folder


@pytest.mark.parametrize(
    "changes", [{"spacing_mm": 1e-6}, {"spacing_mm": 50.0}, {"architecture_kwargs": {"base_channels": 10**9}}]
)
def test_model_card_fields_out_of_range_are_refused(tmp_path, changes):
    from calcification.core.models.model_store import read_card

    with pytest.raises(InputError, match="model card"):
        read_card(_card_folder(tmp_path, **changes))


def test_model_card_that_is_not_utf8_gives_one_line(tmp_path, capsys):
    from calcification.core.models.model_store import CARD_FILE_NAME

    folder = _card_folder(tmp_path)
    (folder / CARD_FILE_NAME).write_bytes(b'{"name": "\xff\xfe broken"}')
    code, err = _run(
        ["segment", _png(tmp_path / "a.png"), "--out", tmp_path / "out", "--method", "network", "--model", folder],
        capsys,
    )
    _assert_one_line_error(code, err)
    assert not (tmp_path / "out").exists()


# -- item 9 and 14: trace options -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "option",
    [
        ["--point", "nan,nan"],
        ["--point", "inf,0"],
        ["--point", "3,3", "--snap-mm", "-1"],
        ["--point", "3,3", "--snap-mm", "nan"],
        ["--point", "3,3", "--range", "nan,nan"],
        ["--point", "3,3", "--fraction", "nan"],
    ],
)
def test_trace_refuses_non_finite_and_negative_options(tmp_path, capsys, option):
    code, err = _run(["trace", _png(tmp_path / "a.png"), "--out", tmp_path / "out", *option], capsys)
    assert code == 2 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


# -- item 10: labels CSV -----------------------------------------------------------------------------------------


def test_labels_csv_row_with_more_fields_than_the_header(tmp_path):
    from calcification.logic.workflows.annotated_case_reader import read_labels_csv

    path = tmp_path / "labels.csv"
    path.write_text("case_id,patient_id,label\na,p1,benign,EXTRA,MORE\n")
    with pytest.raises(InputError, match="Row 2 .* has 5 fields"):
        read_labels_csv(path)


def test_header_only_labels_csv_is_empty_not_missing_its_column(tmp_path):
    from calcification.logic.workflows.annotated_case_reader import read_labels_csv

    path = tmp_path / "labels.csv"
    path.write_text("case_id,patient_id,label\n")
    assert read_labels_csv(path) == {}


# -- item 11: a torch file of the wrong structure as a checkpoint -------------------------------------------------


@pytest.mark.parametrize("content", [[1, 2, 3], {"format": "x"}, "text"])
def test_checkpoint_of_the_wrong_structure(tmp_path, content):
    import torch

    from calcification.core.training.fold_trainer import CHECKPOINT_FORMAT, _load_checkpoint
    from calcification.core.training.training_config import TrainingConfig

    config = TrainingConfig()
    if isinstance(content, dict):
        content = {"format": CHECKPOINT_FORMAT, "config": repr(config), "network": 3}
    torch.save(content, tmp_path / "fold0.pt")
    with pytest.raises(InputError, match="checkpoint"):
        _load_checkpoint(tmp_path / "fold0.pt", config)


# -- item 12: synth sizes that cannot fit in memory --------------------------------------------------------------


@pytest.mark.parametrize("size", ["100000x100000", "0x512", "-5x512", "512x99999999"])
def test_synth_refuses_sizes_up_front(tmp_path, capsys, size):
    code, err = _run(["synth", "--out", tmp_path / "out", "--cases", "1", f"--size={size}"], capsys)
    _assert_one_line_error(code, err)
    assert not (tmp_path / "out").exists()


# -- item 13: damaged DICOM files and library logging -------------------------------------------------------------


def test_dicom_value_errors_in_tags_become_input_errors(tmp_path):
    from calcification.core.io import read_mammogram

    path = write_dicom(tmp_path / "a.dcm", mammography_dataset(ramp_pattern(), PixelSpacing=[0.07, 0.07]))
    data = bytearray(path.read_bytes())
    at = data.find(b"DS")  # an explicit VR: make it unknown
    data[at : at + 2] = b"ZZ"
    path.write_bytes(bytes(data))
    try:
        read_mammogram(path)
    except InputError:
        pass


def test_library_logging_stays_off_the_terminal(tmp_path, capsys):
    from pydicom.uid import RLELossless

    source = write_dicom(
        tmp_path / "x.dcm", mammography_dataset(ramp_pattern(), PixelSpacing=[0.07, 0.07]), RLELossless
    )
    import pydicom

    dataset = pydicom.dcmread(source)
    dataset.Rows = dataset.Rows * 2
    dataset.save_as(tmp_path / "bad.dcm")
    code, err = _run(["info", tmp_path / "bad.dcm"], capsys)
    _assert_one_line_error(code, err)
    logging.getLogger("pydicom").error("a library message")
    assert "a library message" not in capsys.readouterr().err


# -- item 14: nonsense accepted with exit 0 ------------------------------------------------------------------------


def test_agreement_refuses_an_image_given_as_a_segmentation(tmp_path, capsys):
    import SimpleITK as sitk

    image = tmp_path / "image.nrrd"
    sitk.WriteImage(sitk.GetImageFromArray((np.indices((40, 30)).sum(axis=0) * 37 % 900).astype(np.uint16)), image)
    code, err = _run(["agreement", image, image], capsys)
    _assert_one_line_error(code, err)


@pytest.mark.parametrize("value", ["-1", "nan", "inf"])
def test_agreement_refuses_a_bad_distance(value):
    from calcification.core.annotation.agreement import AgreementConfig

    with pytest.raises(InputError, match="distance"):
        AgreementConfig(max_centroid_distance_mm=float(value))


def test_train_segmenter_refuses_zero_folds(tmp_path, capsys):
    code, err = _run(
        ["train-segmenter", "--synthetic", "2", "--name", "x", "--folds", "0", "--out", tmp_path / "m"], capsys
    )
    _assert_one_line_error(code, err)
    assert not (tmp_path / "m").exists()


def test_refused_analyze_leaves_no_new_folder(tmp_path, capsys):
    (tmp_path / "bad.png").write_text("not a picture")
    code, err = _run(
        [
            "analyze",
            tmp_path / "bad.png",
            "--out",
            tmp_path / "new" / "out",
            "--method",
            "hdog",
            "--classifier",
            "none",
        ],
        capsys,
    )
    _assert_one_line_error(code, err)
    assert not (tmp_path / "new").exists()


def test_csv_files_from_analyze_neutralise_hostile_ids(tmp_path, capsys):
    from pydicom.uid import ExplicitVRLittleEndian  # noqa: F401  (uncompressed file)

    path = write_dicom(
        tmp_path / "=cmd.dcm",
        mammography_dataset(
            ramp_pattern(160, 128),
            PixelSpacing=[0.07, 0.07],
            PatientID="=HYPERLINK(1)",
            ImageLaterality="L",
            ViewPosition="CC",
        ),
    )
    code, err = _run(["analyze", path, "--out", tmp_path / "out", "--method", "hdog", "--classifier", "none"], capsys)
    assert code == 0, err
    for table in sorted((tmp_path / "out").glob("*.csv")):
        with open(table, newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                assert not any(cell[:1] in ("=", "+", "@") for cell in row), (table.name, row)
