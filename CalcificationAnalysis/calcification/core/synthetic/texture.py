"""Power-law random fields: the statistical model of fibroglandular texture.

Mammographic parenchyma has a power spectrum P(f) ~ 1/f^beta with beta about 3 (Burgess, Jacobson and Judy,
Med. Phys. 28(4):419-437, 2001; Heine and Velthuizen 2002). Fields are drawn in the Fourier domain on a coarse grid
(beta = 3 leaves almost no power at fine scales, so nothing is lost) and warped so that structures run towards the
nipple, as ducts and their stroma do.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def power_law_field(shape: tuple[int, int], beta: float, rng: np.random.Generator, stretch: float = 1.0) -> np.ndarray:
    """Draw a zero-mean, unit-variance periodic random field with power spectrum ~ 1/|k|^beta.

    Parameters
    ----------
    shape : (int, int)
        Field size (rows, columns) in grid cells.
    beta : float
        Spectral exponent (about 3 for breast tissue).
    rng : numpy.random.Generator
        Source of randomness (seeded by the caller).
    stretch : float
        Anisotropy: structures are ``stretch`` times longer along axis 0 than along axis 1.

    Returns
    -------
    np.ndarray, float32, shape ``shape``
        The field, periodic in both axes (so it can be sampled with wrap-around).
    """
    rows, cols = shape
    ky = np.fft.fftfreq(rows)[:, None] * stretch
    kx = np.fft.rfftfreq(cols)[None, :]
    k2 = ky * ky + kx * kx
    k2[0, 0] = np.inf  # no DC term: the field has zero mean
    amplitude = k2 ** (-beta / 4.0)
    spectrum = (rng.standard_normal(k2.shape) + 1j * rng.standard_normal(k2.shape)) * amplitude
    field = np.fft.irfft2(spectrum, s=shape)
    field -= field.mean()
    field /= field.std() + 1e-12
    return field.astype(np.float32)


def radial_texture(
    shape: tuple[int, int],
    cell_mm: float,
    nipple_rc: tuple[float, float],
    axis_angle: float,
    beta: float,
    rng: np.random.Generator,
    stretch: float = 3.0,
) -> np.ndarray:
    """A power-law field whose structures are elongated along lines converging to the nipple.

    The field is drawn in (distance to nipple, arc length) coordinates and resampled onto the image grid, which gives
    the radiating, duct-following anisotropy of real parenchyma.

    Parameters
    ----------
    shape : (int, int)
        Output grid (rows, columns).
    cell_mm : float
        Size of one grid cell in mm.
    nipple_rc : (float, float)
        Nipple position in grid cells (may lie outside the grid).
    axis_angle : float
        Direction from the nipple into the breast, radians (``atan2(d_row, d_col)``); the angular seam of the polar
        coordinates is put opposite to it, outside the breast.
    beta, rng, stretch
        As in :func:`power_law_field`.

    Returns
    -------
    np.ndarray, float32, shape ``shape``, zero mean and unit variance over the field.
    """
    source = power_law_field((256, 512), beta, rng, stretch=stretch)
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    dy, dx = rows - nipple_rc[0], cols - nipple_rc[1]
    rho = np.hypot(dy, dx)
    phi = np.angle(np.exp(1j * (np.arctan2(dy, dx) - axis_angle)))
    # arcs are measured at (rho + 40 mm): structures narrow towards the nipple without collapsing onto it
    arc = phi * (rho + 40.0 / cell_mm)
    coords = np.stack([rho * 0.5, arc * 0.5])  # source cells are two grid cells wide
    out = ndimage.map_coordinates(source, coords, order=1, mode="grid-wrap")
    return ((out - out.mean()) / (out.std() + 1e-12)).astype(np.float32)


def lobule_network(shape: tuple[int, int], cell_mm: float, rng: np.random.Generator, lobule_mm: float = 4.0):
    """Fat lobules and the fibrous septa around them, as a cellular (Worley F2 - F1) pattern.

    Real parenchyma is not only a Gaussian field: fat lobules of a few millimetres are wrapped in thin septa (the
    trabecular network of Cooper's ligaments), visible in fatty breasts as fine bright arcs and in dense breasts as
    rounded dark holes (Bakic et al., Med. Phys. 29(9), 2002, model the breast from such compartments).

    Parameters
    ----------
    shape : (int, int)
        Grid size (rows, columns).
    cell_mm : float
        Grid cell size in mm.
    rng : numpy.random.Generator
    lobule_mm : float
        Typical lobule diameter in mm.

    Returns
    -------
    np.ndarray, float32, shape ``shape``, values in [0, 1]: 1 on a septum, falling to 0 inside a lobule.
    """
    from scipy.spatial import cKDTree

    coarse = 2  # the septa are drawn on a grid twice as coarse and interpolated: lobules are millimetres wide
    small = (-(-shape[0] // coarse), -(-shape[1] // coarse))
    spacing = lobule_mm / (cell_mm * coarse)
    n_seeds = max(int(small[0] * small[1] / spacing**2), 4)
    seeds = rng.uniform((0, 0), small, size=(n_seeds, 2))
    grid = np.mgrid[0 : small[0], 0 : small[1]].astype(np.float64)
    # a smooth domain warp bends the straight Voronoi walls into the curved septa seen on mammograms
    for axis in range(2):
        grid[axis] += 0.35 * spacing * power_law_field(small, 3.5, rng)
    distances, _ = cKDTree(seeds).query(grid.reshape(2, -1).T, k=2)
    gap = ((distances[:, 1] - distances[:, 0]) / spacing).reshape(small)
    # only some septa are seen edge-on and dense enough to show: modulate by a positive random field
    visibility = np.clip(0.5 + 0.5 * power_law_field(small, 2.5, rng), 0.0, 1.0)
    septa = np.exp(-((gap / 0.09) ** 2)) * visibility
    zoomed = ndimage.zoom(septa.astype(np.float32), coarse, order=1, grid_mode=True, mode="nearest")
    return zoomed[: shape[0], : shape[1]]
