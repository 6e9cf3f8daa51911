"""Phase-change memory (mushroom cell): electro-thermal core, threshold switching, drift, seeded noise: ``pcm``.

One declaration (subckt, Verilog-A, Python reference) of a mushroom-type PCM cell in the picture of the
IBM group (Sebastian et al. 2014; Tuma et al. 2016; the state-equation paper in Sci. Rep. 12 (2022)):

* the state is the effective thickness of the amorphous plug over the heater, ``a`` in [0, 1] (1: the plug
  blocks the bottom electrode, the RESET state), in series with the crystalline rest of the cell;
* the cell temperature ``temp`` follows a lumped heat balance: Joule heating against the loss through
  the thermal resistance to the ambient;
* above the melting temperature the plug grows (melt; it stays amorphous on a fast quench, RESET); below it
  the plug crystallises with a temperature-activated (Arrhenius) growth rate capped at the material's
  largest growth velocity (SET);
* the amorphous plug conducts only weakly (activated transport) until the voltage passes the threshold
  voltage, where it switches to its ON state (threshold switching), so that a SET pulse can heat a
  RESET cell;
* the OFF-state resistance of the plug drifts, ``R(t) = R(t0) (t/t0)^nu``, with ``t`` the time since the
  last programming event, a parameter (``t_drift``) the co-simulation sets per cell and step.

Noise is drawn in Python and reaches all three targets as ordinary parameters (as the MTJ and the
diffusive devices' seeded thresholds): ``eta_prog`` multiplies the crystallisation rate of one programming
pulse (cycle-to-cycle spread of the partial-SET increment, :func:`programming_noise`, seeded by
``(seed, pulse)``), ``eta_read`` is the relative deviation of one read's current (1/f read noise,
:func:`read_noise`, seeded by ``(seed, read)``).
"""

from __future__ import annotations

import math
from typing import Dict, Mapping, Optional, Sequence

import numpy as np
import sympy as sp

from circuitsim.models.language import V, Device, State, greater, param, require, smooth_step, symbol

CHOICE = "circuitsim choice"
BOYBAT = ("I. Boybat, M. Le Gallo, S. R. Nandakumar, T. Moraitis, T. Parnell, T. Tuma, B. Rajendran, Y. Leblebici, "
          "A. Sebastian, E. Eleftheriou, 'Neuromorphic computing with multi-memristive synapses', Nat. Commun. 9, "
          "2514 (2018)")
SCIREP = ("'Experimental validation of state equations and dynamic route maps for phase change memristive "
          "devices', Sci. Rep. 12 (2022), doi:10.1038/s41598-022-09948-6 (figure captions read: amorphous "
          "thickness u_a as state, effective thermal resistance R_th(u_a) from finite elements, crystal growth "
          "velocity v_g(T_int), cell voltage plateau of about 0.8 V in the ON state)")
JOSHI = ("V. Joshi et al., Nat. Commun. 11, 2473 (2020) and S. R. Nandakumar et al., ICECS 2019, as "
         "documented in IBM/aihwkit docs/source/pcm_inference.rst (read): drift exponent mean "
         "min(max(-0.0155 ln g_T + 0.0244, 0.049), 0.1), 1/f read noise sigma/G = Q_s sqrt(ln((t + t_r)/(2 t_r))), "
         "Q_s = min(0.0088 g_T^-0.65, 0.2), t_r = 250 ns")
KHAN = ("R. S. Khan et al., 'Resistance drift in Ge2Sb2Te5 phase change memory line cells at low temperatures', "
        "abstract (read): drift coefficients 0.07-0.11 in the dark, ~0.1 commonly observed at and above room "
        "temperature")
BOYBAT_NVMTS = ("I. Boybat et al., 'Impact of conductance drift on multi-PCM synaptic architectures', NVMTS 2018, "
                "abstract (read): drift is re-initialised by even a partial SET pulse, whatever the drift before; "
                "the drift coefficient depends on the conductance")
