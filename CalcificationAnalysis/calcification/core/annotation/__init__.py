"""Annotation helpers without Slicer: where a click should trace, and per-click undo/redo of segment edits."""
