"""Standing guard of issues 23 and 28: mutated DICOM (plain and RLE), NRRD, PNG, labels-CSV and model-card inputs, and
candidate tables (train-candidate-filter), archive manifests, scheduler files and DICOMweb server answers, end with
exit 0 and valid outputs, or a one-line error and exit 2; never a traceback, never a file left behind.

Bounded for CI (a few dozen examples per kind, derandomised so a run is repeatable); ``Testing/Fuzz/`` holds the
long coverage-guided harness and the script that counts outcomes over 1,000+ mutations per kind.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Fuzz"))

from fuzz_targets import KINDS, SEED_REFUSED, mutate, run_target, seed_bytes  # noqa: E402

_SEEDS: dict[str, bytes] = {}


def _seed(kind: str) -> bytes:
    if kind not in _SEEDS:
        _SEEDS[kind] = seed_bytes(kind)
    return _SEEDS[kind]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_seed_inputs_are_accepted(kind, tmp_path):
    outcome = run_target(kind, _seed(kind), tmp_path)
    assert outcome.kind == ("refused" if kind in SEED_REFUSED else "ok"), outcome


def _examples(kind: str) -> int:
    return 12 if kind in ("model_card", "candidate_table", "dicomweb_answer") else 30


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_mutated_inputs_exit_cleanly(kind, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"fuzz-{kind}")

    @settings(
        max_examples=_examples(kind),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(seed=st.integers(0, 2**32 - 1), cut=st.none() | st.integers(0, 4096))
    def check(seed, cut):
        data = mutate(_seed(kind), np.random.default_rng(seed))
        if cut is not None:
            data = data[: max(cut, 1) * 4]
        outcome = run_target(kind, data, root)
        assert outcome.kind != "other", (seed, cut, outcome)

    check()
