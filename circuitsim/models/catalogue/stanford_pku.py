"""Stanford-PKU RRAM model (Jiang, Yu, Wong et al.), NEEDS v1.0.0: the deterministic core.

One state, the tunnelling gap g between the conductive filament's tip and the
electrode.  The Joule heating T = T0 + |V I| Rth is algebraic in the original
(no thermal capacitance), so it is written here in terms of V and g directly.
The variability term of the original (a Gaussian kick, ``model_switch = 1``)
is a white-noise input (:class:`circuitsim.models.language.Noise`), off by
default (``dg0 = 0``): ngspice draws it with a ``trnoise`` source; the Python
reference and the Verilog-A module carry the deterministic part.
"""

from __future__ import annotations

import sympy as sp

from circuitsim.models.language import V, Device, Noise, State, greater, param, require, smooth_step, symbol

JIANG_2016 = "Z. Jiang et al., IEEE Trans. Electron Devices 63, 1884 (2016)"
NEEDS = ("Stanford-PKU RRAM model v1.0.0 (Jiang, Yu, Wong), NEEDS/nanoHUB, doi:10.4231/D37H1DN48, "
         "rram_v_1_0_0.va defaults and quick guide Table 3")
CHOICE = "circuitsim choice (smooth form of the original's hard threshold)"

#: Boltzmann constant over the elementary charge (V/K), exact in the 2019 SI (1.380649e-23 / 1.602176634e-19).
KB_OVER_Q = 1.380649e-23 / 1.602176634e-19
#: The unit of the gap in the original's gamma = gamma0 - beta (g / 1 nm)^3.
NM = 1e-9
#: Width (V) of the smooth switch between gamma0 (V > 0) and gamma0_reset (V < 0).
GAMMA_SWITCH_WIDTH = 1e-3

g = symbol("g")
(g0, v0, i0, nu0, beta, gamma0, gamma0_reset, ea, a0, t0, f_min, f_width, rth, tox, dg0, t_crit, t_smth) = (
    symbol(n) for n in ("g0", "v0", "i0", "nu0", "beta", "gamma0", "gamma0_reset", "ea", "a0", "t0", "f_min",
                        "f_width", "rth", "tox", "dg0", "t_crit", "t_smth"))
VARIABILITY = Noise("g", "noise_dt", "cycle-to-cycle variability of the gap (model_switch = 1 of the original)")

#: Tunnelling current through the gap.
CURRENT = i0 * sp.exp(-g / g0) * sp.sinh(V / v0)
#: Local temperature.  V I = V I0 exp(-g/g0) sinh(V/V0) >= 0 for every V (sinh is odd), so |V I| = V I exactly.
TEMPERATURE = t0 + rth * V * CURRENT
#: Field-enhancement factor: gamma0 for V > 0, gamma0_reset (the file's hard-coded 16) for V < 0.
GAMMA_BASE = gamma0 + (gamma0_reset - gamma0) * smooth_step(-V, GAMMA_SWITCH_WIDTH)
GAMMA_RAW = GAMMA_BASE - beta * (g / NM) ** 3
#: The original sets gamma = 0 when gamma |V| / tox < F_min; here a logistic gate of width f_width.
GAMMA = GAMMA_RAW * smooth_step(GAMMA_RAW * sp.Abs(V) / tox - f_min, f_width)
#: Gap rate: field-assisted, thermally activated oxygen-vacancy migration (positive V closes the gap: SET).
RATE = -nu0 * sp.exp(-ea / (KB_OVER_Q * TEMPERATURE)) * sp.sinh(GAMMA * a0 * V / (tox * KB_OVER_Q * TEMPERATURE))
#: Variability: a Gaussian rate kick that switches on as the filament heats past T_crit (0 unless dg0 > 0).
RATE_NOISE = dg0 * VARIABILITY.symbol / (1 + sp.exp((t_crit - TEMPERATURE) / t_smth))

