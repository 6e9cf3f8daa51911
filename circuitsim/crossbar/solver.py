"""Fast quasi-static solver for crossbars (the default topology and its options).

Layer: above the spec and the cells (:mod:`circuitsim.crossbar.spec`,
:mod:`circuitsim.crossbar.cell`); it never imports the generator, and takes
a crossbar only as a validated :class:`~circuitsim.crossbar.spec.CrossbarSpec`
(no validation of the array here).  Cells enter only through the
:class:`~circuitsim.crossbar.cell.Cell` interface (``current`` /
``terminal_currents``); a cell without them is refused with
:class:`~circuitsim.crossbar.cell.CellCapabilityError`.

The array is the one :func:`circuitsim.crossbar.netlist.crossbar_deck`
writes (see :mod:`circuitsim.crossbar.spec`): row ``i`` is driven at its
column-0 end through ``r_source``; row nodes ``(i,j)-(i,j+1)`` are joined by
``r_row``; cell ``(i,j)`` (conductance ``G[i,j]``) joins row node ``(i,j)`` to
column node ``(i,j)``; column nodes ``(i,j)-(i+1,j)`` are joined by ``r_col``;
column node ``(M-1,j)`` reaches a 0 V sense node through ``r_sense``.  The
column current is the current into the sense node (ngspice's ``i(vs<j>)``).

Two ways to solve the ``2*M*N`` nodal equations:

``"direct"``
    sparse LU (SuperLU, ``scipy.sparse.linalg.splu``) of the symmetric nodal
    matrix in a geometric nested-dissection order (the array is a grid, so the
    order is built from its geometry; at 512 x 512 it gives 30 M factor
    nonzeros and a 2.4 s factorisation where SuperLU's MMD order gives 52 M
    and 9.5 s), factored once and reused for every input vector.  A batch of
    linear reads with ``keep_voltages=False`` (more vectors than lines) is
    answered from the Schur complement on the source-driven boundary nodes
    (columns at 0 V) or the ``M + N`` unit solves of the transfer matrix
    (biased columns), not one solve per vector: 1000 reads of 256 x 256 in
    about 0.5-1 s.
``"pcg"``
    conjugate gradient on the Schur complement of the row nodes (the column
    nodes eliminated through their exact tridiagonal solve), preconditioned by
    the exact tridiagonal solve along each row wire.  The array is strongly
    coupled along its wires and weakly across its cells, so this converges in
    a handful to a few tens of iterations; each iteration is two tridiagonal
    solves (LAPACK ``dpttrs``) and a few vector operations: memory is O(M*N).

``"auto"`` uses the direct solve for small arrays or many input vectors, the
iterative one otherwise, and refuses (``ValueError``, with the estimate) what
does not fit in the available memory.

Units are SI throughout: conductance in siemens, resistance in ohms, voltage in
volts, current in amperes.

Beyond the netlist generator, ``r_source`` and ``r_sense`` may be given per row
/ per column, ``numpy.inf`` leaves a line floating (no driver, no sense, e.g.
the floating read scheme), and exactly 0 is an ideal driver / sense / wire.
The direct solve eliminates ideal elements exactly (an ideal wire makes its
line one node; a node held by an ideal driver or sense is known), so with all
four resistances at 0 the result is the ideal product ``V @ G`` to rounding.
The ``pcg`` method and :func:`nodal_matrix` keep the ``2*M*N`` node form and
so accept an ideal wire only when every node of its lines is held (every
driver ideal for ``r_row = 0``, every sense ideal for ``r_col = 0``).

Options (the spec's, as in the generator):
``drive="both"`` adds a second driver conductance at column ``N-1`` of each
row; ``column_voltages`` holds the sense nodes at given voltages (columns
driven through ``r_sense``: bias schemes); ``tia`` replaces the virtual
ground by a finite-gain transimpedance stage, exactly a resistance
``R_f / (1 + A)`` in series with ``r_sense`` to a source ``A u / (1 + A)``
(derivation in :class:`_Problem`); a nonlinear ``cell`` (static I-V:
:class:`~circuitsim.crossbar.cells.SinhSelector`,
:class:`~circuitsim.crossbar.cells.SinhMemristor`,
:class:`~circuitsim.crossbar.cells.ThresholdSelector`, read-only
:class:`~circuitsim.crossbar.cells.CatalogueCell`, the three-terminal
:class:`~circuitsim.crossbar.cells.OneTransistorOneResistor`, or your own
:class:`~circuitsim.crossbar.cell.Cell`) is solved by
Newton: the node numbering, the fill-reducing order and the sparsity pattern
are built once; with ``"direct"`` the Jacobian ``L + C^T diag(f'(v)) C`` is
refactored (SuperLU) each iteration, with ``"pcg"`` each correction is solved
by the wire-preconditioned CG above on that Jacobian (two-terminal cells:
it is the nodal matrix with the slopes ``f'(v)`` as cell conductances); each
step is limited to the cell's ``max_step`` volts on any cell, and Newton
stops when a step moves no node by more than ``newton_tol`` (1e-12) of the
largest source voltage.  Cells with an internal node eliminate it per cell
inside the cell (:mod:`circuitsim.crossbar.newton`).
A spec with time-dependent ``sources`` is refused (DC only).

Conditioning: the nodal matrix mixes wire conductances (1/r) with cell
conductances G.  With every line driven and sensed it is benign (about 1e-12
agreement with ngspice at 0.1 ... 10 ohm, and with the ideal product at
1e-12 ohm); with floating lines *and*
near-ideal wires (r * G < ~1e-8) the floating lines' voltages are set by
couplings 1e8 times weaker than their wires and the solution loses digits
(use exactly 0 for ideal wires, which the direct solve handles exactly).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

import numpy as np
import scipy.sparse as sp
from scipy.linalg.lapack import dpttrf, dpttrs
from scipy.sparse.linalg import splu

from circuitsim.crossbar.cell import Cell
from circuitsim.crossbar.spec import TIA, CrossbarSpec

__all__ = [
    "CrossbarSolution",
    "NodalLayout",
    "available_memory",
    "estimate_memory",
    "nodal_matrix",
    "solve_crossbar",
]

METHODS = ("auto", "direct", "pcg")

#: arrays with at most this many cells use the direct solve under ``method="auto"``
AUTO_DIRECT_CELLS = 128 * 128
#: ... and so do arrays up to this many cells when there are at least AUTO_DIRECT_VECTORS input vectors
AUTO_DIRECT_CELLS_MANY = 512 * 512
AUTO_DIRECT_VECTORS = 16
#: leaf size (cells) of the nested-dissection order
_ND_LEAF = 64


# --------------------------------------------------------------------------- results


@dataclass
class CrossbarSolution:
    """The solved array.

    With one input vector (1-D ``spec.voltages``) the arrays have the shapes
    below; with a batch ``(K, M)`` each array gains a leading axis of length
    ``K`` (vector ``k`` is ``V[k]``).

    Attributes
    ----------
    column_currents
        Current into each column's sense node (A), shape ``(N,)``; 0 for a
        floating column.  The ideal (wire-free) value is ``V @ G``.
    row_currents
        Current delivered by each row's driver (A), shape ``(M,)``.
    row_node_voltages, column_node_voltages
        Voltage of every row / column node (V), shape ``(M, N)``; ``None`` when
        the solve was asked not to keep them.
    method
        ``"direct"`` or ``"pcg"`` (what ``"auto"`` chose).
    iterations
        Conjugate-gradient iterations (``pcg``), 0 for ``direct``.
    info
        Diagnostics: timings (s), factor size, estimated memory (bytes), ...
    conductance
        The cell conductances solved (S), shape ``(M, N)``.
    tia_output
        With a TIA: its output voltage per column (V), shape ``(N,)``
        (``(K, N)``); NaN for a floating column.  ``None`` without.
    cell
        The cell solved (:class:`~circuitsim.crossbar.cell.Cell`).
    """

    column_currents: np.ndarray
    row_currents: np.ndarray
    row_node_voltages: Optional[np.ndarray]
    column_node_voltages: Optional[np.ndarray]
    method: str
    iterations: int = 0
    info: Dict[str, Any] = field(default_factory=dict)
    conductance: Optional[np.ndarray] = field(default=None, repr=False)
    tia_output: Optional[np.ndarray] = None
    cell: Optional[Cell] = field(default=None, repr=False)

    @property
    def cell_voltages(self) -> Optional[np.ndarray]:
        """Voltage across each cell, row node minus column node (V), shape ``(M, N)`` (or ``(K, M, N)``)."""
        if self.row_node_voltages is None or self.column_node_voltages is None:
            return None
        return self.row_node_voltages - self.column_node_voltages

    @property
    def cell_currents(self) -> Optional[np.ndarray]:
        """Current through each cell, row node to column node (A); needs the node voltages."""
        v = self.cell_voltages
        if v is None or self.conductance is None:
            return None
        return _cell_currents(self.cell, self.conductance, self.row_node_voltages, self.column_node_voltages)[0]

    def __repr__(self) -> str:
        """One line (what a notebook shows): size, vectors, method, what was kept, time; never the arrays."""
        m, n = self.row_currents.shape[-1], self.column_currents.shape[-1]
        k = self.column_currents.shape[0] if self.column_currents.ndim == 2 else 1
        iters = f" ({self.iterations} iterations)" if self.method == "pcg" or self.iterations else ""
        cell = type(self.cell).__name__ if self.cell is not None else "LinearCell"
        total = self.info.get("total_s")
        parts = [f"{m} x {n}", f"{k} input vector{'s' if k != 1 else ''}", f"cell {cell}",
                 f"method {self.method}{iters}",
                 "node voltages kept" if self.row_node_voltages is not None else "currents only"]
        if self.tia_output is not None:
            parts.append("TIA")
        if self.column_currents.size:
            parts.append(f"column currents {float(np.min(self.column_currents)):.4g} .. "
                         f"{float(np.max(self.column_currents)):.4g} A")
        if total is not None:
            parts.append(f"{total:.3g} s")
        return f"<CrossbarSolution {', '.join(parts)}>"

    def to_xarray(self) -> Any:
        """The solution as an ``xarray.Dataset`` (as :meth:`circuitsim.spice.Result.to_xarray` does for runs).

        Dimensions ``row`` and ``column`` (and ``vector`` first for a batch of input vectors); variables
        ``column_currents``, ``row_currents``, and when kept ``row_node_voltages``,
        ``column_node_voltages``, ``cell_voltages``, ``cell_currents``; ``conductance`` and
        ``tia_output`` when present.  Units in each variable's ``units`` attribute; ``method``,
        ``iterations`` and the timings of ``info`` as dataset attributes.

        Needs the optional dependency ``xarray`` (``pip install 'circuitsim-ngspice[xarray]'``).
        """
        try:
            import xarray as xr
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_xarray() needs xarray: pip install 'circuitsim-ngspice[xarray]'") from exc
        batch = ("vector",) if self.column_currents.ndim == 2 else ()
        grid = (*batch, "row", "column")
        data: Dict[str, Any] = {
            "column_currents": ((*batch, "column"), self.column_currents, {"units": "A"}),
            "row_currents": ((*batch, "row"), self.row_currents, {"units": "A"}),
        }
        if self.row_node_voltages is not None and self.column_node_voltages is not None:
            data["row_node_voltages"] = (grid, self.row_node_voltages, {"units": "V"})
            data["column_node_voltages"] = (grid, self.column_node_voltages, {"units": "V"})
            data["cell_voltages"] = (grid, self.cell_voltages, {"units": "V"})
            currents = self.cell_currents
            if currents is not None:
                data["cell_currents"] = (grid, currents, {"units": "A"})
        if self.conductance is not None:
            data["conductance"] = (("row", "column"), self.conductance, {"units": "S"})
        if self.tia_output is not None:
            data["tia_output"] = ((*batch, "column"), self.tia_output, {"units": "V"})
        attrs = {"method": self.method, "iterations": int(self.iterations),
                 "cell": type(self.cell).__name__ if self.cell is not None else "LinearCell"}
        attrs.update({key: float(value) for key, value in self.info.items()
                      if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)})
        return xr.Dataset(data, attrs=attrs)


@dataclass(frozen=True)
class NodalLayout:
    """Where each node sits in the vector of :func:`nodal_matrix`.

    Attributes
    ----------
    row_node
        Index of row node ``(i, j)``, shape ``(M, N)``: ``i*N + j`` (row-major,
        so each row wire is a contiguous chain).
    column_node
        Index of column node ``(i, j)``, shape ``(M, N)``: ``M*N + j*M + i``
        (column-major, so each column wire is a contiguous chain).
    fixed
        Boolean mask over the ``2*M*N`` nodes held at a known voltage (ideal
        driver or sense); their equation is the identity row.
    """

    row_node: np.ndarray
    column_node: np.ndarray
    fixed: np.ndarray


# --------------------------------------------------------------------------- inputs


@dataclass
class _Problem:
    """Validated inputs in the uniform form both methods use."""

    g: np.ndarray           # (M, N) cell conductances
    v: np.ndarray           # (K, M) input vectors
    single: bool            # V was 1-D
    r_row: float
    r_col: float
    r_source: np.ndarray    # (M,)
    r_sense: np.ndarray     # (N,) as given (the TIA's input resistance is added in r_sense_eff)
    u: np.ndarray = None    # (K, N) column voltages (the sense nodes' potential; 0 V by default)
    both_ends: bool = False  # rows driven at column 0 and column N-1
    tia: Optional[TIA] = None
    cell: Any = None        # None: linear conductance

    def __post_init__(self) -> None:
        k, n = self.v.shape[0], self.g.shape[1]
        self.u = np.zeros((k, n)) if self.u is None else np.broadcast_to(self.u, (k, n))
        if self.tia is None:
            self.r_sense_eff, self.w = self.r_sense, self.u
        else:
            # A finite-gain TIA (open-loop gain A, feedback R_f, non-inverting input at the column voltage u).
            # At the inverting node s: v_o = A (u - v_s) and the column current into s is
            # I = (v_s - v_o) / R_f = (1 + A) / R_f * (v_s - A u / (1 + A)):
            # a conductance (1 + A) / R_f to a source A u / (1 + A).  In series with R_sense the column end
            # sees R_sense + R_f / (1 + A) to the voltage A u / (1 + A); the output is
            # v_o = A (u - v_s) = (A u - A R_f I) / (1 + A).
            a = self.tia.gain
            self.r_sense_eff = self.r_sense + self.tia.input_resistance     # inf stays inf (floating)
            self.w = self.u * (a / (1.0 + a))

    @property
    def shape(self) -> Tuple[int, int]:
        return self.g.shape

    def drive_columns(self) -> Tuple[int, ...]:
        n = self.g.shape[1]
        return (0, n - 1) if self.both_ends else (0,)

    def blocks(self, g_cells: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
        """Diagonals, wire couplings, cell couplings and fixed-node masks of the nodal matrix.

        The symmetric nodal matrix is ``[[R, -X], [-X, C]]`` over (row nodes,
        column nodes): ``R`` tridiagonal along each row (diagonal ``dR``,
        coupling ``-eR``), ``C`` tridiagonal along each column (``dC``,
        ``-eC``), ``X = diag(gX)`` the cells.  A fixed node (ideal driver /
        sense) keeps an identity row and column; its couplings move to the
        right-hand side (:meth:`rhs`).
        """
        if self.cell is not None and g_cells is None:
            raise ValueError("nonlinear cells: the 2*M*N linear form does not apply (their Newton Jacobian "
                             "does: blocks(slopes))")
        why = _merging(self.r_row, self.r_col, self.r_source, self.r_sense_eff)
        if why is not None:
            raise ValueError(f"{why}: the 2*M*N nodal form and method='pcg' do not apply; use method='direct' "
                             f"(or a small positive wire resistance)")
        g = self.g if g_cells is None else g_cells
        m, n = g.shape
        g_src = _conductance(self.r_source)      # (M,), inf for an ideal driver, 0 when floating
        g_sns = _conductance(self.r_sense_eff)   # (N,)
        fr = np.zeros((m, n), dtype=bool)
        for j in self.drive_columns():
            fr[:, j] |= self.r_source == 0
        if self.r_row == 0:
            fr[:] = True                          # (validated: every driver ideal)
        fc = np.zeros((m, n), dtype=bool)
        fc[-1, :] = self.r_sense_eff == 0
        if self.r_col == 0:
            fc[:] = True
        e_row = 0.0 if self.r_row == 0 else 1.0 / self.r_row
        e_col = 0.0 if self.r_col == 0 else 1.0 / self.r_col
        dr = g.copy()
        dr[:, :-1] += e_row
        dr[:, 1:] += e_row
        for j in self.drive_columns():
            dr[:, j] += np.where(np.isfinite(g_src), g_src, 0.0)
        dc = g.copy()
        dc[:-1, :] += e_col
        dc[1:, :] += e_col
        dc[-1, :] += np.where(np.isfinite(g_sns), g_sns, 0.0)
        er = np.where(fr[:, :-1] | fr[:, 1:], 0.0, e_row)
        ec = np.where(fc[:-1, :] | fc[1:, :], 0.0, e_col)
        return {
            "dR": np.where(fr, 1.0, dr), "eR": er, "dC": np.where(fc, 1.0, dc), "eC": ec,
            "gX": np.where(fr | fc, 0.0, g), "fr": fr, "fc": fc, "e_row": np.float64(e_row),
            "e_col": np.float64(e_col), "g_src": g_src, "g_sns": g_sns, "g": g,
        }

    def rhs(self, b: Dict[str, np.ndarray], v: np.ndarray, w: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Right-hand sides ``(bR, bC)``, shape ``(K, M, N)`` each, for driver voltages ``v`` (K, M) and
        column (sense-node) voltages ``w`` (K, N)."""
        fr, fc, g = b["fr"], b["fc"], self.g
        k = v.shape[0]
        m, n = g.shape
        g_src, g_sns = b["g_src"], b["g_sns"]
        br = np.zeros((k, m, n))
        for j in self.drive_columns():
            br[:, :, j] += v * np.where(np.isfinite(g_src), g_src, 0.0)
        bc = np.zeros((k, m, n))
        bc[:, -1, :] += w * np.where(np.isfinite(g_sns), g_sns, 0.0)
        if fr.any():
            ur = np.where(fr, 1.0, 0.0)[None] * v[:, :, None]          # fixed row-node values
            e_row = float(b["e_row"])
            if n > 1 and e_row:
                br[:, :, 1:] += e_row * (fr[:, :-1] & ~fr[:, 1:]) * ur[:, :, :-1]
                br[:, :, :-1] += e_row * (fr[:, 1:] & ~fr[:, :-1]) * ur[:, :, 1:]
            bc += (g * (fr & ~fc)) * ur
            br = np.where(fr, ur, br)
        if fc.any():
            uc = np.where(fc, 1.0, 0.0)[None] * w[:, None, :]          # fixed column-node values
            e_col = float(b["e_col"])
            if m > 1 and e_col:
                bc[:, 1:, :] += e_col * (fc[:-1, :] & ~fc[1:, :]) * uc[:, :-1, :]
                bc[:, :-1, :] += e_col * (fc[1:, :] & ~fc[:-1, :]) * uc[:, 1:, :]
            br = np.where(fr, br, br + (g * (fc & ~fr)) * uc)
            bc = np.where(fc, uc, bc)
        return br, bc