EISING = ("G. Eising, T. Van Damme, B. J. Kooi, Cryst. Growth Des. (2014), abstract (read): GeSb crystal growth "
          "from ~380 K (glass transition) to 880 K (melting), up to 15 m/s near the melting point")
OVSHINSKY = "S. R. Ovshinsky, Phys. Rev. Lett. 21, 1450 (1968) (threshold switching of amorphous chalcogenides)"

#: Boltzmann constant over the elementary charge (V/K): k_B T / e in volts, so energies are in eV.
KB_OVER_E = 1.380649e-23 / 1.602176634e-19

a, temp = symbol("a"), symbol("temp")
(r_c, r_am, r_on, v_th, w_th, ea_c, nu, t0, t_drift, t_amb, r_th, tau_th, t_m, dt_m, tau_melt, kg0, ea_g,
 kg_max, eta_prog, eta_read) = (
    symbol(n) for n in ("r_c", "r_am", "r_on", "v_th", "w_th", "ea_c", "nu", "t0", "t_drift", "t_amb", "r_th",
                        "tau_th", "t_m", "dt_m", "tau_melt", "kg0", "ea_g", "kg_max", "eta_prog",
                        "eta_read"))

#: Drift factor of the amorphous OFF-state resistance, (t/t0)^nu with t = max(t_drift, t0) (a parameter).
DRIFT = (sp.Max(t_drift, t0) / t0) ** nu
#: Activated transport of the amorphous phase: its conductance rises as exp(-ea_c/(k T)) from T_amb.
ACTIVATION = sp.exp(ea_c / KB_OVER_E * (1 / t_amb - 1 / temp))
#: Threshold switching: the ON fraction of the plug, a logistic in |V| at v_th.
ON = smooth_step(sp.Abs(V) - v_th, w_th)
#: Conductance of the full plug (a = 1): OFF (activated, drifting) in parallel with its ON state.
G_PLUG = ACTIVATION / (r_am * DRIFT) + ON / r_on
#: Cell resistance: crystalline part in series with a plug of relative thickness a.
RESISTANCE = r_c + a / G_PLUG
CURRENT = (1 + eta_read) * V / RESISTANCE
#: Melting weight: 1 above t_m.
MELT = smooth_step(temp - t_m, dt_m)
#: Crystallisation rate (1/s): Arrhenius, capped at kg_max (the largest growth velocity over the plug), none above t_m.
ARRHENIUS = kg0 * sp.exp(-ea_g / (KB_OVER_E * temp))
GROWTH = eta_prog * ARRHENIUS / (1 + ARRHENIUS / kg_max) * (1 - MELT)

