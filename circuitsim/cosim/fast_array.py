"""The array's nodal equations for the fast transient engine, with factorisation reuse.

Layer: used by :mod:`circuitsim.cosim.fast`; builds on the fast solver's node
system (:class:`circuitsim.crossbar.solver._DirectSystem`: the same circuit
:func:`circuitsim.crossbar.netlist.crossbar_deck` writes: row drivers through
``r_source`` at column 0, row and column wire segments, the cell between row
node ``(i, j)`` and column node ``(i, j)``, each column through ``r_sense`` to
its sense source).

At each time point of a step the engine solves KCL

    ``F(x) = L x + C^T i(C x) - S s = 0``

for the node voltages ``x`` (``L``: wires, drivers and senses; ``C``: the
cell incidence; ``i``: the cell currents at the present states; ``s``: the
line voltages).  Between two time points the cells' conductances move by a
fraction of a percent, so the Jacobian ``J = L + C^T diag(di/dv) C`` barely
changes: :class:`ArrayNetwork` keeps the sparse LU of an earlier ``J`` (the
*reference*) and solves the present one by conjugate gradients
preconditioned with it (``J`` is symmetric positive definite for monotone
two-terminal cells).  If the cells changed by a relative ``d``, the
preconditioned matrix has its eigenvalues in ``[1 - d, 1 + d]`` and CG gains
about ``log10(d / 4)`` digits per iteration; a change confined to ``k``
cells is a rank-``k`` perturbation, which CG resolves in at most ``k + 1``
iterations.  When CG needs more than ``refactor_iterations`` iterations the
present ``J`` is factorised and becomes the reference.  With the exact
reference (nothing moved) a solve is one triangular solve.

Nonlinear cell I-V (e.g. a sinh-type memristor) is Newton's method on
``F``, each correction solved the same way, steps limited to ``max_step``
volts on any cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Tuple

import numpy as np

from circuitsim.crossbar.solver import _DirectSystem, _Problem

__all__ = ["ArrayNetwork", "LowRankArray", "NetworkStats", "ReducedArray", "resolvent_solve"]

#: ``cell(v) -> (i, di/dv)`` per cell, (M*N,) each
CellFunction = Callable[[np.ndarray], Tuple[np.ndarray, np.ndarray]]


@dataclass
class NetworkStats:
    """Counters of an :class:`ArrayNetwork` (for benchmarks and tests)."""

    solves: int = 0
    factorisations: int = 0
    cg_iterations: int = 0
    newton_iterations: int = 0
    exact_reuse: int = 0

    def as_dict(self) -> Dict[str, int]:
        return dict(self.__dict__)


@dataclass
class ArrayNetwork:
    """Nodal equations of an ``M x N`` crossbar with wire, driver and sense resistance.

    Parameters
    ----------
    shape
        ``(M, N)``.
    r_row, r_col, r_source, r_sense
        Wire segment, driver and sense resistances (ohm, finite, > 0).
    refactor_iterations
        Conjugate-gradient iterations allowed with the reference factorisation
        before the present Jacobian is factorised instead.
    tolerance
        A solve stops when a correction moves no node by more than
        ``tolerance`` times the largest line voltage (V/V).
    max_newton
        Newton iteration limit for nonlinear cells.
    """

    shape: Tuple[int, int]
    r_row: float
    r_col: float
    r_source: float
    r_sense: float
    refactor_iterations: int = 8
    tolerance: float = 1e-13
    max_newton: int = 100
    stats: NetworkStats = field(default_factory=NetworkStats)

    def __post_init__(self) -> None:
        m, n = self.shape
        prob = _Problem(g=np.ones((m, n)), v=np.zeros((1, m)), single=True, r_row=float(self.r_row),
                        r_col=float(self.r_col), r_source=np.full(m, float(self.r_source)),
                        r_sense=np.full(n, float(self.r_sense)))
        system = _DirectSystem(prob)
        if np.any(system.held >= 0) or system.n_u != system.n_all:
            raise ValueError("the fast engine needs every resistance finite and > 0 (no merged or held nodes)")
        self._system = system
        self._lin = system.lin.tocsr()
        self._inj = system.inj.tocsr()
        self._inc = system.inc.tocsr()
        self._inc_t = system.inc.T.tocsr()
        self._order = system.order
        # column currents: the cells of column j are rows j, j+N, ... of the row-major cell vector
        self._lu = None
        self._ref_slope: Optional[np.ndarray] = None
        self.n_nodes = system.n_all

    # -- pieces ---------------------------------------------------------------------------------------------
    def rhs(self, s: np.ndarray) -> np.ndarray:
        """Injected currents ``S s`` (A) for line voltages ``s = [rows (M), columns (N)]`` (V)."""
        return self._inj @ s

    def cell_voltages(self, x: np.ndarray) -> np.ndarray:
        """Row node minus column node of every cell (V), (M*N,) row-major."""
        return self._inc @ x

    def column_currents(self, cell_current: np.ndarray) -> np.ndarray:
        """Current into each column's sense node (A), (N,): the sum of its cells' currents (KCL)."""
        m, n = self.shape
        return cell_current.reshape(m, n).sum(axis=0)

    def _apply(self, slope: np.ndarray, x: np.ndarray) -> np.ndarray:
        return self._lin @ x + self._inc_t @ (slope * (self._inc @ x))

    def _factor(self, slope: np.ndarray) -> None:
        self._lu = self._system.factor(slope)
        self._ref_slope = slope.copy()
        self.stats.factorisations += 1

    def _precondition(self, r: np.ndarray) -> np.ndarray:
        z = np.empty_like(r)
        z[self._order] = self._lu.solve(r[self._order])
        return z

    def _linear_solve(self, slope: np.ndarray, b: np.ndarray, x: np.ndarray, tol: float) -> np.ndarray:
        """``(L + C^T diag(slope) C) x = b`` from the start ``x``: PCG with the reference factor, or refactor."""
        if self._lu is None:
            self._factor(slope)
        elif np.array_equal(slope, self._ref_slope):
            self.stats.exact_reuse += 1
            x = x + self._precondition(b - self._apply(slope, x))
            return x + self._precondition(b - self._apply(slope, x))    # one refinement: rounding only
        x = x.copy()
        r = b - self._apply(slope, x)
        z = self._precondition(r)
        p = z.copy()
        rz = float(r @ z)
        for _ in range(self.refactor_iterations):
            if rz == 0.0:
                return x
            q = self._apply(slope, p)
            alpha = rz / float(p @ q)
            x += alpha * p
            self.stats.cg_iterations += 1
            if abs(alpha) * float(np.max(np.abs(p))) <= tol:
                return x
            r -= alpha * q
            z = self._precondition(r)
            rz_new = float(r @ z)
            p = z + (rz_new / rz) * p
            rz = rz_new
        self._factor(slope)
        x = x + self._precondition(b - self._apply(slope, x))
        return x + self._precondition(b - self._apply(slope, x))

    # -- the solve ------------------------------------------------------------------------------------------
    def solve_linear(self, conductance: np.ndarray, s: np.ndarray, start: Optional[np.ndarray] = None) -> np.ndarray:
        """Node voltages (V), (nodes,), for linear cells of ``conductance`` (S, (M*N,)) and line voltages ``s``."""
        self.stats.solves += 1
        scale = float(np.max(np.abs(s))) if s.size else 0.0
        if scale == 0.0:
            return np.zeros(self.n_nodes)
        x = np.zeros(self.n_nodes) if start is None else start
        return self._linear_solve(conductance, self.rhs(s), x, self.tolerance * scale)

    def solve_nonlinear(self, cell: CellFunction, s: np.ndarray, start: Optional[np.ndarray] = None,
                        max_step: float = 0.2) -> np.ndarray:
        """Node voltages (V) for cells of current ``cell(v) -> (i, di/dv)`` by Newton from ``start``."""
        self.stats.solves += 1
        scale = max(float(np.max(np.abs(s))) if s.size else 0.0, 1e-3)
        tol = self.tolerance * scale
        b = self.rhs(s)
        x = np.zeros(self.n_nodes) if start is None else start.copy()
        for _ in range(self.max_newton):
            self.stats.newton_iterations += 1
            i, di = cell(self.cell_voltages(x))
            residual = self._lin @ x + self._inc_t @ i - b
            dx = self._linear_solve(di, -residual, np.zeros_like(x), tol)
            big = float(np.max(np.abs(self.cell_voltages(dx)))) if dx.size else 0.0
            if big > max_step:
                dx *= max_step / big
            x += dx
            if float(np.max(np.abs(dx))) <= tol:
                return x
        raise RuntimeError(f"the array's Newton iteration did not converge in {self.max_newton} iterations "
                           f"(last step {float(np.max(np.abs(dx))):.3g} V)")


def resolvent_solve(w: np.ndarray, d: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``(I + W diag(d))^{-1} v``: by its Neumann series when ``||W diag(d)||`` is small (a few ``k x k``
    products: the moved cells' conductances change by little against the array's transfer resistances),
    by a dense LU solve otherwise."""
    wd = w * d[None, :]
    size = float(np.abs(wd).sum(axis=1).max()) if d.size else 0.0
    if size == 0.0:
        return v
    if size < 0.05:
        out = term = v
        for _ in range(int(np.ceil(np.log(1e-17) / np.log(size)))):     # the terms shrink by ``size`` or more
            term = -(wd @ term)
            out = out + term
        return out
    return np.linalg.solve(np.eye(d.size) + wd, v)


