"""Passive (1R) crossbar netlists in the default topology of design.md.

Row i is driven at its column-0 end: ``V[i] -> R_source -> row node (i,0)``;
row nodes ``(i,j)-(i,j+1)`` are joined by ``R_row``; cell ``(i,j)`` (a
conductance ``G[i,j]``) sits between row node ``(i,j)`` and column node
``(i,j)``; column nodes ``(i,j)-(i+1,j)`` are joined by ``R_col``; column node
``(M-1,j) -> R_sense ->`` a sense node held at 0 V by a voltage source
``VS<j>``, whose branch current ``i(vs<j>)`` is the column current (positive
into the sense node).

The text is built with numpy string operations, not a Python loop per element,
so that a 1024 x 1024 array stays fast.  (The crossbar issue extends this
module with nonlinear cells, 1T1R/1S1R, and bias schemes.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from circuitsim.numbers import spice_number


@dataclass(frozen=True)
class CrossbarSpec:
    """A passive crossbar with wire resistance.

    Attributes
    ----------
    conductance
        Cell conductances (S), shape (rows, columns), all finite and > 0.
    voltages
        Driver voltage per row (V), shape (rows,).
    r_row, r_col
        Wire resistance of each row / column segment (ohm, > 0).
    r_source, r_sense
        Driver and sense resistance (ohm, > 0).
    """

    conductance: np.ndarray
    voltages: np.ndarray
    r_row: float
    r_col: float
    r_source: float = 1e-3
    r_sense: float = 1e-3

    def __post_init__(self) -> None:
        g = np.asarray(self.conductance, dtype=float)
        v = np.asarray(self.voltages, dtype=float)
        if g.ndim != 2 or g.size == 0:
            raise ValueError(f"conductance must be a non-empty 2-D array (rows x columns), got shape {g.shape}")
        if not np.all(np.isfinite(g)) or np.any(g <= 0):
            bad = tuple(int(k) for k in np.argwhere(~(np.isfinite(g) & (g > 0)))[0])
            raise ValueError(f"conductance must be finite and > 0 everywhere; G{list(bad)} = {g[bad]!r}")
        if v.shape != (g.shape[0],):
            raise ValueError(f"voltages must have one value per row: shape ({g.shape[0]},), got {v.shape}")
        if not np.all(np.isfinite(v)):
            raise ValueError("voltages must be finite")
        for name in ("r_row", "r_col", "r_source", "r_sense"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be finite and > 0 ohm, got {value!r}")
        object.__setattr__(self, "conductance", g)
        object.__setattr__(self, "voltages", v)

    @property
    def shape(self) -> tuple:
        return self.conductance.shape


def _fmt(values: np.ndarray) -> np.ndarray:
    """Vectorised ``%.15g`` of an array (no unit suffixes)."""
    return np.char.mod("%.15g", np.asarray(values, dtype=float))


def _lines(prefix: str, names: np.ndarray, a: np.ndarray, b: np.ndarray, values: np.ndarray) -> List[str]:
    joined = np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(
        prefix, names), " "), a), " "), b), " "), values)
    return joined.ravel().tolist()


def crossbar_netlist(spec: CrossbarSpec, title: Optional[str] = None, analysis: Optional[str] = ".op",
                     save_currents_only: bool = True) -> str:
    """Netlist text of a passive crossbar.

    Parameters
    ----------
    spec
        The array.
    title
        First line of the deck.
    analysis
        Analysis line to include (``None`` for none).
    save_currents_only
        Add ``.save`` of the column currents only (a 1024 x 1024 array has two
        million node voltages; saving them all costs more than the solve).

    Returns
    -------
    str
        The deck, ending in ``.end``.
    """
    m, n = spec.shape
    i_idx, j_idx = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
    ij = np.char.add(np.char.add(i_idx.astype(str), "_"), j_idx.astype(str))
    row_nodes = np.char.add("r", ij)
    col_nodes = np.char.add("c", ij)
    rows = np.arange(m).astype(str)
    cols = np.arange(n).astype(str)
    out = [title or f"passive crossbar {m}x{n}: r_row={spice_number(spec.r_row)} r_col={spice_number(spec.r_col)}"]
    # drivers and source resistors
    out += _lines("V", np.char.add("in", rows), np.char.add("in", rows), np.full(m, "0"), _fmt(spec.voltages))
    out += _lines("R", np.char.add("src", rows), np.char.add("in", rows), row_nodes[:, 0],
                  np.full(m, spice_number(spec.r_source)))
    # cells
    out += _lines("R", np.char.add("g", ij), row_nodes, col_nodes, _fmt(1.0 / spec.conductance))
    # row and column wire segments
    if n > 1:
        out += _lines("R", np.char.add("row", ij[:, :-1]), row_nodes[:, :-1], row_nodes[:, 1:],
                      np.full((m, n - 1), spice_number(spec.r_row)))
    if m > 1:
        out += _lines("R", np.char.add("col", ij[:-1, :]), col_nodes[:-1, :], col_nodes[1:, :],
                      np.full((m - 1, n), spice_number(spec.r_col)))
    # sense resistors and the 0 V virtual grounds
    out += _lines("R", np.char.add("sense", cols), col_nodes[-1, :], np.char.add("s", cols),
                  np.full(n, spice_number(spec.r_sense)))
    out += _lines("V", np.char.add("s", cols), np.char.add("s", cols), np.full(n, "0"), np.full(n, "0"))
    if save_currents_only:
        saves = np.char.add(np.char.add("i(vs", cols), ")").tolist()
        for start in range(0, n, 64):
            out.append(".save " + " ".join(saves[start:start + 64]))
    if analysis:
        out.append(analysis)
    out.append(".end")
    return "\n".join(out) + "\n"


def column_currents(result, n_columns: int) -> np.ndarray:
    """Column currents (A, into each sense node) from a result of :func:`crossbar_netlist`, in column order."""
    return np.array([result.i(f"vs{j}")[0] for j in range(n_columns)])
