"""How much of the classifier's error is the segmenter's: the seven classifiers on features of the ground-truth masks.

Usage (from the repository root)::

    .venv/bin/python Testing/Benchmarks/benchmark_classifier_ceiling.py [--cases 400] [--seed 5000]
        [--shape 1024,768] [--n-boot 500]

Generates the same synthetic series the shipped classifier was trained on (series 5000, 1024 x 768 px), measures the
35 image features on each case's exact calcification mask (``analyze_mask``, as ``analyze`` measures a segmentation)
and prints the patient-grouped 5-fold out-of-fold AUC with its 95% bootstrap interval per algorithm. Compared with
``calcification evaluate-classifier`` on the shipped classifier's ``training_features.csv`` (the same cases measured
on the default segmenter's output), the difference is what segmentation errors cost; what remains below 1 is the
class overlap of the synthetic engine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from calcification.core.analysis import analyze_mask
from calcification.core.classification import cross_validate
from calcification.core.features import IMAGE_FEATURE_NAMES
from calcification.core.synthetic import CaseLabel, SynthesisConfig, generate_case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--seed", type=int, default=5000)
    parser.add_argument("--shape", default="1024,768", help="ROWS,COLS")
    parser.add_argument("--n-boot", type=int, default=500)
    args = parser.parse_args()
    config = SynthesisConfig(shape=tuple(int(v) for v in args.shape.split(",")))
    X, y, patients = [], [], []
    start = time.perf_counter()
    for index in range(args.cases):
        case = generate_case(config, seed=args.seed, index=index)
        if case.record.label is CaseLabel.NORMAL:
            continue
        analysis = analyze_mask(case.mammogram.pixels, case.mask, case.mammogram.spacing_mm, case.breast_mask)
        X.append([analysis.features[name] for name in IMAGE_FEATURE_NAMES])
        y.append(int(case.record.label is CaseLabel.MALIGNANT))
        patients.append(case.record.patient_id)
    print(
        f"{len(y)} cases (series {args.seed}, {args.shape} px) measured on ground-truth masks in "
        f"{time.perf_counter() - start:.1f} s; {sum(y)} malignant"
    )
    report = cross_validate(
        np.array(X), np.array(y), np.array(patients), IMAGE_FEATURE_NAMES, n_boot=args.n_boot, importance_algorithm=None
    )
    for row in report.table_rows():
        print(
            f"{row['algorithm']:<22} AUC {row['auc']:.3f} [{row['auc_low']:.3f}, {row['auc_high']:.3f}]  "
            f"accuracy {row['accuracy']:.3f}  Brier {row['brier']:.3f}"
        )


if __name__ == "__main__":
    main()
