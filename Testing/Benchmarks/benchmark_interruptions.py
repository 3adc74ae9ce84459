"""Interrupt ``segment``, ``analyze`` and archive runs at every named point, 20 times each, and count leftovers.

Usage (from the repository root)::

    .venv/bin/python Testing/Benchmarks/benchmark_interruptions.py [--runs 20] [--points analyze,archive@after-commit]

Each run pauses at its point (``CALCIFICATION_PAUSE_AT``, see ``calcification.core.interruption.test_point``) and is
sent SIGINT (even runs, to its whole process group as a terminal's Ctrl-C) or SIGTERM (odd runs, to the command
only). Prints per point: runs, exit codes seen, *leftovers* (files that break the promise: a temporary, a file of an
image that is not complete and recorded, a missing file of a committed image, a recorded file whose checksum
differs) and *problems* (a lost signal, a wrong closing line, a traceback). Target: 0 and 0 on every line. The
checks are those of ``Testing/Python/interruption_harness.py``, shared with the stress test
(``pytest -m stress Testing/Python/test_interruption_stress.py``).
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Python"))

from interruption_harness import POINTS, Point, expected_files, interrupt_at, signal_for  # noqa: E402


def _selected(spec: str) -> list[Point]:
    if not spec:
        return list(POINTS)
    wanted = spec.split(",")
    return [p for p in POINTS if p.command in wanted or str(p) in wanted]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per point (default 20)")
    parser.add_argument("--points", default="", help="commands or command@point names, comma-separated (all)")
    args = parser.parse_args()
    total_leftovers = total_problems = 0
    print(f"{'point':58} {'runs':>4} {'exit codes':>16} {'leftovers':>9} {'problems':>8} {'s/run':>6}")
    with tempfile.TemporaryDirectory(prefix="interruptions-") as scratch:
        complete: dict[str, set] = {}
        for point in _selected(args.points):
            if point.committed and point.command not in complete:
                complete[point.command] = expected_files(Point(point.command, ""), Path(scratch) / point.command)
            codes, leftovers, problems, examples = collections.Counter(), 0, 0, []
            started = time.perf_counter()
            for run in range(args.runs):
                outcome = interrupt_at(
                    point,
                    signal_for(run),
                    Path(scratch) / f"{len(examples)}-{time.monotonic_ns()}",
                    complete.get(point.command, set()),
                )
                codes[outcome.returncode] += 1
                leftovers += len(outcome.leftovers)
                problems += len(outcome.problems)
                if outcome.leftovers or outcome.problems:
                    examples.append((run, outcome.leftovers[:3], [p[:200] for p in outcome.problems]))
            seconds = (time.perf_counter() - started) / max(1, args.runs)
            code_text = " ".join(f"{code}x{count}" for code, count in sorted(codes.items()))
            print(
                f"{str(point):58} {args.runs:4d} {code_text:>16} {leftovers:9d} {problems:8d} {seconds:6.1f}",
                flush=True,
            )
            for example in examples[:3]:
                print(f"    run {example[0]}: leftovers {example[1]} problems {example[2]}", flush=True)
            total_leftovers += leftovers
            total_problems += problems
    print(f"total: {total_leftovers} leftovers, {total_problems} problems")
    return 0 if total_leftovers == total_problems == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
