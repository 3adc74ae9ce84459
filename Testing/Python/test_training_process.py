"""Training as a separate process: command lines, JSON-line events, curves as MRML nodes, the preferred model, and
one real (tiny) training run in a child process parsed end to end."""

from __future__ import annotations

import json
import math
import sys

import pytest

from calcification.core.errors import CalcificationError, CancelledError, InputError
from calcification.core.models import model_store
from calcification.core.models.preferred_model import preferred_model, preferred_model_file, set_preferred_model
from calcification.logic.mrml.training_curves import (
    CURVES,
    TrainingCurves,
    TrainingProgress,
    create_curve_nodes,
    format_duration,
    train_with_curve_nodes,
    update_curve_nodes,
)
from calcification.logic.training.training_process import (
    TrainingSettings,
    check_dataset_command,
    failure_message,
    finished_summary,
    parse_event_line,
    process_environment,
    python_executable,
    report_columns,
    report_summary,
    run_training_blocking,
    training_command,
)

TINY = dict(
    synthetic_shape=(256, 256),
    folds=1,
    epochs=1,
    fine_tune_epochs=0,
    steps=2,
    batch=2,
    crop=64,
    device="cpu",
    augment=False,
)


def _epoch_line(fold, epoch, loss, dice, best):
    return json.dumps(
        {
            "event": "epoch",
            "fold": fold,
            "epoch": epoch,
            "phase": 1,
            "train_loss": loss,
            "val_dice": dice,
            "seconds": 2.5,
            "learning_rate": 1e-3,
            "best_dice": best,
        }
    )


# Command lines -------------------------------------------------------------------------------------------------------


def test_synthetic_command_line_carries_every_setting():
    settings = TrainingSettings(name="m1", synthetic_cases=4, checkpoints="/tmp/ck", seed=7, **TINY)
    argv = training_command(settings, python="py")
    assert argv[:4] == ["py", "-m", "calcification.cli.main", "train-segmenter"]
    assert argv[4:10] == ["--synthetic", "4", "--synthetic-shape", "256,256", "--name", "m1"]
    pairs = dict(zip(argv[10:-2:2], argv[11:-2:2], strict=True))
    assert pairs == {
        "--preset": "pro_unext_cpu",
        "--folds": "1",
        "--epochs": "1",
        "--fine-tune-epochs": "0",
        "--steps": "2",
        "--batch": "2",
        "--crop": "64",
        "--device": "cpu",
        "--seed": "7",
        "--checkpoints": "/tmp/ck",
    }
    assert argv[-2:] == ["--no-augment", "--events-json"]
    assert training_command(settings)[0] == sys.executable


def test_data_command_line_lists_paths_then_labels_and_optional_flags():
    settings = TrainingSettings(
        name="real",
        data_paths=["/d/a.mrb", "/d/cases"],
        labels_csv="/d/labels.csv",
        out_folder="/m/real",
        overwrite=True,
    )
    argv = training_command(settings, python="py")
    assert argv[4:8] == ["/d/a.mrb", "/d/cases", "--labels", "/d/labels.csv"]
    assert "--synthetic" not in argv and "--no-augment" not in argv and "--checkpoints" not in argv
    assert argv[argv.index("--out") + 1] == "/m/real" and "--overwrite" in argv and "--init-model" not in argv
    tuned = training_command(TrainingSettings(name="t", synthetic_cases=4, init_model="pro_unext_synthetic"), "py")
    assert tuned[tuned.index("--init-model") + 1] == "pro_unext_synthetic"
    assert argv[argv.index("--folds") + 1] == "5" and argv[-1] == "--events-json"
    check = ["py", "-m", "calcification.cli.main", "check-dataset", "/d/a.mrb", "--labels", "/d/l.csv", "--json"]
    assert check_dataset_command(["/d/a.mrb"], "/d/l.csv", python="py") == check


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(name=" ", synthetic_cases=4), "name"),
        (dict(name="m", data_paths=["/d"], labels_csv="l.csv", synthetic_cases=4), "not both"),
        (dict(name="m", synthetic_cases=1), "at least 2 synthetic"),
        (dict(name="m", data_paths=["/d"]), "labels CSV"),
        (dict(name="m", synthetic_cases=4, crop=100), "multiple of 32"),
        (dict(name="m", synthetic_cases=4, device="gpu"), "auto, cpu, cuda"),
        (dict(name="m", synthetic_cases=4, folds=0), "folds must be at least 1"),
        (dict(name="m", synthetic_cases=4, fine_tune_epochs=-1), "fine-tuning epochs"),
    ],
)
def test_unusable_settings_are_refused(kwargs, message):
    with pytest.raises(InputError, match=message):
        TrainingSettings(**kwargs)
    with pytest.raises(InputError, match="Add at least one"):
        check_dataset_command([], "l.csv")


