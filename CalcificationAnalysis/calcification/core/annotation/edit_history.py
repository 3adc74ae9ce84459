"""Per-click undo and redo of segment edits, storing only the changed rectangle of each click."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PatchEdit:
    """One click: the rectangle it touched, its content before and after (bool arrays of the same shape)."""

    rows: slice
    cols: slice
    before: np.ndarray
    after: np.ndarray


class EditHistory:
    """Undo/redo stacks of :class:`PatchEdit`; a new edit clears the redo stack. ``limit`` bounds memory."""

    def __init__(self, limit: int = 200) -> None:
        self.limit = int(limit)
        self._undo: list[PatchEdit] = []
        self._redo: list[PatchEdit] = []

    def record(self, edit: PatchEdit) -> None:
        """Remember ``edit`` (if it changed anything) as the latest undoable step."""
        if np.array_equal(edit.before, edit.after):
            return
        self._undo.append(edit)
        del self._undo[: max(0, len(self._undo) - self.limit)]
        self._redo.clear()

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

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
