"""Spin-torque nano-oscillator: the universal auto-oscillator model (Slavin & Tiberkevich 2009) in power
and phase, driven by the current through the device, with injection locking by an rf current.

The dc part of the current (a low-pass state) sets the spin-torque anti-damping; the rest of the
current (the injected rf signal) is the external force of the auto-oscillator equation.  The device's
resistance oscillates with the precession, so a dc bias produces an rf voltage ~ I_dc dR sqrt(p) cos(phi).
"""

from __future__ import annotations

import math
from typing import Dict, Optional

import sympy as sp

from circuitsim.models.language import V, Device, State, param, require, symbol

SLAVIN = "A. Slavin, V. Tiberkevich, IEEE Trans. Magn. 45, 1875 (2009)"
TORREJON = "J. Torrejon et al., Nature 547, 428 (2017)"
RIPPARD = "W. H. Rippard et al., Phys. Rev. Lett. 95, 067203 (2005) (injection locking by an rf current)"
CHOICE = "circuitsim choice"

#: Bound of the phase state (rad): 5e4 rad is 26 us of oscillation at 300 MHz.
PHASE_MAX = 5e4
#: Bound of the low-pass (dc) current state (A).
CURRENT_MAX = 0.1

p, phi, idc = symbol("p"), symbol("phi"), symbol("idc")
r0, dr, f0, fn, gamma_g, q, ith, eps, tau_lp, pfloor = (
    symbol(n) for n in ("r0", "dr", "f0", "fn", "gamma_g", "q", "ith", "eps", "tau_lp", "pfloor"))

AMPLITUDE = sp.sqrt(p + pfloor)
RESISTANCE = r0 + dr * AMPLITUDE * sp.cos(phi)
CURRENT = V / RESISTANCE
FORCE = eps * (CURRENT - idc)  # the injected (non-dc) current drives the oscillator
GAMMA_PLUS = gamma_g * (1 + q * p)
GAMMA_MINUS = gamma_g / ith * idc * (1 - p)