def test_inside_an_application_the_child_runs_python_slicer(monkeypatch, tmp_path):
    assert python_executable() == sys.executable  # a plain interpreter runs its own children
    # Inside Slicer sys.executable is PythonSlicer itself (qSlicerCoreApplication.cxx sets it), used as it is.
    monkeypatch.setattr(sys, "executable", "/opt/Slicer/bin/PythonSlicer")
    assert python_executable() == "/opt/Slicer/bin/PythonSlicer"
    # An embedding application whose sys.executable is not an interpreter falls back to PythonSlicer on PATH.
    monkeypatch.setattr(sys, "executable", "/opt/Slicer/bin/SlicerApp-real")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CalcificationError, match="PythonSlicer is not on PATH"):
        python_executable()
    interpreter = tmp_path / "PythonSlicer"
    interpreter.write_text("#!/bin/sh\n")
    interpreter.chmod(0o755)
    assert python_executable() == str(interpreter)
    assert training_command(TrainingSettings(name="m", synthetic_cases=2))[0] == str(interpreter)


def test_child_environment_can_import_the_package():
    env = process_environment({"PYTHONPATH": "/elsewhere"})
    first, rest = env["PYTHONPATH"].split(":", 1)
    assert (model_store.Path(first) / "calcification" / "__init__.py").is_file()
    assert rest == "/elsewhere" and env["PYTHONUNBUFFERED"] == "1"


# Events --------------------------------------------------------------------------------------------------------------


def test_events_are_parsed_with_their_fields():
    step = parse_event_line('{"event": "step", "epoch": 0, "step": 3, "loss": 0.75}\n')
    assert (step.kind, step.epoch, step.step, step.loss, step.fold) == ("step", 0, 3, 0.75, None)
    epoch = parse_event_line(_epoch_line(2, 4, 0.5, 0.25, 0.3).encode())
    assert (epoch.kind, epoch.fold, epoch.epoch, epoch.train_loss, epoch.val_dice, epoch.best_dice) == (
        "epoch",
        2,
        4,
        0.5,
        0.25,
        0.3,
    )
    done = parse_event_line('{"model": "m", "folder": "/x/m", "metrics": {"mean_validation_dice": 0.8}}')
    assert (done.kind, done.model, done.folder, done.metrics["mean_validation_dice"]) == ("finished", "m", "/x/m", 0.8)
    other = parse_event_line('{"event": "cases", "count": 12}')
    assert other.kind == "cases" and other.raw["count"] == 12
    diverged = parse_event_line('{"event": "step", "epoch": 0, "step": 0, "loss": NaN}')
    assert math.isnan(diverged.loss)


@pytest.mark.parametrize(
    "line",
    [
        "",
        "   \n",
        "calcification: warning: no pixel spacing",
        "{not json",
        "[1, 2]",
        '"text"',
        "42",
        "null",
        '{"event": "step", "epoch": "0", "step": 1, "loss": 0.5}',  # a number sent as text
        '{"event": "step", "epoch": 0, "step": 1}',  # no loss
        '{"event": "epoch", "fold": 0, "epoch": 0, "train_loss": true, "val_dice": 0.1}',  # a bool is no loss
        '{"event": 3}',
        '{"model": "m"}',
        b"\xff\xfe{",
        "Traceback (most recent call last):",
    ],
)
def test_anything_else_is_not_an_event(line):
    assert parse_event_line(line) is None


# Curves, nodes and progress ------------------------------------------------------------------------------------------


