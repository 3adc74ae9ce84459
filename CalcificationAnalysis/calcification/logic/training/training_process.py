"""Training runs as a separate process: the command line, its JSON-line events, and a blocking runner.

The CalcificationTraining panel starts ``calcification train-segmenter ... --events-json`` in its own process (Slicer
stays responsive, and a crash or a Stop cannot take the application down) and reads one JSON object per stdout
line. This module builds that command line from a frozen :class:`TrainingSettings`, turns each line into a
:class:`TrainingEvent`, and runs the same process blocking for the Python console and tests
(:func:`run_training_blocking`). The panel feeds the lines of a ``qt.QProcess`` to the same parser.
:mod:`calcification.logic.mrml.training_curves` turns the events into table and plot nodes.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ...core.compute_device import parse_device
from ...core.errors import CalcificationError, CancelledError, InputError


@dataclass(frozen=True)
class TrainingSettings:
    """Everything one ``train-segmenter`` run needs (defaults are the command's own).

    Attributes
    ----------
    name : str
        Model name shown in the model lists; the model is registered in the user's model folder under it.
    data_paths : tuple of str
        Annotated scenes (``.mrb``/``.mrml``) or folders of cases; used with ``labels_csv``.
    labels_csv : str
        CSV of patient / case labels that goes with ``data_paths``.
    synthetic_cases : int
        Train on this many synthetic cases instead (0 = none); exclusive with ``data_paths``.
    synthetic_shape : tuple of int, optional
        (rows, cols) in pixels of each synthetic view; the command's default (1024, 768) when None.
    preset : str
        Network configuration, a name in ``calcification.core.networks.factory.PRESETS`` (``pro_unext_cpu``,
        ``pro_unext_cpu_wide``, ``pro_unext_paper``, ``unext``, ``unext_s``, ``unet``, ``unet_cpu``).
    folds, epochs, fine_tune_epochs, steps, batch, crop : int
        Cross-validation folds (1 = one network), focal + Dice epochs, Hausdorff fine-tuning epochs, optimiser
        steps per epoch, crops per step, crop side in pixels (a multiple of 32).
    device : str
        ``auto``, ``cpu`` or ``cuda``.
    checkpoints : str
        Folder for per-epoch checkpoints (a rerun with the same settings resumes); none kept when empty.
    out_folder : str
        Write the model here instead of the user's model folder / ``name``.
    overwrite : bool
        Replace a model already in the target folder.
    seed : int
        Seed of crops, augmentations and initial weights.
    augment : bool
        The eight augmentations of Tong et al. 2024 (switch off only for tests and ablations).
    init_model : str
        Fine-tune: start from this model's weights (name or folder) instead of random ones; empty = from scratch.
    """

    name: str
    data_paths: tuple[str, ...] = ()
    labels_csv: str = ""
    synthetic_cases: int = 0
    synthetic_shape: Optional[tuple[int, int]] = None
    preset: str = "pro_unext_cpu"
    folds: int = 5
    epochs: int = 10
    fine_tune_epochs: int = 2
    steps: int = 100
    batch: int = 8
    crop: int = 256
    device: str = "auto"
    checkpoints: str = ""
    out_folder: str = ""
    overwrite: bool = False
    seed: int = 0
    augment: bool = True
    init_model: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_paths", tuple(str(p) for p in self.data_paths))
        if not self.name.strip():
            raise InputError("Give the model a name: it is how the model lists show it.")
        if self.data_paths and self.synthetic_cases:
            raise InputError("Train either on the listed data (with a labels CSV) or on synthetic cases, not both.")
        if not self.data_paths and self.synthetic_cases < 2:
            raise InputError("Add annotated scenes or folders, or ask for at least 2 synthetic cases.")
        if self.data_paths and not self.labels_csv:
            raise InputError("Choose the labels CSV that goes with the listed scenes and folders.")
        parse_device(self.device)
        if self.crop < 32 or self.crop % 32:
            raise InputError(f"The crop size must be a multiple of 32 and at least 32 pixels, got {self.crop}.")
        minimums = (
            ("folds", self.folds, 1),
            ("epochs", self.epochs, 1),
            ("steps", self.steps, 1),
            ("batch", self.batch, 1),
            ("fine-tuning epochs", self.fine_tune_epochs, 0),
        )
        for label, value, low in minimums:
            if value < low:
                raise InputError(f"The number of {label} must be at least {low}, got {value}.")

    @property
    def total_epochs(self) -> int:
        """Epochs per fold, both phases."""
        return self.epochs + self.fine_tune_epochs


def python_executable() -> str:
    """The interpreter that runs child processes: ``sys.executable`` when it is a Python interpreter, else PythonSlicer.

    Inside the Slicer application ``sys.executable`` is already ``PythonSlicer`` (qSlicerCoreApplication sets it to
    the ``PythonSlicer`` found on the application's ``PATH``), an interpreter that sees the same packages as Slicer,
    so it is used as it is. Only an embedding application whose ``sys.executable`` is not a Python interpreter (a
    child started with it would open a second application) falls back to ``PythonSlicer`` on ``PATH``.

    Raises
    ------
    CalcificationError
        Inside an application without a PythonSlicer on ``PATH``.
    """
    if "python" in Path(sys.executable).name.lower():
        return sys.executable
    found = shutil.which("PythonSlicer")
    if found is None:
        raise CalcificationError(
            f"Cannot start the training process: {sys.executable} is not a Python interpreter and PythonSlicer is "
            "not on PATH."
        )
    return found


def training_command(settings: TrainingSettings, python: Optional[str] = None) -> list[str]:
    """The argument list that runs ``settings`` as ``calcification train-segmenter ... --events-json``.

    Parameters
    ----------
    settings : TrainingSettings
    python : str, optional
        Interpreter to run; :func:`python_executable` by default.

    Returns
    -------
    list of str
        Ready for ``subprocess.Popen`` or ``qt.QProcess.start(argv[0], argv[1:])``.
    """
    argv = [python or python_executable(), "-m", "calcification.cli.main", "train-segmenter"]
    if settings.data_paths:
        argv += [*settings.data_paths, "--labels", settings.labels_csv]
    else:
        argv += ["--synthetic", str(settings.synthetic_cases)]
        if settings.synthetic_shape is not None:
            argv += ["--synthetic-shape", "{},{}".format(*settings.synthetic_shape)]
    argv += ["--name", settings.name, "--preset", settings.preset, "--folds", str(settings.folds)]
    argv += ["--epochs", str(settings.epochs), "--fine-tune-epochs", str(settings.fine_tune_epochs)]
    argv += ["--steps", str(settings.steps), "--batch", str(settings.batch), "--crop", str(settings.crop)]
    argv += ["--device", settings.device, "--seed", str(settings.seed)]
    for flag, value in (
        ("--checkpoints", settings.checkpoints),
        ("--out", settings.out_folder),
        ("--init-model", settings.init_model),
    ):
        if value:
            argv += [flag, value]
    argv += ["--overwrite"] * settings.overwrite + ["--no-augment"] * (not settings.augment)
    return argv + ["--events-json"]


def check_dataset_command(data_paths: Sequence[str], labels_csv: str, python: Optional[str] = None) -> list[str]:
    """The argument list of ``calcification check-dataset DATA... --labels CSV --json``."""
    if not data_paths:
        raise InputError("Add at least one annotated scene or folder to check.")
    if not labels_csv:
        raise InputError("Choose the labels CSV that goes with the listed scenes and folders.")
    return [
        python or python_executable(),
        "-m",
        "calcification.cli.main",
        "check-dataset",
        *map(str, data_paths),
        "--labels",
        str(labels_csv),
        "--json",
    ]


def process_environment(base: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """Environment for the child process: ``calcification`` importable, output unbuffered.

    Inside Slicer the package is on ``sys.path`` only because the module folder is; a child PythonSlicer does not
    inherit that, so the package's parent folder is put first on ``PYTHONPATH``.
    """
    env = dict(os.environ if base is None else base)
    package_parent = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"  # events must arrive as they happen, not when a pipe buffer fills
    return env


@dataclass(frozen=True)
class TrainingEvent:
    """One progress record of the training process.

    ``kind`` is ``"step"`` (one optimiser step: ``epoch``, ``step``, ``loss``), ``"epoch"`` (``fold``, ``epoch``,
    ``phase``, ``train_loss``, ``val_dice`` and ``best_dice`` in [0, 1], ``seconds``, ``learning_rate``),
    ``"finished"`` (``model``, ``folder``, ``metrics``) or another ``event`` name the command may add (its fields
    are in ``raw``). Epochs are 0-based within their fold.
    """

    kind: str
    fold: Optional[int] = None
    epoch: Optional[int] = None
    step: Optional[int] = None
    phase: Optional[int] = None
    loss: Optional[float] = None
    train_loss: Optional[float] = None
    val_dice: Optional[float] = None
    best_dice: Optional[float] = None
    seconds: Optional[float] = None
    learning_rate: Optional[float] = None
    model: Optional[str] = None
    folder: Optional[str] = None
    metrics: Mapping[str, Any] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)


_INT_FIELDS = ("fold", "epoch", "step", "phase")
_FLOAT_FIELDS = ("loss", "train_loss", "val_dice", "best_dice", "seconds", "learning_rate")
_REQUIRED = {"step": ("epoch", "step", "loss"), "epoch": ("fold", "epoch", "train_loss", "val_dice")}


def _typed(record: Mapping[str, Any]) -> Optional[dict[str, Any]]:
    """Numeric fields checked and converted; None when one has the wrong type (bool is not a number here)."""
    values: dict[str, Any] = {}
    for name in _INT_FIELDS:
        value = record.get(name)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                return None
            values[name] = value
    for name in _FLOAT_FIELDS:
        value = record.get(name)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return None
            values[name] = float(value)  # NaN stays NaN: a diverged loss must be visible, not dropped
    return values


def parse_event_line(line: str | bytes) -> Optional[TrainingEvent]:
    """The :class:`TrainingEvent` of one stdout line, or None for anything else (warnings, garbage, blank lines).

    Parameters
    ----------
    line : str or bytes
        One line, with or without its newline; bytes are decoded as UTF-8 (undecodable bytes give None).

    Returns
    -------
    TrainingEvent or None
        None for non-JSON text, JSON that is not an object, a known event missing a required field, or a field of
        the wrong type. The process's final summary (``{"model", "folder", "metrics"}``) is ``kind="finished"``.
    """
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError:
            return None
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    kind = record.get("event")
    if kind is None and isinstance(record.get("model"), str) and isinstance(record.get("folder"), str):
        metrics = record.get("metrics")
        return TrainingEvent(
            "finished",
            model=record["model"],
            folder=record["folder"],
            metrics=dict(metrics) if isinstance(metrics, dict) else {},
            raw=record,
        )
    if not isinstance(kind, str):
        return None
    values = _typed(record)
    if values is None or any(values.get(name) is None for name in _REQUIRED.get(kind, ())):
        return None
    return TrainingEvent(kind, raw=record, **values)


@dataclass(frozen=True)
class TrainingOutcome:
    """What a finished run left: the ``finished`` event (model name, folder, metrics) and every event seen."""

    finished: TrainingEvent
    events: tuple[TrainingEvent, ...]


def failure_message(stderr_text: str, returncode: int) -> str:
    """A one-paragraph reason for a failed run from the process's stderr (its last non-empty lines)."""
    lines = [line.strip() for line in stderr_text.splitlines() if line.strip()]
    reason = " ".join(lines[-3:]) if lines else "no message"
    return f"Training stopped with exit code {returncode}: {reason}"


def run_training_blocking(
    settings: TrainingSettings,
    on_event: Optional[Callable[[TrainingEvent], Optional[bool]]] = None,
    python: Optional[str] = None,
) -> TrainingOutcome:
    """Run one training in a child process and wait for it, passing every event to ``on_event``.

    For the Python console, scripts and tests; the panel uses ``qt.QProcess`` with the same command and parser.

    Parameters
    ----------
    settings : TrainingSettings
    on_event : callable, optional
        Called with each :class:`TrainingEvent` as it arrives; returning False stops the run (the child is
        terminated; checkpoints of finished epochs stay for resuming).
    python : str, optional
        Interpreter; :func:`python_executable` by default.

    Returns
    -------
    TrainingOutcome

    Raises
    ------
    CancelledError
        ``on_event`` returned False.
    CalcificationError
        The process failed (its stderr message, e.g. a refused setting) or ended without a model.
    """
    events: list[TrainingEvent] = []
    # stderr goes to a file, not a pipe: a child writing many warnings would block on a full pipe nobody reads.
    with (
        tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as stderr_file,
        subprocess.Popen(
            training_command(settings, python),
            stdout=subprocess.PIPE,
            stderr=stderr_file,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=process_environment(),
        ) as child,
    ):
        try:
            for line in child.stdout:
                event = parse_event_line(line)
                if event is None:
                    continue
                events.append(event)
                if on_event is not None and on_event(event) is False:
                    stop_process(child)
                    raise CancelledError("Training stopped; start it again with the same checkpoints to resume.")
            returncode = child.wait()
            stderr_file.seek(0)
            stderr_text = stderr_file.read()
        except BaseException:
            stop_process(child)
            raise
    finished = [e for e in events if e.kind == "finished"]
    if returncode != 0 or not finished:
        raise CalcificationError(failure_message(stderr_text, returncode))
    return TrainingOutcome(finished[-1], tuple(events))


def stop_process(child: subprocess.Popen, grace_seconds: float = 5.0) -> None:
    """Terminate ``child`` (SIGTERM), then kill it if it has not ended within ``grace_seconds``."""
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def check_dataset(data_paths: Sequence[str], labels_csv: str, python: Optional[str] = None) -> dict[str, Any]:
    """Run ``calcification check-dataset ... --json`` and return its report (a JSON object).

    Raises
    ------
    InputError
        Nothing to check, or the command printed no JSON report (its stderr message is passed on).
    """
    argv = check_dataset_command(data_paths, labels_csv, python)
    done = subprocess.run(
        argv, capture_output=True, text=True, encoding="utf-8", errors="replace", env=process_environment(), check=False
    )
    try:
        report = json.loads(done.stdout)
    except ValueError:
        report = None
    if not isinstance(report, dict):
        raise InputError(failure_message(done.stderr, done.returncode).replace("Training", "The dataset check", 1))
    return report


def _cell(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
        return value
    return value if isinstance(value, str) else json.dumps(value)


def report_columns(report: Mapping[str, Any]) -> dict[str, list]:
    """Table columns for a ``check-dataset`` report: one row per record of its first list of objects (the cases),
    else one ``item`` / ``value`` row per top-level entry. Nested values are shown as JSON text; columns of mixed
    types become text so every cell survives."""
    records = next(
        (v for v in report.values() if isinstance(v, list) and v and all(isinstance(r, dict) for r in v)), None
    )
    if records is None:
        return {"item": [str(k) for k in report], "value": [str(_cell(v)) for v in report.values()]}
    names = list(dict.fromkeys(key for record in records for key in record))
    columns = {}
    for name in names:
        cells = [_cell(record.get(name)) for record in records]
        numeric = all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in cells)
        columns[name] = cells if numeric else [str(c) for c in cells]
    return columns


def finished_summary(finished: TrainingEvent) -> str:
    """One line for a trained model: its name and card metrics (validation Dice per fold and their mean)."""
    parts = [
        f"{key.replace('_', ' ')} {value:.3f}" if isinstance(value, float) else f"{key.replace('_', ' ')} {value}"
        for key, value in finished.metrics.items()
    ]
    return f"{finished.model}: {', '.join(parts)}" if parts else str(finished.model)


def report_summary(report: Mapping[str, Any]) -> str:
    """The scalar top-level entries of a ``check-dataset`` report as one line (``key: value, ...``)."""
    return ", ".join(f"{key}: {value}" for key, value in report.items() if isinstance(value, (str, int, float, bool)))