EQUATIONS = r"""
**States.** Relative thickness of the amorphous plug over the heater $a \in [0, 1]$ (1: the RESET state, the
plug blocks the bottom electrode; 0: fully crystalline, SET) and the cell temperature $T$ (K).

**Current.** The crystalline part of the cell ($R_c$) in series with the plug:

$I = (1 + \eta_{read})\,\dfrac{V}{R}$, $\quad R = R_c + \dfrac{a}{G_p}$, $\quad
G_p = \dfrac{e^{(E_c/k_B)(1/T_{amb} - 1/T)}}{R_{am}\,D} + \dfrac{\theta(|V| - V_{th},\, w_{th})}{R_{on}}$,
$\quad D = \left(\dfrac{\max(t_{drift}, t_0)}{t_0}\right)^{\nu}$,

with $\theta(z, w) = 1/(1 + e^{-z/w})$.  The OFF state of the amorphous phase conducts by activated transport
($E_c$); above the threshold voltage the plug switches to its ON state $R_{on}$ (threshold switching,
Ovshinsky 1968), which is what lets a SET pulse heat a RESET cell: at $|V| < V_{th}$ a RESET cell carries
$V/(R_c + R_{am})$ and barely warms.  The switching is a function of the instantaneous $|V|$ (no snapback or
holding voltage: driven by a voltage source without series resistance a cell cannot show them).

**Drift.** The OFF-state resistance of the amorphous phase drifts as $R_{am}(t) = R_{am}(t_0)(t/t_0)^{\nu}$,
$t$ the time since the last programming event.  $t$ is the parameter `t_drift`, set per cell by whoever
runs the cell (the co-simulation): the model keeps no clock of its own, a drift over seconds to years cannot
be a state of a nanosecond transient.  A fresh cell has `t_drift` $\le t_0$ ($D = 1$).  Only the plug drifts,
so the read resistance drifts with the effective exponent
$\nu_{eff} = \nu\,\dfrac{a R_{am} D}{R_c + a R_{am} D}$ (at read bias and ambient temperature): $\nu$ for a
RESET cell, less for partially SET cells, none for a fully crystalline one, the trend of the measured drift
exponents with the conductance (Joshi 2020; Boybat NVMTS 2018).

**Heat balance.** $\tau_{th}\,\dot T = R_{th}(a)\,V I - (T - T_{amb})$, $\quad R_{th}(a) = R_{th}\,(f_{th} + (1 -
f_{th})\,a)$: a thicker plug insulates the hot spot better (the effective thermal resistance grows with the
amorphous thickness, Sci. Rep. 2022 Fig. 4a, here linearised).

**Phase change.**
$\dot a = \dfrac{1 - a}{\tau_{melt}}\,\theta(T - T_m,\, \Delta T_m) \;-\; \eta_{prog}\,k_g(T)\,\left[1 - \theta(T - T_m,
\Delta T_m)\right] a^2$, $\quad k_g = \dfrac{k_A}{1 + k_A/k_{max}}$, $\; k_A = k_{g0}\,e^{-E_g/(k_B T)}$.

* **Melt-quench (RESET).** Above $T_m$ the molten region grows to the full plug within $\tau_{melt}$; on a
  fast quench the cell cools through the growth window within a few $\tau_{th}$ and the melt freezes
  amorphous.  The capped rate $k_{max}$ (the largest growth velocity over the plug thickness) bounds what
  crystallises during the quench: $\int k_g\,dt$ over the fall.  A slow trailing edge (microseconds) lets the
  plug recrystallise on the way down: the SET-by-slow-quench of the pulse-shape dependence.
* **Crystal growth (SET).** Below $T_m$ the plug crystallises from its crystalline rim with the Arrhenius
  rate $k_A$ (effective activation energy $E_g$), capped at $k_{max}$.  The factor $a^2$ is the growth
  velocity's slowdown as the plug thins (a thinner plug has a colder interface at the same power, the
  $R_{th}(u_a)$ effect of the IBM state equations, taken to first order: $v \propto u_a$).  It makes a train of
  identical partial-SET pulses give $a_n = a_0/(1 + a_0 n\,\eta k_g w)$: a conductance $1/(R_c + R_{am} a_n)$ that
  rises about linearly with the pulse number and then saturates at $1/R_c$, with increments that shrink as $G$
  grows (as the measured partial-SET responses, Boybat 2018 Fig. 2; Nandakumar 2018).
* **Programming noise.** $\eta_{prog}$ multiplies the growth rate of one pulse: the cycle-to-cycle spread of
  the partial-SET increment.  `circuitsim.models.catalogue.pcm.programming_noise(seed, pulse)` draws it as a
  log-normal of mean 1 and log-spread `PROGRAMMING_SPREAD` from `numpy.random.default_rng((seed, pulse))`;
  the co-simulation passes it as the parameter of that pulse's step, so a seed gives the same trajectory in
  the subckt, the Verilog-A (OSDI) and the Python reference.
* **Read noise.** $\eta_{read}$ is the relative deviation of one read.  `pcm.read_noise(seed, read, g,
  t_since)` draws it from the 1/f model parameterised by Joshi et al. 2020 ($S_G/G^2 = Q/f$, integrated over
  the read bandwidth: $\sigma/G = Q_s\sqrt{\ln((t + t_r)/(2 t_r))}$, $Q_s = \min(0.0088\,g_T^{-0.65}, 0.2)$,
  $g_T = G/g_{max}$, $t_r = 250$ ns); it multiplies the current, so set it only on read steps (0 on
  programming steps, the default).

**Defaults and what follows from them** (closed forms in `pcm.figures()`): read resistance 10 kOhm SET,
1.01 MOhm RESET (ratio 101, two orders of magnitude); RESET pulse 1.6 V, 50 ns, 1 ns edges: the cell melts
($T \approx 1320$ K) and freezes amorphous (the quench leaves $a \approx 0.95$, read ratio about 96); the same
melt with a 100 ns or 300 ns fall recrystallises to read ratios of about 37 and 17; SET pulse 1.1 V, 50 ns: ON
state, $T \approx 780$ K; a train of SET pulses from RESET raises $G$ from 1 uS to 2.6 uS after the first and
35.6 uS after the twentieth pulse (increments shrinking from 2.2 to 1.2 uS), saturating towards 100 uS; with
programming noise the spread over 50 seeds is 1.2 uS after pulse 1 and about 4 uS from pulse 8 on;
retention: $1/k_g$ at 85 C is about 5000 years.

**What is not modelled.** Nucleation (only growth from the rim), the shape of the mushroom (one thickness),
the field and temperature dependence of the threshold voltage and its drift, snapback and the holding voltage,
the temperature dependence of the drift and its onset (drift before $t_0$), thermoelectric effects, the
recovery of drift by partial crystallisation beyond the reset of $t$, device-to-device variability (draw
parameters per cell for it), the measured $\nu$ spread across cells (Joshi 2020: $\sigma_\nu$ 0.008-0.045).
"""


