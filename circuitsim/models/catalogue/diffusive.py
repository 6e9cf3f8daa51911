"""Diffusive (volatile) memristor: Ag nanoclusters in SiOxNy, after Wang et al., Nat. Mater. 16, 101 (2017).

A deterministic, two-terminal compact form of the published behaviour: the device stays in its
high-resistance state until |V| passes a threshold, then the Ag bridge forms and the conductance rises
by orders of magnitude; when the bias is removed the bridge dissolves spontaneously (volatility), with
one relaxation time constant; both polarities switch it on alike.
"""

from __future__ import annotations

import sympy as sp

from circuitsim.models.language import V, Device, State, greater, param, require, smooth_step, symbol

WANG = ("Z. Wang, S. Joshi, S. E. Savel'ev, ..., R. S. Williams, Q. Xia, J. J. Yang, "
        "Nat. Mater. 16, 101 (2017)")
USC_SPICE = ("public diffusive-memristor SPICE model, GitHub TongWang-USC/Memristor-Model, "
             "test_diffusive_voltage_single_pulse.cir: Ron = 1.7e4, Roff = 1e10 (read from the file)")
CHOICE = "circuitsim choice"

x = symbol("x")
ron, roff, vth, dv, tau_on, tau_relax = (symbol(n) for n in ("ron", "roff", "vth", "dv", "tau_on", "tau_relax"))

#: Conductance: exponential interpolation between 1/roff (x = 0) and 1/ron (x = 1), as tunnelling through a gap
#: that closes linearly with x.
CONDUCTANCE = sp.exp(x * sp.log(roff / ron)) / roff
#: Bridging drive: exp((|V| - vth)/dv) / tau_relax at low bias, saturating at 1 / tau_on.
DRIVE = smooth_step(sp.Abs(V) - vth - dv * sp.log(tau_relax / tau_on), dv) / tau_on

