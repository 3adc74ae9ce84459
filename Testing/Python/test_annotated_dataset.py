"""A site's own annotated data: a small series written by the synthetic writer (image + .seg.nrrd pairs and .mrb
scenes through real MRML nodes), planted problems that the check must each report, masks that load exactly as the
engine drew them, point annotations as disc targets, and the check / train / evaluate commands on DATA."""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest

from calcification.cli.main import main
from calcification.core.errors import InputError
from calcification.core.synthetic import SynthesisConfig, generate_case
from calcification.logic.mrml.scene_factory import create_headless_scene
from calcification.logic.mrml.scene_storage import save_segmentation
from calcification.logic.mrml.segmentation_nodes import create_calcification_segmentation
from calcification.logic.mrml.volume_nodes import volume_node_from_mammogram
from calcification.logic.workflows.annotated_case_reader import ProblemKind, point_targets
from calcification.logic.workflows.annotated_dataset import check_dataset, find_annotated_cases, load_training_cases
from calcification.logic.workflows.synthetic_dataset import write_case, write_synthetic_dataset

CONFIG = SynthesisConfig(shape=(320, 384))  # rows, cols (`calcification synth --size 384x320`)
SEED = 31


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    """Four written cases (pairs, scenes and cases.csv) and the engine's own masks for them."""
    folder = tmp_path_factory.mktemp("series")
    dataset = write_synthetic_dataset(folder, 4, seed=SEED, config=CONFIG, write_scenes=True)
    truth = {c.record.case_id: c.mask for c in (generate_case(CONFIG, seed=SEED, index=i) for i in range(4))}
    return dataset, truth


@pytest.fixture
def data(series, tmp_path):
    """A private copy of the series (tests plant problems in it); returns (folder, labels CSV, case ids)."""
    dataset, _ = series
    folder = tmp_path / "data"
    shutil.copytree(dataset.folder, folder)
    return folder, folder / "cases.csv", [row["case_id"] for row in dataset.cases]


def _rewrite_labels(path, changes: dict) -> None:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row.update(changes.get(row["case_id"], {}))
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _empty_segmentation(case_id: str, folder) -> None:
    """Replace a case's .seg.nrrd by one on the same image with an empty Calcification segment."""
    case = generate_case(CONFIG, seed=SEED, index=int(case_id.split("-")[1][:5]))
    scene = create_headless_scene()
    volume = volume_node_from_mammogram(scene, case.mammogram, name=case_id)
    save_segmentation(create_calcification_segmentation(scene, volume), folder / f"{case_id}.seg.nrrd")


def _snapshot(folder) -> dict:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def test_clean_pairs_and_scenes_load_the_engine_masks_exactly(data, series):
    folder, labels, ids = data
    _, truth = series
    report = check_dataset([folder], labels)
    assert report.ok, report.summary()
    assert [s.case_id for s in report.sources] == ids
    assert {s.kind.value for s in report.sources} == {"files"}  # the folder's scenes duplicate its pairs
    assert len(report.notes) == 4 and all(".mrb not read" in n for n in report.notes)
    cases = load_training_cases(report.sources, model_spacing_mm=CONFIG.spacing_mm)
    assert [c.patient_id for c in cases] == [s.patient_id for s in report.sources] and cases[0].patient_id
    for case in cases:
        assert case.mask.dtype == np.uint8 and case.image.shape == CONFIG.shape
        np.testing.assert_array_equal(case.mask.astype(bool), truth[case.case_id])
    scenes = find_annotated_cases(sorted(folder.glob("*.mrb")), labels)
    assert [s.kind.value for s in scenes] == ["scene"] * 4
    from_scenes = load_training_cases(scenes, model_spacing_mm=CONFIG.spacing_mm)
    for case, other in zip(cases, from_scenes, strict=True):
        np.testing.assert_array_equal(case.mask, other.mask)
        np.testing.assert_array_equal(case.image, other.image)


def test_every_planted_problem_is_reported_at_once(data, tmp_path):
    folder, labels, ids = data
    _empty_segmentation(ids[0], folder)
    other = tmp_path / "other_size"
    other.mkdir()
    write_case(generate_case(SynthesisConfig(shape=(256, 288)), seed=5, index=0), other)
    shutil.copy(next(other.glob("*.seg.nrrd")), folder / f"{ids[1]}.seg.nrrd")  # drawn on another image
    (folder / f"{ids[2]}.nrrd").write_bytes(b"NRRD0004\nthis is not an image\n")
    _rewrite_labels(labels, {ids[3]: {"label": "probably"}, ids[0]: {"patient_id": ""}})
    twin = tmp_path / "twin"
    twin.mkdir()
    for suffix in (".nrrd", ".seg.nrrd"):
        shutil.copy(folder / f"{ids[3]}{suffix}", twin / f"{ids[3]}{suffix}")
    report = check_dataset([folder, twin], labels)
    assert not report.ok
    found = {(p.case, p.kind) for p in report.problems}
    assert found == {
        (ids[0], ProblemKind.EMPTY_SEGMENT),
        (ids[0], ProblemKind.MISSING_PATIENT_ID),
        (ids[1], ProblemKind.GEOMETRY_MISMATCH),
        (ids[2], ProblemKind.UNREADABLE_FILE),
        (ids[3], ProblemKind.UNKNOWN_LABEL),
        (ids[3], ProblemKind.DUPLICATE_CASE),
    }
    files = {(p.case, p.kind): p.file for p in report.problems}
    assert files[(ids[1], ProblemKind.GEOMETRY_MISMATCH)].endswith(f"{ids[1]}.seg.nrrd")
    assert files[(ids[2], ProblemKind.UNREADABLE_FILE)].endswith(f"{ids[2]}.nrrd")
    assert "256 x 288" in next(p.message for p in report.problems if p.kind is ProblemKind.GEOMETRY_MISMATCH)
    assert [set(r) for r in report.rows()] == [{"case", "file", "kind", "message"}] * 6
    assert all(r["case"] in report.summary() for r in report.rows())


