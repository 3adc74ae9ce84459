"""Vascular calcifications: found along a vessel, kept out of clusters and features, tabled and shown apart."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from calcification.core.analysis.image_analysis import analyze_mask
from calcification.core.analysis.result_tables import calcification_table
from calcification.core.candidates.vascular import vascular_flags
from calcification.core.image import Mammogram
from calcification.core.rendering.overlay import VASCULAR_RGB, render_overlay
from calcification.core.segmentation.result import CalcificationSegmentation
from calcification.core.segmentation.vascular_split import split_vascular

SPACING = 0.1  # mm


def _scene(with_vessel: bool = True):
    """A 400 x 400 image at 0.1 mm: a 1.2 mm wide bright diagonal vessel with 8 specks on it (if ``with_vessel``,
    else the same specks on flat tissue), and a round group of 8 specks away from it."""
    rng = np.random.default_rng(0)
    rows, cols = np.mgrid[:400, :400].astype(float)
    image = 100.0 + rng.normal(0, 1.0, (400, 400))
    distance = np.abs(rows - cols) / np.sqrt(2)  # to the line row == col
    if with_vessel:
        image += 30.0 * np.exp(-0.5 * (distance * SPACING / 0.5) ** 2)
    on_line = [(60 + 20 * k, 60 + 20 * k) for k in range(8)]  # 2.8 mm apart along the vessel
    group = [(300 + 8 * np.cos(a), 80 + 8 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 8, endpoint=False)]
    labels = np.zeros((400, 400), np.int32)
    for n, (r, c) in enumerate(on_line + group, start=1):
        labels[int(r) - 1 : int(r) + 2, int(c) - 1 : int(c) + 2] = n
    image[labels > 0] += 80.0
    return ndimage.gaussian_filter(image, 0.7), labels, len(on_line)


def test_specks_along_a_vessel_are_vascular_and_a_round_group_is_not():
    image, labels, n_line = _scene()
    centroids = np.array(ndimage.center_of_mass(labels > 0, labels, np.arange(1, labels.max() + 1)))
    flags = vascular_flags(centroids, image, SPACING)
    assert flags[:n_line].all()
    assert not flags[n_line:].any()


def test_a_row_of_specks_without_a_vessel_under_it_stays_a_calcification():
    image, labels, _ = _scene(with_vessel=False)
    centroids = np.array(ndimage.center_of_mass(labels > 0, labels, np.arange(1, labels.max() + 1)))
    assert not vascular_flags(centroids, image, SPACING).any()


def test_split_moves_vascular_objects_out_of_the_labels_and_renumbers_the_rest():
    image, labels, n_line = _scene()
    result = CalcificationSegmentation(labels, np.ones(labels.shape, bool), (SPACING, SPACING), "test")
    split = split_vascular(result, Mammogram(image.astype(np.float32), (SPACING, SPACING)))
    assert split.count == labels.max() - n_line
    assert split.vascular_count == n_line
    assert sorted(np.unique(split.labels)) == list(range(labels.max() - n_line + 1))
    assert "8 vascular" in split.summary()


def test_analysis_keeps_vascular_calcifications_out_of_clusters_and_features_but_in_the_table():
    image, labels, n_line = _scene()
    vascular = (labels > 0) & (labels <= n_line)
    without = analyze_mask(image, labels > 0, (SPACING, SPACING))
    analysis = analyze_mask(image, labels > 0, (SPACING, SPACING), vascular_mask=vascular)
    assert analysis.calcification_count == labels.max() - n_line
    assert analysis.vascular_count == n_line
    assert analysis.features["calc_num"] == labels.max() - n_line != without.features["calc_num"]
    table = calcification_table(analysis)
    kinds = list(table.columns["kind"])
    assert kinds.count("vascular") == n_line and kinds.count("calcification") == labels.max() - n_line
    assert set(table.columns["cluster_id"][np.array(kinds) == "vascular"]) == {-1}
    picture = render_overlay(image, analysis.labels, None, vascular_mask=analysis.vascular_labels)
    assert (picture == VASCULAR_RGB).all(axis=2).any()


def test_the_vascular_segment_is_written_read_back_and_tabled_apart(scene):
    from calcification.logic.mrml.segmentation_nodes import (
        CALCIFICATION_SEGMENT_ID,
        VASCULAR_SEGMENT_ID,
        create_calcification_segmentation,
        ensure_calcification_segment,
        segment_mask,
        set_segment_mask,
    )
    from calcification.logic.mrml.table_nodes import columns_from_table_node
    from calcification.logic.mrml.volume_nodes import volume_node_from_mammogram
    from calcification.logic.workflows.analysis_workflow import analyze_segmentation_node
    from calcification.logic.workflows.segmentation_workflow import _store_vascular

    image, labels, n_line = _scene()
    mammogram = Mammogram(image.astype(np.float32), (SPACING, SPACING))
    split = split_vascular(
        CalcificationSegmentation(labels, np.ones(labels.shape, bool), (SPACING,) * 2, "t"), mammogram
    )
    volume = volume_node_from_mammogram(scene, mammogram)
    segmentation = create_calcification_segmentation(scene, volume)
    set_segment_mask(segmentation, ensure_calcification_segment(segmentation), split.mask, volume)
    _store_vascular(segmentation, split, volume)
    vascular_id = segmentation.GetSegmentation().GetSegmentIdBySegmentName(VASCULAR_SEGMENT_ID)
    np.testing.assert_array_equal(segment_mask(segmentation, vascular_id, volume), split.vascular_labels > 0)
    run = analyze_segmentation_node(
        scene,
        volume,
        segmentation,
        classifier=False,
        segment_id=CALCIFICATION_SEGMENT_ID,
        breast=np.ones(labels.shape, bool),
    )
    assert run.analysis.vascular_count == n_line and run.analysis.cluster_count == 1
    kinds = list(columns_from_table_node(run.table_nodes["calcifications"])["kind"])
    assert kinds.count("vascular") == n_line
    # A rerun that finds no vascular calcification empties the segment instead of leaving the old ones.
    _store_vascular(
        segmentation,
        split_vascular(
            CalcificationSegmentation(np.zeros_like(labels), np.ones(labels.shape, bool), (SPACING,) * 2, "t"),
            mammogram,
        ),
        volume,
    )
    assert not segment_mask(segmentation, vascular_id, volume).any()
