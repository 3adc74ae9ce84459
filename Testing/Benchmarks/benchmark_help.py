"""How fast ``calcification --help`` and a sub-command's help answer (target: under 0.5 s).

Each help runs in a fresh process, as a user types it; prints the median and the slowest of ``--repeats`` runs per
command. The test suite checks the cause (no heavy library is imported to build the parser), never the time.

Run: .venv/bin/python Testing/Benchmarks/benchmark_help.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

TARGET_SECONDS = 0.5
COMMANDS = ([], ["segment"], ["analyze"], ["train-segmenter"], ["evaluate-segmenter"], ["trace"])


def seconds_for(arguments: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "calcification.cli.main", *arguments, "--help"], check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    repeats = parser.parse_args().repeats
    seconds_for([])  # warm the file cache once
    for arguments in COMMANDS:
        times = [seconds_for(arguments) for _ in range(repeats)]
        name = " ".join(["calcification", *arguments, "--help"])
        median = statistics.median(times)
        verdict = "ok" if median < TARGET_SECONDS else "over target"
        print(f"{name:45s} median {median:.2f} s, slowest {max(times):.2f} s ({verdict}, target {TARGET_SECONDS} s)")


if __name__ == "__main__":
    main()
