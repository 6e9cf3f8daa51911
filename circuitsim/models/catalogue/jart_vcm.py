"""JART VCM v1b deterministic core: filamentary HfO2/TiOx valence-change cell (Juelich Aachen Resistive
Switching Tools).

One state, the oxygen-vacancy concentration N of the disc next to the active (Schottky) electrode, in
units of 1e26 m^-3 as in JART.  SET happens at negative voltage on the active electrode (port ``p``),
RESET at positive voltage.  The ionic kinetics (field- and temperature-accelerated hopping, Joule
heating, the 1 - (N/N_max)^10 windows) are those of JART v1b; the current, implicit in JART, is made
explicit by dropping the Schottky interface and the line self-heating from the series network (see
``EQUATIONS`` for every choice and its reason).
"""

from __future__ import annotations

import sympy as sp

from circuitsim.models.language import V, Device, State, greater, param, smooth_step, symbol

CUEPPERS = "F. Cueppers et al., APL Mater. 7, 091105 (2019)"
BENGEL = "C. Bengel et al., IEEE TCAS-I 67, 4618 (2020)"
JART_TABLE = (f"JART VCM v1b parameter set ({BENGEL}), as distributed in the JART-TUD Verilog-A "
              "(vntinas/JART-TUD-VCM-memristor-model, verilog_a/JART_TUD_VCM.va, python/JART_TUD_params.py)")
CHOICE = "circuitsim choice"

#: Elementary charge (C) and Boltzmann constant over it (V/K), exact in the 2019 SI.
Q = 1.602176634e-19
KB_OVER_Q = 1.380649e-23 / Q
#: Charge number of an oxygen vacancy (a JART constant).
Z_VO = 2
#: Concentrations are in units of 1e26 m^-3, as in JART.
N_UNIT = 1e26
#: Largest |gamma| the smooth voltage clip allows: asin and sqrt(1 - gamma^2) stay in range for every V.
GAMMA_MAX = 0.95
#: Order of the smooth voltage clip V / (1 + (V/V_max)^k)^(1/k): 1 - 3e-7 of V at 1.5 V.
CLIP_ORDER = 16
#: Width (V) of the logistic step selecting the SET (V < 0) or RESET (V > 0) branch of the kinetics.
BRANCH_WIDTH = 1e-3
#: Exponent of the JART windows 1 - (N/N_max)^10 (SET) and 1 - (N_min/N)^10 (RESET).
WINDOW_EXPONENT = 10

n = symbol("n")
(t0, n_min, n_max, n_plug, a, nu0, dwa, rth0, r_det, l_cell, l_det, rtheff_scaling, r_tiox, r0, mu_n) = (
    symbol(name) for name in ("t0", "n_min", "n_max", "n_plug", "a", "nu0", "dwa", "rth0", "r_det", "l_cell",
                              "l_det", "rtheff_scaling", "r_tiox", "r0", "mu_n"))

#: Drude resistances of disc and plug: R = l / (z e mu_n N A), A = pi r_det^2.
R_DISC = l_det / (Z_VO * Q * N_UNIT * mu_n * sp.pi * r_det ** 2 * n)
R_PLUG = (l_cell - l_det) / (Z_VO * Q * N_UNIT * mu_n * sp.pi * r_det ** 2 * n_plug)
#: Voltage across disc and plug (JART's V - V_series, without the Schottky drop) is I R_CELL.
R_CELL = R_PLUG + R_DISC
#: Total resistance: TiOx layer + line (at T0) + plug + disc.
R_TOTAL = r_tiox + r0 + R_CELL
CURRENT = V / R_TOTAL

