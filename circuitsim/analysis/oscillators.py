"""Closed forms and measurements for Mott oscillators and neurons.

Closed forms (the theory the circuits of :mod:`circuitsim.netlists.mott_circuits` are tested against):

* :func:`static_thresholds`: threshold and hold voltages of a thermal Mott device, the folds of its static
  (steady-state) I-V;
* :func:`relaxation_period`: the charge/discharge period of a threshold-switch relaxation oscillator
  (V_in -> R_L -> [device || C] -> ground) with the switch idealised as R_off until V_th, R_on until V_h;
* :func:`lif_rate`: the firing rate of the current-driven Mott integrate-and-fire neuron, the same
  two-phase formula with a Norton source and the folds of the device in series with its load.

Measurements on simulated waveforms: :func:`crossing_times` (the one level-crossing helper of the package),
:func:`spike_times`, :func:`frequency`, :func:`phase_differences` and :func:`locking_index`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Tuple

import numpy as np


# ------------------------------------------------------------------------------------------------------------
# Static thresholds of the thermal Mott devices
# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Thresholds:
    """Folds of a thermal Mott device's static I-V (voltages in V, resistances in ohm, temperatures in K).

    Attributes
    ----------
    v_th, t_th
        Threshold: the largest voltage of the insulating branch, and the temperature there.
    v_h, t_h
        Hold: the smallest voltage of the metallic branch, and the temperature there.
    r_off, r_on
        The device's insulating and metallic resistances (the ideal switch of :func:`relaxation_period`).
    """

    v_th: float
    t_th: float
    v_h: float
    t_h: float
    r_off: float
    r_on: float


def _static_branches(name: str, p: Mapping[str, float], temperatures: np.ndarray, r_series: float
                     ) -> Tuple[np.ndarray, np.ndarray, float, float]:
    """Steady-state voltage across [device + r_series] against T, heating and cooling branch; R_off, R_on."""
    t = temperatures
    if name == "nbo2":
        s = 1.0 / (1.0 + np.exp(-(t - p["t_c"]) / p["dt_c"]))
        conductance = 1.0 / p["roff"] + (1.0 / p["ron"] - 1.0 / p["roff"]) * s
        v = np.sqrt(np.maximum(t - p["t_amb"], 0.0) / (conductance * p["r_th"]))
        v = v * (1.0 + r_series * conductance)
        return v, v, p["roff"], p["ron"]
    if name == "vo2":
        out = []
        for sign in (1.0, -1.0):
            g = 0.5 + 0.5 * np.tanh(p["beta"] * (sign * p["w"] / 2 + p["t_c"] - t))
            resistance = p["r0"] * np.exp(p["ea"] / t) * g + p["r_m"]
            v = np.sqrt(np.maximum(p["s_th"] * (t - p["t_base"]), 0.0) * resistance)
            out.append(v * (1.0 + r_series / resistance))
        r_off = p["r0"] * math.exp(p["ea"] / p["t_base"]) + p["r_m"]
        return out[0], out[1], r_off, p["r_m"]
    raise ValueError(f"static_thresholds knows the thermal Mott devices 'nbo2' and 'vo2', not {name!r}")


def static_thresholds(name: str, values: Optional[Mapping[str, float]] = None, r_series: float = 0.0,
                      points: int = 400_000) -> Thresholds:
    """Threshold and hold voltages of a thermal Mott device: the folds of its static I-V.

    At steady state Joule heating balances the thermal loss, which gives the voltage as a function of
    temperature, ``V(T) = sqrt(loss(T) R(T))``: an S-shaped (current-controlled negative differential
    resistance) curve.  Its maximum on the insulating side is the threshold ``v_th``: a device held above it
    has no insulating steady state and runs away to the metallic branch.  Its minimum on the metallic side is
    the hold ``v_h``.  For ``vo2`` the threshold is taken on the heating branch of the hysteresis and the
    hold on the cooling branch, the branches the device is on when it switches.

    With ``r_series`` the folds are those of the device in series with that resistance (the voltage across
    both, ``V(T) (1 + r_series G(T))``): the thresholds of the integrate-and-fire neuron's membrane.  They are
    not the device's folds scaled by a divider: the hold of the series pair lies inside the transition, where
    ``-dV/dI`` of the device equals ``r_series``.

    Parameters
    ----------
    name
        ``"nbo2"`` or ``"vo2"``.
    values
        Parameter overrides (validated by the catalogue device).
    r_series
        Resistance in series with the device (ohm), >= 0.
    points
        Grid size in temperature, between the ambient and the device's ceiling ``t_max``.
    """
    from circuitsim.models.catalogue import get_device

    device = get_device(name)
    p = device.validate(**dict(values or {}))
    if not (isinstance(r_series, (int, float)) and math.isfinite(r_series) and r_series >= 0):
        raise ValueError(f"r_series must be a finite number >= 0, got {r_series!r}")
    ambient = p["t_amb"] if name == "nbo2" else p["t_base"]
    t = np.linspace(ambient + 1e-6, p["t_max"], points)
    heating, cooling, r_off, r_on = _static_branches(name, p, t, float(r_series))
    # The threshold: the first local maximum of V(T) on the heating branch; the hold: the first local
    # minimum of the cooling branch after the threshold.
    rises = np.diff(heating) > 0
    k_th = int(np.argmax(~rises))  # first index where V(T) stops rising
    if k_th == 0 or rises[k_th:].all():
        raise ValueError(f"{name}: the static I-V has no fold (no negative differential resistance) with these "
                         "parameters")
    falls = np.diff(cooling[k_th:]) < 0
    k_h = k_th + int(np.argmax(~falls))
    return Thresholds(float(heating[k_th]), float(t[k_th]), float(cooling[k_h]), float(t[k_h]), r_off, r_on)


# ------------------------------------------------------------------------------------------------------------
# Relaxation oscillator and integrate-and-fire closed forms
# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RelaxationTimes:
    """Times of one relaxation cycle (s) and the asymptotes that set them (V)."""

    t_charge: float
    t_discharge: float
    v_inf_off: float
    v_inf_on: float

    @property
    def period(self) -> float:
        return self.t_charge + self.t_discharge

    @property
    def frequency(self) -> float:
        return 1.0 / self.period


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def relaxation_period(v_in: float, r_load: float, capacitance: float, r_off: float, r_on: float, v_th: float,
                      v_h: float) -> RelaxationTimes:
    """Charge/discharge times of the threshold-switch relaxation oscillator.

    Topology: ``V_in -> R_L -> node -> [switch || C] -> ground``.  The switch is ``R_off`` until the node
    reaches ``v_th``, then ``R_on`` until it falls to ``v_h``.  Each phase is an RC relaxation towards the
    divider voltage of that phase, ``V_inf = V_in R / (R_L + R)``, with ``tau = C (R_L || R)``::

        t_charge    = tau_c ln((V_inf,off - v_h) / (V_inf,off - v_th))
        t_discharge = tau_d ln((v_th - V_inf,on) / (v_h - V_inf,on))

    Switching delays are neglected (valid when the device's own time constant is much shorter than both).

    Raises
    ------
    ValueError
        Naming the parameter, for non-positive values, ``v_h >= v_th``, ``r_on >= r_off``, or a circuit that
        does not oscillate (``V_inf,off <= v_th``: the device never switches on; ``V_inf,on >= v_h``: it
        latches on).
    """
    _check_positive(v_in=v_in, r_load=r_load, capacitance=capacitance, r_off=r_off, r_on=r_on, v_th=v_th, v_h=v_h)
    if not v_h < v_th:
        raise ValueError(f"v_h must be below v_th, got v_h = {v_h!r}, v_th = {v_th!r}")
    if not r_on < r_off:
        raise ValueError(f"r_on must be below r_off, got r_on = {r_on!r}, r_off = {r_off!r}")
    v_off = v_in * r_off / (r_load + r_off)
    v_on = v_in * r_on / (r_load + r_on)
    if not v_off > v_th:
        raise ValueError(f"v_in = {v_in:g} V through r_load = {r_load:g} ohm charges the node only to {v_off:g} V, "
                         f"not above v_th = {v_th:g} V: no oscillation (raise v_in or lower r_load)")
    if not v_on < v_h:
        raise ValueError(f"v_in = {v_in:g} V through r_load = {r_load:g} ohm holds the switched-on node at "
                         f"{v_on:g} V, not below v_h = {v_h:g} V: the device latches on (lower v_in or raise r_load)")
    tau_c = capacitance * r_load * r_off / (r_load + r_off)
    tau_d = capacitance * r_load * r_on / (r_load + r_on)
    t_charge = tau_c * math.log((v_off - v_h) / (v_off - v_th))
    t_discharge = tau_d * math.log((v_th - v_on) / (v_h - v_on))
    return RelaxationTimes(t_charge, t_discharge, v_off, v_on)


def lif_rate(i_in: float, capacitance: float, r_load: float, r_off: float, r_on: float, v_fire: float,
             v_release: float) -> float:
    """Firing rate (Hz) of the current-driven Mott integrate-and-fire neuron; 0 below the rheobase.

    Topology: a current ``i_in`` into the membrane node, a capacitor from it to ground, and the Mott device in
    series with the load ``r_load`` from it to ground.  It is the relaxation oscillator with a Norton source:
    while the device is off the membrane charges towards ``i_in (r_load + r_off)`` with
    ``tau = C (r_load + r_off)`` until it reaches ``v_fire``; the device switches on and the membrane
    discharges towards ``i_in (r_load + r_on)`` with ``tau = C (r_load + r_on)`` until it falls to
    ``v_release``.  ``v_fire`` and ``v_release`` are membrane voltages: the folds of the device in series with
    the load, ``static_thresholds(name, r_series=r_load)``.

    Returns 0 at or below the rheobase ``i_in = v_fire / (r_load + r_off)``.  Raises ``ValueError`` naming the
    parameter for non-positive values, or when the switched-on neuron would latch
    (``i_in (r_load + r_on) >= v_release``).
    """
    _check_positive(capacitance=capacitance, r_load=r_load, r_off=r_off, r_on=r_on, v_fire=v_fire,
                    v_release=v_release)
    if not (isinstance(i_in, (int, float)) and math.isfinite(i_in) and i_in >= 0):
        raise ValueError(f"i_in must be a finite number >= 0, got {i_in!r}")
    if not v_release < v_fire:
        raise ValueError(f"v_release must be below v_fire, got v_release = {v_release!r}, v_fire = {v_fire!r}")
    r_a, r_b = r_load + r_off, r_load + r_on
    if i_in * r_a <= v_fire:
        return 0.0
    if not i_in * r_b < v_release:
        raise ValueError(f"i_in = {i_in:g} A holds the switched-on membrane at {i_in * r_b:g} V, not below "
                         f"v_release = {v_release:g} V: the neuron latches on")
    t_charge = capacitance * r_a * math.log((i_in * r_a - v_release) / (i_in * r_a - v_fire))
    t_discharge = capacitance * r_b * math.log((v_fire - i_in * r_b) / (v_release - i_in * r_b))
    return 1.0 / (t_charge + t_discharge)


# ------------------------------------------------------------------------------------------------------------
# Measurements
# ------------------------------------------------------------------------------------------------------------
def crossing_times(t: np.ndarray, x: np.ndarray, level: float, direction: int = 0) -> np.ndarray:
    """Times at which ``x`` crosses ``level``, linearly interpolated between samples.

    Convention: a sample is *above* the level when ``x >= level`` (reaching the
    level counts as crossing it).  A rising crossing lies between a sample
    below (``x < level``) and the next one at or above it, a falling crossing
    between a sample at or above and the next one below.  A signal that only
    touches the level from below therefore crosses it twice (up, then down),
    one that touches it from above not at all; a sample exactly on the level
    gives exactly its own time.

    Parameters
    ----------
    t, x
        Sample times (s, increasing) and values.
    level
        The level.
    direction
        +1 rising crossings only, -1 falling only, 0 both (in time order).

    Returns
    -------
    numpy.ndarray
        The crossing times (s).
    """
    t, x = np.asarray(t, dtype=float), np.asarray(x, dtype=float)
    above = x >= level
    changes = np.flatnonzero(above[:-1] != above[1:])
    if direction > 0:
        changes = changes[~above[changes]]
    elif direction < 0:
        changes = changes[above[changes]]
    x0, x1 = x[changes], x[changes + 1]
    return t[changes] + (level - x0) / (x1 - x0) * (t[changes + 1] - t[changes])


def spike_times(t: np.ndarray, x: np.ndarray, level: float, rearm: Optional[float] = None,
                rising: bool = True) -> np.ndarray:
    """Spike times: crossings of ``level`` each preceded by a return past ``rearm`` (hysteresis).

    With ``rising`` a spike is an upward crossing of ``level`` after the signal was below ``rearm``
    (``rearm <= level``); otherwise a downward crossing of ``level`` after the signal was above ``rearm``
    (``rearm >= level``).  ``rearm`` defaults to ``level``; set it apart to ignore ringing around the level.
    The signal must start on the ``rearm`` side for its first crossing to count.
    """
    t, x = np.asarray(t, dtype=float), np.asarray(x, dtype=float)
    rearm = level if rearm is None else rearm
    if not rising:
        if rearm < level:
            raise ValueError(f"rearm ({rearm!r}) must not be below level ({level!r}) for falling spikes")
        return spike_times(t, -x, -level, -rearm, rising=True)
    if rearm > level:
        raise ValueError(f"rearm ({rearm!r}) must not exceed level ({level!r}) for rising spikes")
    events = sorted([(time, 1) for time in crossing_times(t, x, level, direction=+1)]
                    + [(time, 0) for time in crossing_times(t, x, rearm, direction=-1)])
    armed, out = bool(x[0] < level if rearm == level else x[0] < rearm), []
    for time, upward in events:
        if not upward:
            armed = True
        elif armed:
            out.append(time)
            armed = False
    return np.array(out)


def frequency(times: np.ndarray, skip: int = 1) -> float:
    """Mean frequency (Hz) of a spike train, from its intervals after the first ``skip`` spikes."""
    times = np.asarray(times, dtype=float)[skip:]
    if times.size < 2:
        raise ValueError("need at least two spikes after the skipped ones to measure a frequency")
    return (times.size - 1) / (times[-1] - times[0])


def phase_differences(reference: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Phase of each spike of ``other`` within the cycle of ``reference`` that contains it, in [0, 1).

    For every spike of ``other`` between two consecutive ``reference`` spikes ``t_k`` and ``t_k+1`` the
    phase is ``(t - t_k) / (t_k+1 - t_k)``.  A locked pair gives a constant sequence; a free-running pair
    with different frequencies a drifting one.
    """
    reference, other = np.asarray(reference, dtype=float), np.asarray(other, dtype=float)
    k = np.searchsorted(reference, other, side="right") - 1
    inside = (k >= 0) & (k < reference.size - 1)
    k, t = k[inside], other[inside]
    return (t - reference[k]) / (reference[k + 1] - reference[k])


def locking_index(phases: np.ndarray) -> float:
    """``|mean(exp(2 pi i phase))|``: 1 for a constant phase difference, ~0 for a uniformly drifting one."""
    phases = np.asarray(phases, dtype=float)
    if phases.size == 0:
        raise ValueError("no phases to measure")
    return float(np.abs(np.mean(np.exp(2j * np.pi * phases))))


def circular_spread(phases: np.ndarray) -> float:
    """Circular standard deviation of phases (in cycles): ``sqrt(-2 ln R) / (2 pi)``, R the locking index."""
    r = locking_index(phases)
    return float(math.sqrt(-2.0 * math.log(max(r, 1e-300))) / (2 * math.pi))


def summary(times: Dict[str, np.ndarray]) -> Dict[str, float]:
    """Frequencies (Hz) of several spike trains, by name (a convenience for reports)."""
    return {name: frequency(t) for name, t in times.items()}
