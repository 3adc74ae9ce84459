"""``calcification compare`` and ``synth --pairs``: tag checks and bad input refused with one line and exit code 2
(nothing written), a real comparison of a DICOM pair written as files, and the pair files of ``synth --pairs``."""

from __future__ import annotations

import csv
import json

import numpy as np
import pydicom
import pytest
from pydicom.uid import generate_uid

from calcification.cli.main import main
from calcification.core.image import View
from calcification.core.synthetic import SynthesisConfig
from calcification.core.synthetic.pairs import generate_pair

from dicom_checks import assert_valid_dicom, sr_groups
from dicom_factory import mammography_dataset, write_dicom

SMALL = SynthesisConfig(shape=(1200, 900), spacing_mm=0.1, view=View.CC)
TAGS = {"PatientID": "P-32", "ViewPosition": "CC", "StudyDate": "20240105"}


@pytest.fixture(scope="module")
def pairs():
    return generate_pair(SMALL, seed=5, index=0), generate_pair(SMALL, seed=6, index=0)


def _write(path, mammogram, **tags):
    side = mammogram.laterality.value
    values = {
        **TAGS,
        "ImageLaterality": side,
        "ImagerPixelSpacing": [mammogram.spacing_mm[0]] * 2,
        "StudyInstanceUID": generate_uid(),
        "SeriesInstanceUID": generate_uid(),
        **tags,
    }
    pixels = np.clip(np.rint(mammogram.pixels), 0, 4095).astype(np.uint16)
    return write_dicom(path, mammography_dataset(pixels, **values))


@pytest.fixture(scope="module")
def dicom_pair(pairs, tmp_path_factory):
    folder = tmp_path_factory.mktemp("exams")
    pair = pairs[0]
    prior = _write(folder / "prior.dcm", pair.prior, StudyDate="20220110")
    current = _write(folder / "current.dcm", pair.current)
    return prior, current, folder


def _refused(capsys, argv, out, fragment):
    assert main(argv) == 2
    err = [line for line in capsys.readouterr().err.strip().splitlines() if not line.startswith("Comparing:")]
    assert len(err) == 1 and fragment in err[0], err  # one line (a progress line every 5 s aside)
    assert not out.exists()


@pytest.mark.parametrize(
    ("tags", "fragment"),
    [
        ({"ViewPosition": "MLO"}, "different views (prior MLO, current CC)"),
        ({"PatientID": "someone-else"}, "different patients"),
        ({"StudyDate": "20250101"}, "not before the current one"),
    ],
)
def test_a_prior_that_is_not_a_pair_is_refused(pairs, dicom_pair, tmp_path, capsys, tags, fragment):
    prior = _write(tmp_path / "prior.dcm", pairs[0].prior, **tags)
    out = tmp_path / "out"
    _refused(capsys, ["compare", str(prior), str(dicom_pair[1]), "--out", str(out)], out, fragment)


def test_the_other_breast_is_refused(pairs, dicom_pair, tmp_path, capsys):
    side = "L" if pairs[0].prior.laterality.value == "R" else "R"
    prior = _write(tmp_path / "prior.dcm", pairs[0].prior, ImageLaterality=side, StudyDate="20220110")
    out = tmp_path / "out"
    _refused(capsys, ["compare", str(prior), str(dicom_pair[1]), "--out", str(out)], out, "different breast")


def test_files_without_tags_need_force_pair(tmp_path, capsys):
    from calcification.logic.workflows.synthetic_pairs import write_synthetic_pairs

    write_synthetic_pairs(tmp_path / "pairs", 1, seed=5, config=SMALL)
    prior, current = (tmp_path / "pairs" / f"pair5-00000_{w}.nrrd" for w in ("prior", "current"))
    out = tmp_path / "out"
    _refused(capsys, ["compare", str(prior), str(current), "--out", str(out)], out, "--force-pair")


def test_a_registration_too_poor_to_call_changes_writes_nothing(pairs, dicom_pair, tmp_path, capsys):
    other = pairs[1]
    prior = _write(
        tmp_path / "prior.dcm", other.prior, StudyDate="20220110", ImageLaterality=pairs[0].current.laterality.value
    )
    out = tmp_path / "out"
    argv = ["compare", str(prior), str(dicom_pair[1]), "--out", str(out), "--method", "hdog"]
    _refused(capsys, argv, out, "well enough to call changes")


