"""Installing the extension's packages into 3D Slicer leaves Slicer's own pydicom in place, and the DICOM parts of the
library work with what Slicer then has.

Slicer bundles and imports at start-up (SuperBuild/External_python-dicom-requirements.cmake and External_python-
numpy.cmake): v5.10.0 pydicom 2.4.4, dicomweb-client 0.60.0, pillow 11.2.1, numpy 2.0.2; v5.12.3 pydicom 3.0.2,
dicomweb-client 0.61.0, highdicom 0.27.0, pillow 12.2.0, numpy 2.4.6. The installer pins those
(``bundled_constraints``), so pip must resolve ``requirements-slicer.txt`` without replacing them; highdicom 0.22, what
5.10 gets, reads the product's SEG and SR but cannot write a SEG with numpy 2 (it uses ``np.float_``). The first test
asks pip itself (``--dry-run``, for Slicer's Python 3.12, from the package index: it needs the index, as the install
does); the second installs the resolved DICOM packages into a folder put before this environment's site-packages and
runs the library there in a fresh Python: reading real DICOM, the extension's DICOM plugin logic on real MRML, and
writing (refused with a clear message on 5.10, done on 5.12).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from calcification.slicer_support.python_dependencies import BUNDLED_DISTRIBUTIONS, REQUIREMENTS_FILE

REPO = Path(__file__).resolve().parents[2]
#: Slicer's pinned DICOM packages (the cmake file named above, at the tag).
SLICER_BUNDLES = {
    "5.10": {"pydicom": "2.4.4", "dicomweb-client": "0.60.0", "pillow": "11.2.1", "numpy": "2.0.2"},
    "5.12": {
        "pydicom": "3.0.2",
        "dicomweb-client": "0.61.0",
        "highdicom": "0.27.0",
        "pillow": "12.2.0",
        "numpy": "2.4.6",
    },
}
#: What goes into the overlay: the DICOM packages and what highdicom needs that this environment may lack.
OVERLAY = ("pydicom", "highdicom", "dicomweb-client", "pillow-jpls", "pyjpegls")
CROP = (slice(2600, 3240), slice(600, 1112))


def _pip(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pip", *arguments], capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module", params=sorted(SLICER_BUNDLES))
def resolution(request, tmp_path_factory) -> dict:
    """(Slicer version, {distribution: version}) pip installs from requirements-slicer.txt under the installer's
    constraints on that Slicer's bundled packages (cached in pytest's cache: the index rarely changes mid-run)."""
    slicer_version = request.param
    folder = tmp_path_factory.mktemp(f"slicer{slicer_version}")
    constraints = folder / "constraints.txt"
    constraints.write_text("".join(f"{n}=={v}\n" for n, v in SLICER_BUNDLES[slicer_version].items()))
    report = folder / "report.json"
    done = _pip(
        "install",
        "--dry-run",
        "--ignore-installed",
        "--quiet",
        "--python-version",
        "3.12",
        "--only-binary=:all:",
        "--report",
        str(report),
        "-r",
        str(REQUIREMENTS_FILE),
        "-c",
        str(constraints),
    )
    assert done.returncode == 0, (
        f"pip cannot install requirements-slicer.txt into Slicer {slicer_version}:\n{done.stderr[-3000:]}"
    )
    installed = {
        item["metadata"]["name"].lower(): item["metadata"]["version"] for item in json.load(open(report))["install"]
    }
    return {"slicer": slicer_version, "installed": installed}


def test_the_requirements_install_without_replacing_slicers_dicom_packages(resolution):
    bundle = SLICER_BUNDLES[resolution["slicer"]]
    for distribution, version in bundle.items():
        assert resolution["installed"].get(distribution, version) == version, distribution
    assert "highdicom" in resolution["installed"]
    # every bundled distribution the installer pins is one Slicer ships (a typo would leave it unprotected)
    assert set(bundle) <= {name.lower() for name in BUNDLED_DISTRIBUTIONS}


@pytest.fixture(scope="module")
def overlay(resolution, request) -> tuple[str, Path]:
    """A folder holding the resolved DICOM packages, to put before this environment's site-packages."""
    pins = [f"{n}=={v}" for n, v in sorted(resolution["installed"].items()) if n in OVERLAY]
    folder = Path(request.config.cache.mkdir("slicer-bundled-dicom")) / "-".join(p.replace("==", "") for p in pins)
    if not (folder / ".complete").is_file():
        done = _pip("install", "--quiet", "--no-deps", "--target", str(folder), *pins)
        assert done.returncode == 0, done.stderr[-3000:]
        (folder / ".complete").touch()
    return resolution["slicer"], folder


