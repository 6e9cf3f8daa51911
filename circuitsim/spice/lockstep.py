"""Lock-step transients: one long transient in libngspice, paused at step boundaries.

The deck's time-dependent sources are written ``external``; before each step
Python hands the worker a table (corner times, values) per source, ngspice
asks for their values through the shared library's ``GetVSRCData`` callback
as it integrates, and the run pauses exactly at the step's end
(``ngSpice_SetBkpt`` at every corner and at the end, ``stop when time >=
t_end``, then ``bg_resume`` for the next step).  Circuit state (capacitor
voltages, device states) simply carries on: nothing is re-parsed.

Used by :mod:`circuitsim.cosim.coupling`; runs in the same worker process as
:class:`~circuitsim.spice.shared.SharedEngine`.
"""

from __future__ import annotations

import time
from typing import Any, Dict, Iterable, Optional, Sequence, Tuple

import numpy as np

from circuitsim.spice.deck import prepare_deck
from circuitsim.spice.errors import ConvergenceError, NetlistError, SimulationTimeoutError, SimulatorCrashError
from circuitsim.spice.messages import diagnose
from circuitsim.spice.shared import HALT_GRACE, SharedEngine

__all__ = ["LockStepSession"]


class LockStepSession:
    """A transient that advances step by step under Python's control.

    Parameters
    ----------
    engine
        The :class:`SharedEngine` whose worker hosts the run (its worker is busy
        until :meth:`close`).
    netlist
        Deck text with a ``.tran`` whose stop time is beyond the last step, its
        time-dependent sources written ``external``.
    vectors
        Names of the vectors to return each step (e.g. ``"i(vs0)"``,
        ``"v(xg0_0.s_x)"``); ``"time"`` always comes too.  Save only these
        (``.save``) so memory stays small over long runs.
    timeout
        Seconds each step may take.
    pre_commands
        ngspice commands sent before the deck is loaded (e.g. ``pre_osdi FILE``).
    """

    def __init__(self, engine: SharedEngine, netlist: str, vectors: Sequence[str], timeout: Optional[float] = 600.0,
                 pre_commands: Sequence[str] = ()):
        self.engine = engine
        self.vectors = [v.lower() for v in vectors]
        self.timeout = timeout
        self.time = 0.0
        self.steps = 0
        self._start_index = 0
        self._deck = prepare_deck(netlist, None, klu=engine.klu)
        if self._deck.has_control:
            raise NetlistError("a lock-step deck cannot have a .control block")
        for command in pre_commands:
            lines = engine.command(command)
            bad = [line for line in lines if "error" in line.lower()]
            if bad:
                raise NetlistError(f"ngspice refused {command!r}: {bad[0]}")
        reply = self._call({"action": "start", "lines": self._deck.lines,
                            "cwd": str(self._deck.base_dir) if self._deck.base_dir else None})
        if not reply["ok"]:
            error = diagnose(reply["lines"], self._deck)
            self.close()
            raise error or NetlistError("ngspice refused the lock-step deck:\n" + "\n".join(reply["lines"][-10:]))

    def _call(self, request: Dict[str, Any], timeout: Optional[float] = None) -> Dict[str, Any]:
        engine = self.engine
        if not engine._alive():
            engine._discard_worker()
            engine._start_worker()
        engine._conn.send({"op": "lockstep", **request})
        deadline = None if timeout is None else time.monotonic() + timeout + HALT_GRACE
        while True:
            if engine._conn.poll(0.05):
                try:
                    return engine._conn.recv()
                except EOFError:
                    break
            if not engine._alive():
                break
            if deadline is not None and time.monotonic() > deadline:
                engine._discard_worker()
                raise SimulationTimeoutError(f"lock-step step {self.steps} did not halt after {timeout:g} s; "
                                             "the worker was killed", timeout=timeout)
        engine._discard_worker()
        raise SimulatorCrashError(f"ngspice crashed during lock-step step {self.steps} "
                                  f"(simulated time {self.time:.6g} s); the worker process was replaced")

    def step(self, duration: float, tables: Dict[str, Tuple[Iterable[float], Iterable[float]]],
             breakpoints: Iterable[float] = ()) -> Dict[str, np.ndarray]:
        """Advance by ``duration`` seconds.

        Parameters
        ----------
        duration
            Length of the step (s).
        tables
            Per external source (its name, e.g. ``"vin0"``): corner times (s,
            relative to the step's start) and values; held at the last value
            after the last corner.
        breakpoints
            Extra times (s, relative to the step's start) where ngspice must place a time point.

        Returns
        -------
        dict
            ``"time"`` (relative to the step's start) and every requested vector,
            over this step's time points.
        """
        if not (np.isfinite(duration) and duration > 0):
            raise ValueError(f"step duration must be finite and > 0 s, got {duration!r}")
        t0, t_end = self.time, self.time + duration
        corners = set()
        for times, _ in tables.values():
            corners.update(float(t) for t in times)
        corners.update(float(t) for t in breakpoints)
        absolute = sorted(t0 + t for t in corners if 0 < t < duration) + [t_end]
        request = {"action": "step", "tables": {k: (list(map(float, t)), list(map(float, v)))
                                                for k, (t, v) in tables.items()},
                   "t_offset": t0, "t_end": t_end, "breakpoints": absolute, "first": self.steps == 0,
                   "vectors": self.vectors, "start": self._start_index, "timeout": self.timeout}
        reply = self._call(request, self.timeout)
        if reply["exit"] is not None:
            self.engine._discard_worker()
            raise SimulatorCrashError(f"ngspice exited during lock-step step {self.steps} at about {t0:.6g} s",
                                      log=reply["lines"])
        if reply["timed_out"]:
            raise SimulationTimeoutError(f"lock-step step {self.steps} ran past {self.timeout:g} s and was halted",
                                         timeout=self.timeout, log=reply["lines"])
        data = reply["data"]
        times = data.get("time")
        if times is None or len(times) == 0 or times[-1] < t_end - 1e-9 * max(t_end, 1e-12):
            reached = t0 if times is None or len(times) == 0 else float(times[-1])
            error = diagnose(reply["lines"], self._deck)
            if isinstance(error, ConvergenceError):
                raise error
            raise ConvergenceError(f"transient (lock-step) stopped at {reached:.6g} s before the step's end "
                                   f"{t_end:.6g} s:\n" + "\n".join(reply["lines"][-8:]), analysis="tran",
                                   time=reached, log=reply["lines"])
        missing = [v for v in self.vectors if data.get(v) is None]
        if missing:
            raise NetlistError(f"vectors not in the lock-step run: {', '.join(missing)}")
        self._start_index += len(times)
        self.time = float(times[-1])
        self.steps += 1
        out = {k: np.asarray(v) for k, v in data.items()}
        out["time"] = out["time"] - t0
        return out

    def close(self) -> None:
        """End the transient and free the circuit (the worker stays for other runs)."""
        if self.engine._alive():
            try:
                self._call({"action": "end"}, 30.0)
            except (SimulatorCrashError, SimulationTimeoutError):
                pass

    def __enter__(self) -> "LockStepSession":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

