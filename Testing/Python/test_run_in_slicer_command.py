"""The command that runs Testing/Slicer/run_in_slicer.py inside Slicer can pass every step in Slicer 5.10 and later.

The README states it (section "Testing in a real Slicer") and the script's docstring repeats it; both must be the
same command, and each option one that Slicer defines. Options Slicer v5.10.0 accepts (unchanged in v5.12):
Base/QTCore/qSlicerCoreCommandOptions.cxx and Base/QTGUI/qSlicerCommandOptions.cxx (``addArgument("...")``).
Two of them break the script's steps:

- ``--no-main-window``: ``slicer.util.selectModule`` raises RuntimeError "Could not find moduleSelector in the main
  window" (Base/Python/slicer/util.py, selectModule) and ``slicer.app.layoutManager()`` is None;
- ``--disable-cli-modules``: removes every CLI module, those DICOM loaders run among them.
"""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "Testing" / "Slicer" / "run_in_slicer.py"
#: qSlicerCoreCommandOptions.cxx + qSlicerCommandOptions.cxx, v5.10.0.
SLICER_OPTIONS = {
    "additional-module-path",
    "additional-module-paths",
    "application-information",
    "disable-builtin-cli-modules",
    "disable-builtin-loadable-modules",
    "disable-builtin-modules",
    "disable-builtin-scripted-loadable-modules",
    "disable-cli-modules",
    "disable-loadable-modules",
    "disable-message-handlers",
    "disable-modules",
    "disable-python",
    "disable-scripted-loadable-modules",
    "disable-settings",
    "disable-terminal-outputs",
    "ignore-rest",
    "ignore-slicerrc",
    "keep-temporary-settings",
    "modules-to-ignore",
    "program-path",
    "python-code",
    "python-script",
    "settings-path",
    "temporary-path",
    "verbose-module-discovery",
    "disable-tooltips",
    "exit-after-startup",
    "no-main-window",
    "no-splash",
    "qt-testing",
    "show-python-console",
    "show-python-interactor",
}
#: Options that make a step of the script fail (module docstring).
BREAKING = {"no-main-window", "disable-cli-modules"}


def _command(text: str) -> list[str]:
    """The Slicer command line in ``text``: the lines from the one starting with a Slicer path, joined at ``\\``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"\s*/path/to/Slicer\b", line))
    joined = ""
    for line in lines[start:]:
        joined += line.strip().rstrip("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            break
    return shlex.split(joined)


def _readme_command() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Testing in a real Slicer") :]
    return _command(section[: section.index("\n## ")])


def test_the_readme_and_the_script_state_the_same_command():
    docstring = ast.get_docstring(ast.parse(SCRIPT.read_text(encoding="utf-8")))
    assert _readme_command() == _command(docstring)


def test_every_option_is_slicers_and_none_breaks_a_step():
    command = _readme_command()
    options = {word[2:] for word in command if word.startswith("--")}
    assert options, command
    assert options <= SLICER_OPTIONS, f"not Slicer options: {sorted(options - SLICER_OPTIONS)}"
    assert not options & BREAKING, f"these break the script's steps: {sorted(options & BREAKING)}"
    # The script is given, and both module folders, as absolute paths (Slicer's working folder may differ).
    script = command[command.index("--python-script") + 1]
    assert script == "$PWD/Testing/Slicer/run_in_slicer.py"
    paths = command[command.index("--additional-module-paths") + 1 : command.index("--python-script")]
    assert paths == ["$PWD/CalcificationAnalysis", "$PWD/CalcificationTraining"]
    assert all((REPO / path.removeprefix("$PWD/")).exists() for path in [*paths, script])


def test_the_script_uses_what_needs_the_main_window():
    """Why --no-main-window is refused: the script selects modules and uses the layout manager."""
    source = SCRIPT.read_text(encoding="utf-8")
    assert "slicer.util.selectModule(" in source and "slicer.app.layoutManager()" in source