STNO = Device(
    name="stno",
    title="Spin-torque nano-oscillator: universal auto-oscillator in power and phase, rf-current injection "
          "locking",
    ports=("p", "n"),
    params=(
        param("r0", 50.0, "ohm", "mean resistance", f"{TORREJON}: vortex MTJ, tens of ohms [M]", positive=True),
        param("dr", 5.0, "ohm", "resistance swing at p = 1 (R = r0 + dr sqrt(p) cos phi)",
              f"{CHOICE}: 10 % of r0, a vortex-MTJ magnetoresistance [M]", positive=True),
        param("f0", 300e6, "Hz", "linear (small-amplitude) frequency omega0 / 2 pi",
              f"{TORREJON}: vortex oscillators at 250-350 MHz [M]", positive=True),
        param("fn", 100e6, "Hz", "nonlinear frequency shift N / 2 pi (omega = omega0 + N p)",
              f"{CHOICE}: blue shift, nu = N p0 / Gamma_p ~ 4 at twice threshold ({SLAVIN}: |nu| ~ 1-10)"),
        param("gamma_g", 5e7, "1/s", "linear (Gilbert) damping rate Gamma_G",
              f"{CHOICE}: amplitude relaxation 1/(Gamma_G (zeta - 1)) = 20 ns at twice threshold", positive=True),
        param("q", 1.0, "", "nonlinear damping coefficient Q (Gamma+ = Gamma_G (1 + Q p))", f"{SLAVIN} [M]: order 1",
              minimum=0.0),
        param("ith", 2e-3, "A", "threshold current of auto-oscillation (sigma = Gamma_G / I_th)",
              f"{TORREJON}: a few mA [M]", positive=True),
        param("eps", 1e10, "1/(A s)", "coupling of the injected rf current (force = eps (I - I_dc))",
              f"{CHOICE}: a 0.2 mA rf current gives F = 1e6 /s, a locking range ~ 1 MHz", minimum=0.0),
        param("tau_lp", 30e-9, "s", "time constant separating the dc bias from the injected signal (bias tee)",
              f"{CHOICE}: 9 oscillation periods", positive=True),
        param("pfloor", 1e-6, "", "floor added to p under the square root (sqrt(p + pfloor)): regular at p = 0",
              f"{CHOICE}: far below any oscillating power", positive=True),
        param("p0", 1e-3, "", "initial power (a thermal seed: p = 0 is an unstable fixed point)",
              f"{CHOICE}: thermal-level amplitude", minimum=0.0, maximum=1.0),
        param("phi0", 0.0, "rad", "initial phase", f"{CHOICE}: 0"),
        param("idc0", 0.0, "A", "initial dc (low-pass) current", f"{CHOICE}: 0 (bias switched on at t = 0)"),
    ),
    states=(
        State("p", 0.0, 1.0, "p0", "", "normalised oscillation power |c|^2"),
        State("phi", -PHASE_MAX, PHASE_MAX, "phi0", "rad", "oscillation phase"),
        State("idc", -CURRENT_MAX, CURRENT_MAX, "idc0", "A", "dc part of the device current (low-pass)"),
    ),
    current=CURRENT,
    rates={
        "p": -2 * (GAMMA_PLUS - GAMMA_MINUS) * p + 2 * FORCE * AMPLITUDE * sp.cos(phi),
        "phi": 2 * sp.pi * (f0 + fn * p) - FORCE * sp.sin(phi) / AMPLITUDE,
        "idc": (CURRENT - idc) / tau_lp,
    },
    reference=f"{SLAVIN}; rf-current injection as in {RIPPARD}",
    equations=r"""
Complex amplitude $c = \sqrt{p}\,e^{-i\varphi}$ of the universal auto-oscillator (Slavin & Tiberkevich 2009):
$\dot c = -i\omega(p)c - \Gamma_+(p)c + \Gamma_-(p)c + f(t)$, with $\omega(p) = \omega_0 + Np$,
$\Gamma_+ = \Gamma_G(1 + Qp)$, $\Gamma_- = \sigma I_{dc}(1 - p)$, $\sigma = \Gamma_G/I_{th}$.
In power and phase, with a real force $f = \varepsilon\,(I - I_{dc})$:

$\dot p = -2\left[\Gamma_+(p) - \Gamma_-(p)\right]p + 2 f \sqrt{p}\cos\varphi$, $\qquad
\dot\varphi = \omega_0 + Np - \dfrac{f}{\sqrt{p}}\sin\varphi$, $\qquad
\dot I_{dc} = (I - I_{dc})/\tau_{lp}$,

$I = V / R$, $\quad R = R_0 + \delta R\,\sqrt{p}\cos\varphi$ (so a dc bias gives $v_{rf} \approx I_{dc}\,\delta R\sqrt{p}\cos\varphi$);
$\sqrt{p}$ is $\sqrt{p + p_{floor}}$ everywhere.

Closed forms (no injection, $\zeta = I_{dc}/I_{th}$): threshold at $\zeta = 1$; stationary power
$p_0 = (\zeta - 1)/(\zeta + Q)$; frequency $\omega(p_0) = \omega_0 + N p_0$; amplitude relaxation
$\Gamma_p = \Gamma_G(\zeta - 1)$.  With an injected current $I_{rf}\cos\omega_e t$ the force rotating with
the oscillator is $F = \varepsilon I_{rf}/2$ and, for $F \ll \Gamma_p$, the oscillator locks for
$|\omega_e - \omega(p_0)| < \dfrac{F}{\sqrt{p_0}}\sqrt{1 + \nu^2}$, $\nu = N p_0/\Gamma_p$
(the amplitude-phase coupling enlarges the range).

Choices and why:

* **Injection input.** The locking signal is an rf current through the device (Rippard et al. 2005), added to
  the dc bias as by a bias tee.  The model separates them with a first-order low-pass ($\tau_{lp}$): the
  dc part drives the anti-damping, the rest is the force.  The ripple of $I_{dc}$ at $\omega_e$ is
  $1/(\omega_e\tau_{lp}) = 2$ % of the rf current at 300 MHz.  A voltage-driven device also feeds its own rf
  current back as a force (the self-consistent circuit effect); tests of the closed forms use a current drive.
* **Phase** is a state bounded at $\pm 5\cdot 10^4$ rad (26 us at 300 MHz); **power** is bounded to [0, 1].
  $p = 0$ is an unstable fixed point, so the oscillator starts from a thermal-level $p_0 = 10^{-3}$ (no noise:
  the model is deterministic).
* **Defaults** are a vortex-like oscillator (Torrejon 2017: 250-350 MHz, tens of ohms, mA thresholds,
  tagged [M]); $N$, $\Gamma_G$, $Q$ and $\varepsilon$ are circuitsim choices giving $\nu \approx 4$ and a
  20 ns amplitude relaxation at $\zeta = 2$: $p_0 = 1/3$, $f = 333.3$ MHz.
* **Standard stimuli.** One cycle of a 0.3 V, 5 MHz sine drives up to $3I_{th}$ (the oscillation builds up
  and decays); 0.2 V, 100 ns pulses.
""",
    checks=(
        require(lambda v: v["tau_lp"] * 2 * math.pi * v["f0"] > 5,
                "parameter 'tau_lp' must exceed 5 / (2 pi f0): the dc bias must be separated from the oscillation"),
    ),
    stimulus={"amplitude": 0.3, "frequency": 5e6, "cycles": 1, "pulse_high": 0.2, "pulse_low": 0.0,
              "pulse_width": 1e-7, "period": 2e-7},
)


def stno_closed_form(current: float, values: Optional[Dict[str, float]] = None) -> Dict[str, float]:
    """Stationary power, frequency (Hz), relaxation rate and nu of the free-running STNO at dc ``current``."""
    v = {**STNO.defaults, **(values or {})}
    zeta = current / v["ith"]
    p0 = max((zeta - 1) / (zeta + v["q"]), 0.0)
    gamma_p = v["gamma_g"] * (zeta - 1)
    nu = 2 * math.pi * v["fn"] * p0 / gamma_p if gamma_p > 0 else float("nan")
    return {"zeta": zeta, "p0": p0, "frequency": v["f0"] + v["fn"] * p0, "gamma_p": gamma_p, "nu": nu}


def locking_half_range(current: float, rf_amplitude: float, values: Optional[Dict[str, float]] = None) -> float:
    """Half-width (Hz) of the injection-locking range for an rf current of amplitude ``rf_amplitude`` (A)."""
    v = {**STNO.defaults, **(values or {})}
    c = stno_closed_form(current, v)
    force = v["eps"] * rf_amplitude / 2
    return force / math.sqrt(c["p0"]) * math.sqrt(1 + c["nu"] ** 2) / (2 * math.pi)


CATALOGUE = (STNO,)
