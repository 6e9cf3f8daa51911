"""Crossbar netlists in the default topology of design.md, and its options.

Default topology ("Crossbar convention"): row i is driven at its column-0 end,
``V[i] -> R_source -> row node (i,0)``; row nodes ``(i,j)-(i,j+1)`` are joined
by ``R_row``; cell ``(i,j)`` (a conductance ``G[i,j]``) sits between row node
``(i,j)`` and column node ``(i,j)``; column nodes ``(i,j)-(i+1,j)`` are joined
by ``R_col``; column node ``(M-1,j) -> R_sense ->`` a sense node held at 0 V by
a voltage source ``VS<j>``, whose branch current ``i(vs<j>)`` is the column
current (positive into the sense node).

Options (keyword fields of :class:`CrossbarSpec`, all off by default):

``r_source`` / ``r_sense`` per line, ``numpy.inf`` = floating
    A floating row has no driver, a floating column no sense (their elements
    are left out of the deck; :func:`column_currents` gives 0 for them).
``column_voltages``
    The voltage each column's sense node is held at (0 V by default): the
    columns are then driven through ``R_sense`` (bias schemes).
``drive="both"``
    Each row is also driven at its column ``N-1`` end, through a second
    ``R_source`` (element ``Rsrcb<i>``) from the same source ``Vin<i>``.
``tia=TIA(gain, r_f)``
    A finite-gain transimpedance stage at each sense node instead of the
    ideal virtual ground: an ideal op-amp of open-loop gain ``A`` (voltage-
    controlled source ``Etia<j>``: ``V(o<j>) = A * (V_ref - V(s<j>))`` with
    ``V_ref`` the column's voltage, 0 by default) and ``R_f`` from ``o<j>`` to
    the inverting node ``s<j>``.  ``R_sense`` then ends at ``x<j>`` and a 0 V
    ammeter ``VS<j>`` from ``x<j>`` to ``s<j>`` keeps ``i(vs<j>)`` the current
    into the inverting node; the output voltage is ``v(o<j>)``
    (:func:`tia_outputs`).
``sources``
    :class:`LineSources`: the text of every row driver and column source
    after its nodes (``PWL(...)`` for programming pulses, ``external`` for
    sources set from Python in lock-step co-simulation) instead of the DC
    values; :mod:`circuitsim.netlists.programming` writes them.
``cell``
    A cell other than the linear conductance: a static nonlinear I-V
    (:class:`SinhSelector` for 1S1R, :class:`SinhMemristor`; B-sources in the
    deck, Newton in the fast solver), 1S1R with a threshold switch in series
    with the memory element (:class:`ThresholdSelector`, an internal node per
    cell), any catalogue device with its state per cell from an array
    (:class:`CatalogueCell`), or 1T1R (:class:`OneTransistorOneResistor`, a
    level-1 NMOS per cell with a word line per row; the fast solver reproduces
    ngspice's level-1 equations).

Bias schemes (:class:`BiasScheme`) and differential pairs
(:class:`DifferentialMapping`) are expressed with these options, so the same
spec feeds the netlist and the fast solver
(:func:`circuitsim.analysis.crossbar_solver.solve_crossbar`).

The text is built a row of the array at a time from per-row templates (one
``%`` formatting of a template per row), so a 1024 x 1024 array (3 million
elements) takes about a second.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

from circuitsim.numbers import spice_number

__all__ = [
    "BiasReadout",
    "BiasScheme",
    "CatalogueCell",
    "OneTransistorOneResistor",
    "CrossbarSpec",
    "LineSources",
    "DifferentialMapping",
    "TIA",
    "column_currents",
    "cell_readout",
    "crossbar_netlist",
    "differential_currents",
    "node_voltages",
    "SinhMemristor",
    "SinhSelector",
    "ThresholdSelector",
    "tia_outputs",
]

DRIVES = ("one", "both")
SCHEMES = ("floating", "v/2", "v/3")


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class TIA:
    """A finite-gain transimpedance amplifier at each sense node.

    An ideal op-amp (infinite input impedance, zero output impedance) of
    open-loop gain ``gain`` with feedback resistor ``r_f`` (ohm) from its
    output to the inverting input; the non-inverting input is at the column's
    voltage (0 V by default).

    Seen from the column, the inverting node is a conductance ``(1 + A) / R_f``
    to the reference: with ``v_o = A (u - v_s)`` and the column current
    ``I = (v_s - v_o) / R_f`` into the node, ``I = (1 + A)(v_s - A u/(1 + A)) / R_f``.
    """

    gain: float
    r_f: float

    def __post_init__(self) -> None:
        for name in ("gain", "r_f"):
            value = float(getattr(self, name))
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"TIA {name} must be finite and > 0, got {getattr(self, name)!r}")
            object.__setattr__(self, name, value)

    @property
    def input_resistance(self) -> float:
        """``R_f / (1 + A)`` (ohm): what the column sees at the inverting node."""
        return self.r_f / (1.0 + self.gain)

    def output(self, current: Any, reference: Any = 0.0) -> np.ndarray:
        """Output voltage (V) for the column current ``current`` (A) into the inverting node.

        ``v_o = A u / (1 + A) - I R_f A / (1 + A)``, with ``u`` the reference.
        """
        a = self.gain
        return (a * np.asarray(reference, dtype=float) - np.asarray(current, dtype=float) * self.r_f * a) / (1.0 + a)


@dataclass(frozen=True)
class BiasScheme:
    """Bias of the lines for reading / writing one cell, one row or the whole array.

    Selected rows are driven at ``v`` and selected columns at 0 V; the
    unselected lines are, by ``kind``:

    ``"floating"``
        left floating (no driver);
    ``"v/2"``
        unselected rows and columns at ``v/2`` (half-selected cells see
        ``v/2``, unselected cells 0);
    ``"v/3"``
        unselected rows at ``v/3``, unselected columns at ``2v/3`` (every
        unselected cell sees ``v/3`` in magnitude).

    Columns are driven through ``R_sense`` (their "sense" node is held at the
    column's voltage) rather than sensed at 0 V.  ``rows`` / ``columns`` are
    the selected lines (``None``: all of them).
    """

    kind: str
    v: float
    rows: Optional[Tuple[int, ...]] = None
    columns: Optional[Tuple[int, ...]] = None

    def __post_init__(self) -> None:
        kind = str(self.kind).lower()
        if kind not in SCHEMES:
            raise ValueError(f"unknown bias scheme {self.kind!r}; choose one of {SCHEMES}")
        object.__setattr__(self, "kind", kind)
        v = float(self.v)
        if not np.isfinite(v):
            raise ValueError(f"bias voltage must be finite, got {self.v!r}")
        object.__setattr__(self, "v", v)
        for name in ("rows", "columns"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(int(k) for k in np.atleast_1d(value)))

    @classmethod
    def cell(cls, kind: str, v: float, row: int, column: int) -> "BiasScheme":
        """Select one cell ``(row, column)``."""
        return cls(kind, v, (row,), (column,))

    @classmethod
    def row(cls, kind: str, v: float, row: int) -> "BiasScheme":
        """Select one row (every column selected)."""
        return cls(kind, v, (row,), None)

    @classmethod
    def array(cls, kind: str, v: float) -> "BiasScheme":
        """Select every cell."""
        return cls(kind, v, None, None)

    def selection(self, m: int, n: int) -> Tuple[np.ndarray, np.ndarray]:
        """Boolean masks of the selected rows (M,) and columns (N,)."""
        out = []
        for lines, size, what in ((self.rows, m, "row"), (self.columns, n, "column")):
            mask = np.zeros(size, dtype=bool)
            if lines is None:
                mask[:] = True
            else:
                for k in lines:
                    if not 0 <= k < size:
                        raise ValueError(f"selected {what} {k} is outside the array (0 ... {size - 1})")
                mask[list(lines)] = True
            out.append(mask)
        return out[0], out[1]

    def line_voltages(self, m: int, n: int) -> Dict[str, np.ndarray]:
        """Row and column voltages and which lines float.

        Returns ``{"rows": (M,), "columns": (N,), "row_floating": (M,), "column_floating": (N,)}``.
        """
        sr, sc = self.selection(m, n)
        v = self.v
        unsel_row, unsel_col = {"floating": (0.0, 0.0), "v/2": (v / 2, v / 2), "v/3": (v / 3, 2 * v / 3)}[self.kind]
        rows = np.where(sr, v, unsel_row)
        cols = np.where(sc, 0.0, unsel_col)
        floating = self.kind == "floating"
        return {"rows": rows, "columns": cols, "row_floating": ~sr if floating else np.zeros(m, dtype=bool),
                "column_floating": ~sc if floating else np.zeros(n, dtype=bool)}

    def ideal_cell_voltages(self, m: int, n: int) -> np.ndarray:
        """Cell voltages with ideal wires, drivers and senses (V), shape (M, N); NaN where a line floats."""
        lv = self.line_voltages(m, n)
        out = lv["rows"][:, None] - lv["columns"][None, :]
        out[lv["row_floating"], :] = np.nan
        out[:, lv["column_floating"]] = np.nan
        return out

    def masks(self, m: int, n: int) -> Dict[str, np.ndarray]:
        """Boolean (M, N) masks: ``selected`` cells (selected row and column), ``half_selected`` (one of
        them), ``unselected`` (neither)."""
        sr, sc = self.selection(m, n)
        return {"selected": sr[:, None] & sc[None, :], "half_selected": sr[:, None] ^ sc[None, :],
                "unselected": ~sr[:, None] & ~sc[None, :]}

    def readout(self, cell_voltages: Any, cell_currents: Any,
                disturb_threshold: Optional[float] = None) -> "BiasReadout":
        """What a read / write under this scheme does to every cell (either engine's cell voltages and currents)."""
        v = np.asarray(cell_voltages, dtype=float)
        i = np.asarray(cell_currents, dtype=float)
        masks = self.masks(*v.shape)
        sel, half, un = masks["selected"], masks["half_selected"], masks["unselected"]
        disturbed = None
        if disturb_threshold is not None:
            disturbed = int(np.count_nonzero(~sel & (np.abs(v) >= disturb_threshold)))
        return BiasReadout(
            cell_voltages=v, cell_currents=i, selected=sel, half_selected=half, unselected=un,
            selected_voltage=v[sel], selected_current=i[sel],
            half_selected_max_voltage=float(np.max(np.abs(v[half]))) if half.any() else 0.0,
            unselected_max_voltage=float(np.max(np.abs(v[un]))) if un.any() else 0.0,
            sneak_current=float(np.sum(np.abs(i[~sel]))), disturbed=disturbed)

    def apply(self, spec: "CrossbarSpec") -> "CrossbarSpec":
        """The spec biased by this scheme: its voltages, column voltages and floating lines replaced."""
        m, n = spec.shape
        lv = self.line_voltages(m, n)
        r_source = np.where(lv["row_floating"], np.inf, np.broadcast_to(spec.r_source, (m,)))
        r_sense = np.where(lv["column_floating"], np.inf, np.broadcast_to(spec.r_sense, (n,)))
        return replace(spec, voltages=lv["rows"], column_voltages=lv["columns"], r_source=r_source, r_sense=r_sense)


@dataclass
class BiasReadout:
    """Cell-level result of a biased read / write (:meth:`BiasScheme.readout`).

    Attributes
    ----------
    cell_voltages, cell_currents
        Every cell's voltage (row node minus column node, V) and current (A), (M, N).
    selected, half_selected, unselected
        Boolean (M, N) masks.
    selected_voltage, selected_current
        The selected cells' voltages / currents, in row-major order (one value for a one-cell selection).
    half_selected_max_voltage, unselected_max_voltage
        Largest ``|V|`` over the half-selected / unselected cells (V).
    sneak_current
        Sum of ``|I|`` over the cells that are not selected (A).
    disturbed
        Number of non-selected cells with ``|V| >= disturb_threshold`` (``None`` without a threshold).
    """

    cell_voltages: np.ndarray
    cell_currents: np.ndarray
    selected: np.ndarray
    half_selected: np.ndarray
    unselected: np.ndarray
    selected_voltage: np.ndarray
    selected_current: np.ndarray
    half_selected_max_voltage: float
    unselected_max_voltage: float
    sneak_current: float
    disturbed: Optional[int] = None


@dataclass(frozen=True)
class DifferentialMapping:
    """Signed weights on differential column pairs (G+ in even columns, G- in odd ones).

    Weight ``w`` maps to ``G+ = g_min + s * max(w, 0)`` and
    ``G- = g_min + s * max(-w, 0)`` with ``s = (g_max - g_min) / w_max`` (S per
    unit weight), so ``G+ - G- = s * w`` and the pair's output ``I+ - I-`` is
    ``s * (V @ W)`` for ideal wires.  ``w_max`` defaults to ``max |W|`` at
    :meth:`to_conductance` (use :meth:`for_weights`).
    """

    g_min: float
    g_max: float
    w_max: float = 1.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.g_min) and np.isfinite(self.g_max) and 0 < self.g_min < self.g_max):
            raise ValueError(f"need 0 < g_min < g_max (finite, S), got g_min={self.g_min!r}, g_max={self.g_max!r}")
        if not (np.isfinite(self.w_max) and self.w_max > 0):
            raise ValueError(f"w_max must be finite and > 0, got {self.w_max!r}")

    @classmethod
    def for_weights(cls, weights: Any, g_min: float, g_max: float) -> "DifferentialMapping":
        """The mapping whose ``w_max`` is ``max |W|`` (1 for an all-zero W)."""
        w_max = float(np.max(np.abs(weights))) if np.size(weights) else 1.0
        return cls(g_min, g_max, w_max if w_max > 0 else 1.0)

    @property
    def scale(self) -> float:
        """Siemens per unit weight."""
        return (self.g_max - self.g_min) / self.w_max

    def to_conductance(self, weights: Any) -> np.ndarray:
        """Signed weights (M, N) -> interleaved conductances (M, 2N): column ``2k`` is G+, ``2k+1`` is G-."""
        w = np.asarray(weights, dtype=float)
        if w.ndim != 2 or not np.all(np.isfinite(w)):
            raise ValueError(f"weights must be a finite 2-D array, got shape {w.shape}")
        if np.any(np.abs(w) > self.w_max * (1 + 1e-12)):
            raise ValueError(f"|weight| exceeds w_max = {self.w_max!r}: max |W| = {float(np.max(np.abs(w)))!r}")
        g = np.empty((w.shape[0], 2 * w.shape[1]))
        g[:, 0::2] = self.g_min + self.scale * np.clip(w, 0, None)
        g[:, 1::2] = self.g_min + self.scale * np.clip(-w, 0, None)
        return np.minimum(g, self.g_max)

    def to_weights(self, conductance: Any) -> np.ndarray:
        """Interleaved conductances (M, 2N) -> signed weights (M, N)."""
        g = np.asarray(conductance, dtype=float)
        if g.ndim != 2 or g.shape[1] % 2:
            raise ValueError(f"differential conductances need an even number of columns, got shape {g.shape}")
        return (g[:, 0::2] - g[:, 1::2]) / self.scale

    def output(self, currents: Any) -> np.ndarray:
        """Pair outputs ``I+ - I-`` (A), shape (..., N), from column currents (..., 2N)."""
        return differential_currents(currents)

    def product(self, currents: Any) -> np.ndarray:
        """Pair outputs in weight units: ``(I+ - I-) / scale``, equal to ``V @ W`` for ideal wires."""
        return differential_currents(currents) / self.scale


