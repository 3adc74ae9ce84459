"""Issue 20's command-line and output-file items: light start-up, one default method, progress with the time left,
labelled figures, an agreement summary, file names from the DICOM tags, numbered boxes on the overlay, permissions
under the umask, and no library chatter on the terminal."""

from __future__ import annotations

import argparse
import csv
import inspect
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from calcification.cli import command_agreement, command_models, progress_bar
from calcification.cli.main import build_parser, main
from calcification.core.reporting.cluster_pictures import CLUSTER_BOX_RGB
from calcification.core.segmentation import DEFAULT_METHOD, SegmenterChoice
from calcification.core.synthetic import SynthesisConfig, generate_case
from calcification.logic.workflows.analysis_files import analyze_files
from calcification.logic.workflows.file_workflow import segment_file, segment_into_scene
from calcification.logic.workflows.level_tracing import TraceOptions
from calcification.logic.workflows.synthetic_dataset import write_case

from dicom_factory import mammography_dataset, ramp_pattern, write_dicom

ROOT = Path(__file__).resolve().parents[2]
#: What `calcification --help` must not load: each costs a second or more at start-up.
HEAVY = ("torch", "vtkmodules", "vtk", "slicer", "skimage", "scipy.ndimage", "sklearn", "matplotlib", "SimpleITK")


@pytest.fixture(scope="module")
def clustered_image(tmp_path_factory) -> Path:
    """A 512 x 448 synthetic mammogram with two clusters, as NRRD (no patient tags)."""
    folder = tmp_path_factory.mktemp("image")
    write_case(generate_case(SynthesisConfig(shape=(512, 448)), seed=9100, index=2), folder)
    return next(p for p in folder.glob("*.nrrd") if p.name.count(".") == 1)


def _run(module, argv):
    parser = argparse.ArgumentParser()
    module.register(parser.add_subparsers())
    args = parser.parse_args([str(a) for a in argv])
    return args.func(args)


def test_building_the_parser_imports_no_heavy_library():
    code = (
        "import sys, calcification.cli.main as m; m.build_parser(); "
        f"print(','.join(k for k in {HEAVY!r} if k in sys.modules))"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "CalcificationAnalysis"))
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert loaded.stdout.strip() == "", f"calcification --help loads {loaded.stdout.strip()}"


def test_trace_help_states_the_trace_options_defaults():
    text = " ".join(build_parser()._subparsers._group_actions[0].choices["trace"].format_help().split())
    assert f"0.5 is the half maximum (default {TraceOptions.level_fraction})" in text
    assert f"mm (default {TraceOptions.snap_radius_mm})" in text


def test_segment_and_analyze_default_to_the_network_and_say_so():
    parser = build_parser()
    for command in ("segment", "analyze"):
        args = parser.parse_args([command, "image.dcm", "--out", "o"])
        assert SegmenterChoice(args.method or DEFAULT_METHOD).method == DEFAULT_METHOD == "network"
        help_text = " ".join(parser._subparsers._group_actions[0].choices[command].format_help().split())
        assert "(default network)" in help_text
    for function in (segment_into_scene, segment_file, analyze_files):
        assert inspect.signature(function).parameters["segmenter"].default is None  # None: the default method
    assert "--method network by default" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_plain_progress_lines_give_the_time_left_and_stay_quiet_for_quick_work():
    lines, now = [], [0.0]

    class Stream:
        def write(self, text):
            lines.extend(t for t in text.splitlines() if t)

        def flush(self):
            pass

    callback = progress_bar.plain_progress_lines("Analysing", Stream(), clock=lambda: now[0])
    callback(0.1, "Segmenting")  # at once: nothing (a refused input's one-line error stands alone)
    now[0] = 10.0
    callback(0.25, "Segmenting")
    now[0] = 12.0
    callback(0.3, "Measuring")  # within 5 s of the last line: nothing
    now[0] = 80.0
    callback(0.8, "Writing")
    assert lines == ["Analysing:  25% Segmenting, about 30 s left", "Analysing:  80% Writing, about 20 s left"]
    assert progress_bar.time_left_text(50.0, 0.25) == "about 2 min 30 s left"


