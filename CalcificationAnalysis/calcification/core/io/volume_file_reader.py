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


def _single_slice(image, path: Path) -> tuple[np.ndarray, tuple[float, float]]:
    """The 2D pixel array (rows, columns) and its (row, column) spacing in mm of a 2D image, or of a 3D volume
    with exactly one slice along any axis (Slicer saves a 2D image as a volume of one axial slice)."""
    import SimpleITK as sitk

    size, spacing = image.GetSize(), image.GetSpacing()
    if image.GetDimension() == 2:
        return np.array(sitk.GetArrayViewFromImage(image)), (float(spacing[1]), float(spacing[0]))
    if image.GetDimension() != 3:
        raise InputError(f"{path} has {image.GetDimension()} dimensions; a mammogram is one 2D image.")
    single = [axis for axis in (2, 1, 0) if size[axis] == 1]
    if not single:
        raise InputError(
            f"{path} is a 3D volume of {size[0]} x {size[1]} x {size[2]} voxels ({size[2]} slices); a mammogram is "
            "one 2D image. Export the single slice you want to analyse and read that."
        )
    kept = [axis for axis in (2, 1, 0) if axis != single[0]]  # ITK axes (x, y, z) in numpy order (z, y, x)
    array = np.array(sitk.GetArrayViewFromImage(image)).squeeze(axis=2 - single[0])
    return array, (float(spacing[kept[0]]), float(spacing[kept[1]]))


def read_volume_file(path: Path, spacing_mm: Optional[tuple[float, float]] = None) -> Mammogram:
    """Read a 2D or single-slice NRRD, NIfTI or MHA file with SimpleITK.

    Parameters
    ----------
    path : Path
    spacing_mm : (float, float), optional
        Pixel spacing (row, column) in mm; overrides the header's.

    Returns
    -------
    Mammogram
        float32 pixels (rows, columns); ``spacing_mm`` is the header's (row, column) spacing, i.e. (ITK spacing[1],
        ITK spacing[0]) for a 2D image or one axial slice, unless the ``spacing_mm`` argument overrides it.

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
    array, file_spacing = _single_slice(image, path)
    bit_depth = 32 if np.issubdtype(array.dtype, np.floating) else 8 * array.dtype.itemsize
    return Mammogram(
        pixels=array,
        spacing_mm=spacing_mm or file_spacing,
        source_path=path,
        bit_depth=bit_depth,
        spacing_from_file=True,
    )
