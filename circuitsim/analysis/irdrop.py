"""IR-drop analysis of crossbars: the array's result against the ideal product, and read margins.

Layer: on top of :mod:`circuitsim.crossbar` (the spec, the generator and the
solver).  Every analysis takes a crossbar as a validated
:class:`~circuitsim.crossbar.spec.CrossbarSpec`; nothing is validated again here.
Units are SI (siemens, ohms, volts, amperes).

IR-drop report (:func:`irdrop_report`, :func:`irdrop_sweep`)
    A linear array (rows driven at their column-0 end through ``r_source``,
    columns sensed at row ``M-1`` through ``r_sense``) is solved with the fast
    solver (:func:`circuitsim.crossbar.solver.solve_crossbar`) or with
    ngspice (:func:`circuitsim.crossbar.netlist.crossbar_deck`), and compared
    with the ideal product ``I0 = G^T V`` (``V @ G``): the current each column
    would collect with ideal wires, drivers and senses.

    * column error ``I_j - I0_j`` (A) and relative error
      ``(I_j - I0_j) / |I0_j|`` (``nan`` for a column whose ideal current is
      exactly 0);
    * effective cell voltage ``v_ij`` = row-node voltage minus column-node
      voltage (V), and its fraction of the applied row voltage,
      ``v_ij / V_i`` (``nan`` on a row driven at 0 V); 1 is an ideal array;
    * summary: the largest and the RMS relative column error, the norm-wise
      error ``max_j |I_j - I0_j| / max_j |I0_j|``, and the worst cell, the one
      whose fraction is farthest from 1.

Read margin (:func:`read_margin`, :func:`worst_case_read_margin`, :func:`read_margin_table`)
    Reading one selected cell while the other lines are floating or biased
    (``"v/2"``, ``"v/3"``): the array biased by
    :class:`~circuitsim.crossbar.spec.BiasScheme` (:func:`read_spec`), solved
    by the one fast solver (Newton for nonlinear cells) or by ngspice on the
    one generator's deck (with :data:`~circuitsim.crossbar.cells.NONLINEAR_READ_OPTIONS`
    for nonlinear cells).  See :func:`read_margin` for the definition.

Maps are PNG files drawn on matplotlib figures without pyplot (the user's
backend is left alone): :func:`write_report`, :func:`write_sweep`.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from circuitsim.crossbar.cells import DEFAULT_SELECTOR_V_S, cell_by_name, read_options
from circuitsim.crossbar.netlist import crossbar_deck
from circuitsim.crossbar.spec import SCHEMES, BiasScheme, CrossbarSpec, scheme_name

__all__ = [
    "CELLS",
    "SCHEMES",
    "IRDropReport",
    "ReadMargin",
    "irdrop_report",
    "irdrop_sweep",
    "ngspice_crossbar",
    "read_cell",
    "read_currents",
    "read_margin",
    "read_margin_table",
    "read_spec",
    "worst_case_read_margin",
    "write_report",
    "write_sweep",
]

#: the cells of the read-margin tables (names of :func:`circuitsim.crossbar.cells.cell_by_name`)
CELLS = ("linear", "selector", "threshold")
ENGINES = ("fast", "ngspice")


def _engine(engine: Any) -> Tuple[str, Any]:
    """``(name, runner)``: ``"fast"`` (runner ``None``) or ``"ngspice"`` (a new batch engine, or the engine
    object given)."""
    if not isinstance(engine, str):
        return "ngspice", engine
    if engine in ("auto", "fast"):
        return "fast", None
    if engine == "ngspice":
        from circuitsim.spice import BatchEngine

        return "ngspice", BatchEngine()
    raise ValueError(f"unknown engine {engine!r}; choose 'fast', 'ngspice' (or 'auto': the fast solver), or pass "
                     f"an engine object of circuitsim.spice")


# --------------------------------------------------------------------------- ngspice for the default topology


def ngspice_crossbar(spec: CrossbarSpec, engine: Any = None, keep_voltages: bool = False
                     ) -> Tuple[np.ndarray, Optional[np.ndarray], Optional[np.ndarray]]:
    """Solve a crossbar in ngspice (one ``.op`` run per input vector).

    Parameters
    ----------
    spec
        The array (one input vector or a batch ``(K, M)``).  Nonlinear cells
        run with :data:`~circuitsim.crossbar.cells.NONLINEAR_READ_OPTIONS`.
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
    if engine is None:
        from circuitsim.spice import BatchEngine

        engine = BatchEngine()
    m, n = spec.shape
    k_all = spec.input_vectors.shape[0]
    currents = np.empty((k_all, n))
    rows = np.empty((k_all, m, n)) if keep_voltages else None
    cols = np.empty((k_all, m, n)) if keep_voltages else None
    for k in range(k_all):
        deck = crossbar_deck(spec.input_vector(k), save_currents_only=not keep_voltages,
                             options=read_options(spec.cell))
        result = engine.run(deck)
        currents[k] = deck.probes.column_currents(result)
        if keep_voltages:
            rows[k], cols[k] = deck.probes.node_voltages(result)
    if not spec.is_batch:
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
        Resistances (ohm; ``r_source`` / ``r_sense`` one value or one per line).
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
    info
        The solver's method (fast engine).
    spec
        The spec solved.
    """

    conductance: np.ndarray
    voltages: np.ndarray
    r_row: float
    r_col: float
    r_source: Union[float, np.ndarray]
    r_sense: Union[float, np.ndarray]
    engine: str
    ideal_currents: np.ndarray
    currents: np.ndarray
    abs_error: np.ndarray
    rel_error: np.ndarray
    cell_voltage: np.ndarray
    cell_fraction: np.ndarray
    seconds: float = 0.0
    info: Dict[str, Any] = field(default_factory=dict)
    spec: Optional[CrossbarSpec] = field(default=None, repr=False)

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
            "r_row_ohm": self.r_row, "r_col_ohm": self.r_col, "r_source_ohm": _ohms(self.r_source),
            "r_sense_ohm": _ohms(self.r_sense),
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


def _ohms(r: Union[float, np.ndarray]) -> Any:
    """A resistance for JSON: a float, or a list (one per line)."""
    return float(r) if np.ndim(r) == 0 else np.asarray(r, dtype=float).tolist()


def irdrop_report(spec: CrossbarSpec, engine: Any = "fast", method: str = "auto") -> IRDropReport:
    """Compare a crossbar's column currents with the ideal product ``G^T V``.

    Parameters
    ----------
    spec
        A linear array with one input vector, every row driven and every
        column sensed (the ideal product needs them); its column voltages, if
        any, are part of the ideal product (``sum_i G_ij (V_i - u_j)``).
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
        A spec the ideal product does not describe (nonlinear cell, several
        input vectors, floating lines, time-dependent sources), an unknown
        engine, an array too large for memory.
    """
    if not spec.cell.linear:
        raise ValueError(f"irdrop_report compares with the ideal product V @ G of linear cells; the spec's cell is "
                         f"{spec.cell!r} (solve it with solve_crossbar, or read it with read_margin)")
    if spec.is_batch:
        raise ValueError(f"irdrop_report takes one input vector (spec.voltages of shape ({spec.shape[0]},)), got "
                         f"{spec.voltages.shape}: report each spec.input_vector(k)")
    if np.any(np.isinf(spec.r_source)) or np.any(np.isinf(spec.r_sense)):
        raise ValueError("irdrop_report needs every row driven and every column sensed (the ideal product has no "
                         "floating lines); r_source / r_sense hold numpy.inf")
    if spec.sources is not None:
        raise ValueError("irdrop_report reads the DC voltages: the spec has time-dependent line sources")
    if isinstance(engine, str) and engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose 'fast' or 'ngspice'")
    name, runner = _engine(engine)
    g, v, u = spec.conductance, spec.voltages, spec.sense_voltages
    t0 = time.perf_counter()
    info: Dict[str, Any] = {}
    if name == "fast":
        from circuitsim.crossbar.solver import solve_crossbar

        sol = solve_crossbar(spec, method=method)
        currents, xr, xc = sol.column_currents, sol.row_node_voltages, sol.column_node_voltages
        info["method"] = sol.method
    else:
        currents, xr, xc = ngspice_crossbar(spec, engine=runner, keep_voltages=True)
    seconds = time.perf_counter() - t0
    ideal = v @ g if not np.any(u) else v @ g - u * g.sum(axis=0)
    applied = v[:, None] if not np.any(u) else v[:, None] - u[None, :]
    err = currents - ideal
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(ideal != 0, err / np.abs(ideal), np.nan)
        cell_v = xr - xc
        frac = np.where(applied != 0, cell_v / applied, np.nan)
    return IRDropReport(conductance=g, voltages=v, r_row=spec.r_row, r_col=spec.r_col, r_source=spec.r_source,
                        r_sense=spec.r_sense, engine=name, ideal_currents=ideal, currents=currents, abs_error=err,
                        rel_error=rel, cell_voltage=cell_v, cell_fraction=frac, seconds=seconds, info=info,
                        spec=spec)


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
        One per (range, size, wire): ``size``, ``r_wire_ohm``, ``g_range_S``,
        ``v_read_V``, ``seed`` and the figures of :meth:`IRDropReport.summary`.
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
                spec = CrossbarSpec(g, v, r_row=r, r_col=r, r_source=r_source, r_sense=r_sense)
                s = irdrop_report(spec, engine=engine).summary()
                rows.append({"size": size, "r_wire_ohm": float(r), "g_range_S": [float(g_lo), float(g_hi)],
                             "v_read_V": float(v_read), "seed": seed, **s})
    return rows


# --------------------------------------------------------------------------- plots


def _figure(**kwargs: Any) -> Any:
    """A matplotlib figure outside pyplot (saving it to PNG uses the Agg canvas; the backend stays as it is)."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def plot_cell_fraction(report: IRDropReport, path: Union[str, Path]) -> Path:
    """PNG map of the effective-voltage fraction of every cell, the worst cell marked."""
    m, n = report.shape
    fig = _figure(figsize=(6.2, 5.0))
    ax = fig.subplots()
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
    return path


