"""Physical diffusive (volatile) memristor: one Ag nanoparticle between the electrodes, ``diffusive_ag``.

The picture is that of Savel'ev, Marchesoni and Bratkovsky (arXiv:1304.4501) as used by Wang et al.
(Nat. Mater. 16, 101 (2017)) and Jiang et al. (Nat. Commun. 8, 882 (2017)): the current tunnels through
a nanoparticle that diffuses between the electrodes in a confining potential, under the applied field,
thermal noise and Joule heating.  Jiang et al. attribute the stochastic delay of the switching to the
probabilistic detachment of Ag particles from a Ag reservoir; this module keeps exactly that part of the
noise and makes it seeded:

* the particle sits in the reservoir's well until it escapes; the escape is a thermally activated
  (Kramers) event with rate ``nu0 exp(-(ea - alpha |V|)/(k_B T))``, the overdamped Langevin particle's
  escape rate from a deep well;
* once out of the well it moves deterministically (the overdamped drift) in the field against the
  interfacial (confining) potential, which pulls it back to the reservoir when the bias is removed
  (volatility);
* its temperature follows a lumped heat balance: Joule heating against the loss to the surroundings.

The escape times are drawn through the *hazard clock* of the MTJ devices (``mtj.py``): a state ``h``
integrates the escape rate while the particle is trapped; the k-th escape starts when ``h`` passes
``th_k``.  With the gaps between thresholds independent unit exponentials (drawn in Python by
:func:`seeded_params`), the escapes are those of the Markov process with that rate, and the run is
deterministic given the seed in the subckt, the Verilog-A module and the Python reference alike.
"""

from __future__ import annotations

import math
from typing import Dict, List, Optional, Tuple

import numpy as np
import sympy as sp

from circuitsim.models.language import V, Device, Param, State, greater, param, require, smooth_step, symbol

SAVELEV = ("S. E. Savel'ev, F. Marchesoni, A. M. Bratkovsky, 'Perfect memristor: non-volatility, switching and "
           "negative differential resistance', arXiv:1304.4501")
WANG = ("Z. Wang, S. Joshi, S. E. Savel'ev, ..., R. S. Williams, Q. Xia, J. J. Yang, "
        "Nat. Mater. 16, 101 (2017)")
JIANG = ("H. Jiang, D. Belkin, S. E. Savel'ev, ..., J. J. Yang, Q. Xia, Nat. Commun. 8, 882 (2017)")
USC_SPICE = ("public diffusive-memristor SPICE model, GitHub TongWang-USC/Memristor-Model, "
             "test_diffusive_voltage_single_pulse.cir: Ron = 1.7e4, Roff = 1e10 (read from the file)")
CHOICE = "circuitsim choice"

#: Boltzmann constant over the elementary charge (V/K): k_B T / e in volts, so energies are in eV.
KB_OVER_E = 1.380649e-23 / 1.602176634e-19

#: Number of escape events (thresholds) per instance and run.
EVENTS = 6

#: Upper bound of the hazard clock.
HAZARD_MAX = 50.0

#: Width of the well's and the push's smooth edges, as a fraction of the barrier position xb.
EDGE = 0.05

#: Duration of an escape (the barrier crossing) in units of the well's relaxation time tau_x / (1 + kw).
ESCAPE_WELL_TIMES = 3.0

#: Clock an escape leaves behind past its window (in step widths hw), measured on the defaults
#: (``seeded_params`` adds it, with the window, to every later threshold).
EXIT_LAG = 6.0

x, h, temp = symbol("x"), symbol("h"), symbol("temp")
(ron, roff, vd, tau_x, xb, kw, nu0, ea, alpha, r_th, tau_th, t_amb, hw, wesc) = (
    symbol(n) for n in ("ron", "roff", "vd", "tau_x", "xb", "kw", "nu0", "ea", "alpha", "r_th", "tau_th",
                        "t_amb", "hw", "wesc"))


def threshold_names(count: int = EVENTS) -> List[str]:
    """``["th1", ..., "th<count>"]``."""
    return [f"th{k}" for k in range(1, count + 1)]


