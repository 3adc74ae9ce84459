"""The few pydicom calls whose spelling differs between pydicom 2.4 and 3: written once here.

3D Slicer 5.10 bundles pydicom 2.4.4 and imports it at start-up (Slicer's
SuperBuild/External_python-dicom-requirements.cmake at v5.10.0); Slicer 5.12 bundles pydicom 3.0.2. Installing the
extension's packages must not replace the pydicom a running Slicer has loaded (README.md, "Adding the extension to
3D Slicer"), so the library runs on both: pydicom 3 renamed ``write_like_original=False`` to
``enforce_file_format=True`` and added ``pydicom.encaps.generate_frames`` (2.4: ``generate_pixel_data_frame``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Union

import pydicom
from pydicom.dataset import Dataset

#: Major version of the pydicom this process runs (2 inside Slicer 5.10, 3 elsewhere).
PYDICOM_MAJOR = int(pydicom.__version__.split(".")[0])
#: Oldest highdicom whose SEG and SR writers the DICOM export uses (Slicer 5.12 bundles 0.27.0; it needs pydicom 3).
#: Reading the product's SEG and SR works from highdicom 0.22, the newest that runs on pydicom 2.4.
WRITER_HIGHDICOM = (0, 27)


def _version_tuple(text: str) -> tuple:
    return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())


def check_dicom_writer() -> None:
    """Raise InputError, saying what to do, when this Python's highdicom cannot write the product's SEG and SR.

    Inside 3D Slicer 5.10 the extension keeps Slicer's pydicom 2.4.4 (replacing it under the running application
    breaks it), so pip installs highdicom 0.22, which reads the results but cannot write a mammogram's SEG.
    """
    import highdicom

    from ..errors import InputError

    if _version_tuple(highdicom.__version__) < WRITER_HIGHDICOM:
        minimum = ".".join(str(part) for part in WRITER_HIGHDICOM)
        raise InputError(
            f"Writing DICOM SEG and SR needs highdicom {minimum} or later (with pydicom 3); this Python has "
            f"highdicom {highdicom.__version__} with pydicom {pydicom.__version__} (3D Slicer 5.10 bundles pydicom "
            "2.4, which the extension does not replace). Use 3D Slicer 5.12 or later, or `calcification analyze "
            "--dicom` outside Slicer."
        )


def save_dicom_file(dataset: Dataset, path: Union[str, Path]) -> None:
    """Write ``dataset`` to ``path`` as a DICOM Part 10 file (preamble, file meta group checked), on pydicom 2.4 or 3.

    Raises what ``Dataset.save_as`` raises (ValueError, AttributeError, TypeError) for a dataset that cannot make a
    conformant file.
    """
    if PYDICOM_MAJOR >= 3:
        dataset.save_as(path, enforce_file_format=True)
    else:
        dataset.save_as(path, write_like_original=False)


def encapsulated_frames(data: bytes, number_of_frames: int) -> Iterator[bytes]:
    """The frames of encapsulated (compressed) Pixel Data ``data``, in order, on pydicom 2.4 or 3."""
    if PYDICOM_MAJOR >= 3:
        from pydicom.encaps import generate_frames

        return generate_frames(data, number_of_frames=number_of_frames)
    from pydicom.encaps import generate_pixel_data_frame

    return generate_pixel_data_frame(data, number_of_frames)
