"""The synthetic-dataset writer the Training panel calls: blending into a real mammogram held by a volume node."""

from __future__ import annotations

import csv
import warnings

import numpy as np

from calcification.core.io import read_mammogram
from calcification.core.synthetic import SynthesisConfig
from calcification.logic.mrml.volume_nodes import mammogram_from_volume_node, volume_node_from_mammogram
from calcification.logic.workflows.synthetic_dataset import write_synthetic_dataset


def test_blend_into_a_real_mammogram_from_a_volume_node(scene, ddsm_cases, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DDSM files carry no spacing
        real = read_mammogram(ddsm_cases[0]["lcc"])
    small = type(real)(real.pixels[::4, ::4].copy(), spacing_mm=(0.28, 0.28), view=real.view)
    node = volume_node_from_mammogram(scene, small, name="normal")
    progress_seen = []
    dataset = write_synthetic_dataset(
        tmp_path,
        2,
        seed=5,
        config=SynthesisConfig(shape=small.shape, spacing_mm=0.28),
        background=mammogram_from_volume_node(node),
        progress=lambda fraction, message: progress_seen.append(fraction) or True,
    )
    assert len(dataset.cases) == 2 and progress_seen[-1] == 1.0
    rows = list(csv.DictReader(open(tmp_path / "cases.csv", newline="")))
    assert [r["case_id"] for r in rows] == [c["case_id"] for c in dataset.cases]
    assert all(int(r["n_calcifications"]) > 0 for r in rows)
    blended = read_mammogram(tmp_path / rows[0]["image"])
    assert blended.shape == small.shape
    changed = blended.pixels != np.round(small.pixels)
    assert changed.any() and changed.mean() < 0.05  # only where calcifications were added
