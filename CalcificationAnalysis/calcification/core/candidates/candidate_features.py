"""What the false-positive filter knows about each Hessian-DoG candidate: numbers in mm or in units of the local
noise, so the same calcification gives the same features at any input pixel size (all are measured on the working
grid, :mod:`.working_grid`).

After Marasinou et al. 2023 (a learned second stage on Hessian-DoG candidates), with features chosen for what
tells a calcification from film grain, quantum noise, vessels and edges on real mammograms:

- the candidate itself: scale, area, contrast, DoG response, and both in units of the local noise;
- its shape: Hessian eigenvalue ratio at a calcification scale (1 = round blob, 0 = line) and curvature strength;
- its surroundings: Hessian line-ness at a vessel scale (a bright tubular structure under the candidate), local
  tissue brightness and texture, depth inside the breast;
- its profile: how fast brightness falls from the peak at 0.14 and 0.28 mm, and whether it is the brightest thing
  in the 0.35-0.7 mm annulus around it;
- context: how many candidates lie within 1 and 3 mm, how it stands out against its neighbours, and how many
  candidates the image has per cm² (film grain raises every image's count).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from ..detection.hdog import Candidate
from .working_grid import block_mean

#: Column order of :func:`candidate_features`.
FEATURE_NAMES = (
    "sigma_mm",
    "area_mm2",
    "contrast",
    "dog_response",
    "contrast_to_noise",
    "dog_to_noise",
    "peak_to_noise",
    "blob_ratio_fine",
    "curvature_fine_to_noise",
    "line_ratio_vessel",
    "curvature_vessel_to_noise",
    "tissue_level",
    "tissue_texture",
    "depth_mm",
    "neighbours_1mm",
    "neighbours_3mm",
    "contrast_to_neighbours",
    "candidates_per_cm2",
    "profile_drop_near",
    "profile_drop_far",
    "peak_dominance",
)

#: Scales (mm) of the noise high-pass, the noise average, the calcification and vessel Hessians, and the tissue.
NOISE_HIGHPASS_MM = 0.1
NOISE_WINDOW_MM = 2.0
FINE_SCALE_MM = 0.12
VESSEL_SCALE_MM = 0.35
TISSUE_SCALE_MM = 3.0
DEPTH_CAP_MM = 30.0
#: Radii (mm) of the rings of the radial profile, and of the annulus the peak is compared with.
PROFILE_NEAR_MM = 0.14
PROFILE_FAR_MM = 0.28
DOMINANCE_RING_MM = (0.35, 0.7)
#: Wide-scale maps (noise, tissue, depth) are computed on blocks of about this size (mm).
COARSE_GRID_MM = 0.5


def hessian_parts(image: np.ndarray, sigma_px: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Second derivatives (h_rr, h_cc, h_rc) of ``image`` at Gaussian scale ``sigma_px`` (derivative filters)."""
    return tuple(ndimage.gaussian_filter(image, sigma_px, order=order) for order in ((2, 0), (0, 2), (1, 1)))


def hessian_eigenvalues(h_rr, h_cc, h_rc) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (l1 <= l2) of the 2 x 2 Hessian; a bright blob or ridge has l1 << 0."""
    half_trace, root = 0.5 * (h_rr + h_cc), np.sqrt(0.25 * (h_rr - h_cc) ** 2 + h_rc**2)
    return half_trace - root, half_trace + root


def _eigenvalues_at(image: np.ndarray, sigma_px: float, rows, cols):
    """Scale-normalised Hessian eigenvalues (l1 <= l2) at the given pixels."""
    small, large = hessian_eigenvalues(*(part[rows, cols] for part in hessian_parts(image, sigma_px)))
    scale = sigma_px * sigma_px
    return small * scale, large * scale


def _ratio(small: np.ndarray, large: np.ndarray) -> np.ndarray:
    """small / large where large is a bright-structure curvature (negative); 0 where it is not."""
    out = np.zeros_like(large)
    bright = large < 0
    out[bright] = np.clip(small[bright] / large[bright], -1.0, 1.0)
    return out


def _ring_mean(image: np.ndarray, rows, cols, radius_px: float) -> np.ndarray:
    """Mean of ``image`` on a circle of ``radius_px`` around each point (16 samples, linear interpolation)."""
    angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    r = rows[:, None] + radius_px * np.sin(angles)[None, :]
    c = cols[:, None] + radius_px * np.cos(angles)[None, :]
    return ndimage.map_coordinates(image, [r.ravel(), c.ravel()], order=1, mode="nearest").reshape(r.shape).mean(1)


def _annulus_max(image: np.ndarray, rows, cols, radii_px: tuple[float, float]) -> np.ndarray:
    """Brightest value on the annulus between ``radii_px`` around each point (sampled on 4 circles x 24 angles): a
    real calcification is the brightest thing in its surround, film grain has brighter neighbours."""
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    radius = np.linspace(radii_px[0], radii_px[1], 4)
    dr = (radius[:, None] * np.sin(angles)[None, :]).ravel()
    dc = (radius[:, None] * np.cos(angles)[None, :]).ravel()
    r, c = rows[:, None] + dr[None, :], cols[:, None] + dc[None, :]
    return ndimage.map_coordinates(image, [r.ravel(), c.ravel()], order=1, mode="nearest").reshape(r.shape).max(1)


def _neighbourhood(points_mm: np.ndarray, contrast: np.ndarray):
    """Candidates within 1 and 3 mm (self excluded) and contrast over the neighbours' median contrast within 3 mm."""
    tree = cKDTree(points_mm)
    near = np.array([len(n) - 1 for n in tree.query_ball_point(points_mm, 1.0)], np.float32)
    around = tree.query_ball_point(points_mm, 3.0)
    far = np.array([len(n) - 1 for n in around], np.float32)
    relative = np.array([c / max(np.median(contrast[n]), 1e-4) for c, n in zip(contrast, around, strict=True)])
    return near, far, relative.astype(np.float32)


