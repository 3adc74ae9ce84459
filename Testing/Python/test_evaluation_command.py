"""``calcification evaluate-segmenter``: the four files on small held-out synthetic cases, figures that agree with
an independent recomputation, the network path with the shipped model, and bad arguments that write nothing."""

from __future__ import annotations

import argparse
import csv
import json

import pytest

from calcification.cli import command_evaluate_segmenter
from calcification.core.errors import InputError
from calcification.core.evaluation import match_objects, pixel_metrics
from calcification.core.segmentation import segment_mammogram
from calcification.core.synthetic import SynthesisConfig, generate_case
from calcification.logic.workflows.segmenter_evaluation_workflow import OUTPUT_NAMES

SMALL = "384,320"


def run_evaluate(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    command_evaluate_segmenter.register(parser.add_subparsers())
    args = parser.parse_args(["evaluate-segmenter", *argv])
    return args.func(args)


def test_hdog_evaluation_writes_four_files_that_match_a_recomputation(tmp_path, capsys):
    out = tmp_path / "eval"
    assert (
        run_evaluate(
            "--synthetic",
            "2",
            "--synthetic-seed",
            "9100",
            "--synthetic-shape",
            SMALL,
            "--method",
            "hdog",
            "--n-boot",
            "200",
            "--out",
            str(out),
        )
        == 0
    )
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_NAMES)
    report = json.loads((out / "evaluation.json").read_text())
    assert report["method"] == "hdog" and report["n_images"] == 2 and report["synthetic"]["shape"] == [384, 320]
    with open(out / "per_image.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    cases = [generate_case(SynthesisConfig(shape=(384, 320)), seed=9100, index=i) for i in range(2)]
    assert [r["name"] for r in rows] == [c.record.case_id for c in cases]
    # Independent recomputation of the first case (matching without scores: hits do not depend on the order here)
    case = cases[0]
    segmentation = segment_mammogram(case.mammogram, "hdog")
    expected = pixel_metrics(case.instances, segmentation.labels, case.breast_mask)
    assert float(rows[0]["dice"]) == pytest.approx(expected["dice"])
    assert float(rows[0]["specificity"]) == pytest.approx(expected["specificity"])
    matching = match_objects(case.instances, segmentation.labels, case.mammogram.spacing_mm)
    assert int(rows[0]["n_truth"]) == matching.n_truth > 0
    assert int(rows[0]["n_predicted"]) == matching.n_predicted
    pooled = report["pooled"]["dice"]
    assert pooled["low"] <= pooled["value"] <= pooled["high"]
    assert report["froc"]["n_truth"] == sum(int(r["n_truth"]) for r in rows)
    for name in ("froc.png", "dice.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert "pooled dice" in printed and f"{pooled['value']:.4f}" in printed


def test_network_evaluation_with_the_shipped_model(tmp_path):
    out = tmp_path / "net"
    assert (
        run_evaluate(
            "--synthetic",
            "1",
            "--synthetic-seed",
            "9101",
            "--synthetic-shape",
            "320,256",
            "--threshold",
            "0.4",
            "--n-boot",
            "50",
            "--out",
            str(out),
        )
        == 0
    )
    report = json.loads((out / "evaluation.json").read_text())
    assert report["method"] == "network" and report["model"] == "pro_unext_synthetic"
    assert report["threshold"] == 0.4
    scores = [t for t in report["froc"]["thresholds"] if t is not None]
    assert all(0.0 <= s <= 1.0 for s in scores)  # object scores are mean probabilities
    assert 0.0 <= report["froc_partial_auc"] <= 1.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--synthetic", "0"], "at least 1 synthetic case"),
        (["--synthetic", "2", "--synthetic-seed", "-1"], "seed must be a whole number"),
        (["--synthetic", "2", "--synthetic-shape", "32,32"], "too small"),
        (["--synthetic", "2", "--method", "hdog", "--model", "pro_unext_synthetic"], "has no trained model"),
        (["--synthetic", "2", "--threshold", "1.5"], "between 0 and 1"),
        (["--synthetic", "2", "--model", "no_such_model"], "No model"),
        (["--synthetic", "2", "--n-boot", "0"], "n-boot"),
    ],
)
def test_bad_arguments_write_nothing(tmp_path, argv, message):
    out = tmp_path / "never"
    shape = [] if "--synthetic-shape" in argv else ["--synthetic-shape", SMALL]
    with pytest.raises(InputError, match=message):
        run_evaluate(*argv, *shape, "--out", str(out))
    assert not out.exists()


def test_an_output_path_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "taken.txt"
    target.write_text("keep me")
    with pytest.raises(InputError, match="is a file"):
        run_evaluate("--synthetic", "1", "--method", "hdog", "--synthetic-shape", SMALL, "--out", str(target))
    assert target.read_text() == "keep me"
