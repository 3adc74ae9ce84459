"""``calcification train-segmenter``: train a segmentation model ensemble and register it in the user's model folder.

Data are a site's own annotated cases (DATA...: Slicer scenes ``.mrb``, folders of image + ``<name>.seg.nrrd``, with
``--labels CSV`` for patient ids; :mod:`calcification.logic.workflows.annotated_dataset`) or the synthetic engine
(``--synthetic N``); not both. ``--real-normals LIST`` adds real mammograms with no calcification, each with
``--blends`` sets of calibrated synthetic calcifications inserted as its acquisition would record them and its skin
line and labels taught as hard negatives (:mod:`calcification.core.training.real_background_cases`; what the shipped
default was fine-tuned on, models README). Annotated data are checked
first, and training does not start while any case has a problem (the full list is shown, as ``calcification
check-dataset`` prints it). Progress is a bar plus one line per epoch, or, with ``--events-json``, one JSON object per
line on stdout for programs (the Slicer panel runs training as a separate process and reads these).

``--augmentation-preview PNG`` writes a picture of augmented training crops (original | augmented, mask outlined) from
the first few of those cases with the run's crop size and seed, and exits without training; check it before a long
run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..core.artifact_names import check_artifact_name
from ..core.errors import InputError
from ..core.training.folds import check_fold_count
from .arguments import add_synthetic_shape_option
from .command_check_dataset import add_data_arguments, checked_dataset
from .progress_bar import terminal_progress

#: Synthetic cases generated for --augmentation-preview (crops and copy-paste donors come from these).
_PREVIEW_CASES = 8


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train-segmenter",
        help="train a segmentation model (Pro_UNeXt by default) with patient-grouped cross-validation",
        description="Train one network per fold (focal + Dice loss, then Hausdorff-loss fine-tuning), keep each "
        "fold's best epoch by validation Dice, and write the ensemble with its model card. The model is written to "
        "--out, or registered in the user's model folder under --name.",
    )
    add_data_arguments(parser, nargs="*")
    parser.add_argument(
        "--point-radius",
        type=float,
        metavar="MM",
        help="DATA only: also train on discs of this radius (mm) around point annotations "
        "(proximity targets, Marasinou et al. 2023); points are ignored without it",
    )
    parser.add_argument(
        "--synthetic", type=int, metavar="N", help="train on N synthetic cases (one patient each) instead of DATA"
    )
    parser.add_argument(
        "--synthetic-seed",
        type=int,
        default=1000,
        help="series of the synthetic cases (default 1000; keep test seeds apart)",
    )
    add_synthetic_shape_option(parser)
    parser.add_argument(
        "--real-normals",
        type=Path,
        metavar="LIST",
        help="text file of real mammograms with no calcification, one 'PATH [SPACING_MM]' a line (the spacing for "
        "files that carry none); each gets --blends sets of calibrated calcifications and is its own patient",
    )
    parser.add_argument(
        "--blends", type=int, default=1, help="insertions per real normal (default 1; 0 = the normal as it is)"
    )
    parser.add_argument("--blend-seed", type=int, default=33, help="series of the insertions (default 33)")
    parser.add_argument(
        "--validation-cases",
        type=int,
        default=0,
        metavar="N",
        help="score each epoch on at most N of the fold's validation images (default: all)",
    )
    parser.add_argument("--name", help="model name shown in `calcification models` and the panel (required to train)")
    parser.add_argument("--out", type=Path, help="model folder (default: the user's model folder / NAME)")
    parser.add_argument("--overwrite", action="store_true", help="replace a model already in the folder")
    parser.add_argument(
        "--half-precision-weights",
        action="store_true",
        help="store the weights as float16 (half the size; used for the shipped model)",
    )
    parser.add_argument("--preset", default="pro_unext_cpu", help="network configuration (default pro_unext_cpu)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5; 1 = one network)")
    parser.add_argument("--epochs", type=int, default=10, help="focal + Dice epochs (default 10)")
    parser.add_argument("--fine-tune-epochs", type=int, default=2, help="Hausdorff-loss epochs (default 2)")
    parser.add_argument("--steps", type=int, default=100, help="optimiser steps per epoch (default 100)")
    parser.add_argument("--batch", type=int, default=8, help="crops per step (default 8)")
    parser.add_argument("--crop", type=int, default=256, help="crop size in pixels, a multiple of 32 (default 256)")
    parser.add_argument("--learning-rate", type=float, default=2e-3, help="initial AdamW learning rate")
    # The choices repeat training_config.POSITIVE_SAMPLING (a test keeps them equal): importing it here would load
    # torch for every `calcification --help`.
    parser.add_argument(
        "--positive-sampling",
        choices=("object", "pixel"),
        default="object",
        help="place calcification crops on a random calcification (object, default: small "
        "specks as often as coarse ones) or on a random calcification pixel (pixel: large ones "
        "dominate)",
    )
    parser.add_argument(
        "--init-model",
        metavar="MODEL",
        help="fine-tune: start from this model's weights (name or folder; fold k from its fold k) "
        "instead of random ones. It must use the same --preset, spacing and normalisation; a lower "
        "--learning-rate is usual",
    )
    parser.add_argument("--no-augment", action="store_true", help="switch off the paper's eight augmentations")
    parser.add_argument("--seed", type=int, default=0, help="seed of crops, augmentations and initial weights")
    parser.add_argument("--device", default="auto", help="auto (CUDA when available), cpu or cuda")
    parser.add_argument(
        "--batch-parts",
        type=int,
        metavar="M",
        help="under torchrun: process each batch in M parts (a multiple of the process count; "
        "default one per process); runs with the same M give the same weights under any number of "
        "processes",
    )
    parser.add_argument("--checkpoints", type=Path, help="folder for per-epoch checkpoints; a rerun resumes from them")
    parser.add_argument("--events-json", action="store_true", help="print progress as JSON lines on stdout")
    parser.add_argument(
        "--augmentation-preview",
        type=Path,
        metavar="PNG",
        help="write a picture of augmented training crops (from the first 8 cases) and exit without training",
    )
    parser.set_defaults(func=run)


def _config(args: argparse.Namespace):
    from ..core.training.training_config import TrainingConfig

    return TrainingConfig(
        preset=args.preset,
        crop_size=args.crop,
        batch_size=args.batch,
        steps_per_epoch=args.steps,
        phase_one_epochs=args.epochs,
        phase_two_epochs=args.fine_tune_epochs,
        learning_rate=args.learning_rate,
        seed=args.seed,
        device=args.device,
        augment=not args.no_augment,
        positive_sampling=args.positive_sampling,
        init_model=args.init_model or "",
        validation_cases=args.validation_cases,
    )


def _printer(as_json: bool):
    def events(record: dict) -> None:
        if as_json:
            print(json.dumps(record), flush=True)
        elif record["event"] == "epoch":
            source = ", from the checkpoint" if record.get("from_checkpoint") else ""
            print(
                f"fold {record['fold']} epoch {record['epoch'] + 1} (phase {record['phase']}): loss "
                f"{record['train_loss']:.4f}, validation Dice {record['val_dice']:.3f} "
                f"(best {record['best_dice']:.3f}), {record['seconds']:.0f} s{source}",
                flush=True,
            )

    return events


def _check_source(args: argparse.Namespace) -> None:
    """One of DATA or --synthetic (or --real-normals alone), and options that fit it (InputError before anything is
    read)."""
    if args.data and args.synthetic is not None:
        raise InputError("Give either annotated DATA (scenes, folders or images) or --synthetic N, not both.")
    if not args.data and args.synthetic is None and args.real_normals is None:
        raise InputError("Give annotated DATA (scenes, folders or images), --synthetic N or --real-normals LIST.")
    if args.real_normals is not None and not args.real_normals.is_file():
        raise InputError(f"--real-normals: no list file {args.real_normals}.")
    if args.blends < 0 or args.validation_cases < 0:
        raise InputError("--blends and --validation-cases must be 0 or more.")
    if args.data and args.point_radius is not None and not args.point_radius > 0:
        raise InputError(f"--point-radius must be a positive number of mm, got {args.point_radius}.")
    if not args.data and (args.labels is not None or args.point_radius is not None or args.spacing is not None):
        raise InputError("--labels, --spacing and --point-radius apply to annotated DATA only, not to --synthetic.")


def _data_cases(args: argparse.Namespace, config, normalisation, limit: int | None = None) -> tuple[list, str]:
    """(TrainingCases, description for the model card) of the annotated DATA, checked first: InputError listing
    every problem when any case cannot be used."""
    from ..logic.workflows.annotated_dataset import load_training_cases

    report = checked_dataset(args, args.events_json)
    if not report.ok:
        raise InputError(f"the annotated data have problems; nothing was trained.\n{report.summary()}")
    sources = report.sources[:limit]
    cases = load_training_cases(
        sources, config.spacing_mm, normalisation, point_radius_mm=args.point_radius, spacing_mm=args.spacing
    )
    patients = len({c.patient_id for c in cases})
    points = f", with {args.point_radius} mm discs around point annotations" if args.point_radius else ""
    where = ", ".join(str(p) for p in args.data)
    return cases, f"{len(cases)} annotated mammograms of {patients} patients from {where}{points}"


def _synthetic_cases(args: argparse.Namespace, config, normalisation, count: int) -> tuple[list, str]:
    from ..core.training.training_cases import synthetic_training_cases

    cases = list(
        synthetic_training_cases(count, args.synthetic_seed, args.synthetic_shape, config.spacing_mm, normalisation)
    )
    rows, cols = args.synthetic_shape
    return cases, (
        f"{count} synthetic full-view mammograms ({rows} x {cols} px at {config.spacing_mm} mm, "
        f"series {args.synthetic_seed}) from the product's data engine (Terrassin et al. 2024)"
    )


def _real_cases(args: argparse.Namespace, config, normalisation) -> tuple[list, str]:
    """TrainingCases of the --real-normals list (grouped by the spacing each line gives) and their description."""
    from ..core.training.real_background_cases import real_background_cases

    by_spacing: dict = {}
    for number, line in enumerate(args.real_normals.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        try:
            spacing = float(fields[1]) if len(fields) > 1 else None
        except ValueError:
            raise InputError(f"{args.real_normals} line {number}: the spacing {fields[1]!r} is not a number.") from None
        if not Path(fields[0]).is_file():
            raise InputError(f"{args.real_normals} line {number}: no file {fields[0]}.")
        by_spacing.setdefault(spacing, []).append(Path(fields[0]))
    cases = [
        case
        for spacing, paths in by_spacing.items()
        for case in real_background_cases(
            paths, spacing, args.blends, args.blend_seed, config.spacing_mm, normalisation
        )
    ]
    count = sum(len(p) for p in by_spacing.values())
    what = f"{args.blends} calibrated insertion(s) each" if args.blends else "as they are"
    return cases, f"{count} real normal mammograms ({what}; skin line and labels as hard negatives)"


def _preview(args: argparse.Namespace) -> int:
    """Write the augmentation preview from the first ``_PREVIEW_CASES`` cases (DATA or synthetic); no training."""
    from ..core.models.model_card import NormalisationSpec
    from ..core.training.augmentation_preview import check_preview_path, write_augmentation_preview

    if args.no_augment:
        raise InputError("--augmentation-preview shows the augmentations; it cannot be combined with --no-augment.")
    if not args.data and (args.synthetic or 0) < 1:
        raise InputError("--synthetic needs at least 1 case to draw the preview crops from.")
    check_preview_path(args.augmentation_preview)
    config = _config(args)
    if args.data:
        cases, _ = _data_cases(args, config, NormalisationSpec(), limit=_PREVIEW_CASES)
    else:
        cases, _ = _synthetic_cases(args, config, NormalisationSpec(), min(args.synthetic, _PREVIEW_CASES))
    path = write_augmentation_preview(cases, config, args.augmentation_preview, count=8, seed=args.seed)
    print(json.dumps({"augmentation_preview": str(path)}) if args.events_json else f"wrote {path}")
    return 0


def run(args: argparse.Namespace) -> int:
    from ..core.models.model_card import NormalisationSpec
    from ..core.models.model_store import user_models_dir
    from ..core.training.segmenter_training import train_segmenter
    from .torchrun_job import torchrun_job

    _check_source(args)
    if args.augmentation_preview is not None:
        return _preview(args)
    if not args.data and args.synthetic is not None and args.synthetic < 2:
        raise InputError("--synthetic needs at least 2 cases (one to train on, one to validate).")
    args.name = check_artifact_name(args.name, "model")
    check_fold_count(args.folds)
    config = _config(args)
    out = args.out or user_models_dir() / args.name
    normalisation = NormalisationSpec()
    if config.init_model:  # checked before the cases are read, which can take minutes
        from ..core.training.initial_weights import check_initial_model

        start = check_initial_model(config, normalisation).card.name
    cases, trained_on = [], ""
    if args.data:
        cases, trained_on = _data_cases(args, config, normalisation)
    elif args.synthetic is not None:
        cases, trained_on = _synthetic_cases(args, config, normalisation, args.synthetic)
    if args.real_normals is not None:
        real, described = _real_cases(args, config, normalisation)
        cases, trained_on = [*cases, *real], "; ".join(filter(None, [trained_on, described]))
    if config.init_model:
        trained_on += f", fine-tuned from the model {start!r}"
    # One process unless started by torchrun (then each process trains its share of every batch).
    with torchrun_job(config, args.checkpoints, args.batch_parts) as processes:
        main = processes is None or processes.is_main  # only rank 0 shows progress
        with terminal_progress("Training", enabled=sys.stderr.isatty() and not args.events_json and main) as progress:
            card = train_segmenter(
                cases,
                out,
                args.name,
                config,
                folds=args.folds,
                trained_on=trained_on,
                synthetic_training=not args.data,  # inserted calcifications are synthetic too
                normalisation=normalisation,
                checkpoint_folder=args.checkpoints,
                overwrite=args.overwrite,
                half_precision_weights=args.half_precision_weights,
                progress=progress,
                events=_printer(args.events_json) if main else None,
                processes=processes,
            )
    if not main:
        return 0
    summary = {"model": card.name, "folder": str(out), "metrics": card.metrics}
    print(json.dumps(summary) if args.events_json else f"wrote {out} ({card.metrics})")
    return 0
