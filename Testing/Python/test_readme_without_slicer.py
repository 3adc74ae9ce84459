"""The README's "Without Slicer" snippet runs as written: on a synthetic mammogram file standing in for
``image.dcm``, in a folder where ``results`` does not exist yet."""

from __future__ import annotations

import re
from pathlib import Path

from calcification.core.synthetic import SynthesisConfig, generate_case
from calcification.logic.workflows.synthetic_dataset import write_case

README = Path(__file__).resolve().parents[2] / "README.md"


def _snippet() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("Without Slicer, the same logic runs")
    return re.search(r"```python\n(.*?)```", text[start:], re.S).group(1)


def test_the_without_slicer_snippet_runs_as_written(tmp_path, monkeypatch):
    case = generate_case(SynthesisConfig(shape=(256, 224)), seed=9100, index=2)
    write_case(case, tmp_path)
    image = next(p for p in tmp_path.glob("*.nrrd") if p.name.count(".") == 1)
    snippet = _snippet()
    assert 'read_mammogram("image.dcm", spacing_mm=' in snippet  # shows how to give the pixel spacing
    monkeypatch.chdir(tmp_path)
    exec(compile(snippet.replace("image.dcm", str(image)), str(README), "exec"), {})  # noqa: S102
    written = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert any(name.endswith(".report.html") for name in written) and len(written) == 6
