"""``calcification synth``: files written, re-read equal to the generated cases, bad parameters write nothing."""

from __future__ import annotations

import argparse
import csv
import json

import nrrd
import numpy as np
import pytest

from calcification.cli import command_synth
from calcification.core.errors import InputError
from calcification.core.synthetic import generate_case


def run_synth(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    command_synth.register(parser.add_subparsers())
    args = parser.parse_args(["synth", *argv])
    return args.func(args)


def test_synth_writes_readable_cases(tmp_path):
    out = tmp_path / "series"
    assert (
        run_synth(
            "--out",
            str(out),
            "--cases",
            "3",
            "--seed",
            "9",
            "--size",
            "300x260",
            "--spacing",
            "0.1",
            "--crop",
            "--density",
            "C",
        )
        == 0
    )
    with open(out / "cases.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["index"]) for r in rows] == [0, 1, 2]
    config = command_synth.build_config(
        argparse.Namespace(cases=3, density="C", view="mixed", size="300x260", spacing=0.1, crop=True, overlap=0.2)
    )
    for row in rows:
        case = generate_case(config, seed=9, index=int(row["index"]))
        assert row["case_id"] == case.record.case_id and row["label"] == case.record.label.value
        assert row["density"] == "C" and int(row["n_calcifications"]) == case.record.n_calcifications
        image, header = nrrd.read(str(out / row["image"]), index_order="C")
        assert image.shape == (1, 260, 300)
        np.testing.assert_allclose(np.diag(header["space directions"])[:2], [0.1, 0.1])
        np.testing.assert_array_equal(image[0], case.mammogram.pixels)  # 12-bit whole numbers: lossless
        mask, seg_header = nrrd.read(str(out / row["segmentation"]), index_order="C")
        assert seg_header["Segment0_Name"] == "Calcification" and seg_header["Segment0_LabelValue"] == "1"
        np.testing.assert_array_equal(mask[0] == 1, case.mask)
        instances, _ = nrrd.read(str(out / row["instances"]), index_order="C")
        np.testing.assert_array_equal(instances[0], case.instances)
        record = json.loads((out / f"{row['case_id']}.json").read_text())
        assert record == case.record.to_dict()
    assert not list(out.glob(".*.tmp"))


@pytest.mark.parametrize(
    "argv",
    [
        ("--cases", "0"),
        ("--cases", "2", "--size=-300x200"),
        ("--cases", "2", "--size", "300"),
        ("--cases", "2", "--size", "40x40"),
        ("--cases", "2", "--spacing", "0"),
        ("--cases", "2", "--density", "E"),
        ("--cases", "2", "--view", "ML"),
        ("--cases", "2", "--overlap", "1.5"),
        ("--cases", "2", "--seed", "-1"),
    ],
)
def test_bad_parameters_write_nothing(tmp_path, argv):
    out = tmp_path / "never"
    with pytest.raises(InputError):
        run_synth("--out", str(out), *argv)
    assert not out.exists()


def test_synth_mrb_scene_holds_the_annotation(tmp_path):
    from calcification.logic.mrml.scene_storage import load_scene_bundle
    from calcification.logic.mrml.segmentation_nodes import CALCIFICATION_SEGMENT_ID, segment_mask

    out = tmp_path / "scenes"
    assert run_synth("--out", str(out), "--cases", "1", "--seed", "4", "--size", "256x256", "--crop", "--mrb") == 0
    row = next(csv.DictReader(open(out / "cases.csv", newline="")))
    case = generate_case(
        command_synth.build_config(
            argparse.Namespace(
                cases=1, density="mixed", view="mixed", size="256x256", spacing=0.07, crop=True, overlap=0.2
            )
        ),
        seed=4,
        index=0,
    )
    scene = load_scene_bundle(out / f"{row['case_id']}.mrb")
    volume = scene.GetFirstNodeByName(row["case_id"])
    segmentation = scene.GetFirstNodeByClass("vtkMRMLSegmentationNode")
    np.testing.assert_array_equal(segment_mask(segmentation, CALCIFICATION_SEGMENT_ID, volume), case.mask)
    assert scene.GetNumberOfNodesByClass("vtkMRMLLabelMapVolumeNode") == 0


def test_synth_into_a_real_background_takes_its_spacing_from_the_option(tmp_path, ddsm_dicom_paths):
    # CBIS-DDSM files have no pixel spacing: --spacing gives the film's, and the blended case carries it.
    background = str(ddsm_dicom_paths[0])
    assert run_synth("--out", str(tmp_path / "b"), "--cases", "1", "--background", background, "--spacing", "0.05") == 0
    (image,) = (tmp_path / "b").glob("*_blend*[0-9].nrrd")
    header = nrrd.read_header(str(image))
    np.testing.assert_allclose(np.diag(np.asarray(header["space directions"], float))[:2], [0.05, 0.05])
