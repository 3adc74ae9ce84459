"""Write FEATURES and LABELS CSVs of a synthetic series measured on the segmenter's output, for a held-out check.

Usage (from the repository root)::

    .venv/bin/python Testing/Benchmarks/write_synthetic_features.py --cases 200 --seed 6000 --out DIR \
        [--shape 1024,768] [--method network]

Measures the cases exactly as ``calcification train-classifier --synthetic`` does (``measure_synthetic_cases``) and
writes ``DIR/features.csv`` and ``DIR/labels.csv``; then, for a series the classifier never saw::

    calcification evaluate-classifier DIR/features.csv DIR/labels.csv --classifier adaboost_synthetic --out EVAL
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from calcification.core.synthetic import SynthesisConfig
from calcification.logic.training.classifier_training_data import write_label_rows
from calcification.logic.training.synthetic_features import measure_synthetic_cases
from calcification.logic.workflows.analysis_workflow import write_feature_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=6000, help="series (5000 trained the shipped classifier)")
    parser.add_argument("--shape", default="1024,768", help="ROWS,COLS")
    parser.add_argument("--method", default="network")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    config = SynthesisConfig(shape=tuple(int(v) for v in args.shape.split(",")))
    start = time.perf_counter()
    rows = measure_synthetic_cases(args.cases, args.seed, config, args.method)
    args.out.mkdir(parents=True, exist_ok=True)
    write_feature_rows(rows.features, args.out / "features.csv")
    write_label_rows(rows.labels, args.out / "labels.csv")
    seconds = time.perf_counter() - start
    print(
        f"{len(rows.features)} cases of series {args.seed} measured on {rows.model_name or args.method} in "
        f"{seconds:.0f} s; wrote features.csv and labels.csv into {args.out}"
    )


if __name__ == "__main__":
    main()