def test_curves_fill_a_table_and_a_plot_chart_and_refill_them_in_place(scene):
    curves = TrainingCurves()
    assert not curves.add(parse_event_line('{"event": "step", "epoch": 0, "step": 0, "loss": 0.9}'))
    assert not curves.add(None)
    for line in (_epoch_line(0, 0, 0.9, 0.1, 0.1), _epoch_line(0, 1, 0.7, 0.3, 0.3), _epoch_line(1, 0, 0.8, 0.2, 0.2)):
        assert curves.add(parse_event_line(line))
    nodes = create_curve_nodes(scene, curves, name="Run A")
    table = nodes.table.GetTable()
    assert table.GetNumberOfRows() == 3
    assert [table.GetValueByName(r, "run_epoch").ToInt() for r in range(3)] == [1, 2, 3]
    assert [table.GetValueByName(r, "fold").ToInt() for r in range(3)] == [0, 0, 1]
    assert [table.GetValueByName(r, "epoch").ToInt() for r in range(3)] == [1, 2, 1]
    assert [table.GetValueByName(r, "train_loss").ToDouble() for r in range(3)] == [0.9, 0.7, 0.8]
    assert [table.GetValueByName(r, "val_dice").ToDouble() for r in range(3)] == [0.1, 0.3, 0.2]
    assert nodes.table.GetColumnUnitLabel("seconds") == "s"

    assert nodes.chart.IsA("vtkMRMLPlotChartNode") and nodes.chart.GetNumberOfPlotSeriesNodes() == len(CURVES)
    for index, (column, legend, _) in enumerate(CURVES):
        series = scene.GetNodeByID(nodes.chart.GetNthPlotSeriesNodeID(index))
        assert series is nodes.series[column] and series.GetName() == legend
        assert series.GetTableNodeID() == nodes.table.GetID()
        assert (series.GetXColumnName(), series.GetYColumnName()) == ("run_epoch", column)

    tables_before = scene.GetNumberOfNodesByClass("vtkMRMLTableNode")
    curves.add(parse_event_line(_epoch_line(1, 1, 0.6, 0.4, 0.4)))
    assert update_curve_nodes(scene, nodes, curves) is nodes
    assert scene.GetNumberOfNodesByClass("vtkMRMLTableNode") == tables_before
    assert nodes.table.GetTable().GetNumberOfRows() == 4
    assert nodes.table.GetTable().GetValueByName(3, "val_dice").ToDouble() == 0.4
    assert create_curve_nodes(scene).table.GetTable().GetNumberOfRows() == 0


def test_progress_counts_folds_from_step_events_and_estimates_the_time_left():
    now = [100.0]
    progress = TrainingProgress(folds=2, epochs_per_fold=2, steps_per_epoch=3, clock=lambda: now[0])
    assert progress.fraction == 0 and progress.eta_seconds is None and progress.message().startswith("Starting")
    events = [(0, s) for s in range(3)] + [(1, s) for s in range(3)] + [(0, 0), (0, 1)]
    for seconds, (epoch, step) in enumerate(events):
        now[0] = 100.0 + 2.0 * seconds  # two seconds per step
        assert progress.update(
            parse_event_line(json.dumps({"event": "step", "epoch": epoch, "step": step, "loss": 0.5}))
        )
        if (epoch, step) == (1, 2):
            progress.update(parse_event_line(_epoch_line(0, 1, 0.5, 0.2, 0.2)))
    assert progress.done == 8 and progress.fraction == 8 / 12
    assert progress.eta_seconds == pytest.approx(2.0 * 4)
    assert progress.message() == "Fold 2 of 2, epoch 1 of 2: loss 0.500, about 8 s left"
    assert not progress.update(parse_event_line('{"model": "m", "folder": "/f"}'))
    assert [format_duration(s) for s in (-3, 45, 600, 7500)] == ["0 s", "45 s", "10 min", "2 h 05 min"]


def test_check_dataset_report_becomes_table_columns():
    report = {
        "ok": False,
        "cases": [
            {"case": "a", "calcifications": 3, "problem": None},
            {"case": "b", "calcifications": "?", "label": "benign"},
        ],
    }
    columns = report_columns(report)
    assert list(columns) == ["case", "calcifications", "problem", "label"]
    assert columns["calcifications"] == ["3", "?"] and columns["problem"] == ["", ""]
    assert report_columns({"cases": [{"n": 1}, {"n": 2.5}]}) == {"n": [1, 2.5]}
    assert report_summary(report) == "ok: False"
    flat = report_columns({"ok": True, "problems": ["no labels for b"]})
    assert flat == {"item": ["ok", "problems"], "value": ["true", '["no labels for b"]']}


