"""Read a mammogram from a medical volume file: NRRD / NHDR, NIfTI (.nii, .nii.gz) and MetaImage (.mha, .mhd).

The spacing comes from the header. A volume with exactly one slice is taken as the 2D image; more slices are
refused, because a mammogram analysis needs one projection image (for tomosynthesis, export one slice first).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import InputError
from ..image import Mammogram

VOLUME_SUFFIXES = (".nrrd", ".nhdr", ".nii", ".nii.gz", ".mha", ".mhd")


def read_volume_file(path: Path, spacing_mm: Optional[tuple[float, float]] = None) -> Mammogram:
    """Read a single-slice NRRD, NIfTI or MHA file with SimpleITK.

    Returns
    -------
    Mammogram
        ``spacing_mm`` is (row, column) = (ITK spacing[1], ITK spacing[0]) unless ``spacing_mm`` overrides it.

    Raises
    ------
    InputError
        Unreadable file, more than one slice, vector pixels, blank or non-finite pixels, absurd spacing.
    """
    import SimpleITK as sitk

    try:
        image = sitk.ReadImage(str(path))
    except RuntimeError as exc:
        reason = str(exc).strip().splitlines()[-1]
        raise InputError(f"{path} is not a readable NRRD/NIfTI/MHA image ({reason}).") from exc
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise InputError(f"{path} has {image.GetNumberOfComponentsPerPixel()} values per pixel; expected greyscale.")
    size = image.GetSize()
    if image.GetDimension() == 3:
        if size[2] != 1:
            raise InputError(
                f"{path} is a 3D volume with {size[2]} slices; a mammogram is one 2D image. Export one slice first."
            )
    elif image.GetDimension() != 2:
        raise InputError(f"{path} has {image.GetDimension()} dimensions; a mammogram is 2D.")
    array = sitk.GetArrayViewFromImage(image)
    array = np.array(array[0] if array.ndim == 3 else array)
    file_spacing = (float(image.GetSpacing()[1]), float(image.GetSpacing()[0]))
    bit_depth = 32 if np.issubdtype(array.dtype, np.floating) else 8 * array.dtype.itemsize
    return Mammogram(
        pixels=array,
        spacing_mm=spacing_mm or file_spacing,
        source_path=path,
        bit_depth=bit_depth,
        spacing_from_file=True,
    )
