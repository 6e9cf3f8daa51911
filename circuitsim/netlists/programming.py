"""Line-voltage programs: reads and programming pulses applied to a crossbar's lines in one transient.

A :class:`LineProgram` is a sequence of :class:`Phase` s.  Each phase holds
every row driver and every column source at a voltage for a duration (a read
with input voltages on the rows and the columns at 0 V, or a write pulse of a
bias scheme: selected rows at the amplitude, the rest at V/2 or V/3); the
lines move from one phase's voltages to the next in ``rise`` seconds.  The
program becomes PWL sources (:meth:`LineProgram.sources`) for a
:class:`~circuitsim.crossbar.spec.CrossbarSpec`, or is evaluated point by
point (:meth:`LineProgram.values_at`) for sources set from Python.

Because the pulses go through the array's own drivers and wires, a
half-selected cell sees what it sees in hardware: ``V/2`` (or ``V/3``) minus
the IR drop, for the pulse's width.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from circuitsim.crossbar.spec import BiasScheme, LineSources
from circuitsim.numbers import spice_number

__all__ = ["LineProgram", "Phase"]


@dataclass(frozen=True)
class Phase:
    """Every line held at one voltage for ``duration`` seconds.

    Attributes
    ----------
    rows, columns
        Row driver and column source voltages (V), shapes (M,) and (N,).
    duration
        Length of the phase (s), including the ``rise`` of the program at its start.
    kind
        ``"read"``, ``"write"`` or ``"idle"`` (what the phase is for; a label for readouts).
    selected
        For a write: boolean (M, N) mask of the selected cells, else ``None``.
    rise
        Transition time (s) into this phase; ``None``: the program's ``rise``.
        Slow inputs (spikes of a millisecond) take a longer rise than write
        pulses, so ngspice does not cut its time step to the pulses' edges.
    """

    rows: np.ndarray
    columns: np.ndarray
    duration: float
    kind: str = "read"
    selected: Optional[np.ndarray] = None
    rise: Optional[float] = None

    def __post_init__(self) -> None:
        rows = np.atleast_1d(np.asarray(self.rows, dtype=float))
        columns = np.atleast_1d(np.asarray(self.columns, dtype=float))
        if rows.ndim != 1 or columns.ndim != 1:
            raise ValueError("phase rows and columns must be 1-D arrays of volts")
        if not (np.all(np.isfinite(rows)) and np.all(np.isfinite(columns))):
            raise ValueError("phase voltages must be finite")
        if not (np.isfinite(self.duration) and self.duration > 0):
            raise ValueError(f"phase duration must be finite and > 0 s, got {self.duration!r}")
        if self.rise is not None and not (np.isfinite(self.rise) and self.rise > 0):
            raise ValueError(f"phase rise must be finite and > 0 s, got {self.rise!r}")
        if self.kind not in ("read", "write", "idle"):
            raise ValueError(f"phase kind must be 'read', 'write' or 'idle', got {self.kind!r}")
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "columns", columns)

    @classmethod
    def read(cls, inputs: Any, n_columns: int, duration: float) -> "Phase":
        """Input voltages on the rows, every column at 0 V (its virtual ground)."""
        return cls(np.asarray(inputs, dtype=float), np.zeros(n_columns), duration, "read")

    @classmethod
    def idle(cls, m: int, n: int, duration: float) -> "Phase":
        """Every line at 0 V."""
        return cls(np.zeros(m), np.zeros(n), duration, "idle")

    @classmethod
    def write(cls, scheme: BiasScheme, m: int, n: int, width: float) -> "Phase":
        """A programming pulse of amplitude ``scheme.v`` and width ``width`` on the cells ``scheme`` selects.

        Only the V/2 and V/3 schemes can be applied in a transient: a floating
        line has no source to hold it.
        """
        if scheme.kind == "floating":
            raise ValueError("a write pulse needs the V/2 or V/3 scheme: floating lines cannot be pulsed")
        lv = scheme.line_voltages(m, n)
        return cls(lv["rows"], lv["columns"], width, "write", scheme.masks(m, n)["selected"])


@dataclass
class LineProgram:
    """Phases applied one after another to an ``M x N`` array's lines.

    Parameters
    ----------
    shape
        ``(M, N)``.
    rise
        Time (s) in which the lines move from one phase's voltages to the next,
        at the start of each phase (and back to 0 V after the last one).
    phases
        The phases, in order.
    """

    shape: Tuple[int, int]
    rise: float = 1e-9
    phases: List[Phase] = field(default_factory=list)

    def __post_init__(self) -> None:
        m, n = (int(k) for k in self.shape)
        if m < 1 or n < 1:
            raise ValueError(f"shape must be positive, got {self.shape!r}")
        self.shape = (m, n)
        if not (np.isfinite(self.rise) and self.rise > 0):
            raise ValueError(f"rise must be finite and > 0 s, got {self.rise!r}")
        for phase in list(self.phases):
            self._check(phase)

    def _check(self, phase: Phase) -> None:
        m, n = self.shape
        if phase.rows.shape != (m,) or phase.columns.shape != (n,):
            raise ValueError(f"phase has {phase.rows.shape[0]} rows and {phase.columns.shape[0]} columns; "
                             f"the array is {m} x {n}")
        rise = self.rise_of(phase)
        if phase.duration <= 2 * rise:
            raise ValueError(f"phase duration {phase.duration!r} s must exceed twice the rise time {rise!r} s")

    def rise_of(self, phase: Phase) -> float:
        """The rise time (s) into ``phase``."""
        return self.rise if phase.rise is None else phase.rise

    def add(self, phase: Phase) -> "LineProgram":
        """Append a phase; returns ``self``."""
        self._check(phase)
        self.phases.append(phase)
        return self

    def extend(self, phases: Sequence[Phase]) -> "LineProgram":
        for phase in phases:
            self.add(phase)
        return self

    # -- timing -------------------------------------------------------------------------------------------
    @property
    def starts(self) -> np.ndarray:
        """Start time (s) of every phase."""
        durations = np.array([p.duration for p in self.phases], dtype=float)
        return np.concatenate([[0.0], np.cumsum(durations)[:-1]]) if len(durations) else np.zeros(0)

    @property
    def duration(self) -> float:
        """Total length (s): every phase plus the final return to 0 V."""
        return float(sum(p.duration for p in self.phases)) + self.rise

    def sample_times(self, kind: str = "read", at: float = 0.5) -> np.ndarray:
        """Times (s) inside each phase of ``kind``: its settled part at fraction ``at`` (0 .. 1)."""
        starts = self.starts
        return np.array([s + self.rise_of(p) + at * (p.duration - self.rise_of(p))
                         for s, p in zip(starts, self.phases) if p.kind == kind])

    def breakpoints(self) -> np.ndarray:
        """Every corner of the waveforms (s)."""
        starts = self.starts
        rises = np.array([self.rise_of(p) for p in self.phases])
        corners = [np.concatenate([starts, starts + rises]), [self.duration - self.rise, self.duration]]
        return np.unique(np.concatenate(corners))

    # -- waveforms ------------------------------------------------------------------------------------------
    def _table(self) -> Tuple[np.ndarray, np.ndarray]:
        """Corner times (K,) and the values of every line at them (K, M + N): rows first, then columns."""
        m, n = self.shape
        starts = self.starts
        times = [0.0]
        values = [np.zeros(m + n)]
        previous = np.zeros(m + n)
        for start, phase in zip(starts, self.phases):
            level = np.concatenate([phase.rows, phase.columns])
            if start > 0:
                times.append(start)
                values.append(previous)
            times.append(start + self.rise_of(phase))
            values.append(level)
            previous = level
        end = self.duration
        times += [end - self.rise, end]
        values += [previous, np.zeros(m + n)]
        return np.array(times), np.array(values)

    def values_at(self, t: Any) -> np.ndarray:
        """Every line's voltage at time(s) ``t`` (s): shape (..., M + N), rows then columns (0 V after the end)."""
        times, values = self._table()
        t = np.asarray(t, dtype=float)
        out = np.empty(t.shape + (values.shape[1],))
        for k in range(values.shape[1]):
            out[..., k] = np.interp(t, times, values[:, k], left=0.0, right=0.0)
        return out

    def sources(self, delay: float = 0.0) -> LineSources:
        """PWL source text for every line (corners shifted by ``delay`` s), consecutive equal values merged."""
        m, n = self.shape
        times, values = self._table()
        times = times + delay
        texts = []
        for k in range(m + n):
            column = values[:, k]
            keep = np.ones(len(column), dtype=bool)
            # a corner between two equal neighbours changes nothing
            keep[1:-1] = ~((column[1:-1] == column[:-2]) & (column[1:-1] == column[2:]))
            if not np.any(column):
                texts.append("0")
                continue
            points = " ".join(f"{spice_number(t)} {spice_number(v)}" for t, v in zip(times[keep], column[keep]))
            texts.append(f"PWL({points})")
        return LineSources(tuple(texts[:m]), tuple(texts[m:]))
