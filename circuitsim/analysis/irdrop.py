"""IR-drop analysis of crossbars: the array's result against the ideal product, and read margins.

Two parts, both in SI units (siemens, ohms, volts, amperes):

IR-drop report (:func:`irdrop_report`, :func:`irdrop_sweep`)
    A passive linear array in the default topology of design.md ("Crossbar
    convention": rows driven at their column-0 end through ``r_source``,
    columns sensed at row ``M-1`` through ``r_sense`` into a 0 V virtual
    ground) is solved with the fast solver
    (:func:`circuitsim.analysis.crossbar_solver.solve_crossbar`) or with
    ngspice (:func:`circuitsim.netlists.crossbar.crossbar_netlist`), and
    compared with the ideal product ``I0 = G^T V`` (``V @ G``): the current
    each column would collect with ideal wires, drivers and senses.

    * column error ``I_j - I0_j`` (A) and relative error
      ``(I_j - I0_j) / |I0_j|`` (``nan`` for a column whose ideal current is
      exactly 0);
    * effective cell voltage ``v_ij`` = row-node voltage minus column-node
      voltage (V), and its fraction of the applied row voltage,
      ``v_ij / V_i`` (``nan`` on a row driven at 0 V); 1 is an ideal array;
    * summary: the largest and the RMS relative column error, the norm-wise
      error ``max_j |I_j - I0_j| / max_j |I0_j|``, and the worst cell, the one
      whose fraction is farthest from 1.

Read margin (:func:`read_margin`, :func:`read_margin_table`)
    Reading one selected cell while the other lines are floating or biased
    (V/2, V/3 schemes): the array biased by
    :class:`~circuitsim.netlists.crossbar.BiasScheme` (:func:`read_spec`), solved
    by the one fast solver (:func:`~circuitsim.analysis.crossbar_solver.solve_crossbar`,
    Newton for nonlinear cells) or by ngspice on the one generator's deck
    (:func:`~circuitsim.netlists.crossbar.crossbar_netlist`).  See
    :func:`read_margin` for the definition.

Maps are PNG files drawn with matplotlib's Agg backend (:func:`write_report`,
:func:`write_sweep`).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = [
    "IRDropReport",
    "ReadMargin",
    "CELLS",
    "SCHEMES",
    "V_S",
    "check_conductance",
    "irdrop_report",
    "irdrop_sweep",
    "ngspice_crossbar",
    "read_cell",
    "read_currents",
    "read_margin",
    "read_margin_table",
    "read_spec",
    "spice_options",
    "write_report",
    "write_sweep",
]

#: voltage scale of the "selector" cell, I = G * V_S * sinh(V / V_S) (V); see :func:`read_margin`
V_S = 0.05
#: read schemes for the unselected lines
SCHEMES = ("floating", "V/2", "V/3")
CELLS = ("linear", "selector", "threshold")
#: ngspice options for the nonlinear read decks (the defaults, reltol 1e-3, would stop Newton early)
SPICE_TIGHT = ".options reltol=1e-9 abstol=1e-18 vntol=1e-12"
#: ... for the threshold-selector cell: with floating lines held only by OFF selectors (~1 GOhm) ngspice cannot
#: settle those lines' node voltages to vntol = 1e-12 V (no convergence), so abstol and vntol stay at their
#: defaults (1e-12 A, 1e-6 V); the sensed currents still agree with the fast solver to ~1e-10
SPICE_THRESHOLD = ".options reltol=1e-9"


def spice_options(cell: Any) -> Optional[str]:
    """The ``.options`` text (without ``.options``) of a read deck for ``cell`` (``None`` for linear cells)."""
    from circuitsim.netlists.crossbar import ThresholdSelector

    if cell is None:
        return None
    return (SPICE_THRESHOLD if isinstance(cell, ThresholdSelector) else SPICE_TIGHT).split(None, 1)[1]


# --------------------------------------------------------------------------- inputs


def check_conductance(g: Any) -> np.ndarray:
    """``G`` as a float array, refusing an empty, non-2-D, non-finite or non-positive one (naming the cell)."""
    g = np.asarray(g, dtype=float)
    if g.ndim != 2 or g.size == 0:
        raise ValueError(f"the conductance array G must be a non-empty 2-D array (rows x columns), got shape {g.shape}")
    ok = np.isfinite(g) & (g > 0)
    if not np.all(ok):
        bad = tuple(int(k) for k in np.argwhere(~ok)[0])
        raise ValueError(f"conductance must be finite and > 0 S everywhere; G{list(bad)} = {float(g[bad])!r}")
    return g


def _voltages(v: Any, rows: int, allow_2d: bool = True) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    if v.ndim == 1 and v.shape != (rows,):
        raise ValueError(f"shape mismatch between G and V: G has {rows} rows, so V must have shape ({rows},), "
                         f"got {v.shape}")
    if v.ndim == 2:
        if not allow_2d:
            raise ValueError(f"V must be one input vector of shape ({rows},), got {v.shape}")
        if v.shape[1] != rows:
            hint = " (pass V.T: one input vector per row of V)" if v.shape[0] == rows else ""
            raise ValueError(f"shape mismatch between G and V: G has {rows} rows, so V must have shape (K, {rows}), "
                             f"got {v.shape}{hint}")
    if v.ndim not in (1, 2) or v.size == 0:
        raise ValueError(f"V must be 1-D (M,) or 2-D (K, M) volts, got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        bad = tuple(int(k) for k in np.argwhere(~np.isfinite(v))[0])
        raise ValueError(f"V must be finite; V{list(bad)} = {float(v[bad])!r}")
    return v


def _resistance(name: str, value: Any, positive: bool = False) -> float:
    try:
        r = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number of ohms, got {value!r}") from None
    if not math.isfinite(r) or r < 0 or (positive and r == 0):
        raise ValueError(f"{name} must be finite and {'>' if positive else '>='} 0 ohm, got {r!r}")
    return r


# --------------------------------------------------------------------------- ngspice for the default topology


def ngspice_crossbar(G: Any, V: Any, r_row: float, r_col: float, r_source: float = 1e-3, r_sense: float = 1e-3,
                     engine: Any = None, keep_voltages: bool = False
                     ) -> Tuple[np.ndarray, Optional[np.ndarray], Optional[np.ndarray]]:
    """Solve the default-topology array in ngspice (one ``.op`` run per input vector).

    Parameters
    ----------
    G, V, r_row, r_col, r_source, r_sense
        As in :func:`~circuitsim.analysis.crossbar_solver.solve_crossbar`
        (``V`` of shape ``(M,)`` or ``(K, M)``); every resistance must be
        > 0 (a netlist resistor).
    engine
        An engine from :mod:`circuitsim.spice` (default: a new ``BatchEngine``).
    keep_voltages
        Also return the row and column node voltages (saves every node).

    Returns
    -------
    currents, row_node_voltages, column_node_voltages
        Column currents (A) of shape ``(N,)`` or ``(K, N)``; node voltages
        (V) of shape ``(M, N)`` or ``(K, M, N)``, or ``None``.
    """
    from circuitsim.netlists.crossbar import CrossbarSpec, column_currents, crossbar_netlist

    g = check_conductance(G)
    v = _voltages(V, g.shape[0])
    resist = {name: _resistance(name, value, positive=True) for name, value in
              (("r_row", r_row), ("r_col", r_col), ("r_source", r_source), ("r_sense", r_sense))}
    if engine is None:
        from circuitsim.spice import BatchEngine

        engine = BatchEngine()
    m, n = g.shape
    vectors = v.reshape(-1, m)
    currents = np.empty((vectors.shape[0], n))
    rows = np.empty((vectors.shape[0], m, n)) if keep_voltages else None
    cols = np.empty((vectors.shape[0], m, n)) if keep_voltages else None
    for k, vec in enumerate(vectors):
        spec = CrossbarSpec(g, vec, **resist)
        result = engine.run(crossbar_netlist(spec, save_currents_only=not keep_voltages))
        currents[k] = column_currents(result, n)
        if keep_voltages:
            nodes = result.last.node_voltages
            rows[k] = np.array([nodes[f"r{i}_{j}"][0] for i in range(m) for j in range(n)]).reshape(m, n)
            cols[k] = np.array([nodes[f"c{i}_{j}"][0] for i in range(m) for j in range(n)]).reshape(m, n)
    if v.ndim == 1:
        return currents[0], (rows[0] if keep_voltages else None), (cols[0] if keep_voltages else None)
    return currents, rows, cols


# --------------------------------------------------------------------------- IR-drop report


@dataclass
class IRDropReport:
    """The array's column currents against the ideal product ``G^T V``.

    Attributes
    ----------
    conductance, voltages
        The array (S, shape ``(M, N)``) and its row voltages (V, ``(M,)``).
    r_row, r_col, r_source, r_sense
        Resistances (ohm).
    engine
        ``"fast"`` or ``"ngspice"``.
    ideal_currents
        ``V @ G`` (A), ``(N,)``: the column currents with ideal wires.
    currents
        The array's column currents (A), ``(N,)``.
    abs_error
        ``currents - ideal_currents`` (A).
    rel_error
        ``abs_error / |ideal_currents|``, ``nan`` where the ideal current is 0.
    cell_voltage
        Row-node minus column-node voltage of every cell (V), ``(M, N)``.
    cell_fraction
        ``cell_voltage / voltages[:, None]``: the fraction of the applied row
        voltage the cell sees (``nan`` on a row at 0 V).
    seconds
        Wall time of the solve.
    """

    conductance: np.ndarray
    voltages: np.ndarray
    r_row: float
    r_col: float
    r_source: float
    r_sense: float
    engine: str
    ideal_currents: np.ndarray
    currents: np.ndarray
    abs_error: np.ndarray
    rel_error: np.ndarray
    cell_voltage: np.ndarray
    cell_fraction: np.ndarray
    seconds: float = 0.0
    info: Dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> Tuple[int, int]:
        return self.conductance.shape

    @property
    def max_rel_error(self) -> float:
        """Largest ``|rel_error|`` over the columns."""
        finite = self.rel_error[np.isfinite(self.rel_error)]
        return float(np.max(np.abs(finite))) if finite.size else float("nan")

    @property
    def rms_rel_error(self) -> float:
        """Root-mean-square of ``rel_error`` over the columns (ignoring ``nan``)."""
        finite = self.rel_error[np.isfinite(self.rel_error)]
        return float(np.sqrt(np.mean(finite ** 2))) if finite.size else float("nan")

    @property
    def normwise_error(self) -> float:
        """``max |abs_error| / max |ideal_currents|``."""
        scale = float(np.max(np.abs(self.ideal_currents)))
        return float(np.max(np.abs(self.abs_error)) / scale) if scale > 0 else float("nan")

    @property
    def worst_cell(self) -> Tuple[int, int]:
        """The cell whose effective-voltage fraction is farthest from 1, ``(row, column)``."""
        dev = np.abs(1.0 - self.cell_fraction)
        if not np.any(np.isfinite(dev)):
            return (0, 0)
        i, j = np.unravel_index(int(np.nanargmax(dev)), dev.shape)
        return int(i), int(j)

    @property
    def worst_cell_fraction(self) -> float:
        return float(self.cell_fraction[self.worst_cell])

    def summary(self) -> Dict[str, Any]:
        """The summary figures as a JSON-ready dict."""
        m, n = self.shape
        frac = self.cell_fraction[np.isfinite(self.cell_fraction)]
        return {
            "rows": m, "columns": n, "engine": self.engine,
            "r_row_ohm": self.r_row, "r_col_ohm": self.r_col, "r_source_ohm": self.r_source,
            "r_sense_ohm": self.r_sense,
            "g_min_S": float(self.conductance.min()), "g_max_S": float(self.conductance.max()),
            "max_rel_error": self.max_rel_error, "rms_rel_error": self.rms_rel_error,
            "normwise_error": self.normwise_error,
            "worst_cell": list(self.worst_cell), "worst_cell_fraction": self.worst_cell_fraction,
            "mean_cell_fraction": float(frac.mean()) if frac.size else float("nan"),
            "seconds": self.seconds,
        }

    def to_dict(self, cells: bool = True) -> Dict[str, Any]:
        """Summary, per-column figures and (if ``cells``) the per-cell fractions, JSON-ready."""
        out: Dict[str, Any] = {
            "summary": self.summary(),
            "columns": {
                "ideal_current_A": _listed(self.ideal_currents), "current_A": _listed(self.currents),
                "abs_error_A": _listed(self.abs_error), "rel_error": _listed(self.rel_error),
            },
            "voltages_V": _listed(self.voltages),
            "definitions": {
                "ideal_current_A": "V @ G: the column currents with ideal wires, drivers and senses",
                "rel_error": "(I - I_ideal) / |I_ideal| per column (null where I_ideal = 0)",
                "normwise_error": "max|I - I_ideal| / max|I_ideal|",
                "cell_fraction": "(row-node - column-node voltage) / applied row voltage, per cell",
                "worst_cell": "the cell whose fraction is farthest from 1 (row, column)",
            },
        }
        if cells:
            out["cell_fraction"] = _listed(self.cell_fraction)
        return out

    def to_json(self, cells: Optional[bool] = None, indent: Optional[int] = 1) -> str:
        """JSON text of :meth:`to_dict` (per-cell fractions included up to 256 x 256 unless ``cells`` says)."""
        if cells is None:
            cells = self.conductance.size <= 256 * 256
        return json.dumps(_clean(self.to_dict(cells)), indent=indent, allow_nan=False)


def _clean(obj: Any) -> Any:
    """Replace non-finite floats by ``None`` (strict JSON), recursively."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _listed(a: np.ndarray) -> Any:
    """``tolist()`` with ``nan`` -> ``None`` (strict JSON)."""
    a = np.asarray(a, dtype=float)
    if np.all(np.isfinite(a)):
        return a.tolist()
    return np.where(np.isfinite(a), a, None).tolist()


