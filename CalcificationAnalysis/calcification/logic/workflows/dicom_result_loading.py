"""The product's DICOM results into a scene: its SEG as a segmentation node on the mammogram it segments, its TID
1500 SR's cluster measurements as a table node. The extension's DICOM plugin (``DICOMCalcificationResultsPlugin.py``
beside the CalcificationAnalysis module) calls these; they run the same on ``slicer-core``.

A mammogram's SEG needs no patient coordinate system here: its masks are placed on the pixel grid of the image it
references (the volume node Slicer's DICOM module loaded for that image, or one read from the image's file), which
is where the product drew them. Reference: :mod:`calcification.core.dicom_import`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

from ...core.dicom_import.report_reader import ReportTable, read_cluster_measurements
from ...core.dicom_import.segmentation_reader import SegmentationContents, read_segmentation
from ...core.errors import InputError
from ..mrml.scene_factory import segmentations_logic_for
from ..mrml.segmentation_nodes import ensure_segment, set_segment_mask, terminology_entry
from ..mrml.table_nodes import table_node_from_columns

#: Node attribute in which Slicer's DICOM scalar volume loader lists the SOP Instance UIDs of a volume's frames
#: (Modules/Scripted/DICOMPlugins/DICOMScalarVolumePlugin.py, ``DICOM.instanceUIDs``).
INSTANCE_UIDS_ATTRIBUTE = "DICOM.instanceUIDs"
#: Colour of a segment whose SEG gives none (the product's calcification yellow).
DEFAULT_COLOR = (1.0, 0.85, 0.0)


def volume_node_for_instance(scene, sop_instance_uid: str):
    """The scalar volume node of ``scene`` loaded from the DICOM instance ``sop_instance_uid``, or None."""
    nodes = scene.GetNodesByClass("vtkMRMLScalarVolumeNode")
    for index in range(nodes.GetNumberOfItems()):
        node = nodes.GetItemAsObject(index)
        if sop_instance_uid in (node.GetAttribute(INSTANCE_UIDS_ATTRIBUTE) or "").split():
            return node
    return None


def _reference_volume(scene, contents: SegmentationContents, volume_node, reference_path):
    if volume_node is None:
        volume_node = volume_node_for_instance(scene, contents.source_sop_instance_uid)
    if volume_node is None and reference_path is not None:
        from ...core.io import read_mammogram
        from ..mrml.volume_nodes import volume_node_from_mammogram

        volume_node = volume_node_from_mammogram(scene, read_mammogram(Path(reference_path)))
        volume_node.SetAttribute(INSTANCE_UIDS_ATTRIBUTE, contents.source_sop_instance_uid)
    if volume_node is None:
        raise InputError(
            f"The image this segmentation outlines (SOP Instance UID {contents.source_sop_instance_uid}) is not "
            "loaded and its file was not found: import the mammogram's series into the DICOM database too."
        )
    dimensions = volume_node.GetImageData().GetDimensions() if volume_node.GetImageData() else (0, 0, 0)
    shape = contents.segments[0].mask.shape if contents.segments else (dimensions[1], dimensions[0])
    if (dimensions[1], dimensions[0], dimensions[2]) != (*shape, 1):
        raise InputError(
            f"The segmentation is {shape[0]} x {shape[1]} pixels but the image '{volume_node.GetName()}' is "
            f"{dimensions[1]} x {dimensions[0]} x {dimensions[2]}: it does not outline this image."
        )
    return volume_node


def load_dicom_segmentation(
    scene, seg_path: Union[str, Path], volume_node=None, reference_path: Union[str, Path, None] = None, name=None
):
    """Add the segments of the product's SEG ``seg_path`` as a segmentation node on the image it references.

    Parameters
    ----------
    scene : vtkMRMLScene
    seg_path : str or Path
        A SEG of one mammogram (as ``analyze --dicom`` writes).
    volume_node : vtkMRMLScalarVolumeNode, optional
        The referenced image; by default the volume of ``scene`` loaded from it (``DICOM.instanceUIDs``), else the
        image read from ``reference_path``.
    reference_path : str or Path, optional
        The referenced image's DICOM file, read when no volume of it is in the scene.
    name : str, optional
        Node name; the SEG's series description by default.

    Returns
    -------
    (vtkMRMLSegmentationNode, vtkMRMLScalarVolumeNode)
        One segment per SEG segment (ID and name = Segment Label, its colour and terminology), on the volume's grid.

    Raises
    ------
    InputError
        Unreadable SEG, referenced image missing or of another size. Nothing is added to the scene then.
    """
    contents = read_segmentation(seg_path)
    volume_node = _reference_volume(scene, contents, volume_node, reference_path)
    segmentations_logic_for(scene)
    node = scene.AddNewNodeByClass("vtkMRMLSegmentationNode", name or contents.series_description or "Segmentation")
    node.CreateDefaultDisplayNodes()
    node.SetReferenceImageGeometryParameterFromVolumeNode(volume_node)
    for segment in contents.segments:
        codes = [
            (c.scheme, c.value, c.meaning) if c else None
            for c in (segment.category, segment.property_type, segment.anatomic_region)
        ]
        segment_id = ensure_segment(node, segment.label, segment.color_rgb or DEFAULT_COLOR, terminology_entry(*codes))
        set_segment_mask(node, segment_id, segment.mask, volume_node)
    return node, volume_node


def load_dicom_cluster_table(scene, sr_path: Union[str, Path], name: Optional[str] = None):
    """Add the cluster measurements of the product's TID 1500 SR ``sr_path`` as a table node (one row per cluster;
    columns as :class:`~calcification.core.dicom_import.report_reader.ReportTable` names them). Returns the node."""
    table: ReportTable = read_cluster_measurements(sr_path)
    return table_node_from_columns(scene, name or "Calcification clusters (DICOM SR)", table.columns)


def result_header(path: Union[str, Path]):
    """:func:`~calcification.core.dicom_import.result_headers.read_result_header`: which of the product's results
    ``path`` is and the DICOM plugin's confidence for it; None for any other file. Reads the header with pydicom only
    (Slicer's DICOM module examines files before the library's packages are installed)."""
    from ...core.dicom_import.result_headers import read_result_header

    return read_result_header(path)
