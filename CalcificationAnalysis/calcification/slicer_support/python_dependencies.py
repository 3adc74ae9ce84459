"""Which of the packages in ``requirements-slicer.txt`` are missing from the running Python.

The Slicer module asks the user before installing them (Slicer's ``pip_install``); this module only reads the
requirements file and tries the imports, so it is safe to call at any time and has no side effects.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

REQUIREMENTS_FILE = Path(__file__).resolve().parent.parent / "requirements-slicer.txt"
#: PyTorch, installed apart from the other packages: through Slicer's PyTorch extension when it is there (it chooses
#: the CPU or CUDA build for the machine), else with pip.
TORCH_VERSION_REQUIREMENT = ">=2.1"
TORCH_REQUIREMENT = f"torch{TORCH_VERSION_REQUIREMENT}"

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
        if importlib.util.find_spec(import_name) is None:
            missing.append(requirement)
    return missing


def torch_missing() -> bool:
    """True when PyTorch cannot be imported (the network methods and training need it; Hessian-DoG does not)."""
    return importlib.util.find_spec("torch") is None