def irdrop_report(G: Any, V: Any, r_row: float, r_col: float, r_source: float = 1e-3, r_sense: float = 1e-3,
                  engine: Any = "fast", method: str = "auto") -> IRDropReport:
    """Compare a crossbar's column currents with the ideal product ``G^T V``.

    Parameters
    ----------
    G
        Cell conductances (S), shape ``(M, N)``, finite and > 0.
    V
        Row driver voltages (V), shape ``(M,)``.
    r_row, r_col, r_source, r_sense
        Wire segment, driver and sense resistance (ohm, >= 0; > 0 for ngspice).
    engine
        ``"fast"`` (the sparse nodal solver), ``"ngspice"`` (a new batch
        engine), or an engine object from :mod:`circuitsim.spice` (ngspice).
    method
        Solver method for ``"fast"`` (``"auto"``, ``"direct"``, ``"pcg"``).

    Returns
    -------
    IRDropReport

    Raises
    ------
    ValueError
        Non-positive or NaN conductance, a shape mismatch between ``G`` and
        ``V``, a negative resistance, an array too large for memory.
    """
    g = check_conductance(G)
    v = _voltages(V, g.shape[0], allow_2d=False)
    r = [_resistance(name, value) for name, value in
         (("r_row", r_row), ("r_col", r_col), ("r_source", r_source), ("r_sense", r_sense))]
    t0 = time.perf_counter()
    info: Dict[str, Any] = {}
    if isinstance(engine, str) and engine == "fast":
        from circuitsim.analysis.crossbar_solver import solve_crossbar

        sol = solve_crossbar(g, v, *r, method=method)
        currents, xr, xc = sol.column_currents, sol.row_node_voltages, sol.column_node_voltages
        info["method"] = sol.method
        name = "fast"
    elif isinstance(engine, str) and engine != "ngspice":
        raise ValueError(f"unknown engine {engine!r}; choose 'fast' or 'ngspice'")
    else:
        currents, xr, xc = ngspice_crossbar(g, v, *r, engine=None if isinstance(engine, str) else engine,
                                            keep_voltages=True)
        name = "ngspice"
    seconds = time.perf_counter() - t0
    ideal = v @ g
    err = currents - ideal
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(ideal != 0, err / np.abs(ideal), np.nan)
        cell_v = xr - xc
        frac = np.where(v[:, None] != 0, cell_v / v[:, None], np.nan)
    return IRDropReport(conductance=g, voltages=v, r_row=r[0], r_col=r[1], r_source=r[2], r_sense=r[3],
                        engine=name, ideal_currents=ideal, currents=currents, abs_error=err, rel_error=rel,
                        cell_voltage=cell_v, cell_fraction=frac, seconds=seconds, info=info)