def _device() -> Device:
    return Device(
        name="pcm",
        title="Phase-change memory (mushroom cell): Joule heating, melt-quench and Arrhenius crystal growth of the "
              "amorphous plug, threshold switching, amorphous drift, seeded programming and read noise",
        ports=("p", "n"),
        params=(
            param("r_c", 1e4, "ohm", "read resistance of the fully crystalline (SET) cell",
                  f"{CHOICE} [M]: 100 uS SET conductance, the order of mushroom cells' (Joshi 2020's g_max is "
                  "25 uS after iterative programming)", positive=True),
            param("r_am", 1e6, "ohm", "OFF-state resistance of the full amorphous plug at T_amb and t0",
                  f"{CHOICE} [M]: RESET/SET read ratio ~100, two orders of magnitude as usually quoted for "
                  "PCM; the ratio of the devices of " + BOYBAT + " was not read", positive=True),
            param("r_on", 1e3, "ohm", "ON-state resistance of the full plug after threshold switching",
                  f"{CHOICE}: small against r_c, so the programming power is set by r_c and the amplitude",
                  positive=True),
            param("v_th", 0.8, "V", "threshold voltage of the amorphous plug",
                  f"{CHOICE} [M]: the ON-state cell voltage plateaus near 0.8 V in {SCIREP}; the threshold "
                  "itself (~1 V typical) was not read", positive=True),
            param("w_th", 0.02, "V", "width of the threshold switching (logistic scale)",
                  f"{CHOICE}: sharp against v_th, smooth enough for the integrators", positive=True),
            param("ea_c", 0.3, "eV", "activation energy of the amorphous OFF-state conduction",
                  f"{CHOICE} [M]: ~0.3 eV, the order reported for amorphous Ge2Sb2Te5 (not re-read)",
                  minimum=0.0),
            param("nu", 0.1, "", "drift exponent of the amorphous OFF-state resistance",
                  f"{KHAN}; {JOSHI}: 0.1 for the low-conductance (most amorphous) states; memtorch's "
                  "implementation of Boybat NVMTS 2018 uses 0.1", minimum=0.0, maximum=0.5),
            param("t0", 1e-6, "s", "reference time of the drift (r_am is the resistance t0 after programming)",
                  f"{CHOICE} [M]: drift taken to start 1 us after the quench; the measured onset (Sarwat et al.) "
                  "was not read", positive=True),
            param("t_drift", 1e-6, "s", "time since the last programming event (set per cell by the co-simulation)",
                  f"{CHOICE}: t0, a freshly programmed cell (no drift)", positive=True),
            param("t_amb", 300.0, "K", "ambient temperature", f"{CHOICE}: room temperature", positive=True),
            param("r_th", 4e6, "K/W", "effective thermal resistance with the full plug (a = 1)",
                  f"{CHOICE} [M]: MK/W scale of nanoscale cells ({SCIREP} Fig. 4a, values not read); "
                  "110 uW (1.1 V SET) heat a RESET cell to 740 K", positive=True),
            param("tau_th", 1e-9, "s", "thermal time constant", f"{CHOICE} [M]: ns, the thermal time of nanoscale "
                  "PCM cells (programming pulses of tens of ns reach steady state)", positive=True),
            param("t_m", 900.0, "K", "melting temperature of the phase-change material",
                  f"{CHOICE} [M]: Ge2Sb2Te5 melts near 900 K (not re-read); {EISING}: 880 K for GeSb",
                  positive=True),
            param("dt_m", 5.0, "K", "width of the melting transition (logistic scale)",
                  f"{CHOICE}: sharp against t_m - t_amb", positive=True),
            param("tau_melt", 1e-9, "s", "time for the melt to fill the plug above t_m",
                  f"{CHOICE} [M]: ns melting of nanoscale cells", positive=True),
            param("kg0", 9.2e23, "1/s", "prefactor of the Arrhenius crystallisation rate",
                  f"{CHOICE}: with ea_g, a rate of 2e8/s at 740 K (the SET pulse's temperature), i.e. about "
                  "20 partial-SET pulses of 50 ns from RESET to near SET; a fit constant, not an attempt "
                  "frequency (the fragile growth kinetics are steeper than any physical prefactor)",
                  positive=True),
            param("ea_g", 2.5, "eV", "effective activation energy of crystal growth",
                  f"{CHOICE} [M]: the ~2.3-2.6 eV retention activation energy usually quoted for Ge2Sb2Te5 "
                  "(not re-read); gives 10-year retention far above 85 C", positive=True),
            param("kg_max", 3e8, "1/s", "largest crystallisation rate (top growth velocity / plug thickness)",
                  f"{CHOICE} [M]: ~5 m/s over a ~50 nm plug; {EISING}: up to 15 m/s near melting for GeSb",
                  positive=True),
            param("eta_prog", 1.0, "", "programming-noise factor of this pulse's crystallisation rate",
                  f"{CHOICE}: 1, the mean pulse; seeded ones from pcm.programming_noise(seed, pulse)",
                  positive=True),
            param("eta_read", 0.0, "", "read-noise relative deviation of this read's current",
                  f"{CHOICE}: 0, noiseless; seeded ones from pcm.read_noise(seed, read, g, t_since) ({JOSHI})",
                  minimum=-0.9, maximum=0.9),
            param("a0", 1.0, "", "initial amorphous plug thickness (1 = RESET, 0 = SET)",
                  f"{CHOICE}: a RESET cell", minimum=0.0, maximum=1.0),
            param("temp0", 300.0, "K", "initial temperature", f"{CHOICE}: ambient", positive=True),
            param("t_max", 2000.0, "K", "ceiling of the lumped temperature (the rate fades there)",
                  f"{CHOICE}: room above the RESET peak (~1300 K)", positive=True),
        ),
        states=(
            State("a", 0.0, 1.0, "a0", "", "relative thickness of the amorphous plug (1 RESET, 0 SET)"),
            State("temp", 100.0, "t_max", "temp0", "K", "cell (hot-spot) temperature"),
        ),
        current=CURRENT,
        rates={
            "a": (1 - a) / tau_melt * MELT - GROWTH * a ** 2,
            "temp": (r_th * V * CURRENT - (temp - t_amb)) / tau_th,
        },
        reference=f"{BOYBAT}; {SCIREP}; drift and read noise as parameterised by {JOSHI}",
        equations=EQUATIONS + FIGURE_NOTE,
        checks=(
            greater("r_am", "r_c"),
            greater("t_m", "t_amb"),
            require(lambda v: v["t_max"] >= v["t_m"] + 20 * v["dt_m"],
                    "parameter 't_max' must be at least t_m + 20 dt_m (room for the melt)"),
        ),
        stimulus={"amplitude": 1.6, "frequency": 1e7, "cycles": 2, "pulse_high": 1.1, "pulse_low": 0.0,
                  "pulse_width": 5e-8, "period": 2e-7},
    )