def differential_currents(currents: Any) -> np.ndarray:
    """``I+ - I-`` of interleaved column pairs (..., 2N) -> (..., N)."""
    i = np.asarray(currents, dtype=float)
    if i.shape[-1] % 2:
        raise ValueError(f"differential pairs need an even number of columns, got {i.shape[-1]}")
    return i[..., 0::2] - i[..., 1::2]


# --------------------------------------------------------------------------- the spec


@dataclass(frozen=True)
class LineSources:
    """Source text per line, written after the nodes of ``Vin<i>`` (rows) and ``Vs<j>`` (columns).

    ``rows`` has one string per row, ``columns`` one per column, e.g.
    ``"PWL(0 0 1e-06 1.2 ...)"`` or ``"external"``.  Time-dependent line
    voltages replace the spec's ``voltages`` / ``column_voltages`` in the deck.
    """

    rows: Tuple[str, ...]
    columns: Tuple[str, ...]

    def __post_init__(self) -> None:
        for name in ("rows", "columns"):
            texts = tuple(str(t) for t in getattr(self, name))
            for k, text in enumerate(texts):
                if not text.strip() or "\n" in text:
                    raise ValueError(f"LineSources.{name}[{k}] must be one line of source text, got {text!r}")
            object.__setattr__(self, name, texts)

    def check(self, m: int, n: int) -> None:
        if len(self.rows) != m or len(self.columns) != n:
            raise ValueError(f"sources must give {m} row and {n} column texts, got {len(self.rows)} and "
                             f"{len(self.columns)}")


