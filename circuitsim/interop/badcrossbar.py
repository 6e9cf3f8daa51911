"""A drop-in for ``badcrossbar.compute`` on circuitsim's crossbar solver.

Users of `badcrossbar <https://github.com/joksas/badcrossbar>`_ switch in one line::

    # import badcrossbar
    from circuitsim.interop import badcrossbar

    solution = badcrossbar.compute(applied_voltages, resistances, r_i=0.5)
    solution.currents.output           # (p, n)
    solution.currents.device           # (m, n), or (m, n, p) for p > 1
    solution.currents.word_line        # current in each word-line segment
    solution.currents.bit_line         # current in each bit-line segment
    solution.voltages.word_line        # word-line node voltages
    solution.voltages.bit_line         # bit-line node voltages

The circuit is badcrossbar's, mapped onto :class:`~circuitsim.crossbar.CrossbarSpec`:

* ``m`` word lines (rows) and ``n`` bit lines (columns); device ``(i, j)`` joins word-line node
  ``(i, j)`` and bit-line node ``(i, j)``; its current flows from the word line to the bit line;
* word line ``i`` is driven by ``applied_voltages[i]`` at its left end (column 0) through one
  segment of ``r_i_word_line``; segment ``j`` of a word line is the one *entering* node ``(i, j)``
  from the left (segment 0 comes from the source), positive left to right (away from the source):
  ``CrossbarSpec.r_source = r_row = r_i_word_line``;
* bit line ``j`` is read at its bottom end (row ``m - 1``) into a grounded output through one
  segment of ``r_i_bit_line``; segment ``i`` of a bit line is the one *leaving* node ``(i, j)``
  downwards (segment ``m - 1`` goes to the output), positive downwards (towards the output):
  ``CrossbarSpec.r_col = r_sense = r_i_bit_line``;
* ``currents.output`` is the current into each output, shape ``(p, n)`` (one row per example);
  every other array is ``(m, n)`` for one example and ``(m, n, p)`` for ``p`` examples.

Segment currents follow from the device currents by Kirchhoff's current law (a word-line segment
carries the currents of every device to its right, a bit-line segment those of every device
above it), which also holds for ideal (0 ohm) wires.

Differences from badcrossbar: a device of exactly 0 ohm is refused (the solver takes conductances;
use a small resistance); a device of ``numpy.inf`` ohm (absent) is solved as a conductance 1e-30
times the smallest other one and reported with exactly zero current; an insulating wire
(``r_i = numpy.inf``, on either line) gives zero currents and no node voltages, as badcrossbar does
when both are insulating.  Nothing is logged.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Optional, Tuple

import numpy as np

__all__ = ["Currents", "Solution", "Voltages", "compute", "crossbar_spec"]

#: what :func:`compute` returns: ``currents`` (:data:`Currents`) and ``voltages`` (:data:`Voltages`)
Solution = namedtuple("Solution", ["currents", "voltages"])
#: output currents ``(p, n)``; device, word-line and bit-line segment currents ``(m, n[, p])``
Currents = namedtuple("Currents", ["output", "device", "word_line", "bit_line"])
#: word-line and bit-line node voltages ``(m, n[, p])``
Voltages = namedtuple("Voltages", ["word_line", "bit_line"])

#: an absent device (``inf`` ohm) is solved as this fraction of the smallest present conductance
OPEN_DEVICE_FRACTION = 1e-30


def _wire(name: str, value: Any) -> float:
    if value is None:
        raise TypeError(f"{name} is required (or give r_i for both lines)")
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number of ohms, got {value!r}")
    r = float(value)
    if not r >= 0:
        raise ValueError(f"{name} must be >= 0 ohm, got {r!r}")
    return r


def _inputs(applied_voltages: Any, resistances: Any) -> Tuple[np.ndarray, np.ndarray]:
    r = np.asarray(resistances, dtype=float)
    v = np.asarray(applied_voltages, dtype=float)
    if r.ndim != 2 or r.size == 0:
        raise ValueError(f"resistances must be a non-empty (m, n) array of ohms, got shape {r.shape}")
    if v.ndim == 1:
        v = v[:, None]
    if v.ndim != 2 or v.shape[1] == 0:
        raise ValueError(f"applied_voltages must be an (m, p) array of volts (p examples), got shape {v.shape}")
    if v.shape[0] != r.shape[0]:
        raise ValueError(f"applied_voltages has {v.shape[0]} rows but resistances has {r.shape[0]} word lines: "
                         f"both need one row per word line (applied_voltages is (m, p), resistances (m, n))")
    if not np.all(np.isfinite(v)):
        raise ValueError("applied_voltages must be finite")
    if np.isnan(r).any() or (r < 0).any():
        raise ValueError("resistances must be >= 0 ohm (numpy.inf for an absent device)")
    if (r == 0).any():
        i, j = (int(k) for k in np.argwhere(r == 0)[0])
        raise ValueError(f"resistances[{i}, {j}] is 0 ohm: circuitsim's solver takes conductances, so a "
                         f"short-circuited device is not supported; use a small resistance instead")
    return v, r


def crossbar_spec(applied_voltages: Any, resistances: Any, r_i: Optional[float] = None,
                  r_i_word_line: Optional[float] = None, r_i_bit_line: Optional[float] = None) -> Any:
    """The :class:`~circuitsim.crossbar.CrossbarSpec` of a badcrossbar problem (finite wires).

    Takes :func:`compute`'s arguments; the spec's ``voltages`` are ``applied_voltages.T``
    (``(p, m)``: circuitsim stacks input vectors along the first axis) and absent devices get a
    negligible conductance (see the module documentation).  Use it to run the same array through
    the rest of circuitsim (ngspice decks, IR-drop reports, other cells).
    """
    from circuitsim.crossbar import CrossbarSpec

    if r_i is not None:
        r_i_word_line = r_i_bit_line = r_i
    r_word = _wire("r_i_word_line" if r_i is None else "r_i", r_i_word_line)
    r_bit = _wire("r_i_bit_line" if r_i is None else "r_i", r_i_bit_line)
    if not (np.isfinite(r_word) and np.isfinite(r_bit)):
        raise ValueError("an insulating interconnect (r_i = inf) has no crossbar spec: nothing flows")
    v, r = _inputs(applied_voltages, resistances)
    with np.errstate(divide="ignore"):
        g = 1.0 / r
    present = g > 0
    if not present.all():
        floor = g[present].min() * OPEN_DEVICE_FRACTION if present.any() else OPEN_DEVICE_FRACTION
        g = np.where(present, g, floor)
    voltages = v[:, 0] if v.shape[1] == 1 else v.T
    return CrossbarSpec(conductance=g, voltages=voltages, r_row=r_word, r_col=r_bit,
                        r_source=r_word, r_sense=r_bit)


def compute(applied_voltages: Any, resistances: Any, r_i: Optional[float] = None,
            r_i_word_line: Optional[float] = None, r_i_bit_line: Optional[float] = None, *,
            node_voltages: bool = True, all_currents: bool = True, method: str = "auto") -> Solution:
    """Branch currents and node voltages of a crossbar, as ``badcrossbar.compute`` returns them.

    Parameters
    ----------
    applied_voltages
        Voltages applied to the word lines, shape ``(m, p)``: ``m`` word lines, ``p`` examples
        (solved against one factorisation).  A 1-D ``(m,)`` array is taken as one example.
    resistances
        Device resistances (ohm), shape ``(m, n)``; ``numpy.inf`` for an absent device.
    r_i
        Resistance of every word-line and bit-line segment (ohm); when ``None``,
        ``r_i_word_line`` and ``r_i_bit_line`` are used.
    r_i_word_line, r_i_bit_line
        Resistance of each word-line / bit-line segment (ohm); 0 is an ideal wire.
    node_voltages
        When false, ``voltages`` is ``None``.
    all_currents
        When false, only ``currents.output`` is computed; the other currents are ``None``.
    method
        :func:`~circuitsim.crossbar.solve_crossbar`'s method: ``"auto"``, ``"direct"`` or ``"pcg"``.

    Returns
    -------
    Solution
        ``currents`` (:data:`Currents`: ``output`` ``(p, n)``; ``device``, ``word_line``,
        ``bit_line`` ``(m, n)``, or ``(m, n, p)`` when ``p > 1``) and ``voltages``
        (:data:`Voltages`: ``word_line``, ``bit_line``, same shapes), with badcrossbar's meaning
        and signs (see the module documentation).

    Raises
    ------
    ValueError
        Shapes that do not match, negative or NaN resistances, a 0 ohm device.
    TypeError
        A missing or non-numeric interconnect resistance.
    """
    from circuitsim.crossbar import solve_crossbar

    if r_i is not None:
        r_i_word_line = r_i_bit_line = r_i
    r_word = _wire("r_i_word_line" if r_i is None else "r_i", r_i_word_line)
    r_bit = _wire("r_i_bit_line" if r_i is None else "r_i", r_i_bit_line)
    v, r = _inputs(applied_voltages, resistances)
    m, n = r.shape
    p = v.shape[1]

    def per_example(a: np.ndarray) -> np.ndarray:
        """(p, m, n) -> (m, n) for one example, (m, n, p) for several."""
        return a[0] if p == 1 else np.moveaxis(a, 0, -1)

    if not (np.isfinite(r_word) and np.isfinite(r_bit)):
        zeros = np.zeros((m, n) if p == 1 else (m, n, p))
        currents = Currents(np.zeros((p, n)), *((zeros.copy() for _ in range(3)) if all_currents else (None,) * 3))
        return Solution(currents, Voltages(None, None))

    spec = crossbar_spec(v, r, r_i_word_line=r_word, r_i_bit_line=r_bit)
    solution = solve_crossbar(spec, method=method, keep_voltages=True)
    word_v = solution.row_node_voltages.reshape(p, m, n)
    bit_v = solution.column_node_voltages.reshape(p, m, n)
    with np.errstate(invalid="ignore"):
        device = (word_v - bit_v) / r               # an absent device (inf ohm) carries exactly 0
    # Kirchhoff: word-line segment j feeds devices j..n-1; bit-line segment i collects devices 0..i.
    bit_line = np.cumsum(device, axis=1)
    output = bit_line[:, -1, :]                       # (p, n): what reaches each output
    if all_currents:
        word_line = np.cumsum(device[:, :, ::-1], axis=2)[:, :, ::-1]
        currents = Currents(output, per_example(device), per_example(word_line), per_example(bit_line))
    else:
        currents = Currents(output, None, None, None)
    voltages = Voltages(per_example(word_v), per_example(bit_v)) if node_voltages else None
    return Solution(currents, voltages)
