"""Magnetic tunnel junctions: the STT-MTJ (PMA CoFeB/MgO, after Zhang, Zhao et al. 2012) and the
superparamagnetic MTJ (telegraph switching, the p-bit's random source).

Both are stochastic through one seeded mechanism, the *hazard clock*: a state ``h`` integrates the
switching rate of the present magnetic state, ``dh/dt = 1/tau(I, m)``, and the junction reverses each
time ``h`` passes the next entry of a sequence of thresholds ``th1 < th2 < ...`` (parameters).  With the
gaps ``th_k - th_(k-1)`` independent unit exponentials (drawn in Python by :func:`seeded_thresholds`) the
switching times are exactly those of the Markov (Neel-Brown) process with rates ``1/tau``: a random
time change of a unit-rate Poisson process.  Given the seed the run is deterministic, so the ngspice
subckt, the Verilog-A module and the Python reference all produce the same stochastic trajectory
(ngspice 46's ``trnoise`` is not repeatable by seed and is not used).  The default thresholds
``th_k = k`` are the "mean" device: every dwell lasts exactly its expected time.
"""

from __future__ import annotations

import math
from typing import Dict, List, Optional, Tuple

import numpy as np
import sympy as sp

from circuitsim.models.language import V, Device, Param, State, param, smooth_step, symbol

ZHANG = ("Y. Zhang, W. Zhao, Y. Lakys, J.-O. Klein, J.-V. Kim, D. Ravelosona, C. Chappert, "
         "IEEE Trans. Electron Devices 59, 819 (2012)")
SUN = "J. Z. Sun, Phys. Rev. B 62, 570 (2000)"
NEEL_BROWN = "Neel-Brown thermal activation, e.g. Koch et al., PRL 92, 088302 (2004)"
CAMSARI = "K. Y. Camsari, R. Faria, B. M. Sutton, S. Datta, Phys. Rev. X 7, 031014 (2017)"
BORDERS = "W. A. Borders, A. Z. Pervaiz, S. Fukami, K. Y. Camsari, H. Ohno, S. Datta, Nature 573, 390 (2019)"
CHOICE = "circuitsim choice"
TYPICAL = "typical published values of PMA CoFeB/MgO junctions"

#: CODATA 2018 constants (SI).
E_CHARGE = 1.602176634e-19
HBAR = 1.054571817e-34
K_BOLTZMANN = 1.380649e-23
MU_B = 9.2740100783e-24
EULER_GAMMA = 0.5772156649015329

#: Width (in I/I_c0) of the hand-over from thermal activation to precessional switching at I_c0.
REGIME_WIDTH = 0.005

#: The clock keeps timing the old reversal until it is this many step widths past the threshold, so that
#: the step is crossed at the full rate (switching the rate at the step itself would stall the clock in it)
#: and the reversal's target is complete (theta(8) = 1 - 3e-4) where the clock slows down.  The switch of
#: direction is a step of half the width.  The clock of the next event therefore starts DIRECTION_LAG * hw
#: late; seeded_params adds that back to every later threshold.
DIRECTION_LAG = 8.0

#: Upper bound of the hazard clock: a threshold above it is never reached (the junction cannot switch).
HAZARD_MAX = 100.0


def threshold_names(count: int) -> List[str]:
    return [f"th{k}" for k in range(1, count + 1)]


def seeded_thresholds(seed: int, count: int) -> Dict[str, float]:
    """Thresholds ``{"th1": ..., "th<count>": ...}`` of one seeded junction.

    The gaps are independent unit exponentials from ``numpy.random.default_rng(seed)``, so the k-th
    reversal happens when the integrated rate since the previous one reaches an Exp(1) variate: exact
    Poisson (Markov) switching statistics.
    """
    gaps = np.random.default_rng(seed).exponential(1.0, size=count)
    gaps = np.maximum(gaps, 1e-9)  # strictly increasing thresholds
    return {name: float(value) for name, value in zip(threshold_names(count), np.cumsum(gaps))}