EQUATIONS = r"""
Current and gap (NEEDS v1.0.0, Jiang et al. 2016):

$I = I_0\, e^{-g/g_0} \sinh(V/V_0)$,

$\dot g = -\nu_0\, e^{-E_a/(k_B T/q)} \sinh\!\big(\gamma\, a_0 V / (t_{ox}\, k_B T/q)\big)$, with $g$ bounded to
$[g_{min}, g_{max}]$;

$T = T_0 + |V I|\, R_{th} = T_0 + R_{th}\, I_0\, e^{-g/g_0}\, V \sinh(V/V_0)$ (algebraic: $V\sinh(V/V_0) \ge 0$,
so the absolute value is exact without `abs`);

$\gamma_b = \gamma_0 + (\gamma_{0,reset} - \gamma_0)\,\theta(-V;\ 1\,\mathrm{mV})$,
$\quad \hat\gamma = \gamma_b - \beta\,(g / 1\,\mathrm{nm})^3$,
$\quad \gamma = \hat\gamma\; \theta(\hat\gamma |V| / t_{ox} - F_{min};\ w_F)$,

where $\theta(z; w) = 1/(1 + e^{-z/w})$.

Choices and differences from the original Verilog-A:

* The temperature uses the model current itself (the file reads the branch current `I(TE,BE)` of the
  previous evaluation); substituted, $T$ is a function of $V$ and $g$ only.
* The file forces $\gamma_0 = 16$ for $V < 0$: kept as the parameter `gamma0_reset` (default 16), switched by
  a logistic step of width 1 mV.  With the default $\gamma_0 = 16$ it changes nothing.  Even otherwise the
  switch sits inside the field gate's dead band ($|V| < F_{min} t_{ox}/\hat\gamma \approx 1$ V), so its
  width does not matter.
* The file sets $\gamma = 0$ when $\gamma |V| / t_{ox} < F_{min}$: here a logistic gate of width
  `f_width` = 1.4e7 V/m (1 % of $F_{min}$), i.e. about 10 mV in voltage at $\gamma = 16$, $t_{ox}$ = 12 nm,
  or 0.02 nm in gap at the RESET stall of -1.3 V ($\hat\gamma |V|/t_{ox} = F_{min}$ at $g$ = 1.57 nm):
  both far below the model's own scales $V_0$ = 0.25 V and $g_0$ = 0.25 nm.
* The file clamps $g$ after `idt` (the integrator winds up past the bound); here the language's smooth rate
  bound replaces the clamp (a SET rate fades out at $g_{min}$, a RESET rate at $g_{max}$), and the physics
  sees $g$ clamped to $[g_{min}, g_{max}]$.
* The variability term $\delta g = N(0,1)\,\delta g_0/(1 + e^{(T_{crit} - T)/T_{smth}})$ (`model_switch` = 1)
  is added to $\dot g$ with $N(0,1)$ a unit white noise sampled every `noise_dt` (ngspice `trnoise`; ngspice 46 seeds it
  itself, so runs are not repeatable by seed).  It is off by default (`dg0` = 0; the original's value when switched on is
  0.02, read here in nm/ns = m/s like $\nu_0$).  ngspice puts a breakpoint at every noise sample, so
  `noise_dt` defaults to 1 s (no cost) and must be set (e.g. to the original's 1 ns `time_step`) when
  `dg0` > 0; the Python reference and the Verilog-A module carry the deterministic part only.
* `$bound_step(time_step)` (1 ns) is a numerical setting of the original, not part of the model: the
  simulation's own step cap plays that role.
* $k_B/q$ is the exact 2019-SI value.  $E_a$ is in eV (as in the original).
"""

STANFORD_PKU = Device(
    name="stanford_pku",
    title="Stanford-PKU RRAM (NEEDS v1.0.0), deterministic gap model with algebraic Joule heating",
    ports=("p", "n"),
    params=(
        param("g0", 0.25e-9, "m", "characteristic length of the tunnelling current", NEEDS, positive=True),
        param("v0", 0.25, "V", "characteristic voltage of the tunnelling current", NEEDS, positive=True),
        param("i0", 1e-3, "A", "current prefactor", NEEDS, positive=True),
        param("nu0", 10.0, "m/s", "attempt velocity of the gap change (Vel0)", NEEDS + " (nm/ns = m/s)",
              positive=True),
        param("beta", 0.8, "", "gap dependence of the field-enhancement factor", NEEDS, minimum=0.0),
        param("gamma0", 16.0, "", "field-enhancement factor at zero gap (V > 0)", NEEDS, positive=True),
        param("gamma0_reset", 16.0, "", "field-enhancement factor at zero gap for V < 0 (hard-coded in the file)",
              NEEDS + " (rram_v_1_0_0.va: gamma_ini = 16 if Vtb < 0)", positive=True),
        param("ea", 0.6, "eV", "activation energy of vacancy generation", NEEDS, positive=True),
        param("a0", 0.25e-9, "m", "atomic hopping distance", NEEDS, positive=True),
        param("t0", 298.0, "K", "ambient temperature (T_ini)", NEEDS, positive=True),
        param("f_min", 1.4e9, "V/m", "minimum field for gap change", NEEDS, minimum=0.0),
        param("f_width", 1.4e7, "V/m", "width of the smooth field gate (1 % of F_min)", CHOICE, positive=True),
        param("g_min", 0.2e-9, "m", "smallest gap (LRS)", NEEDS, positive=True),
        param("g_max", 1.7e-9, "m", "largest gap (HRS)", NEEDS, positive=True),
        param("g_ini", 0.2e-9, "m", "initial gap (default: LRS, g_min)", NEEDS, positive=True),
        param("rth", 2.1e3, "K/W", "effective thermal resistance", NEEDS, minimum=0.0),
        param("tox", 12e-9, "m", "oxide thickness", NEEDS, positive=True),
        param("dg0", 0.0, "m/s", "variability amplitude (0: deterministic; the original uses 0.02 nm/ns)", NEEDS,
              minimum=0.0),
        param("t_crit", 450.0, "K", "temperature above which the variability switches on", NEEDS, positive=True),
        param("t_smth", 500.0, "K", "width of that switch-on", NEEDS, positive=True),
        param("noise_dt", 1.0, "s", "sampling interval of the variability noise (set e.g. 1e-9 with dg0 > 0)",
              "circuitsim choice (the original samples every time_step = 1 ns)", positive=True),
    ),
    states=(State("g", "g_min", "g_max", "g_ini", "m", "tunnelling gap between filament tip and electrode"),),
    current=CURRENT,
    rates={"g": RATE + RATE_NOISE},
    reference=f"{JIANG_2016}; {NEEDS}",
    equations=EQUATIONS,
    checks=(greater("g_max", "g_min"),
            require(lambda v: v["dg0"] == 0 or v["noise_dt"] <= 1e-6,
                    "parameter 'noise_dt' must be <= 1e-6 s (e.g. 1e-9, the original's time_step) when dg0 > 0")),
    noises=(VARIABILITY,),
    stimulus={"amplitude": 1.5, "frequency": 20e6, "cycles": 2, "pulse_high": 1.8, "pulse_low": -1.3,
              "pulse_width": 10e-9, "period": 40e-9},
)

CATALOGUE = (STANFORD_PKU,)