@pytest.fixture(scope="module")
def product_results(tmp_path_factory, ddsm_cases) -> dict:
    """A real DDSM crop without a patient coordinate system and its SEG, SR and .seg.nrrd (written by this env)."""
    from calcification.cli.main import main

    from dicom_factory import real_mammogram_crop, write_dicom

    folder = tmp_path_factory.mktemp("results")
    image = write_dicom(folder / "crop.dcm", real_mammogram_crop(Path(ddsm_cases[0]["lcc"]), *CROP))
    assert main(["analyze", str(image), "--method", "hdog", "--out", str(folder / "out"), "--dicom"]) == 0
    (seg,) = (folder / "out").glob("*.seg.dcm")
    return {"image": image, "seg": seg, "sr": next((folder / "out").glob("*.sr.dcm")), "ddsm": ddsm_cases[0]["lcc"]}


SCRIPT = """
import json, sys
from pathlib import Path
import highdicom, pydicom
from calcification.core.errors import InputError
from calcification.core.io import read_mammogram
from calcification.core.io.pydicom_versions import check_dicom_writer, save_dicom_file
from calcification.logic.mrml.scene_factory import create_headless_scene
from calcification.logic.mrml.segmentation_nodes import segment_mask
from calcification.logic.workflows.dicom_result_loading import load_dicom_cluster_table, load_dicom_segmentation
from calcification.logic.workflows.dicom_results import dicom_results_for

paths = json.loads(sys.argv[1])
out = {"pydicom": pydicom.__version__, "highdicom": highdicom.__version__}
out["ddsm_shape"] = list(read_mammogram(Path(paths["ddsm"])).pixels.shape)  # RLE frames: the frame-length check
dataset = pydicom.dcmread(paths["image"])
save_dicom_file(dataset, Path(paths["folder"]) / "copy.dcm")
out["copy_preamble"] = (Path(paths["folder"]) / "copy.dcm").read_bytes()[128:132].decode()
scene = create_headless_scene()
segmentation, volume = load_dicom_segmentation(scene, paths["seg"], reference_path=paths["image"])
ids = segmentation.GetSegmentation().GetSegmentIDs()
out["segments"] = {s: int(segment_mask(segmentation, s, volume).sum()) for s in ids}
out["clusters"] = load_dicom_cluster_table(scene, paths["sr"]).GetNumberOfRows()
for call in (check_dicom_writer, lambda: dicom_results_for(None)):
    try:
        call()
        out.setdefault("writer", []).append("ok")
    except InputError as error:
        out.setdefault("writer", []).append(str(error))
    except Exception as error:
        out.setdefault("writer", []).append(f"{type(error).__name__}")
print(json.dumps(out))
"""


def test_the_library_reads_and_loads_results_with_slicers_dicom_packages(overlay, product_results, tmp_path):
    slicer_version, folder = overlay
    from calcification.core.dicom_import.segmentation_reader import read_segmentation

    expected = {s.label: int(s.mask.sum()) for s in read_segmentation(product_results["seg"]).segments}
    paths = {key: str(value) for key, value in product_results.items()} | {"folder": str(tmp_path)}
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT), json.dumps(paths)],
        capture_output=True,
        text=True,
        timeout=600,
        env=environment,
        cwd=REPO / "Testing" / "Python",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["pydicom"] == SLICER_BUNDLES[slicer_version]["pydicom"]
    assert result["ddsm_shape"][0] > 4000 and result["copy_preamble"] == "DICM"
    assert result["segments"] == expected and result["clusters"] >= 1
    if slicer_version == "5.10":  # highdicom 0.22: reads, but refuses to write, saying what to do
        assert all("Use 3D Slicer 5.12 or later" in message for message in result["writer"]), result["writer"]
    else:
        assert result["writer"][0] == "ok"
