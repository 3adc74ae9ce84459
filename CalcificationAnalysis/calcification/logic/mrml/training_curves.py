"""Training events as curves (a table node and a plot chart) and as progress with a time estimate.

The training process (:mod:`calcification.logic.training.training_process`) reports one ``epoch`` event per fold epoch
with its mean training loss (focal + Dice, then + Hausdorff in the fine-tuning phase; Tong et al. 2024, section 2.3) and
the validation Dice that chooses the fold's best epoch. :class:`TrainingCurves` collects them; the node functions write
them into a ``vtkMRMLTableNode`` and a ``vtkMRMLPlotChartNode`` with one ``vtkMRMLPlotSeriesNode`` per curve, refilled
in place so a plot view shows the run live. :class:`TrainingProgress` turns ``step`` events into a fraction done and an
estimate of the time left.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

from ..training.training_process import TrainingEvent
from .table_nodes import table_node_from_columns

#: (column, legend, colour RGB) of each plotted curve; the x axis is the ``run_epoch`` column.
CURVES = (
    ("train_loss", "Training loss", (0.85, 0.33, 0.10)),
    ("val_dice", "Validation Dice", (0.00, 0.45, 0.74)),
)
X_COLUMN = "run_epoch"

_DESCRIPTIONS = {
    X_COLUMN: "Epoch counted over all folds so far (1-based): the plot's x axis",
    "fold": "Cross-validation fold (0-based)",
    "epoch": "Epoch within the fold (1-based)",
    "phase": "1: focal + Dice loss, 2: fine-tuning with the Hausdorff loss",
    "train_loss": "Mean training loss over the epoch's optimiser steps",
    "val_dice": "Dice on the fold's validation patients at the validation threshold",
    "best_dice": "Best validation Dice of the fold so far (the epoch kept)",
    "seconds": "Duration of the epoch including validation",
}


class TrainingCurves:
    """Per-epoch loss and validation Dice, accumulated from ``epoch`` events in arrival order."""

    def __init__(self) -> None:
        self._rows: list[TrainingEvent] = []

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, event: Optional[TrainingEvent]) -> bool:
        """Record ``event`` if it is an ``epoch`` event; True when a row was added (the nodes need a refill)."""
        if event is None or event.kind != "epoch":
            return False
        self._rows.append(event)
        return True

    def columns(self) -> dict[str, list]:
        """Columns ``run_epoch``, ``fold``, ``epoch`` (1-based), ``phase`` (int), ``train_loss``, ``val_dice``,
        ``best_dice`` (float, Dice in [0, 1]) and ``seconds`` (float, s); one row per epoch event."""
        rows = self._rows
        return {
            X_COLUMN: list(range(1, len(rows) + 1)),
            "fold": [e.fold for e in rows],
            "epoch": [e.epoch + 1 for e in rows],
            "phase": [e.phase if e.phase is not None else 1 for e in rows],
            "train_loss": [float(e.train_loss) for e in rows],
            "val_dice": [float(e.val_dice) for e in rows],
            "best_dice": [float(e.best_dice if e.best_dice is not None else e.val_dice) for e in rows],
            "seconds": [float(e.seconds if e.seconds is not None else 0.0) for e in rows],
        }


@dataclass(frozen=True)
class CurveNodes:
    """The MRML nodes showing a run's curves: ``table`` (vtkMRMLTableNode), ``chart`` (vtkMRMLPlotChartNode) and
    ``series`` (column name -> vtkMRMLPlotSeriesNode, one per entry of :data:`CURVES`)."""

    table: Any
    chart: Any
    series: dict


def create_curve_nodes(scene, curves: Optional[TrainingCurves] = None, name: str = "Training curves") -> CurveNodes:
    """Add a table node, a plot chart and one plot series per curve to ``scene``, filled from ``curves``.

    Parameters
    ----------
    scene : vtkMRMLScene
    curves : TrainingCurves, optional
        Empty columns when None (the chart fills as :func:`update_curve_nodes` is called).
    name : str
        Base name of the nodes.

    Returns
    -------
    CurveNodes
    """
    table = table_node_from_columns(
        scene, name, (curves or TrainingCurves()).columns(), descriptions=_DESCRIPTIONS, units={"seconds": "s"}
    )
    chart = scene.AddNewNodeByClass("vtkMRMLPlotChartNode", f"{name} chart")
    chart.SetTitle(name)
    chart.SetXAxisTitle("Epoch (all folds)")
    chart.SetYAxisTitle("Loss / Dice")
    series = {}
    for column, legend, colour in CURVES:
        node = scene.AddNewNodeByClass("vtkMRMLPlotSeriesNode", legend)
        node.SetAndObserveTableNodeID(table.GetID())
        node.SetXColumnName(X_COLUMN)
        node.SetYColumnName(column)
        node.SetPlotType(node.PlotTypeScatter)  # points joined by lines, at the x column's values
        node.SetMarkerStyle(node.MarkerStyleCircle)
        node.SetColor(*colour)
        chart.AddAndObservePlotSeriesNodeID(node.GetID())
        series[column] = node
    return CurveNodes(table, chart, series)


def update_curve_nodes(scene, nodes: CurveNodes, curves: TrainingCurves) -> CurveNodes:
    """Refill ``nodes.table`` from ``curves`` in place (the plot series follow their table); returns ``nodes``.

    Raises
    ------
    InputError
        ``nodes.table`` belongs to another scene.
    """
    table_node_from_columns(
        scene,
        nodes.table.GetName(),
        curves.columns(),
        descriptions=_DESCRIPTIONS,
        units={"seconds": "s"},
        node=nodes.table,
    )
    return nodes


def format_duration(seconds: float) -> str:
    """``"45 s"``, ``"12 min"`` or ``"2 h 05 min"`` for a duration in seconds (rounded, never negative)."""
    seconds = max(0, int(round(seconds)))
    if seconds < 90:
        return f"{seconds} s"
    minutes = int(round(seconds / 60))
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60:02d} min"


class TrainingProgress:
    """Fraction done and time left of a run, from its ``step`` and ``epoch`` events.

    Parameters
    ----------
    folds, epochs_per_fold, steps_per_epoch : int
        The run's settings (``TrainingSettings.folds``, ``.total_epochs``, ``.steps``).
    clock : callable, optional
        Seconds from a monotonic clock; ``time.monotonic`` by default.

    Notes
    -----
    ``step`` events carry no fold number: a step whose (epoch, step) comes before the previous one starts the next
    fold. The estimate is the mean time per step seen so far (validation included) times the steps left; it needs
    two steps.
    """

    def __init__(
        self, folds: int, epochs_per_fold: int, steps_per_epoch: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.total_steps = max(1, folds * epochs_per_fold * steps_per_epoch)
        self._per_fold, self._per_epoch, self._folds = epochs_per_fold * steps_per_epoch, steps_per_epoch, folds
        self._clock = clock
        self._fold, self._position, self._first, self.done, self.last_loss = 0, None, None, 0, None
        self._now = None

    def update(self, event: Optional[TrainingEvent]) -> bool:
        """Take one event into account; True when it moved the progress."""
        if event is None or event.kind not in ("step", "epoch"):
            return False
        if event.kind == "epoch":
            self._fold, self._position = event.fold, (event.epoch, self._per_epoch)
            self.last_loss = event.train_loss
            return True
        position = (event.epoch, event.step)
        if event.fold is not None:
            self._fold = event.fold
        elif self._position is not None and position < self._position:
            self._fold += 1
        self._position, self.last_loss = position, event.loss
        self.done = min(self.total_steps, self._fold * self._per_fold + event.epoch * self._per_epoch + event.step + 1)
        self._now = self._clock()
        if self._first is None:
            self._first = (self._now, self.done)
        return True

    @property
    def fraction(self) -> float:
        """Share of all optimiser steps done, in [0, 1]."""
        return self.done / self.total_steps

    @property
    def eta_seconds(self) -> Optional[float]:
        """Estimated seconds left, or None before two steps were seen."""
        if self._first is None or self.done <= self._first[1]:
            return None
        rate = (self._now - self._first[0]) / (self.done - self._first[1])
        return rate * (self.total_steps - self.done)

    def message(self) -> str:
        """One line for the panel, e.g. ``"Fold 1 of 5, epoch 3 of 12: loss 0.412, about 4 min left"``."""
        if self._position is None:
            return "Starting the training process..."
        epoch = min(self._position[0] + 1, max(1, self._per_fold // self._per_epoch))
        text = f"Fold {self._fold + 1} of {self._folds}, epoch {epoch} of {self._per_fold // self._per_epoch}"
        if self.last_loss is not None:
            text += f": loss {self.last_loss:.3f}"
        eta = self.eta_seconds
        return text + (f", about {format_duration(eta)} left" if eta is not None else "")


def train_with_curve_nodes(scene, settings, on_event=None, nodes: Optional[CurveNodes] = None):
    """Run a training process and wait for it, filling curve nodes of ``scene`` as epochs finish (console, tests).

    Parameters
    ----------
    scene : vtkMRMLScene
    settings : TrainingSettings
    on_event : callable, optional
        As in :func:`calcification.logic.training.training_process.run_training_blocking` (False stops the run).
    nodes : CurveNodes, optional
        Nodes to refill; new ones named after the model when None.

    Returns
    -------
    (TrainingOutcome, CurveNodes)
    """
    from ..training.training_process import run_training_blocking

    nodes = nodes or create_curve_nodes(scene, name=f"Training {settings.name}")
    curves = TrainingCurves()

    def handle(event: TrainingEvent):
        if curves.add(event):
            update_curve_nodes(scene, nodes, curves)
        return on_event(event) if on_event is not None else None

    return run_training_blocking(settings, handle), nodes