#: The voltage seen by the kinetics, smoothly clipped at V_max, where gamma would reach GAMMA_MAX.
V_MAX = GAMMA_MAX * sp.pi * dwa * l_det / (Z_VO * a)
V_KINETIC = V / (1 + (V / V_MAX) ** CLIP_ORDER) ** sp.Rational(1, CLIP_ORDER)
I_KINETIC = V_KINETIC / R_TOTAL
#: 1 on the SET branch (V < 0), 0 on the RESET branch (V > 0).
SET = smooth_step(-V, BRANCH_WIDTH)
#: Field / current: the disc field V_disc / l_disc on the SET branch, (V - V_series) / l_cell on RESET.
FIELD_PER_CURRENT = R_CELL / l_cell + SET * (R_DISC / l_det - R_CELL / l_cell)
GAMMA = Z_VO * a * I_KINETIC * FIELD_PER_CURRENT / (sp.pi * dwa)
#: Filament temperature: T0 + I (V - V_series) R_th,eff, R_th,eff = R_th0 on SET, R_th0 * 0.27 on RESET.
TEMPERATURE = t0 + I_KINETIC ** 2 * R_CELL * rth0 * (rtheff_scaling + SET * (1 - rtheff_scaling))
#: dWa / kT (dimensionless; dWa in eV).
BARRIER_OVER_KT = dwa / (KB_OVER_Q * TEMPERATURE)
#: JART's barriers dW_min,max = dWa [sqrt(1 - g^2) -+ g pi/2 + g asin g]: exp(-dWmin/kT) - exp(-dWmax/kT)
#: = 2 exp(-dWa (sqrt(1 - g^2) + g asin g) / kT) sinh(dWa g pi / (2 kT)).
HOPPING = (2 * sp.exp(-BARRIER_OVER_KT * (sp.sqrt(1 - GAMMA ** 2) + GAMMA * sp.asin(GAMMA)))
           * sp.sinh(BARRIER_OVER_KT * GAMMA * sp.pi / 2))
WINDOW_RESET = 1 - (n_min / n) ** WINDOW_EXPONENT
WINDOW = WINDOW_RESET + SET * (1 - (n / n_max) ** WINDOW_EXPONENT - WINDOW_RESET)
#: dN/dt = -I_ion / (z e A l_disc) / 1e26, I_ion = z e c_VO a nu0 A (...) F, c_VO = (N_plug + N)/2 (1e26 m^-3).
RATE = -(n_plug + n) / 2 * a * nu0 / l_det * HOPPING * WINDOW

