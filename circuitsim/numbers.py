"""How numbers are written into netlists.

SPICE reads unit suffixes case-insensitively (``1M`` is one milli, ``2A`` is
two atto), so every number circuitsim writes is a plain ``%.15g`` float.
"""

from __future__ import annotations

import math
from numbers import Real


def spice_number(value: float, name: str = "value") -> str:
    """Format a number for a netlist: ``%.15g``, no unit suffix.

    Parameters
    ----------
    value
        A finite real number.
    name
        What the number is (used in the error message).

    Raises
    ------
    ValueError
        If ``value`` is not a finite real number.
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        try:
            value = float(value)  # numpy scalars, strings of plain numbers
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a real number, got {value!r}") from None
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return "%.15g" % value
