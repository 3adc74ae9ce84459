"""Measure a segmenter on held-out annotated or synthetic cases and write the evaluation files, as
``calcification evaluate-segmenter`` does; one call from Slicer's Python console too.

For annotated DATA the truth is the Calcification segment, specificity and FP/cm² are measured inside the product's
breast mask (without pectoral muscle), and every case is measured at the first case's pixel spacing (cases at another
spacing are resampled to it: image linear, mask by the 0.5 level, as training does). For synthetic cases the truth is
the data engine's exact instance map, and the region the engine's breast mask; the same region for every method.
Object scores for the FROC: :func:`~calcification.core.evaluation.object_scores.froc_score_map`.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from ...core.atomic_files import write_text_atomically
from ...core.errors import InputError
from ...core.evaluation.object_scores import froc_score_map
from ...core.progress import ProgressCallback, report_progress, sub_progress
from ...core.reporting.csv_cells import SafeDictWriter
from ...core.segmentation import SegmenterChoice, segment_mammogram

#: The files one evaluation writes, all four or none.
OUTPUT_NAMES = ("evaluation.json", "per_image.csv", "froc.png", "dice.png")


@dataclass(frozen=True)
class SyntheticTestSeries:
    """Synthetic test cases: ``cases`` views of series ``seed`` (keep it apart from the training series), each
    ``shape`` (rows, cols) pixels."""

    cases: int
    seed: int = 9000
    shape: tuple[int, int] = (1024, 768)

    def __post_init__(self) -> None:
        if self.cases < 1:
            raise InputError(f"Evaluate at least 1 synthetic case, got {self.cases}.")
        if self.seed < 0:
            raise InputError(f"The synthetic series seed must be a whole number >= 0, got {self.seed}.")


@dataclass(frozen=True)
class SegmenterEvaluationRun:
    """What :func:`evaluate_segmenter` measured (``evaluation``), its JSON ``report`` and the files written."""

    evaluation: object
    report: dict
    paths: tuple[Path, ...]


def evaluate_segmenter(
    segmenter: SegmenterChoice | str | None,
    out_dir: Path | str,
    annotated: Optional[Sequence] = None,
    annotated_spacing_mm: Optional[tuple[float, float]] = None,
    synthetic: Optional[SyntheticTestSeries] = None,
    n_boot: int = 1000,
    progress: ProgressCallback = None,
) -> SegmenterEvaluationRun:
    """Segment the test cases with ``segmenter`` and write :data:`OUTPUT_NAMES` into ``out_dir``.

    Parameters
    ----------
    segmenter : SegmenterChoice or str, optional
        The default method when None.
    out_dir : path
        Created if missing; the files are written only once everything is measured.
    annotated : sequence of annotated case sources, optional
        From :func:`~.annotated_dataset.check_dataset` (``report.sources``); or ``synthetic``.
    annotated_spacing_mm : (float, float), optional
        Overrides the annotated files' pixel spacing (mm).
    synthetic : SyntheticTestSeries, optional
    n_boot : int
        Bootstrap resamples for the 95 % intervals.

    Raises
    ------
    InputError
        Neither or both of ``annotated`` and ``synthetic``, a bad ``n_boot`` or ``out_dir``, or an unusable case.
    """
    from ...core.evaluation import EvaluationSettings, evaluate_segmentations
    from .annotated_dataset import read_annotated_case

    if bool(annotated) == (synthetic is not None):
        raise InputError("Give either annotated cases or a synthetic test series, not both or neither.")
    if n_boot < 1:
        raise InputError(f"The bootstrap needs at least 1 resample, got {n_boot}.")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"The output {out_dir} is a file; give a folder.")
    segmenter = SegmenterChoice.of(segmenter)
    meta: dict = {"names": []}  # filled by the generator: each name is appended before its case is yielded
    if annotated:
        spacing = tuple(read_annotated_case(annotated[0], annotated_spacing_mm).mammogram.spacing_mm)
        pairs = _annotated_cases(segmenter, annotated, annotated_spacing_mm, spacing, progress, meta)
        files = [str(source.image) for source in annotated]
        data = {"data": {"files": files, "cases": len(annotated), "spacing_mm": list(spacing)}}
    else:
        from ...core.synthetic import SynthesisConfig

        config = SynthesisConfig(shape=tuple(synthetic.shape))
        spacing = (config.spacing_mm, config.spacing_mm)
        pairs = _synthetic_cases(segmenter, synthetic, config, progress, meta)
        series = {"cases": synthetic.cases, "seed": synthetic.seed, "shape": list(synthetic.shape)}
        data = {"synthetic": {**series, "spacing_mm": list(spacing)}}
    settings = EvaluationSettings(n_boot=n_boot)
    evaluation = evaluate_segmentations(pairs, spacing, names=meta["names"], settings=settings)
    report = {
        "method": segmenter.method,
        "model": meta.get("model_name"),
        "threshold": meta.get("threshold"),
        **data,
        **evaluation.to_dict(),
    }
    return SegmenterEvaluationRun(evaluation, report, tuple(_write_outputs(out_dir, evaluation, report)))


def _synthetic_cases(segmenter, series: SyntheticTestSeries, config, progress, meta: dict):
    """Generate, segment and yield (truth, labels, scores, region) per case; record names and the model in ``meta``."""
    from ...core.synthetic import generate_case

    for index in range(series.cases):
        report_progress(progress, index / series.cases, f"Case {index + 1} of {series.cases}")
        case = generate_case(config, seed=series.seed, index=index)
        stage = sub_progress(progress, index / series.cases, (index + 1) / series.cases)
        result = segment_mammogram(case.mammogram, segmenter, stage)
        _remember(meta, case.record.case_id, result)
        yield case.instances, result.labels, froc_score_map(result), case.breast_mask


def _annotated_cases(segmenter, sources, spacing_override, spacing_mm, progress, meta: dict):
    """Read, segment and yield (truth, labels, scores, region) per annotated case at ``spacing_mm``."""
    from ...core.masking.breast_mask import compute_breast_mask
    from .annotated_dataset import read_annotated_case

    for index, source in enumerate(sources):
        report_progress(progress, index / len(sources), f"Case {index + 1} of {len(sources)}")
        case = read_annotated_case(source, spacing_override)
        mammogram, truth = _resampled(case.mammogram, case.mask, spacing_mm)
        stage = sub_progress(progress, index / len(sources), (index + 1) / len(sources))
        result = segment_mammogram(mammogram, segmenter, stage)
        region = compute_breast_mask(mammogram.pixels, mammogram.spacing_mm, mammogram.view).analysable
        _remember(meta, source.case_id, result)
        yield truth, result.labels, froc_score_map(result), region


def _remember(meta: dict, name: str, result) -> None:
    meta["names"].append(name)
    meta.setdefault("model_name", result.details.get("model_name"))
    meta.setdefault("threshold", result.details.get("threshold"))


def _resampled(mammogram, mask: np.ndarray, spacing_mm: tuple[float, float]):
    """``mammogram`` (linear) and ``mask`` (0.5 level) resampled to ``spacing_mm``; unchanged when already there."""
    from dataclasses import replace

    from scipy import ndimage

    if np.allclose(mammogram.spacing_mm, spacing_mm, rtol=1e-6, atol=0):
        return mammogram, mask
    factors = [s / t for s, t in zip(mammogram.spacing_mm, spacing_mm, strict=True)]
    pixels = ndimage.zoom(mammogram.pixels, factors, order=1, mode="nearest", grid_mode=True).astype(np.float32)
    truth = ndimage.zoom(mask.astype(np.float32), factors, order=1, mode="nearest", grid_mode=True) >= 0.5
    return replace(mammogram, pixels=pixels, spacing_mm=tuple(spacing_mm)), truth


def _per_image_csv(evaluation) -> str:
    buffer = io.StringIO()
    fields = [f.name for f in dataclasses.fields(evaluation.per_image[0])]
    writer = SafeDictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(row.to_dict() for row in evaluation.per_image)
    return buffer.getvalue()


def _write_outputs(out: Path, evaluation, report: dict) -> list[Path]:
    from ...core.evaluation.evaluation_plots import plot_froc, plot_per_image_dice

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / name for name in OUTPUT_NAMES]
    try:
        write_text_atomically(paths[0], json.dumps(report, indent=2) + "\n")
        write_text_atomically(paths[1], _per_image_csv(evaluation))
        plot_froc(evaluation.froc, paths[2], title=f"FROC, {report['method']} ({evaluation.n_images} cases)")
        rows = evaluation.per_image
        plot_per_image_dice([r.name for r in rows], [r.dice for r in rows], paths[3], title="Dice per case")
    except BaseException:
        for path in paths:  # all four files or none
            path.unlink(missing_ok=True)
        raise
    return paths
