"""Spin-diode RF synapse: an MTJ whose magnetisation is driven to ferromagnetic resonance by the rf current
through it and rectifies it (Tulapurkar et al. 2005; the synapse of Leroux et al. 2021).

The precession is the linear, damped oscillator of the small-angle Landau-Lifshitz dynamics in its
rotating-wave normal form; the resistance follows one component of it, so the product of the rf
current and the oscillating resistance has a dc part: a Lorentzian in the detuning from the resonance.
"""

from __future__ import annotations

import math
from typing import Dict, Optional, Union

import numpy as np
import sympy as sp

from circuitsim.models.language import V, Device, State, param, symbol

TULAPURKAR = "A. A. Tulapurkar et al., Nature 438, 339 (2005)"
LEROUX = "N. Leroux et al., Phys. Rev. Applied 15, 034067 (2021)"
CHOICE = "circuitsim choice"

x, y = symbol("x"), symbol("y")
r0, dr, fr, df, kappa, beta = (symbol(n) for n in ("r0", "dr", "fr", "df", "kappa", "beta"))

RESISTANCE = r0 + dr * (sp.cos(beta) * x + sp.sin(beta) * y)
CURRENT = V / RESISTANCE
GAMMA = 2 * sp.pi * df
OMEGA_R = 2 * sp.pi * fr

SPIN_DIODE = Device(
    name="spin_diode",
    title="Spin-diode RF synapse: MTJ ferromagnetic resonance driven by its rf current, rectified voltage "
          "Lorentzian in the detuning",
    ports=("p", "n"),
    params=(
        param("r0", 300.0, "ohm", "resistance at rest", f"{LEROUX}: MgO MTJs of a few hundred ohms [M]",
              positive=True),
        param("dr", 100.0, "ohm", "resistance change per unit precession amplitude ((R_AP - R_P)/2 scale)",
              f"{CHOICE}: TMR ~ 70 % of r0 [M]", positive=True),
        param("fr", 1e9, "Hz", "resonance frequency (set by field / dc current: the synaptic weight)",
              f"{LEROUX}: GHz-range resonances [M]; {CHOICE}: 1 GHz", positive=True),
        param("df", 50e6, "Hz", "half width at half maximum of the resonance (Gamma / 2 pi)",
              f"{CHOICE}: quality factor fr / (2 df) = 10 [M]", positive=True),
        param("kappa", 6e11, "1/(A s)", "torque coupling: precession driven by kappa I",
              f"{CHOICE}: amplitude 0.1 at resonance for 100 uA rf", positive=True),
        param("beta", 0.0, "rad", "mixing angle of the sensed component: 0 symmetric Lorentzian, pi/2 "
              "antisymmetric (field-like torque)", f"{TULAPURKAR}: both parts occur; {CHOICE}: 0"),
        param("x0", 0.0, "", "initial in-phase precession amplitude", f"{CHOICE}: at rest", minimum=-1.0,
              maximum=1.0),
        param("y0", 0.0, "", "initial quadrature precession amplitude", f"{CHOICE}: at rest", minimum=-1.0,
              maximum=1.0),
    ),
    states=(
        State("x", -1.0, 1.0, "x0", "", "precession component sensed by the resistance (beta = 0)"),
        State("y", -1.0, 1.0, "y0", "", "the other precession component"),
    ),
    current=CURRENT,
    rates={"x": -GAMMA * x + OMEGA_R * y + kappa * CURRENT,
           "y": -GAMMA * y - OMEGA_R * x},
    reference=f"{TULAPURKAR}; synapse use after {LEROUX}",
    equations=r"""
Small-angle precession as a damped oscillator, $z = x + iy$: $\dot z = -(\Gamma + i\omega_r)z + \kappa I$, i.e.

$\dot x = -\Gamma x + \omega_r y + \kappa I$, $\qquad \dot y = -\Gamma y - \omega_r x$,
$\qquad \Gamma = 2\pi\Delta f$, $\omega_r = 2\pi f_r$,

$I = V/R$, $\quad R = R_0 + \delta R\,(x\cos\beta + y\sin\beta)$.

**Rectified voltage.** Under an rf current $I = I_{rf}\cos\omega t$ the steady state gives a dc voltage
$\langle I R\rangle$:

$V_{dc} = \dfrac{\delta R\,\kappa\,I_{rf}^2}{4}\left[\cos\beta\left(\dfrac{\Gamma}{\Gamma^2 + \delta^2}
 + \dfrac{\Gamma}{\Gamma^2 + \delta'^2}\right) - \sin\beta\left(\dfrac{\delta}{\Gamma^2 + \delta^2}
 + \dfrac{\delta'}{\Gamma^2 + \delta'^2}\right)\right]$, $\quad \delta = \omega_r - \omega$, $\delta' = \omega_r + \omega$:

a symmetric Lorentzian in the detuning $\delta$ (plus a dispersive part for $\beta \ne 0$), of peak
$V_{max} \approx \delta R\,\kappa I_{rf}^2/(4\Gamma)$ and half width $\Delta f$; the $\delta'$ terms are the
small counter-rotating correction.  This is the spin-diode effect (Tulapurkar 2005): the synaptic weight of
an rf input at frequency $f$ is $V_{dc}/I_{rf}^2$, set by the detuning $f_r - f$ (Leroux 2021 tune $f_r$ with
a dc current or field; here $f_r$ is a parameter).  Several rf inputs at well separated frequencies add
their rectified voltages (the multiply-and-accumulate).

Choices and limits: linear precession (no foldover or amplitude-dependent frequency); the resistance
senses one precession component, whose phase relative to the torque ($\beta$) mixes the symmetric and
antisymmetric parts; defaults give $V_{max} = 0.48$ mV at 100 uA and a quality factor of 10 [M: orders of
magnitude of Leroux et al., not re-read].  Standard stimuli: a 30 mV (100 uA) sine at $f_r$ for 20 periods;
30 mV, 2 ns pulses (ring-down at $f_r$).
""",
    stimulus={"amplitude": 0.03, "frequency": 1e9, "cycles": 20, "pulse_high": 0.03, "pulse_low": 0.0,
              "pulse_width": 2e-9, "period": 1e-8},
)


def rectified_voltage(frequency: Union[float, np.ndarray], rf_amplitude: float,
                      values: Optional[Dict[str, float]] = None) -> Union[float, np.ndarray]:
    """Steady-state dc voltage (V) for an rf current ``rf_amplitude`` cos(2 pi frequency t) (the closed form)."""
    v = {**SPIN_DIODE.defaults, **(values or {})}
    gamma, omega_r = 2 * math.pi * v["df"], 2 * math.pi * v["fr"]
    omega = 2 * math.pi * np.asarray(frequency, dtype=float)
    d1, d2 = omega_r - omega, omega_r + omega
    sym = gamma / (gamma ** 2 + d1 ** 2) + gamma / (gamma ** 2 + d2 ** 2)
    anti = d1 / (gamma ** 2 + d1 ** 2) + d2 / (gamma ** 2 + d2 ** 2)
    out = v["dr"] * v["kappa"] * rf_amplitude ** 2 / 4 * (math.cos(v["beta"]) * sym - math.sin(v["beta"]) * anti)
    return float(out) if np.ndim(out) == 0 else out


CATALOGUE = (SPIN_DIODE,)
