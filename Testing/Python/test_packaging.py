"""Every file a Slicer module needs at run time is installed by its CMakeLists.txt.

``slicerMacroBuildScriptedModule`` (Slicer's CMake/SlicerMacroBuildScriptedModule.cmake) hands its SCRIPTS and
RESOURCES to ``ctkMacroCompilePythonScript``, which copies exactly those files into the built and packaged
extension. A .py, .ui or resource file left out works in a source checkout and fails with ``ModuleNotFoundError`` or
a missing resource once the extension is built or installed from the Extensions Manager. This test reads each
module's CMakeLists.txt (its ``set(...)`` lists and ``file(GLOB_RECURSE ...)`` globs), expands it the way CMake
does, and compares the result with the files in the module folder.
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = ["CalcificationAnalysis", "CalcificationTraining"]
#: Files in a module folder that are not part of the module at run time.
NOT_INSTALLED = {"CMakeLists.txt"}


def _module_files(module: str, repo: Path = REPO) -> set[str]:
    """Files of ``module`` relative to its folder: tracked and untracked, without what .gitignore excludes (build
    outputs, caches, egg-info). Without git (an exported source tree) every file except caches counts."""
    folder = repo / module
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=folder,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        files = {name for name in listed if (folder / name).is_file()}  # a file deleted but not yet committed
    except (OSError, subprocess.CalledProcessError):
        files = {
            path.relative_to(folder).as_posix()
            for path in folder.rglob("*")
            if path.is_file()
            and "__pycache__" not in path.parts
            and not any(p.endswith(".egg-info") for p in path.parts)
        }
    return {name for name in files if name not in NOT_INSTALLED}


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def _glob_recurse(folder: Path, pattern: str) -> list[str]:
    """CMake ``file(GLOB_RECURSE ... RELATIVE folder pattern)``: ``dir/*.ext`` matches *.ext in dir and below."""
    directory, _, name_pattern = pattern.rpartition("/")
    root = folder / directory
    found = []
    for base, _, names in os.walk(root):
        for name in names:
            if fnmatch.fnmatch(name, name_pattern):
                found.append((Path(base) / name).relative_to(folder).as_posix())
    return found


def installed_files(module: str, repo: Path = REPO) -> set[str]:
    """The SCRIPTS and RESOURCES ``slicerMacroBuildScriptedModule`` gets in ``module``'s CMakeLists.txt, expanded."""
    folder = repo / module
    text = _strip_comments((folder / "CMakeLists.txt").read_text(encoding="utf-8"))
    variables: dict[str, list[str]] = {"CMAKE_CURRENT_SOURCE_DIR": [str(folder)]}

    def expand(words: list[str]) -> list[str]:
        out = []
        for word in words:
            whole = re.fullmatch(r"\$\{(\w+)\}", word)
            if whole:
                out.extend(variables.get(whole.group(1), []))
            else:
                out.append(re.sub(r"\$\{(\w+)\}", lambda m: " ".join(variables.get(m.group(1), [])), word))
        return out

    for command, body in re.findall(r"(\w+)\s*\(([^()]*)\)", text):
        words = body.split()
        if command == "set" and words:
            variables[words[0]] = expand(words[1:])
        elif command == "file" and words[:1] == ["GLOB_RECURSE"]:
            name, rest = words[1], expand(words[2:])
            assert rest[:2] == ["RELATIVE", str(folder)], f"{module}: globs must be RELATIVE to the module folder"
            variables[name] = [match for pattern in rest[2:] for match in _glob_recurse(folder, pattern)]
        elif command == "slicerMacroBuildScriptedModule":
            arguments = expand(words)
            keywords = {"NAME", "SCRIPTS", "RESOURCES", "WITH_GENERIC_TESTS", "WITH_SUBDIR", "VERBOSE"}
            listed, current = set(), None
            for word in arguments:
                if word in keywords:
                    current = word
                elif current in ("SCRIPTS", "RESOURCES"):
                    listed.add(word)
            return listed
    raise AssertionError(f"{module}/CMakeLists.txt does not call slicerMacroBuildScriptedModule")


@pytest.mark.parametrize("module", MODULES)
def test_every_module_file_is_installed(module):
    files = _module_files(module)
    assert f"{module}.py" in files and f"Resources/UI/{module}.ui" in files  # the listing itself works
    missing = sorted(files - installed_files(module))
    assert not missing, f"{module}/CMakeLists.txt does not install: {missing}"


@pytest.mark.parametrize("module", MODULES)
def test_every_installed_file_exists(module):
    """slicerMacroBuildScriptedModule stops the configuration on a listed file that does not exist."""
    absent = sorted(name for name in installed_files(module) if not (REPO / module / name).is_file())
    assert not absent, f"{module}/CMakeLists.txt lists files that do not exist: {absent}"


def test_a_file_left_out_is_found(tmp_path):
    """The check can fail: a module whose CMakeLists.txt omits one of its sections is reported."""
    module = tmp_path / "Demo"
    (module / "DemoLib").mkdir(parents=True)
    (module / "Resources" / "UI").mkdir(parents=True)
    for name in ("Demo.py", "DemoLib/__init__.py", "DemoLib/Section.py", "Resources/UI/Demo.ui"):
        (module / name).write_text("")
    (module / "CMakeLists.txt").write_text(
        "set(MODULE_NAME Demo)\nset(MODULE_PYTHON_SCRIPTS\n  ${MODULE_NAME}.py\n  ${MODULE_NAME}Lib/__init__.py\n  )\n"
        "set(MODULE_PYTHON_RESOURCES Resources/UI/${MODULE_NAME}.ui)\n"
        "slicerMacroBuildScriptedModule(NAME ${MODULE_NAME} SCRIPTS ${MODULE_PYTHON_SCRIPTS} "
        "RESOURCES ${MODULE_PYTHON_RESOURCES} WITH_GENERIC_TESTS)\n"
    )
    assert installed_files("Demo", tmp_path) == {"Demo.py", "DemoLib/__init__.py", "Resources/UI/Demo.ui"}
    assert _module_files("Demo", tmp_path) - installed_files("Demo", tmp_path) == {"DemoLib/Section.py"}
