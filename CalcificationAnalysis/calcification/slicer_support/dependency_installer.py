"""Install the library's Python packages inside Slicer, after asking the user: the one place every panel and the
trace effect ask before their first use of the library (so no panel imports another panel to reach it).

The flow (what is missing, the question, installing, checking again) is
:func:`~.python_dependencies.ensure_requirements`, tested without Slicer; this module supplies Slicer's dialog and
``pip_install``. PyTorch (needed by the network and training, not by Hessian-DoG) goes through Slicer's PyTorch
extension when it is installed, as SlicerTotalSegmentator does, so that the build matches the machine's GPU.
Nothing is imported from the library's scientific modules before this returns True.
"""

from __future__ import annotations

import os
import tempfile


def ensure_dependencies(ask_user: bool = True, need_torch: bool = True) -> bool:
    """True when every package the library needs is importable, installing the missing ones first (after asking
    when ``ask_user``); False when the user declined. Runs inside Slicer only (it uses ``slicer.util``)."""
    import slicer

    from .python_dependencies import TORCH_VERSION_REQUIREMENT, ensure_requirements

    def ask(question: str) -> bool:
        return slicer.util.confirmOkCancelDisplay(question, "Install Python packages")

    def install_requirements_file(path, constraints) -> None:
        # The packages Slicer bundles stay as they are (python_dependencies.BUNDLED_DISTRIBUTIONS): pip gets them as
        # constraints, so it picks versions of the others that work with the pydicom this Slicer has loaded.
        with tempfile.TemporaryDirectory() as folder, slicer.util.WaitCursor():
            constraints_file = os.path.join(folder, "slicer-bundled-constraints.txt")
            with open(constraints_file, "w", encoding="utf-8") as handle:
                handle.write("\n".join(constraints) + "\n")
            slicer.util.pip_install(["-r", os.fspath(path), "-c", constraints_file])

    def install_torch(requirement: str) -> None:
        with slicer.util.WaitCursor():
            try:
                import PyTorchUtils  # the PyTorch extension
            except ImportError:
                slicer.util.pip_install([requirement])
            else:
                PyTorchUtils.PyTorchUtilsLogic().installTorch(
                    askConfirmation=False, torchVersionRequirement=TORCH_VERSION_REQUIREMENT
                )

    return ensure_requirements(
        ask if ask_user else None, install_requirements_file, install_torch, need_torch=need_torch
    )