FIGURE_NOTE = r"""

**Partial-SET response and its spread** (`docs/models/pcm_set_train.png`, written by
`pcm.write_set_train_figure`; Python reference, each pulse its own run with the states carried over, as the
co-simulation does): conductance read at 0.2 V after each 1.1 V, 50 ns pulse from RESET, mean and 10-90 %
band over 50 seeds of the programming noise, with the noiseless cell.

![partial-SET train](pcm_set_train.png)

**Standard stimuli.** A 1.6 V, 10 MHz sine: each half-wave switches the plug ON at 0.8 V, melts it near the
peak and lets it recrystallise on the slow (25 ns) fall; 1.1 V, 50 ns SET pulses every 200 ns from RESET.
"""

PCM = _device()
CATALOGUE = (PCM,)

#: Log-normal spread (standard deviation of ln eta_prog) of the programming noise.
#: circuitsim choice [M]: the partial-SET increments of PCM spread about as much as their mean (Boybat 2018
#: Fig. 2; Nandakumar 2018); the published ratio was not read.
PROGRAMMING_SPREAD = 0.6

#: Read-noise constants of the 1/f model (Joshi et al. 2020 via IBM/aihwkit docs, read): t_read (s), g_max (S).
READ_TIME = 250e-9
READ_G_MAX = 25e-6


