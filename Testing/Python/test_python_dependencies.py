"""The first-use dependency check of the Slicer module reads the requirements file and tries real imports."""

from __future__ import annotations

from calcification.slicer_support.python_dependencies import (
    REQUIREMENTS_FILE,
    TORCH_REQUIREMENT,
    missing_distributions,
    required_distributions,
    torch_missing,
)


def test_requirements_file_lists_the_core_packages():
    names = required_distributions()
    assert REQUIREMENTS_FILE.is_file()
    assert any(n.startswith("scikit-image") for n in names) and any(n.startswith("pydicom") for n in names)
    assert not any(n.startswith(("slicer-core", "vtk", "torch")) for n in names)  # Slicer brings its own


def test_everything_is_present_in_the_test_environment():
    assert missing_distributions() == []
    assert not torch_missing()


def test_classifier_packages_are_installed_into_slicer_too():
    names = required_distributions()
    assert any(n.startswith("scikit-learn") for n in names) and any(n.startswith("skops") for n in names)
    assert TORCH_REQUIREMENT.startswith("torch>=")  # installed apart, through the PyTorch extension


def test_an_absent_package_is_reported(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# comment\nnumpy>=1\nno-such-package-for-calcification>=1.0  # absent\n")
    assert missing_distributions(requirements) == ["no-such-package-for-calcification>=1.0"]
