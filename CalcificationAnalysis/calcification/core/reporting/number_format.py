"""Numbers as a person reads them in the report: no exponents, intensities and pixel positions as integers, mm and
ratios to two decimals, missing values as a dash. The CSV files keep every digit; this is for the page only."""

from __future__ import annotations

import math

#: Shown for a value that does not exist (NaN, None): a shape measure of a 1-2 pixel object, an empty surround.
MISSING = "—"

#: Units whose values are shown as whole numbers (grey levels, pixel indices, counts).
INTEGER_UNITS = frozenset({"grey", "px", "count"})


def format_for_people(value, unit: str = "") -> str:
    """``value`` as text for a table cell.

    Parameters
    ----------
    value : int, float, str, bool or None
    unit : str
        The column's unit: ``"grey"``, ``"px"`` and ``"count"`` give integers; anything else two decimals for
        floats (two significant digits below 0.01, so 0.0046 mm² is not shown as 0.00). Python ints stay whole.

    Returns
    -------
    str
        Never in exponent notation; :data:`MISSING` for None and NaN.
    """
    if value is None:
        return MISSING
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return str(value)
    number = float(value)
    if not math.isfinite(number):
        return MISSING
    if unit in INTEGER_UNITS:
        return str(int(round(number)))
    if number == 0 or abs(number) >= 0.01:
        return f"{number:.2f}"
    digits = 1 - int(math.floor(math.log10(abs(number))))  # two significant digits
    return f"{number:.{digits}f}"


def sort_key(value) -> str:
    """The value a sortable column sorts by (``data-v`` attribute): the full number, or the text."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(float(value)) if math.isfinite(float(value)) else ""
    return str(value)