def programming_noise(seed: int, pulse: int, spread: float = PROGRAMMING_SPREAD) -> Dict[str, float]:
    """``{"eta_prog": ...}`` of one programming pulse, seeded by ``(seed, pulse)``.

    A log-normal factor of mean 1 on the crystallisation rate, ``exp(s z - s^2/2)`` with ``z`` a standard
    normal from ``numpy.random.default_rng((seed, pulse))``: the same ``(seed, pulse)`` gives the same draw in
    any order, so a co-simulation can draw pulse ``k`` of cell ``seed`` when it applies it.

    Parameters
    ----------
    seed
        The cell's seed (non-negative).
    pulse
        The index of the programming pulse on that cell (non-negative).
    spread
        Standard deviation ``s`` of ``ln eta_prog``.
    """
    z = np.random.default_rng((int(seed), int(pulse))).standard_normal()
    return {"eta_prog": float(math.exp(spread * z - spread ** 2 / 2))}


def read_noise_sigma(g: float, t_since: float, t_read: float = READ_TIME, g_max: float = READ_G_MAX) -> float:
    """Relative standard deviation of one read's conductance (1/f noise, Joshi et al. 2020).

    ``Q_s sqrt(ln((t + t_read)/(2 t_read)))`` with ``Q_s = min(0.0088 (g/g_max)^-0.65, 0.2)``; 0 for
    ``t_since <= t_read``.

    Parameters
    ----------
    g
        The cell's conductance (S).
    t_since
        Time since programming (s): the noise bandwidth runs from ``1/t_since`` to ``1/(2 t_read)``.
    t_read
        Duration of the read (s).
    g_max
        Conductance the published fit is normalised to (S).
    """
    q_s = min(0.0088 / max(g / g_max, 1e-12) ** 0.65, 0.2)
    return q_s * math.sqrt(max(math.log((t_since + t_read) / (2 * t_read)), 0.0))


