"""Which of the packages in ``requirements-slicer.txt`` are missing from the running Python.

The Slicer module asks the user before installing them (Slicer's ``pip_install``). This module only reads the
requirements file and looks the packages up, so it is safe to call at any time: Slicer runs it when a panel opens,
before anything outside what Slicer bundles (numpy, scipy, SimpleITK, pydicom, vtk, qt, ctk) may be imported.
:func:`ensure_requirements` is the first-use flow itself (ask, install, check again), with the asking and installing
handed in by the caller so that the flow is tested without Slicer.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Callable
from pathlib import Path
from typing import Optional

REQUIREMENTS_FILE = Path(__file__).resolve().parent.parent / "requirements-slicer.txt"
#: PyTorch, installed apart from the other packages: through Slicer's PyTorch extension when it is there (it chooses
#: the CPU or CUDA build for the machine), else with pip.
TORCH_VERSION_REQUIREMENT = ">=2.1"
TORCH_REQUIREMENT = f"torch{TORCH_VERSION_REQUIREMENT}"

#: Distributions Slicer ships in its own Python and imports at start-up (numpy, scipy, SimpleITK; pydicom 2.4.4 and
#: dicomweb-client 0.60.0 in Slicer 5.10, pydicom 3.0.2, dicomweb-client 0.61.0 and highdicom 0.27.0 in 5.12:
#: SuperBuild/External_python-dicom-requirements.cmake). Installing the extension's packages must never replace
#: one of them under the running Slicer (pip would put, e.g., pydicom 3 on disk under the loaded 2.4.4: the same
#: session's ``import highdicom`` then fails), so each one installed is pinned to its version while installing.
BUNDLED_DISTRIBUTIONS = ("numpy", "scipy", "SimpleITK", "pydicom", "dicomweb-client", "highdicom", "pillow")

#: Distribution name -> import name, where they differ.
_IMPORT_NAMES = {
    "scikit-image": "skimage",
    "SimpleITK": "SimpleITK",
    "pylibjpeg-libjpeg": "libjpeg",
    "pylibjpeg-openjpeg": "openjpeg",
    "pylibjpeg-rle": "rle",
    "pynrrd": "nrrd",
    "Pillow": "PIL",
    "scikit-learn": "sklearn",
}


def required_distributions(requirements_file: Path = REQUIREMENTS_FILE) -> list[str]:
    """Requirement lines (e.g. ``"scipy>=1.10"``) of ``requirements_file``, comments and blanks dropped."""
    lines = Path(requirements_file).read_text(encoding="utf-8").splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def missing_distributions(requirements_file: Path = REQUIREMENTS_FILE) -> list[str]:
    """Requirement lines whose package cannot be imported in this Python (version ranges are not checked)."""
    missing = []
    for requirement in required_distributions(requirements_file):
        distribution = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]
        import_name = _IMPORT_NAMES.get(distribution, distribution.replace("-", "_"))
        if not _importable(import_name):
            missing.append(requirement)
    return missing


def _importable(import_name: str) -> bool:
    # find_spec raises instead of returning None for a broken install or when an import hook refuses the name.
    try:
        return importlib.util.find_spec(import_name) is not None
    except (ImportError, ValueError):
        return False


def torch_missing() -> bool:
    """True when PyTorch cannot be imported (the network methods and training need it; Hessian-DoG does not)."""
    return not _importable("torch")


def missing_requirements(need_torch: bool = False) -> list[str]:
    """:func:`missing_distributions`, plus :data:`TORCH_REQUIREMENT` when ``need_torch`` and PyTorch is missing."""
    return missing_distributions() + ([TORCH_REQUIREMENT] if need_torch and torch_missing() else [])


def bundled_constraints() -> list[str]:
    """pip constraint lines (``pydicom==2.4.4`` ...) pinning every :data:`BUNDLED_DISTRIBUTIONS` entry installed in
    this Python to its installed version, so that pip chooses versions of the other packages that work with them
    (highdicom 0.22 with Slicer 5.10's pydicom 2.4) or fails saying why, instead of replacing them."""
    from importlib.metadata import PackageNotFoundError, version

    lines = []
    for distribution in BUNDLED_DISTRIBUTIONS:
        try:
            lines.append(f"{distribution}=={version(distribution)}")
        except PackageNotFoundError:
            continue
    return lines


def install_prompt(missing: list[str]) -> str:
    """The question shown before installing ``missing`` (requirement lines)."""
    return (
        "Calcification Analysis needs these Python packages, which are not installed in Slicer yet:\n\n"
        + "\n".join(missing)
        + "\n\nInstall them now? This takes a few minutes and needs an internet connection; Slicer does not need "
        "to be restarted afterwards."
    )


def ensure_requirements(
    ask: Optional[Callable[[str], bool]],
    install_requirements_file: Callable[[Path, list], None],
    install_torch: Callable[[str], None],
    need_torch: bool = False,
) -> bool:
    """Install what is missing after asking, and say whether everything is importable now.

    Parameters
    ----------
    ask
        Shown :func:`install_prompt`; returns True when the user agrees. None: install without asking.
    install_requirements_file
        Installs every line of the given requirements file under the given constraint lines
        (:func:`bundled_constraints`; Slicer: ``slicer.util.pip_install(["-r", path, "-c", constraints_file])``).
    install_torch
        Installs PyTorch given :data:`TORCH_REQUIREMENT` (Slicer: the PyTorch extension, else ``pip_install``).
    need_torch
        Also require PyTorch (network segmentation and training; Hessian-DoG and the classifiers do not need it).

    Returns
    -------
    bool
        True when nothing is missing any more; False when the user declined or an installation did not succeed.
        Import caches are invalidated after installing, so the caller continues in the same process.
    """
    missing = missing_requirements(need_torch)
    if not missing:
        return True
    if ask is not None and not ask(install_prompt(missing)):
        return False
    if missing_distributions():
        install_requirements_file(REQUIREMENTS_FILE, bundled_constraints())
    if need_torch and torch_missing():
        install_torch(TORCH_REQUIREMENT)
    importlib.invalidate_caches()  # packages written by pip during this session become importable
    return not missing_requirements(need_torch)
