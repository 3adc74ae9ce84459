"""The product's sample mammogram for Slicer's Sample Data module: a synthetic case made by the data engine
(Terrassin et al. 2024 approach) on the user's machine, so no download and no patient data are involved.

The files are generated once into the user's product folder and registered with their SHA-256 checksums: Slicer's
Sample Data module verifies them before loading, so a damaged or altered copy is never shown as the sample.

Importing this module and :func:`existing_sample_files` need only the standard library: Slicer calls them when it
starts, before the user has been asked to install scikit-image (which the data engine needs to write the files).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ...core.checksums import sha256_of

#: Name shown in the Sample Data module and given to the loaded nodes.
SAMPLE_NAME = "CalcificationSynthetic"
#: Seed series, case index and size of the sample: a malignant case with one cluster of 38 calcifications.
SAMPLE_SEED, SAMPLE_INDEX, SAMPLE_SHAPE = 9001, 0, (1280, 1024)
#: Folder of the generated files unless ``$CALCIFICATION_SAMPLE_DIR`` says otherwise.
SAMPLE_DIR_ENV = "CALCIFICATION_SAMPLE_DIR"


@dataclass(frozen=True)
class SampleFiles:
    """The sample's mammogram (NRRD) and its ground-truth segmentation (``.seg.nrrd``) with SHA-256 digests."""

    image_path: Path
    segmentation_path: Path
    image_sha256: str
    segmentation_sha256: str

    def checksums(self) -> list[str]:
        """In Slicer's ``<algo>:<digest>`` form, image first."""
        return [f"SHA256:{self.image_sha256}", f"SHA256:{self.segmentation_sha256}"]


def sample_folder() -> Path:
    """``$CALCIFICATION_SAMPLE_DIR`` if set, else ``~/.calcification/sample_data``."""
    configured = os.environ.get(SAMPLE_DIR_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".calcification" / "sample_data"


def _sample_paths(folder: Optional[os.PathLike]) -> tuple[Path, Path]:
    """(image, segmentation) paths of the sample in ``folder`` (default :func:`sample_folder`), written or not."""
    folder = Path(folder) if folder is not None else sample_folder()
    return folder / f"{SAMPLE_NAME}.nrrd", folder / f"{SAMPLE_NAME}.seg.nrrd"


def existing_sample_files(folder: Optional[os.PathLike] = None) -> Optional[SampleFiles]:
    """The sample already written into ``folder`` (default :func:`sample_folder`), or None when a file is missing.

    Cheap (two SHA-256 digests of about 2 MB) and free of the data engine's dependencies.
    """
    image, segmentation = _sample_paths(folder)
    if not (image.is_file() and segmentation.is_file()):
        return None
    return SampleFiles(image, segmentation, sha256_of(image), sha256_of(segmentation))


def sample_source_arguments(sample: Optional[SampleFiles] = None, folder: Optional[os.PathLike] = None) -> dict:
    """Keyword arguments of Slicer's ``SampleDataSource`` (and ``registerCustomSampleDataSource``) for the sample.

    Slicer 5.10's constructor (Modules/Scripted/SampleData/SampleData.py, lines 176-214) takes ``len(uris)``,
    ``len(fileNames)``, ``len(nodeNames)`` ... and raises unless all are lists of one length: every list is given,
    also before the files exist. ``sample`` (written files): their URIs and SHA-256 checksums, which Sample Data
    verifies before loading. None: the paths in ``folder`` where :func:`write_sample_files` will write them, without
    checksums (the caller adds a ``customDownloader`` that writes and loads them; Sample Data then calls it
    instead of fetching the URIs).
    """
    image, segmentation = (sample.image_path, sample.segmentation_path) if sample else _sample_paths(folder)
    return {
        "uris": [image.resolve().as_uri(), segmentation.resolve().as_uri()],
        "fileNames": [image.name, segmentation.name],
        "nodeNames": [SAMPLE_NAME, f"{SAMPLE_NAME} truth"],
        "loadFileTypes": ["VolumeFile", "SegmentationFile"],
        "checksums": sample.checksums() if sample else [None, None],
    }


def write_sample_files(folder: Optional[os.PathLike] = None, overwrite: bool = False) -> SampleFiles:
    """Generate the sample into ``folder`` (default :func:`sample_folder`) unless it is already there.

    Returns
    -------
    SampleFiles
        Paths named ``CalcificationSynthetic.nrrd`` / ``CalcificationSynthetic.seg.nrrd`` and their digests.
    """
    folder = Path(folder) if folder is not None else sample_folder()
    image = folder / f"{SAMPLE_NAME}.nrrd"
    segmentation = folder / f"{SAMPLE_NAME}.seg.nrrd"
    if overwrite or not (image.exists() and segmentation.exists()):
        from ...core.synthetic import SynthesisConfig, generate_case
        from .synthetic_dataset import write_case

        folder.mkdir(parents=True, exist_ok=True)
        case = generate_case(SynthesisConfig(shape=SAMPLE_SHAPE), seed=SAMPLE_SEED, index=SAMPLE_INDEX)
        write_case(case, folder)
        name = case.record.case_id
        os.replace(folder / f"{name}.nrrd", image)
        os.replace(folder / f"{name}.seg.nrrd", segmentation)
        for extra in (folder / f"{name}.instances.nrrd", folder / f"{name}.json"):
            extra.unlink(missing_ok=True)
    return SampleFiles(image, segmentation, sha256_of(image), sha256_of(segmentation))