def seeded_params(seed: int, count: int = EVENTS, values: Optional[Dict[str, float]] = None) -> Dict[str, float]:
    """Threshold overrides ``{"th1": ..., "th6": ...}`` of one seeded device (escapes after ``count`` disabled).

    The gaps are independent unit exponentials from ``numpy.random.default_rng(seed)``: the k-th escape
    happens when the escape rate integrated over the time the particle spends trapped since the previous
    escape reaches an Exp(1) variate.  Every threshold after the first is moved up by the clock each
    earlier escape spends in its window (``wesc``) and leaves behind (:data:`EXIT_LAG` ``hw``).

    Parameters
    ----------
    seed
        Seed of ``numpy.random.default_rng``.
    count
        Number of thresholds (at most :data:`EVENTS`).
    values
        Parameter values (for ``wesc`` and ``hw``); defaults otherwise.
    """
    if not 1 <= count <= EVENTS:
        raise ValueError(f"count must be between 1 and {EVENTS}, got {count}")
    p = {**DIFFUSIVE_AG.defaults, **(values or {})}
    gaps = np.maximum(np.random.default_rng(seed).exponential(1.0, size=EVENTS), 1e-6)
    per_event = p["wesc"] + EXIT_LAG * p["hw"]
    thresholds = np.cumsum(gaps) + per_event * np.arange(EVENTS)
    # Thresholds past ``count`` are put beyond the clock's bound: those escapes never happen.
    thresholds[count:] = HAZARD_MAX + 2 * (1 + p["wesc"]) * np.arange(1, EVENTS - count + 1)
    return {name: float(value) for name, value in zip(threshold_names(), thresholds)}


def _increasing(values) -> Optional[str]:
    names = threshold_names()
    for a, b in zip(names[:-1], names[1:]):
        if not values[b] > values[a] + values["wesc"]:
            return f"parameter {b!r} must exceed {a!r} by more than wesc (each escape uses wesc of the clock)"
    return None


def _device() -> Device:
    edge = EDGE * xb
    trapped = smooth_step(xb - x, edge)                     # 1 in the reservoir's well, 0 out of it
    tau_esc = ESCAPE_WELL_TIMES * tau_x / (1 + kw)          # duration of an escape
    ths = [symbol(n) for n in threshold_names()]
    # Escape window: 1 while the clock is within wesc past a threshold.
    window = sp.Add(*[smooth_step(h - t, hw) - smooth_step(h - t - wesc, hw) for t in ths])
    # Kramers escape rate from the well, field-lowered barrier; capped at 1/tau_esc (no overflow, bounded stiffness).
    kramers = nu0 * sp.exp(-sp.Max(ea - alpha * sp.Abs(V), 0) / (KB_OVER_E * temp))
    escape_rate = kramers / (1 + kramers * tau_esc)
    conductance = sp.exp(-(1 - x) * sp.log(roff / ron)) / ron
    push = 2 * xb * (1 + kw) / tau_x * smooth_step(2 * xb - x, edge)
    return Device(
        name="diffusive_ag",
        title="Diffusive Ag-nanoparticle memristor: seeded thermally activated escape from the reservoir, "
              "field drift against the interfacial potential, Joule heating, tunnelling current",
        ports=("p", "n"),
        params=(
            param("ron", 1.7e4, "ohm", "resistance with the particle bridging the gap (x = 1)", USC_SPICE,
                  positive=True),
            param("roff", 1e10, "ohm", "resistance with the particle in the reservoir (x = 0)", USC_SPICE,
                  positive=True),
            param("vd", 0.5, "V", "bias whose field force balances the interfacial pull at x = 1 (|V| > vd "
                  "bridges the gap)", f"{CHOICE} [M]: sub-volt switching as in {WANG} and {JIANG}; the "
                  "papers' field-force and potential parameters were not read", positive=True),
            param("tau_x", 1e-5, "s", "relaxation time of the particle in the interfacial potential (eta / k)",
                  f"{CHOICE} [M]: us-scale volatility; the relaxation times of {WANG} Fig. 2 / {JIANG} were "
                  "not read", positive=True),
            param("xb", 0.2, "", "edge of the reservoir's well (fraction of the gap)",
                  f"{CHOICE}: the particle is trapped within 20 % of the gap", positive=True, maximum=0.3),
            param("kw", 20.0, "", "stiffness of the reservoir's well relative to the interfacial potential",
                  f"{CHOICE}: holds a trapped particle at x <= |V|/(vd (1 + kw)), below xb up to |V| = 2.1 V",
                  positive=True),
            param("nu0", 1e13, "Hz", "attempt frequency of the escape from the reservoir",
                  "typical phonon frequency of thermally activated ion hopping [M]", positive=True),
            param("ea", 0.9, "eV", "escape barrier of a Ag particle from the reservoir at zero bias",
                  f"{CHOICE} [M]: zero-bias escape time nu0^-1 e^(ea/kT) = 130 s at 300 K (no spontaneous "
                  "switching); the barrier of " + JIANG + " was not read", positive=True),
            param("alpha", 0.4237, "eV/V", "barrier lowering per volt of bias (field-assisted escape)",
                  f"{CHOICE} [M]: Kramers escape time 10.6 us at 1 V and 300 K (11.5 us with the 1.4 us cap tau_esc)", positive=True),
            param("r_th", 1e6, "K/W", "thermal resistance to the surroundings",
                  f"{CHOICE} [M]: 59 K of Joule heating in the bridged state at 1 V", positive=True),
            param("tau_th", 1e-7, "s", "thermal time constant C_th r_th",
                  f"{CHOICE} [M]: nanoscale thermal times are ns-scale; 100 ns keeps it resolvable",
                  positive=True),
            param("t_amb", 300.0, "K", "ambient temperature", f"{CHOICE}: room temperature", positive=True),
            param("hw", 1e-3, "", "width of the hazard clock's threshold steps",
                  f"{CHOICE}: the escape starts within 7 hw (0.7 % of a mean gap) of its threshold",
                  positive=True),
            param("wesc", 1.0, "", "clock used by each escape's window (excluded from the Exp(1) gaps)",
                  f"{CHOICE}: as wide as a mean gap, so that no time step of a solver can step over a window "
                  "(the clock advances by up to r * step per step)", positive=True),
            param("x0", 0.0, "", "initial particle position (0 = in the reservoir, 1 = bridging)",
                  f"{CHOICE}: relaxed device", minimum=0.0, maximum=1.0),
            param("h0", 0.0, "", "initial hazard clock", f"{CHOICE}: fresh device", minimum=0.0),
            param("t_init", 300.0, "K", "initial temperature", f"{CHOICE}: ambient", positive=True),
        ) + tuple(param(name, float(2 * k - 1), "", f"hazard-clock value of the {k}. escape (cumulative threshold)",
                        f"{CHOICE}: 2k - 1, the mean device (gaps of 1 plus the windows of wesc = 1); seeded "
                        "ones from diffusive_particle.seeded_params(seed)",
                        positive=True)
                  for k, name in enumerate(threshold_names(), start=1)),
        states=(
            State("x", 0.0, 1.0, "x0", "", "particle position across the gap (0 reservoir, 1 bridging)"),
            State("h", 0.0, HAZARD_MAX, "h0", "", "hazard clock: escape rate integrated while trapped"),
            State("temp", 100.0, 3000.0, "t_init", "K", "temperature of the switching volume"),
        ),
        current=conductance * V,
        rates={
            "x": (sp.Abs(V) / vd - x - kw * x * trapped) / tau_x + window * push,
            "h": window * wesc / tau_esc + (1 - window) * trapped * escape_rate,
            "temp": (r_th * conductance * V ** 2 - (temp - t_amb)) / tau_th,
        },
        reference=f"{SAVELEV}; {WANG}; {JIANG}",
        equations=EQUATIONS,
        checks=(greater("roff", "ron"), _increasing,
                require(lambda v: v["wesc"] >= 20 * v["hw"],
                        "parameter 'wesc' must be at least 20 hw (the window must be resolved by its steps)")),
        stimulus={"amplitude": 1.15, "frequency": 1e4, "cycles": 2, "pulse_high": 1.0, "pulse_low": 0.0,
                  "pulse_width": 1.5e-5, "period": 5e-5},
    )