def seeded_params(seed: int, count: int, hw: float = 0.002) -> Dict[str, float]:
    """Parameter overrides of one seeded junction: its thresholds and the narrow step width ``hw``.

    The k-th threshold is moved up by (k - 1) DIRECTION_LAG hw, the clock each earlier reversal spends
    before the next one starts being timed, so that every dwell's clock is exactly its Exp(1) gap.
    """
    thresholds = seeded_thresholds(seed, count)
    shifted = {name: value + k * DIRECTION_LAG * hw for k, (name, value) in enumerate(thresholds.items())}
    return {**shifted, "hw": hw}


def _threshold_params(count: int) -> Tuple[Param, ...]:
    return tuple(param(name, float(k), "", f"hazard-clock value of the {k}. reversal (cumulative threshold)",
                       f"{CHOICE}: k, the mean junction; draw seeded ones with mtj.seeded_thresholds(seed, "
                       f"{count}) (cumulative unit exponentials)", positive=True)
                 for k, name in enumerate(threshold_names(count), start=1))


def _increasing(count: int):
    names = threshold_names(count)

    def check(values) -> Optional[str]:
        for a, b in zip(names[:-1], names[1:]):
            if not values[b] > values[a]:
                return f"parameter {b!r} must be greater than {a!r} (thresholds increase)"
        return None
    return check


def _clock(count: int, h: sp.Symbol, width: sp.Symbol) -> Tuple[sp.Expr, sp.Expr]:
    """``(parity, gap)`` of the hazard clock: reversals so far mod 2, and the current event's threshold gap.

    With steps ``S_k = theta(h - th_k)``: parity = sum (-1)^(k+1) S_k; gap = g_1 + sum (g_(k+1) - g_k) S'_k
    - g_K S'_K (``g_k = th_k - th_(k-1)``), the telescoped form of sum g_k (S'_(k-1) - S'_k) with S'_0 = 1,
    where ``S'_k`` is S_k delayed by DIRECTION_LAG step widths (as the direction).
    """
    th = [symbol(n) for n in threshold_names(count)]
    steps = [smooth_step(h - t, width) for t in th]
    parity = sp.Add(*[(-1) ** k * s for k, s in enumerate(steps)])
    # The gap belongs to the event being timed: it changes with the direction, DIRECTION_LAG widths late.
    steps = [smooth_step(h - t - DIRECTION_LAG * width, width / 2) for t in th]
    gaps = [th[0]] + [th[k] - th[k - 1] for k in range(1, count)]
    gap = gaps[0] + sp.Add(*[(gaps[k + 1] - gaps[k]) * steps[k] for k in range(count - 1)]) - gaps[-1] * steps[-1]
    return parity, gap


def _direction(count: int, h: sp.Symbol, width: sp.Symbol, initial: sp.Expr) -> sp.Expr:
    """Which reversal the clock is timing (0: away from the initial state, 1: back), switched DIRECTION_LAG
    step widths after each threshold, once the reversal it triggered has been carried through."""
    th = [symbol(n) for n in threshold_names(count)]
    parity = sp.Add(*[(-1) ** k * smooth_step(h - t - DIRECTION_LAG * width, width / 2)
                      for k, t in enumerate(th)])
    return initial + (1 - 2 * initial) * parity


def _resistance_params(rp_params: Tuple[Param, ...], tmr_source: str) -> Tuple[Param, ...]:
    return rp_params + (
        param("tmr0", 1.2, "", "tunnel magnetoresistance ratio at zero bias, (R_AP - R_P)/R_P",
              tmr_source, positive=True),
        param("vh", 0.5, "V", "bias at which the TMR has fallen to half its zero-bias value",
              f"{ZHANG}: V_h ~ 0.5 V [M]", positive=True),
    )


# -- STT-MTJ ------------------------------------------------------------------------------------------------
STT_EVENTS = 8

m, h = symbol("m"), symbol("h")
tox, phi, ffit, diameter, tmr0, vh = (symbol(n) for n in ("tox", "phi", "ffit", "diameter", "tmr0", "vh"))
alpha, pol, delta, tau0, temp, ms, tfl, nexp, tau_sw, hw, m0 = (
    symbol(n) for n in ("alpha", "pol", "delta", "tau0", "temp", "ms", "tfl", "nexp", "tau_sw", "hw", "m0"))

