"""Mott threshold switches: NbO2 (Pickett-Williams kind, temperature as state) and VO2 (thermal neuristor set).

Both are thermally driven: Joule heating of the conduction path against the heat lost to the surroundings,
and an insulator-metal transition (IMT) when the path reaches the transition temperature.  In a circuit
with a series load and a parallel capacitor they are the threshold switches of Mott relaxation
oscillators and neuristors (:mod:`circuitsim.netlists.mott_circuits`).

* ``nbo2``: NbO2 after Pickett & Williams, Nanotechnology 23, 215202 (2012) and Pickett et al.,
  Nat. Mater. 12, 114 (2013), in the lumped form "conductance depends on temperature only"
  (Messaris, Ascoli, Tetzlaff et al., ISCAS 2020): one state, the temperature of the conduction path;
  a sharp, non-hysteretic IMT at ``t_c``.  The thresholds are the folds of the static I-V.
* ``vo2``: VO2 with the public thermal-neuristor parameter set (Zhang et al. arXiv:2312.12899,
  Qiu et al. Adv. Mater. 2023, code yuanhangzhang98/collective_dynamics_neuristor): temperature as state,
  semiconducting insulator ``r0 exp(ea/T)``, and a hysteretic insulating fraction ``g`` (second state) that
  follows the heating branch of the major loop while heating and the cooling branch while cooling.
"""

from __future__ import annotations

import sympy as sp

from circuitsim.models.language import V, Device, State, greater, param, require, smooth_step, symbol

CHOICE = "circuitsim choice"
PICKETT_2012 = ("M. D. Pickett, R. S. Williams, 'Sub-100 fJ and sub-nanosecond thermally driven threshold "
                "switching in niobium oxide crosspoint nanodevices', Nanotechnology 23, 215202 (2012)")
PICKETT_2013 = ("M. D. Pickett, G. Medeiros-Ribeiro, R. S. Williams, 'A scalable neuristor built with Mott "
                "memristors', Nat. Mater. 12, 114 (2013)")
KUMAR_2017 = "S. Kumar, J. P. Strachan, R. S. Williams, Nature 548, 318 (2017)"
MESSARIS = ("I. Messaris, A. Ascoli, R. Tetzlaff et al., 'A simplified model for a NbO2 Mott memristor physical "
            "realization', ISCAS 2020")
ZHANG = ("Y.-H. Zhang et al., arXiv:2312.12899, and E. Qiu et al., Adv. Mater. (2023): VO2 thermal-neuristor "
         "model, public code yuanhangzhang98/collective_dynamics_neuristor model.py (fitted values)")
YI_2018 = "W. Yi, K. K. Tsang, S. K. Lam et al., Nat. Commun. 9, 4661 (2018)"

# ----------------------------------------------------------------------------------------------------------
# NbO2
# ----------------------------------------------------------------------------------------------------------
T = symbol("T")
ron, roff, t_c, dt_c, t_amb, r_th, c_th = (symbol(n) for n in ("ron", "roff", "t_c", "dt_c", "t_amb", "r_th",
                                                                "c_th"))

#: Conductance: insulating 1/roff below the IMT, metallic 1/ron above, a logistic of width dt_c between.
NBO2_CONDUCTANCE = 1 / roff + (1 / ron - 1 / roff) * smooth_step(T - t_c, dt_c)