def read_noise(seed: int, read: int, g: float, t_since: float, t_read: float = READ_TIME,
               g_max: float = READ_G_MAX) -> Dict[str, float]:
    """``{"eta_read": ...}`` of one read, seeded by ``(seed, read)``: a Gaussian of :func:`read_noise_sigma`.

    Clipped to the parameter's range [-0.9, 0.9].  ``read`` should not reuse a pulse index of
    :func:`programming_noise` with the same seed if both are drawn (offset one of them, e.g. by 10**9).
    """
    z = np.random.default_rng((int(seed), int(read), 1)).standard_normal()
    return {"eta_read": float(np.clip(z * read_noise_sigma(g, t_since, t_read, g_max), -0.9, 0.9))}


def drift_factor(t_since: float, values: Optional[Mapping[str, float]] = None) -> float:
    """``(max(t_since, t0)/t0)^nu``: the factor on the amorphous OFF-state resistance."""
    p = {**PCM.defaults, **(values or {})}
    return (max(t_since, p["t0"]) / p["t0"]) ** p["nu"]


def read_resistance(a_value: float, t_since: Optional[float] = None, v_read: float = 0.2,
                    values: Optional[Mapping[str, float]] = None) -> float:
    """Read resistance (ohm) at ambient temperature, by hand from the equations (no read noise).

    ``t_since`` overrides the parameter ``t_drift``.
    """
    p = {**PCM.defaults, **(values or {})}
    if t_since is not None:
        p["t_drift"] = t_since
    on = 1 / (1 + math.exp(-(abs(v_read) - p["v_th"]) / p["w_th"]))
    g_plug = 1 / (p["r_am"] * drift_factor(p["t_drift"], p)) + on / p["r_on"]
    return p["r_c"] + a_value / g_plug


def growth_rate(temperature: float, values: Optional[Mapping[str, float]] = None) -> float:
    """Capped Arrhenius crystallisation rate k_g(T) below the melt (1/s), without eta_prog."""
    p = {**PCM.defaults, **(values or {})}
    k = p["kg0"] * math.exp(-p["ea_g"] / (KB_OVER_E * temperature))
    return k / (1 + k / p["kg_max"])


def effective_drift_exponent(a_value: float, t_since: float, values: Optional[Mapping[str, float]] = None) -> float:
    """d ln R_read / d ln t at ``t_since``: ``nu a R_am D / (R_c + a R_am D)`` (below v_th, at T_amb)."""
    p = {**PCM.defaults, **(values or {})}
    plug = a_value * p["r_am"] * drift_factor(t_since, p)
    return p["nu"] * plug / (p["r_c"] + plug) if t_since > p["t0"] else 0.0


def pulse_energy(t: Sequence[float], v: Sequence[float], i: Sequence[float]) -> float:
    """Energy delivered to the cell (J): the trapezoidal integral of ``v i`` over ``t``."""
    t, p = np.asarray(t, dtype=float), np.asarray(v, dtype=float) * np.asarray(i, dtype=float)
    return float(np.sum((p[1:] + p[:-1]) * np.diff(t)) / 2)


def set_temperature(v: float, a_value: float = 1.0, values: Optional[Mapping[str, float]] = None) -> float:
    """Steady temperature under a constant bias ``v`` (K), by fixed-point iteration of the heat balance.

    ``T = T_amb + r_th v^2 / R(a, v, T)``, with ``R`` the cell resistance at that temperature (the
    activated OFF-state conduction of the plug rises with T).
    """
    p = {**PCM.defaults, **(values or {})}
    on = 1 / (1 + math.exp(-(abs(v) - p["v_th"]) / p["w_th"]))
    t = p["t_amb"]
    for _ in range(200):
        activation = math.exp(p["ea_c"] / KB_OVER_E * (1 / p["t_amb"] - 1 / t))
        g_plug = activation / (p["r_am"] * drift_factor(p["t_drift"], p)) + on / p["r_on"]
        t = 0.5 * t + 0.5 * (p["t_amb"] + p["r_th"] * v ** 2 / (p["r_c"] + a_value / g_plug))
    return t


