"""Per-click undo and redo of segment edits that restore the segment bit-exactly.

Each step keeps only the bounding box of the pixels the click changed (its content before and after), so a long
annotation session on a full-field mammogram costs kilobytes, not a copy of the image per click.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PatchEdit:
    """One click: the rectangle it touched (image rows and cols) and its content before and after.

    ``before`` and ``after`` are bool arrays of the rectangle's shape.
    """

    rows: slice
    cols: slice
    before: np.ndarray
    after: np.ndarray

    @property
    def nbytes(self) -> int:
        return int(self.before.nbytes + self.after.nbytes)

    def cropped_to_change(self) -> PatchEdit:
        """The same edit reduced to the bounding box of the pixels that differ (unchanged when none differ)."""
        changed = self.before != self.after
        if not changed.any():
            return self
        rows = np.nonzero(changed.any(axis=1))[0]
        cols = np.nonzero(changed.any(axis=0))[0]
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        return PatchEdit(
            slice(self.rows.start + r0, self.rows.start + r1),
            slice(self.cols.start + c0, self.cols.start + c1),
            self.before[r0:r1, c0:c1].copy(),
            self.after[r0:r1, c0:c1].copy(),
        )


class EditHistory:
    """Undo/redo stacks of :class:`PatchEdit`; a new edit clears the redo stack.

    Parameters
    ----------
    limit : int
        Undo steps kept; the oldest are dropped first (Slicer's segment editor keeps a bounded number too).
    """

    def __init__(self, limit: int = 200) -> None:
        self.limit = int(limit)
        self._undo: list[PatchEdit] = []
        self._redo: list[PatchEdit] = []

    def record(self, edit: PatchEdit) -> None:
        """Remember ``edit`` (cropped to what changed; ignored if nothing did) as the latest undoable step."""
        if np.array_equal(edit.before, edit.after):
            return
        self._undo.append(edit.cropped_to_change())
        del self._undo[: max(0, len(self._undo) - self.limit)]
        self._redo.clear()

    def clear(self) -> None:
        """Forget every step (e.g. after the segment was changed by something else)."""
        self._undo.clear()
        self._redo.clear()

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def nbytes(self) -> int:
        """Memory held by both stacks, bytes."""
        return sum(edit.nbytes for edit in self._undo + self._redo)

    def pop_undo(self) -> PatchEdit:
        """The edit to revert (moved to the redo stack); IndexError when there is none."""
        edit = self._undo.pop()
        self._redo.append(edit)
        return edit

    def pop_redo(self) -> PatchEdit:
        """The edit to re-apply (moved back to the undo stack); IndexError when there is none."""
        edit = self._redo.pop()
        self._undo.append(edit)
        return edit