EQUATIONS = r"""
**States.** Particle position $x \in [0, 1]$ across the gap (0: in the Ag reservoir, 1: bridging),
hazard clock $h$, temperature $T$.

**Tunnelling current.** $I = G(x)\,V$, $\;G(x) = \dfrac{1}{R_{on}}\,e^{-(1 - x)\ln(R_{off}/R_{on})}$: the
particle closes the tunnelling gap $d = L(1 - x)$ and $G \propto e^{-d/\lambda}$ (Savel'ev et al.), with
$L/\lambda = \ln(R_{off}/R_{on})$ fixed by the two end resistances.

**Drift in the field against the confining potential** (overdamped, $\eta\dot x = -U'(x) + F(V)$):

$\tau_x\,\dot x = \dfrac{|V|}{V_d} - x - k_w\,x\,\theta(x_b - x) \;+\; \tau_x\,W(h)\,p\,\theta(2x_b - x)$

* $-x$: the interfacial (confining) potential, harmonic, $U = \tfrac12 k x^2$, $\tau_x = \eta/k$.  At $V = 0$
  a particle out of the well relaxes as $x(t) = x(0)\,e^{-t/\tau_x}$ and re-enters the reservoir's well at
  $t = \tau_x \ln(x(0)/x_b)$ (volatility); inside the well the stiffer $k_w$ returns it to 0 within
  $\tau_x/(1 + k_w)$.
* $|V|/V_d$: the field force (both polarities switch, as Wang 2017); out of the well the particle settles at
  $x_{ss} = |V|/V_d$, so $|V| > V_d$ bridges the gap.  From $x_b$ it reaches $x$ after
  $\tau_x \ln\dfrac{x_{ss} - x_b}{x_{ss} - x}$ (the drift time).
* $k_w x\,\theta(x_b - x)$: the reservoir's well (a trapped particle sits at $|V|/(V_d(1 + k_w)) < x_b$; it
  cannot leave deterministically below $|V| = V_d (1 + k_w) x_b = 2.1$ V).
* The escape: while the clock is inside an escape window $W(h)$ the particle is pushed
  ($p = 2x_b(1 + k_w)/\tau_x$) over the well's edge to $\approx 2x_b$, within
  $\tau_{esc} = 3\,\tau_x/(1 + k_w)$ (three well relaxation times).

$\theta(z, w) = 1/(1 + e^{-z/w})$ with $w = 0.05\,x_b$ for the well and the push.

**Thermally activated escape (the noise).**
$\dot h = W(h)\,\dfrac{w_{esc}}{\tau_{esc}} + [1 - W(h)]\,\theta(x_b - x)\,r(V, T)$, $\quad
r = \dfrac{k}{1 + k\,\tau_{esc}}$, $\;k = \nu_0 \exp\!\left[-\dfrac{\max(E_a - \alpha |V|, 0)}{k_B T/e}\right]$,

$W(h) = \sum_k \left[\theta(h - th_k, h_w) - \theta(h - th_k - w_{esc}, h_w)\right]$.

The clock integrates the Kramers escape rate $k$ of the particle from the reservoir's well (the escape rate
of an overdamped Langevin particle over a barrier $E_a$, lowered by the field) only while the particle is
trapped.  When it passes $th_k$ it runs through a window of $w_{esc}$ in $\tau_{esc}$, during which the
particle is pushed out; the clock then stops (the particle is out of the well) and resumes when the
particle returns.  With the gaps $th_k - th_{k-1}$ independent Exp(1) variates the escapes are exactly
those of the Poisson process of rate $r$ (a random time change): under a constant bias and temperature
$P(\text{escaped by } t) = 1 - e^{-r t}$.  This is what Jiang et al. identify as the origin of the
stochastic delay (detachment of Ag from the reservoir).

**Seeding.** `circuitsim.models.catalogue.diffusive_particle.seeded_params(seed)` draws the thresholds from
`numpy.random.default_rng(seed)` (cumulative Exp(1) gaps, each later threshold moved up by the clock an
escape uses: $w_{esc} + 6 h_w$).  They are ordinary parameters, so a seed gives the same trajectory in the
ngspice subckt, the Verilog-A module (OSDI) and the Python reference.  No `trnoise` source is used (ngspice
46's is not repeatable by seed).

**Joule heating.** $\tau_{th}\,\dot T = R_{th}\,G(x)\,V^2 - (T - T_{amb})$: in the bridged state at 1 V the
device heats by $R_{th} V^2/R_{on} = 59$ K within $\tau_{th}$, and the next escape (a re-switching within the
same pulse or a pulse soon after) is faster by $e^{(E_a - \alpha|V|)/k_B\,(1/T_{amb} - 1/T)}$.  Before the
first escape the heating is $R_{th} V^2/R_{off} \approx 10^{-4}$ K (negligible).

**What is kept and what is not.**

* The Brownian motion of the particle *out* of the well is replaced by its mean (the drift); the noise is
  kept where it decides the switching time, in the escape from the reservoir.  A sampled Langevin force
  would need thousands of noise samples per run as parameters (or a noise port the model language does not
  have) and a time step far below the well's relaxation time.
* One particle, one gap; no Ag redistribution between the electrodes (no polarity memory), no
  capacitance, no 1/f noise.
* Each instance can escape at most 6 times per run ($th_1 \dots th_6$); the default thresholds $th_k = 2k - 1$
  are the "mean" device (unit gaps plus the unit windows).  The first escape is exact to the step width (it starts when $h$ is within about
  $7 h_w$ of $th_1$, i.e. 0.7 % of a mean gap early); later ones carry the window's exit lag, compensated by
  `seeded_params` to within about $h_w$.
* **Defaults.** $R_{on}$, $R_{off}$ from the public diffusive SPICE testbench (as the `diffusive` device).
  Every other value is a circuitsim choice tagged [M]: the Methods and supplements of Wang 2017 and
  Jiang 2017 (potential, friction, heat capacity, barrier) were not readable here.  They are set to give
  sub-volt switching with an 11.5 us mean escape time at 1 V (300 K), a delay that shortens e-fold per
  $k_B T/\alpha = 61$ mV, and us-scale relaxation ($\tau_x = 10$ us).
* **Standard stimuli.** A 1.15 V, 10 kHz sine (the mean device escapes in the first rise and stays out:
  the bias is near zero too briefly to relax); 1 V, 15 us pulses every 50 us (the mean device escapes after
  10.6 us, passes x = 1/2 within 2 us, relaxes back into the reservoir in the 35 us gap and escapes again in
  the second pulse).  Both keep ngspice's step cap below the well's relaxation time $\tau_x/(1+k_w)$.
"""