def test_analyze_without_a_terminal_prints_progress_lines(clustered_image, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(progress_bar, "LINE_INTERVAL_S", 0.0)
    assert (
        main(["analyze", str(clustered_image), "--out", str(tmp_path), "--method", "hdog", "--classifier", "none"]) == 0
    )
    err = capsys.readouterr().err
    assert "Analysing:" in err and " left" in err


def test_models_labels_its_dice(capsys):
    assert _run(command_models, ["models"]) == 0
    out = capsys.readouterr().out
    assert "validation Dice 0." in out or "test Dice 0." in out
    assert ", Dice " not in out


def test_agreement_prints_a_summary_and_leaves_the_rows_to_the_csv(tmp_path, capsys):
    from calcification.logic.mrml.scene_factory import create_headless_scene
    from calcification.logic.mrml.scene_storage import save_segmentation
    from calcification.logic.mrml.segmentation_nodes import (
        CALCIFICATION_SEGMENT_ID,
        create_calcification_segmentation,
        set_segment_mask,
    )
    from calcification.logic.mrml.volume_nodes import volume_node_from_mammogram

    case = generate_case(SynthesisConfig(shape=(512, 448)), seed=9100, index=2)
    scene = create_headless_scene()
    volume = volume_node_from_mammogram(scene, case.mammogram)
    paths = []
    for name, mask in (("a", case.mask), ("b", np.roll(case.mask, 2, axis=1))):  # every outline moved
        node = create_calcification_segmentation(scene, volume)
        set_segment_mask(node, CALCIFICATION_SEGMENT_ID, mask, volume)
        paths.append(save_segmentation(node, tmp_path / f"{name}.seg.nrrd"))
    assert _run(command_agreement, ["agreement", *paths, "--csv", tmp_path / "m.csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    with open(tmp_path / "m.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    flagged = sum(row["status"] != "matched" for row in rows)
    assert flagged > command_agreement.MAX_LISTED
    assert len(out) <= command_agreement.MAX_LISTED + 4
    assert f"and {flagged - command_agreement.MAX_LISTED} more flagged; every calcification in the CSV" in out[-2]


def test_outputs_are_named_after_patient_side_and_view_and_never_collide(tmp_path):
    pixels = ramp_pattern(160, 128)
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
    tagged = write_dicom(
        tmp_path / "a" / "1-1.dcm",
        mammography_dataset(
            pixels,
            PixelSpacing=[0.07, 0.07],
            PatientID="Mass-Test_P_00173_LEFT_CC",
            ImageLaterality="L",
            ViewPosition="CC",
        ),
    )
    plain = [
        write_dicom(tmp_path / f / "1-1.dcm", mammography_dataset(pixels, PixelSpacing=[0.07, 0.07]))
        for f in ("b", "c")
    ]
    batch = analyze_files([tagged, *plain], tmp_path / "out", segmenter="hdog", classifier=False)
    assert [f.run.name for f in batch.files] == ["Mass-Test_P_00173_L_CC", "1-1", "1-1_2"]
    reports = sorted(p.name for p in (tmp_path / "out").glob("*.report.html"))
    assert reports == ["1-1.report.html", "1-1_2.report.html", "Mass-Test_P_00173_L_CC.report.html"]
    with open(tmp_path / "out" / "features.csv", newline="") as handle:
        assert sorted(row["case_id"] for row in csv.DictReader(handle)) == ["1-1", "1-1_2", "Mass-Test_P_00173_L_CC"]


def test_overlay_png_shows_the_numbered_cluster_boxes(clustered_image, tmp_path):
    batch = analyze_files([clustered_image], tmp_path, segmenter="hdog", classifier=False)
    run = batch.files[0].run
    assert run.analysis.cluster_count >= 1
    overlay = np.asarray(Image.open(batch.files[0].segmented.overlay_path).convert("RGB"))
    magenta = np.all(overlay == CLUSTER_BOX_RGB, axis=2)
    white_on_magenta = np.all(overlay > 200, axis=2) & np.roll(magenta, 2, axis=1)  # the digits inside the tags
    assert magenta.sum() > 20 and white_on_magenta.any()


def test_every_output_honours_the_umask_of_the_moment(clustered_image, tmp_path):
    previous = os.umask(0o002)  # set after the product was imported: a value cached at import would miss it
    try:
        batch = analyze_files([clustered_image], tmp_path / "out", segmenter="hdog", classifier=False)
    finally:
        os.umask(previous)
    modes = {path.name: oct(path.stat().st_mode & 0o777) for path in batch.paths}
    assert len(modes) >= 10 and set(modes.values()) == {"0o664"}, modes


def test_library_chatter_stays_off_the_terminal(tmp_path):
    """Writing NRRD volumes makes MRML print "WriteData: removing old version of file" through VTK's output window;
    at the default verbosity it must not reach the terminal."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "CalcificationAnalysis"))
    command = [
        sys.executable,
        "-m",
        "calcification.cli.main",
        "synth",
        "--out",
        str(tmp_path),
        "--cases",
        "1",
        "--size",
        "256x224",
        "--crop",
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and "removing old version" not in done.stdout, done.stderr
    assert list(tmp_path.glob("*.nrrd"))  # volumes were written


def test_segment_in_a_terminal_shows_a_bar_with_the_time_left(clustered_image, tmp_path):
    import fcntl
    import pty
    import struct
    import termios

    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a terminal 120 columns wide
    env = dict(os.environ, PYTHONPATH=str(ROOT / "CalcificationAnalysis"))
    command = [
        sys.executable,
        "-m",
        "calcification.cli.main",
        "segment",
        str(clustered_image),
        "--out",
        str(tmp_path),
        "--method",
        "hdog",
    ]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=terminal, env=env) as process:
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            shown += chunk
        assert process.wait(timeout=300) == 0
    os.close(controller)
    text = shown.decode("utf-8", "replace")
    assert "Segmenting:" in text and "< left" not in text and " left" in text and "<" in text