def test_compare_writes_the_change_table_record_and_report(dicom_pair, tmp_path, capsys):
    prior, current, _ = dicom_pair
    out = tmp_path / "out"
    assert main(["compare", str(prior), str(current), "--out", str(out), "--method", "hdog", "--dicom"]) == 0
    record = json.loads(next(out.glob("*.comparison.json")).read_text())
    assert record["registration"]["acceptable"] and record["registration"]["breast_dice"] >= 0.93
    assert set(record["status_counts"]) == {"new", "increased", "stable", "decreased", "resolved"}
    with open(next(out.glob("*.changes.csv")), newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(record["clusters"]) and all(r["status"] in record["status_counts"] for r in rows)
    page = next(out.glob("*.comparison.html")).read_text()
    assert "Change table" in page and page.count("<img") == 2 * len(rows)
    side = pydicom.dcmread(current, stop_before_pixels=True).ImageLaterality
    assert (out / f"P-32_{side}_CC.changes.csv").is_file()  # named after the current exam, as analyze names it
    # the TID 1500 SR of the current image carries each current cluster's status
    sr = out / f"P-32_{side}_CC.sr.dcm"
    assert_valid_dicom(sr)
    groups = sr_groups(sr)
    expected = {f"cluster {r['current_cluster_id']}": r["status"] for r in rows if r["current_cluster_id"] != "0"}
    called = {k: v["_evaluations"].get("change_prior") for k, v in groups.items() if k.startswith("cluster")}
    assert called == expected and expected
    assert "wrote" in capsys.readouterr().out


def test_synth_pairs_writes_pairs_with_truth(tmp_path):
    out = tmp_path / "pairs"
    argv = ["synth", "--pairs", "--cases", "1", "--seed", "5", "--size", "900x1200", "--spacing", "0.1", "--view", "CC"]
    assert main([*argv, "--out", str(out)]) == 0
    rows = list(csv.DictReader(open(out / "pairs.csv", newline="")))
    assert rows[0]["prior"] == "pair5-00000_prior.nrrd" and len(rows[0]["statuses"].split()) == 4
    truth = json.loads((out / "pair5-00000.pair.json").read_text())
    assert {c["status"] for c in truth["clusters"]} == {"new", "increased", "stable", "resolved"}
    for name in ("prior", "current"):
        assert (out / f"pair5-00000_{name}.nrrd").is_file() and (out / f"pair5-00000_{name}.instances.nrrd").is_file()


def test_synth_no_change_needs_pairs(tmp_path, capsys):
    out = tmp_path / "x"
    _refused(capsys, ["synth", "--no-change", "--cases", "1", "--out", str(out)], out, "--pairs")


def _truth_table(path, mammogram, instances):
    """A ``<name>.calcifications.csv`` as analyze writes it (the columns the comparison reads), from drawn masks."""
    from calcification.core.analysis.image_analysis import analyze_mask

    m = analyze_mask(mammogram.pixels, instances > 0, mammogram.spacing_mm).measurements
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["label", "kind", "cluster_id", "area_mm2", "centroid_x_mm", "centroid_y_mm"])
        for row in zip(m.label, m.cluster_id, m.area_mm2, m.centroid_x_mm, m.centroid_y_mm, strict=True):
            writer.writerow([row[0], "calcification", *row[1:]])


def test_archive_priors_pair_exams_by_patient_side_view_and_date(pairs, tmp_path):
    from calcification.logic.workflows.archive_priors import compare_archive_priors

    pair, other = pairs
    side = pair.current.laterality.value
    inputs = [
        (_write(tmp_path / "b.dcm", pair.current, StudyDate="20240105"), "b"),
        (_write(tmp_path / "a.dcm", pair.prior, StudyDate="20220110"), "a"),
        (_write(tmp_path / "c.dcm", other.current, PatientID="P-other", StudyDate="20230101"), "c"),
    ]
    _truth_table(tmp_path / "a.calcifications.csv", pair.prior, pair.prior_instances)
    _truth_table(tmp_path / "b.calcifications.csv", pair.current, pair.current_instances)
    rows, paths = compare_archive_priors(inputs, tmp_path)
    assert [(r["prior"], r["current"], r["result"]) for r in rows] == [("a", "b", "compared")]
    assert rows[0]["patient_side_view"] == f"P-32_{side}_CC"
    assert {k: rows[0][k] for k in ("new", "increased", "stable", "resolved")} == {
        "new": 1,
        "increased": 1,
        "stable": 1,
        "resolved": 1,
    }
    assert (tmp_path / "b.changes.csv").is_file() and paths[-1] == tmp_path / "priors.csv"


