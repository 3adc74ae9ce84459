"""Count fuzz outcomes over many random mutations per input kind (issue 23's closing figures); not run in CI.

    nice -n 10 .venv/bin/python Testing/Fuzz/count_mutations.py --mutations 1000

Prints one line per kind: inputs tried, exit 0 (valid outputs), exit 2 (one-line refusal), other (traceback, other
exit code, leftover file, several error lines), and the first few "other" cases; exits 1 when any "other" occurred.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections import Counter

import numpy as np

from fuzz_targets import KINDS, clean_temporary_root, mutate, run_target, seed_bytes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutations", type=int, default=1000, help="mutated inputs per kind (default 1000)")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds (default: all)")
    args = parser.parse_args()
    root = clean_temporary_root()
    failures = 0
    try:
        for kind in args.kinds.split(","):
            rng, seed, counts, others = np.random.default_rng([args.seed, len(kind)]), seed_bytes(kind), Counter(), []
            started = time.perf_counter()
            for _ in range(args.mutations):
                outcome = run_target(kind, mutate(seed, rng), root)
                counts[outcome.kind] += 1
                if outcome.kind == "other" and len(others) < 5:
                    others.append(outcome.detail)
            failures += counts["other"]
            print(
                f"{kind:11s} tried {args.mutations:5d}  exit 0: {counts['ok']:5d}  exit 2: {counts['refused']:5d}  "
                f"other: {counts['other']:3d}  ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
            for detail in others:
                print(f"    other: {detail}", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