def candidate_features(
    image01: np.ndarray, spacing_mm: float, breast: np.ndarray, candidates: tuple[Candidate, ...]
) -> np.ndarray:
    """Feature table of ``candidates`` found on ``image01``.

    Parameters
    ----------
    image01 : np.ndarray, float32, (rows, cols)
        The working-grid image normalised to [0, 1] inside the breast (bright = dense).
    spacing_mm : float
        Its isotropic pixel spacing (the working spacing).
    breast : np.ndarray of bool, same shape
        The searched region.
    candidates : tuple of Candidate
        As :func:`~calcification.core.detection.hdog.detect_candidates` returns them, rows/cols on this grid.

    Returns
    -------
    np.ndarray, float32, shape (len(candidates), len(FEATURE_NAMES))
    """
    n = len(candidates)
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)), np.float32)
    image = np.asarray(image01, np.float32)
    rows = np.clip(np.round([c.row for c in candidates]).astype(int), 0, image.shape[0] - 1)
    cols = np.clip(np.round([c.col for c in candidates]).astype(int), 0, image.shape[1] - 1)
    px = lambda mm: mm / spacing_mm  # noqa: E731 - mm to pixels on this grid
    factor = max(1, int(round(COARSE_GRID_MM / spacing_mm)))
    coarse_rows, coarse_cols = rows // factor, cols // factor
    coarse_px = lambda mm: mm / (spacing_mm * factor)  # noqa: E731
    highpass = image - ndimage.gaussian_filter(image, px(NOISE_HIGHPASS_MM))
    noise_power = ndimage.gaussian_filter(block_mean(highpass * highpass, factor), coarse_px(NOISE_WINDOW_MM))
    noise = np.sqrt(noise_power[coarse_rows, coarse_cols]) + 1e-4
    coarse = block_mean(image, factor)
    tissue_map = ndimage.gaussian_filter(coarse, coarse_px(TISSUE_SCALE_MM))
    tissue = tissue_map[coarse_rows, coarse_cols]
    power = ndimage.gaussian_filter(block_mean(image * image, factor), coarse_px(TISSUE_SCALE_MM))
    texture = np.sqrt(np.maximum(power[coarse_rows, coarse_cols] - tissue**2, 0))
    fine_1, fine_2 = _eigenvalues_at(image, px(FINE_SCALE_MM), rows, cols)
    vessel_1, vessel_2 = _eigenvalues_at(image, px(VESSEL_SCALE_MM), rows, cols)
    inside = block_mean(breast.astype(np.float32), factor) > 0.5
    depth = np.minimum(
        ndimage.distance_transform_edt(inside)[coarse_rows, coarse_cols] * spacing_mm * factor, DEPTH_CAP_MM
    )
    contrast = np.array([c.contrast for c in candidates], np.float32)
    dog = np.array([c.dog_response for c in candidates], np.float32)
    points = np.column_stack([rows, cols]).astype(np.float32) * spacing_mm
    near, far, relative = _neighbourhood(points, contrast)
    peak = image[rows, cols]
    near_ring = _ring_mean(image, rows, cols, px(PROFILE_NEAR_MM))
    far_ring = _ring_mean(image, rows, cols, px(PROFILE_FAR_MM))
    around = _annulus_max(image, rows, cols, (px(DOMINANCE_RING_MM[0]), px(DOMINANCE_RING_MM[1])))
    breast_cm2 = max(float(np.count_nonzero(breast)) * spacing_mm * spacing_mm / 100.0, 1e-3)
    columns = [
        [c.sigma_mm for c in candidates],
        [c.area_mm2 for c in candidates],
        contrast,
        dog,
        contrast / noise,
        dog / noise,
        (image[rows, cols] - tissue) / noise,
        _ratio(fine_2, fine_1),
        -fine_1 / noise,
        1.0 - _ratio(vessel_2, vessel_1),
        -vessel_1 / noise,
        tissue,
        texture,
        depth,
        near,
        far,
        relative,
        np.full(n, n / breast_cm2),
        (peak - near_ring) / noise,
        (peak - far_ring) / noise,
        (peak - around) / noise,
    ]
    return np.column_stack([np.asarray(col, np.float32) for col in columns])
