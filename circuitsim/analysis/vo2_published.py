"""An independent integration of the published VO2 thermal-neuristor model, reversal-point memory included.

The model (Zhang et al., arXiv:2312.12899; Qiu et al., Adv. Mater. 2023; equations as written in the public code
``collective_dynamics_neuristor/model.py``): one VO2 device in parallel with ``C`` and fed from ``V_in``
through ``R``,

.. math::

    C \\dot V = (V_{in} - V)/R - V/R_{VO2}, \\qquad
    C_{th} \\dot T = V^2 / R_{VO2} - S_{th} (T - T_{base}),

    R_{VO2} = R_0 e^{E_a/T} g + R_m, \\qquad
    g = \\tfrac12 + \\tfrac12 \\tanh\\big(\\beta(\\delta w/2 + T_c - T_{eff})\\big),

with :math:`\\delta = \\pm 1` the sign of :math:`\\dot T` since the last reversal.  On the major loop
:math:`T_{eff} = T`.  After a reversal at :math:`(T_r, g_r)` the minor curve is

.. math::

    T_{eff} = T + T_{pr} P\\big((T - T_r)/T_{pr}\\big), \\quad
    T_{pr} = \\delta w/2 + T_c - \\operatorname{artanh}(2 g_r - 1)/\\beta - T_r, \\quad
    P(x) = \\tfrac12 (1 - \\sin \\gamma x)(1 + \\tanh(\\pi^2 - 2\\pi x)),

which starts at :math:`g_r` (continuous) and joins the new major branch after :math:`T` has moved by about
:math:`\\pi/(2\\gamma)\\,|T_{pr}|`.  The published code clamps the temperature to [305, 370] K where it evaluates
:math:`R` and the reversals; that clamp is kept (``clamp``).

This module is written from those equations alone (numpy and scipy, nothing shared with the catalogue's
``vo2`` device) so that the device can be tested against it.  Reversals are located exactly, as the zeros of
:math:`\\dot T` (scipy event location), instead of the public code's explicit Euler steps with a 0.01 K dead
band.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Tuple

import numpy as np
from scipy.integrate import solve_ivp

#: The published parameter set (public code, SI units).
PUBLISHED: Dict[str, float] = {
    "w": 7.19357064, "t_c": 332.805839, "beta": 0.252796285, "r0": 5.35882879e-3, "ea": 5220.47417,
    "gamma": 0.956269682, "r_m": 262.5 * 4.90025335, "c_th": 49.62776831e-12, "s_th": 0.20558726e-3,
    "t_base": 325.0, "capacitance": 145.34619293e-12,
}


def minor_p(x: float, gamma: float) -> float:
    """The published minor-loop shape ``P(x) = (1 - sin(gamma x)) (1 + tanh(pi^2 - 2 pi x)) / 2``."""
    return 0.5 * (1.0 - math.sin(gamma * x)) * (1.0 + math.tanh(math.pi ** 2 - 2.0 * math.pi * x))


@dataclass
class Hysteresis:
    """Reversal-point memory of the insulating fraction (the published rule).

    Attributes
    ----------
    delta
        +1 heating, -1 cooling.
    t_r, g_r
        Temperature (K) and insulating fraction at the last reversal.
    t_pr
        Offset (K) from ``t_r`` to the new major branch at ``g_r``.
    reversed
        False until the first reversal (the major branch applies).
    """

    p: Mapping[str, float]
    delta: float = 1.0
    t_r: float = 0.0
    g_r: float = 1.0
    t_pr: float = 0.0
    reversed: bool = False
    minor: str = "published"

    def g(self, t: float) -> float:
        """Insulating fraction at temperature ``t`` (K) on the current branch."""
        p = self.p
        t_eff = t
        if self.reversed:
            if self.minor == "published":
                t_eff = t + self.t_pr * minor_p((t - self.t_r) / (self.t_pr + 1e-6), p["gamma"])
            else:  # "flat": g stays at g_r until the new major branch reaches it
                branch = self.t_r + self.t_pr
                t_eff = min(t, branch) if self.delta < 0 else max(t, branch)
        return 0.5 + 0.5 * math.tanh(p["beta"] * (self.delta * p["w"] / 2 + p["t_c"] - t_eff))

    def reverse(self, t: float) -> None:
        """A reversal of the sweep direction at temperature ``t``: remember ``(t, g(t))`` and flip ``delta``."""
        self.set_reversal(t, self.g(t), -self.delta)

    def set_reversal(self, t_r: float, g_r: float, delta: float) -> None:
        """Put the memory at the reversal point ``(t_r, g_r)``, the sweep now in direction ``delta`` (+1 / -1)."""
        p = self.p
        self.delta, self.t_r, self.g_r, self.reversed = float(delta), float(t_r), float(g_r), True
        g_c = min(max(g_r, 1e-15), 1.0 - 1e-15)
        self.t_pr = self.delta * p["w"] / 2 + p["t_c"] - math.atanh(2.0 * g_c - 1.0) / p["beta"] - t_r


@dataclass(frozen=True)
class PublishedRun:
    """A run of :func:`simulate_published_oscillator`.

    Attributes
    ----------
    t, v, temperature, current, g
        Time (s), capacitor voltage (V), device temperature (K), device current (A), insulating fraction.
    reversals
        ``(time, temperature)`` of every reversal of the sweep direction.
    """

    t: np.ndarray
    v: np.ndarray
    temperature: np.ndarray
    current: np.ndarray
    g: np.ndarray
    reversals: Tuple[Tuple[float, float], ...] = field(default_factory=tuple)


def simulate_published_oscillator(v_in: float = 12.0, r_load: float = 12e3, capacitance: Optional[float] = None,
                                  stop: float = 30e-6, params: Optional[Mapping[str, float]] = None,
                                  minor: str = "published", clamp: bool = True, rtol: float = 1e-9,
                                  max_step: float = 5e-9, t0: Optional[float] = None) -> PublishedRun:
    """Integrate ``V_in -> r_load -> [VO2 || C] -> ground`` with the published equations.

    Parameters
    ----------
    v_in, r_load, capacitance
        Supply (V), series load (ohm) and parallel capacitance (F; default the published 145.35 pF).
    stop
        End time (s).
    params
        Overrides of :data:`PUBLISHED` (keys as there).
    minor
        ``"published"`` (the reversal-point memory above) or ``"flat"`` (g held between the branches, the
        simpler rule, for comparison).
    clamp
        Evaluate ``R`` and the reversals at ``T`` clamped to [305, 370] K, as the public code does.
    rtol, max_step
        Integrator tolerance and largest step (s).
    t0
        Initial temperature (K); default ``t_base`` (the public code's start; capacitor discharged).

    Returns
    -------
    PublishedRun
    """
    if minor not in ("published", "flat"):
        raise ValueError(f"minor must be 'published' or 'flat', got {minor!r}")
    p = {**PUBLISHED, **(params or {})}
    c = p["capacitance"] if capacitance is None else capacitance
    hyst = Hysteresis(p, minor=minor)
    temp0 = p["t_base"] if t0 is None else t0
    hyst.t_r, hyst.t_pr = temp0, 0.0

    def clip(t: float) -> float:
        return min(max(t, 305.0), 370.0) if clamp else t

    def resistance(t: float) -> float:
        tc = clip(t)
        return p["r0"] * math.exp(p["ea"] / tc) * hyst.g(tc) + p["r_m"]

    def rhs(_t: float, y: np.ndarray) -> list:
        v, temp = y
        r = resistance(temp)
        return [((v_in - v) / r_load - v / r) / c, (v * v / r - p["s_th"] * (temp - p["t_base"])) / p["c_th"]]

    def turning(_t: float, y: np.ndarray) -> float:
        return rhs(_t, y)[1]

    turning.terminal = True  # type: ignore[attr-defined]

    y = np.array([0.0, temp0])
    t_now = 0.0
    ts, ys, gs, reversals = [], [], [], []
    while t_now < stop:
        turning.direction = -hyst.delta  # type: ignore[attr-defined]  # the sweep turns
        sol = solve_ivp(rhs, (t_now, stop), y, method="LSODA", rtol=rtol, atol=[1e-9, 1e-9], max_step=max_step,
                        events=turning)
        ts.append(sol.t)
        ys.append(sol.y)
        gs.append(np.array([hyst.g(clip(x)) for x in sol.y[1]]))
        y, t_now = sol.y[:, -1], float(sol.t[-1])
        if sol.status == 1:  # a reversal
            reversals.append((t_now, float(y[1])))
            hyst.reverse(clip(float(y[1])))
            # step off the turning point so that the event is not found again at once
            t_next = t_now + 1e-12
            y = y + np.array(rhs(t_now, y)) * 1e-12
            t_now = t_next
        elif sol.status < 0:
            raise RuntimeError(f"integration failed: {sol.message}")
    t = np.concatenate(ts)
    v, temperature = np.concatenate(ys, axis=1)
    g = np.concatenate(gs)
    rr = np.array([p["r0"] * math.exp(p["ea"] / clip(x)) for x in temperature]) * g + p["r_m"]
    return PublishedRun(t=t, v=v, temperature=temperature, current=v / rr, g=g, reversals=tuple(reversals))


__all__ = ["PUBLISHED", "minor_p", "Hysteresis", "PublishedRun", "simulate_published_oscillator"]
