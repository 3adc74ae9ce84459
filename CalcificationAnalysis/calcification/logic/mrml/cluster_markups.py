"""Cluster outlines as closed-curve markups over the mammogram, so a radiologist sees each cluster in the slice
views and can jump to it from the markups list."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError

from ...core.analysis import ImageAnalysis
from .point_annotations import ijk_to_ras

#: Outline colour, the report's cluster-box magenta (RGB in [0, 1]).
CLUSTER_OUTLINE_COLOR = (1.0, 0.24, 0.78)
#: Node attribute that marks a curve as a cluster outline made by the analysis (so a new analysis replaces it).
CLUSTER_ATTRIBUTE = "Calcification.ClusterOutline"


def _outline_pixels(member_boxes, margin_px: float = 2.0) -> np.ndarray:
    """(k, 2) float (row, col) convex hull around the members' bounding boxes, pushed out by ``margin_px``.

    Box corners (pixel edges, not centres) are used instead of every member pixel: the hull is the same up to the
    corners of the boxes, a cluster of single pixels still gets an area, and a full-field image with thousands of
    calcifications costs no whole-image scan per cluster.
    """
    corners = np.array(
        [
            (box[0].start + dr, box[1].start + dc)
            for box in member_boxes
            for dr in (-0.5, box[0].stop - box[0].start - 0.5)
            for dc in (-0.5, box[1].stop - box[1].start - 0.5)
        ],
        dtype=np.float64,
    )
    try:
        hull = corners[ConvexHull(corners).vertices]
    except QhullError:  # all corners on a line
        hull = corners[[np.argmin(corners[:, 0] + corners[:, 1]), np.argmax(corners[:, 0] + corners[:, 1])]]
    offset = hull - hull.mean(axis=0)
    norms = np.maximum(np.linalg.norm(offset, axis=1, keepdims=True), 1e-6)
    return hull + offset / norms * margin_px


def remove_cluster_outlines(scene) -> None:
    """Remove the cluster outlines of an earlier analysis from ``scene``."""
    for node in list(scene.GetNodesByClass("vtkMRMLMarkupsClosedCurveNode")):
        if node.GetAttribute(CLUSTER_ATTRIBUTE) == "1":
            scene.RemoveNode(node)


def add_cluster_outlines(scene, volume_node, analysis: ImageAnalysis) -> list:
    """One ``vtkMRMLMarkupsClosedCurveNode`` per cluster (named "Cluster k", in RAS mm), replacing earlier ones.

    Returns
    -------
    list of vtkMRMLMarkupsClosedCurveNode, in cluster order.
    """
    remove_cluster_outlines(scene)
    boxes = ndimage.find_objects(analysis.labels)
    nodes = []
    for cluster in analysis.clusters.clusters:
        node = scene.AddNewNodeByClass("vtkMRMLMarkupsClosedCurveNode", f"Cluster {cluster.cluster_id}")
        node.SetAttribute(CLUSTER_ATTRIBUTE, "1")
        for row, col in _outline_pixels([boxes[label - 1] for label in cluster.member_labels]):
            node.AddControlPointWorld(*ijk_to_ras(volume_node, row, col))
        node.CreateDefaultDisplayNodes()
        display = node.GetDisplayNode()
        if display is not None:
            display.SetSelectedColor(*CLUSTER_OUTLINE_COLOR)
            display.SetPointLabelsVisibility(False)
            display.SetFillVisibility(False)  # a filled cluster would hide the calcifications it outlines
        node.LockedOn()
        nodes.append(node)
    return nodes