NBO2 = Device(
    name="nbo2",
    title="NbO2 Mott threshold switch (Pickett-Williams kind): temperature state, Joule heating, IMT at t_c",
    ports=("p", "n"),
    params=(
        param("ron", 100.0, "ohm", "resistance of the metallic (on) state, T well above t_c",
              f"{CHOICE}: on/off ratio 25, of the order of NbO2 crosspoints in {PICKETT_2013} [M]", positive=True),
        param("roff", 2.5e3, "ohm", "resistance of the insulating (off) state, T well below t_c",
              f"{CHOICE}: kOhm-scale off state of ~100 nm NbO2 crosspoints ({PICKETT_2013}) [M]; threshold "
              "sqrt(roff (t_c - t_amb) / r_th) ~ 1 V", positive=True),
        param("t_c", 1070.0, "K", "insulator-metal transition temperature of NbO2",
              f"NbO2 IMT ~1070 K ({PICKETT_2012}; {KUMAR_2017}) [M]", positive=True),
        param("dt_c", 5.0, "K", "width of the transition (logistic scale)",
              f"{CHOICE}: sharp against t_c - t_amb = 770 K, so the thresholds are within 3 % of the "
              "sharp-transition values", positive=True),
        param("t_amb", 300.0, "K", "ambient (substrate) temperature", f"{CHOICE}: room temperature",
              positive=True),
        param("r_th", 2e6, "K/W", "thermal resistance from the conduction path to the ambient",
              f"{CHOICE}: nanoscale crosspoint order [M]; 385 uW hold the path at t_c", positive=True),
        param("c_th", 1e-16, "J/K", "heat capacity of the conduction path",
              f"{CHOICE}: thermal time r_th c_th = 0.2 ns and switching energy c_th (t_c - t_amb) = 77 fJ, "
              f"the 'sub-100 fJ, sub-nanosecond' of {PICKETT_2012}", positive=True),
        param("t_max", 2000.0, "K", "ceiling of the lumped temperature (the rate fades there)",
              f"{CHOICE}: below the melting point of NbO2 (~2200 K [M]); see the equations", positive=True),
        param("t0", 300.0, "K", "initial temperature", f"{CHOICE}: at the ambient", positive=True),
    ),
    states=(State("T", 0.0, "t_max", "t0", "K", "temperature of the conduction path"),),
    current=NBO2_CONDUCTANCE * V,
    rates={"T": (V ** 2 * NBO2_CONDUCTANCE - (T - t_amb) / r_th) / c_th},
    reference=(f"{PICKETT_2012}; {PICKETT_2013}; lumped temperature form after {MESSARIS} and {KUMAR_2017}"),
    equations=r"""
$I = G(T)\,V$, $\quad G(T) = \dfrac{1}{R_{off}} + \left(\dfrac{1}{R_{on}} - \dfrac{1}{R_{off}}\right)
\theta\!\left(T - T_c,\ \Delta T_c\right)$, with $\theta(z, w) = 1/(1 + e^{-z/w})$,

$C_{th}\,\dot T = V^2 G(T) - \dfrac{T - T_{amb}}{R_{th}}$, $\quad T \in [0, T_{max}]$.

Choices and why:

* **Form.** Pickett & Williams (2012) describe NbO2 threshold switching as Joule heating of a cylindrical
  conduction path against the heat lost through the surroundings, with the insulator-metal transition
  (IMT, ~1070 K) turning the path metallic.  Of the two state choices (metallic-core radius or
  temperature) this model takes the **temperature** of the path, in the "conductance depends on temperature
  only" form of Messaris, Ascoli, Tetzlaff et al. (ISCAS 2020): one state on a capacitor, Newton heating,
  $G$ a sharp logistic between the insulating and metallic conductances.  The latent heat and the
  growth of a metallic core inside an insulating shell are folded into the lumped $C_{th}$ and the
  width $\Delta T_c$.
* **Thresholds are folds of the static I-V.**  At steady state $V^2 G(T) R_{th} = T - T_{amb}$, i.e.
  $V(T) = \sqrt{(T - T_{amb}) / (G(T) R_{th})}$: an S-shaped (current-controlled NDR) curve.  Its
  maximum below $T_c$ is the threshold voltage and its minimum above $T_c$ the hold voltage; for a
  sharp transition ($\Delta T_c \ll T_c - T_{amb}$)
  $V_{th} \approx \sqrt{R_{off}(T_c - T_{amb})/R_{th}}$ and $V_h \approx \sqrt{R_{on}(T_c - T_{amb})/R_{th}}$
  (0.98 V and 0.20 V with the defaults; the exact folds are 0.95 V and 0.20 V:
  `circuitsim.analysis.oscillators.static_thresholds`).  Below $V_{th}$ the device is a resistor of
  $R_{off}$ (self-heating alters it by < 1 %), above $V_h$ on the metallic branch one of $R_{on}$: the
  ideal threshold switch of the relaxation-oscillator formula.
* **Time scale.** $\tau_{th} = R_{th} C_{th} = 0.2$ ns and $C_{th}(T_c - T_{amb}) = 77$ fJ: sub-ns,
  sub-100 fJ switching as in Pickett & Williams (2012).  The values of $R_{on}$, $R_{off}$, $R_{th}$
  are circuitsim choices of the published orders ([M]: the paper's own table was not re-read).
* **Temperature ceiling.** Held on the metallic branch at a voltage $V > V_h$, the lumped path would
  settle at $T_{amb} + V^2 R_{th}/R_{on}$, far above the melting point: a real device widens its metallic
  core instead of heating further (the Pickett-Williams core growth), which one temperature cannot say.
  The rate is faded at $T_{max}$; the current is unaffected there ($G = 1/R_{on}$ for
  $T > T_c + 10\,\Delta T_c$), so circuits behave as with the core-growth picture, but read $T$ above
  ~$T_c$ as "metallic", not as a temperature.
* **Not modelled.** The ~400 K nonlinear-transport (Poole-Frenkel) NDR and the thermal noise behind the
  chaotic regime of Kumar et al. (2017); temperature dependence of $R_{off}$ and $R_{on}$; hysteresis
  of the IMT itself (the S-curve gives the threshold/hold hysteresis of the circuit).
* **Standard stimuli.** A 0.94 V, 1 MHz sine and a 0.94 V, 10 ns pulse every 100 ns drive the device
  directly, just below its threshold: the path self-heats to ~1000 K, quasi-statically on the sine and
  with its 0.2 ns thermal lag on the pulse edges, and the conductance has begun to rise on the IMT's tail.
  Driven directly above $V_{th}$ by a voltage source the device runs away within picoseconds to the
  temperature ceiling (no series resistance limits it), an event whose timing no two integrators agree on
  to the 2e-3 of the catalogue's three-way check; the switching itself is therefore checked in circuits
  (series load, parallel capacitor: `tests/test_device_mott.py`, `tests/test_mott_circuits.py`).
""",
    checks=(
        greater("roff", "ron"),
        greater("t_c", "t_amb"),
        require(lambda v: v["dt_c"] <= (v["t_c"] - v["t_amb"]) / 20,
                "parameter 'dt_c' must be at most (t_c - t_amb) / 20 (a transition, not a ramp)"),
        require(lambda v: v["t_max"] >= v["t_c"] + 20 * v["dt_c"],
                "parameter 't_max' must be at least t_c + 20 dt_c (room for the metallic branch)"),
    ),
    stimulus={"amplitude": 0.94, "frequency": 1e6, "cycles": 2, "pulse_high": 0.94, "pulse_low": 0.0,
              "pulse_width": 1e-8, "period": 1e-7},
)