def test_images_without_labels_or_segmentation_and_bad_paths(data, tmp_path):
    folder, _, ids = data
    (folder / f"{ids[0]}.seg.nrrd").unlink()
    (folder / f"{ids[0]}.mrb").unlink()
    report = check_dataset([folder, tmp_path / "nowhere"], None)
    kinds = {(p.case, p.kind) for p in report.problems}
    assert (ids[0], ProblemKind.MISSING_SEGMENTATION) in kinds
    assert ("", ProblemKind.MISSING_PATH) in kinds
    assert {(i, ProblemKind.MISSING_PATIENT_ID) for i in ids[1:]} <= kinds  # no labels CSV: no patient ids
    with pytest.raises(InputError, match="does not exist"):
        find_annotated_cases([tmp_path / "nowhere"])


def test_point_annotations_become_disc_targets_only_when_asked(data, series):
    folder, labels, ids = data
    _, truth = series
    disc = point_targets((40, 40), np.array([[20.0, 20.0]]), (0.07, 0.07), radius_mm=0.35)  # 5 px radius
    offsets = np.arange(-5, 6)
    assert disc.sum() == int(((offsets[:, None] ** 2 + offsets[None, :] ** 2) <= 25).sum())
    (folder / f"{ids[0]}.points.csv").write_text("label,row,col\nP1,12,30\nP2,300.0,370.0\n")
    sources = find_annotated_cases([folder], labels)[:1]
    plain = load_training_cases(sources, model_spacing_mm=CONFIG.spacing_mm)[0]
    with_points = load_training_cases(sources, model_spacing_mm=CONFIG.spacing_mm, point_radius_mm=0.2)[0]
    np.testing.assert_array_equal(plain.mask.astype(bool), truth[ids[0]])
    expected = truth[ids[0]] | point_targets(CONFIG.shape, np.array([[12, 30], [300, 370]]), (0.07, 0.07), 0.2)
    np.testing.assert_array_equal(with_points.mask.astype(bool), expected)
    (folder / f"{ids[0]}.points.csv").write_text("label,row,col\nP1,12,9999\n")
    report = check_dataset([folder], labels)
    assert [(p.case, p.kind) for p in report.problems] == [(ids[0], ProblemKind.BAD_POINTS)]


def test_check_command_exit_codes_and_nothing_written(data, capsys):
    folder, labels, ids = data
    assert main(["check-dataset", str(folder), "--labels", str(labels), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_cases"] == 4
    _rewrite_labels(labels, {ids[1]: {"label": ""}})
    before = _snapshot(folder)
    assert main(["check-dataset", str(folder), "--labels", str(labels)]) == 2
    printed = capsys.readouterr().out
    assert "missing_label" in printed and ids[1] in printed
    assert _snapshot(folder) == before


def test_train_on_data_writes_a_model_and_refuses_data_with_problems(data, tmp_path, capsys):
    folder, labels, ids = data
    tiny = [
        "--folds",
        "1",
        "--epochs",
        "1",
        "--fine-tune-epochs",
        "0",
        "--steps",
        "1",
        "--batch",
        "1",
        "--crop",
        "64",
        "--no-augment",
        "--device",
        "cpu",
    ]
    model = tmp_path / "model"
    assert (
        main(["train-segmenter", str(folder), "--labels", str(labels), "--name", "site", "--out", str(model), *tiny])
        == 0
    )
    card = json.loads((model / "model_card.json").read_text())
    assert card["synthetic_training"] is False and card["trained_on"].startswith("4 annotated mammograms of 4")
    assert (model / "fold_0.pt").is_file()
    assert main(["train-segmenter", str(folder), "--synthetic", "4", "--name", "x", *tiny]) == 2
    _empty_segmentation(ids[2], folder)
    refused = tmp_path / "refused"
    assert (
        main(["train-segmenter", str(folder), "--labels", str(labels), "--name", "site", "--out", str(refused), *tiny])
        == 2
    )
    assert "empty_segment" in capsys.readouterr().err and not refused.exists()


def test_evaluate_on_data(data, tmp_path):
    folder, _, ids = data
    out = tmp_path / "eval"
    assert main(["evaluate-segmenter", str(folder), "--method", "hdog", "--n-boot", "20", "--out", str(out)]) == 0
    report = json.loads((out / "evaluation.json").read_text())
    assert report["n_images"] == 4 and report["data"]["cases"] == 4 and "synthetic" not in report
    with open(out / "per_image.csv", newline="") as handle:
        assert [row["name"] for row in csv.DictReader(handle)] == ids
