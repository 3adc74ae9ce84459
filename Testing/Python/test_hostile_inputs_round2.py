"""Issue 28: the second hostile-input round. Compressed DICOM whose Rows x Columns do not describe its pixel data,
DICOM outputs refused before anything is written, range-checked filter cards, manifests that name files outside the
output folder, and the bad input of the newer commands: one line, exit code 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from calcification.core.errors import InputError

from command_runs import run_command as _run


def _assert_one_line_error(code, err, *words):
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("usage:", " "))]
    assert "Traceback" not in err and len(lines) == 1, err
    for word in words:
        assert word in lines[0], err


# -- item 3: RLE pixel data that Rows x Columns do not describe ------------------------------------------------------

#: (rows, columns) as fractions of the real image's: the issue's five, and one column or row more or less.
WRONG_SIZES = {
    "half-both": (0.5, 0.5),
    "half-columns": (1, 0.5),
    "half-rows": (0.5, 1),
    "double-rows-half-columns": (2, 0.5),
    "one-row-less": (1, -1),
    "one-column-less": (1, -2),
    "one-row-more": (1, -3),
}


def _resized(rows: int, columns: int, change: tuple) -> tuple[int, int]:
    if change[1] == -1:
        return rows - 1, columns
    if change[1] == -2:
        return rows, columns - 1
    if change[1] == -3:
        return rows + 1, columns
    return int(rows * change[0]), int(columns * change[1])


@pytest.fixture(scope="module")
def ddsm_lcc(ddsm_cases) -> Path:
    """A real RLE-compressed DDSM mammogram (4432 x 2864, 16-bit)."""
    return Path(ddsm_cases[0]["lcc"])


@pytest.mark.parametrize("change", list(WRONG_SIZES.values()), ids=list(WRONG_SIZES))
def test_rle_dicom_whose_rows_and_columns_do_not_fit_its_pixels_is_refused_in_one_line(tmp_path, ddsm_lcc, change):
    import pydicom

    from calcification.core.io import read_mammogram

    dataset = pydicom.dcmread(ddsm_lcc)
    dataset.Rows, dataset.Columns = _resized(int(dataset.Rows), int(dataset.Columns), change)
    dataset.save_as(tmp_path / "bad.dcm")
    with pytest.raises(InputError, match="bad.dcm") as caught:
        read_mammogram(tmp_path / "bad.dcm")
    message = str(caught.value)
    assert "\n" not in message and "out of bounds" not in message and "plugins" not in message, message
    assert f"{dataset.Rows} x {dataset.Columns}" in message


@pytest.mark.parametrize(
    "command", [["info"], ["segment", "--method", "hdog"], ["candidate-table", "--spacing", "0.05"]]
)
def test_commands_refuse_a_mis_sized_rle_dicom_before_computing(tmp_path, ddsm_lcc, capsys, command):
    import pydicom

    dataset = pydicom.dcmread(ddsm_lcc)
    dataset.Rows, dataset.Columns = int(dataset.Rows) * 2, int(dataset.Columns) // 2  # same length, wrong width
    dataset.save_as(tmp_path / "bad.dcm")
    out = ["--out", tmp_path / "out"] if command[0] == "segment" else []
    out = ["--out", tmp_path / "table.npz"] if command[0] == "candidate-table" else out
    code, err = _run([command[0], tmp_path / "bad.dcm", *command[1:], *out], capsys)
    _assert_one_line_error(code, err, "bad.dcm")
    assert not (tmp_path / "out").exists() and not (tmp_path / "table.npz").exists()


def test_the_real_ddsm_files_are_still_read(ddsm_dicom_paths):
    import pydicom

    from calcification.core.io.dicom_pixel_checks import check_pixel_geometry

    for path in ddsm_dicom_paths:
        check_pixel_geometry(pydicom.dcmread(path), Path(path))


# -- item 4: analyze --dicom of a DICOM without the UIDs its SEG and SR reference --------------------------------------


@pytest.mark.parametrize("missing", [("StudyInstanceUID",), ("SOPInstanceUID", "StudyInstanceUID")])
def test_analyze_dicom_without_uids_is_refused_before_any_file_is_written(tmp_path, capsys, missing):
    from pydicom.uid import generate_uid

    from dicom_factory import mammography_dataset, ramp_pattern, write_dicom

    dataset = mammography_dataset(ramp_pattern(160, 128), PixelSpacing=[0.07, 0.07], StudyInstanceUID=generate_uid())
    for keyword in missing:
        delattr(dataset, keyword)
    image = write_dicom(tmp_path / "no_uids.dcm", dataset)
    out = tmp_path / "out"
    code, err = _run(["analyze", image, "--out", out, "--dicom", "--method", "hdog", "--classifier", "none"], capsys)
    _assert_one_line_error(code, err, "Instance UID")
    assert not out.exists()


# -- item 5: filter cards are range-checked like network cards ------------------------------------------------------


@pytest.mark.parametrize("threshold", [2, 0, -0.5, 1, "0.5", None, True])
def test_a_filter_card_with_a_threshold_outside_0_1_is_refused(tmp_path, threshold):
    import json
    import shutil

    import calcification
    from calcification.core.candidates.candidate_filter import FILTER_CARD_NAME, load_filter

    folder = tmp_path / "filter"
    shutil.copytree(Path(calcification.__file__).parent / "models" / "hdog_filter_real", folder)
    card = json.loads((folder / FILTER_CARD_NAME).read_text())
    card["threshold"] = threshold
    (folder / FILTER_CARD_NAME).write_text(json.dumps(card))
    with pytest.raises(InputError, match="threshold"):
        load_filter(folder)


def test_segment_with_a_filter_card_threshold_of_2_exits_2(tmp_path, capsys):
    import json
    import shutil

    import calcification
    from calcification.core.candidates.candidate_filter import FILTER_CARD_NAME

    from dicom_factory import mammography_dataset, ramp_pattern, write_dicom

    folder = tmp_path / "filter"
    shutil.copytree(Path(calcification.__file__).parent / "models" / "hdog_filter_real", folder)
    card = json.loads((folder / FILTER_CARD_NAME).read_text()) | {"threshold": 2}
    (folder / FILTER_CARD_NAME).write_text(json.dumps(card))
    image = write_dicom(tmp_path / "m.dcm", mammography_dataset(ramp_pattern(160, 128), PixelSpacing=[0.07, 0.07]))
    code, err = _run(
        ["segment", image, "--method", "hdog_filtered", "--model", folder, "--out", tmp_path / "o"], capsys
    )
    _assert_one_line_error(code, err, "threshold")
    assert not (tmp_path / "o").exists()


# -- candidate-table and train-candidate-filter: bad input is one line -----------------------------------------------


def _table(path: Path, images: int = 4, rows: int = 30, seed: int = 0) -> Path:
    """A candidate table of ``images`` backgrounds with random features, about a third of the rows true."""
    import numpy as np

    from calcification.core.candidates.candidate_features import FEATURE_NAMES
    from calcification.core.candidates.training_table import TableRows, save_rows

    rng = np.random.default_rng(seed)
    parts = []
    for image in range(images):
        labels = (rng.random(rows) < 0.35).astype(np.int8)
        features = (rng.normal(size=(rows, len(FEATURE_NAMES))) + labels[:, None]).astype(np.float32)
        points = rng.random((rows, 2)).astype(np.float32) * 20
        parts.append(TableRows(f"img{image}", "normal", 0.07, features, labels, int(labels.sum()), 0, points))
    save_rows(parts, path)
    return path


def _edited(source: Path, target: Path, **changes) -> Path:
    import numpy as np

    with np.load(source) as data:
        arrays = {key: data[key] for key in data.files}
    arrays.update(changes)
    np.savez(target, **arrays)
    return target


@pytest.mark.parametrize(
    "case",
    ["missing-folder", "a-folder", "csv-name", "under-a-file", "damaged-resume"],
)
def test_candidate_table_out_problems_are_one_line_and_leave_nothing(tmp_path, capsys, case):
    (tmp_path / "file").write_text("x")
    (tmp_path / "damaged.npz").write_bytes(b"PK\x03\x04 not really a zip")
    out = {
        "missing-folder": tmp_path / "missing" / "t.npz",
        "a-folder": tmp_path,
        "csv-name": tmp_path / "t.csv",
        "under-a-file": tmp_path / "file" / "t.npz",
        "damaged-resume": tmp_path / "damaged.npz",
    }[case]
    before = sorted(p.name for p in tmp_path.iterdir())
    code, err = _run(["candidate-table", "--synthetic", "1", "--out", out], capsys)
    _assert_one_line_error(code, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no .partial.npz, no t.csv


@pytest.mark.parametrize(
    "case",
    ["empty-file", "not-npz", "lengths-differ", "all-nan", "zero-rows", "one-class", "2d-labels", "text-features"],
)
def test_train_candidate_filter_refuses_a_bad_table_in_one_line(tmp_path, capsys, case):
    import numpy as np

    good = _table(tmp_path / "good.npz")
    with np.load(good) as data:
        features, labels = data["features"], data["labels"]
    table = tmp_path / "bad.npz"
    if case == "empty-file":
        table.write_bytes(b"")
    elif case == "not-npz":
        table.write_text("case_id,a\n1,2\n")
    elif case == "lengths-differ":
        _edited(good, table, labels=labels[:-5])
    elif case == "all-nan":
        _edited(good, table, features=np.full_like(features, np.nan))
    elif case == "zero-rows":
        _table(table, images=0)
    elif case == "one-class":
        _edited(good, table, labels=np.zeros_like(labels))
    elif case == "2d-labels":
        _edited(good, table, labels=labels[:, None])
    else:
        _edited(good, table, features=features.astype(str))
    code, err = _run(["train-candidate-filter", table, "--name", "f", "--out", tmp_path / "filter"], capsys)
    _assert_one_line_error(code, err)
    assert not (tmp_path / "filter").exists()


@pytest.mark.parametrize(
    "options", [["--folds", "1"], ["--folds", "-1"], ["--folds", "1000"], ["--name", ""], ["--name", "../x"]]
)
def test_train_candidate_filter_refuses_bad_options_in_one_line(tmp_path, capsys, options):
    table = _table(tmp_path / "good.npz")
    named = [] if "--name" in options else ["--name", "f"]
    code, err = _run(["train-candidate-filter", table, *named, *options, "--out", tmp_path / "filter"], capsys)
    _assert_one_line_error(code, err)
    assert not (tmp_path / "filter").exists()


def test_train_candidate_filter_out_under_a_file_is_one_line(tmp_path, capsys):
    table = _table(tmp_path / "good.npz")
    (tmp_path / "file").write_text("x")
    code, err = _run(["train-candidate-filter", table, "--name", "f", "--out", tmp_path / "file" / "filter"], capsys)
    _assert_one_line_error(code, err, "not a folder")


def test_train_candidate_filter_still_trains_on_a_good_table(tmp_path, capsys):
    table = _table(tmp_path / "good.npz")
    code, err = _run(["train-candidate-filter", table, "--name", "f", "--folds", "2", "--out", tmp_path / "f"], capsys)
    assert code == 0, err
    assert (tmp_path / "f" / "filter_card.json").is_file()


# -- memory: an estimate that passes, then an allocation that fails ---------------------------------------------------


def test_synth_that_runs_out_of_memory_is_one_line_and_keeps_no_file(tmp_path):
    """The address space is capped (RLIMIT_AS) so a size the estimate accepts fails to allocate half way."""
    import resource
    import subprocess
    import sys

    limit = 3 * 2**30

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    command = [sys.executable, "-c", "import sys; from calcification.cli.main import main; sys.exit(main())"]
    out = tmp_path / "synth"
    run = subprocess.run(
        [*command, "synth", "--out", str(out), "--cases", "1", "--size", "12000x15000"],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=cap,
    )
    assert run.returncode == 2, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "ran out of memory" in lines[0] and "Traceback" not in run.stderr, run.stderr
    assert not out.exists() or not any(out.rglob("*"))


# -- a damaged training checkpoint ---------------------------------------------------------------------------------


@pytest.mark.parametrize("content", ["garbage", "forbidden-pickle", "zip-garbage"])
def test_a_damaged_training_checkpoint_is_one_line_without_pytorch_advice(tmp_path, content):
    import pickle

    from calcification.core.training.fold_trainer import _load_checkpoint
    from calcification.core.training.training_config import TrainingConfig

    path = tmp_path / "fold0.pt"
    if content == "garbage":
        path.write_bytes(b"\x00\x01 not a checkpoint" * 10)
    elif content == "forbidden-pickle":  # a pickle naming a global that weights_only refuses (torch explains at length)
        path.write_bytes(pickle.dumps(Path("x"), protocol=2))
    else:
        path.write_bytes(b"PK\x03\x04" + bytes(60))
    with pytest.raises(InputError, match="cannot be read") as caught:
        _load_checkpoint(path, TrainingConfig())
    message = str(caught.value)
    assert "\n" not in message and "weights_only" not in message and "torch" not in message.lower(), message


# -- the MRML cache folder of a killed run ------------------------------------------------------------------------


def test_the_mrml_cache_of_a_killed_process_is_removed_by_the_next_run(tmp_path, monkeypatch):
    import os
    import signal
    import subprocess
    import sys
    import tempfile

    from calcification.logic.mrml import scene_factory

    environment = {**os.environ, "TMPDIR": str(tmp_path)}
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from calcification.logic.mrml.scene_factory import create_headless_scene; create_headless_scene(); "
            "print('ready', flush=True); import time; time.sleep(600)",
        ],
        env=environment,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "ready"
    (left,) = tmp_path.glob("calcification-mrml-cache-*")
    child.send_signal(signal.SIGKILL)
    child.wait()  # reaped, as a shell or supervisor would: an unreaped zombie still reads as alive
    assert left.is_dir()  # atexit never ran
    foreign = tmp_path / "calcification-mrml-cache-1-other"  # pid 1 is alive: never removed
    foreign.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.setattr(scene_factory, "_PRIVATE_CACHE", None)
    mine = scene_factory._cache_directory()
    assert not left.exists() and foreign.is_dir() and mine.is_dir()


def test_a_table_whose_compressed_data_is_damaged_is_one_line(tmp_path, capsys):
    """Found by the fuzz counter: a damaged deflate stream raises zlib.error, which no other check names."""
    import sys
    import zlib

    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Fuzz"))
    from fuzz_targets import mutate

    good = _table(tmp_path / "good.npz").read_bytes()
    table = tmp_path / "bad.npz"
    for seed in range(2000):  # the first mutation (in a fixed series) whose data fail to inflate
        table.write_bytes(mutate(good, np.random.default_rng(seed)))
        try:
            with np.load(table) as data:
                [data[key] for key in data.files]
        except zlib.error:
            break
        except Exception:  # noqa: BLE001 - other damage: not the case looked for
            continue
    else:
        pytest.fail("no mutation damaged the compressed data")
    code, err = _run(["train-candidate-filter", table, "--name", "f", "--out", tmp_path / "filter"], capsys)
    _assert_one_line_error(code, err, "not a candidate table")