AREA = sp.pi * diameter ** 2 / 4
#: Brinkman/Simmons parallel resistance with t_ox in angstrom, phi in eV and the area in um^2 (as Zhang/Zhao).
R_P = (tox * 1e10) / (ffit * sp.sqrt(phi) * AREA * 1e12) * sp.exp(1.025 * tox * 1e10 * sp.sqrt(phi))
TMR = tmr0 / (1 + V ** 2 / vh ** 2)
R_AP = R_P * (1 + TMR)
STT_CURRENT = V * ((1 - m) / R_P + m / R_AP)
ETA = pol / (1 + pol ** 2)
IC0 = 4 * E_CHARGE * alpha * K_BOLTZMANN * temp * delta / (HBAR * ETA)
#: Sun's precessional rate per ampere above I_c0 (1/(A s)), m = Ms V_free.
K_SUN = (2 / (EULER_GAMMA + sp.log(sp.pi ** 2 * delta / 4))) * MU_B * pol / (
    E_CHARGE * ms * AREA * tfl * (1 + pol ** 2))


def _barrier(i: sp.Expr) -> sp.Expr:
    """(1 - i)^n for n in [1, 2] (linear blend of the two published exponents), 0 above the critical current."""
    b = sp.Max(1 - i, 0)
    return b * ((2 - nexp) + (nexp - 1) * b)