def irdrop_sweep(sizes: Sequence[int] = (16, 32, 64, 128), r_wires: Sequence[float] = (0.1, 0.3, 1.0, 3.0, 10.0),
                 g_ranges: Sequence[Tuple[float, float]] = ((1e-6, 1e-5), (1e-5, 1e-4)), seed: int = 0,
                 v_read: float = 0.1, r_source: float = 1e-3, r_sense: float = 1e-3,
                 engine: str = "fast") -> List[Dict[str, Any]]:
    """Summary IR-drop figures of square arrays as a function of size, wire resistance and conductance range.

    Each ``n x n`` array has conductances drawn uniformly from each range
    (``numpy.random.default_rng(seed)``, one draw per size and range, reused
    for every wire resistance), every row driven at ``v_read`` (all inputs on:
    the largest currents, so the worst IR drop), and ``r_row = r_col =`` the
    wire resistance.

    Returns
    -------
    list of dict
        One per (range, size, wire): ``size``, ``r_wire_ohm``, ``g_min_S``,
        ``g_max_S`` and the figures of :meth:`IRDropReport.summary`.
    """
    rows = []
    for g_lo, g_hi in g_ranges:
        if not (0 < g_lo <= g_hi and math.isfinite(g_hi)):
            raise ValueError(f"a conductance range must satisfy 0 < low <= high (S), got ({g_lo!r}, {g_hi!r})")
        for size in sizes:
            size = int(size)
            if size < 1:
                raise ValueError(f"array sizes must be >= 1, got {size}")
            rng = np.random.default_rng([seed, size, int(round(-math.log10(g_lo) * 1000))])
            g = rng.uniform(g_lo, g_hi, (size, size))
            v = np.full(size, float(v_read))
            for r in r_wires:
                rep = irdrop_report(g, v, r, r, r_source, r_sense, engine=engine)
                s = rep.summary()
                rows.append({"size": size, "r_wire_ohm": float(r), "g_range_S": [float(g_lo), float(g_hi)],
                             "v_read_V": float(v_read), "seed": seed, **s})
    return rows


