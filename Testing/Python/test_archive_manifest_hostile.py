"""Issue 28, item 6 and the manifest's bad input: a crafted ``manifest.jsonl`` never makes a resume read or trust files
outside ``--out`` (such records are ignored with a warning), and a manifest that is a folder is one line, exit 2."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from calcification.core.errors import InputError
from calcification.core.segmentation import SegmenterChoice
from calcification.logic.workflows.archive_run import DONE, MANIFEST_NAME, ImageRecord, read_manifest
from calcification.logic.workflows.archive_run.image_task import ArchiveSettings
from calcification.logic.workflows.archive_run.manifest import file_sha256, input_identity

from speck_pictures import make_image as _image


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster, set_as_default=False) as dask_client:
            yield dask_client


def _archive(image: Path, out: Path, client):
    from calcification.logic.workflows.archive_run import analyze_archive

    return analyze_archive([image], out, "hdog", (0.07, 0.07), False, client=client)


@pytest.mark.parametrize("outside", ["../victim.txt", "VICTIM_ABSOLUTE", "sub/../../victim.txt", ".."])
def test_a_manifest_naming_files_outside_the_output_folder_is_ignored_with_a_warning(tmp_path, client, outside, caplog):
    image, out = _image(tmp_path / "in" / "case0.png"), tmp_path / "out"
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file")
    out.mkdir()
    name = str(victim) if outside == "VICTIM_ABSOLUTE" else outside
    settings = ArchiveSettings(SegmenterChoice.of("hdog"), False, (0.07, 0.07)).fingerprint()
    size, mtime_ns = input_identity(image.resolve())
    crafted = ImageRecord(
        input=str(image.resolve()),
        name="case0",
        status=DONE,
        settings=settings,
        input_size=size,
        input_mtime_ns=mtime_ns,
        outputs={name: file_sha256(victim)},
    )
    (out / MANIFEST_NAME).write_text(crafted.to_json() + "\n")
    with caplog.at_level(logging.WARNING):
        (record,) = _archive(image, out, client).records
    assert record.status == DONE and not record.reused  # analysed anew, not "verified" by someone else's file
    assert all((out / n).is_file() and "/" not in n for n in record.outputs)
    assert "outside the output folder" in caplog.text
    assert victim.read_text() == "someone else's file"


@pytest.mark.parametrize(
    "line",
    [
        '{"input": "x", "name": "x", "outputs": ["a"]}',
        '{"input": "x", "name": "x", "features": "not a row"}',
        '{"input": 7, "name": "x"}',
        '{"input": "x", "name": "x", "seconds": "slow"}',
        "null",
        "[1, 2]",
        '{"input": "x", "name": "x", "outputs": {"a.csv": 5}}',
    ],
)
def test_manifest_records_of_the_wrong_shape_are_ignored(tmp_path, line):
    (tmp_path / MANIFEST_NAME).write_text(line + "\n")
    assert read_manifest(tmp_path / MANIFEST_NAME) == {}


def test_a_manifest_that_is_a_folder_is_refused_in_one_line(tmp_path, client):
    image, out = _image(tmp_path / "in" / "case0.png"), tmp_path / "out"
    (out / MANIFEST_NAME).mkdir(parents=True)
    with pytest.raises(InputError, match="is not a file") as caught:
        _archive(image, out, client)
    assert "\n" not in str(caught.value)
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST_NAME]


def test_an_honest_manifest_still_resumes(tmp_path, client):
    image, out = _image(tmp_path / "in" / "case0.png"), tmp_path / "out"
    first = _archive(image, out, client).records[0]
    second = _archive(image, out, client).records[0]
    assert first.status == second.status == DONE and second.reused
    assert json.loads((out / MANIFEST_NAME).read_text().splitlines()[0])["outputs"] == first.outputs
