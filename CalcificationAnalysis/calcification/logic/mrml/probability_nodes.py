"""The network's calcification probability map as a scalar volume node on the mammogram's grid, so a user can
threshold it themselves (Volumes module, or the Segment Editor's Threshold effect)."""

from __future__ import annotations

from typing import Optional

import numpy as np

from ...core.errors import InputError
from .volume_nodes import update_volume_node_from_array


def probability_volume_node(scene, volume_node, probability: np.ndarray, name: Optional[str] = None):
    """Add (or refill) a float volume node holding ``probability`` on ``volume_node``'s geometry.

    Parameters
    ----------
    scene : vtkMRMLScene
    volume_node : vtkMRMLScalarVolumeNode
        The mammogram; the new node copies its origin, spacing and directions.
    probability : np.ndarray, float32, (rows, cols)
        Values in [0, 1] on the mammogram's pixel grid.
    name : str, optional
        Node name; ``"<mammogram> calcification probability"`` by default. An existing node of that name that was
        made by this function is refilled rather than duplicated.

    Returns
    -------
    vtkMRMLScalarVolumeNode
        Displayed with a 0-1 window and the "Calcification.Probability" attribute set.
    """
    dimensions = volume_node.GetImageData().GetDimensions() if volume_node.GetImageData() else None
    if dimensions is None or probability.shape != (dimensions[1], dimensions[0]):
        raise InputError(f"The probability map's shape {probability.shape} does not match the mammogram's grid.")
    name = name or f"{volume_node.GetName()} calcification probability"
    node = None
    for candidate in scene.GetNodesByName(name) or []:
        if candidate.GetAttribute("Calcification.Probability") == "1":
            node = candidate
            break
    if node is None:
        node = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", name)
        node.SetAttribute("Calcification.Probability", "1")
    node.CopyOrientation(volume_node)
    update_volume_node_from_array(node, np.clip(probability, 0.0, 1.0).astype(np.float32)[None])
    if node.GetDisplayNode() is None:
        node.CreateDefaultDisplayNodes()
    display = node.GetDisplayNode()
    display.AutoWindowLevelOff()
    display.SetWindowLevelMinMax(0.0, 1.0)
    return node