def test_analyze_with_priors_compares_an_archive(dicom_pair, tmp_path, capsys):
    _, _, folder = dicom_pair
    out = tmp_path / "out"
    argv = ["analyze", str(folder), "--out", str(out), "--with-priors", "--workers", "1", "--method", "hdog"]
    assert main(argv) == 0
    assert "1 of 1 exam pairs compared" in capsys.readouterr().out
    rows = list(csv.DictReader(open(out / "priors.csv", newline="")))
    assert [(r["prior"], r["current"], r["result"]) for r in rows] == [("prior", "current", "compared")]
    assert (out / "current.comparison.html").is_file()


def test_volume_nodes_compared_into_a_change_table_node(pairs, scene):
    from calcification.logic.mrml.volume_nodes import volume_node_from_mammogram
    from calcification.logic.workflows.comparison_nodes import change_row_centres, compare_volume_nodes

    pair = pairs[0]
    prior_node = volume_node_from_mammogram(scene, pair.prior, name="prior")
    current_node = volume_node_from_mammogram(scene, pair.current, name="current")
    result, table = compare_volume_nodes(scene, prior_node, current_node, "hdog")
    assert table.GetNumberOfRows() == len(result.comparison.changes) > 0
    assert table.GetTable().GetColumnByName("status").GetValue(0) == result.comparison.changes[0].status.value
    assert table.GetColumnUnitLabel("current_extent_mm") == "mm"
    current_ras, prior_ras = change_row_centres(result, 0, prior_node, current_node)
    change = result.comparison.changes[0]
    # the default geometry is diag(-1, -1, 1): RAS = (-x, -y, 0) in mm
    assert np.allclose(current_ras, (-change.current_centre_xy_mm[0], -change.current_centre_xy_mm[1], 0.0))
    assert np.allclose(prior_ras, (-change.prior_centre_xy_mm[0], -change.prior_centre_xy_mm[1], 0.0))


def test_volumes_loaded_by_slicers_dicom_module_are_pair_checked_from_their_files(pairs, dicom_pair, tmp_path, scene):
    """A volume Slicer's DICOM module loads keeps no laterality, view, patient or date; the panel hands the files it
    came from (``dicom_files``), whose tags the pair check reads: a prior of another view is refused before anything
    is added to the scene, the true pair is compared without ``force_pair``."""
    from calcification.logic.errors import InputError
    from calcification.logic.mrml.volume_nodes import ATTRIBUTE_PREFIX, volume_node_from_mammogram
    from calcification.logic.workflows.comparison_nodes import compare_volume_nodes

    pair = pairs[0]
    nodes = [volume_node_from_mammogram(scene, m, name=n) for m, n in ((pair.prior, "prior"), (pair.current, "now"))]
    for node in nodes:  # as DICOMScalarVolumePlugin leaves them
        for key in ("Laterality", "View", "PatientID"):
            node.RemoveAttribute(ATTRIBUTE_PREFIX + key)
    tables = scene.GetNumberOfNodesByClass("vtkMRMLTableNode")
    with pytest.raises(InputError, match="carries no such tag"):
        compare_volume_nodes(scene, *nodes, "hdog")
    other_view = _write(tmp_path / "prior_mlo.dcm", pair.prior, ViewPosition="MLO", StudyDate="20220110")
    with pytest.raises(InputError, match="different views"):
        compare_volume_nodes(scene, *nodes, "hdog", dicom_files=(other_view, dicom_pair[1]))
    with pytest.raises(InputError, match="not before the current one"):
        compare_volume_nodes(scene, *nodes, "hdog", dicom_files=(dicom_pair[1], dicom_pair[0]))
    assert scene.GetNumberOfNodesByClass("vtkMRMLTableNode") == tables
    result, table = compare_volume_nodes(scene, *nodes, "hdog", dicom_files=dicom_pair[:2])
    assert table.GetNumberOfRows() == len(result.comparison.changes) > 0
    assert result.current.mammogram.metadata["study_date"] == TAGS["StudyDate"]
