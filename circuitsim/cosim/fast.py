"""The fast transient engine: a co-simulation step without SPICE, for crossbars of model-language devices.

``mode = "fast"`` beside ``restart`` and ``lock-step``.  The array is
quasi-static at the time scale of programming pulses (our decks have no wire
capacitance), so a step is the devices' state equations integrated in time
with a nodal solve of the array at every time point:

* the line voltages come from the :class:`~circuitsim.netlists.programming.LineProgram`
  (its corner table: reads, V/2 and V/3 write pulses, their rise times); the
  integration steps to every corner exactly;
* the states follow ``dy/dt = rates(v, y)`` of the device's Python reference
  (the expressions ngspice runs, :mod:`circuitsim.cosim.fast_device`),
  integrated by the Bogacki-Shampine 3(2) pair (explicit, first stage the
  last one of the previous step) with the step controlled on the state
  change: the local error of every cell's every state below
  ``state_tolerance`` times that state's range;
* at every stage the cell voltages ``v`` come from the nodal equations of
  the array with wire, driver and sense resistance, the circuit the deck
  writes (:class:`~circuitsim.cosim.fast_array.ArrayNetwork`: a reused sparse
  LU as preconditioner, refactorised when the conductances moved too far;
  Newton for a nonlinear I-V);
* only the *active* cells are integrated: those whose rate is not exactly 0
  at the segment's start or (states frozen) at its end.  A threshold
  device's half-selected and unselected cells have rate 0 and keep their
  states exactly.  Their rates are checked at every accepted point; a cell
  that started moving inside a step makes the step be redone with it;
* inside a ramp, the point where a cell switches on or off (crosses its
  threshold) is located on its voltage, which is linear in time at frozen
  conductances (:meth:`FastCoupling._crossings`), and the ramp is broken
  there (one breakpoint per cluster of switching points) instead of the
  controller rejecting steps at the kink;
* linear cells: the active cells' voltages come from a ``k x k`` reduced
  system (:class:`~circuitsim.cosim.fast_array.ReducedArray`: the reference
  factorisation's transfer matrix of the active cells, the other moved cells
  eliminated), so a stage costs a ``k x k`` resolvent, not a solve of the
  array; every cell's voltage is formed at the accepted points only (column
  currents, powers, the activation check).

It returns what the ngspice couplings return: a
:class:`~circuitsim.cosim.coupling.StepResult` with the column currents
(``i(vs<j>)``) at every accepted time point (every corner among them, so a
linear interpolation between points is exact wherever the states are
still), the state traces under the names of
:meth:`CrossbarCircuit.state_vectors` (the change since the step's start, as
ngspice's state nodes hold it), the final states (clamped to their bounds)
and the engine's compute time in ``spice_seconds`` (the simulator seconds).

What it refuses (naming the reason, pointing to restart / lock-step): a
circuit with SPICE parts beyond the array (``extra_lines``,
``extra_sources``: the STDP neuron), probes other than the column currents,
devices without a Python reference (a user's Verilog-A file), devices that
switch by a hazard clock (MTJs) and devices whose noise input is switched on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from circuitsim.cosim.circuit import CrossbarCircuit, Waveform
from circuitsim.cosim.coupling import Coupling, StepResult
from circuitsim.cosim.fast_array import ArrayNetwork, LowRankArray
from circuitsim.cosim.fast_device import device_functions, parameter_values, state_ranges, unsupported_reason
from circuitsim.cosim.fast_traces import StepVectors, TraceLog
from circuitsim.crossbar.probes import CrossbarProbes
from circuitsim.netlists.programming import LineProgram

__all__ = ["FastCoupling", "FastEngineError", "IntegrationStats"]

# Bogacki-Shampine 3(2): stage nodes, the third-order weights and (third - second order) error weights
_C2, _C3 = 0.5, 0.75
_B = (2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0)
_E = (2.0 / 9.0 - 7.0 / 24.0, 1.0 / 3.0 - 0.25, 4.0 / 9.0 - 1.0 / 3.0, -0.125)


def _at(line: Tuple[np.ndarray, Any], y: np.ndarray) -> Tuple[np.ndarray, np.ndarray, Any]:
    """``(s, y, segment)`` arguments of ``_rhs`` from ``line(t) = (s, segment)``."""
    return line[0], y, line[1]


def _energy_report(phase_energy: np.ndarray, program: LineProgram) -> Dict[str, Any]:
    """Energies (J) of a step by where they are dissipated, in total and per phase of the program."""
    cells, sources, drivers, senses = (phase_energy[:, k] for k in range(4))
    wires = sources - cells - drivers - senses
    per = {"cells": cells, "wires": wires, "drivers": drivers, "senses": senses, "sources": sources}
    out: Dict[str, Any] = {k: float(v.sum()) for k, v in per.items()}
    out["per_phase"] = {k: v.copy() for k, v in per.items()}
    out["phase_kinds"] = [p.kind for p in program.phases]
    for kind in ("read", "write"):
        mask = np.array([k == kind for k in out["phase_kinds"]], dtype=bool)
        if mask.size and mask.any():
            out[f"per_{kind}"] = {k: float(v[mask].mean()) for k, v in per.items()}
    return out


class FastEngineError(ValueError):
    """A circuit the fast engine cannot represent; the message names why and points to the ngspice couplings."""


@dataclass
class IntegrationStats:
    """What the last step cost: accepted and rejected steps, right-hand-side evaluations."""

    accepted: int = 0
    rejected: int = 0
    evaluations: int = 0
    full: int = 0
    woken: int = 0

    def as_dict(self) -> Dict[str, int]:
        return dict(self.__dict__)


@dataclass
class FastCoupling(Coupling):
    """Co-simulation steps integrated in Python: device state equations with a nodal solve of the array.

    Parameters
    ----------
    circuit
        The circuit (its device, shape, parameters and resistances; its ngspice settings are not used).
    state_tolerance
        Local error allowed per integration step, as a fraction of each state's range (default 1e-6).
    record_states
        Keep every cell's state trace (needed for ``count_disturbs``); ``False`` keeps only the final states.
    refactor_iterations
        Preconditioned CG iterations with the reused factorisation before it is refactorised.
    min_step
        Smallest integration step (s); below it the step fails with ``RuntimeError``.
    max_state_change
        Largest change of any state in one integration step, as a fraction of its range (default 0.01).
    segment_start
        Try each segment between two corners of the line program whole before the controller's step.
    active_set
        Integrate only the cells whose rate is not 0 (see the module docstring); ``False``: every cell.
    locate_switching
        Break a ramp where cells switch on or off (see the module docstring).
    max_rank
        Linear cells: most cells moved since the reference factorisation before it is refactorised
        (:class:`~circuitsim.cosim.fast_array.LowRankArray`); default ``4 sqrt(M N)`` within [16, 512];
        0: always CG preconditioned by the reused factorisation.
        When the cells move everywhere (no threshold) and the reference would be refactorised at every
        few evaluations, the engine switches to CG preconditioned by the reference
        (:class:`~circuitsim.cosim.fast_array.ArrayNetwork`).

    Raises
    ------
    FastEngineError
        For a circuit the engine cannot represent (see the module docstring).
    """

    circuit: CrossbarCircuit
    state_tolerance: float = 1e-6
    record_states: bool = True
    refactor_iterations: int = 8
    min_step: float = 1e-18
    max_rank: Optional[int] = None
    max_state_change: float = 0.01
    segment_start: bool = True
    active_set: bool = True
    locate_switching: bool = True
    mode: str = field(default="fast", init=False)

    def __post_init__(self) -> None:
        why = unsupported_reason(self.circuit)
        if why is not None:
            raise FastEngineError(f"mode 'fast' cannot run this circuit: {why}; use mode 'restart' or "
                                  f"'lock-step' (ngspice)")
        if not (0 < self.state_tolerance < 1):
            raise ValueError(f"state_tolerance must be in (0, 1), got {self.state_tolerance!r}")
        c = self.circuit
        self.network = ArrayNetwork(c.shape, c.r_row, c.r_col, c.r_source, c.r_sense,
                                    refactor_iterations=self.refactor_iterations)
        self.params = parameter_values(c)
        self.functions = device_functions(c.model, self.params)
        order = self.functions.order
        self._initial_param = {s.name: s.initial_param for s in c.model.states}
        self._lower, self._upper, self._range = state_ranges(c, order)
        self.stats = IntegrationStats()
        self._x: Optional[np.ndarray] = None
        #: energies (J) of the last step: ``cells``, ``wires``, ``drivers``, ``senses``, ``sources`` (what the
        #: line sources delivered), ``per_phase`` arrays, ``per_read`` / ``per_write`` means
        self.energy: Dict[str, Any] = {}
        m, n = c.shape
        rank = self.max_rank if self.max_rank is not None else int(min(512, max(16, 4 * np.sqrt(m * n))))
        use = self.functions.linear and rank > 0
        self.low_rank: Optional[LowRankArray] = LowRankArray(self.network, rank) if use else None

    # -- the right-hand side ------------------------------------------------------------------------------
    def _conductance(self, y: np.ndarray) -> np.ndarray:
        """Linear cells: ``dI/dV`` per cell (S) at states ``y`` (S, cells)."""
        return np.broadcast_to(self.functions.slope(0.0, list(y), self.params), y.shape[1:]).astype(float)

    def _solve(self, s: np.ndarray, y: np.ndarray,
               segment: Optional[Tuple[np.ndarray, np.ndarray, float]] = None) -> Tuple[Any, np.ndarray, np.ndarray]:
        """Node voltages (``None`` in low-rank mode), cell voltages and cell currents at line voltages ``s``
        (``segment = (s_a, s_b, theta)``: ``s`` lies at ``theta`` between two corners) and states ``y``."""
        fn, p, net = self.functions, self.params, self.network
        rows = list(y)
        lr = self.low_rank
        if lr is not None:
            g = self._conductance(y)
            lr.prepare(g)
            v = lr.voltages_at(g, segment if segment is not None else (s, s, 0.0))
            return None, v, g * v
        if fn.linear:
            g = self._conductance(y)
            x = net.solve_linear(g, s, self._x)
            v = net.cell_voltages(x)
            i = g * v
        else:
            def cell(v: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
                with np.errstate(over="ignore", invalid="ignore"):
                    return (np.broadcast_to(fn.current(v, rows, p), v.shape),
                            np.broadcast_to(fn.slope(v, rows, p), v.shape))
            x = net.solve_nonlinear(cell, s, self._x)
            v = net.cell_voltages(x)
            i = cell(v)[0]
        self._x = x
        return x, v, i

    def _power(self, s: np.ndarray, v: np.ndarray, i: np.ndarray) -> np.ndarray:
        """Powers (W): cells, sources, drivers, senses."""
        m, n = self.circuit.shape
        cells = i.reshape(m, n)
        rows, columns = cells.sum(axis=1), cells.sum(axis=0)     # driver and sense currents (KCL)
        return np.array([float(i @ v), float(s[:m] @ rows - s[m:] @ columns),
                         self.circuit.r_source * float(rows @ rows), self.circuit.r_sense * float(columns @ columns)])

    def _every_cell(self, s: np.ndarray, y: np.ndarray, segment: Tuple[np.ndarray, np.ndarray, float],
                    active: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
        """Cell voltages and currents of every cell; in low-rank mode with ``active`` given, only the active
        cells' states may differ from those the conductances ``self._g`` were taken at."""
        lr = self.low_rank
        if lr is None or active is None:
            return self._solve(s, y, segment)[1:]
        g = self._g.copy()
        if active.size:
            g[active] = self._conductance(y[:, active])
        lr.prepare(g, active)
        v = lr.voltages_at(g, segment)
        return v, g * v

    def _full(self, s: np.ndarray, y: np.ndarray, segment: Tuple[np.ndarray, np.ndarray, float],
              active: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every cell: rates (S, cells), cell currents and powers at line voltages ``s`` and states ``y``."""
        self.stats.evaluations += 1
        self.stats.full += 1
        v, i = self._every_cell(s, y, segment, active)
        self._v_last = v
        return self.functions.rates(v, list(y), self.params), i, self._power(s, v, i)

    def _active_rates(self, s: np.ndarray, segment: Tuple[np.ndarray, np.ndarray, float], y: np.ndarray,
                      y_active: np.ndarray, active: np.ndarray) -> np.ndarray:
        """Rates (S, k) of the ``active`` cells whose states are ``y_active`` (S, k); every other cell keeps
        its state of ``y``.  Linear cells in low-rank mode solve for the active cells' voltages only."""
        self.stats.evaluations += 1
        if active.size == 0:
            return np.zeros((y.shape[0], 0))
        lr = self.low_rank
        if lr is not None and active.size <= lr.max_rank:
            if self._reduced is None or self._reduced[0] != lr.refactorisations:
                self._reduced = (lr.refactorisations, lr.reduce(self._g, active, segment[0], segment[1]))
            v = self._reduced[1].voltages(self._conductance(y_active), segment[2])
        else:
            full = y.copy()
            full[:, active] = y_active
            v = self._solve(s, full, segment)[1][active]
        return self.functions.rates(v, list(y_active), self.params)

    # -- where the rates switch on or off inside a ramp -----------------------------------------------------
    def _crossings(self, y: np.ndarray, v_a: np.ndarray, v_b: np.ndarray, cells: np.ndarray,
                   grid: int = 32) -> np.ndarray:
        """Where (fraction of the segment) each of ``cells`` starts or stops moving, its voltage taken linear
        between ``v_a`` and ``v_b`` at its present state (the conductances frozen: the states barely move
        in a ramp): the first grid point past the switch, refined once on a finer grid (1/grid^2).  For a
        nonlinear I-V the voltage is only nearly linear; the points then only place the breakpoints, the
        error control keeps the accuracy either way."""
        if cells.size == 0:
            return np.zeros(0)
        fn, p = self.functions, self.params
        va, dv = v_a[cells], v_b[cells] - v_a[cells]
        ys = [row[cells] for row in y]
        lo, width = np.zeros(cells.size), 1.0
        moving_at_start = None
        for _ in range(2):
            width = width / grid
            theta = lo[None, :] + width * np.arange(grid + 1)[:, None]                       # (grid + 1, c)
            rates = fn.rates(va + theta * dv, ys, p)
            moving = np.any(rates != 0.0, axis=0)                                          # (grid + 1, c)
            if moving_at_start is None:
                moving_at_start = moving[0]
            switched = moving != moving_at_start[None, :]
            first = np.where(switched.any(axis=0), switched.argmax(axis=0), grid)
            lo = lo + width * np.maximum(first - 1, 0)
        return np.clip(lo + 0.5 * width, 0.0, 1.0)

    @staticmethod
    def _breakpoints(theta: np.ndarray, gap: float = 0.05, edge: float = 0.01) -> List[float]:
        """Cluster the switching points ``theta`` (gaps above ``gap`` separate clusters); one breakpoint per
        cluster (its midpoint), none within ``edge`` of either end."""
        if theta.size == 0:
            return []
        t = np.sort(theta)
        cuts = np.flatnonzero(np.diff(t) > gap) + 1
        points = [0.5 * (c[0] + c[-1]) for c in np.split(t, cuts)]
        return [float(x) for x in points if edge < x < 1.0 - edge]

    # -- a step ---------------------------------------------------------------------------------------------
    def _run(self, program: LineProgram, states: Dict[str, np.ndarray],
             extra: Optional[Dict[str, Waveform]]) -> StepResult:
        """Integrate ``program`` from ``states`` (see :class:`FastCoupling`)."""
        circuit = self.circuit
        if extra:
            raise FastEngineError(f"mode 'fast' cannot drive extra sources ({', '.join(extra)}); use mode "
                                  "'restart' or 'lock-step'")
        if tuple(program.shape) != tuple(circuit.shape):
            raise ValueError(f"the program is for a {program.shape} array, the circuit is {circuit.shape}")
        circuit.check_states(states)
        start = time.perf_counter()
        self.stats = IntegrationStats()
        order = self.functions.order
        y = np.stack([np.asarray(states[self._initial_param[name]], dtype=float).ravel() for name in order])
        y0 = y.copy()
        times, values = program._table()
        atol = self.state_tolerance * self._range            # (S, 1)
        t_out: List[float] = [0.0]
        self._x = None
        if self.low_rank is not None:
            self._g = self._conductance(y)
        k1, i_cell, p1 = self._full(values[0], y, (values[0], values[0], 0.0))
        i_prev = i_cell
        phase_energy = np.zeros((max(len(program.phases), 1), 4))
        starts = program.starts
        currents: List[np.ndarray] = [self.network.column_currents(i_cell)]
        log = TraceLog(y) if self.record_states else None
        h = float(np.min(np.diff(times))) if len(times) > 1 else float(program.duration)
        for a in range(len(times) - 1):
            ta, tb = float(times[a]), float(times[a + 1])
            if tb <= ta:
                continue
            sa, sb = values[a], values[a + 1]
            span = tb - ta
            phase = min(max(int(np.searchsorted(starts, ta, side="right")) - 1, 0), len(phase_energy) - 1)
            ramp = not np.array_equal(sa, sb)

            def line(t: float) -> Tuple[np.ndarray, Tuple[np.ndarray, np.ndarray, float]]:
                theta = (t - ta) / span
                return sa + theta * (sb - sa), (sa, sb if ramp else sa, theta)

            # the active set: the cells moving at the segment's start or (at the present states) at its end;
            # inside a ramp, the cells that switch on or off break the segment where they switch
            moving_a = np.any(k1 != 0.0, axis=0)
            if ramp or not self.active_set:
                _, v_b, _ = self._solve(sb, y, (sa, sb, 1.0))
                self.stats.evaluations += 1
                moving_b = np.any(self.functions.rates(v_b, list(y), self.params) != 0.0, axis=0)
            else:
                moving_b = moving_a
            everyone = np.arange(y.shape[1])
            always = np.flatnonzero(moving_a & moving_b) if self.active_set else everyone
            stops = starts_ = switch = np.zeros(0, dtype=np.int64)
            ends = [tb]
            if ramp and self.active_set:
                stops, starts_ = np.flatnonzero(moving_a & ~moving_b), np.flatnonzero(~moving_a & moving_b)
                if self.locate_switching:
                    switching = np.concatenate([stops, starts_])
                    switch = self._crossings(y, self._v_last, v_b, switching)
                    ends = [ta + x * span for x in self._breakpoints(switch)] + [tb]
            t = ta
            # one active set for the whole segment (a cell that switched off just has rates 0 in the pieces
            # after its switch): the reduced array is then built once per segment
            active = np.union1d(always, np.concatenate([stops, starts_]))
            self._reduced = None
            for t_end in ends:
                if self.segment_start:
                    h = t_end - t       # try each piece whole: a read or a pulse's plateau often is one step
                while t < t_end:
                    h = min(h, t_end - t)
                    last = t + h >= t_end - 1e-12 * span
                    t_new = t_end if last else t + h
                    h = t_new - t
                    ya, k1a = y[:, active], k1[:, active]
                    s2, seg2 = line(t + _C2 * h)
                    k2 = self._active_rates(s2, seg2, y, ya + (_C2 * h) * k1a, active)
                    s3, seg3 = line(t + _C3 * h)
                    k3 = self._active_rates(s3, seg3, y, ya + (_C3 * h) * k2, active)
                    ya_new = ya + h * (_B[0] * k1a + _B[1] * k2 + _B[2] * k3)
                    s4, seg4 = line(t_new)
                    k4 = self._active_rates(s4, seg4, y, ya_new, active)
                    err = h * (_E[0] * k1a + _E[1] * k2 + _E[2] * k3 + _E[3] * k4)
                    norm = float(np.max(np.abs(err) / atol)) if err.size else 0.0
                    # a step moves no state by more than max_state_change of its range: the error estimate of a
                    # low-order pair can vanish across a sharp window or threshold it stepped over
                    change = float(np.max(np.abs(ya_new - ya) / self._range)) if ya.size else 0.0
                    norm = max(norm, (change / self.max_state_change) ** 3)
                    if not np.isfinite(norm):
                        norm = np.inf
                    if norm <= 1.0:
                        y_new = y.copy()
                        y_new[:, active] = ya_new
                        v_prev = self._v_last
                        k4_full, i_new, p4 = self._full(s4, y_new, seg4, active)
                        outside = np.ones(y.shape[1], dtype=bool)
                        outside[active] = False
                        woke = np.flatnonzero(np.any(k4_full[:, outside] != 0.0, axis=0))
                        woke = np.flatnonzero(outside)[woke]
                        if woke.size:
                            # a cell outside the active set started moving inside the step: redo it with that
                            # cell integrated
                            active = np.union1d(active, woke)
                            self._reduced = None
                            self._v_last = v_prev
                            self.stats.rejected += 1
                            self.stats.woken += int(woke.size)
                            h *= 0.5
                            continue
                        if active.size == 0 and self.functions.linear:
                            # nothing moves: the cell voltages are linear in time, the midpoint is their mean
                            v2 = 0.5 * (v_prev + self._v_last)
                            i2 = 0.5 * (i_prev + i_new)
                        else:
                            y_mid = y.copy()
                            y_mid[:, active] = ya + (_C2 * h) * k1a
                            v2, i2 = self._every_cell(s2, y_mid, seg2, active)
                            self.stats.full += 1
                        p2 = self._power(s2, v2, i2)
                        phase_energy[phase] += (h / 6.0) * (p1 + 4.0 * p2 + p4)      # Simpson on the stages
                        t, y, k1, p1, i_prev = t_new, y_new, k4_full, p4, i_new
                        if self.low_rank is not None and active.size:
                            self._g[active] = self._conductance(ya_new)
                        self.stats.accepted += 1
                        t_out.append(t)
                        currents.append(self.network.column_currents(i_new))
                        if log is not None:
                            log.record(y)
                        grow = 50.0 if norm == 0 else min(50.0, 0.9 * norm ** (-1.0 / 3.0))
                        h = h * max(grow, 1.0)
                    else:
                        self.stats.rejected += 1
                        h = h * max(0.1, 0.9 * norm ** (-1.0 / 3.0))
                        if h < self.min_step:
                            raise RuntimeError(f"fast engine: the step fell below {self.min_step:g} s at t = "
                                               f"{t:.6g} s (states changing too fast for the explicit integrator); "
                                               f"use mode 'restart' (ngspice)")
            lr = self.low_rank
            if lr is not None and lr.refactorisations > 8 and 4 * lr.refactorisations > self.stats.evaluations:
                self.low_rank = None      # the cells move everywhere: CG with a reused factorisation instead
        seconds = time.perf_counter() - start
        self.energy = _energy_report(phase_energy, program)
        return self._result(np.array(t_out), np.array(currents), y, y0, log, seconds)

    def _result(self, t: np.ndarray, currents: np.ndarray, y: np.ndarray, y0: np.ndarray,
                log: Optional[TraceLog], seconds: float) -> StepResult:
        circuit = self.circuit
        m, n = circuit.shape
        arrays = {CrossbarProbes.column_current(j): currents[:, j] for j in range(n)}
        names = circuit.state_vectors()
        order = self.functions.order
        state_names = [names[self._initial_param[name]] for name in order]
        vectors = StepVectors(arrays, state_names, log, [row for row in y0])
        clipped = np.clip(y, self._lower, self._upper)
        final = {self._initial_param[name]: clipped[k].reshape(m, n) for k, name in enumerate(order)}
        return StepResult(t, vectors, final, seconds)  # type: ignore[arg-type]
