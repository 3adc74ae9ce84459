"""One reader annotating one mammogram: click-to-outline with undo/redo, point annotations and candidate review.

This is the object the CalcificationAnalysis panel, the Segment Editor effect and a Python console user call. All
state that must survive a saved scene lives in MRML: the segment, the point annotations (a markups node referenced
by the segmentation, see :mod:`.point_annotations`) and the candidate review, kept as JSON in the segmentation
node's attribute :data:`REVIEW_ATTRIBUTE` (node attributes are written into the scene file, so a ``.mrb`` saved
and reopened, here or in Slicer, resumes the review where the reader stopped). Undo/redo history is per session,
like the Segment Editor's.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ...core.annotation.candidate_review import CandidateReview, Decision, review_for_mammogram
from ...core.errors import InputError
from ...core.progress import ProgressCallback
from ..mrml.point_annotations import add_point_annotation, point_annotations
from ..mrml.volume_nodes import mammogram_from_volume_node
from .level_tracing import LevelTracingAnnotator, TraceOptions, TraceResult

#: Segmentation node attribute holding the candidate review state (JSON of ``CandidateReview.to_json``).
REVIEW_ATTRIBUTE = "Calcification.CandidateReview"


def load_review(segmentation_node) -> Optional[CandidateReview]:
    """The candidate review saved on ``segmentation_node``, or None when no review was started.

    Raises
    ------
    InputError
        When the saved state cannot be read.
    """
    text = segmentation_node.GetAttribute(REVIEW_ATTRIBUTE)
    return CandidateReview.from_json(text) if text else None


def save_review(segmentation_node, review: Optional[CandidateReview]) -> None:
    """Store ``review`` on ``segmentation_node`` (None removes it)."""
    if review is None:
        segmentation_node.RemoveAttribute(REVIEW_ATTRIBUTE)
    else:
        segmentation_node.SetAttribute(REVIEW_ATTRIBUTE, review.to_json())


class AnnotationSession:
    """Annotate ``volume_node`` into a segment of ``segmentation_node``.

    Example (Slicer's Python console)::

        session = AnnotationSession(volumeNode, segmentationNode)
        session.trace_ras((12.5, -40.1, 0.0))          # outline the calcification clicked there
        session.undo()
        session.add_point(1520, 880)                   # a speck too small to outline
        session.start_review()                         # Hessian-DoG candidates, highest contrast first
        session.accept_current(); session.review.next(); session.reject_current()

    Parameters
    ----------
    volume_node : vtkMRMLScalarVolumeNode, single slice
    segmentation_node : vtkMRMLSegmentationNode, on the volume's geometry
    segment_id : str, optional
        Segment traced into; the "Calcification" segment (added when missing) by default.
    """

    def __init__(self, volume_node, segmentation_node, segment_id: Optional[str] = None) -> None:
        self.annotator = LevelTracingAnnotator(volume_node, segmentation_node, segment_id)
        self.review = load_review(segmentation_node)

    @property
    def volume_node(self):
        return self.annotator.volume_node

    @property
    def segmentation_node(self):
        return self.annotator.segmentation_node

    @property
    def segment_id(self) -> str:
        return self.annotator.segment_id

    # Outlining -------------------------------------------------------------------------------------------------

    def trace(self, row: int, col: int, options: Optional[TraceOptions] = None) -> TraceResult:
        """Outline the object at pixel (row, col) into the segment (see :meth:`LevelTracingAnnotator.click`)."""
        return self.annotator.click(row, col, options or TraceOptions())

    def trace_ras(self, ras, options: Optional[TraceOptions] = None) -> TraceResult:
        """Outline the object at RAS point ``ras`` (mm)."""
        return self.annotator.click_ras(tuple(ras), options or TraceOptions())

    def undo(self) -> bool:
        return self.annotator.undo()

    def redo(self) -> bool:
        return self.annotator.redo()

    # Points ----------------------------------------------------------------------------------------------------

    def add_point(self, row: float, col: float, label: str = "") -> int:
        """Mark a speck too small to outline at pixel (row, col); returns its index."""
        return add_point_annotation(self.segmentation_node, self.volume_node, row, col, label)

    def points(self) -> np.ndarray:
        """(n, 2) float array of the marked points, (row, col) pixels."""
        return point_annotations(self.segmentation_node, self.volume_node)[1]

    # Candidate review ------------------------------------------------------------------------------------------

    def start_review(self, config=None, progress: ProgressCallback = None, restart: bool = False) -> CandidateReview:
        """Detect candidates in the breast and start reviewing them; an existing review is kept unless ``restart``.

        ``config``: :class:`HDoGConfig` (published settings by default). The review is stored in the scene.
        """
        if self.review is None or restart:
            review = review_for_mammogram(mammogram_from_volume_node(self.volume_node), config, progress)
            self.review = review
            save_review(self.segmentation_node, review)
        return self.review

    def _require_review(self) -> CandidateReview:
        if self.review is None:
            raise InputError("No candidate review is running: start one first.")
        if self.review.current is None:
            raise InputError("The detector found no candidates in this image: there is nothing to review.")
        return self.review

    def next_candidate(self, pending_only: bool = False):
        """Move the review to the next candidate (the next undecided one with ``pending_only``); None at the end."""
        candidate = self._require_review().next(pending_only)
        save_review(self.segmentation_node, self.review)
        return candidate

    def go_to_candidate(self, index: int):
        """Make candidate ``index`` (0 = highest contrast) the current one (state saved in the scene)."""
        candidate = self._require_review().go_to(index)
        save_review(self.segmentation_node, self.review)
        return candidate

    def previous_candidate(self):
        """Move the review to the previous candidate; None at the start."""
        candidate = self._require_review().previous()
        save_review(self.segmentation_node, self.review)
        return candidate

    def accept_current(self, options: Optional[TraceOptions] = None) -> TraceResult:
        """Trace the current candidate into the segment and mark it accepted (state saved in the scene)."""
        review = self._require_review()
        result = self.trace(*review.current.pixel, options)
        review.accept()
        save_review(self.segmentation_node, review)
        return result

    def reject_current(self) -> None:
        """Mark the current candidate rejected (remembered, never traced)."""
        self._require_review().reject()
        save_review(self.segmentation_node, self.review)

    def accept_in_region(self, region: np.ndarray, options: Optional[TraceOptions] = None) -> list[TraceResult]:
        """Accept and trace every undecided candidate whose pixel is in ``region`` (bool, rows x cols)."""
        review = self._require_review()
        results = [self.trace(*review.candidates[i].pixel, options) for i in review.indices_in_region(region)]
        review.accept_in_region(region)
        save_review(self.segmentation_node, review)
        return results

    def review_counts(self) -> dict[str, int]:
        """Candidates per decision; all zero when no review was started."""
        return self.review.counts() if self.review else {d.value: 0 for d in Decision}
