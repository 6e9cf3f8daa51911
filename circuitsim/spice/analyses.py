"""Analyses as small dataclasses that render their SPICE dot-line.

Each validates its arguments at construction and names the bad parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from circuitsim.numbers import spice_number


def _positive(value: float, name: str) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


@dataclass(frozen=True)
class Op:
    """DC operating point (``.op``)."""

    kind = "op"

    def line(self) -> str:
        return ".op"


@dataclass(frozen=True)
class Dc:
    """DC sweep of one source: ``.dc SOURCE START STOP STEP``.

    Parameters
    ----------
    source
        Name of an independent voltage or current source, or a resistor.
    start, stop
        Sweep limits (V, A or ohm).
    step
        Increment; its sign must lead from ``start`` to ``stop``.
    """

    source: str
    start: float
    stop: float
    step: float

    kind = "dc"

    def __post_init__(self) -> None:
        if not self.source or any(c.isspace() for c in self.source):
            raise ValueError(f"source must be one element name, got {self.source!r}")
        if self.step == 0 or (self.stop - self.start) * self.step < 0:
            raise ValueError(f"step={self.step!r} does not lead from start={self.start!r} to stop={self.stop!r}")

    def line(self) -> str:
        return (f".dc {self.source} {spice_number(self.start, 'start')} {spice_number(self.stop, 'stop')} "
                f"{spice_number(self.step, 'step')}")


@dataclass(frozen=True)
class Tran:
    """Transient analysis: ``.tran STEP STOP [START [MAX_STEP]] [uic]``.

    Parameters
    ----------
    step
        Print step (s); ngspice chooses its own internal steps.
    stop
        End time (s).
    start
        Time from which results are stored (s).
    max_step
        Largest internal time step (s), or ``None`` for ngspice's default.
    uic
        Skip the operating point and start from the ``.ic`` / ``IC=`` values.
    """

    step: float
    stop: float
    start: float = 0.0
    max_step: Optional[float] = None
    uic: bool = False

    kind = "tran"

    def __post_init__(self) -> None:
        _positive(self.step, "step")
        _positive(self.stop, "stop")
        if not 0 <= self.start < self.stop:
            raise ValueError(f"start must be in [0, stop), got start={self.start!r}, stop={self.stop!r}")
        if self.max_step is not None:
            _positive(self.max_step, "max_step")

    def line(self) -> str:
        parts = [".tran", spice_number(self.step, "step"), spice_number(self.stop, "stop")]
        if self.start or self.max_step is not None:
            parts.append(spice_number(self.start, "start"))
        if self.max_step is not None:
            parts.append(spice_number(self.max_step, "max_step"))
        if self.uic:
            parts.append("uic")
        return " ".join(parts)


@dataclass(frozen=True)
class Ac:
    """Small-signal AC sweep: ``.ac dec|oct|lin POINTS FSTART FSTOP``."""

    points: int
    start: float
    stop: float
    variation: str = "dec"

    kind = "ac"

    def __post_init__(self) -> None:
        if self.variation not in ("dec", "oct", "lin"):
            raise ValueError(f"variation must be 'dec', 'oct' or 'lin', got {self.variation!r}")
        if int(self.points) != self.points or self.points < 1:
            raise ValueError(f"points must be a positive integer, got {self.points!r}")
        _positive(self.start, "start")
        if not self.stop > self.start:
            raise ValueError(f"stop must be > start, got start={self.start!r}, stop={self.stop!r}")

    def line(self) -> str:
        return (f".ac {self.variation} {int(self.points)} {spice_number(self.start, 'start')} "
                f"{spice_number(self.stop, 'stop')}")
