"""Issue 27, item 2: every interruption point of ``segment``, ``analyze`` and archive runs, 20 times each (SIGINT and
SIGTERM in turn), leaves either nothing or everything of each image and says which.

Marked ``stress``: left out of the default run (``pyproject.toml`` deselects it); run by
``Testing/Benchmarks/benchmark_interruptions.py``, or with ``pytest -m stress`` and this file.
"""

from __future__ import annotations

import pytest

from interruption_harness import POINTS, Point, expected_files, interrupt_at, signal_for

pytestmark = pytest.mark.stress
RUNS_PER_POINT = 20


@pytest.fixture(scope="module")
def complete_listing(tmp_path_factory):
    """What an uninterrupted run of each command writes."""
    cache: dict[str, set] = {}

    def listing(command: str) -> set:
        if command not in cache:
            cache[command] = expected_files(Point(command, ""), tmp_path_factory.mktemp(f"clean-{command}"))
        return cache[command]

    return listing


@pytest.mark.parametrize("point", POINTS, ids=str)
def test_every_interruption_keeps_its_word(tmp_path, point, complete_listing):
    complete = complete_listing(point.command) if point.committed else set()
    failures = []
    for run in range(RUNS_PER_POINT):
        outcome = interrupt_at(point, signal_for(run), tmp_path / f"run{run}", complete)
        if outcome.problems or outcome.leftovers:
            failures.append((run, outcome))
    assert not failures, failures