EQUATIONS = r"""
State: $N$, the oxygen-vacancy concentration of the disc (units of $10^{26}\,\mathrm{m^{-3}}$, as in JART),
bounded to $[N_{min}, N_{max}]$.  Port `p` is JART's active electrode (AE), `n` the ohmic electrode (OE):
SET at $V < 0$, RESET at $V > 0$.

**Current** (explicit; a cold series network of TiOx layer, line, plug and disc):
$$I = \frac{V}{R_{TiOx} + R_0 + R_{plug} + R_{disc}(N)},\qquad
R_{disc} = \frac{l_{disc}}{z e \mu_n N A},\quad R_{plug} = \frac{l_{cell} - l_{disc}}{z e \mu_n N_{plug} A},
\quad A = \pi r_{det}^2,\ z = 2.$$
With the defaults $R$ runs from 1.55 kΩ ($N_{max}$) to 124 kΩ ($N_{min}$); 3.16 kΩ at $N = 0.3$.

**Kinetics** (JART v1b, Bengel et al. 2020), with $\theta = 1/(1 + e^{V/1\,\mathrm{mV}})$ selecting the SET
branch ($\theta \to 1$ for $V < 0$) and the RESET branch ($\theta \to 0$):
$$\dot N = -\frac{N_{plug} + N}{2}\,\frac{a\,\nu_0}{l_{disc}}
\left[e^{-\Delta W_{min}/kT} - e^{-\Delta W_{max}/kT}\right] F(N),$$
$$\Delta W_{min,max} = \Delta W_A\left[\sqrt{1-\gamma^2} \mp \gamma\frac{\pi}{2} + \gamma \arcsin\gamma\right],
\qquad \gamma = \frac{z\,a\,E}{\pi\,\Delta W_A},$$
$$E = \theta\,\frac{I R_{disc}}{l_{disc}} + (1-\theta)\,\frac{I (R_{plug} + R_{disc})}{l_{cell}},\qquad
T = T_0 + I^2 (R_{plug} + R_{disc})\,R_{th0}\,[\theta + (1-\theta)\,s_{R}],$$
$$F = \theta\,[1 - (N/N_{max})^{10}] + (1-\theta)\,[1 - (N_{min}/N)^{10}],$$
i.e. the SET field is the disc voltage over the disc length and the RESET field the voltage across the cell
(everything but the series resistance) over the cell length; the Joule power is dissipated in plug and disc;
$s_R$ = `rtheff_scaling` = 0.27 scales the thermal resistance on RESET.  The bracket is evaluated as
$2\,e^{-\Delta W_A(\sqrt{1-\gamma^2} + \gamma\arcsin\gamma)/kT}\sinh(\Delta W_A\gamma\pi/2kT)$ (the same
number; each factor stays finite).

**Choices and simplifications relative to JART v1b**
* *The Schottky interface is left out of the current.*  JART solves an implicit series equation (Schottky
  thermionic/thermionic-field emission in series with disc, plug and series resistance); a two-terminal
  B-source needs $I(V, N)$ explicitly.  Linearised at zero interface bias with JART's constants
  ($\phi_{Bn0}$ = 0.18 eV, image-force lowering by $N$), the contact adds at most 5.3 kΩ to 124 kΩ at
  $N_{min}$ and 77 Ω to 1.55 kΩ at $N_{max}$ (≤ 5 %), while costing a fourth root and an exponential in
  every copy of the current; its rectification cannot be kept without solving the network.  So the
  interface constants (ε, ε_φB, φ_Bn0, φ_n) are not parameters here, and the RESET field uses the voltage
  across plug and disc.
* *The line self-heating is left out:* JART's $R_{series} = R_{TiOx} + R_0(1 + R_0\alpha_{line}I^2
  R_{th,line})$ makes the current the root of a cubic.  The term adds $R_0^2\alpha R_{th,line} I^2$ =
  1.83e8 Ω/A² × $I^2$: 11 Ω (< 0.6 % of $R$) at the standard stimuli's 0.25 mA, but 9 % of $R$ in the LRS at
  1.5 V (0.885 mA), where the cold model overestimates the current by 9 % (4.5 % at 1 V).  The exact explicit root
  ($I = 2u\sinh(\tfrac13\operatorname{asinh}(V/2\beta u^3))$, $u = \sqrt{R/3\beta}$) was measured at +50 %
  ngspice time, so `rth_line` and `alpha_line` are not parameters; $R_0$ is the line at $T_0$.
* The current feeding the kinetics uses $V$ smoothly clipped,
  $V_k = V/(1 + (V/V_{max})^{16})^{1/16}$ with $V_{max} = 0.95\,\pi\Delta W_A l_{disc}/(z a)$ = 3.22 V:
  since $I R_{disc} \le |V|$ and $I(R_{plug}+R_{disc})/l_{cell} \le |V|/l_{disc}$ (checked
  $l_{cell} > l_{disc}$), $|\gamma| < 0.95$ for every $V$, so arcsin and the square root stay in range.
  Below 1.5 V the clip changes $V_k$ by less than 3e-7.  The terminal current uses $V$ itself.
* JART switches the field, thermal resistance and window with `if (V > 0)`; here a logistic step of width
  1 mV.  The rate vanishes at $V = 0$ on both branches, so the blend changes nothing measurable.
* JART's `trig` logic (rate set to 0 beyond $N_{min}$/$N_{max}$) is the language's smooth rate bound; the
  cycle-to-cycle variability ($r$, $l_{disc}$ redrawn at each polarity change) is not modelled (the
  deterministic core, $r = r_{det}$, $l_{disc} = l_{det}$).
* The language's smooth rate bound has the width 1e-3 ($N_{max} - N_{min}$) = 0.022 = 5.5 $N_{min}$: on top of
  JART's window (which alone vanishes at $N_{min}$) it multiplies RESET rates by 0.51 at $N$ = 0.005, 0.76 at
  0.03 and 0.99 at 0.1, so the end of a RESET into deep HRS runs up to 2x slower than in JART.  SET rates are
  touched only within 0.1 % of $N_{max}$.
* `n_init` defaults to 0.3, not to JART's HRS value 0.008 (use `n_init=0.008` for the published HRS start).
  From HRS every complete SET is a thermal runaway: after an incubation of up to seconds N rises from
  ~0.05 to 1 in picoseconds (rate ~1e13/s), so two integrators can only agree on its timing to their
  relative tolerance times the incubation, many picoseconds; measured: ngspice against the Python
  reference differs by 0.17-0.8 of the peak current under every complete-switching stimulus we tried
  (sines 1.5-2 V at 1 Hz-10 GHz, ±1.5-2 V pulses).  Near $N$ = 0.3 both SET and RESET rates are largest
  and fall as $N$ moves away in either direction (self-limiting), so the standard stimuli (a 0.4 V, 10 kHz
  sine; -0.4 V SET / +0.8 V RESET pulses of 0.5 µs) switch gradually between 0.2 and 1.3 and the three
  targets agree to ~1e-4.
"""

