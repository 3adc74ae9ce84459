"""Issue 28, items 1 and 2: plain and archive runs share an output folder's tables. A merge matches columns by name,
never by order, and drops no row without saying so; a second archive run into a folder is refused with one line;
plain and archive runs in every order, one after the other and at the same time, leave every image's row in every
table."""

from __future__ import annotations

import csv
import itertools
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from calcification.core.errors import InputError
from calcification.logic.workflows.analysis_workflow import FEATURE_COLUMNS
from calcification.logic.workflows.archive_run.run_lock import LOCK_NAME, archive_run_lock
from calcification.logic.workflows.shared_tables import merged_table

from speck_pictures import make_image as _image

COMMAND = [sys.executable, "-c", "import sys; from calcification.cli.main import main; sys.exit(main())"]
SETTINGS = ["--method", "hdog", "--classifier", "none", "--spacing", "0.07"]


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, columns, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def _check_tables(out: Path, names) -> None:
    """Every image's row once in features.csv and summary.csv, every feature cell filled."""
    for table in ("features.csv", "summary.csv"):
        rows = _rows(out / table)
        assert sorted(r["case_id"] for r in rows) == sorted(names), table
    features = _rows(out / "features.csv")
    assert list(features[0]) == list(FEATURE_COLUMNS)
    assert all(row[column] != "" for row in features for column in FEATURE_COLUMNS if column != "patient_id")


# -- unit level: the merge ---------------------------------------------------------------------------------------------


def test_a_table_in_another_column_order_keeps_its_rows(tmp_path):
    path = _write(tmp_path / "t.csv", ["b", "case_id", "a"], [["2", "x", "1"], ["4", "y", "3"]])
    table = merged_table(path, ["case_id", "a", "b"], [{"case_id": "y", "a": "5", "b": "6"}], {"y"})
    assert table.columns == ("case_id", "a", "b")
    assert table.rows == [{"case_id": "x", "a": "1", "b": "2"}, {"case_id": "y", "a": "5", "b": "6"}]


def test_columns_only_the_earlier_table_has_are_kept_and_missing_ones_left_empty(tmp_path):
    path = _write(tmp_path / "t.csv", ["case_id", "old"], [["x", "kept"]])
    table = merged_table(path, ["case_id", "a"], [{"case_id": "z", "a": "1"}], {"z"})
    assert table.columns == ("case_id", "a", "old")
    assert table.rows == [{"case_id": "x", "a": "", "old": "kept"}, {"case_id": "z", "a": "1", "old": ""}]


def test_an_unreadable_table_is_set_aside_with_a_warning_never_overwritten(tmp_path, caplog):
    path = tmp_path / "features.csv"
    path.write_bytes(b"case_id,a\n\xff\xfe,1\n")
    with caplog.at_level(logging.WARNING):
        table = merged_table(path, ["case_id", "a"], [{"case_id": "z", "a": "1"}], {"z"})
    assert table.rows == [{"case_id": "z", "a": "1"}]
    (aside,) = tmp_path.glob("features.unreadable-*.csv")
    assert aside.read_bytes() == b"case_id,a\n\xff\xfe,1\n" and not path.exists()
    assert "kept it as" in caplog.text


def test_a_row_longer_than_its_header_keeps_its_named_cells_with_a_warning(tmp_path, caplog):
    path = _write(tmp_path / "t.csv", ["case_id", "a"], [["x", "1", "stray"]])
    with caplog.at_level(logging.WARNING):
        table = merged_table(path, ["case_id", "a"], [], set())
    assert table.rows == [{"case_id": "x", "a": "1"}]
    assert "more cells than its header" in caplog.text


# -- the archive-run lock ---------------------------------------------------------------------------------------------


def test_a_second_archive_run_lock_is_refused_and_the_lock_file_goes_with_the_run(tmp_path):
    with archive_run_lock(tmp_path):
        with pytest.raises(InputError, match="Another archive run is writing into"):
            with archive_run_lock(tmp_path):
                pass
        assert (tmp_path / LOCK_NAME).exists()
    assert not (tmp_path / LOCK_NAME).exists()
    with archive_run_lock(tmp_path):  # free again
        pass


def test_an_archive_run_into_a_folder_another_archive_run_holds_is_refused_and_writes_nothing(tmp_path):
    image, out = _image(tmp_path / "in" / "case0.png", 0), tmp_path / "out"
    out.mkdir()
    with archive_run_lock(out):
        result = subprocess.run(_command("archive", image, out), capture_output=True, text=True, timeout=600)
        assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]
    assert result.returncode == 2, result
    assert result.stderr.strip().splitlines() == [result.stderr.strip()] and "Another archive run" in result.stderr


# -- plain and archive runs into one folder ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of two worker threads inside the test process."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster, set_as_default=False) as dask_client:
            yield dask_client


def _run(kind: str, image: Path, out: Path, client) -> None:
    from calcification.logic.workflows.analysis_files import analyze_files

    analyze_files([image], out, "hdog", (0.07, 0.07), classifier=False, client=client if kind == "archive" else None)


@pytest.mark.parametrize("order", list(itertools.product(("plain", "archive"), repeat=2)), ids="-then-".join)
def test_runs_one_after_the_other_in_every_order_keep_every_row(tmp_path, client, order):
    images = [_image(tmp_path / "in" / f"case{k}.png", k) for k in range(len(order))]
    for kind, image in zip(order, images, strict=True):
        _run(kind, image, tmp_path / "out", client)
    _check_tables(tmp_path / "out", [p.stem for p in images])


def _command(kind: str, image: Path, out: Path) -> list[str]:
    archive = ["--archive", "--workers", "1"] if kind == "archive" else []
    return [*COMMAND, "analyze", str(image), "--out", str(out), *SETTINGS, *archive]


@pytest.mark.parametrize("kinds", [("plain", "archive"), ("archive", "plain"), ("archive", "archive")], ids="+".join)
def test_runs_at_the_same_time_keep_every_row_or_the_second_archive_run_is_refused(tmp_path, kinds):
    images = [_image(tmp_path / "in" / f"case{k}.png", k) for k in range(len(kinds))]
    out = tmp_path / "out"
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    processes = [
        subprocess.Popen(
            _command(k, i, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment
        )
        for k, i in zip(kinds, images, strict=True)
    ]
    results = [(p.wait(timeout=600), *p.communicate()) for p in processes]
    finished = [image.stem for image, (code, _, _) in zip(images, results, strict=True) if code == 0]
    for code, _, stderr in results:
        if code != 0:  # only a second archive run may be refused, with one line
            assert kinds == ("archive", "archive") and code == 2, results
            assert stderr.strip().splitlines() == [stderr.strip()] and "Another archive run" in stderr, stderr
    assert finished, results
    _check_tables(out, finished)
    assert not (out / LOCK_NAME).exists()