@dataclass
class LowRankArray:
    """Cell voltages of a linear-cell array whose conductances move in few cells: a reference factorisation
    plus an exact low-rank (Woodbury) correction for the cells that moved.

    With the reference nodal matrix ``A0`` (conductances ``g0``) and the cells ``K`` whose conductance
    differs from it by ``d = g - g0``, ``A = A0 + U diag(d) U^T`` (``U = C_K^T``, the incidence of the
    moved cells) and, with ``Z = A0^{-1} U``,

        ``x = x0 - Z (I + diag(d) U^T Z)^{-1} diag(d) U^T x0``,  ``x0 = A0^{-1} S s``

    so the cell voltages are ``v = v0 - (C Z) q`` with ``q`` from a ``k x k`` solve.  ``v0`` is linear in
    the line voltages: the engine asks for it at the corners of the line program (:meth:`base`, cached)
    and interpolates inside a ramp.  A write pulse moves the cells it selects (a threshold device's
    half-selected cells stay), so ``k`` stays small for a while; past ``max_rank`` moved cells the present
    conductances are factorised as the new reference.

    Parameters
    ----------
    network
        The :class:`ArrayNetwork` (its node system and counters).
    max_rank
        Most moved cells before refactorising.
    """

    network: ArrayNetwork
    max_rank: int = 64

    def __post_init__(self) -> None:
        self._g0: Optional[np.ndarray] = None
        self._lu = None
        self._bases: Dict[bytes, np.ndarray] = {}
        cells = self.network.shape[0] * self.network.shape[1]
        self._cells = np.zeros(0, dtype=np.int64)
        self._member = np.zeros(cells, dtype=bool)
        self._buffer = np.empty((cells, min(self.max_rank, cells) + 1))
        self._cz = self._buffer[:, :0]
        self._w = np.zeros((0, 0))
        self.refactorisations = 0

    def _factor(self, g: np.ndarray) -> None:
        net = self.network
        self._lu = net._system.factor(g)
        net.stats.factorisations += 1
        self.refactorisations += 1
        self._g0 = g.copy()
        self._bases = {}
        self._cells = np.zeros(0, dtype=np.int64)
        self._member[:] = False
        self._cz = self._buffer[:, :0]
        self._w = np.zeros((0, 0))

    def _solve(self, b: np.ndarray) -> np.ndarray:
        order = self.network._order
        x = np.empty_like(b)
        x[order] = self._lu.solve(np.asfortranarray(b[order]))
        return x

    def _append(self, new: np.ndarray) -> None:
        """Add the cells ``new`` to the moved set: ``C Z`` of their incidence (one multi-vector solve)."""
        net = self.network
        k, n = self._cells.size, new.size
        if k + n > self._buffer.shape[1]:
            grown = np.empty((self._buffer.shape[0], max(2 * self._buffer.shape[1], k + n)))
            grown[:, :k] = self._buffer[:, :k]
            self._buffer = grown
        system = net._system
        u = np.zeros((system.n_u, n), order="F")                      # +1 at the row node, -1 at the column node
        cols = np.arange(n)
        u[system.cell_a[new], cols] = 1.0
        u[system.cell_b[new], cols] = -1.0
        z = self._lu.solve(u)                                         # in the solve's order
        self._buffer[:, k:k + n] = z[system.cell_a] - z[system.cell_b]
        self._cz = self._buffer[:, :k + n]
        self._cells = np.concatenate([self._cells, new])
        self._member[new] = True
        self._w = self._cz[self._cells]                               # U^T Z, (k, k)

    def prepare(self, g: np.ndarray, candidates: Optional[np.ndarray] = None) -> None:
        """Take conductances ``g`` (S, (M*N,)): add the newly moved cells, or refactorise past ``max_rank``.

        ``candidates``: the only cells that may differ from the conductances of the previous call (the
        engine's active set); ``None`` compares every cell.
        """
        if self._g0 is None:
            self._factor(g)
            return
        if candidates is None:
            moved = np.flatnonzero(g != self._g0)
            new = moved[~self._member[moved]]
            count = moved.size
        else:
            new = candidates[~self._member[candidates]]
            new = new[g[new] != self._g0[new]]
            count = self._cells.size + new.size
        if count > self.max_rank:
            self._factor(g)
            return
        if new.size:
            self._append(new)

    def reduce(self, g: np.ndarray, active: np.ndarray, sa: np.ndarray, sb: np.ndarray) -> "ReducedArray":
        """The array seen by the ``active`` cells while every other cell keeps its conductance of ``g``, on the
        segment between the line voltages ``sa`` and ``sb`` (see :class:`ReducedArray`).  Past ``max_rank``
        moved cells the present conductances become the reference."""
        if self._g0 is None:
            self._factor(g)
        if np.setdiff1d(active, self._cells).size + self._cells.size > self.max_rank:
            self._factor(g)
        new = active[~self._member[active]]
        if new.size:
            self._append(new)
        where = np.full(g.size, -1, dtype=np.int64)
        where[self._cells] = np.arange(self._cells.size)
        ia = where[active]
        frozen = np.ones(self._cells.size, dtype=bool)
        frozen[ia] = False
        iF = np.flatnonzero(frozen)
        w = self._w
        w_aa = w[np.ix_(ia, ia)]
        va, vb = self.base(sa)[self._cells], self.base(sb)[self._cells]
        base = np.stack([va[ia], vb[ia]])                                        # (2, k_A) at theta 0 and 1
        cells_f = self._cells[iF]
        d_f = g[cells_f] - self._g0[cells_f]
        if iF.size and np.any(d_f):
            w_af, w_fa = w[np.ix_(ia, iF)], w[np.ix_(iF, ia)]
            p = np.linalg.solve(np.eye(iF.size) + d_f[:, None] * w[np.ix_(iF, iF)],
                                np.hstack([d_f[:, None] * w_fa, d_f[:, None] * np.stack([va[iF], vb[iF]], axis=1)]))
            w_aa = w_aa - w_af @ p[:, :ia.size]
            base = base - (w_af @ p[:, ia.size:]).T
        return ReducedArray(self._g0[active], w_aa, base[0], base[1] - base[0])

    def base(self, s: np.ndarray) -> np.ndarray:
        """Cell voltages (V) at the reference conductances for line voltages ``s`` (cached per ``s``)."""
        key = s.tobytes()
        v = self._bases.get(key)
        if v is None:
            net = self.network
            system = net._system
            x = self._lu.solve(net.rhs(s)[system.order])
            v = x[system.cell_a] - x[system.cell_b]
            self._bases[key] = v
        return v

    def _base_at(self, segment: Tuple[np.ndarray, np.ndarray, float], cells: Optional[np.ndarray]) -> np.ndarray:
        sa, sb, theta = segment
        va = self.base(sa)
        if theta == 0.0 or sa is sb:
            return va if cells is None else va[cells]
        vb = self.base(sb)
        if cells is None:
            return va + theta * (vb - va)
        return va[cells] + theta * (vb[cells] - va[cells])

    def voltages_at(self, g: np.ndarray, segment: Tuple[np.ndarray, np.ndarray, float],
                    cells: Optional[np.ndarray] = None) -> np.ndarray:
        """Cell voltages (V) at conductances ``g`` (after :meth:`prepare`) and the line voltages at ``theta``
        between two corners ``segment = (s_a, s_b, theta)``: of every cell, or of ``cells`` only (a ``k x k``
        solve and a ``(cells x k)`` product)."""
        self.network.stats.solves += 1
        k = self._cells
        if k.size:
            d = g[k] - self._g0[k]
            if np.any(d):
                q = d * resolvent_solve(self._w, d, self._base_at(segment, k))
                cz = self._cz if cells is None else self._cz[cells]
                return self._base_at(segment, cells) - cz @ q
        return self._base_at(segment, cells)

    def voltages(self, g: np.ndarray, v0: np.ndarray) -> np.ndarray:
        """Cell voltages (V) at conductances ``g`` (after :meth:`prepare`) from the reference's ``v0``."""
        self.network.stats.solves += 1
        k = self._cells
        if k.size == 0:
            return v0
        d = g[k] - self._g0[k]
        if not np.any(d):
            return v0
        q = d * resolvent_solve(self._w, d, v0[k])
        return v0 - self._cz @ q


@dataclass
class ReducedArray:
    """The array seen by a few active cells while the others keep their conductances: exact, ``k x k``.

    With the reference's transfer matrix restricted to the active cells and the frozen moved cells
    eliminated (:meth:`LowRankArray.reduce`), the active cells' voltages at conductances ``g`` are

        ``v = (I + W diag(g - g0))^{-1} v'(theta)``,  ``v'(theta) = v'_a + theta (v'_b - v'_a)``

    (the line voltages are linear in ``theta`` inside a segment).  A stage of the integrator then costs a
    ``k x k`` solve, whatever the array's size.

    Parameters
    ----------
    g0
        The reference conductances of the active cells (S).
    w
        ``W``, (k, k) (ohm).
    start, slope
        ``v'`` at ``theta = 0`` and its change to ``theta = 1`` (V), (k,).
    """

    g0: np.ndarray
    w: np.ndarray
    start: np.ndarray
    slope: np.ndarray

    def voltages(self, g: np.ndarray, theta: float) -> np.ndarray:
        """Active cells' voltages (V) at their conductances ``g`` (S) and ``theta`` in the segment."""
        v = self.start + theta * self.slope
        d = g - self.g0
        if not np.any(d):
            return v
        return resolvent_solve(self.w, d, v)