def figures(values: Optional[Mapping[str, float]] = None) -> Dict[str, float]:
    """Closed-form figures of the defaults: read resistances, RESET/SET ratio, SET and RESET temperatures,
    the growth rate at the SET temperature and the retention time (1/k_g) at 85 C."""
    p = {**PCM.defaults, **(values or {})}
    r_set, r_reset = read_resistance(0.0, values=p), read_resistance(1.0, values=p)
    t_set = set_temperature(PCM.stimulus["pulse_high"], 1.0, p)
    return {"r_set": r_set, "r_reset": r_reset, "ratio": r_reset / r_set, "t_set": t_set,
            "t_reset": set_temperature(RESET_AMPLITUDE, 0.0, p), "k_set": growth_rate(t_set, p),
            "retention_85c": 1 / growth_rate(358.15, p)}


#: The RESET pulse of the tests and the datasheet (V): 1.6 V, 50 ns, 1 ns edges.
RESET_AMPLITUDE = 1.6


def set_train(seed: Optional[int], pulses: int, amplitude: float = 1.1, width: float = 5e-8,
              values: Optional[Mapping[str, float]] = None, rtol: float = 1e-7) -> np.ndarray:
    """Read conductance (S) after each of ``pulses`` partial-SET pulses from the initial state (Python reference).

    Each pulse is its own run (1 ns edges, then as long again at 0 V to cool), the states carried over, and
    pulse ``k`` gets :func:`programming_noise` ``(seed, k)`` (``seed=None``: the noiseless cell).  The read is
    the closed form :func:`read_resistance` at ``t_drift`` (no read noise).
    """
    from circuitsim.analysis.devices import Stimulus, simulate_python

    p = {**PCM.defaults, **(values or {})}
    stimulus = Stimulus.pulse(0.0, amplitude, width=width, period=2 * width, cycles=1, edge=1e-9)
    state = {"a0": p["a0"], "temp0": p["temp0"]}
    out = []
    for k in range(pulses):
        noise = programming_noise(seed, k) if seed is not None else {"eta_prog": 1.0}
        run = simulate_python(PCM, stimulus, {**(values or {}), **state, **noise}, rtol=rtol)
        state = {"a0": float(np.clip(run.states["a"][-1], 0.0, 1.0)), "temp0": float(run.states["temp"][-1])}
        out.append(1 / read_resistance(state["a0"], values=p))
    return np.array(out)


def write_set_train_figure(path, seeds: int = 50, pulses: int = 20) -> Dict[str, np.ndarray]:
    """Plot the partial-SET response (mean, 10-90 % band over ``seeds``, the noiseless cell) into ``path``.

    Returns the noiseless curve and the seeded ones (``{"mean_cell": ..., "seeded": (seeds, pulses)}``).
    """
    from circuitsim.plotting import new_figure, save_figure

    mean_cell = set_train(None, pulses)
    seeded = np.array([set_train(s, pulses) for s in range(seeds)])
    n = np.arange(1, pulses + 1)
    fig = new_figure(figsize=(6, 3.8))
    ax = fig.subplots()
    lo, hi = np.percentile(seeded, [10, 90], axis=0)
    ax.fill_between(n, lo * 1e6, hi * 1e6, alpha=0.3, label=f"10-90 % of {seeds} seeds")
    ax.plot(n, seeded.mean(axis=0) * 1e6, "o-", label="mean over seeds")
    ax.plot(n, mean_cell * 1e6, "k--", label="noiseless cell (eta_prog = 1)")
    ax.set_xlabel("partial-SET pulse number (1.1 V, 50 ns)")
    ax.set_ylabel("read conductance [uS]")
    ax.set_title("pcm: partial-SET train from RESET")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
    return {"mean_cell": mean_cell, "seeded": seeded}