def _line_resistance(name: str, value: Any, size: int) -> Union[float, np.ndarray]:
    """A scalar (kept a float) or one value per line; each >= 0 (0 = ideal), numpy.inf = floating."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        if not (float(arr) >= 0):          # also NaN
            raise ValueError(f"{name} must be >= 0 ohm (numpy.inf leaves the lines floating), got {value!r}")
        return float(arr)
    if arr.shape != (size,):
        raise ValueError(f"{name} must be one value or one per line: shape ({size},), got {arr.shape}")
    bad = ~(arr >= 0)
    if bad.any():
        k = int(np.argmax(bad))
        raise ValueError(f"{name}[{k}] must be >= 0 ohm (numpy.inf leaves the line floating), got {arr[k]!r}")
    return arr


@dataclass(frozen=True)
class CrossbarSpec:
    """A crossbar with wire resistance.

    Attributes
    ----------
    conductance
        Cell conductances (S), shape (rows, columns), all finite and > 0.  For
        a nonlinear ``cell`` it is the cell's parameter of that name (see the
        cell class); with a :class:`CatalogueCell` pass ``None`` (filled in
        with the cells' small-signal conductance at 0 V, not written to the deck).
    voltages
        Driver voltage per row (V), shape (rows,).
    r_row, r_col
        Wire resistance of each row / column segment (ohm, finite, >= 0).
    r_source, r_sense
        Driver and sense resistance (ohm, >= 0): one value, or one per row / per
        column; ``numpy.inf`` leaves the line floating.  Exactly 0 is an ideal
        element: the deck writes it as a 0 V source (``V`` before the
        resistor's name, e.g. ``VRrow0_1``), the fast solver merges its nodes.
    column_voltages
        Voltage of each column's sense node (V), shape (columns,); ``None`` is 0 V.
    drive
        ``"one"`` (column-0 end, the default) or ``"both"`` (both ends, same source).
    tia
        A :class:`TIA` at each sense node, or ``None`` (ideal virtual ground).
    sources
        :class:`LineSources` (time-dependent line voltages), or ``None`` (DC:
        ``voltages`` and ``column_voltages``).
    cell
        The cell element, ``None`` for the linear conductance; else
        :class:`SinhSelector`, :class:`SinhMemristor`, :class:`ThresholdSelector`,
        :class:`CatalogueCell` or :class:`OneTransistorOneResistor` (both engines;
        a dynamic catalogue cell or a 1T1R card beyond level 1: generator only).
    """

    conductance: np.ndarray
    voltages: np.ndarray
    r_row: float
    r_col: float
    r_source: Union[float, np.ndarray] = 1e-3
    r_sense: Union[float, np.ndarray] = 1e-3
    column_voltages: Optional[np.ndarray] = None
    drive: str = "one"
    tia: Optional[TIA] = None
    cell: Any = None
    sources: Optional[LineSources] = None

    def __post_init__(self) -> None:
        if self.conductance is None and self.cell is not None and hasattr(self.cell, "conductance"):
            object.__setattr__(self, "conductance", self.cell.conductance())
        g = np.asarray(self.conductance, dtype=float)
        v = np.asarray(self.voltages, dtype=float)
        if g.ndim != 2 or g.size == 0:
            raise ValueError(f"conductance must be a non-empty 2-D array (rows x columns), got shape {g.shape}")
        if not np.all(np.isfinite(g)) or np.any(g <= 0):
            bad = tuple(int(k) for k in np.argwhere(~(np.isfinite(g) & (g > 0)))[0])
            raise ValueError(f"conductance must be finite and > 0 everywhere; G{list(bad)} = {g[bad]!r}")
        m, n = g.shape
        if v.shape != (m,):
            raise ValueError(f"voltages must have one value per row: shape ({m},), got {v.shape}")
        if not np.all(np.isfinite(v)):
            raise ValueError("voltages must be finite")
        for name in ("r_row", "r_col"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be finite and >= 0 ohm, got {value!r}")
        r_source = _line_resistance("r_source", self.r_source, m)
        r_sense = _line_resistance("r_sense", self.r_sense, n)
        if np.all(np.isinf(r_source)) and np.all(np.isinf(r_sense)):
            raise ValueError("every row and every column is floating: the array has no reference")
        if self.column_voltages is not None:
            u = np.asarray(self.column_voltages, dtype=float)
            if u.shape != (n,) or not np.all(np.isfinite(u)):
                raise ValueError(f"column_voltages must be finite, one per column: shape ({n},), got {u.shape}")
            object.__setattr__(self, "column_voltages", u)
        if self.drive not in DRIVES:
            raise ValueError(f"drive must be one of {DRIVES}, got {self.drive!r}")
        if self.tia is not None and not isinstance(self.tia, TIA):
            raise ValueError(f"tia must be a TIA(gain, r_f) or None, got {self.tia!r}")
        if self.sources is not None:
            if not isinstance(self.sources, LineSources):
                raise ValueError(f"sources must be LineSources or None, got {self.sources!r}")
            if self.tia is not None:
                raise ValueError("sources (time-dependent lines) and tia cannot be combined")
            self.sources.check(m, n)
        if self.cell is not None:
            check = getattr(self.cell, "check", None)
            if check is None:
                raise ValueError(f"cell must be a crossbar cell (SinhSelector, SinhMemristor, CatalogueCell, "
                                 f"OneTransistorOneResistor), got {self.cell!r}")
            check(m, n)
        object.__setattr__(self, "conductance", g)
        object.__setattr__(self, "voltages", v)
        object.__setattr__(self, "r_source", r_source)
        object.__setattr__(self, "r_sense", r_sense)

    @property
    def shape(self) -> tuple:
        return self.conductance.shape

    @property
    def sense_voltages(self) -> np.ndarray:
        """The column voltages (V), zeros when not given."""
        return np.zeros(self.shape[1]) if self.column_voltages is None else self.column_voltages

    def biased(self, scheme: BiasScheme) -> "CrossbarSpec":
        """This array under a bias scheme (:meth:`BiasScheme.apply`)."""
        return scheme.apply(self)


# --------------------------------------------------------------------------- cells


class _NonlinearCell:
    """A two-terminal cell with a static I-V ``I = f(V; G)`` (``V`` row node minus column node, ``G`` the
    spec's conductance of the cell): a B-source in the deck, Newton in the fast solver.

    Subclasses give ``current(v, g) -> (I, dI/dV)`` (numpy, elementwise), ``_expression`` (the
    B-source's text with ``%.15g`` slots filled per cell by ``_values``) and ``max_step`` (the Newton
    step limit on any cell voltage, V).
    """

    solvable = True       # the fast solver can solve it (static I-V)

    def check(self, m: int, n: int) -> None:
        """Validate against an array of shape (m, n)."""

    def definitions(self) -> List[str]:
        return []

    def lines(self, m: int, n: int, conductance: np.ndarray) -> List[str]:
        expr = self._expression("V(r\x00_%d,c\x00_%d)")
        template = "\n".join(f"Bg\x00_{j} r\x00_{j} c\x00_{j} I=" + expr.replace("%d", str(j))
                             for j in range(n))
        values = self._values(conductance)                    # (M, N, k) numbers per cell
        return _rows_block(m, template, values.reshape(m, -1).tolist())


@dataclass(frozen=True)
class SinhSelector(_NonlinearCell):
    """A strongly nonlinear selector-type (1S1R) cell: ``I = G * V_s * sinh(V / V_s)``.

    ``G`` (the spec's conductance) is the small-signal conductance at 0 V; at
    ``|V| >> V_s`` the current grows by ``e`` every ``V_s`` volts.
    """

    v_s: float = 0.25

    def __post_init__(self) -> None:
        if not (np.isfinite(self.v_s) and self.v_s > 0):
            raise ValueError(f"SinhSelector v_s must be finite and > 0 V, got {self.v_s!r}")

    @property
    def max_step(self) -> float:
        return 2.0 * self.v_s

    def current(self, v: np.ndarray, g: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        x = v / self.v_s
        return g * self.v_s * np.sinh(x), g * np.cosh(x)

    def _expression(self, vexpr: str) -> str:
        return f"%.15g*sinh({vexpr}*{1.0 / self.v_s:.15g})"

    def _values(self, g: np.ndarray) -> np.ndarray:
        return (g * self.v_s)[:, :, None]


@dataclass(frozen=True)
class SinhMemristor(_NonlinearCell):
    """A sinh-type memristor I-V (Yang et al., Nat. Nanotechnol. 3, 429 (2008)) at a fixed state per cell:

    ``I = (G / alpha) * sinh(alpha * V) + chi * (exp(gamma * V) - 1)``

    ``G = beta * w**n * alpha`` is the spec's conductance of each cell (the
    state-dependent small-signal conductance of the sinh term at 0 V; see
    :meth:`conductance`); ``chi * (exp(gamma V) - 1)`` is the rectifying
    (interface) term, the same for every cell.
    """

    alpha: float = 2.0
    chi: float = 0.0
    gamma: float = 4.0

    def __post_init__(self) -> None:
        for name in ("alpha", "gamma"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"SinhMemristor {name} must be finite and > 0 (1/V), got {value!r}")
        if not (np.isfinite(self.chi) and self.chi >= 0):
            raise ValueError(f"SinhMemristor chi must be finite and >= 0 A, got {self.chi!r}")

    @staticmethod
    def conductance(state: Any, beta: float, n: float, alpha: float) -> np.ndarray:
        """``beta * w**n * alpha`` (S): the spec's conductance for states ``w`` in (0, 1]."""
        return beta * np.asarray(state, dtype=float) ** n * alpha

    @property
    def max_step(self) -> float:
        return 2.0 / max(self.alpha, self.gamma if self.chi > 0 else 0.0)

    def current(self, v: np.ndarray, g: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        a = self.alpha
        i = g / a * np.sinh(a * v)
        di = g * np.cosh(a * v)
        if self.chi:
            e = np.exp(self.gamma * v)
            i = i + self.chi * (e - 1.0)
            di = di + self.chi * self.gamma * e
        return i, di

    def _expression(self, vexpr: str) -> str:
        text = f"%.15g*sinh({vexpr}*{self.alpha:.15g})"
        if self.chi:
            text += f"+{self.chi:.15g}*(exp({vexpr}*{self.gamma:.15g})-1)"
        return text

    def _values(self, g: np.ndarray) -> np.ndarray:
        return (g / self.alpha)[:, :, None]


@dataclass(frozen=True)
class ThresholdSelector(_NonlinearCell):
    """1S1R with a threshold-type selector: a volatile threshold switch in series with the memory element.

    The memory element is the linear conductance ``G`` (the spec's
    conductance) from the row node to an internal node ``m<i>_<j>``; the
    selector, from ``m<i>_<j>`` to the column node, is the quasi-static
    (DC) form of a volatile threshold switch: a conductance that goes from
    ``g_off`` below the threshold ``|u| < v_th`` to ``g_on`` above it over a
    smooth transition of width ``width``::

        I_s(u) = u * (g_off + (g_on - g_off) * (S((u - v_th)/width) + S((-u - v_th)/width)))

    with ``S`` the logistic function ``1 / (1 + exp(-x))``.  ``I_s`` is odd,
    smooth and strictly increasing (``d(u * s(u))/du = s + u s' > 0`` since
    ``s`` is even and grows with ``|u|``), so the series cell has a unique
    operating point.  The quasi-static form has no hysteresis and no
    snapback: the hold voltage equals ``v_th`` and the switch relaxes
    instantly (a read is much slower than its ON / OFF dynamics or, for a
    DC read, the selector is either held ON or OFF for the whole read).

    Deck: ``Rg<i>_<j> r<i>_<j> m<i>_<j> 1/G`` and
    ``Bg<i>_<j> m<i>_<j> c<i>_<j> I=...``.  Fast solver: the internal node is
    eliminated per cell (a safeguarded scalar Newton / bisection for the
    selector voltage ``u`` with ``G (V - u) = I_s(u)``, vectorised over the
    cells), so the cell is a two-terminal ``I(V)`` with
    ``dI/dV = G I_s'(u) / (G + I_s'(u))`` for the outer Newton.

    Defaults: threshold 0.3 V (a 0.4 V read turns the selected cell ON,
    V/2 = 0.2 V and V/3 leave the others OFF), 5 mV transition, ON 1e-2 S
    (100 ohm, negligible against a memory element of 10 kOhm ... 1 MOhm), OFF
    1e-9 S (1 GOhm).
    """

    v_th: float = 0.3
    width: float = 0.005
    g_on: float = 1e-2
    g_off: float = 1e-9

    def __post_init__(self) -> None:
        for name in ("v_th", "width", "g_on", "g_off"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"ThresholdSelector {name} must be finite and > 0, got {value!r}")
        if not self.g_off < self.g_on:
            raise ValueError(f"ThresholdSelector needs g_off < g_on, got g_off={self.g_off!r}, g_on={self.g_on!r}")

    @property
    def max_step(self) -> float:
        return 5.0 * self.width

    def selector(self, u: Any) -> Tuple[np.ndarray, np.ndarray]:
        """The selector alone: current (A) and dI/du (S) at selector voltages ``u`` (V)."""
        from scipy.special import expit

        u = np.asarray(u, dtype=float)
        w = self.width
        sa, sb = expit((u - self.v_th) / w), expit((-u - self.v_th) / w)
        span = self.g_on - self.g_off
        gs = self.g_off + span * (sa + sb)
        ds = span * (sa * (1.0 - sa) - sb * (1.0 - sb)) / w
        return u * gs, gs + u * ds

    def split(self, v: Any, g: Any) -> np.ndarray:
        """Selector voltage ``u`` (V) of cells at voltage ``v`` with memory conductance ``g``: the root of
        ``g (v - u) = I_s(u)`` in ``[min(0, v), max(0, v)]`` (Newton, bisection when a step leaves the bracket)."""
        v = np.asarray(v, dtype=float)
        g = np.broadcast_to(np.asarray(g, dtype=float), v.shape)
        lo, hi = np.minimum(v, 0.0), np.maximum(v, 0.0)
        u = v * (g / (g + self.g_off))                     # the OFF solution (exact below the threshold)
        tol = 4 * np.finfo(float).eps * np.abs(v)
        width = 64 * _EPS * np.abs(v)                      # rounding in I_s near the knee: ~1e-21 A on h
        last = 2 * np.abs(v) + 1.0
        for _ in range(200):
            i_s, di_s = self.selector(u)
            h = g * (v - u) - i_s                          # decreasing in u
            lo = np.where(h > 0, u, lo)
            hi = np.where(h < 0, u, hi)
            step = h / (g + di_s)
            new = u + step
            # converged: a step below rounding, or the residual at its rounding level
            done = ((np.abs(step) <= tol) | (np.abs(h) <= 8 * _EPS * (g * (np.abs(v) + np.abs(u)) + np.abs(i_s)))
                    | (hi - lo <= width))                      # the bracket is closed to ~1e-14 of the voltages
            # bisect when Newton leaves the bracket or does not halve the previous step (rtsafe's safeguard,
            # which also breaks Newton's two-cycles across the knee of the I-V)
            out = (~((new > lo) & (new < hi)) | (np.abs(step) > 0.5 * last)) & ~done
            new = np.where(out, 0.5 * (lo + hi), new)
            last = np.abs(new - u)
            u = new
            if np.all(done):
                break
        else:  # pragma: no cover - the bracket halves at least every other step
            raise RuntimeError("ThresholdSelector: the selector voltage did not converge")
        return u

    def current(self, v: np.ndarray, g: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        v = np.asarray(v, dtype=float)
        g = np.broadcast_to(np.asarray(g, dtype=float), v.shape)
        u = self.split(v, g)
        i_s, di_s = self.selector(u)
        # the better-conditioned of the two equal currents: the selector's when it is the larger resistance
        i = np.where(di_s < g, i_s, g * (v - u))
        return i, g * di_s / (g + di_s)

    def _selector_expression(self, vexpr: str) -> str:
        w, span = self.width, self.g_on - self.g_off
        return (f"{vexpr}*({self.g_off:.15g}+{span:.15g}*(1/(1+exp(({self.v_th:.15g}-{vexpr})/{w:.15g}))"
                f"+1/(1+exp(({vexpr}+{self.v_th:.15g})/{w:.15g}))))")

    def lines(self, m: int, n: int, conductance: np.ndarray) -> List[str]:
        template = "\n".join(f"Rg\x00_{j} r\x00_{j} m\x00_{j} %.15g\n"
                             f"Bg\x00_{j} m\x00_{j} c\x00_{j} I="
                             + self._selector_expression(f"V(m\x00_{j},c\x00_{j})") for j in range(n))
        return _rows_block(m, template, (1.0 / conductance).tolist())


class CatalogueCell:
    """Any compact model of the device catalogue as the cell, its state per cell from an array.

    The deck carries one subckt definition and one instance per cell
    (``Xg<i>_<j> r<i>_<j> c<i>_<j> NAME <initial-state parameter>=<value>``)
    with the initial-state parameter set from the array.

    Parameters
    ----------
    device
        A :class:`~circuitsim.models.language.Device` or its catalogue name.
    state
        The state per cell, shape (M, N): for a one-state device an array of
        its initial-state parameter (``x0`` for the linear ion drift devices),
        or ``{initial-state parameter: array}`` for every state.
    params
        Other parameter overrides, the same for every cell (checked by
        ``device.validate``).
    dynamic
        ``False`` (default): a read-only cell, the state held at its array
        value (the subckt ``NAME_read`` is the device's current expression
        with the state replaced by its parameter: an ``.op`` reads the array,
        and the fast solver solves it by Newton with the device's I-V).
        ``True``: the catalogue's own subckt (:func:`circuitsim.models.printers.subckt_text`),
        whose states integrate in a transient started with ``uic`` (writing
        / programming through the array); generator only.
    max_step
        Newton step limit on any cell voltage (V) in the fast solver.
    """

    def __init__(self, device: Any, state: Any, params: Optional[Dict[str, float]] = None,
                 dynamic: bool = False, max_step: float = 0.2):
        from circuitsim.models.catalogue import get_device
        self.device = get_device(device) if isinstance(device, str) else device
        states = self.device.states
        if isinstance(state, dict):
            self.states = {k: np.asarray(v, dtype=float) for k, v in state.items()}
        else:
            if len(states) != 1:
                raise ValueError(f"{self.device.name} has {len(states)} states: give state as "
                                 f"{{initial parameter: array}} for {[s.initial_param for s in states]}")
            self.states = {states[0].initial_param: np.asarray(state, dtype=float)}
        wanted = {s.initial_param for s in states}
        if set(self.states) != wanted:
            raise ValueError(f"{self.device.name}: state arrays must be given for exactly {sorted(wanted)}, "
                             f"got {sorted(self.states)}")
        self.params = dict(params or {})
        clash = set(self.params) & wanted
        if clash:
            raise ValueError(f"{self.device.name}: {sorted(clash)} comes from the state array, not params")
        self.dynamic = bool(dynamic)
        self.max_step = float(max_step)
        self._fns = None

    def __repr__(self) -> str:
        return f"CatalogueCell({self.device.name!r}, dynamic={self.dynamic})"

    @property
    def solvable(self) -> bool:
        return not self.dynamic

    @property
    def subckt_name(self) -> str:
        return self.device.name if self.dynamic else f"{self.device.name}_read"

    def check(self, m: int, n: int) -> None:
        for name, arr in self.states.items():
            if arr.shape != (m, n) or not np.all(np.isfinite(arr)):
                raise ValueError(f"{self.device.name}: state array {name!r} must be finite, shape ({m}, {n}); "
                                 f"got {arr.shape}")
        # every parameter's range, the cross checks and the state bounds, at the extremes of the arrays
        for pick in (np.min, np.max):
            self.device.validate(**self.params, **{k: float(pick(a)) for k, a in self.states.items()})

    def definitions(self) -> List[str]:
        from circuitsim.models.printers import NgspicePrinter, subckt_text

        if self.dynamic:
            return subckt_text(self.device).rstrip("\n").splitlines()

        class _ReadPrinter(NgspicePrinter):
            def state_value(self, state) -> str:            # the state held at its initial-state parameter
                return self.param_name(state.initial_param)

            def noise_value(self, noise) -> str:
                return "0"

        device = self.device
        current, _ = device.target_expressions()
        p, q = device.ports[0], device.ports[1]
        params = " ".join(f"{prm.name}={spice_number(prm.default)}" for prm in device.params)
        return [f"* {device.name} at a fixed state per instance (read-only cell): {device.title}",
                f".subckt {self.subckt_name} {p} {q} params: {params}",
                f"Bdevice {p} {q} I={_ReadPrinter(device).doprint(current)}",
                f".ends {self.subckt_name}"]

    def lines(self, m: int, n: int, conductance: np.ndarray) -> List[str]:
        names = list(self.states)
        common = "".join(f" {k}={spice_number(v)}" for k, v in self.params.items())
        slots = "".join(f" {k}=%.15g" for k in names)
        template = "\n".join(f"Xg\x00_{j} r\x00_{j} c\x00_{j} {self.subckt_name}{slots}{common}" for j in range(n))
        values = np.stack([self.states[k] for k in names], axis=-1)
        return _rows_block(m, template, values.reshape(m, -1).tolist())

    # -- the fast solver's I-V (read-only cells) ------------------------------------------------------
    def _functions(self):
        if self._fns is None:
            import sympy as sp

            from circuitsim.models.language import V, symbol
            from circuitsim.models.printers import _numpy_smooth_step

            device = self.device
            current, _ = device.target_expressions()
            current = current.subs({nz.symbol: 0 for nz in device.noises})
            raw = [symbol(f"{s.name}_raw") for s in device.states]
            args = [V, *raw, *[prm.symbol for prm in device.params]]
            modules = [{"SmoothStep": _numpy_smooth_step}, "numpy"]
            self._fns = (sp.lambdify(args, current, modules=modules),
                         sp.lambdify(args, sp.diff(current, V), modules=modules))
        return self._fns

    def current(self, v: np.ndarray, g: Any = None) -> Tuple[np.ndarray, np.ndarray]:
        """Cell current (A) and dI/dV (S) at cell voltages ``v`` (cells in row-major order, repeated for
        each input vector); ``g`` is not used (the state arrays are)."""
        if self.dynamic:
            raise ValueError("a dynamic catalogue cell has no static I-V: use dynamic=False for the fast solver")
        return self._static(v)

    def _static(self, v: Any) -> Tuple[np.ndarray, np.ndarray]:
        f, df = self._functions()
        values = self.device.validate(**self.params)
        size = next(iter(self.states.values())).size
        v = np.asarray(v, dtype=float)
        v2 = v.reshape(-1, size)
        raw = [self.states[s.initial_param].ravel()[None, :] for s in self.device.states]
        prm = []
        for p_ in self.device.params:
            prm.append(self.states[p_.name].ravel()[None, :] if p_.name in self.states else values[p_.name])
        with np.errstate(over="ignore", invalid="ignore"):
            i = np.broadcast_to(f(v2, *raw, *prm), v2.shape).reshape(v.shape)
            di = np.broadcast_to(df(v2, *raw, *prm), v2.shape).reshape(v.shape)
        return np.array(i, dtype=float), np.array(di, dtype=float)

    def conductance(self) -> np.ndarray:
        """Small-signal conductance at 0 V per cell at its state (S), shape (M, N)."""
        shape = next(iter(self.states.values())).shape
        return self._static(np.zeros(shape).ravel())[1].reshape(shape)


#: ngspice's default GMIN (S): the conductance its junction models add in parallel (``.options gmin``)
NGSPICE_GMIN = 1e-12
#: level-1 model parameters the fast solver reproduces (any other parameter on the card: generator only)
_MOS1_SOLVABLE = {"level", "vto", "kp", "lambda", "ld", "is"}


def _model_parameters(card: str) -> Dict[str, str]:
    """``{name: value text}`` of a ``.model NAME TYPE (k=v ...)`` card (lower-case names)."""
    body = card.split(None, 3)[3] if len(card.split(None, 3)) > 3 else ""
    body = body.replace("(", " ").replace(")", " ").replace(",", " ")
    body = " ".join(body.split()).replace(" = ", "=").replace(" =", "=").replace("= ", "=")
    out = {}
    for item in body.split():
        if "=" in item:
            k, v = item.split("=", 1)
            out[k.strip().lower()] = v.strip()
    return out


@dataclass(frozen=True)
class OneTransistorOneResistor:
    """1T1R cells: the resistor ``1/G`` from the row node to an internal node ``m<i>_<j>``, an NMOS
    (drain ``m<i>_<j>``, gate the word line ``w<i>`` of its row, source the column node, bulk 0) to
    the column node.

    ``gate_voltages`` (one per row, V) drive the word lines (``Vwl<i> w<i> 0``);
    ``model`` is the text of the ``.model`` card (default a level-1 NMOS,
    which ngspice ships); ``w`` and ``l`` (m) are the transistor size.

    Fast solver (:attr:`solvable` for an NMOS level-1 card with at most
    ``vto kp lambda ld is``): ngspice's level-1 (Shichman-Hodges) equations
    at its default temperature (27 C = TNOM) and options, as in
    ``mos1load.c``: ``beta = kp W / (L - 2 LD)``; with ``vgst = vgs - vto``
    (``gamma = 0``: no body effect), cutoff ``I = 0`` for ``vgst <= 0``,
    saturation ``beta (1 + lambda vds) vgst^2 / 2`` for ``vgst <= vds``,
    linear ``beta (1 + lambda vds) vds (vgst - vds/2)``; for ``vds < 0``
    drain and source swap (``vgd`` in place of ``vgs``).  The bulk-drain and
    bulk-source junctions (bulk at 0 V) are ngspice's: ``IS (exp(vb/vt) - 1) +
    GMIN vb`` above ``-3 vt`` and ``GMIN vb - IS`` below (``IS = 1e-14`` A,
    ``GMIN = 1e-12`` S, ``vt = k T / q``), so the small leakage of each
    transistor to the bulk is in the solution too.  The internal node is
    eliminated per cell by a scalar Newton / bisection (``G (V_r - V_m) =
    I_drain(V_m, V_c)``), which leaves a three-terminal cell (row, column,
    ground) with a non-symmetric Jacobian.
    """

    gate_voltages: Any = 1.8
    w: float = 1e-6
    l: float = 1e-7
    model: str = ".model nmos1t1r nmos (level=1 vto=0.5 kp=2e-4 lambda=0.02)"
    max_step = 0.2

    def check(self, m: int, n: int) -> None:
        gv = np.broadcast_to(np.asarray(self.gate_voltages, dtype=float), (m,))
        if not np.all(np.isfinite(gv)):
            raise ValueError("gate_voltages must be finite")
        for name in ("w", "l"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"1T1R {name} must be finite and > 0 m, got {value!r}")
        if not self.model.lower().lstrip().startswith(".model "):
            raise ValueError(f"model must be a .model card, got {self.model!r}")

    @property
    def model_name(self) -> str:
        return self.model.split()[1]

    # -- the fast solver's level-1 model ---------------------------------------------------------------
    def _mos1(self) -> Optional[Dict[str, float]]:
        """The level-1 parameters, or ``None`` when the card is not one the fast solver reproduces."""
        parts = self.model.split()
        if len(parts) < 3 or parts[2].lower().split("(")[0] != "nmos":
            return None
        raw = _model_parameters(self.model)
        if set(raw) - _MOS1_SOLVABLE:
            return None
        try:
            p = {k: _spice_float(v) for k, v in raw.items()}
        except ValueError:
            return None
        if int(p.get("level", 1)) != 1:
            return None
        out = {"vto": p.get("vto", 0.0), "kp": p.get("kp", 2e-5), "lambda": p.get("lambda", 0.0),
               "ld": p.get("ld", 0.0), "is": p.get("is", 1e-14)}
        if not self.l - 2 * out["ld"] > 0:
            return None
        return out

    @property
    def solvable(self) -> bool:
        """Whether the fast solver reproduces the card (NMOS level 1 with vto, kp, lambda, ld, is)."""
        return self._mos1() is not None

    def _gates(self, size: int) -> np.ndarray:
        gv = np.asarray(self.gate_voltages, dtype=float)
        if gv.ndim == 0:
            return np.full(size, float(gv))
        n = size // gv.size
        return np.repeat(gv, n)

    @staticmethod
    def _junction(vb: np.ndarray, i_s: float, vt: float) -> Tuple[np.ndarray, np.ndarray]:
        """ngspice's bulk junction: current bulk -> terminal (A) and its conductance, at ``vb`` = V(bulk) - V(terminal)."""
        with np.errstate(over="ignore"):
            e = np.exp(np.minimum(vb / vt, _MAX_EXP_ARG))
        rev = vb <= -3 * vt
        i = np.where(rev, NGSPICE_GMIN * vb - i_s, i_s * (e - 1.0) + NGSPICE_GMIN * vb)
        gj = np.where(rev, NGSPICE_GMIN, i_s * e / vt + NGSPICE_GMIN)
        return i, gj

    def _channel(self, p: Dict[str, float], vd: np.ndarray, vg: np.ndarray, vs: np.ndarray):
        """Channel current drain -> source (A) and its partials d/dvd, d/dvs at fixed gate (level 1)."""
        beta = p["kp"] * self.w / (self.l - 2 * p["ld"])
        lam = p["lambda"]
        vds = vd - vs
        mode = np.where(vds >= 0, 1.0, -1.0)
        vgs_eff = np.where(mode > 0, vg - vs, vg - vd)     # vgs, or vgd in inverse mode
        x = vds * mode                                     # >= 0
        vgst = vgs_eff - p["vto"]
        betap = beta * (1 + lam * x)
        sat = vgst <= x
        on = vgst > 0
        cd = np.where(sat, betap * vgst * vgst * 0.5, betap * x * (vgst - 0.5 * x))
        gm = np.where(sat, betap * vgst, betap * x)
        gds = np.where(sat, lam * beta * vgst * vgst * 0.5, betap * (vgst - x) + lam * beta * x * (vgst - 0.5 * x))
        cd, gm, gds = (np.where(on, a, 0.0) for a in (cd, gm, gds))
        # normal mode: I = cd(vgs, vds): dI/dvd = gds, dI/dvs = -(gm + gds)
        # inverse mode: I = -cd(vgd, -vds): dI/dvd = gm + gds, dI/dvs = -gds
        i = mode * cd
        d_vd = np.where(mode > 0, gds, gm + gds)
        d_vs = np.where(mode > 0, -(gm + gds), -gds)
        return i, d_vd, d_vs

    def terminal_currents(self, vr: Any, vc: Any, g: Any):
        """The cell seen from its row and column nodes (internal node eliminated).

        Returns ``(i_r, i_c, di_r/dvr, di_r/dvc, di_c/dvr, di_c/dvc)``: ``i_r``
        the current from the row node into the cell (through ``1/G``), ``i_c``
        the current from the cell into the column node (channel plus the
        source junction); they differ by the junction currents to the bulk.
        Cells in row-major order (``g`` the conductances, same length).
        """
        p = self._mos1()
        if p is None:
            raise ValueError(f"the fast solver reproduces only level-1 NMOS cards with {sorted(_MOS1_SOLVABLE)}; "
                             f"got {self.model!r} (generator only)")
        vr = np.asarray(vr, dtype=float)
        vc = np.asarray(vc, dtype=float)
        g = np.broadcast_to(np.asarray(g, dtype=float), vr.shape)
        vg = self._gates(vr.size).reshape(vr.shape)
        vt = _VT
        # the drain node m: G (vr - vm) = I_ch(vm) - I_bd(vm)  (I_bd: bulk -> drain), bracketed by [lo, hi]
        lo = np.minimum(np.minimum(vr, vc), 0.0)
        hi = np.maximum(np.maximum(vr, vc), 0.0)
        vm = vr.copy()
        tol = 4 * np.finfo(float).eps * np.maximum(np.abs(hi), np.abs(lo))
        # rounding of vgs - vto near threshold puts ~1e-21 A of noise on h: a bracket closed to 64 eps of the
        # terminal voltages (~1e-15 V) is converged
        width = 64 * _EPS * np.maximum(np.abs(hi), np.abs(lo))
        last = 2 * (hi - lo) + 1.0
        for _ in range(300):
            ich, a_d, _ = self._channel(p, vm, vg, vc)
            ibd, gbd = self._junction(-vm, p["is"], vt)
            h = g * (vr - vm) - (ich - ibd)                   # decreasing in vm
            lo = np.where(h > 0, vm, lo)
            hi = np.where(h < 0, vm, hi)
            step = h / (g + a_d + gbd)
            new = vm + step
            # converged: a step below rounding, or the residual at its rounding level (in saturation with a
            # small G the slope is ~G and rounding in h alone moves the step by more than eps * |V|)
            done = ((np.abs(step) <= tol)
                    | (np.abs(h) <= 8 * _EPS * (g * (np.abs(vr) + np.abs(vm)) + np.abs(ich) + np.abs(ibd)))
                    | (hi - lo <= width))                      # the bracket is closed to ~1e-14 of the voltages
            # bisect when Newton leaves the bracket or does not halve the previous step (rtsafe's safeguard,
            # which also breaks Newton's two-cycles across the knee of the I-V)
            out = (~((new > lo) & (new < hi)) | (np.abs(step) > 0.5 * last)) & ~done
            new = np.where(out, 0.5 * (lo + hi), new)
            last = np.abs(new - vm)
            vm = new
            if np.all(done):
                break
        else:  # pragma: no cover
            k = int(np.argmax(~done))
            raise RuntimeError(f"1T1R: the internal node did not converge (cell {k}: v_r={vr[k]!r}, v_c={vc[k]!r}, "
                               f"G={g[k]!r}, gate={vg[k]!r}; bracket [{lo[k]!r}, {hi[k]!r}], step {step[k]!r})")
        ich, p_m, q_c = self._channel(p, vm, vg, vc)
        ibd, gbd = self._junction(-vm, p["is"], vt)
        ibs, gbs = self._junction(-vc, p["is"], vt)
        a = p_m + gbd                                         # d(I_ch - I_bd)/dvm
        den = g + a
        i_r = g * (vr - vm)
        i_c = ich + ibs
        drr = g * a / den
        drc = g * q_c / den
        dcr = p_m * g / den
        dcc = -p_m * q_c / den + q_c - gbs
        return i_r, i_c, drr, drc, dcr, dcc

    def current(self, v: Any, g: Any = None):
        raise ValueError("a 1T1R cell is three-terminal (gate and bulk): use terminal_currents(vr, vc, g)")

    def definitions(self) -> List[str]:
        return [self.model]

    def lines(self, m: int, n: int, conductance: np.ndarray) -> List[str]:
        gv = np.broadcast_to(np.asarray(self.gate_voltages, dtype=float), (m,)).tolist()
        out = [f"Vwl{i} w{i} 0 {gv[i]:.15g}" for i in range(m)]
        size = f"W={spice_number(self.w)} L={spice_number(self.l)}"
        template = "\n".join(f"Rg\x00_{j} r\x00_{j} m\x00_{j} %.15g\n"
                             f"Mg\x00_{j} m\x00_{j} w\x00 c\x00_{j} 0 {self.model_name} {size}" for j in range(n))
        return out + _rows_block(m, template, (1.0 / conductance).tolist())


_EPS = float(np.finfo(float).eps)
#: ngspice's thermal voltage at 27 C (CONSTKoverQ * (27 + CONSTCtoK), const.h), and its exponent limit
_VT = 1.38064852e-23 / 1.6021766208e-19 * (27.0 + 273.15)
_MAX_EXP_ARG = 709.0
_SCALE = {"t": 1e12, "g": 1e9, "meg": 1e6, "k": 1e3, "mil": 25.4e-6, "m": 1e-3, "u": 1e-6, "n": 1e-9,
          "p": 1e-12, "f": 1e-15}


def _spice_float(text: str) -> float:
    """A SPICE number (``2e-4``, ``0.5``, ``10u``, ``1meg``): float, ``ValueError`` otherwise."""
    t = text.strip().lower()
    import re

    match = re.fullmatch(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(meg|mil|[tgkmunpf])?[a-z]*", t)
    if not match:
        raise ValueError(f"not a SPICE number: {text!r}")
    return float(match.group(1)) * (_SCALE[match.group(2)] if match.group(2) else 1.0)


# --------------------------------------------------------------------------- text


def _rows_block(m: int, template: str, values: Optional[List[list]] = None, start: int = 0) -> List[str]:
    """One text block per array row ``i`` in ``range(start, m)``.

    ``template`` is the text of one row of the array: ``\\x00`` stands for
    ``i`` and ``\\x01`` for ``i + 1``; with ``values``, it is %-formatted with
    ``tuple(values[i])`` (pre-flattened numbers, one list per row).
    """
    two = "\x01" in template
    out = []
    for i in range(start, m):
        text = template.replace("\x00", str(i))
        if two:
            text = text.replace("\x01", str(i + 1))
        out.append(text % tuple(values[i]) if values is not None else text)
    return out


def _per_line(value: Union[float, np.ndarray], size: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=float), (size,))


def _r(ohms: float) -> str:
    """Prefix of a resistor's element name: ``"V"`` for an ideal (0 ohm) one, written as a 0 V source."""
    return "V" if ohms == 0 else ""


def _ohms(ohms: float) -> str:
    """A resistor's value, or ``0`` (volts) for an ideal one written as a 0 V source."""
    return "0" if ohms == 0 else spice_number(ohms)


def linear_cell_lines(m: int, n: int, conductance: np.ndarray) -> List[str]:
    """``Rg<i>_<j> r<i>_<j> c<i>_<j> 1/G`` for every cell, a row of the array per text block."""
    template = "\n".join(f"Rg\x00_{j} r\x00_{j} c\x00_{j} %.15g" for j in range(n))
    return _rows_block(m, template, (1.0 / conductance).tolist())


def crossbar_netlist(spec: CrossbarSpec, title: Optional[str] = None, analysis: Optional[str] = ".op",
                     save_currents_only: bool = True, *, options: Optional[str] = None) -> str:
    """Netlist text of a crossbar.

    Parameters
    ----------
    spec
        The array and its options.
    title
        First line of the deck.
    analysis
        Analysis line to include (``None`` for none).
    save_currents_only
        Add ``.save`` of the column currents (and TIA outputs) only (a 1024 x
        1024 array has two million node voltages; saving them all costs more
        than the solve).
    options
        Text of an ``.options`` line to add (e.g. ``"reltol=1e-12"``), or ``None``.

    Returns
    -------
    str
        The deck, ending in ``.end``.
    """
    m, n = spec.shape
    r_source = _per_line(spec.r_source, m)
    r_sense = _per_line(spec.r_sense, n)
    driven = np.flatnonzero(np.isfinite(r_source)).tolist()
    sensed = np.flatnonzero(np.isfinite(r_sense)).tolist()
    if spec.drive == "both" and spec.r_row == 0 and n > 1 and np.any(r_source[driven] == 0):
        raise ValueError("drive='both' with ideal row wires (r_row = 0) and an ideal driver (r_source = 0) is a "
                         "loop of voltage sources in the deck: make r_row or r_source positive")
    src_text = {i: _ohms(r_source[i]) for i in driven}
    sns_text = {j: _ohms(r_sense[j]) for j in sensed}
    out = [title or f"{'passive ' if spec.cell is None else ''}crossbar {m}x{n}: r_row={spice_number(spec.r_row)} "
           f"r_col={spice_number(spec.r_col)}"]
    # drivers and source resistors
    volts = ["%.15g" % v for v in spec.voltages.tolist()] if spec.sources is None else spec.sources.rows
    out += [f"Vin{i} in{i} 0 {volts[i]}" for i in driven]
    out += [f"{_r(r_source[i])}Rsrc{i} in{i} r{i}_0 {src_text[i]}" for i in driven]
    if spec.drive == "both":
        out += [f"{_r(r_source[i])}Rsrcb{i} in{i} r{i}_{n - 1} {src_text[i]}" for i in driven]
    # definitions (subckts, models) and the cells
    if spec.cell is None:
        out += linear_cell_lines(m, n, spec.conductance)
    else:
        out += spec.cell.definitions()
        out += spec.cell.lines(m, n, spec.conductance)
    # row and column wire segments
    if n > 1:
        r_row, v = _ohms(spec.r_row), _r(spec.r_row)
        out += _rows_block(m, "\n".join(f"{v}Rrow\x00_{j} r\x00_{j} r\x00_{j + 1} {r_row}" for j in range(n - 1)))
    if m > 1:
        r_col, v = _ohms(spec.r_col), _r(spec.r_col)
        out += _rows_block(m - 1, "\n".join(f"{v}Rcol\x00_{j} c\x00_{j} c\x01_{j} {r_col}" for j in range(n)))
    # senses: R_sense to a node held at the column's voltage (0 V: the virtual ground), or to a TIA
    u = spec.sense_voltages.tolist()
    if spec.tia is None:
        column_text = (["0" if u[j] == 0 else "%.15g" % u[j] for j in range(n)] if spec.sources is None
                       else spec.sources.columns)
        out += [f"{_r(r_sense[j])}Rsense{j} c{m - 1}_{j} s{j} {sns_text[j]}" for j in sensed]
        out += [f"Vs{j} s{j} 0 {column_text[j]}" for j in sensed]
    else:
        gain, r_f = spice_number(spec.tia.gain), spice_number(spec.tia.r_f)
        out += [f"{_r(r_sense[j])}Rsense{j} c{m - 1}_{j} x{j} {sns_text[j]}" for j in sensed]
        out += [f"Vs{j} x{j} s{j} 0" for j in sensed]
        out += [f"Rf{j} o{j} s{j} {r_f}" for j in sensed]
        for j in sensed:
            if u[j] == 0:
                out.append(f"Etia{j} o{j} 0 0 s{j} {gain}")
            else:
                out.append(f"Vu{j} u{j} 0 {u[j]:.15g}")
                out.append(f"Etia{j} o{j} 0 u{j} s{j} {gain}")
    if save_currents_only and sensed:
        saves = [f"i(vs{j})" for j in sensed]
        if spec.tia is not None:
            saves += [f"v(o{j})" for j in sensed]
        for start in range(0, len(saves), 64):
            out.append(".save " + " ".join(saves[start:start + 64]))
    if options:
        out.append(".options " + options)
    if analysis:
        out.append(analysis)
    out.append(".end")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- results


def column_currents(result, n_columns: int) -> np.ndarray:
    """Column currents (A, into each sense node) from a result of :func:`crossbar_netlist`, in column order.

    A floating column (no sense in the deck) gives 0.
    """
    return np.array([result.i(f"vs{j}")[0] if f"i(vs{j})" in result else 0.0 for j in range(n_columns)])


def tia_outputs(result, n_columns: int) -> np.ndarray:
    """TIA output voltages ``v(o<j>)`` (V) from a result of a deck with ``tia``; NaN for a floating column."""
    return np.array([result.v(f"o{j}")[0] if f"v(o{j})" in result else np.nan for j in range(n_columns)])


def node_voltages(result, shape: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
    """Row and column node voltages (V), each (M, N), from a deck written with ``save_currents_only=False``."""
    m, n = shape
    row = np.array([[result.v(f"r{i}_{j}")[0] for j in range(n)] for i in range(m)])
    col = np.array([[result.v(f"c{i}_{j}")[0] for j in range(n)] for i in range(m)])
    return row, col


def cell_readout(result, spec: CrossbarSpec) -> Tuple[np.ndarray, np.ndarray]:
    """Every cell's voltage (V) and current (A), each (M, N), from a deck written with ``save_currents_only=False``.

    The current is the cell's I-V at its voltage (``G * V`` for the linear cell).
    """
    row, col = node_voltages(result, spec.shape)
    v = row - col
    if spec.cell is None:
        return v, spec.conductance * v
    if hasattr(spec.cell, "terminal_currents"):       # 1T1R: the current out of the row node into the cell
        return v, spec.cell.terminal_currents(row.ravel(), col.ravel(), spec.conductance.ravel())[0].reshape(v.shape)
    return v, spec.cell.current(v.ravel(), spec.conductance.ravel())[0].reshape(v.shape)