def _merging(r_row: float, r_col: float, r_source: np.ndarray, r_sense: np.ndarray) -> Optional[str]:
    """Why the uniform ``2*M*N`` form (pcg, :func:`nodal_matrix`) cannot hold this array, or ``None``.

    An ideal wire merges its line into one node; that fits the uniform form
    only when every node of the line is held at a known voltage (ideal
    drivers for ``r_row = 0``, ideal senses for ``r_col = 0``).
    """
    if r_row == 0 and np.any(r_source != 0):
        i = int(np.argmax(r_source != 0))
        return (f"r_row = 0 (ideal row wires) with a non-ideal or floating driver (r_source[{i}] = "
                f"{r_source[i]!r}) makes each row one node")
    if r_col == 0 and np.any(r_sense != 0):
        j = int(np.argmax(r_sense != 0))
        return (f"r_col = 0 (ideal column wires) with a non-ideal or floating sense (r_sense[{j}] = "
                f"{r_sense[j]!r}) makes each column one node")
    return None


def _conductance(r: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.where(np.isinf(r), 0.0, 1.0 / r)


def _problem(spec: CrossbarSpec) -> _Problem:
    """The solver's form of a (validated) spec."""
    if spec.sources is not None:
        raise ValueError("this spec has time-dependent line sources (spec.sources, e.g. programming pulses): "
                         "the fast solver solves the DC operating point only; simulate it in ngspice "
                         "(crossbar_deck with a .tran analysis), or pass replace(spec, sources=None) to "
                         "solve the DC voltages in spec.voltages / spec.column_voltages")
    m, n = spec.shape
    return _Problem(g=spec.conductance, v=spec.input_vectors, single=not spec.is_batch, r_row=spec.r_row,
                    r_col=spec.r_col, r_source=np.array(np.broadcast_to(np.asarray(spec.r_source, dtype=float), (m,))),
                    r_sense=np.array(np.broadcast_to(np.asarray(spec.r_sense, dtype=float), (n,))),
                    u=spec.column_voltages, both_ends=spec.drive == "both", tia=spec.tia,
                    cell=None if spec.cell.linear else spec.cell)


# --------------------------------------------------------------------------- memory


def available_memory() -> Optional[int]:
    """Memory available to new allocations (bytes), or ``None`` if unknown."""
    try:
        import psutil
        return int(psutil.virtual_memory().available)
    except Exception:  # pragma: no cover - psutil is a dependency; /proc is the fallback
        try:
            with open("/proc/meminfo") as fh:
                for line in fh:
                    if line.startswith("MemAvailable:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
    return None


def estimate_memory(m: int, n: int, k: int = 1, method: str = "pcg", keep_voltages: bool = True) -> int:
    """Estimated peak memory of a solve (bytes), beyond the inputs.

    Parameters
    ----------
    m, n
        Rows and columns of the array.
    k
        Number of input vectors.
    method
        ``"direct"`` or ``"pcg"``.
    keep_voltages
        Whether the node voltages are returned (2 arrays of ``k*m*n`` floats).

    Returns
    -------
    int
        Bytes.  ``pcg``: about 16 float arrays of ``m*n`` (matrix blocks and
        factors) plus about 14 per input vector (the CG vectors, solved in
        blocks of up to 8).  ``direct``: the nodal matrix and its copies (about
        11 nonzeros per node, 3 copies at 16 bytes), the LU factor (measured:
        about ``3.2 * nodes * log2(nodes)`` nonzeros at 14 bytes each, for the
        nested-dissection order) and the right-hand sides.  Calibrated against
        the peak resident memory at 128 ... 1024 (see the benchmark).
    """
    cells = float(m) * float(n)
    out = 2.0 * k * cells * 8 if keep_voltages else 0.0
    out += 3.0 * k * (m + n) * 8
    if method == "pcg":
        return int(8 * cells * (16 + 14 * min(k, 8)) + out)
    if method == "direct":
        nodes = 2.0 * cells
        nnz_a = 11.0 * nodes
        fill = 3.2 * nodes * max(math.log2(max(nodes, 2.0)), 1.0)
        return int(3 * nnz_a * 16 + fill * 14 + 6 * nodes * k * 8 + 10 * cells * 8 + out)
    raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")


def _fmt_bytes(b: float) -> str:
    return f"{b / 1e9:.3g} GB" if b >= 1e8 else f"{b / 1e6:.3g} MB"


def _choose(method: str, m: int, n: int, k: int, keep: bool, max_memory: Optional[float],
            merged: Optional[str] = None) -> Tuple[str, int]:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    if merged is not None:
        if method == "pcg":
            raise ValueError(f"{merged}: method='pcg' needs every line as separate nodes; use method='direct' "
                             f"(or a small positive wire resistance)")
        method = "direct"
    limit = available_memory() if max_memory is None else max_memory
    est = {name: estimate_memory(m, n, k, name, keep) for name in ("direct", "pcg")}
    if method == "auto":
        cells = m * n
        prefer = "direct" if (cells <= AUTO_DIRECT_CELLS
                              or (cells <= AUTO_DIRECT_CELLS_MANY and k >= AUTO_DIRECT_VECTORS)) else "pcg"
        order = [prefer, "pcg" if prefer == "direct" else "direct"]
        for name in order:
            if limit is None or est[name] <= limit:
                return name, est[name]
        raise ValueError(
            f"a {m} x {n} crossbar with {k} input vector(s) is too large for memory: the iterative solve needs "
            f"about {_fmt_bytes(est['pcg'])} and the direct one about {_fmt_bytes(est['direct'])}, but only "
            f"{_fmt_bytes(limit)} is available"
            + (" (try keep_voltages=False, or fewer input vectors at a time)" if keep or k > 1 else ""))
    if limit is not None and est[method] > limit:
        raise ValueError(
            f"a {m} x {n} crossbar with {k} input vector(s) is too large for memory with method={method!r}: "
            f"it needs about {_fmt_bytes(est[method])}, but only {_fmt_bytes(limit)} is available"
            + (f" (method='pcg' needs about {_fmt_bytes(est['pcg'])})" if method == "direct" else ""))
    return method, est[method]


# --------------------------------------------------------------------------- nodal matrix


def _layout(m: int, n: int, fr: np.ndarray, fc: np.ndarray) -> NodalLayout:
    row_node = np.arange(m * n).reshape(m, n)
    col_node = m * n + np.arange(m * n).reshape(n, m).T
    fixed = np.concatenate([fr.ravel(), fc.T.ravel()])
    return NodalLayout(row_node=row_node, column_node=col_node, fixed=fixed)


def _coo(b: Dict[str, np.ndarray], lay: NodalLayout) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Triplets of the symmetric nodal matrix (no explicit zeros)."""
    rn, cn = lay.row_node, lay.column_node
    pieces = [(np.concatenate([rn.ravel(), cn.ravel()]),) * 2 + (np.concatenate([b["dR"].ravel(), b["dC"].ravel()]),)]
    for a, c, w in ((rn[:, :-1], rn[:, 1:], b["eR"]), (cn[:-1, :], cn[1:, :], b["eC"]), (rn, cn, b["gX"])):
        keep = w != 0
        a, c, w = a[keep], c[keep], -w[keep]
        pieces.append((a, c, w))
        pieces.append((c, a, w))
    rows = np.concatenate([p[0] for p in pieces])
    cols = np.concatenate([p[1] for p in pieces])
    vals = np.concatenate([p[2] for p in pieces])
    return rows, cols, vals


def _stack_rhs(br: np.ndarray, bc: np.ndarray) -> np.ndarray:
    """(K, M, N) row and column right-hand sides -> (2MN, K) in the nodal order."""
    k = br.shape[0]
    return np.concatenate([br.reshape(k, -1), bc.transpose(0, 2, 1).reshape(k, -1)], axis=1).T


def nodal_matrix(spec: CrossbarSpec) -> Tuple[sp.csr_matrix, np.ndarray, NodalLayout]:
    """Conductance matrix of the ``2*M*N`` row and column nodes, and its right-hand side.

    Drivers and senses enter as Norton equivalents: the driver ``V[i]`` behind
    ``r_source`` adds ``1/r_source`` to the diagonal of row node ``(i, 0)`` and
    injects ``V[i]/r_source``; ``r_sense`` to the 0 V sense node adds
    ``1/r_sense`` to the diagonal of column node ``(M-1, j)``.  The column
    current is then ``x[column_node[M-1, j]] / r_sense``, or in general (also
    for an ideal sense) the sum of the cell currents of column ``j``,
    ``sum_i G[i, j] * (x[row_node[i, j]] - x[column_node[i, j]])``.
    Assembly is vectorised (no Python loop per element).

    Parameters
    ----------
    spec
        The array (linear cells: the matrix of a nonlinear cell is its Newton
        Jacobian, which depends on the voltages).

    Returns
    -------
    A : scipy.sparse.csr_matrix
        Symmetric positive definite, ``(2MN, 2MN)`` (S).  A node held at a
        known voltage (ideal driver or sense, resistance exactly 0) has an
        identity row and column; its couplings are in ``b``.
    b : numpy.ndarray
        Right-hand side (A), ``(2MN,)`` for one input vector, ``(2MN, K)``
        for a batch of ``K``.
    layout : NodalLayout
        Node numbering: ``row_node[i, j] = i*N + j``,
        ``column_node[i, j] = M*N + j*M + i``.

    Raises
    ------
    ValueError
        An ideal wire that would
        merge a line into one node (``r_row = 0`` with a non-ideal driver):
        that array has no ``2*M*N`` form (``solve_crossbar(method="direct")``
        handles it).
    """
    prob = _problem(spec)
    m, n = prob.shape
    blocks = prob.blocks()
    lay = _layout(m, n, blocks["fr"], blocks["fc"])
    rows, cols, vals = _coo(blocks, lay)
    a = sp.csr_matrix((vals, (rows, cols)), shape=(2 * m * n, 2 * m * n))
    rhs = _stack_rhs(*prob.rhs(blocks, prob.v, prob.w))
    return a, (rhs[:, 0] if prob.single else rhs), lay


# --------------------------------------------------------------------------- direct


def _nested_dissection(m: int, n: int, leaf: int = _ND_LEAF) -> np.ndarray:
    """Fill-reducing order of the nodal unknowns from the array's geometry.

    A block of cells is split across its longer side: splitting columns at
    ``jm`` takes the row nodes ``(i, jm)`` as separator (the row wires are the
    only edges across), splitting rows at ``im`` takes the column nodes
    ``(im, j)``.  Each half is ordered first, the separator last.
    """
    row_node = np.arange(m * n).reshape(m, n)
    col_node = m * n + np.arange(m * n).reshape(n, m).T
    taken_r = np.zeros((m, n), dtype=bool)
    taken_c = np.zeros((m, n), dtype=bool)
    out = []
    stack = [(0, m, 0, n, False)]
    # iterative post-order: (block, expanded?) entries; a separator is emitted after both halves
    while stack:
        i0, i1, j0, j1, sep = stack.pop()
        if sep is not False:
            out.append(sep)
            continue
        h, w = i1 - i0, j1 - j0
        if h * w <= leaf or (h == 1 and w == 1):
            out.append(row_node[i0:i1, j0:j1][~taken_r[i0:i1, j0:j1]])
            out.append(col_node[i0:i1, j0:j1][~taken_c[i0:i1, j0:j1]])
            continue
        if w >= h:
            jm = (j0 + j1) // 2
            s = row_node[i0:i1, jm][~taken_r[i0:i1, jm]]
            taken_r[i0:i1, jm] = True
            halves = [(i0, i1, j0, jm), (i0, i1, jm, j1)]
        else:
            im = (i0 + i1) // 2
            s = col_node[im, j0:j1][~taken_c[im, j0:j1]]
            taken_c[im, j0:j1] = True
            halves = [(i0, im, j0, j1), (im, i1, j0, j1)]
        stack.append((0, 0, 0, 0, s))
        stack.append(halves[1] + (False,))
        stack.append(halves[0] + (False,))
    order = np.concatenate(out)
    return order


class _DirectSystem:
    """The nodal equations of the unknown nodes for the direct solve (and Newton).

    Unlike :func:`nodal_matrix` this works on the general node set: an ideal
    wire (resistance 0) makes its whole line one node, and nodes held at a
    known voltage (ideal driver / sense) are eliminated, so every combination
    of 0, finite and infinite driver / sense / wire resistance is exact.

    The equations are split into a linear part ``L`` (wires, and drivers /
    senses as conductances to ground, with their injections ``S @ s`` from the
    source voltages ``s = [V, w]``) and the cells, whose currents
    ``f(Cx)`` enter through the incidence matrix ``C`` (+1 at the row node,
    -1 at the column node): the residual is ``L x + C^T f(C x) - S s`` and the
    Jacobian ``L + C^T diag(f'(C x)) C``.  A linear cell is ``f(v) = G v``,
    solved by one Newton step from any start.
    """

    def __init__(self, prob: _Problem):
        m, n = prob.shape
        cells = m * n
        self.m, self.n = m, n
        merge_r, merge_c = prob.r_row == 0, prob.r_col == 0
        it = np.int32 if 2 * cells < 2 ** 31 - 1 else np.int64     # 32-bit indices: half the memory traffic
        rid = (np.broadcast_to(np.arange(m, dtype=it)[:, None], (m, n)) if merge_r
               else np.arange(cells, dtype=it).reshape(m, n))
        n_r = m if merge_r else cells
        cid = it(n_r) + (np.broadcast_to(np.arange(n, dtype=it)[None, :], (m, n)) if merge_c
                         else np.arange(cells, dtype=it).reshape(n, m).T)
        n_all = n_r + (n if merge_c else cells)
        drive_cols = prob.drive_columns() if n > 1 else (0,)
        reps = len(prob.drive_columns())          # both ends of a one-column row: two resistors on one node
        # held[node] = index into the sources s = [V (M), w (N)] of the voltage the node is held at, -1 if free
        held = np.full(n_all, -1, dtype=np.int64)
        ideal_src = np.flatnonzero(prob.r_source == 0)
        for j in drive_cols:
            held[rid[ideal_src, j]] = ideal_src
        r_sns = prob.r_sense_eff
        ideal_sns = np.flatnonzero(r_sns == 0)
        held[cid[-1, ideal_sns]] = m + ideal_sns
        # linear branches: wires, and the drivers / senses as conductances to ground
        ea, eb, ew = [], [], []
        if not merge_r and n > 1:
            ea.append(rid[:, :-1].ravel()); eb.append(rid[:, 1:].ravel())
            ew.append(np.full(m * (n - 1), 1.0 / prob.r_row))
        if not merge_c and m > 1:
            ea.append(cid[:-1, :].ravel()); eb.append(cid[1:, :].ravel())
            ew.append(np.full((m - 1) * n, 1.0 / prob.r_col))
        ea = np.concatenate(ea) if ea else np.zeros(0, dtype=it)
        eb = np.concatenate(eb) if eb else np.zeros(0, dtype=it)
        ew = np.concatenate(ew) if ew else np.zeros(0)
        src = np.flatnonzero(np.isfinite(prob.r_source) & (prob.r_source > 0))
        sns = np.flatnonzero(np.isfinite(r_sns) & (r_sns > 0))
        if reps == 2 and n == 1:
            gnode = [rid[src, 0]] * 2
        else:
            gnode = [rid[src, j] for j in drive_cols]
        gsrc = [src] * len(gnode) + [m + sns]
        gval = [1.0 / prob.r_source[src]] * len(gnode) + [1.0 / r_sns[sns]]
        gnode = np.concatenate(gnode + [cid[-1, sns]])
        gsrc, gval = np.concatenate(gsrc), np.concatenate(gval)
        rows = np.concatenate([ea, eb, ea, eb, gnode])
        cols = np.concatenate([ea, eb, eb, ea, gnode])
        vals = np.concatenate([ew, ew, -ew, -ew, gval])
        del ea, eb, ew
        self.lin = sp.csr_matrix((vals, (rows, cols)), shape=(n_all, n_all))
        self.inj = sp.csr_matrix((gval, (gnode, gsrc)), shape=(n_all, m + n))
        # order of the unknowns: nested dissection of the array's geometry when no line is merged
        free = held == -1
        if merge_r or merge_c:
            order, self.permc = np.flatnonzero(free), "MMD_AT_PLUS_A"
        else:
            order = _nested_dissection(m, n)
            order, self.permc = order[free[order]], "NATURAL"
        n_u = order.size
        new = np.full(n_all, -1, dtype=it)
        new[order] = np.arange(n_u, dtype=it)
        ru, cu = new[rows], new[cols]
        uu = (ru >= 0) & (cu >= 0)
        self.lin_uu = (ru[uu], cu[uu], vals[uu])
        del rows, cols, vals, ru, cu, uu
        # cells: incidence and their positions among the unknowns
        self.rid, self.cid = rid, cid
        a, b = rid.ravel(), cid.ravel()
        self.inc = sp.csr_matrix((np.concatenate([np.ones(cells), -np.ones(cells)]),
                                  (np.concatenate([np.arange(cells), np.arange(cells)]), np.concatenate([a, b]))),
                                 shape=(cells, n_all))
        self.inc_r = sp.csr_matrix((np.ones(cells), (np.arange(cells), a)), shape=(cells, n_all))
        self.inc_c = sp.csr_matrix((np.ones(cells), (np.arange(cells), b)), shape=(cells, n_all))
        self.cell_a, self.cell_b = new[a], new[b]
        self.held, self.order, self.new, self.n_all, self.n_u = held, order, new, n_all, n_u

    def jacobian(self, slope: np.ndarray, terms: Optional[Tuple[np.ndarray, ...]] = None) -> sp.csc_matrix:
        """``L + C^T diag(slope) C`` over the unknowns (in the solve's order); ``slope`` per cell (M*N,).

        With ``terms = (di_r/dv_r, di_r/dv_c, di_c/dv_r, di_c/dv_c)`` (per cell) instead: the Jacobian of
        a three-terminal cell (current ``i_r`` out of the row node, ``i_c`` into the column node).
        """
        a, b = self.cell_a, self.cell_b
        fa, fb = a >= 0, b >= 0
        both = fa & fb
        r0, c0, v0 = self.lin_uu
        if terms is None:
            drr = dcr = slope
            drc = dcc = -slope
        else:
            drr, drc, dcr, dcc = terms
        rows = np.concatenate([r0, a[fa], b[fb], a[both], b[both]])
        cols = np.concatenate([c0, a[fa], b[fb], b[both], a[both]])
        vals = np.concatenate([v0, drr[fa], -dcc[fb], drc[both], -dcr[both]])
        return sp.csc_matrix((vals, (rows, cols)), shape=(self.n_u, self.n_u))

    def factor(self, slope: np.ndarray, terms: Optional[Tuple[np.ndarray, ...]] = None):
        # symmetric positive definite (monotone two-terminal cells), or column diagonally dominant (the
        # 1T1R cell with its junctions, see OneTransistorOneResistor): no pivoting needed
        return splu(self.jacobian(slope, terms), permc_spec=self.permc, diag_pivot_thresh=0.0,
                    options={"SymmetricMode": True})

    def start(self, s: np.ndarray) -> np.ndarray:
        """Node voltages (n_all, K) with the held nodes at their sources ``s`` (K, M+N), the rest 0."""
        x = np.zeros((self.n_all, s.shape[0]))
        hv = self.held >= 0
        x[hv] = s[:, self.held[hv]].T
        return x

    def residual(self, x: np.ndarray, s: np.ndarray, cell_current: np.ndarray,
                 column_current: Optional[np.ndarray] = None, full: bool = False) -> np.ndarray:
        """KCL residual of the unknowns (n_u, K): ``L x + C^T f - S s`` (``f`` the cell currents, (M*N, K)).

        With ``column_current``: ``cell_current`` leaves the row nodes and ``column_current`` enters the
        column nodes (three-terminal cells).  ``full``: every node (n_all, K), 0 at the held ones.
        """
        if column_current is None:
            r = self.lin @ x - self.inj @ s.T + self.inc.T @ cell_current
        else:
            r = self.lin @ x - self.inj @ s.T + self.inc_r.T @ cell_current - self.inc_c.T @ column_current
        if full:
            r[self.held >= 0] = 0.0
            return r
        return r[self.order]

    def cell_voltages(self, x: np.ndarray) -> np.ndarray:
        return self.inc @ x


@dataclass
class _CellTerms:
    """A nonlinear cell's currents and derivatives at the present node voltages (cells in row-major order)."""

    i_r: np.ndarray                          # current out of the row node into the cell (A)
    i_c_col: Optional[np.ndarray]            # (M*N, 1) current into the column node, None when equal to i_r
    slope: Optional[np.ndarray]              # dI/dV of a two-terminal cell (S), None for three-terminal
    terms: Optional[Tuple[np.ndarray, ...]]  # (di_r/dv_r, di_r/dv_c, di_c/dv_r, di_c/dv_c) of a three-terminal cell


def cell_terms(cell: Cell, system: "_DirectSystem", x: np.ndarray, g: np.ndarray) -> _CellTerms:
    """Evaluate ``cell`` at node voltages ``x`` (n_all,): ``current(v, g)`` of a two-terminal cell, or
    ``terminal_currents(v_r, v_c, g)`` (the cells as an (M, N) array, ``g`` the conductances (M, N))."""
    shape = g.shape
    if not cell.two_terminal:
        t = cell.terminal_currents((system.inc_r @ x).reshape(shape), (system.inc_c @ x).reshape(shape), g)
        terms = tuple(a.ravel() for a in (t.d_row_d_vrow, t.d_row_d_vcol, t.d_col_d_vrow, t.d_col_d_vcol))
        return _CellTerms(t.row.ravel(), t.column.ravel()[:, None], None, terms)
    i, slope = cell.current(system.cell_voltages(x).reshape(shape), g)
    return _CellTerms(i.ravel(), None, slope.ravel(), None)


def _cell_currents(cell: Optional[Cell], g: np.ndarray, xr: np.ndarray,
                   xc: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Current out of each row node into its cell, and from each cell into its column node (A), both
    shaped like ``xr`` ((K, M, N) or (M, N)); the same array for a two-terminal cell."""
    if cell is None or cell.linear:
        i = g * (xr - xc)
        return i, i
    if not cell.two_terminal:
        if xr.ndim == 2:
            t = cell.terminal_currents(xr, xc, g)
            return t.row, t.column
        pairs = [cell.terminal_currents(xr[k], xc[k], g) for k in range(xr.shape[0])]   # as in the Newton
        return np.stack([t.row for t in pairs]), np.stack([t.column for t in pairs])
    i = cell.current(xr - xc, g)[0]
    return i, i


def _solve_direct(prob: _Problem, info: Dict[str, Any], newton_tol: float = 1e-12,
                  max_newton: int = 200, linear_solve: Any = None,
                  system: Optional["_DirectSystem"] = None) -> Tuple[np.ndarray, np.ndarray, int]:
    """Sparse LU of the nodal equations of the unknown nodes (see :class:`_DirectSystem`).

    Linear cells: one factorisation for every input vector.  Nonlinear cells:
    Newton per input vector, a sparse LU of the Jacobian (same fill-reducing
    order, same pattern) per iteration, each step limited to the cell's
    ``max_step`` volts on any cell; it stops when a step changes no node
    voltage by more than ``newton_tol`` times the largest source voltage (the
    error left is then of the order of that step squared).
    """
    t0 = time.perf_counter()
    system = _DirectSystem(prob) if system is None else system
    m, n = prob.shape
    s = np.concatenate([prob.v, prob.w], axis=1)          # (K, M+N) source voltages
    x = system.start(s)
    g = prob.g.ravel()
    t1 = time.perf_counter()
    nnz, newton = 0, 0
    if system.n_u and prob.cell is None:
        lu = system.factor(g)
        nnz = int(lu.nnz)
        t2 = time.perf_counter()
        # the solve and one step of iterative refinement with the same factors (the residual of the first
        # solve, recomputed in the original equations, removes most of the rounding that floating lines
        # behind milliohm drivers amplify: KCL then holds to ~1e-15 instead of ~1e-11)
        for _ in range(2):
            dv = system.cell_voltages(x)
            f = system.residual(x, s, g[:, None] * dv)
            x[system.order] -= lu.solve(np.asfortranarray(f))
    elif system.n_u:
        t2 = t1
        cell = prob.cell
        scale = max(float(np.max(np.abs(s))), 1e-300)
        max_step = float(cell.max_step)
        for k in range(s.shape[0]):
            xk, sk = x[:, k:k + 1], s[k:k + 1]
            for step in range(1, max_newton + 1):
                t = cell_terms(cell, system, xk[:, 0], prob.g)
                if linear_solve is None:
                    lu = system.factor(t.slope, t.terms)
                    nnz = int(lu.nnz)
                    dx = -lu.solve(system.residual(xk, sk, t.i_r[:, None], t.i_c_col))
                    dfull = np.zeros((system.n_all, 1))
                    dfull[system.order] = dx
                else:
                    dfull = linear_solve(t, system.residual(xk, sk, t.i_r[:, None], t.i_c_col, full=True))
                    info["pcg_iterations"] = info.get("pcg_iterations", 0) + linear_solve.iterations
                big = float(np.max(np.abs(system.cell_voltages(dfull)))) if dfull.size else 0.0
                if big > max_step:
                    dfull *= max_step / big
                xk += dfull
                newton = max(newton, step)
                if big <= newton_tol * scale:
                    break
            else:
                raise RuntimeError(f"Newton did not converge in {max_newton} iterations (last step {big:.3g} V)")
            x[:, k] = xk[:, 0]
    else:
        t2 = t1
    t3 = time.perf_counter()
    info.update(assemble_s=t1 - t0, factor_s=t2 - t1, solve_s=t3 - t2, factor_nnz=nnz, unknowns=int(system.n_u))
    if prob.cell is not None:
        info["newton_iterations"] = newton
    xr = np.moveaxis(x[system.rid], 2, 0)
    xc = np.moveaxis(x[system.cid], 2, 0)
    return np.ascontiguousarray(xr), np.ascontiguousarray(xc), newton


def _transfer_currents(prob: _Problem, info: Dict[str, Any], block: int = 64) -> Tuple[np.ndarray, np.ndarray]:
    """Column and row currents (K, N) and (K, M) of a linear array for K input vectors through its
    transfer matrix.

    The currents are linear in the source voltages ``s = [V (M), w (N)]``: ``I = T s``.  ``T`` takes
    one solve per source (``M + N`` unit right-hand sides, in blocks of ``block``, each with one step
    of iterative refinement as in :func:`_solve_direct`); then every input vector costs a dense
    product, so K reads cost ``M + N`` solves instead of K.
    """
    t0 = time.perf_counter()
    system = _DirectSystem(prob)
    m, n = prob.shape
    g = prob.g.ravel()
    if not np.any(system.held >= 0) and system.permc == "NATURAL" and not np.any(prob.w):
        reduced = _boundary_currents(prob, system, info)
        if reduced is not None:
            return reduced
    lu = system.factor(g)
    t1 = time.perf_counter()
    sources = m + n
    t_col = np.zeros((n, sources))
    t_row = np.zeros((m, sources))
    for start in range(0, sources, block):
        unit = np.eye(sources)[start:start + block]             # (b, M+N) source vectors
        x = system.start(unit)
        for _ in range(2):
            f = system.residual(x, unit, g[:, None] * system.cell_voltages(x))
            x[system.order] -= lu.solve(np.asfortranarray(f))
        cell = (g[:, None] * system.cell_voltages(x)).reshape(m, n, -1)
        t_col[:, start:start + block] = cell.sum(axis=0)
        t_row[:, start:start + block] = cell.sum(axis=1)
    s = np.concatenate([prob.v, prob.w], axis=1)                  # (K, M+N)
    i_col = s @ t_col.T
    i_row = s @ t_row.T
    i_col[:, np.isinf(prob.r_sense)] = 0.0
    i_row[:, np.isinf(prob.r_source)] = 0.0
    t2 = time.perf_counter()
    info.update(factor_s=t1 - t0, solve_s=t2 - t1, factor_nnz=int(lu.nnz), unknowns=int(system.n_u),
                transfer_solves=sources)
    return i_col, i_row


def _boundary_currents(prob: _Problem, system: "_DirectSystem",
                       info: Dict[str, Any]) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """Column and row currents (K, N), (K, M) of a linear array from its Schur complement on the nodes
    that the sources drive; ``None`` if the factorisation pivoted (then the transfer solves are used).

    The sources inject current only at the driven row nodes and the sensed column ends (the boundary
    ``B``, ``M + N`` nodes, ``2M + N`` with ``drive="both"``); every other node has no injection.
    Factorising the nodal matrix with ``B`` ordered last (the geometric nested-dissection order of the
    rest first), the trailing block of the LU factors is the Schur complement
    ``S = A_BB - A_BI A_II^{-1} A_IB``, and ``S x_B = b_B`` gives the boundary voltages for every
    input vector by one dense solve.  No unit solves: the cost is one sparse factorisation (plus the
    dense ``|B|``-square solve), however many vectors.  Used with the columns at 0 V (reads): a column
    current is then ``x_B / r_sense`` without cancellation (with column voltages ``w`` it would be the
    small difference ``(x_B - w) / r_sense``: the unit solves keep their precision there).
    """
    from scipy.linalg import lu_factor, lu_solve

    t0 = time.perf_counter()
    m, n = prob.shape
    inj = system.inj.tocsr()
    boundary = np.unique(inj.nonzero()[0])
    order = _nested_dissection(m, n)
    order = np.concatenate([order[~np.isin(order, boundary)], boundary])
    g = prob.g.ravel()
    a = (system.lin + system.inc.T @ sp.diags(g) @ system.inc).tocsc()
    a = a[order][:, order].tocsc()
    lu = splu(a, permc_spec="NATURAL", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
    nb = boundary.size
    if not (np.array_equal(lu.perm_r, np.arange(a.shape[0])) and np.array_equal(lu.perm_c, np.arange(a.shape[0]))):
        return None
    schur = lu.L[-nb:, -nb:].toarray() @ lu.U[-nb:, -nb:].toarray()
    t1 = time.perf_counter()
    s = np.concatenate([prob.v, prob.w], axis=1)                  # (K, M+N)
    xb = lu_solve(lu_factor(schur), (inj[boundary] @ s.T))        # (|B|, K)
    where = {node: k for k, node in enumerate(boundary)}
    col_nodes = np.array([where[node] for node in system.cid[-1, :]])
    g_sns = _conductance(prob.r_sense_eff)
    i_col = (xb[col_nodes].T - prob.w) * g_sns
    i_row = np.zeros((s.shape[0], m))
    g_src = _conductance(prob.r_source)
    driven = np.flatnonzero(g_src > 0)
    for j in (prob.drive_columns() if n > 1 else (0,)) * (2 if prob.both_ends and n == 1 else 1):
        rows = np.array([where[node] for node in system.rid[driven, j]], dtype=np.int64)
        i_row[:, driven] += (prob.v[:, driven] - xb[rows].T) * g_src[driven]
    info.update(factor_s=t1 - t0, solve_s=time.perf_counter() - t1, factor_nnz=int(lu.nnz),
                unknowns=int(system.n_u), boundary_nodes=int(nb))
    return i_col, i_row


# --------------------------------------------------------------------------- pcg


class _Chains:
    """Independent tridiagonal SPD chains, factored once as L D L^T (LAPACK ``dpttrf``).

    ``diag`` has shape (L, c) and ``off`` (L, c-1): L chains of length c.
    """

    def __init__(self, diag: np.ndarray, off: np.ndarray):
        chains, length = diag.shape
        e = np.zeros((chains, length))
        e[:, :-1] = -off
        if diag.size == 1:                       # LAPACK's wrapper wants n >= 2
            d, e, info = diag.ravel().copy(), np.zeros(0), int(diag.ravel()[0] <= 0)
        else:
            d, e, info = dpttrf(diag.ravel(), e.ravel()[:-1])
        if info != 0:
            raise np.linalg.LinAlgError(f"wire chain not positive definite (dpttrf info={info})")
        self.d, self.e, self.shape = d, e, (chains, length)
        self._t: Optional[Tuple[np.ndarray, np.ndarray]] = None

    def solve(self, b: np.ndarray) -> np.ndarray:
        """Solve for ``b`` of shape (K, L, c) (each chain contiguous); same shape out."""
        k = b.shape[0]
        if self.d.size == 1:
            return b / self.d[0]
        x, _ = dpttrs(self.d, self.e, b.reshape(k, -1).T)
        return x.T.reshape(b.shape)

    def solve_t(self, b: np.ndarray) -> np.ndarray:
        """Solve for ``b`` of shape (K, c, L) (the chains run along axis 1), without transposing.

        A forward and a backward sweep of the L D L^T factors, vectorised over
        the chains: fast when L * K is large (each step touches a contiguous row).
        """
        chains, length = self.shape
        if self._t is None:
            ee = np.zeros(chains * length)
            ee[: self.e.size] = self.e
            self._t = (np.ascontiguousarray(self.d.reshape(chains, length).T),
                       np.ascontiguousarray(ee.reshape(chains, length).T))   # multipliers l[i] -> row i
        d, l = self._t
        y = np.array(b, dtype=float, copy=True)
        for i in range(1, length):
            y[:, i] -= l[i - 1] * y[:, i - 1]
        y /= d
        for i in range(length - 2, -1, -1):
            y[:, i] -= l[i] * y[:, i + 1]
        return y


class _PcgOperator:
    """The wire-preconditioned CG of one nodal matrix (blocks of :meth:`_Problem.blocks`): Schur complement
    on the row nodes, the column nodes eliminated by their exact tridiagonal solves."""

    def __init__(self, blocks: Dict[str, np.ndarray], g: np.ndarray):
        self.b = blocks
        self.g = g
        self.row_chains = _Chains(blocks["dR"], blocks["eR"])                      # R, rows contiguous
        self.col_chains = _Chains(blocks["dC"].T.copy(), blocks["eC"].T.copy())    # C, columns contiguous

    def c_solve(self, y: np.ndarray) -> np.ndarray:         # (K, M, N) -> C^{-1} y, (K, M, N)
        n = self.g.shape[1]
        if y.shape[0] * n >= 32:                            # sweep down the columns, whole rows at a time
            return self.col_chains.solve_t(y)
        return np.ascontiguousarray(
            self.col_chains.solve(np.ascontiguousarray(y.transpose(0, 2, 1))).transpose(0, 2, 1))

    def r_mul(self, p: np.ndarray) -> np.ndarray:
        dr, er = self.b["dR"], self.b["eR"]
        y = dr * p
        if p.shape[2] > 1:
            y[:, :, :-1] -= er * p[:, :, 1:]
            y[:, :, 1:] -= er * p[:, :, :-1]
        return y

    def solve(self, br: np.ndarray, bc: np.ndarray, rtol: float, maxiter: int,
              currents: bool = True) -> Tuple[np.ndarray, np.ndarray, int]:
        """Row and column node voltages (K, M, N) for right-hand sides ``br``, ``bc`` (K, M, N).

        ``currents``: stop when an iteration changes no column current by more than ``rtol`` of the largest
        (and the residual is below 1e-10 of the right-hand side); otherwise on the residual alone
        (``rtol`` of the right-hand side: a Newton correction).
        """
        gx, g = self.b["gX"], self.g

        def dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return np.einsum("kij,kij->k", a, b)

        y0 = self.c_solve(bc)                           # C^{-1} bC
        b = br + gx * y0                                # Schur right-hand side
        # currents as a function of the row-node voltages: I_j = sum_i G (xR - C^{-1}(bC + gX xR));
        # their change per iteration tells when the column currents have converged
        x = np.zeros_like(b)
        i_now = -(g * y0).sum(axis=1)                   # at xR = 0
        r = b.copy()
        z = self.row_chains.solve(r)
        p = z.copy()
        rz = dot(r, z)
        bnorm = np.sqrt(dot(b, b))
        done = bnorm == 0
        change = np.full(done.shape, np.inf)
        rnorm = bnorm
        tmp = np.empty_like(b)
        it = 0
        while not np.all(done):
            if it >= maxiter:
                what = (f"relative current change {float(np.max(change)):.3g}" if currents else
                        f"relative residual {float(np.max(rnorm / np.where(bnorm > 0, bnorm, 1.0))):.3g}")
                raise RuntimeError(f"pcg did not converge in {maxiter} iterations ({what} > {rtol:g}); "
                                   f"use method='direct'")
            it += 1
            np.multiply(gx, p, out=tmp)
            sv = self.c_solve(tmp)                      # C^{-1} X p
            q = self.r_mul(p)
            np.multiply(gx, sv, out=tmp)
            q -= tmp                                    # S p = R p - X C^{-1} X p
            pq = dot(p, q)
            alpha = np.where(done | (pq == 0), 0.0, rz / np.where(pq == 0, 1.0, pq))
            a3 = alpha[:, None, None]
            x += a3 * p
            r -= a3 * q
            rnorm = np.sqrt(dot(r, r))
            if currents:
                np.subtract(p, sv, out=tmp)
                tmp *= g
                di = alpha[:, None] * tmp.sum(axis=1)   # change of the column currents
                i_now += di
                scale = np.max(np.abs(i_now), axis=1)
                change = np.max(np.abs(di), axis=1) / np.where(scale > 0, scale, 1.0)
                done = done | ((change <= rtol) & (rnorm <= 1e-10 * bnorm)) | (rnorm == 0)
            else:
                done = done | (rnorm <= rtol * bnorm)
            if np.all(done):
                break
            z = self.row_chains.solve(r)
            rz_new = dot(r, z)
            beta = np.where(rz == 0, 0.0, rz_new / np.where(rz == 0, 1.0, rz))
            p *= beta[:, None, None]
            p += z
            rz = rz_new
        xc = self.c_solve(bc + gx * x)
        # fixed nodes (identity rows): their values are the right-hand side, exactly
        return np.where(self.b["fr"], br, x), np.where(self.b["fc"], bc, xc), it


def _solve_pcg(prob: _Problem, blocks: Dict[str, np.ndarray], info: Dict[str, Any], rtol: float,
               maxiter: int) -> Tuple[np.ndarray, np.ndarray, int]:
    m, n = prob.shape
    t0 = time.perf_counter()
    op = _PcgOperator(blocks, prob.g)
    t1 = time.perf_counter()
    info["factor_s"] = t1 - t0
    k_all = prob.v.shape[0]
    xr_all = np.empty((k_all, m, n))
    xc_all = np.empty((k_all, m, n))
    worst_iter = 0
    block = 8
    for start in range(0, k_all, block):
        br, bc = prob.rhs(blocks, prob.v[start:start + block], prob.w[start:start + block])
        xr, xc, it = op.solve(br, bc, rtol, maxiter)
        xr_all[start:start + block] = xr
        xc_all[start:start + block] = xc
        worst_iter = max(worst_iter, it)
    info["solve_s"] = time.perf_counter() - t1
    return xr_all, xc_all, worst_iter


class _PcgNewtonStep:
    """The Newton correction of a two-terminal nonlinear cell by wire-preconditioned CG.

    The Jacobian ``L + C^T diag(f'(v)) C`` is the nodal matrix of the same array with the cells'
    conductances replaced by their slopes ``f'(v) > 0`` (monotone cells), so the PCG of the linear solve
    applies unchanged to each Newton iteration (a fresh operator per iteration: two tridiagonal
    factorisations, O(M*N)).  Each correction is solved to ``rtol`` of its right-hand side (an inexact
    Newton step: the iteration converges on the exact residual).
    """

    def __init__(self, prob: _Problem, system: "_DirectSystem", rtol: float, maxiter: int):
        self.prob, self.system, self.rtol, self.maxiter = prob, system, rtol, maxiter
        self.iterations = 0

    def __call__(self, t: _CellTerms, residual: np.ndarray) -> np.ndarray:
        m, n = self.prob.shape
        blocks = self.prob.blocks(np.maximum(t.slope, 1e-300).reshape(m, n))
        op = _PcgOperator(blocks, blocks["g"])
        rid, cid = self.system.rid, self.system.cid
        br = -residual[rid, 0][None]
        bc = -residual[cid, 0][None]
        xr, xc, self.iterations = op.solve(br, bc, self.rtol, self.maxiter, currents=False)
        out = np.zeros((self.system.n_all, 1))
        out[rid.ravel(), 0] = xr[0].ravel()
        out[cid.ravel(), 0] = xc[0].ravel()
        out[self.system.held >= 0] = 0.0
        return out


# --------------------------------------------------------------------------- entry point


def solve_crossbar(spec: CrossbarSpec, method: str = "auto", *, keep_voltages: bool = True, rtol: float = 1e-12,
                   maxiter: int = 2000, newton_tol: float = 1e-12,
                   max_memory: Optional[float] = None) -> CrossbarSolution:
    """Solve a crossbar with wire resistance (DC / read).

    Parameters
    ----------
    spec
        The array, validated (:class:`~circuitsim.crossbar.spec.CrossbarSpec`):
        its voltages (one input vector ``(M,)`` or a batch ``(K, M)``, all
        solved against one factorisation for linear cells; the ideal result is
        then ``V @ G``), resistances (0 ideal, ``numpy.inf`` floating), column
        voltages, drive, TIA (the column end sees ``r_sense + R_f / (1 + A)``,
        see :class:`_Problem`; outputs in :attr:`CrossbarSolution.tia_output`)
        and cell (Newton for any cell but the linear one).
    method
        ``"direct"``, ``"pcg"`` or ``"auto"`` (direct up to 128 x 128, or up to
        512 x 512 with >= 16 input vectors; pcg otherwise; whichever fits in
        memory; direct for nonlinear cells unless ``"pcg"`` is asked for, which
        three-terminal cells such as 1T1R refuse).
    keep_voltages
        Return the node voltages (``2*K*M*N`` floats); ``False`` returns only
        the currents.
    rtol
        ``pcg`` only: stop when an iteration changes no column current by more
        than ``rtol`` times the largest one (and the residual is below 1e-10 of
        the right-hand side).  The default gives ~1e-12 agreement with the
        direct solve.
    maxiter
        ``pcg`` only: iteration limit (``RuntimeError`` beyond it).
    newton_tol
        Nonlinear cells: stop Newton when a step changes no cell voltage by
        more than ``newton_tol`` times the largest source voltage.
    max_memory
        Memory budget (bytes); default: the memory available now.  A solve
        estimated (:func:`estimate_memory`) to need more is refused.

    Returns
    -------
    CrossbarSolution

    Raises
    ------
    ValueError
        An unknown method, a method that does not apply (``pcg`` with merged
        lines or a three-terminal cell), a spec with time-dependent sources,
        or an array too large for memory (with the estimate).
    CellCapabilityError
        The cell has no Python current model (e.g. a dynamic catalogue cell).
    """
    t0 = time.perf_counter()
    prob = _problem(spec)
    m, n = prob.shape
    k = prob.v.shape[0]
    merged = _merging(prob.r_row, prob.r_col, prob.r_source, prob.r_sense_eff)
    cell = prob.cell
    if cell is not None:
        if not cell.solvable:
            raise cell.unsupported("Python current model for the fast solver (solve_crossbar)")
        if method == "pcg" and not cell.two_terminal:
            raise ValueError(f"{type(cell).__name__} cells have a non-symmetric Newton Jacobian (a three-terminal "
                             f"cell): method='pcg' (conjugate gradient) does not apply; use method='direct'")
        if method != "pcg":
            merged = merged or "nonlinear cells"     # 'auto': Newton with the direct factorisation
    chosen, est = _choose(method, m, n, k, keep_voltages, max_memory, merged)
    info: Dict[str, Any] = {"estimated_memory_bytes": est}
    if chosen == "direct" and cell is None and not keep_voltages and k > m + n:
        # many input vectors, currents only: the array's transfer matrix from M + N unit solves
        i_col, i_row = _transfer_currents(prob, info)
        out = None
        if prob.tia is not None:
            out = prob.tia.output(i_col, prob.u)
            out[:, np.isinf(prob.r_sense)] = np.nan
        info["total_s"] = time.perf_counter() - t0
        if prob.single:                                  # pragma: no cover - k > m + n means a batch
            i_col, i_row = i_col[0], i_row[0]
        return CrossbarSolution(column_currents=i_col, row_currents=i_row, row_node_voltages=None,
                                column_node_voltages=None, method="direct", iterations=0, info=info,
                                conductance=prob.g, tia_output=out, cell=spec.cell)
    if chosen == "direct":
        xr, xc, iters = _solve_direct(prob, info, newton_tol=newton_tol)
    elif cell is not None:
        # Newton, each correction by wire-preconditioned CG (the residual from the general node system)
        system = _DirectSystem(prob)
        xr, xc, iters = _solve_direct(prob, info, newton_tol=newton_tol,
                                      linear_solve=_PcgNewtonStep(prob, system, max(rtol, 1e-13), maxiter),
                                      system=system)
    else:
        try:
            xr, xc, iters = _solve_pcg(prob, prob.blocks(), info, rtol, maxiter)
        except RuntimeError:
            if method != "auto" or (available_memory() or np.inf) < estimate_memory(m, n, k, "direct", keep_voltages):
                raise
            warnings.warn("pcg did not converge; falling back to the direct solve", RuntimeWarning, stacklevel=2)
            chosen = "direct"
            xr, xc, iters = _solve_direct(prob, info, newton_tol=newton_tol)
    i_in, i_out = _cell_currents(prob.cell, prob.g, xr, xc)
    i_col = i_out.sum(axis=1)
    i_col[:, np.isinf(prob.r_sense)] = 0.0
    i_row = i_in.sum(axis=2)
    i_row[:, np.isinf(prob.r_source)] = 0.0
    del i_in, i_out
    out = None
    if prob.tia is not None:
        out = prob.tia.output(i_col, prob.u)
        out[:, np.isinf(prob.r_sense)] = np.nan
    info["total_s"] = time.perf_counter() - t0
    if prob.single:
        i_col, i_row, xr, xc = i_col[0], i_row[0], xr[0], xc[0]
        out = None if out is None else out[0]
    return CrossbarSolution(column_currents=i_col, row_currents=i_row,
                            row_node_voltages=xr if keep_voltages else None,
                            column_node_voltages=xc if keep_voltages else None,
                            method=chosen, iterations=iters, info=info, conductance=prob.g,
                            tia_output=out, cell=spec.cell)