JART_VCM = Device(
    name="jart_vcm",
    title="JART VCM v1b deterministic core (filamentary HfO2/TiOx valence change cell), explicit current",
    ports=("p", "n"),
    params=(
        param("t0", 293.0, "K", "ambient temperature", JART_TABLE, positive=True),
        param("n_min", 0.004, "1e26/m^3", "lowest disc vacancy concentration (HRS bound)", JART_TABLE,
              positive=True),
        param("n_max", 22.0, "1e26/m^3", "highest disc vacancy concentration (LRS bound)", JART_TABLE,
              positive=True),
        param("n_init", 0.3, "1e26/m^3", "initial disc vacancy concentration (0.008: the JART HRS start)",
              CHOICE + " (gradual-switching regime for the standard stimuli; JART's HRS start is 0.008)",
              positive=True),
        param("n_plug", 20.0, "1e26/m^3", "vacancy concentration of the plug", JART_TABLE, positive=True),
        param("a", 0.25e-9, "m", "ion hopping distance", JART_TABLE, positive=True),
        param("nu0", 2e13, "Hz", "attempt frequency", JART_TABLE, positive=True),
        param("dwa", 1.35, "eV", "activation energy of ion hopping", JART_TABLE, positive=True),
        param("rth0", 15.72e6, "K/W", "thermal resistance of the filament (SET)", JART_TABLE, positive=True),
        param("r_det", 45e-9, "m", "filament radius", JART_TABLE, positive=True),
        param("l_cell", 3e-9, "m", "length of disc plus plug", JART_TABLE + " (3 nm)", positive=True),
        param("l_det", 0.4e-9, "m", "length of the disc", JART_TABLE + " (0.4 nm)", positive=True),
        param("rtheff_scaling", 0.27, "", "thermal resistance factor on RESET", JART_TABLE, positive=True),
        param("r_tiox", 650.0, "ohm", "series resistance of the TiOx layer", JART_TABLE, minimum=0.0),
        param("r0", 719.2437, "ohm", "line resistance at T0", JART_TABLE, positive=True),
        param("mu_n", 4e-6, "m^2/(V s)", "electron mobility in disc and plug", JART_TABLE, positive=True),
    ),
    states=(State("n", "n_min", "n_max", "n_init", "1e26/m^3", "oxygen-vacancy concentration of the disc"),),
    current=CURRENT,
    rates={"n": RATE},
    reference=f"{BENGEL}; {CUEPPERS}",
    equations=EQUATIONS,
    checks=(greater("n_max", "n_min"), greater("l_cell", "l_det")),
    stimulus={"amplitude": 0.4, "frequency": 1e4, "cycles": 2, "pulse_high": 0.8, "pulse_low": -0.4,
              "pulse_width": 0.5e-6, "period": 1e-6},
)

CATALOGUE = (JART_VCM,)