# A real training process ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny synthetic training run in a child process, its curves written into a headless scene as it runs:
    (models folder, outcome, events seen by on_event, curve nodes, their scene)."""
    from calcification.logic.mrml.scene_factory import create_headless_scene

    models = tmp_path_factory.mktemp("models")
    settings = TrainingSettings(name="tiny_run", synthetic_cases=4, out_folder=str(models / "tiny_run"), **TINY)
    seen, scene = [], create_headless_scene()
    outcome, nodes = train_with_curve_nodes(scene, settings, on_event=seen.append)
    yield models, outcome, seen, nodes, scene
    scene.Clear(1)


def test_a_real_training_process_is_parsed_end_to_end(trained):
    models, outcome, seen, nodes, _ = trained
    assert list(outcome.events) == seen
    assert [e.kind for e in seen] == ["step", "step", "epoch", "finished"]
    steps, epoch = seen[:2], seen[2]
    assert [(e.epoch, e.step) for e in steps] == [(0, 0), (0, 1)]
    assert epoch.train_loss == pytest.approx((steps[0].loss + steps[1].loss) / 2)  # the epoch loss is their mean
    assert 0.0 <= epoch.val_dice <= 1.0
    assert outcome.finished.model == "tiny_run" and outcome.finished.folder == str(models / "tiny_run")
    assert outcome.finished.metrics["mean_validation_dice"] == pytest.approx(epoch.best_dice, abs=1e-4)
    assert model_store.read_card(models / "tiny_run").name == "tiny_run"

    progress = TrainingProgress(1, 1, 2)
    assert [progress.update(event) for event in seen] == [True, True, True, False] and progress.fraction == 1.0
    table = nodes.table.GetTable()  # filled live from the epoch event
    assert table.GetNumberOfRows() == 1 and nodes.table.GetName() == "Training tiny_run"
    assert table.GetValueByName(0, "train_loss").ToDouble() == epoch.train_loss
    assert table.GetValueByName(0, "val_dice").ToDouble() == epoch.val_dice
    assert nodes.chart.GetNumberOfPlotSeriesNodes() == 2
    assert (
        finished_summary(outcome.finished) == f"tiny_run: fold 0 validation dice {epoch.best_dice:.3f}, "
        f"mean validation dice {epoch.best_dice:.3f}"
    )


def test_preferred_model_round_trip_and_refusals(trained, tmp_path):
    models = trained[0]
    assert preferred_model(models) is None
    assert set_preferred_model(models / "tiny_run", models) == "tiny_run"  # a folder in the model folder: its name
    assert preferred_model(models) == "tiny_run"
    assert json.loads(preferred_model_file(models).read_text())["model"] == "tiny_run"

    with pytest.raises(InputError, match="No model named"):
        set_preferred_model("no_such_model", models)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no model_card.json"):
        set_preferred_model(tmp_path / "empty", models)
    assert preferred_model(models) == "tiny_run"  # refusals leave the setting as it was

    stale = tmp_path / "moved"
    stale.mkdir()
    (stale / "model_card.json").write_text((models / "tiny_run" / "model_card.json").read_text())
    assert set_preferred_model(stale, models) == str(stale.resolve())  # outside the model folders: by folder
    (stale / "model_card.json").unlink()
    assert preferred_model(models) is None  # a setting that leads nowhere reads as the shipped default
    assert set_preferred_model(None, models) is None and not preferred_model_file(models).exists()


def test_stopping_a_process_leaves_no_model(tmp_path):
    settings = TrainingSettings(name="stopped", synthetic_cases=4, out_folder=str(tmp_path / "stopped"), **TINY)
    seen = []
    with pytest.raises(CancelledError, match="resume"):
        run_training_blocking(settings, on_event=lambda event: seen.append(event) or False)
    assert [e.kind for e in seen] == ["step"]  # stopped at the first event
    assert not (tmp_path / "stopped" / "model_card.json").exists()


def test_failure_message_keeps_the_commands_own_reason():
    stderr = "calcification: warning: slow CPU\n\ncalcification train-segmenter: error: Unknown network preset 'x'.\n"
    message = failure_message(stderr, 2)
    assert message.startswith("Training stopped with exit code 2: ") and message.endswith("Unknown network preset 'x'.")
    assert failure_message("", -15) == "Training stopped with exit code -15: no message"
