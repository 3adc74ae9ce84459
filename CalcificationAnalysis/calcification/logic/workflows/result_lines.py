"""What a run says about one analysed image: its result line and its notes, the one owner of their wording, so a
single-image ``analyze`` and an archive run (where the line travels in the image's manifest record) print the same."""

from __future__ import annotations

#: The note printed once per run when the segmentation model was trained on synthetic mammograms only.
SYNTHETIC_MODEL_NOTE = "note: the segmentation model was trained on synthetic data only."


def result_line(analyzed) -> str:
    """``<name>: 14 calcifications (2.31 mm²) in 2 clusters; probability of malignancy 0.82 (classifier)``."""
    return f"{analyzed.run.name}: {analyzed.run.summary}"


def result_notes(analyzed) -> list[str]:
    """The notes on an analysed image's numbers: the classifier's warning, a synthetic-only segmentation model."""
    notes = []
    malignancy = analyzed.run.malignancy
    if malignancy is not None and malignancy.warning:
        notes.append(f"note: {malignancy.warning}")
    if analyzed.segmented.segmentation.details.get("synthetic_training"):
        notes.append(SYNTHETIC_MODEL_NOTE)
    return notes
