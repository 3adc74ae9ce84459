"""Segment Editor effect "Calcification trace", registered by the CalcificationAnalysis module (see
SegmentEditorEffect.py). Nothing is imported here: Slicer loads the effect file by path."""