DIFFUSIVE_AG = _device()
CATALOGUE = (DIFFUSIVE_AG,)


# -- closed forms of the declared equations (written out by hand, used by the tests and the TRNG) ------------
def escape_rate(v: float, temperature: Optional[float] = None, values: Optional[Dict[str, float]] = None) -> float:
    """Escape rate r(V, T) of a trapped particle (1/s), by hand from the equations (capped Kramers rate, well gate)."""
    p = {**DIFFUSIVE_AG.defaults, **(values or {})}
    t = p["t_amb"] if temperature is None else temperature
    k = p["nu0"] * math.exp(-max(p["ea"] - p["alpha"] * abs(v), 0.0) / (KB_OVER_E * t))
    tau_esc = ESCAPE_WELL_TIMES * p["tau_x"] / (1 + p["kw"])
    x_trapped = abs(v) / (p["vd"] * (1 + p["kw"]))       # where the well holds the particle
    gate = 1 / (1 + math.exp(-(p["xb"] - x_trapped) / (EDGE * p["xb"])))
    return gate * k / (1 + k * tau_esc)


def drift_time(v: float, x_target: float = 0.5, values: Optional[Dict[str, float]] = None) -> float:
    """Time for a particle released at ``2 xb`` to drift to ``x_target`` at constant |V| > x_target vd (s)."""
    p = {**DIFFUSIVE_AG.defaults, **(values or {})}
    x_ss = abs(v) / p["vd"]
    if x_ss <= x_target:
        return math.inf
    return p["tau_x"] * math.log((x_ss - 2 * p["xb"]) / (x_ss - x_target))


