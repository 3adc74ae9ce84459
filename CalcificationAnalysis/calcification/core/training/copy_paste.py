"""Calcification copy-paste, the eighth augmentation of Tong et al. (Front. Oncol. 2024, Pro_UNeXt, section 2.3).

Connected calcification components of the training images are cut out once, each as its *contrast* over the local
background (the patch minus the median of the non-calcification pixels around it), and pasted into other crops by
adding that contrast onto the target's own pixels. Adding a contrast instead of copying grey values keeps the target's
tissue texture under the pasted calcification, so no square seam or foreign background comes with it. Pasting happens
only inside the target's breast region and away from calcifications already there, and the mask gains exactly the
pasted component's pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional, Protocol

import numpy as np
from scipy import ndimage

from ..errors import InputError

#: 8-connectivity: a calcification's diagonal pixels belong to it, as in the product's own segmentation.
_EIGHT = np.ones((3, 3), bool)
#: Random placements tried per component before it is skipped (crops are mostly breast, so a few suffice).
_TRIES = 10


class _AnnotatedImage(Protocol):
    image: np.ndarray
    mask: np.ndarray


@dataclass(frozen=True)
class DonorComponent:
    """One calcification cut out of a training image.

    Attributes
    ----------
    footprint : np.ndarray, bool, (h, w)
        The component's pixels in its bounding box.
    contrast : np.ndarray, float32, (h, w)
        Intensity above the donor's local background on the footprint (>= 0), 0 elsewhere.
    source : int
        Index of the training image it comes from.
    """

    footprint: np.ndarray
    contrast: np.ndarray
    source: int


def _components(image: np.ndarray, mask: np.ndarray, source: int, margin_px: int, max_side_px: int):
    """Donor components of one image (bounding box plus ``margin_px`` gives the background ring)."""
    labels, _ = ndimage.label(mask.astype(bool), structure=_EIGHT)
    for number, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None or max(s.stop - s.start for s in box) > max_side_px:
            continue  # too large to be one calcification (or to paste into a crop)
        ring = tuple(slice(max(s.start - margin_px, 0), s.stop + margin_px) for s in box)
        background = image[ring][~mask[ring].astype(bool)]
        if background.size == 0:
            continue  # no local background to measure the contrast against
        footprint = labels[box] == number
        contrast = np.where(footprint, image[box] - np.median(background), 0.0).clip(min=0.0).astype(np.float32)
        if contrast.any():
            yield DonorComponent(footprint, contrast, source)


class CalcificationDonors:
    """Calcification components available for pasting, grouped by the image they come from.

    Build with :meth:`from_cases`; ``components`` is the flat list, ``sources`` the image indices that have any.
    """

    def __init__(self, components: Sequence[DonorComponent]):
        self.components = list(components)
        self._by_source: dict[int, np.ndarray] = {}
        for source in sorted({c.source for c in self.components}):
            self._by_source[source] = np.array([i for i, c in enumerate(self.components) if c.source == source])

    @property
    def sources(self) -> list[int]:
        return list(self._by_source)

    def __len__(self) -> int:
        return len(self.components)

    def of_source(self, source: int) -> np.ndarray:
        """Indices into ``components`` of the components from image ``source`` (int64, possibly empty)."""
        return self._by_source.get(source, np.zeros(0, np.int64))

    @classmethod
    def from_cases(
        cls, cases: Sequence[_AnnotatedImage], max_components: int = 2000, margin_px: int = 3, max_side_px: int = 64
    ) -> CalcificationDonors:
        """Cut every connected calcification component out of the training images.

        Parameters
        ----------
        cases : sequence of objects with ``image`` (float, (rows, cols), normalised) and ``mask`` ((rows, cols),
            bool or {0, 1}), e.g. :class:`calcification.core.training.training_cases.TrainingCase`
            Component ``source`` is the position in this sequence.
        max_components : int
            Memory bound: when there are more components, this many are kept, spread evenly over all of them
            (deterministic; no random numbers are used).
        margin_px : int
            Width in pixels of the ring around each bounding box whose non-calcification median is the background.
        max_side_px : int
            Components with a longer bounding-box side are left out (pixels; 64 = 4.5 mm at 0.07 mm).

        Raises
        ------
        InputError
            When an image and its mask differ in shape.
        """
        found: list[DonorComponent] = []
        for source, case in enumerate(cases):
            if case.image.shape != case.mask.shape:
                raise InputError(
                    f"Training image {source}: the mask's shape {case.mask.shape} differs from the "
                    f"image's {case.image.shape}."
                )
            found.extend(_components(case.image, case.mask, source, margin_px, max_side_px))
        if len(found) > max_components:
            keep = np.linspace(0, len(found) - 1, max_components).round().astype(int) if max_components else []
            found = [found[i] for i in keep]
        return cls(found)


def _place(
    component: DonorComponent, allowed: np.ndarray, blocked: np.ndarray, rng: np.random.Generator
) -> Optional[tuple[slice, slice]]:
    """A random box where the footprint lies inside ``allowed`` and off ``blocked``; None after ``_TRIES`` misses."""
    height, width = component.footprint.shape
    rows, cols = allowed.shape
    if height > rows or width > cols:
        return None
    for _ in range(_TRIES):
        row, col = int(rng.integers(rows - height + 1)), int(rng.integers(cols - width + 1))
        box = (slice(row, row + height), slice(col, col + width))
        if allowed[box][component.footprint].all() and not blocked[box][component.footprint].any():
            return box
    return None


def _block_around(blocked: np.ndarray, box: tuple[slice, slice], footprint: np.ndarray) -> None:
    """Mark the footprint and its 8-neighbours in ``blocked`` (in place), working on the box grown by one pixel."""
    grown = np.zeros((footprint.shape[0] + 2, footprint.shape[1] + 2), bool)
    grown[1:-1, 1:-1] = footprint
    grown = ndimage.binary_dilation(grown, structure=_EIGHT)
    top, left = box[0].start - 1, box[1].start - 1  # the grown box may start one pixel before the image
    rows, cols = blocked.shape
    inside = grown[max(-top, 0) : rows - top, max(-left, 0) : cols - left]
    blocked[max(top, 0) : max(top, 0) + inside.shape[0], max(left, 0) : max(left, 0) + inside.shape[1]] |= inside


def paste_calcifications(
    image: np.ndarray,
    mask: np.ndarray,
    donors: CalcificationDonors,
    rng: np.random.Generator,
    fraction: float,
    region: Optional[np.ndarray] = None,
    exclude_source: Optional[int] = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Paste a share ``fraction`` of one donor image's calcification components into ``image`` (Tong et al. 2024).

    A donor image is drawn among ``donors.sources`` other than ``exclude_source``; ``max(1, round(fraction * n))``
    of its ``n`` components are drawn without replacement and each is put at a random position whose footprint lies
    wholly inside ``region`` and at least one pixel away from every calcification already there (those in ``mask``
    and those pasted before), so no pasted component merges with another. A component without such a position after
    a few tries is skipped.

    Parameters
    ----------
    image : np.ndarray, float, (rows, cols)
        Normalised target crop, about [0, 1]. Not modified.
    mask : np.ndarray, bool or {0, 1} integers, (rows, cols)
        Its calcification mask. Not modified.
    donors : CalcificationDonors
    rng : np.random.Generator
        The only source of randomness.
    fraction : float
        Share of the donor image's components to paste, in (0, 1].
    region : np.ndarray of bool, (rows, cols), optional
        The target's breast region (the whole crop when None).
    exclude_source : int, optional
        The target's own image index: its components are not pasted back into it.

    Returns
    -------
    (image, mask) : np.ndarray, np.ndarray
        New arrays, input dtypes. On the pasted footprints the image is the target plus the donor's contrast (clipped
        to 1, the top of the normalised range, or to the image's maximum when that is higher) and the mask is 1;
        everywhere else both are unchanged.
    """
    if not 0.0 < fraction <= 1.0:
        raise InputError(f"The copy-paste fraction must lie in (0, 1], got {fraction}.")
    out_image, out_mask = np.array(image, copy=True), np.array(mask, copy=True)
    sources = [s for s in donors.sources if s != exclude_source]
    if not sources:
        return out_image, out_mask
    chosen = donors.of_source(sources[int(rng.integers(len(sources)))])
    count = max(1, int(round(fraction * chosen.size)))
    allowed = np.ones(image.shape, bool) if region is None else region.astype(bool)
    blocked = ndimage.binary_dilation(mask.astype(bool), structure=_EIGHT)
    for index in rng.choice(chosen, size=count, replace=False):
        component = donors.components[int(index)]
        box = _place(component, allowed, blocked, rng)
        if box is None:
            continue
        footprint = component.footprint
        pasted = out_image[box][footprint] + component.contrast[footprint]
        out_image[box][footprint] = np.minimum(pasted, max(1.0, float(image.max())))
        out_mask[box][footprint] = 1
        _block_around(blocked, box, footprint)
    return out_image, out_mask