def _stt_device() -> Device:
    parity, gap = _clock(STT_EVENTS, h, hw)

    def thermal(i: sp.Expr) -> sp.Expr:
        # Regimes as in Zhang/Zhao: Neel-Brown below I_c0, Sun's precessional rate above it.
        return sp.exp(-delta * _barrier(i)) / tau0 * (1 - smooth_step(i - 1, REGIME_WIDTH))

    def precessional(i: sp.Expr) -> sp.Expr:
        return K_SUN * IC0 * sp.Max(i - 1, 0)

    # Each reversal is driven by the current of the state it leaves (P: V/R_P, AP: V/R_AP(V)), so the
    # resistance change during a reversal does not feed back into its own rate.
    i_up = -V / (R_P * IC0)     # drive of P -> AP (current from n to p)
    i_down = V / (R_AP * IC0)   # drive of AP -> P (current from p to n)
    target = m0 + (1 - 2 * m0) * parity
    d = _direction(STT_EVENTS, h, hw, m0)
    # (1 - D) lambda_up + D lambda_down, lambda = thermal + gap * precessional; Abs() of this non-negative
    # rate lets sympy drop the language's negative-rate branch (half the expression).
    hazard_rate = sp.Abs(thermal(i_up) + d * (thermal(i_down) - thermal(i_up))
                         + gap * (precessional(i_up) + d * (precessional(i_down) - precessional(i_up))))
    return Device(
        name="mtj_stt",
        title="STT-MTJ (PMA CoFeB/MgO): bias-dependent TMR, precessional and thermally activated switching, "
              "seeded stochastic reversals",
        ports=("p", "n"),
        params=_resistance_params((
            param("tox", 0.85e-9, "m", "MgO barrier thickness", f"{ZHANG} [M]: t_ox ~ 0.85 nm", positive=True),
            param("phi", 0.4, "V", "barrier height (eV)", f"{ZHANG} [M]: 0.4 eV", positive=True),
            param("ffit", 332.2, "", "Brinkman fitting factor F, fixes RA (angstrom / (ohm um^2 eV^0.5))",
                  f"{ZHANG} [M]: F = 332.2, giving RA = 10.0 ohm um^2 with t_ox, phi above", positive=True),
            param("diameter", 40e-9, "m", "junction diameter (circular)", f"{ZHANG} / {TYPICAL}: 40 nm [M]",
                  positive=True),
        ), f"{ZHANG} / {TYPICAL}: TMR(0) ~ 120-150 % [M]") + (
            param("alpha", 0.027, "", "Gilbert damping of the free layer", f"{ZHANG} [M]: 0.027", positive=True),
            param("pol", 0.6, "", "spin polarisation P (efficiency eta = P/(1+P^2))",
                  f"{TYPICAL}: P ~ 0.5-0.6 [M]", positive=True, maximum=1.0),
            param("delta", 40.0, "", "thermal stability factor E_b / (k_B T)", f"{TYPICAL}: 40-60 [M]",
                  positive=True),
            param("tau0", 1e-9, "s", "attempt time of thermal activation", f"{TYPICAL}: ~1 ns [M]", positive=True),
            param("temp", 300.0, "K", "temperature", f"{CHOICE}: room temperature", positive=True),
            param("ms", 1.1e6, "A/m", "saturation magnetisation of the free layer",
                  f"{ZHANG} [M]: CoFeB ~ 1.1e6 A/m", positive=True),
            param("tfl", 1.3e-9, "m", "free-layer thickness", f"{TYPICAL}: ~1.3 nm [M]", positive=True),
            param("nexp", 1.0, "", "exponent n of the barrier (1 - I/I_c0)^n (1 or 2; blended in between)",
                  f"{TYPICAL}: 1 (Neel-Brown/Koch) or 2 (Taniguchi & Imamura); 1 chosen", minimum=1.0,
                  maximum=2.0),
            param("tau_sw", 2e-9, "s", "duration constant of a reversal once triggered (m relaxes to the new "
                  "state)", f"{CHOICE}: ns-scale reversal, resolvable by ngspice", positive=True),
            param("hw", 0.002, "", "width of each threshold step of the hazard clock",
                  f"{CHOICE}: 0.2 % of the mean gap (a reversal is resolved over ~1 % of a dwell)", positive=True),
            param("m0", 0.0, "", "initial magnetic state (0 = parallel, 1 = antiparallel)",
                  f"{CHOICE}: parallel", minimum=0.0, maximum=1.0),
            param("h0", 0.0, "", "initial hazard clock", f"{CHOICE}: 0 (fresh junction)", minimum=0.0),
        ) + _threshold_params(STT_EVENTS),
        states=(
            State("m", 0.0, 1.0, "m0", "", "antiparallel fraction: 0 parallel, 1 antiparallel"),
            State("h", 0.0, HAZARD_MAX, "h0", "", "hazard clock: integral of the active switching rate"),
        ),
        current=STT_CURRENT,
        rates={"m": (target - m) / tau_sw,
               "h": hazard_rate},
        reference=f"{ZHANG}; critical current and precessional rate after {SUN}",
        equations=r"""
$I = V\left[\dfrac{1-m}{R_P} + \dfrac{m}{R_{AP}(V)}\right]$, $\quad
R_P = \dfrac{t_{ox}}{F\sqrt{\varphi}\,A}\,e^{1.025\,t_{ox}\sqrt{\varphi}}$ ($t_{ox}$ in angstrom, $\varphi$ in eV,
$A = \pi d^2/4$ in um$^2$), $\quad R_{AP} = R_P\,(1 + \mathrm{TMR}(V))$, $\quad
\mathrm{TMR}(V) = \dfrac{\mathrm{TMR}_0}{1 + V^2/V_h^2}$.

Critical current (Sun 2000, PMA): $I_{c0} = \dfrac{4 e \alpha}{\hbar\eta}\,\Delta\,k_B T$ with
$\eta = P/(1+P^2)$ (defaults: 61.7 uA).  Normalised drive of each reversal, with the current of the state it leaves:
$i_{P\to AP} = -V/(R_P I_{c0})$ (current from n to p, i.e. electrons from the free layer `p` into the reference
layer), $i_{AP\to P} = +V/(R_{AP}(V) I_{c0})$ (so the resistance change during a reversal does not feed back
into its own rate).

Rate of a reversal with drive $i$:

$\lambda(i) = \dfrac{1}{\tau_0}\exp\!\left[-\Delta\,\max(1 - i, 0)^n\right]\left[1 - \theta(i - 1, 0.005)\right]
 + g\,k_{Sun}\,I_{c0}\max(i - 1, 0)$, $\quad
k_{Sun} = \dfrac{2}{C + \ln(\pi^2\Delta/4)}\,\dfrac{\mu_B P}{e\,M_s V_{fl}\,(1+P^2)}$, $C = 0.5772$.

The first term is Neel-Brown thermal activation, $\tau = \tau_0 e^{\Delta(1 - I/I_{c0})^n}$, used below
$I_{c0}$ and handed over within $\pm 0.5$ % of $I_{c0}$ (a logistic $\theta$) to the second, Sun's
precessional rate $1/\langle\tau\rangle$, as the two regimes of Zhang/Zhao.  The precessional rate is
multiplied by the present threshold gap $g$ (below) so that a reversal in the precessional regime takes
exactly $\langle\tau\rangle$, deterministically.  (Like the published piecewise model, the switching
time is not monotonic across $I_{c0}$: $\tau_0$ just below, diverging just above.)

**Noise mechanism: the seeded hazard clock.**
$\dot h = (1-D)\,\lambda(i_{P\to AP}) + D\,\lambda(i_{AP\to P})$: the integrated rate of the reversal that
the present state can make, $D$ the count parity below switched $8w$ past each threshold (steps of width
$w/2$), once the reversal it triggered is complete ($\theta(8) = 1 - 3\cdot 10^{-4}$): switching the rate at
the threshold itself would stall the clock inside the step.  The next event's clock therefore starts $8w$
late; `seeded_params` adds $(k-1)\,8w$ to the k-th threshold.  The junction has reversed $N(h) = \#\{k : th_k \le h\}$ times, and
$\dot m = (m_{target} - m)/\tau_{sw}$, $m_{target} = m_0 + (1 - 2m_0)\,[N(h) \bmod 2]$, written
smoothly as $\sum_k (-1)^{k+1}\theta(h - th_k, w)$ with $\theta$ the logistic step of width $w$
(`hw`).  $g = th_k - th_{k-1}$ for the event being timed (written with the steps of $D$).
With the gaps $th_k - th_{k-1}$ independent Exp(1) variates, drawn in Python from a seed
(`circuitsim.models.catalogue.mtj.seeded_params(seed, 8)`, $w = 0.002$), the reversal times are exactly those of
a Markov process with rate $\lambda$: under a constant sub-critical current $P_{sw}(t) = 1 - e^{-t/\tau}$.
Everything is deterministic given the thresholds, so the three targets agree run by run.

Choices and limits:

* **Events.** 8 thresholds: a junction reverses at most 8 times per run (the defaults $th_k = k$ are the
  "mean" junction, each dwell lasting exactly its expected time).  Thresholds above 100 (the clock's
  bound) are never reached: a junction that must not switch.
* **Precessional memory.** The precessional progress ($g\,t/\langle\tau\rangle$) is kept across pulses
  (no relaxation of a partial precession between pulses).
* **Reversal shape.** $m$ relaxes exponentially with $\tau_{sw}$; the real trajectory (ringing,
  incubation) is not modelled.  The resistance during the reversal is the parallel combination of the two
  channels weighted by $m$.
* **Defaults** are typical published values for 40 nm PMA CoFeB/MgO junctions (Zhang/Zhao 2012 and the
  IEF/Beihang model family), tagged [M]: not re-read against the paper's Table I.  With them
  $R_P = 7.96$ kOhm ($RA = 10.0$ ohm um$^2$), $R_{AP}(0) = 17.5$ kOhm, $I_{c0} = 61.7$ uA,
  and the precessional time at $2 I_{c0}$ is 2.9 ns.
* **Standard stimuli.** A 1.0 V, 20 MHz sine reverses the junction each half cycle (3 reversals, precessional;
  each passes through the Neel-Brown rate's 1/tau0 peak just below I_c0); a train of -0.9 V, 20 ns pulses
  switches it P -> AP once and then holds it.
""",
        checks=(_increasing(STT_EVENTS),),
        stimulus={"amplitude": 1.0, "frequency": 2e7, "cycles": 2, "pulse_high": -0.9, "pulse_low": 0.0,
                  "pulse_width": 2e-8, "period": 1e-7},
    )


