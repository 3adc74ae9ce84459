"""Drawing calcifications into an image: rasterise a shape, check where it may go, add its blurred contrast.

Only a small patch around each calcification is touched, so a case with hundreds of calcifications costs little.
The ground truth is the unblurred footprint; the image gets the footprint's calcium path length times the local
contrast, blurred by the system (the mask is the object, the image is what the detector saw of it).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .calcification_shapes import CalcificationShape


def chord_thickness(shape: CalcificationShape, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Calcium path length (mm) of ``shape`` along rays through points (``ys``, ``xs``) in mm from its centre."""
    thickness = np.zeros(np.broadcast(ys, xs).shape)
    for y0, x0, y1, x1, radius in shape.capsules:
        if radius <= 0:
            continue
        dy, dx = y1 - y0, x1 - x0
        length2 = dy * dy + dx * dx
        t = np.clip(((ys - y0) * dy + (xs - x0) * dx) / length2, 0.0, 1.0) if length2 > 0 else 0.0
        d2 = (ys - y0 - t * dy) ** 2 + (xs - x0 - t * dx) ** 2
        np.maximum(thickness, 2.0 * np.sqrt(np.maximum(radius * radius - d2, 0.0)), out=thickness)
    if shape.shell is not None:
        outer, wall = shape.shell
        r2 = ys * ys + xs * xs
        shell = 2.0 * (np.sqrt(np.maximum(outer**2 - r2, 0.0)) - np.sqrt(np.maximum((outer - wall) ** 2 - r2, 0.0)))
        np.maximum(thickness, shell, out=thickness)
    return thickness


@dataclass(frozen=True)
class Stamp:
    """A rasterised calcification: path length on a square patch centred on pixel (half, half)."""

    thickness_mm: np.ndarray  # float32, (2 half + 1, 2 half + 1)
    half: int
    area_mm2: float  # continuous area, from 4x supersampling

    @property
    def footprint(self) -> np.ndarray:
        return self.thickness_mm > 0


def rasterize(shape: CalcificationShape, spacing_mm: float) -> Stamp:
    """Rasterise ``shape`` at pixel centres of a grid with ``spacing_mm``; its origin falls on the centre pixel."""
    half = int(math.ceil(shape.extent_mm / 2.0 / spacing_mm)) + 1
    axis = np.arange(-half, half + 1) * spacing_mm
    thickness = chord_thickness(shape, axis[:, None], axis[None, :]).astype(np.float32)
    fine = (np.arange(-4 * half - 2, 4 * half + 2) + 0.5) * (spacing_mm / 4.0)
    area = float(np.count_nonzero(chord_thickness(shape, fine[:, None], fine[None, :]))) * (spacing_mm / 4.0) ** 2
    return Stamp(thickness, half, area)


@dataclass
class Canvas:
    """The image being drawn into and its ground truth, updated in place.

    Attributes
    ----------
    signal : np.ndarray, float32, (rows, columns)
        Attenuation (synthetic background) or stored intensity (real background).
    instances : np.ndarray, int32, (rows, columns)
        Instance label map; 0 where free.
    allowed : np.ndarray, bool, (rows, columns)
        Where calcification pixels may lie (inside the breast).
    contrast_per_mm : callable (row, col) -> float
        Signal added per mm of pure calcium path at that pixel.
    spacing_mm, blur_sigma_px : float
    """

    signal: np.ndarray
    instances: np.ndarray
    allowed: np.ndarray
    contrast_per_mm: Callable[[int, int], float]
    spacing_mm: float
    blur_sigma_px: float

    def claim(self, stamp: Stamp, center: tuple[int, int], instance_id: int) -> bool:
        """Write ``instance_id`` under the stamp's footprint if it fits: inside the image and ``allowed``, and not
        touching another instance (one free pixel around it, so instances stay separate objects)."""
        r0, c0 = center[0] - stamp.half - 1, center[1] - stamp.half - 1
        size = 2 * stamp.half + 3
        if r0 < 0 or c0 < 0 or r0 + size > self.signal.shape[0] or c0 + size > self.signal.shape[1]:
            return False
        window = (slice(r0, r0 + size), slice(c0, c0 + size))
        footprint = np.pad(stamp.footprint, 1)
        grown = ndimage.binary_dilation(footprint, structure=np.ones((3, 3), bool))
        if (self.instances[window][grown] != 0).any() or not self.allowed[window][footprint].all():
            return False
        self.instances[window][footprint] = instance_id
        return True

    def release(self, stamp: Stamp, center: tuple[int, int]) -> None:
        """Undo :meth:`claim` (used when a cluster cannot be completed)."""
        r0, c0 = center[0] - stamp.half, center[1] - stamp.half
        size = 2 * stamp.half + 1
        self.instances[r0 : r0 + size, c0 : c0 + size][stamp.footprint] = 0

    def paint(self, stamp: Stamp, center: tuple[int, int], density: float) -> None:
        """Add the stamp's blurred calcium contrast to ``signal`` around ``center``."""
        margin = int(math.ceil(3.0 * self.blur_sigma_px)) + 1
        delta = np.pad(stamp.thickness_mm, margin) * np.float32(density * self.contrast_per_mm(*center))
        if self.blur_sigma_px > 0:
            delta = ndimage.gaussian_filter(delta, self.blur_sigma_px, truncate=3.0)
        r0, c0 = center[0] - stamp.half - margin, center[1] - stamp.half - margin
        rs, cs = max(r0, 0), max(c0, 0)
        re = min(r0 + delta.shape[0], self.signal.shape[0])
        ce = min(c0 + delta.shape[1], self.signal.shape[1])
        self.signal[rs:re, cs:ce] += delta[rs - r0 : re - r0, cs - c0 : ce - c0]