# --------------------------------------------------------------------------- plots


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_cell_fraction(report: IRDropReport, path: Union[str, Path]) -> Path:
    """PNG map of the effective-voltage fraction of every cell, the worst cell marked."""
    plt = _pyplot()
    m, n = report.shape
    fig, ax = plt.subplots(figsize=(6.2, 5.0))
    im = ax.imshow(report.cell_fraction, cmap="viridis", origin="upper", aspect="auto", interpolation="nearest")
    fig.colorbar(im, ax=ax, label="cell voltage / applied row voltage")
    wi, wj = report.worst_cell
    ax.plot(wj, wi, "s", ms=10, mfc="none", mec="red", mew=2, clip_on=False)
    ax.set_xlabel("column (sense at the bottom)")
    ax.set_ylabel("row (driver at column 0)")
    ax.set_title(f"{m} x {n}, r_row={report.r_row:g}, r_col={report.r_col:g} ohm ({report.engine})\n"
                 f"worst cell (red) ({wi}, {wj}): {report.worst_cell_fraction:.4f} of its row voltage", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_column_error(report: IRDropReport, path: Union[str, Path]) -> Path:
    """PNG bar chart of the relative error of each column (%)."""
    plt = _pyplot()
    n = report.shape[1]
    fig, ax = plt.subplots(figsize=(7.0, 3.4))
    ax.bar(np.arange(n), 100 * report.rel_error, width=1.0 if n > 32 else 0.8, color="tab:red")
    ax.set_xlabel("column")
    ax.set_ylabel("(I - I_ideal) / |I_ideal| [%]")
    ax.set_title(f"column error: max {100 * report.max_rel_error:.3g} %, RMS {100 * report.rms_rel_error:.3g} %",
                 fontsize=10)
    ax.axhline(0, color="0.3", lw=0.8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(report: IRDropReport, folder: Union[str, Path]) -> List[Path]:
    """Write ``report.json``, ``cell_voltage.npy``, ``effective_voltage_map.png`` and ``column_error.png``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = [folder / "report.json", folder / "cell_voltage.npy"]
    out[0].write_text(report.to_json() + "\n")
    np.save(out[1], report.cell_voltage)
    out.append(plot_cell_fraction(report, folder / "effective_voltage_map.png"))
    out.append(plot_column_error(report, folder / "column_error.png"))
    return out


def plot_sweep(rows: Sequence[Dict[str, Any]], path: Union[str, Path]) -> Path:
    """PNG: max relative column error vs array size, one line per wire resistance, one panel per range."""
    plt = _pyplot()
    from matplotlib.ticker import NullFormatter

    ranges = sorted({tuple(r["g_range_S"]) for r in rows})
    fig, axes = plt.subplots(1, len(ranges), figsize=(5.2 * len(ranges), 4.0), squeeze=False, sharey=True)
    for ax, rng in zip(axes[0], ranges):
        sub = [r for r in rows if tuple(r["g_range_S"]) == rng]
        for wire in sorted({r["r_wire_ohm"] for r in sub}):
            pts = sorted((r["size"], abs(r["max_rel_error"])) for r in sub if r["r_wire_ohm"] == wire)
            ax.loglog([p[0] for p in pts], [100 * p[1] for p in pts], "o-", label=f"{wire:g} ohm")
        sizes = sorted({r["size"] for r in sub})
        ax.set_xticks(sizes)
        ax.set_xticklabels([str(x) for x in sizes])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("array size N (N x N)")
        ax.set_title(f"G uniform in [{rng[0]:g}, {rng[1]:g}] S", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(title="r_row = r_col", fontsize=8)
    axes[0][0].set_ylabel("max relative column error [%]")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_sweep(rows: Sequence[Dict[str, Any]], folder: Union[str, Path]) -> List[Path]:
    """Write ``sweep.json`` and ``sweep.png`` (:func:`plot_sweep`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sweep.json"
    path.write_text(json.dumps(_clean(list(rows)), indent=1, allow_nan=False) + "\n")
    return [path, plot_sweep(rows, folder / "sweep.png")]


# --------------------------------------------------------------------------- read margin


def _scheme(scheme: str) -> str:
    key = str(scheme).strip().upper().replace("V2", "V/2").replace("V3", "V/3")
    for s in SCHEMES:
        if key == s.upper():
            return s
    raise ValueError(f"unknown read scheme {scheme!r}; choose one of {SCHEMES}")


def read_cell(cell: str, v_s: float = V_S) -> Any:
    """The crossbar cell object of a read-margin cell name (``None`` for ``"linear"``).

    ``"selector"`` is :class:`~circuitsim.netlists.crossbar.SinhSelector` with
    ``v_s``; ``"threshold"`` is :class:`~circuitsim.netlists.crossbar.ThresholdSelector`
    with its defaults (threshold 0.3 V: ON at the 0.4 V read voltage, OFF at
    V/2 and V/3).
    """
    from circuitsim.netlists.crossbar import SinhSelector, ThresholdSelector

    if cell == "linear":
        return None
    if cell == "selector":
        if not (v_s > 0 and math.isfinite(v_s)):
            raise ValueError(f"v_s must be finite and > 0 V, got {v_s!r}")
        return SinhSelector(v_s=v_s)
    if cell == "threshold":
        return ThresholdSelector()
    raise ValueError(f"unknown cell {cell!r}; choose one of {CELLS}")


def read_spec(g: Any, scheme: str, v_read: float, selected: Tuple[int, int], r_wire: float = 1.0,
              r_source: float = 1e-3, r_sense: float = 1e-3, cell: Any = None) -> Any:
    """The read configuration as a biased :class:`~circuitsim.netlists.crossbar.CrossbarSpec`.

    ``spec.biased(BiasScheme.cell(scheme, v_read, *selected))`` of the
    default-topology array ``g`` with ``r_row = r_col = r_wire``: the selected
    row at ``v_read``, the selected column's sense node at 0 V, the other lines
    floating or at V/2, V/3 (:class:`~circuitsim.netlists.crossbar.BiasScheme`).
    Both engines take it: :func:`~circuitsim.analysis.crossbar_solver.solve_crossbar`
    and :func:`~circuitsim.netlists.crossbar.crossbar_netlist`.  Resistances
    of exactly 0 are ideal (merged nodes in the fast solver, 0 V sources in the deck).
    """
    from circuitsim.netlists.crossbar import BiasScheme, CrossbarSpec

    g = check_conductance(g)
    spec = CrossbarSpec(g, np.zeros(g.shape[0]), r_row=r_wire, r_col=r_wire, r_source=r_source, r_sense=r_sense,
                        cell=cell)
    return spec.biased(BiasScheme.cell(_scheme(scheme).lower(), v_read, int(selected[0]), int(selected[1])))


def read_currents(spec: Any, engine: Any = "fast") -> np.ndarray:
    """Column currents (A, into each sense node; 0 for a floating column) of a read configuration.

    ``engine``: ``"fast"`` (:func:`~circuitsim.analysis.crossbar_solver.solve_crossbar`)
    or an ngspice engine object (the deck of
    :func:`~circuitsim.netlists.crossbar.crossbar_netlist`, with
    :func:`spice_options` for nonlinear cells).
    """
    if isinstance(engine, str):
        from circuitsim.analysis.crossbar_solver import solve_crossbar

        return solve_crossbar(spec, keep_voltages=False).column_currents
    from circuitsim.netlists.crossbar import column_currents, crossbar_netlist

    return column_currents(engine.run(crossbar_netlist(spec, options=spice_options(spec.cell))), spec.shape[1])


@dataclass
class ReadMargin:
    """Read margin of one cell (:func:`read_margin`).

    Attributes
    ----------
    i_lrs, i_hrs
        Current sensed at the selected column (A) with the selected cell in its
        low-resistance (``r_on``) and high-resistance (``r_off``) state, every
        other cell at ``r_on``.
    margin
        ``(i_lrs - i_hrs) / i_lrs``.
    ideal_margin
        The margin of the isolated cell read at ``v_read``: ``1 - r_on / r_off``
        for the linear and ``selector`` cells, ``1 - I(v_read; 1/r_off) /
        I(v_read; 1/r_on)`` for the ``threshold`` cell.
    """

    rows: int
    cols: int
    scheme: str
    cell: str
    selected: Tuple[int, int]
    i_lrs: float
    i_hrs: float
    margin: float
    ideal_margin: float
    params: Dict[str, Any]
    engine: str

    def to_dict(self) -> Dict[str, Any]:
        return {"rows": self.rows, "cols": self.cols, "scheme": self.scheme, "cell": self.cell,
                "selected": list(self.selected), "i_lrs_A": self.i_lrs, "i_hrs_A": self.i_hrs,
                "margin": self.margin, "ideal_margin": self.ideal_margin, "engine": self.engine, **self.params}


def read_margin(M: int, N: int, scheme: str = "floating", cell: str = "linear", r_on: float = 1e5,
                r_off: float = 1e6, v_read: float = 0.4, r_wire: float = 1.0, r_source: float = 1e-3,
                r_sense: float = 1e-3, v_s: float = V_S, selected: Optional[Tuple[int, int]] = None,
                engine: Any = "auto") -> ReadMargin:
    """Read margin of a selected cell with every other cell at LRS (the worst case).

    Definition: with the read bias of :func:`read_spec` (the selected row at
    ``v_read``, the selected column sensed at 0 V, the other lines by
    ``scheme``), ``I_LRS`` and ``I_HRS`` are the currents sensed at the
    selected column's virtual ground when the selected cell is at ``r_on`` and
    at ``r_off`` (every other cell at ``r_on``, which maximises the sneak and
    half-selected currents).  The margin is the normalised difference
    ``(I_LRS - I_HRS) / I_LRS``: the fraction of the sensed current that
    carries the bit.  An isolated cell with ideal wires has ``1 - r_on/r_off``;
    sneak paths (floating), half-selected cells on the selected column (V/2,
    V/3: ``(M-1)`` cells at V/2 or V/3 add to both currents) and the IR drop
    lower it; 0 means unreadable.

    Parameters
    ----------
    M, N
        Rows and columns.
    scheme
        ``"floating"``, ``"V/2"`` or ``"V/3"``.
    cell
        ``"linear"`` (resistors ``r_on`` / ``r_off``); ``"selector"``: the
        strongly nonlinear lumped cell ``I = G v_s sinh(V/v_s)``
        (:class:`~circuitsim.netlists.crossbar.SinhSelector`), with ``G``
        chosen so that the cell passes ``v_read / R`` at ``v_read``, i.e.
        ``I = (v_read / R) sinh(V/v_s) / sinh(v_read/v_s)``; ``"threshold"``:
        1S1R, a threshold switch in series with the memory element ``1/R``
        (:class:`~circuitsim.netlists.crossbar.ThresholdSelector`, defaults).
    r_on, r_off
        LRS and HRS resistance (ohm): for the selector, the chord resistance
        ``v_read / I`` at the read voltage; for the threshold cell, the memory
        element's resistance.
    v_read
        Read voltage on the selected row (V).
    r_wire
        Resistance of every row and column wire segment (ohm, >= 0; 0 = ideal).
    r_source, r_sense
        Driver and sense resistance (ohm, >= 0; 0 = ideal).
    v_s
        Selector voltage scale (V).
    selected
        ``(row, column)`` of the selected cell; default ``(0, N-1)``, the
        corner farthest from the row drivers (column 0) and from the sense
        amplifiers (row ``M-1``): the largest IR drop.
    engine
        ``"fast"`` (:func:`~circuitsim.analysis.crossbar_solver.solve_crossbar`),
        ``"ngspice"`` (a new batch engine), an engine object, or ``"auto"``
        (the fast solver).  Both engines solve the same biased spec.
    """
    if M < 1 or N < 1:
        raise ValueError(f"the array needs at least one row and one column, got {M} x {N}")
    if not (0 < r_on < r_off and math.isfinite(r_off)):
        raise ValueError(f"need 0 < r_on < r_off (ohm), got r_on={r_on!r}, r_off={r_off!r}")
    cell_obj = read_cell(cell, v_s)
    key = _scheme(scheme)
    sel = (0, N - 1) if selected is None else (int(selected[0]), int(selected[1]))
    if not (0 <= sel[0] < M and 0 <= sel[1] < N):
        raise ValueError(f"selected cell {sel} is outside the {M} x {N} array")
    resist = {name: _resistance(name, value) for name, value in
              (("r_wire", r_wire), ("r_source", r_source), ("r_sense", r_sense))}
    if isinstance(engine, str):
        if engine not in ("auto", "fast", "ngspice"):
            raise ValueError(f"unknown engine {engine!r}; choose 'auto', 'fast' or 'ngspice'")
        name = "ngspice" if engine == "ngspice" else "fast"
        spice: Any = "fast"
        if name == "ngspice":
            from circuitsim.spice import BatchEngine

            spice = BatchEngine()
    else:
        name, spice = "ngspice", engine
    # the selector's G is its small-signal conductance at 0 V: scale it so that the cell passes v_read / R at
    # v_read (r_on and r_off are chord resistances at the read voltage, as a datasheet gives them)
    to_g = v_read / (v_s * math.sinh(v_read / v_s)) if cell == "selector" else 1.0
    currents = []
    for r_sel in (r_on, r_off):
        g = np.full((M, N), to_g / r_on)
        g[sel] = to_g / r_sel
        spec = read_spec(g, key, v_read, sel, cell=cell_obj, **resist)
        currents.append(float(read_currents(spec, spice)[sel[1]]))
    i_lrs, i_hrs = currents
    if cell == "threshold":
        i_iso = cell_obj.current(np.array([v_read, v_read]), np.array([1.0 / r_on, 1.0 / r_off]))[0]
        ideal = 1.0 - float(i_iso[1] / i_iso[0])
    else:
        ideal = 1.0 - r_on / r_off
    params = {"r_on_ohm": r_on, "r_off_ohm": r_off, "v_read_V": v_read, "r_wire_ohm": r_wire,
              "r_source_ohm": r_source, "r_sense_ohm": r_sense}
    if cell == "selector":
        params["v_s_V"] = v_s
    if cell == "threshold":
        params.update({f"{k}": getattr(cell_obj, k) for k in ("v_th", "width", "g_on", "g_off")})
    return ReadMargin(rows=M, cols=N, scheme=key, cell=cell, selected=sel, i_lrs=i_lrs, i_hrs=i_hrs,
                      margin=(i_lrs - i_hrs) / i_lrs, ideal_margin=ideal, params=params, engine=name)


def read_margin_table(sizes: Sequence[int] = (2, 4, 8, 16, 32, 64, 128), schemes: Sequence[str] = SCHEMES,
                      cells: Sequence[str] = CELLS, **kwargs: Any) -> List[Dict[str, Any]]:
    """:func:`read_margin` of square ``n x n`` arrays for each size, scheme and cell: a list of dicts."""
    rows = []
    for cell in cells:
        for scheme in schemes:
            for size in sizes:
                t0 = time.perf_counter()
                d = read_margin(int(size), int(size), scheme, cell, **kwargs).to_dict()
                d["seconds"] = time.perf_counter() - t0
                rows.append(d)
    return rows
