"""PNG figures of a segmentation evaluation: the FROC curve and the per-image Dice bars.

matplotlib is imported inside each function with the Agg backend (no display, no Qt), so importing this module costs
nothing and works inside Slicer and on headless machines. Files are written to a temporary name and renamed, so a
figure is either complete or absent.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Union

import numpy as np

from ..atomic_files import replaced_when_done
from ..errors import InputError
from .froc import REPORTED_FP_PER_CM2, FrocCurve, sensitivity_at


def _new_figure(size_inches: tuple[float, float]):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    # A bare Figure (not pyplot) keeps no global state, so figures are freed and threads do not collide.
    return Figure(figsize=size_inches, dpi=100)


def _save(figure, path: Union[str, Path]) -> Path:
    with replaced_when_done(path) as temporary:
        figure.savefig(temporary, format="png")
    return Path(path)


def plot_froc(
    curve: FrocCurve,
    path: Union[str, Path],
    title: str = "FROC",
    max_fp_per_cm2: float = 1.0,
    marks: Sequence[float] = REPORTED_FP_PER_CM2,
) -> Path:
    """Write the FROC step curve (sensitivity against FP/cm²) as a PNG, with the sensitivity read off at ``marks``.

    Parameters
    ----------
    curve : FrocCurve
    path : str or Path
        PNG file to write (its folder must exist).
    title : str
    max_fp_per_cm2 : float
        Right end of the x axis (at least the curve's last point is shown).
    marks : sequence of float
        FP/cm² values marked with their sensitivity.

    Returns
    -------
    Path
    """
    figure = _new_figure((6.0, 4.5))
    axes = figure.add_subplot()
    x_end = max(float(max_fp_per_cm2), float(curve.fp_per_cm2[-1]) * 1.05, 1e-3)
    x = np.r_[curve.fp_per_cm2, x_end]
    y = np.r_[curve.sensitivity, curve.sensitivity[-1]]
    axes.step(x, y, where="post", color="tab:blue", label=f"{curve.n_truth} calcifications")
    axes.plot(curve.fp_per_cm2[-1], curve.sensitivity[-1], "o", color="tab:blue", label="operating point")
    for fp, sensitivity in zip(marks, sensitivity_at(curve, marks), strict=True):
        axes.plot(fp, sensitivity, "s", color="tab:red")
        axes.annotate(f"{sensitivity:.2f}", (fp, sensitivity), textcoords="offset points", xytext=(4, -12))
    axes.set(xlim=(0, x_end), ylim=(0, 1.02), xlabel="False positives per cm² of breast", ylabel="Sensitivity")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    return _save(figure, path)


def plot_per_image_dice(names: Sequence[str], dice: Sequence[float], path: Union[str, Path], title: str = "") -> Path:
    """Write a bar chart of per-image Dice (one bar per image, their mean as a dashed line) as a PNG.

    Parameters
    ----------
    names : sequence of str
        Image names, shown on the x axis.
    dice : sequence of float
        Dice per image, in [0, 1].
    path : str or Path
    title : str

    Returns
    -------
    Path
    """
    if len(names) != len(dice) or not len(dice):
        raise InputError(f"Give one Dice value per image name ({len(names)} names, {len(dice)} values, at least 1).")
    figure = _new_figure((max(4.0, 0.35 * len(dice) + 2.0), 4.0))
    axes = figure.add_subplot()
    positions = np.arange(len(dice))
    axes.bar(positions, dice, color="tab:blue")
    axes.axhline(float(np.mean(dice)), color="tab:red", linestyle="--", label=f"mean {np.mean(dice):.3f}")
    axes.set_xticks(positions, list(names), rotation=90, fontsize=7)
    axes.set(ylim=(0, 1), ylabel="Dice")
    axes.set_title(title or "Dice per image")
    axes.legend(loc="lower right")
    figure.tight_layout()
    return _save(figure, path)
