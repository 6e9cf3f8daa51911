"""The crossbar contract: :class:`CrossbarSpec`, validated once, and its options.

Layer: above the cells (:mod:`circuitsim.crossbar.cells`), below the generator
(:mod:`circuitsim.crossbar.netlist`) and the solver
(:mod:`circuitsim.crossbar.solver`).  Both engines, the IR-drop analysis, the
CLI and the sweep kinds take a crossbar only as a :class:`CrossbarSpec`; a bad
one is refused here, at construction, with one ``ValueError`` naming the
argument, and nothing deeper validates it again.

Default topology: row ``i`` is driven at its column-0 end,
``V[i] -> R_source -> row node (i,0)``; row nodes ``(i,j)-(i,j+1)`` are joined
by ``R_row``; cell ``(i,j)`` sits between row node ``(i,j)`` and column node
``(i,j)``; column nodes ``(i,j)-(i+1,j)`` are joined by ``R_col``; column node
``(M-1,j) -> R_sense ->`` a sense node held at the column's voltage (0 V: a
virtual ground); the column current is the current into the sense node.

Options (keyword fields of :class:`CrossbarSpec`, all off by default):

``r_source`` / ``r_sense`` per line, ``numpy.inf`` = floating
    A floating row has no driver, a floating column no sense (column current 0).
``column_voltages``
    The voltage each column's sense node is held at (bias schemes).
``drive="both"``
    Each row is also driven at its column ``N-1`` end, through a second
    ``R_source`` from the same source.
``tia=TIA(gain, r_f)``
    A finite-gain transimpedance stage at each sense node instead of the
    ideal virtual ground.
``sources``
    :class:`LineSources`: source text of every line (``PWL(...)``,
    ``external``) instead of the DC values (ngspice only);
    :mod:`circuitsim.netlists.programming` writes them.
``cell``
    Any :class:`~circuitsim.crossbar.cell.Cell` (default: the linear conductance).

Bias schemes (:class:`BiasScheme`, spelled ``"floating"``, ``"v/2"``,
``"v/3"`` everywhere: :data:`SCHEMES`) and differential pairs
(:class:`DifferentialMapping`) are expressed with these options.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np

from circuitsim.crossbar.cell import Cell
from circuitsim.crossbar.cells import as_cell

__all__ = [
    "DRIVES",
    "SCHEMES",
    "TIA",
    "BiasReadout",
    "BiasScheme",
    "CrossbarSpec",
    "DifferentialMapping",
    "LineSources",
    "differential_currents",
    "scheme_name",
]

DRIVES = ("one", "both")
#: the bias schemes, in their one spelling
SCHEMES = ("floating", "v/2", "v/3")


def scheme_name(kind: Any) -> str:
    """The one spelling of a bias scheme (``"V/2"``, ``"v2"`` -> ``"v/2"``); ``ValueError`` if unknown."""
    key = str(kind).strip().lower()
    key = {"v2": "v/2", "v3": "v/3"}.get(key, key)
    if key not in SCHEMES:
        raise ValueError(f"unknown bias scheme {kind!r}; choose one of {', '.join(SCHEMES)}")
    return key


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
        object.__setattr__(self, "kind", scheme_name(self.kind))
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
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number of ohms or one per line, got {value!r}") from None
    if arr.ndim == 0:
        if not (float(arr) >= 0):          # also NaN
            raise ValueError(f"{name} must be >= 0 ohm (numpy.inf leaves the lines floating), got {float(arr)!r}")
        return float(arr)
    if arr.shape != (size,):
        raise ValueError(f"{name} must be one value or one per line: shape ({size},), got {arr.shape}")
    bad = ~(arr >= 0)
    if bad.any():
        k = int(np.argmax(bad))
        raise ValueError(f"{name}[{k}] must be >= 0 ohm (numpy.inf leaves the line floating), got {arr[k]!r}")
    return arr


def _wire_resistance(name: str, value: Any) -> float:
    try:
        r = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number of ohms, got {value!r}") from None
    if not (np.isfinite(r) and r >= 0):
        raise ValueError(f"{name} must be finite and >= 0 ohm, got {r!r}")
    return r


#: the largest cell conductance a spec takes (S): a femto-ohm cell; a million times that makes the nodal
#: matrix's row sums overflow double precision on large arrays (1e300 S gave NaN currents)
MAX_CONDUCTANCE = 1e15


def _conductance(g: Any) -> np.ndarray:
    try:
        g = np.asarray(g, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"conductance must be a 2-D array of siemens, got {type(g).__name__}") from None
    if g.ndim != 2 or g.size == 0:
        raise ValueError(f"conductance must be a non-empty 2-D array (rows x columns, S), got shape {g.shape}")
    ok = np.isfinite(g) & (g > 0) & (g <= MAX_CONDUCTANCE)
    if not ok.all():
        i, j = (int(k) for k in np.argwhere(~ok)[0])
        raise ValueError(f"conductance must be finite and > 0 S everywhere, and at most {MAX_CONDUCTANCE:g} S (larger "
                         f"values overflow the nodal matrix's sums); cell G[{i}, {j}] = {float(g[i, j])!r}")
    return g


def _voltages(v: Any, m: int, n: int) -> np.ndarray:
    try:
        v = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"voltages must be an array of volts, got {type(v).__name__}") from None
    if v.ndim == 1:
        if v.shape != (m,):
            raise ValueError(f"shape mismatch between G and V: G is {m} x {n} (rows x columns), so V needs one "
                             f"voltage per row, shape ({m},); got {v.shape}")
    elif v.ndim == 2:
        if v.shape[1] != m:
            hint = " (V is (M, K): pass V.T, input vectors go along the first axis)" if v.shape[0] == m else ""
            raise ValueError(f"shape mismatch between G and V: G is {m} x {n}, so a 2-D V must be (K, {m}), one "
                             f"input vector per row; got {v.shape}{hint}")
        if v.shape[0] == 0:
            raise ValueError("V has no input vectors (shape (0, M))")
    else:
        raise ValueError(f"V must be 1-D (M,) or 2-D (K, M) volts, got shape {v.shape}")
    bad = ~np.isfinite(v)
    if bad.any():
        where = tuple(int(k) for k in np.argwhere(bad)[0])
        raise ValueError(f"voltages must be finite; V[{', '.join(map(str, where))}] = {float(v[where])!r}")
    return v


@dataclass(frozen=True)
class CrossbarSpec:
    """A crossbar with wire resistance: the one description both engines and every analysis take.

    Validated once, here: a bad argument is a ``ValueError`` naming it.
    Build it with keywords (or positionally in this order); derive variants
    with :func:`dataclasses.replace` (validated again) or :meth:`biased`.

    Attributes
    ----------
    conductance
        Cell conductances (S), shape (rows, columns), all finite and > 0.  For
        a nonlinear ``cell`` it is the cell's parameter of that name (see the
        cell class); a cell that defines its own (a
        :class:`~circuitsim.crossbar.cells.CatalogueCell`) takes ``None``
        (filled in with its small-signal conductance at 0 V).
    voltages
        Driver voltage per row (V): shape (rows,) for one input vector, or
        (K, rows) for a batch of K input vectors (one per row; the fast solver
        solves them against one factorisation, a deck holds one of them:
        :meth:`input_vector`).
    r_row, r_col
        Wire resistance of each row / column segment (ohm, finite, >= 0).
    r_source, r_sense
        Driver and sense resistance (ohm, >= 0): one value (kept a float), or
        one per row / per column; ``numpy.inf`` leaves the line floating.
        Exactly 0 is an ideal element: the deck writes it as a 0 V source,
        the fast solver merges its nodes.
    column_voltages
        Voltage of each column's sense node (V), shape (columns,) or, with a
        batch, (K, columns); ``None`` is 0 V.
    drive
        ``"one"`` (column-0 end, the default) or ``"both"`` (both ends, same source).
    tia
        A :class:`TIA` at each sense node, or ``None`` (ideal virtual ground).
    sources
        :class:`LineSources` (time-dependent line voltages; ngspice only), or
        ``None`` (DC: ``voltages`` and ``column_voltages``).
    cell
        The :class:`~circuitsim.crossbar.cell.Cell` of every position;
        ``None`` is the linear conductance (:class:`~circuitsim.crossbar.cells.LinearCell`).
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
    cell: Cell = None  # type: ignore[assignment]
    sources: Optional[LineSources] = None

    def __post_init__(self) -> None:
        cell = as_cell(self.cell)
        object.__setattr__(self, "cell", cell)
        conductance = self.conductance
        checked = False
        if conductance is None:
            conductance = cell.own_conductance()
            if conductance is None:
                raise ValueError(f"conductance is required: the cell {cell!r} does not define its own")
            if np.ndim(conductance) == 2:
                cell.check(*np.shape(conductance))        # the cell's own arrays first: it names what is wrong
                checked = True
        g = _conductance(conductance)
        m, n = g.shape
        v = _voltages(self.voltages, m, n)
        r_row = _wire_resistance("r_row", self.r_row)
        r_col = _wire_resistance("r_col", self.r_col)
        r_source = _line_resistance("r_source", self.r_source, m)
        r_sense = _line_resistance("r_sense", self.r_sense, n)
        if np.all(np.isinf(r_source)) and np.all(np.isinf(r_sense)):
            raise ValueError("every row and every column is floating (r_source = r_sense = inf): the array has no "
                             "reference and the node voltages are undefined")
        if self.column_voltages is not None:
            u = np.asarray(self.column_voltages, dtype=float)
            shapes = ((n,),) if v.ndim == 1 else ((n,), (v.shape[0], n))
            if u.shape not in shapes or not np.all(np.isfinite(u)):
                raise ValueError(f"column_voltages must be finite, one per column: shape ({n},)"
                                 + (f" or ({v.shape[0]}, {n})" if v.ndim == 2 else "") + f"; got {u.shape}")
            object.__setattr__(self, "column_voltages", u)
        if self.drive not in DRIVES:
            raise ValueError(f"drive must be 'one' or 'both', got {self.drive!r}")
        if self.tia is not None and not isinstance(self.tia, TIA):
            raise ValueError(f"tia must be a TIA(gain, r_f) or None, got {self.tia!r}")
        if self.sources is not None:
            if not isinstance(self.sources, LineSources):
                raise ValueError(f"sources must be LineSources or None, got {self.sources!r}")
            if self.tia is not None:
                raise ValueError("sources (time-dependent lines) and tia cannot be combined")
            self.sources.check(m, n)
        if not checked:
            cell.check(m, n)
        for name, value in (("conductance", g), ("voltages", v), ("r_row", r_row), ("r_col", r_col),
                            ("r_source", r_source), ("r_sense", r_sense)):
            object.__setattr__(self, name, value)

    @classmethod
    def from_arrays(cls, conductance: Any, voltages: Any, r_row: float, r_col: float, r_source: Any = 1e-3,
                    r_sense: Any = 1e-3, **options: Any) -> "CrossbarSpec":
        """The spec of arrays and resistances (the positional order of the old ``(G, V, r_row, ...)`` calls);
        ``options`` are the other fields."""
        return cls(conductance, voltages, r_row, r_col, r_source, r_sense, **options)

    @property
    def shape(self) -> Tuple[int, int]:
        """``(rows, columns)``."""
        return self.conductance.shape

    @property
    def is_batch(self) -> bool:
        """Whether ``voltages`` holds a batch of input vectors (2-D)."""
        return self.voltages.ndim == 2

    @property
    def input_vectors(self) -> np.ndarray:
        """The driver voltages as a batch, (K, rows) (K = 1 for a single vector)."""
        return self.voltages if self.is_batch else self.voltages[None, :]

    def input_vector(self, k: int) -> "CrossbarSpec":
        """The spec of input vector ``k`` alone (1-D voltages; column voltages of that vector)."""
        if not self.is_batch:
            if k != 0:
                raise IndexError(f"a single-vector spec has only input vector 0, not {k}")
            return self
        u = self.column_voltages
        return replace(self, voltages=self.voltages[k], column_voltages=u if u is None or u.ndim == 1 else u[k])

    @property
    def sense_voltages(self) -> np.ndarray:
        """The column voltages (V), zeros when not given."""
        return np.zeros(self.shape[1]) if self.column_voltages is None else self.column_voltages

    def biased(self, scheme: BiasScheme) -> "CrossbarSpec":
        """This array under a bias scheme (:meth:`BiasScheme.apply`)."""
        return scheme.apply(self)

    def cell_currents(self, row_voltages: Any, column_voltages: Any) -> np.ndarray:
        """Current from each row node into its cell (A) at given node voltages (V, ``(..., M, N)``, from
        either engine)."""
        row = np.asarray(row_voltages, dtype=float)
        col = np.asarray(column_voltages, dtype=float)
        if self.cell.linear:
            return self.conductance * (row - col)
        return self.cell.terminal_currents(row, col, self.conductance).row
