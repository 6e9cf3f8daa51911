"""Analysis helpers for the spintronic devices and circuits.

* ensembles: many seeded instances of one device in one ngspice deck (:func:`ensemble_netlist`,
  :func:`run_ensemble`), each behind its own 0 V ammeter, so one run gives a whole statistic;
* events: :func:`dwell_times`, :func:`switching_probability` (and
  :func:`~circuitsim.analysis.oscillators.crossing_times`, imported here: a sample at the level counts as
  above it);
* oscillators: :func:`oscillation_frequency`, :func:`oscillation_amplitude`, :func:`is_locked`,
  :func:`locking_range`;
* p-bits: :func:`fit_sigmoid`, the logistic ``1 / (1 + exp(-(x - x0) / w))``.

Everything takes plain numpy arrays (seconds, volts, amperes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np

from circuitsim.analysis.oscillators import crossing_times
from circuitsim.models.language import Device
from circuitsim.models.printers import subckt_text
from circuitsim.netlists.netlist import Netlist
from circuitsim.numbers import spice_number


# -- events --------------------------------------------------------------------------------------------------
def dwell_times(t: np.ndarray, state: np.ndarray, level: float = 0.5, include_first: bool = True
                ) -> Tuple[np.ndarray, np.ndarray]:
    """Complete dwell times ``(low, high)`` of a two-level signal (e.g. the AP fraction m or a resistance).

    A dwell is the time between consecutive crossings of ``level``; with ``include_first`` the interval
    from ``t[0]`` to the first crossing counts too (right for a process that starts afresh at ``t[0]``).
    The last, unfinished dwell never counts.
    """
    times = crossing_times(t, state, level)
    starts = np.concatenate([[t[0]], times]) if include_first else times
    durations = np.diff(starts)
    first_high = state[0] >= level if include_first else state[np.searchsorted(t, times[0])] >= level
    high = np.arange(durations.size) % 2 == (0 if first_high else 1)
    return durations[~high], durations[high]


def switching_probability(switch_times: Sequence[float], widths: Sequence[float]) -> np.ndarray:
    """Fraction of instances (``inf`` = never switched) whose switching time is below each pulse width."""
    s = np.asarray(switch_times, dtype=float)
    return np.array([np.mean(s < w) for w in widths])


# -- oscillators ---------------------------------------------------------------------------------------------
def oscillation_frequency(t: np.ndarray, v: np.ndarray, start: float = 0.0) -> float:
    """Mean frequency (Hz) of ``v`` after ``start``: rising crossings of its mean, first to last."""
    keep = t >= start
    t, v = t[keep], v[keep]
    ups = crossing_times(t, v, float(np.mean(v)), direction=+1)
    if ups.size < 2:
        return 0.0
    return (ups.size - 1) / (ups[-1] - ups[0])


def oscillation_amplitude(t: np.ndarray, v: np.ndarray, start: float = 0.0) -> float:
    """Amplitude (V) of a sinusoidal ``v`` after ``start``: sqrt(2) times its rms about the mean."""
    keep = t >= start
    t, v = t[keep], v[keep]
    mean = np.trapezoid(v, t) / (t[-1] - t[0])
    return float(np.sqrt(2 * np.trapezoid((v - mean) ** 2, t) / (t[-1] - t[0])))


def phase_difference(t: np.ndarray, v: np.ndarray, f_reference: float, start: float = 0.0) -> np.ndarray:
    """Phase of each rising mean-crossing of ``v`` against a reference of frequency ``f_reference`` (cycles,
    unwrapped): flat when locked, drifting by one cycle per beat period when not."""
    keep = t >= start
    ups = crossing_times(t[keep], v[keep], float(np.mean(v[keep])), direction=+1)
    return np.arange(ups.size) - ups * f_reference


def is_locked(t: np.ndarray, v: np.ndarray, f_reference: float, start: float, tolerance: float = 0.05) -> bool:
    """Locked: the phase against the reference moves by less than ``tolerance`` cycles after ``start``."""
    phase = phase_difference(t, v, f_reference, start)
    return bool(phase.size > 2 and np.ptp(phase) < tolerance)


def locking_range(locked: Callable[[float], bool], centre: float, span: float, resolution: float
                  ) -> Tuple[float, float]:
    """Edges ``(low, high)`` (Hz) of the locking range around ``centre`` by bisection.

    ``locked(f)`` runs one simulation with injection at ``f`` and says whether it locked; ``centre`` must
    lock and ``centre +- span`` must not.  Each edge is found to ``resolution``.
    """
    if not locked(centre):
        raise ValueError(f"the oscillator does not lock at the centre frequency {centre:g} Hz")
    edges = []
    for sign in (-1, +1):
        inside, outside = centre, centre + sign * span
        if locked(outside):
            raise ValueError(f"still locked at {outside:g} Hz: widen span")
        while abs(outside - inside) > resolution:
            middle = 0.5 * (inside + outside)
            if locked(middle):
                inside = middle
            else:
                outside = middle
        edges.append(0.5 * (inside + outside))
    return edges[0], edges[1]


# -- p-bits ---------------------------------------------------------------------------------------------------
def logistic(x: np.ndarray, x0: float, width: float, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """``low + (high - low) / (1 + exp(-(x - x0) / width))``."""
    return low + (high - low) / (1 + np.exp(-(np.asarray(x, dtype=float) - x0) / width))


def fit_sigmoid(x: Sequence[float], y: Sequence[float], low: float = 0.0, high: float = 1.0
                ) -> Tuple[float, float, float]:
    """Least-squares logistic fit of ``y(x)`` with fixed ``low``/``high``; returns ``(x0, width, rms residual)``."""
    from scipy.optimize import curve_fit

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    guess = (float(x[np.argmin(np.abs(y - 0.5 * (low + high)))]), float(np.ptp(x)) / 8 or 1.0)
    (x0, width), _ = curve_fit(lambda xx, a, b: logistic(xx, a, b, low, high), x, y, p0=guess)
    residual = float(np.sqrt(np.mean((logistic(x, x0, width, low, high) - y) ** 2)))
    return float(x0), float(width), residual


# -- ensembles -----------------------------------------------------------------------------------------------
@dataclass
class Ensemble:
    """One run of many instances: ``t`` (s), ``v`` (V, across each instance) and ``i`` (A, through each;
    rows are instances)."""

    t: np.ndarray
    v: np.ndarray
    i: np.ndarray

    @property
    def resistance(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.v / self.i


def ensemble_netlist(device: Device, instances: Sequence[Dict[str, float]], drive: str,
                     title: Optional[str] = None) -> Netlist:
    """Instances of ``device`` in parallel on node ``drive``, each through its own 0 V ammeter ``Vs<k>``.

    ``drive`` is a source line for node ``drive`` (e.g. ``"Vdrive drive 0 dc 0.1"``); each instance gets
    its parameter overrides, validated (so a bad value names the parameter).
    """
    net = Netlist(title or f"{len(instances)} x {device.name}")
    net.add(drive)
    for k, overrides in enumerate(instances):
        values = device.validate(**overrides)
        params = " ".join(f"{name}={spice_number(values[name])}" for name in overrides)
        net.add(f"Vs{k} drive a{k} dc 0")
        net.add(f"X{k} a{k} 0 {device.name} {params}".rstrip())
    for line in subckt_text(device).splitlines():
        net.add(line)
    return net


def run_ensemble(device: Device, instances: Sequence[Dict[str, float]], drive: str, stop: float,
                 max_step: float, engine=None, reltol: float = 1e-6) -> Ensemble:
    """Run :func:`ensemble_netlist` for ``stop`` seconds and return every instance's voltage and current."""
    from circuitsim.spice import Tran, get_engine

    net = ensemble_netlist(device, instances, drive)
    net.options(reltol=reltol, abstol=1e-15, vntol=1e-9)
    own = engine is None
    engine = engine or get_engine("batch")
    try:
        result = engine.run(net, Tran(max_step, stop, max_step=max_step, uic=True))
    finally:
        if own:
            engine.close()
    t = result["time"]
    v = np.broadcast_to(result.v("drive"), (len(instances), t.size))
    i = np.array([result.i(f"vs{k}") for k in range(len(instances))])
    return Ensemble(t, np.array(v), i)
