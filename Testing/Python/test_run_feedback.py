"""Issue 27, item 5: feedback where a user waits. Archive runs print each image's result line, the notes on the
models and progress lines without a terminal, as a single-image ``analyze`` does; ``analyze --dicomweb`` never says
"Done" before its failures; ``--spacing 0`` is refused naming the flag."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom.uid import generate_uid

from calcification.cli import progress_bar
from calcification.cli.main import main

from dicom_factory import real_mammogram_crop, write_dicom
from interruption_harness import make_image

FAST = ["--method", "hdog", "--spacing", "0.07"]


@pytest.fixture
def every_progress_line(monkeypatch):
    """Plain progress lines at every step instead of every 5 s: what a long run prints, from a short one."""
    monkeypatch.setattr(progress_bar, "LINE_INTERVAL_S", 0.0)


def _result_lines(out: str) -> list[str]:
    return sorted(line for line in out.splitlines() if line.startswith("case") and ": " in line)


def _notes(out: str) -> list[str]:
    return sorted(line for line in out.splitlines() if line.startswith("note: "))


def test_an_archive_run_prints_what_a_single_image_run_prints(tmp_path, capsys, every_progress_line):
    folder = tmp_path / "in"
    folder.mkdir()
    images = [make_image(folder / f"case{k}.png", k) for k in range(2)]
    assert main(["analyze", *map(str, images), "--out", str(tmp_path / "one"), *FAST]) == 0
    single = capsys.readouterr().out
    assert main(["analyze", str(folder), "--out", str(tmp_path / "archive"), "--workers", "1", *FAST]) == 0
    printed = capsys.readouterr()
    assert len(_result_lines(single)) == 2
    assert _result_lines(printed.out) == _result_lines(single)  # same images, same words and numbers
    assert _notes(single) and _notes(printed.out) == _notes(single)  # the shipped classifier's synthetic-data note
    assert "Analysing: 100% 2 of 2 images" in printed.err.splitlines()  # progress without a terminal


def test_dicomweb_failures_come_without_a_done_line(
    orthanc_pacs, ddsm_cases, tmp_path, monkeypatch, capsys, every_progress_line
):
    """One study: an image that is analysed, then one that fails to decode. The progress lines go on to the
    failure; none of them says "Done"."""
    source = Path(ddsm_cases[0]["lcc"])
    study, series = generate_uid(), generate_uid()
    crop = (slice(2600, 2900), slice(600, 900))
    good = real_mammogram_crop(source, *crop, StudyInstanceUID=study, SeriesInstanceUID=series, InstanceNumber=1)
    broken = real_mammogram_crop(source, *crop, StudyInstanceUID=study, SeriesInstanceUID=series, InstanceNumber=2)
    broken.PixelData = broken.PixelData[: len(broken.PixelData) // 2]  # truncated: the image cannot be read
    for index, dataset in enumerate((good, broken)):
        orthanc_pacs.upload(write_dicom(tmp_path / f"{index}.dcm", dataset))
    monkeypatch.setenv("CALCIFICATION_DICOMWEB_USER", orthanc_pacs.auth[0])
    monkeypatch.setenv("CALCIFICATION_DICOMWEB_PASSWORD", orthanc_pacs.auth[1])
    code = main(["analyze", "--dicomweb", orthanc_pacs.dicomweb_url, "--study", study, *FAST, "--classifier", "none"])
    printed = capsys.readouterr()
    assert code == 2, printed.err
    progress = [line for line in printed.err.splitlines() if line.startswith("Analysing:")]
    assert progress and not [line for line in progress if "Done" in line], progress
    assert "calcification analyze: 1 failure(s); 1 image(s) analysed" in printed.err


@pytest.mark.parametrize("command", ["analyze", "segment"])
@pytest.mark.parametrize("spacing", ["0", "-0.1", "9"])
def test_an_unusable_spacing_names_the_flag(tmp_path, capsys, command, spacing):
    image = make_image(tmp_path / "case.png", 1)
    out = tmp_path / "out"
    assert main([command, str(image), "--out", str(out), "--method", "hdog", "--spacing", spacing]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"calcification {command}: error: --spacing: pixel spacing"), line
    assert "header" not in line
    assert not out.exists()
