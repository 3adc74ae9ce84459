"""The default ``analyze`` path imports neither PyTorch nor scikit-learn nor skops once the model's ONNX graph and the
classifier's ONNX export exist, and writes the same tables as a run that may import them; ``segment`` neither
(issue 31)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from calcification.cli.main import main
from calcification.core.models.model_card import ModelCard
from calcification.core.models.model_store import save_model
from calcification.core.networks.factory import build_network

REPO = Path(__file__).resolve().parents[2]
BLOCKED = ("torch", "sklearn", "skops")
TABLES = ("features.csv", "summary.csv")

#: A fresh Python in which importing a blocked package (or any of its sub-modules) raises ModuleNotFoundError, then
#: the real command line runs with the given arguments.
BLOCKING_RUN = textwrap.dedent(
    """
    import importlib.abc, sys
    BLOCKED = set(sys.argv[1].split(","))

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)", name=name)
            return None

    sys.meta_path.insert(0, Blocker())
    from calcification.cli.main import main
    code = main(sys.argv[2:])
    heavy = ("torch", "sklearn", "skops")
    print("IMPORTED", sorted(m for m in sys.modules if m in heavy))
    sys.exit(code)
    """
)


def _tiny_model(folder: Path) -> Path:
    """A two-fold Pro_UNeXt small enough to export in seconds (the shipped one's 17 MB graph takes half a minute)."""
    kwargs = {"width_multiplier": 1 / 16, "expansion": 1.0}
    card = ModelCard(name="tiny_start_up", architecture="pro_unext", architecture_kwargs=kwargs, spacing_mm=0.1)
    networks = []
    for fold in range(2):
        torch.manual_seed(fold)
        networks.append(build_network("pro_unext", kwargs).eval())
    save_model(folder, card, networks)
    return folder


def _run(args: list[str], blocked: tuple[str, ...]) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", BLOCKING_RUN, ",".join(blocked) or "-", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=600)


def test_analyze_runs_without_torch_sklearn_and_skops_and_writes_the_same_tables(tmp_path):
    assert main(["synth", "--out", str(tmp_path / "synth"), "--cases", "1", "--seed", "5", "--size", "480x360"]) == 0
    image = next(p for p in (tmp_path / "synth").glob("*.nrrd") if p.name.count(".") == 1)  # not .seg / .instances
    model = _tiny_model(tmp_path / "tiny_start_up")
    args = ["analyze", str(image), "--model", str(model), "--threshold", "0.3"]
    first = _run([*args, "--out", str(tmp_path / "free")], blocked=())  # exports and checks the graph
    assert first.returncode == 0, first.stderr
    assert "IMPORTED ['torch']" in first.stdout  # PyTorch exported the graph; the blocked run below needs none
    second = _run([*args, "--out", str(tmp_path / "blocked")], blocked=BLOCKED)
    assert second.returncode == 0, second.stderr
    assert "IMPORTED []" in second.stdout
    tables = sorted(path.name for path in (tmp_path / "free").glob("*.csv"))
    assert set(TABLES) <= set(tables) and any(name.endswith(".calcifications.csv") for name in tables)
    assert sorted(path.name for path in (tmp_path / "blocked").glob("*.csv")) == tables
    for name in tables:
        assert (tmp_path / "blocked" / name).read_bytes() == (tmp_path / "free" / name).read_bytes(), name
    assert "probability" in (tmp_path / "blocked" / "summary.csv").read_text().splitlines()[0]
    segment = ["segment", str(image), "--model", str(model), "--threshold", "0.3", "--out", str(tmp_path / "seg")]
    third = _run(segment, blocked=BLOCKED)
    assert third.returncode == 0 and "IMPORTED []" in third.stdout, third.stderr
    assert any((tmp_path / "seg").glob("*.seg.nrrd"))
