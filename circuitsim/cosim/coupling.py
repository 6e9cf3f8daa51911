"""The two ways a co-simulation step reaches ngspice: restart and lock-step.

Both take a :class:`~circuitsim.netlists.programming.LineProgram` (what the
lines do during the step), waveforms for the extra sources, and the device
states at the step's start, and return a :class:`StepResult` with the
requested vectors over the step and every device state at its end.

``restart``
    Each step is a fresh transient: the deck is written with every cell's
    initial-state parameter set to the carried state and run with ``uic``.
``lock-step``
    One long transient in libngspice, paused at each step's end
    (:class:`~circuitsim.spice.lockstep.LockStepSession`); the line sources are
    ``external`` and Python hands ngspice each step's tables.  The deck is
    parsed once; device states carry on inside ngspice.  A rule that sets
    device states directly (abstract mode) cannot act on a running transient:
    it needs restart mode.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import numpy as np

from circuitsim.cosim.circuit import CrossbarCircuit, Waveform, pwl_text
from circuitsim.crossbar import CrossbarProbes, LineSources
from circuitsim.crossbar.probes import driver, sense_source
from circuitsim.netlists.programming import LineProgram

__all__ = ["COUPLINGS", "Coupling", "LockStepCoupling", "RestartCoupling", "StepResult", "make_coupling"]


@dataclass
class StepResult:
    """What one step's transient gave.

    Attributes
    ----------
    time
        Time points (s from the step's start).
    vectors
        Every vector the circuit reads (column currents, probes, state nodes: names from
        :class:`~circuitsim.crossbar.probes.CrossbarProbes`), over ``time``.
    states
        Device states at the step's end, each (M, N), by initial-state parameter name.
    spice_seconds
        Wall time spent in ngspice (parse + solve, or the lock-step advance).
    """

    time: np.ndarray
    vectors: Dict[str, np.ndarray]
    states: Dict[str, np.ndarray]
    spice_seconds: float

    def column_currents_at(self, times: Any) -> np.ndarray:
        """Column currents (A) at ``times`` (s), shape (len(times), N), linearly interpolated."""
        columns = {}
        for name in self.vectors:
            try:
                columns[CrossbarProbes.column_index(name)] = name
            except ValueError:
                continue
        names = [columns[j] for j in sorted(columns)]
        return np.stack([np.interp(times, self.time, self.vectors[k]) for k in names], axis=-1)


class Coupling(ABC):
    """How an experiment's step reaches the simulator: what :meth:`Experiment.step` is handed.

    Subclasses implement :meth:`_run`; :meth:`run` adds the accounting the
    runner reports (``spice_seconds`` and ``simulated_seconds``, totals over
    the coupling's life).
    """

    mode: str
    spice_seconds: float = 0.0
    simulated_seconds: float = 0.0

    def run(self, program: LineProgram, states: Dict[str, np.ndarray],
            extra: Optional[Dict[str, Waveform]] = None) -> StepResult:
        """Simulate ``program`` (``program.duration`` seconds) from ``states``.

        Parameters
        ----------
        program
            What the row and column lines do during the step.
        states
            Device states at the step's start, by initial-state parameter, each ``(M, N)``.
        extra
            Corner times and values of the circuit's extra sources (``CrossbarCircuit.extra_sources``).

        Returns
        -------
        StepResult
            The read vectors over the step and the states at its end.
        """
        result = self._run(program, states, extra)
        self.spice_seconds += result.spice_seconds
        self.simulated_seconds += float(program.duration)
        return result

    @abstractmethod
    def _run(self, program: LineProgram, states: Dict[str, np.ndarray],
             extra: Optional[Dict[str, Waveform]]) -> StepResult:
        """One step (see :meth:`run`)."""

    def close(self) -> None:
        """Release the simulator (default: nothing to release)."""

    def __enter__(self) -> "Coupling":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


@dataclass
class RestartCoupling(Coupling):
    """Each step a fresh transient from the carried states (``uic``).

    Parameters
    ----------
    circuit
        The circuit.
    engine
        ``"shared"`` (libngspice in a worker process, default) or ``"batch"``
        (``ngspice -b``), or an engine object.
    timeout
        Seconds each step may take.
    """

    circuit: CrossbarCircuit
    engine: Any = "shared"
    timeout: Optional[float] = 600.0
    mode: str = field(default="restart", init=False)

    def __post_init__(self) -> None:
        if isinstance(self.engine, str):
            from circuitsim.spice import get_engine

            self.engine = get_engine(self.engine)

    def _run(self, program: LineProgram, states: Dict[str, np.ndarray],
             extra: Optional[Dict[str, Waveform]]) -> StepResult:
        """A fresh transient of ``program.duration`` seconds from ``states``."""
        circuit = self.circuit
        sources: LineSources = program.sources()
        extra_text = {name: pwl_text(w) for name, w in (extra or {}).items()}
        deck = circuit.deck(states, sources, extra_text, program.duration,
                            step=min(circuit.max_step or program.duration / 100, program.duration / 100))
        start = time.perf_counter()
        result = self.engine.run(deck, timeout=self.timeout)
        seconds = time.perf_counter() - start
        tran = result.analysis("tran")
        data = {name: np.asarray(tran[name]) for name in circuit.vectors()}
        t = np.asarray(tran["time"])
        return StepResult(t, data, circuit.final_states(data, states), seconds)


@dataclass
class LockStepCoupling(Coupling):
    """One transient for the whole experiment, paused at every step's end.

    Parameters
    ----------
    circuit
        The circuit.
    initial_states
        The device states the transient starts from (each (M, N)).
    horizon
        Stop time (s) of the ``.tran`` (beyond the last step).
    engine
        A :class:`~circuitsim.spice.shared.SharedEngine` (one is started when ``None``).
    timeout
        Seconds each step may take.
    memory_limit
        ngspice keeps every time point of the run in memory (about 14 MB per
        step of a 32 x 32 array); when the saved vectors pass this many bytes,
        the transient is reloaded from the carried states before the next step
        (a restart-mode step boundary, once in a long while).
    """

    circuit: CrossbarCircuit
    initial_states: Dict[str, np.ndarray]
    horizon: float = 1e3
    engine: Any = None
    timeout: Optional[float] = 600.0
    memory_limit: float = 1e9
    mode: str = field(default="lock-step", init=False)

    def __post_init__(self) -> None:
        from circuitsim.spice.shared import SharedEngine

        if self.engine is None or self.engine == "shared":
            self.engine = SharedEngine()
        circuit = self.circuit
        if circuit.max_step is None:
            raise ValueError("lock-step needs the circuit's max_step (s): the .tran spans the whole experiment, "
                             "so ngspice's default (1/50 of it) would step over the pulses")
        m, n = circuit.shape
        self._names = [driver(i).lower() for i in range(m)] + [sense_source(j).lower() for j in range(n)]
        self.reloads = 0
        self._start(self.initial_states)

    def _start(self, states: Dict[str, np.ndarray]) -> None:
        from circuitsim.spice.lockstep import LockStepSession

        circuit = self.circuit
        m, n = circuit.shape
        external = LineSources(("external",) * m, ("external",) * n)
        extra = {name: "external" for name in circuit.extra_sources}
        self._initial = {k: np.array(v, dtype=float) for k, v in states.items()}
        deck = circuit.deck(self._initial, external, extra, self.horizon, step=1e-9, control=False)
        self.session = LockStepSession(self.engine, deck, circuit.vectors(), timeout=self.timeout,
                                       pre_commands=circuit.pre_commands())
        self._stored = 0

    def _run(self, program: LineProgram, states: Dict[str, np.ndarray],
             extra: Optional[Dict[str, Waveform]]) -> StepResult:
        """Advance by ``program.duration``; ``states`` is what the transient carries (used after a reload)."""
        if self._stored > self.memory_limit:
            self.session.close()
            self._start(states)
            self.reloads += 1
        times, values = program._table()
        tables = {name: (times, values[:, k]) for k, name in enumerate(self._names)}
        for name, (t, v) in (extra or {}).items():
            tables[f"v{name.lower()}"] = (t, v)
        start = time.perf_counter()
        data = self.session.step(program.duration, tables, program.breakpoints())
        seconds = time.perf_counter() - start
        t = data.pop("time")
        self._stored += 8 * len(t) * (len(data) + 1)
        return StepResult(t, data, self.circuit.final_states(data, self._initial), seconds)

    def close(self) -> None:
        self.session.close()


COUPLINGS = ("restart", "lock-step", "fast")


def make_coupling(mode: str, circuit: CrossbarCircuit, initial_states: Dict[str, np.ndarray],
                  horizon: float = 1e3, engine: Any = None, timeout: Optional[float] = 600.0) -> Any:
    """A :class:`RestartCoupling`, a :class:`LockStepCoupling` or a
    :class:`~circuitsim.cosim.fast.FastCoupling` (no ngspice) by ``mode``."""
    if mode == "fast":
        from circuitsim.cosim.fast import FastCoupling

        return FastCoupling(circuit)
    if mode == "restart":
        return RestartCoupling(circuit, engine or "shared", timeout)
    if mode == "lock-step":
        return LockStepCoupling(circuit, initial_states, horizon, engine, timeout)
    raise ValueError(f"mode must be one of {COUPLINGS}, got {mode!r}")
