"""Cluster outlines as closed-curve markups over the mammogram, so a radiologist sees each cluster in the slice
views and can jump to it from the markups list."""

from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from ..core.analysis import ImageAnalysis
from .point_annotations import ijk_to_ras

#: Outline colour, the report's cluster-box magenta (RGB in [0, 1]).
CLUSTER_OUTLINE_COLOR = (1.0, 0.24, 0.78)
#: Node attribute that marks a curve as a cluster outline made by the analysis (so a new analysis replaces it).
CLUSTER_ATTRIBUTE = "Calcification.ClusterOutline"


def _outline_pixels(labels: np.ndarray, member_labels, margin_px: float = 2.0) -> np.ndarray:
    """(k, 2) float (row, col) corners of the convex hull around the members' pixels, pushed out by ``margin_px``."""
    rows, cols = np.nonzero(np.isin(labels, member_labels))
    # Pixel corners, not centres, so that a cluster of single pixels still gets an area.
    corners = np.concatenate([np.stack([rows + dr, cols + dc], axis=1) for dr in (-0.5, 0.5) for dc in (-0.5, 0.5)])
    try:
        hull = corners[ConvexHull(corners).vertices]
    except QhullError:  # all corners on a line
        hull = corners[[np.argmin(corners[:, 0] + corners[:, 1]), np.argmax(corners[:, 0] + corners[:, 1])]]
    centre = hull.mean(axis=0)
    offset = hull - centre
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
    nodes = []
    for cluster in analysis.clusters.clusters:
        node = scene.AddNewNodeByClass("vtkMRMLMarkupsClosedCurveNode", f"Cluster {cluster.cluster_id}")
        node.SetAttribute(CLUSTER_ATTRIBUTE, "1")
        for row, col in _outline_pixels(analysis.labels, cluster.member_labels):
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
