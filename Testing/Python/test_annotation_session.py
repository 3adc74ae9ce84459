"""Annotation session on real MRML nodes: candidate review and point annotations survive a .mrb save and reload;
reader agreement from segmentation nodes and .seg.nrrd files."""

from __future__ import annotations

import numpy as np
import pytest

from calcification.core.annotation.agreement import MatchStatus
from calcification.core.annotation.candidate_review import Decision
from calcification.core.errors import InputError
from calcification.core.synthetic import SynthesisConfig, generate_case
from calcification.logic.mrml.point_annotations import export_point_annotations, point_annotation_node
from calcification.logic.mrml.scene_storage import load_scene_bundle, save_scene_bundle, save_segmentation
from calcification.logic.mrml.segmentation_nodes import (
    CALCIFICATION_SEGMENT_ID,
    create_calcification_segmentation,
    segment_mask,
    set_segment_mask,
)
from calcification.logic.mrml.table_nodes import columns_from_table_node
from calcification.logic.mrml.volume_nodes import volume_node_from_mammogram
from calcification.logic.workflows.agreement_nodes import (
    agreement_table_node,
    compare_segmentation_nodes,
    load_segmentation_file,
)
from calcification.logic.workflows.annotation_session import REVIEW_ATTRIBUTE, AnnotationSession


@pytest.fixture(scope="module")
def case():
    return generate_case(SynthesisConfig(shape=(512, 512), crop=True), seed=1, index=0)


@pytest.fixture
def session(scene, case):
    volume = volume_node_from_mammogram(scene, case.mammogram, name="case")
    return AnnotationSession(volume, create_calcification_segmentation(scene, volume, name="reader A"))


def reopen(scene, tmp_path):
    """Save ``scene`` as .mrb, load it into a new scene, return (scene, volume, segmentation) from it. The caller
    keeps the new scene alive: nodes of a collected scene lose their references."""
    loaded = load_scene_bundle(save_scene_bundle(scene, tmp_path / "annotated.mrb"))
    return loaded, loaded.GetFirstNodeByName("case"), loaded.GetFirstNodeByName("reader A")


def test_review_state_survives_save_and_reload(session, scene, tmp_path):
    review = session.start_review()
    assert len(review) >= 5
    contrasts = [c.contrast for c in review.candidates]
    assert contrasts == sorted(contrasts, reverse=True)
    first = review.current.pixel
    result = session.accept_current()
    assert segment_mask(session.segmentation_node, session.segment_id, session.volume_node)[result.peak]
    session.next_candidate()
    session.reject_current()
    session.next_candidate()
    traced = segment_mask(session.segmentation_node, session.segment_id, session.volume_node)

    _loaded, volume, segmentation = reopen(scene, tmp_path)
    resumed = AnnotationSession(volume, segmentation)
    assert resumed.review.candidates == review.candidates
    assert resumed.review.index == 2 and resumed.review.candidates[0].pixel == first
    assert resumed.review.indices(Decision.ACCEPTED) == [0] and resumed.review.indices(Decision.REJECTED) == [1]
    np.testing.assert_array_equal(segment_mask(segmentation, resumed.segment_id, volume), traced)
    assert resumed.start_review() is resumed.review  # an existing review is continued, not restarted


def test_accept_all_in_region_traces_each_pending_candidate(session):
    review = session.start_review()
    session.reject_current()
    region = np.zeros(session.volume_node.GetImageData().GetDimensions()[1::-1], bool)
    region[: region.shape[0] // 2] = True
    expected = review.indices_in_region(region)
    results = session.accept_in_region(region)
    assert len(results) == len(expected) > 0 and 0 not in review.indices(Decision.ACCEPTED)
    mask = segment_mask(session.segmentation_node, session.segment_id, session.volume_node)
    assert all(mask[r.peak] for r in results if r.changed_pixels)


def test_points_are_stored_with_the_segmentation_and_exported(session, scene, tmp_path):
    session.add_point(100, 200)
    session.add_point(30.5, 40.25, label="speck")
    with pytest.raises(InputError, match="outside the image"):
        session.add_point(600, 10)
    np.testing.assert_allclose(session.points(), [[100, 200], [30.5, 40.25]], atol=1e-6)

    _loaded, volume, segmentation = reopen(scene, tmp_path)
    assert point_annotation_node(segmentation, create=False).GetNumberOfControlPoints() == 2
    np.testing.assert_allclose(AnnotationSession(volume, segmentation).points(), session.points(), atol=1e-6)
    lines = export_point_annotations(segmentation, volume, tmp_path / "points.csv").read_text().splitlines()
    assert lines[0] == "label,row,col,r_mm,a_mm,s_mm" and lines[2].startswith("speck,30.500,40.250,")


def test_reviewing_without_a_review_is_refused(session):
    with pytest.raises(InputError, match="No candidate review"):
        session.accept_current()
    assert session.segmentation_node.GetAttribute(REVIEW_ATTRIBUTE) is None


def test_agreement_of_segmentation_nodes_and_files(scene, case, tmp_path):
    volume = volume_node_from_mammogram(scene, case.mammogram, name="case")
    reader_a = create_calcification_segmentation(scene, volume, name="reader A")
    reader_b = create_calcification_segmentation(scene, volume, name="reader B")
    set_segment_mask(reader_a, CALCIFICATION_SEGMENT_ID, case.mask, volume)
    assert compare_segmentation_nodes(reader_a, reader_a).dice == 1.0
    moved = case.instances == case.record.calcifications[0].instance_id
    set_segment_mask(reader_b, CALCIFICATION_SEGMENT_ID, (case.mask & ~moved) | np.roll(moved, 3, axis=0), volume)

    path_a = save_segmentation(reader_a, tmp_path / "a.seg.nrrd")
    path_b = save_segmentation(reader_b, tmp_path / "b.seg.nrrd")
    report = compare_segmentation_nodes(load_segmentation_file(scene, path_a), load_segmentation_file(scene, path_b))
    assert len(report.flagged) == 1 and report.flagged[0].status is MatchStatus.OUTLINE_DIFFERS
    row, col = report.flagged[0].centroid_a_rc
    assert moved[int(round(row)), int(round(col))]
    table = agreement_table_node(scene, report)
    assert columns_from_table_node(table)["status"].tolist().count("outline_differs") == 1
    assert table.GetAttribute("Calcification.NeedsSeniorReader") == str(report.dice < 0.95).lower()


def test_segmentations_of_different_images_are_refused(scene, case, small_mammogram):
    volume = volume_node_from_mammogram(scene, case.mammogram)
    other = volume_node_from_mammogram(scene, small_mammogram)
    with pytest.raises(InputError, match="not drawn on the same image"):
        compare_segmentation_nodes(
            create_calcification_segmentation(scene, volume), create_calcification_segmentation(scene, other)
        )