def plot_column_error(report: IRDropReport, path: Union[str, Path]) -> Path:
    """PNG bar chart of the relative error of each column (%)."""
    n = report.shape[1]
    fig = _figure(figsize=(7.0, 3.4))
    ax = fig.subplots()
    ax.bar(np.arange(n), 100 * report.rel_error, width=1.0 if n > 32 else 0.8, color="tab:red")
    ax.set_xlabel("column")
    ax.set_ylabel("(I - I_ideal) / |I_ideal| [%]")
    ax.set_title(f"column error: max {100 * report.max_rel_error:.3g} %, RMS {100 * report.rms_rel_error:.3g} %",
                 fontsize=10)
    ax.axhline(0, color="0.3", lw=0.8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
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
    from matplotlib.ticker import NullFormatter

    ranges = sorted({tuple(r["g_range_S"]) for r in rows})
    fig = _figure(figsize=(5.2 * len(ranges), 4.0))
    axes = fig.subplots(1, len(ranges), squeeze=False, sharey=True)
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
    return path


def write_sweep(rows: Sequence[Dict[str, Any]], folder: Union[str, Path]) -> List[Path]:
    """Write ``sweep.json`` and ``sweep.png`` (:func:`plot_sweep`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sweep.json"
    path.write_text(json.dumps(_clean(list(rows)), indent=1, allow_nan=False) + "\n")
    return [path, plot_sweep(rows, folder / "sweep.png")]


# --------------------------------------------------------------------------- read margin


def read_cell(cell: str, v_s: float = DEFAULT_SELECTOR_V_S) -> Any:
    """The cell of a read-margin cell name (:data:`CELLS`).

    ``"selector"`` is :class:`~circuitsim.crossbar.cells.SinhSelector` with
    ``v_s``; ``"threshold"`` is :class:`~circuitsim.crossbar.cells.ThresholdSelector`
    with its defaults (threshold 0.3 V: ON at the 0.4 V read voltage, OFF at
    v/2 and v/3); ``"linear"`` the linear conductance.
    """
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; choose one of {CELLS}")
    return cell_by_name(cell, v_s=v_s) if cell == "selector" else cell_by_name(cell)


def read_spec(g: Any, scheme: str, v_read: float, selected: Tuple[int, int], r_wire: float = 1.0,
              r_source: float = 1e-3, r_sense: float = 1e-3, cell: Any = None) -> CrossbarSpec:
    """The read configuration: a :class:`~circuitsim.crossbar.spec.CrossbarSpec` biased for reading one cell.

    ``CrossbarSpec(g, 0, r_wire, r_wire, r_source, r_sense, cell=cell).biased(BiasScheme.cell(scheme, v_read,
    *selected))``: the selected row at ``v_read``, the selected column's sense
    node at 0 V, the other lines floating or at v/2, v/3
    (:class:`~circuitsim.crossbar.spec.BiasScheme`).  Both engines take it.
    Resistances of exactly 0 are ideal (merged nodes in the fast solver, 0 V
    sources in the deck).
    """
    rows = np.shape(g)[0] if np.ndim(g) else 1
    spec = CrossbarSpec(g, np.zeros(rows), r_row=r_wire, r_col=r_wire, r_source=r_source, r_sense=r_sense, cell=cell)
    return spec.biased(BiasScheme.cell(scheme, v_read, int(selected[0]), int(selected[1])))


def read_currents(spec: CrossbarSpec, engine: Any = "fast") -> np.ndarray:
    """Column currents (A, into each sense node; 0 for a floating column) of a read configuration.

    ``engine``: ``"fast"`` (:func:`~circuitsim.crossbar.solver.solve_crossbar`)
    or an ngspice engine object (the deck of
    :func:`~circuitsim.crossbar.netlist.crossbar_deck`, with
    :func:`~circuitsim.crossbar.cells.read_options` for nonlinear cells).
    """
    if isinstance(engine, str):
        from circuitsim.crossbar.solver import solve_crossbar

        return solve_crossbar(spec, keep_voltages=False).column_currents
    return ngspice_crossbar(spec, engine)[0]


@dataclass
class ReadMargin:
    """Read margin of one cell (:func:`read_margin`).

    Attributes
    ----------
    i_lrs, i_hrs
        Current sensed at the selected column (A) with the selected cell at
        its conductance in the spec (LRS) and at the HRS conductance.
    margin
        ``(i_lrs - i_hrs) / i_lrs``.
    ideal_margin
        The margin of the isolated cell read at ``v_read``:
        ``1 - I(v_read; G_HRS) / I(v_read; G_LRS)`` (``1 - r_on / r_off`` for
        the linear and sinh-selector cells).
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


def read_margin(spec: CrossbarSpec, selected: Tuple[int, int], hrs_conductance: float, scheme: str = "floating",
                v_read: float = 0.4, engine: Any = "auto") -> ReadMargin:
    """Read margin of the selected cell of an array.

    Definition: with the read bias (the selected row at ``v_read``, the
    selected column sensed at 0 V, the other lines by ``scheme``: see
    :func:`read_spec`), ``I_LRS`` and ``I_HRS`` are the currents sensed at the
    selected column when the selected cell has its conductance in ``spec``
    and when it has ``hrs_conductance`` (every other cell as in ``spec``).
    The margin is ``(I_LRS - I_HRS) / I_LRS``: the fraction of the sensed
    current that carries the bit.  An isolated cell with ideal wires has the
    ideal margin (see :class:`ReadMargin`); sneak paths (floating),
    half-selected cells on the selected column (v/2, v/3) and the IR drop
    lower it; 0 means unreadable.

    Parameters
    ----------
    spec
        The array with the selected cell in its low-resistance state (its
        voltages are replaced by the read bias).
    selected
        ``(row, column)`` of the selected cell.
    hrs_conductance
        The selected cell's conductance in its high-resistance state (the
        cell's parameter ``G``, S).
    scheme
        ``"floating"``, ``"v/2"`` or ``"v/3"``.
    v_read
        Read voltage on the selected row (V).
    engine
        ``"fast"`` (:func:`~circuitsim.crossbar.solver.solve_crossbar`),
        ``"ngspice"`` (a new batch engine), an engine object, or ``"auto"``
        (the fast solver).  Both engines solve the same biased spec.
    """
    key = scheme_name(scheme)
    name, runner = _engine(engine)
    sel = (int(selected[0]), int(selected[1]))
    m, n = spec.shape
    if not (0 <= sel[0] < m and 0 <= sel[1] < n):
        raise ValueError(f"selected cell {sel} is outside the {m} x {n} array")
    bias = BiasScheme.cell(key, v_read, *sel)
    hrs = spec.conductance.copy()
    hrs[sel] = hrs_conductance
    variants = (spec, replace(spec, conductance=hrs))
    currents = [float(read_currents(s.biased(bias), runner or "fast")[sel[1]]) for s in variants]
    i_lrs, i_hrs = currents
    # the isolated cell: every cell at v_read (row nodes at v_read, column nodes at 0), the selected one read
    full, ground = np.full((m, n), float(v_read)), np.zeros((m, n))
    i_cell = [float(s.cell_currents(full, ground)[sel]) for s in variants]
    params = {"v_read_V": float(v_read), "r_row_ohm": spec.r_row, "r_col_ohm": spec.r_col,
              "r_source_ohm": _ohms(spec.r_source), "r_sense_ohm": _ohms(spec.r_sense),
              "g_lrs_S": float(spec.conductance[sel]), "g_hrs_S": float(hrs_conductance)}
    if is_dataclass(spec.cell):
        params.update({f.name: getattr(spec.cell, f.name) for f in fields(spec.cell)
                       if isinstance(getattr(spec.cell, f.name), (int, float))})
    return ReadMargin(rows=m, cols=n, scheme=key, cell=spec.cell.name, selected=sel, i_lrs=i_lrs, i_hrs=i_hrs,
                      margin=(i_lrs - i_hrs) / i_lrs, ideal_margin=1.0 - i_cell[1] / i_cell[0], params=params,
                      engine=name)


def worst_case_read_margin(M: int, N: int, scheme: str = "floating", cell: str = "linear", r_on: float = 1e5,
                           r_off: float = 1e6, v_read: float = 0.4, r_wire: float = 1.0, r_source: float = 1e-3,
                           r_sense: float = 1e-3, v_s: float = DEFAULT_SELECTOR_V_S,
                           selected: Optional[Tuple[int, int]] = None, engine: Any = "auto") -> ReadMargin:
    """:func:`read_margin` of an ``M x N`` array with every other cell at LRS (the worst case).

    Every cell is at ``r_on`` (which maximises the sneak and half-selected
    currents), the selected one at ``r_on`` (LRS) or ``r_off`` (HRS).

    Parameters
    ----------
    M, N
        Rows and columns.
    scheme
        ``"floating"``, ``"v/2"`` or ``"v/3"``.
    cell
        ``"linear"`` (resistors ``r_on`` / ``r_off``); ``"selector"``: the
        strongly nonlinear lumped cell ``I = G v_s sinh(V/v_s)``
        (:class:`~circuitsim.crossbar.cells.SinhSelector`), with ``G``
        chosen so that the cell passes ``v_read / R`` at ``v_read``, i.e.
        ``I = (v_read / R) sinh(V/v_s) / sinh(v_read/v_s)``; ``"threshold"``:
        1S1R, a threshold switch in series with the memory element ``1/R``
        (:class:`~circuitsim.crossbar.cells.ThresholdSelector`, defaults).
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
        As in :func:`read_margin`.
    """
    if M < 1 or N < 1:
        raise ValueError(f"the array needs at least one row and one column, got {M} x {N}")
    if not (0 < r_on < r_off and math.isfinite(r_off)):
        raise ValueError(f"need 0 < r_on < r_off (ohm), got r_on={r_on!r}, r_off={r_off!r}")
    cell_obj = read_cell(cell, v_s)
    sel = (0, N - 1) if selected is None else (int(selected[0]), int(selected[1]))
    # the selector's G is its small-signal conductance at 0 V: scale it so that the cell passes v_read / R at
    # v_read (r_on and r_off are chord resistances at the read voltage, as a datasheet gives them)
    to_g = v_read / (v_s * math.sinh(v_read / v_s)) if cell == "selector" else 1.0
    spec = CrossbarSpec(np.full((M, N), to_g / r_on), np.zeros(M), r_row=r_wire, r_col=r_wire, r_source=r_source,
                        r_sense=r_sense, cell=cell_obj)
    out = read_margin(spec, sel, to_g / r_off, scheme, v_read, engine)
    params = {"r_on_ohm": r_on, "r_off_ohm": r_off, "v_read_V": v_read, "r_wire_ohm": r_wire,
              "r_source_ohm": r_source, "r_sense_ohm": r_sense}
    if cell == "selector":
        params["v_s_V"] = v_s
    if cell == "threshold":
        params.update({k: getattr(cell_obj, k) for k in ("v_th", "width", "g_on", "g_off")})
    out.params = params
    return out


def read_margin_table(sizes: Sequence[int] = (2, 4, 8, 16, 32, 64, 128), schemes: Sequence[str] = SCHEMES,
                      cells: Sequence[str] = CELLS, **kwargs: Any) -> List[Dict[str, Any]]:
    """:func:`worst_case_read_margin` of square ``n x n`` arrays for each size, scheme and cell: a list of dicts."""
    rows = []
    for cell in cells:
        for scheme in schemes:
            for size in sizes:
                t0 = time.perf_counter()
                d = worst_case_read_margin(int(size), int(size), scheme, cell, **kwargs).to_dict()
                d["seconds"] = time.perf_counter() - t0
                rows.append(d)
    return rows