# -- superparamagnetic MTJ --------------------------------------------------------------------------------------
SMTJ_EVENTS = 16

rp, ic, hf = symbol("rp"), symbol("ic"), symbol("hf")
SMTJ_R_AP = rp * (1 + TMR)


def _smtj_device() -> Device:
    parity, _ = _clock(SMTJ_EVENTS, h, hw)
    target = m0 + (1 - 2 * m0) * parity
    current = V * ((1 - m) / rp + m / SMTJ_R_AP)
    bias_p = -V / (rp * ic) + hf          # positive favours AP; in P the current is V / R_P
    bias_ap = -V / (SMTJ_R_AP * ic) + hf  # in AP, V / R_AP(V)
    d = _direction(SMTJ_EVENTS, h, hw, m0)

    def rate(b: sp.Expr) -> sp.Expr:
        return sp.exp(-delta * sp.Max(1 - b, 0)) / tau0

    return Device(
        name="smtj",
        title="Superparamagnetic MTJ: seeded telegraph switching with dwell times tau0 exp(Delta (1 +- I/Ic)), "
              "the p-bit's random source",
        ports=("p", "n"),
        params=_resistance_params((
            param("rp", 10e3, "ohm", "parallel-state resistance",
                  f"{CHOICE}: 10 kOhm, a p-bit divider reads it with tens of uA", positive=True),
        ), f"{CHOICE}: 120 %, as the STT-MTJ") + (
            param("delta", 10.0, "", "energy barrier E_b / (k_B T) (low: superparamagnetic)",
                  f"{CHOICE}: 10, dwell tau0 e^10 = 22 us at zero bias (Mizrahi 2018 / Borders 2019 junctions "
                  "dwell us-ms) [M]", positive=True),
            param("tau0", 1e-9, "s", "attempt time (a fit parameter: femtoseconds were measured, Soumah 2024)",
                  f"{TYPICAL}: 1 ns convention [M]", positive=True),
            param("ic", 40e-6, "A", "critical current scale of the spin-torque bias I/Ic",
                  f"{CHOICE}: tens of uA as an MRAM-derived junction [M]", positive=True),
            param("hf", 0.0, "", "offset field H/H_k (positive favours AP), linearised field term",
                  f"{TYPICAL}: field term Delta(1 +- H/H_k); {CHOICE}: 0 (no stray field)"),
            param("tau_sw", 1e-9, "s", "duration constant of a reversal", f"{CHOICE}: ns, short against dwells",
                  positive=True),
            param("hw", 0.05, "", "width of each threshold step of the hazard clock",
                  f"{CHOICE}: 0.05 for the mean junction (gaps of 1); use 0.002 with seeded thresholds "
                  "(seeded_params does), see the equations", positive=True),
            param("m0", 0.0, "", "initial state (0 = P, 1 = AP)", f"{CHOICE}: parallel", minimum=0.0,
                  maximum=1.0),
            param("h0", 0.0, "", "initial hazard clock", f"{CHOICE}: 0", minimum=0.0),
        ) + _threshold_params(SMTJ_EVENTS),
        states=(
            State("m", 0.0, 1.0, "m0", "", "antiparallel fraction: 0 parallel, 1 antiparallel"),
            State("h", 0.0, HAZARD_MAX, "h0", "", "hazard clock: integral of the active switching rate"),
        ),
        current=current,
        rates={"m": (target - m) / tau_sw, "h": sp.Abs(rate(bias_p) + d * (rate(-bias_ap) - rate(bias_p)))},
        reference=f"Neel-Brown telegraph switching with spin-torque bias as in {CAMSARI} and {BORDERS}",
        equations=r"""
$I = V\left[\dfrac{1-m}{R_P} + \dfrac{m}{R_P(1 + \mathrm{TMR}(V))}\right]$, $\quad
\mathrm{TMR}(V) = \dfrac{\mathrm{TMR}_0}{1 + V^2/V_h^2}$.

Bias $b = -I/I_c + h_f$ (positive favours AP; current from n to p pushes towards AP), $I$ the current of
the state being left ($V/R_P$ or $V/R_{AP}(V)$).  Dwell times (mean waiting times in each state):

$\tau_{P} = \tau_0\,e^{\Delta(1 - b)}$ (leaving P), $\quad \tau_{AP} = \tau_0\,e^{\Delta(1 + b)}$ (leaving AP),
each exponent floored at 0 ($|b| > 1$ is outside the model).  When the current is the same in both
states, $P(AP) = \tau_{AP}/(\tau_{AP} + \tau_P) = 1/(1 + e^{-2\Delta b})$: the p-bit sigmoid.

**Noise mechanism: the seeded hazard clock** (as `mtj_stt`): $\dot h = (1-D)/\tau_P + D/\tau_{AP}$,
the state reverses each time $h$ passes a threshold $th_k$, $\dot m = (m_{target} - m)/\tau_{sw}$,
$m_{target} = m_0 + (1 - 2m_0)\sum_k (-1)^{k+1}\theta(h - th_k, w)$.  With cumulative unit-exponential
thresholds from `circuitsim.models.catalogue.mtj.seeded_params(seed, 16)` the dwell times are
exactly exponential with the means above (a random time change of a Poisson process), and the run is
deterministic given the seed in every target.

Choices and limits:

* **Events.** 16 thresholds: at most 16 reversals per instance and run; for long runs use more instances
  (the p-bit tests average over instances and time).  The defaults $th_k = k$ give the mean telegraph.
* **Step width.** A reversal needs the clock to pass a step of width $w$; two thresholds closer than
  $2.2w$ cancel (no crossing of $m = 1/2$).  The default $w = 0.05$ suits the mean junction (gaps of 1)
  and keeps ngspice and the Python reference in step to 1e-3; seeded runs use $w = 0.002$
  (`seeded_params`, whose thresholds are at least $8w$ apart, so no pair cancels) and need a step cap
  well below the shortest dwell.
* **Field term** linearised: $\Delta(1 \pm H/H_k)^2$ is written $\Delta(1 \pm H/H_k)$, the same
  first-order sensitivity; the spin-torque bias enters the same way (Camsari, Borders).
* **tau0** is a fit parameter: Soumah et al. (2024) measured femtosecond prefactors; with 1 ns and
  $\Delta = 10$ the zero-bias dwell is 22 us.
* **Standard stimuli.** A 30 mV, 20 kHz sine biases the dwell times both ways (a few reversals in two
  cycles); -30 mV, 25 us pulses favour AP.
""",
        checks=(_increasing(SMTJ_EVENTS),),
        stimulus={"amplitude": 0.03, "frequency": 2e4, "cycles": 2, "pulse_high": -0.03, "pulse_low": 0.0,
                  "pulse_width": 2.5e-5, "period": 5e-5},
    )