def relaxation_time(x_start: float, x_end: float, v_read: float = 0.0,
                    values: Optional[Dict[str, float]] = None) -> float:
    """Time for a particle out of the well to relax from ``x_start`` to ``x_end`` (> xb) at a bias ``v_read`` (s)."""
    p = {**DIFFUSIVE_AG.defaults, **(values or {})}
    x_read = abs(v_read) / p["vd"]
    return p["tau_x"] * math.log((x_start - x_read) / (x_end - x_read))


def escape_duration(v: float = 1.0, values: Optional[Dict[str, float]] = None) -> float:
    """Time the push takes from the trapped position to ``2 xb`` at constant |V| (s), edges taken as sharp.

    Inside the well (x < xb): tau_x dx/dt = |V|/vd + 2 xb (1 + kw) - (1 + kw) x, from |V|/(vd (1 + kw));
    beyond it: tau_x dx/dt = |V|/vd + 2 xb (1 + kw) - x.  Both are linear, each solved by hand.
    """
    p = {**DIFFUSIVE_AG.defaults, **(values or {})}
    xb, kw, tau = p["xb"], p["kw"], p["tau_x"]
    force = abs(v) / p["vd"]
    x_trapped = force / (1 + kw)
    inside = tau / (1 + kw) * math.log(2 * xb / (xb + x_trapped))
    far = force + 2 * xb * (1 + kw)
    return inside + tau * math.log((far - xb) / (far - 2 * xb))


def switching_delay(v: float, gap: float, x_target: float = 0.5, values: Optional[Dict[str, float]] = None
                    ) -> float:
    """Delay from the start of a flat pulse ``v`` until x reaches ``x_target`` for an Exp(1) draw ``gap``.

    Escape when the integrated rate reaches the draw (at ambient temperature: the heating before the
    escape is negligible), then the push (``escape_duration``, which leaves the particle near ``2 xb``) and
    the drift.
    """
    return gap / escape_rate(v, None, values) + escape_duration(v, values) + drift_time(v, x_target, values)


def delay_statistics(v: float, values: Optional[Dict[str, float]] = None) -> Tuple[float, float]:
    """Mean and standard deviation of the switching delay at a flat pulse ``v`` (closed form, s)."""
    r = escape_rate(v, None, values)
    return 1 / r + escape_duration(v, values) + drift_time(v, 0.5, values), 1 / r