# ----------------------------------------------------------------------------------------------------------
# VO2
# ----------------------------------------------------------------------------------------------------------
g = symbol("g")
r0, ea, r_m, t_c2, w, beta, s_th, t_base, tau_g = (symbol(n) for n in ("r0", "ea", "r_m", "t_c", "w", "beta",
                                                                        "s_th", "t_base", "tau_g"))

#: Insulating fraction on the heating branch of the major loop (the IMT at t_c + w/2) ...
G_HEAT = sp.Rational(1, 2) + sp.tanh(beta * (w / 2 + t_c2 - T)) / 2
#: ... and on the cooling branch (the MIT at t_c - w/2).
G_COOL = sp.Rational(1, 2) + sp.tanh(beta * (-w / 2 + t_c2 - T)) / 2
VO2_RESISTANCE = r0 * sp.exp(ea / T) * g + r_m

VO2 = Device(
    name="vo2",
    title="VO2 Mott threshold switch: temperature state, hysteretic R(T) (public thermal-neuristor parameter set)",
    ports=("p", "n"),
    params=(
        param("r0", 5.359e-3, "ohm", "prefactor of the semiconducting (insulating) resistance r0 exp(ea/T)",
              f"{ZHANG} [V]", positive=True),
        param("ea", 5220.5, "K", "activation temperature of the insulating resistance (Ea / k_B)",
              f"{ZHANG} [V]", positive=True),
        param("r_m", 1286.25, "ohm", "resistance of the metallic state (in series)",
              f"{ZHANG}: R_m = 262.5 x 4.90 ohm [V]", positive=True),
        param("t_c", 332.81, "K", "centre of the hysteresis loop", f"{ZHANG} [V]", positive=True),
        param("w", 7.194, "K", "width of the hysteresis loop (IMT at t_c + w/2, MIT at t_c - w/2)",
              f"{ZHANG} [V]", minimum=0.0),
        param("beta", 0.2528, "1/K", "sharpness of the transition (tanh slope)", f"{ZHANG} [V]", positive=True),
        param("c_th", 4.963e-11, "J/K", "heat capacity of the device (49.63 mW ns/K)", f"{ZHANG} [V]",
              positive=True),
        param("s_th", 2.056e-4, "W/K", "thermal conductance to the substrate (0.2056 mW/K)", f"{ZHANG} [V]",
              positive=True),
        param("t_base", 325.0, "K", "substrate temperature", f"{ZHANG} [V]", positive=True),
        param("tau_g", 5e-9, "s", "relaxation time of the insulating fraction onto the active branch",
              f"{CHOICE}: fast against the thermal time c_th/s_th = 241 ns, so g follows the branch "
              "(the public code makes it instantaneous)", positive=True),
        param("t_max", 1000.0, "K", "numerical ceiling of the temperature", f"{CHOICE}: never reached in use",
              positive=True),
        param("t0", 325.0, "K", "initial temperature", f"{CHOICE}: at the substrate temperature",
              positive=True),
        param("g0", 1.0, "", "initial insulating fraction (1 = fully insulating)",
              f"{CHOICE}: the device starts insulating", minimum=0.0, maximum=1.0),
    ),
    states=(State("T", 100.0, "t_max", "t0", "K", "device temperature"),
            State("g", 0.0, 1.0, "g0", "", "insulating fraction (1 insulating, 0 metallic)")),
    current=V / VO2_RESISTANCE,
    rates={"T": (V ** 2 / VO2_RESISTANCE - s_th * (T - t_base)) / c_th,
           "g": (sp.Min(G_HEAT - g, 0) + sp.Max(G_COOL - g, 0)) / tau_g},
    reference=f"{ZHANG}; VO2 neuron circuits: {YI_2018}",
    equations=r"""
$I = V / R(T, g)$, $\quad R(T, g) = R_0\, e^{E_a/T}\, g + R_m$,

$C_{th}\,\dot T = V^2 / R(T, g) - S_{th}\,(T - T_{base})$,

$\tau_g\,\dot g = \min\big(g_{heat}(T) - g,\ 0\big) + \max\big(g_{cool}(T) - g,\ 0\big)$,

$g_{heat}(T) = \tfrac12 + \tfrac12\tanh\big(\beta(w/2 + T_c - T)\big)$, $\quad
g_{cool}(T) = \tfrac12 + \tfrac12\tanh\big(\beta(-w/2 + T_c - T)\big)$.

Choices and why:

* **Form and values.** The public VO2 thermal-neuristor model (Zhang et al. arXiv:2312.12899, Qiu et al.
  Adv. Mater. 2023, code `collective_dynamics_neuristor/model.py`): temperature as state, Newton heating
  against a thermal conductance $S_{th}$ to the substrate, and a major-loop insulating fraction
  $g = \tfrac12 + \tfrac12\tanh(\beta(\delta w/2 + T_c - T))$ with $\delta = +1$ while heating and $-1$ while
  cooling.  All fitted values are theirs.  Their R(T) on heating: 146.7 kOhm at 305 K, 51.8 kOhm at 325 K,
  4.77 kOhm at 340 K, 1.30 kOhm at 350 K (the formula above reproduces these; tested).  The
  "$\gamma = 0.956$" of that parameter table plays no part in R(T) and is not used.
* **Hysteresis as a second state.** $\delta$ is the sign of $\dot T$, which in a circuit depends on $g$
  itself; instead $g$ is a state that is pulled onto the heating branch when it lies above it (the
  device is heating through the IMT), onto the cooling branch when it lies below it, and stays where it is
  between the branches.  On the major loop this is the published $\delta = \pm 1$ rule; inside the loop it
  gives flat minor loops (the public code's reversal-point memory is a more detailed version of the same
  idea).  $\tau_g = 5$ ns $\ll C_{th}/S_{th} = 241$ ns, so $g$ follows its branch within
  $\tau_g \dot T \lesssim 1$ K (the transition is $1/\beta = 4$ K wide) while keeping the switching
  resolvable by the integrators.
* **Threshold switching.** In a circuit (series load, parallel capacitor) the static I-V is S-shaped: at
  the defaults a device held at $T_{base} = 325$ K (51.8 kOhm) heats to the IMT when it dissipates
  ~$S_{th}(T_c + w/2 - T_{base}) \approx 2.3$ mW, then drops toward $R_m$.  With 12 V through 12 kOhm and
  145.35 pF in parallel (the public set's circuit) it spikes with a period of about 3 us (public
  code: 3.04 us).
* **Not modelled.** Thermal noise (the public model's stochastic term: the framework is deterministic)
  and the thermal coupling between neighbouring devices (a circuit-level term).
* **Standard stimuli.** A 12 V, 1.5 MHz sine drives the device directly: the static I-V folds at
  $V_{th} = 7.09$ V (heating branch) and $V_h = 2.06$ V (cooling branch).  Near the first peak it heats past
  the IMT and turns metallic; the half-period (0.33 us) is then too short for it to cool below the MIT at the
  zero crossings, so it stays metallic (the I-V: the insulating branch up to the first switch, then the
  metallic line).  A 10 V, 300 ns pulse every 2 us heats it into the transition (g falls to ~0.5) and lets
  it cool back: g then stays where it is (between the branches), the hysteresis memory.
""",
    checks=(
        require(lambda v: v["t_max"] >= v["t_c"] + v["w"] / 2 + 20 / v["beta"],
                "parameter 't_max' must be at least t_c + w/2 + 20/beta (room above the transition)"),
        require(lambda v: v["t_base"] < v["t_max"], "parameter 't_base' must be below t_max"),
    ),
    stimulus={"amplitude": 12.0, "frequency": 1.5e6, "cycles": 2, "pulse_high": 10.0, "pulse_low": 0.0,
              "pulse_width": 3e-7, "period": 2e-6},
)

CATALOGUE = (NBO2, VO2)