MTJ_STT = _stt_device()
SMTJ = _smtj_device()


def stt_figures(values: Optional[Dict[str, float]] = None) -> Dict[str, float]:
    """Closed-form figures of ``mtj_stt`` (R_P, TMR(0), I_c0, Sun's rate per amp), by hand from the equations."""
    p = {**MTJ_STT.defaults, **(values or {})}
    t_angstrom, area_um2 = p["tox"] * 1e10, math.pi * p["diameter"] ** 2 / 4 * 1e12
    r_p = t_angstrom / (p["ffit"] * math.sqrt(p["phi"]) * area_um2) * math.exp(1.025 * t_angstrom * math.sqrt(p["phi"]))
    eta = p["pol"] / (1 + p["pol"] ** 2)
    ic0 = 4 * E_CHARGE * p["alpha"] * K_BOLTZMANN * p["temp"] * p["delta"] / (HBAR * eta)
    moment = p["ms"] * math.pi * p["diameter"] ** 2 / 4 * p["tfl"]
    k_sun = (2 / (EULER_GAMMA + math.log(math.pi ** 2 * p["delta"] / 4))) * MU_B * p["pol"] / (
        E_CHARGE * moment * (1 + p["pol"] ** 2))
    return {"r_p": r_p, "ra": r_p * area_um2, "ic0": ic0, "k_sun": k_sun}


CATALOGUE = (MTJ_STT, SMTJ)