DIFFUSIVE = Device(
    name="diffusive",
    title="Diffusive (volatile) Ag-nanocluster memristor with threshold turn-on and spontaneous relaxation",
    ports=("p", "n"),
    params=(
        param("ron", 1.7e4, "ohm", "resistance of the bridged state (x = 1)", USC_SPICE, positive=True),
        param("roff", 1e10, "ohm", "resistance of the dissolved state (x = 0)", USC_SPICE, positive=True),
        param("vth", 0.3, "V", "threshold: |V| at which bridging and relaxation rates are equal (x -> 1/2)",
              f"{WANG}, Fig. 1 order of magnitude [M, not re-read]", positive=True),
        param("dv", 0.02, "V", "threshold sharpness: |V| step per e-fold of the bridging rate",
              f"{CHOICE}: abrupt turn-on (x 0.1 -> 0.9 within 4.4 dv = 88 mV) that the standard sine resolves",
              positive=True),
        param("tau_on", 2e-5, "s", "fastest bridging time (well above threshold)",
              f"{CHOICE}: turn-on much faster than the relaxation, as in {WANG} [M]", positive=True),
        param("tau_relax", 1e-3, "s", "spontaneous relaxation time constant of the bridge at zero bias",
              f"{WANG}: ~ms-scale relaxation after short pulses [M, not re-read]", positive=True),
        param("x0", 0.0, "", "initial bridging state (0 = HRS)", f"{CHOICE}: the device starts relaxed",
              minimum=0.0, maximum=1.0),
    ),
    states=(State("x", 0.0, 1.0, "x0", "", "Ag bridging of the gap (0 dissolved, 1 bridged)"),),
    current=CONDUCTANCE * V,
    rates={"x": DRIVE * (1 - x) - x / tau_relax},
    reference=f"{WANG}; volatile threshold form after Savel'ev's diffusive model and 'volatile VTEAM' stand-ins",
    equations=r"""
$I = G(x)\,V$, $\quad G(x) = \dfrac{1}{R_{off}}\left(\dfrac{R_{off}}{R_{on}}\right)^{x}$, $\quad x \in [0, 1]$,

$\dot x = \dfrac{1 - x}{\tau_{on}}\;\theta\!\left(|V| - V_{th} - \Delta V \ln\dfrac{\tau_{relax}}{\tau_{on}},\ \Delta V\right)
 - \dfrac{x}{\tau_{relax}}$, with $\theta(z, w) = 1/(1 + e^{-z/w})$.

Choices and why:

* **State.** $x$ is the degree to which Ag nanoclusters bridge the gap (Wang et al. 2017 and Savel'ev's
  model: a cluster diffusing between the electrodes).  It is one deterministic state; the Langevin noise
  and the lumped heat equation of the physical model are left out (the framework is deterministic).
* **Conductance.** Exponential interpolation: $\ln G$ is linear in $x$, as tunnelling through a gap that
  shrinks linearly with $x$ ($G \propto e^{-\mathrm{gap}/\lambda}$ in Savel'ev's model).  $G$ crosses the
  geometric mean $\sqrt{G_{on} G_{off}}$ at $x = 1/2$.  Ohmic at fixed state (no selector nonlinearity).
* **Bridging drive.** Below threshold the drive is $\frac{1}{\tau_{relax}} e^{(|V| - V_{th})/\Delta V}$:
  field- and Joule-heating-assisted Ag migration, exponential in the bias, written so that it equals the
  relaxation rate exactly at $|V| = V_{th}$ (to $1/k$, $k = \tau_{relax}/\tau_{on}$).  Far above threshold it
  saturates at $1/\tau_{on}$ (the logistic's upper branch), which keeps the rate finite for any bias
  (no exponential overflow, bounded stiffness).  $V_{th}$ is therefore the quasi-static half-on voltage:
  $x_{ss}(V) = kS/(kS + 1)$ with $S$ the logistic, so $x_{ss} = 1/2$ at $|V| = V_{th} + \Delta V\ln\frac{k}{k-1}$,
  and $x_{ss}$ goes from 0.1 to 0.9 within $2\Delta V \ln 9 \approx 4.4\,\Delta V$: the conductance jumps by
  $(R_{off}/R_{on})^{0.8}$ over that window (threshold-like turn-on).
* **Symmetry.** The drive depends on $|V|$ only: Ag diffusive devices switch on in both polarities.
  $|V|$ has a kink at 0, where the drive is $\sim e^{-V_{th}/\Delta V}$ smaller than the relaxation and
  invisible.
* **Volatility.** $-x/\tau_{relax}$: at zero bias the bridge dissolves exponentially,
  $x(t) = x(0)\,e^{-t/\tau_{relax}}$, and the resistance returns to $R_{off}$: after $5\tau_{relax}$ it is
  $R_{off}\,(R_{on}/R_{off})^{x(0)e^{-5}}$, within 10 % of $R_{off}$ for the default ratio.
  Wang et al. report ~ms-scale relaxation after short pulses [M]; the Weibull (stretched-exponential)
  decay of the 'volatile VTEAM' needs the time since the pulse (hidden state), so a first-order decay is used.
* **Defaults.** $R_{on} = 17$ kOhm and $R_{off} = 10$ GOhm (ON/OFF $\approx 6\times10^5$) from a public
  diffusive-memristor SPICE testbench (TongWang-USC/Memristor-Model); $V_{th} = 0.3$ V and $\tau_{relax} = 1$ ms
  are of the order reported by Wang et al. (tagged [M]: not re-read against the paper).
  $\Delta V = 20$ mV and $\tau_{on} = 20\,\mu$s are circuitsim choices: the turn-on is abrupt
  ($G$ rises $10^3\times$ within $\pm 8\,\%$ of $V_{th}$) and fast against the relaxation
  ($k = \tau_{relax}/\tau_{on} = 50$, so a drive well above threshold holds $x_{ss} = k/(k+1) = 0.98$,
  $R \approx 1.3\,R_{on}$), yet both stay resolvable by the standard stimuli's time steps.  Sharper
  thresholds ($\Delta V$ of a few mV) and faster turn-on are allowed but need finer time steps.
  $\tau_{on} \le \tau_{relax}/10$ is required so that a drive well above threshold bridges the gap
  ($x_{ss} \ge 0.9$).
* **Not modelled.** A separate hold voltage below $V_{th}$ (the only hysteresis here is the lag of the
  relaxation behind a fast sweep), the noise-driven spread of the switching delay, and the
  Joule-heating feedback of the physical model.
* **Standard stimuli.** A 0.36 V ($1.2\,V_{th}$), 20 Hz sine turns the device on near each peak and lets
  it relax for several $\tau_{relax}$ around each zero crossing; a 1 V, 100 $\mu$s pulse every 2 ms turns
  it on fully and leaves a gap of $1.9\,\tau_{relax}$.
""",
    checks=(
        greater("roff", "ron"),
        require(lambda v: v["tau_on"] <= v["tau_relax"] / 10,
                "parameter 'tau_on' must be at most tau_relax / 10 (the drive must outpace the relaxation)"),
    ),
    stimulus={"amplitude": 0.36, "frequency": 20.0, "cycles": 2, "pulse_high": 1.0, "pulse_low": 0.0,
              "pulse_width": 1e-4, "period": 2e-3},
)

CATALOGUE = (DIFFUSIVE,)
