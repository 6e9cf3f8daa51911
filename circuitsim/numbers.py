"""How numbers are written into netlists.

SPICE reads unit suffixes case-insensitively (``1M`` is one milli, ``2A`` is
two atto), so every number circuitsim writes is a plain ``%.15g`` float.
"""

from __future__ import annotations

import math
import re
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


_PREFIX = {"T": 1e12, "G": 1e9, "Meg": 1e6, "M": 1e6, "k": 1e3, "m": 1e-3, "u": 1e-6, "µ": 1e-6, "n": 1e-9,
           "p": 1e-12, "f": 1e-15, "a": 1e-18, "": 1.0}
_UNITS = "V|A|Ohm|Ω|F|H|s|Hz|W|C|S|Degree|°C|degC|rad"
_UNIT_VALUE = re.compile(r"(?<![\w.])([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Meg|[TGMkmunpfaµ]?)(" + _UNITS
                         + r")(?![\w])")


def plain_numbers(line: str) -> str:
    """Rewrite PySpice unit-suffixed numbers (``2A``, ``1kOhm``, ``1MegOhm``, ``10uF``) as ``%.15g``.

    PySpice's own prefixes are SI (``M`` is mega), unlike SPICE's (``M`` is milli).
    """
    def replace(match: "re.Match[str]") -> str:
        return spice_number(float(match.group(1)) * _PREFIX[match.group(2)])

    return _UNIT_VALUE.sub(replace, line)
