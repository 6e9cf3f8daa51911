"""TEAM and VTEAM threshold memristors (Kvatinsky et al. 2013 and 2015).

Both share the TEAM state equation: the state x (the tunnel-gap width, x_on <= x <= x_off) drifts
towards x_off (OFF, high resistance) when the control variable exceeds a positive threshold, towards
x_on (ON) when it is below a negative one, and not at all in between.  TEAM is controlled by the
device current, VTEAM by the voltage.  Both use the linear I-V relation of TEAM Eq. (15).
"""

from __future__ import annotations

import sympy as sp

from circuitsim.models.language import V, Device, State, greater, param, require, smooth_abs, smooth_step, symbol

TEAM_PAPER = "S. Kvatinsky, E. G. Friedman, A. Kolodny, U. C. Weiser, IEEE TCAS-I 60, 211 (2013)"
TEAM_FIT = f"{TEAM_PAPER}, Fig. 10a (TEAM fit to the Simmons tunnel-barrier model)"
TEAM_WINDOW = f"{TEAM_PAPER}, Eqs. (18)-(19) with the Fig. 8 values (Pickett et al., J. Appl. Phys. 106, 074508 (2009))"
TEAM_CIRCUIT = f"{TEAM_PAPER}, Figs. 12-13"
TECHNION_VA = ("Kvatinsky, Talisveyberg, Fliter et al., 'Verilog-A for memristor models', Technion CCIT report "
               "(2011): TEAM x_on = 0, x_off = D = 3 nm")
VTEAM_PAPER = "S. Kvatinsky, M. Ramadan, E. G. Friedman, A. Kolodny, IEEE TCAS-II 62, 786 (2015)"
MEMTORCH = "MemTorch memtorch/bh/memristor/VTEAM.py defaults (Lammie et al., Neurocomputing 485, 124 (2022))"
CHOICE = "circuitsim choice"

#: Width of the smooth threshold steps, in units of the threshold (z = i/i_off - 1 etc. is dimensionless):
#: the rate is switched on over 0.1 % of the threshold current or voltage.
THRESHOLD_WIDTH = 1e-3
#: Largest inner exponent the Kvatinsky windows may reach inside [x_on, x_off]: exp(700) is near the
#: largest double, and exp(-exp(u)) is 0 to double precision long before.
WINDOW_EXPONENT_LIMIT = 700.0

x = symbol("x")
(ron, roff, x_on, x_off, k_off, k_on, alpha_off, alpha_on, i_off, i_on, a_off, a_on, w_c, v_off, v_on) = (
    symbol(n) for n in ("ron", "roff", "x_on", "x_off", "k_off", "k_on", "alpha_off", "alpha_on", "i_off", "i_on",
                        "a_off", "a_on", "w_c", "v_off", "v_on"))

#: TEAM Eq. (15): R_ON at x_on, R_OFF at x_off, linear in between.
RESISTANCE = ron + (roff - ron) * (x - x_on) / (x_off - x_on)
CURRENT = V / RESISTANCE


def above(z: sp.Expr, alpha: sp.Expr) -> sp.Expr:
    """``z**alpha`` for ``z > 0``, 0 for ``z < 0``: ``|z|**alpha * step(z)``, smoothed over THRESHOLD_WIDTH.

    ``smooth_abs`` (z tanh(z / 2w), never negative) keeps the power real for any alpha and the rate
    C-infinity at the threshold even for alpha = 1.
    """
    return smooth_abs(z, THRESHOLD_WIDTH) ** alpha * smooth_step(z, THRESHOLD_WIDTH)


#: TEAM Eqs. (18)-(19): f_off vanishes above a_off, f_on below a_on.
F_OFF = sp.exp(-sp.exp((x - a_off) / w_c))
F_ON = sp.exp(-sp.exp((a_on - x) / w_c))

TEAM_RATE = (k_off * above(CURRENT / i_off - 1, alpha_off) * F_OFF
             + k_on * above(CURRENT / i_on - 1, alpha_on) * F_ON)
VTEAM_RATE = k_off * above(V / v_off - 1, alpha_off) + k_on * above(V / v_on - 1, alpha_on)


def _checks(off: str, on: str, unit: str):
    return (
        greater("roff", "ron"),
        greater("x_off", "x_on"),
        require(lambda v: v[off] > 0, f"parameter {off!r} must be > 0 {unit} (the OFF threshold is positive)"),
        require(lambda v: v[on] < 0, f"parameter {on!r} must be < 0 {unit} (the ON threshold is negative)"),
        require(lambda v: v["k_off"] > 0, "parameter 'k_off' must be > 0 (OFF drives x up, towards x_off)"),
        require(lambda v: v["k_on"] < 0, "parameter 'k_on' must be < 0 (ON drives x down, towards x_on)"),
    )


def _window_check(values) -> str | None:
    worst = max((values["x_off"] - values["a_off"]) / values["w_c"], (values["a_on"] - values["x_on"]) / values["w_c"])
    if worst > WINDOW_EXPONENT_LIMIT:
        return (f"parameter 'w_c' = {values['w_c']:g} m is too small for a_off, a_on: exp((x - a_off)/w_c) or "
                f"exp((a_on - x)/w_c) would overflow inside [x_on, x_off] (exponent {worst:g} > "
                f"{WINDOW_EXPONENT_LIMIT:g})")
    return None


def _resistances(source):
    return [
        param("ron", 50.0, "ohm", "resistance at x = x_on (ON)", source, positive=True),
        param("roff", 1e3, "ohm", "resistance at x = x_off (OFF)", source, positive=True),
    ]


TEAM = Device(
    name="team",
    title="TEAM current-threshold memristor (Simmons-model fit, Kvatinsky windows, linear I-V)",
    ports=("p", "n"),
    params=tuple(_resistances(TEAM_CIRCUIT) + [
        param("x_on", 0.0, "m", "state of R = ron (lower bound of x)", TECHNION_VA),
        param("x_off", 3e-9, "m", "state of R = roff (upper bound of x)", TECHNION_VA),
        param("x0", 0.0, "m", "initial state", f"{CHOICE}: the device starts ON, at x_on"),
        param("k_off", 1.46e-18, "m/s", "OFF rate constant (> 0; 1.46e-9 nm/s)", TEAM_FIT),
        param("alpha_off", 10.0, "", "OFF exponent (>= 1)", TEAM_FIT, minimum=1.0),
        param("i_off", 115e-6, "A", "OFF current threshold (> 0)", TEAM_FIT),
        param("k_on", -4.68e-22, "m/s", "ON rate constant (< 0; -4.68e-13 nm/s)", TEAM_FIT),
        param("alpha_on", 10.0, "", "ON exponent (>= 1)", TEAM_FIT, minimum=1.0),
        param("i_on", -8.9e-6, "A", "ON current threshold (< 0; the paper prints its magnitude, 8.9 uA)",
              TEAM_FIT),
        param("a_off", 1.2e-9, "m", "window f_off: x above which the OFF drift dies out", TEAM_WINDOW),
        param("a_on", 1.8e-9, "m", "window f_on: x below which the ON drift dies out", TEAM_WINDOW),
        param("w_c", 107e-12, "m", "window width", TEAM_WINDOW, positive=True),
    ]),
    states=(State("x", "x_on", "x_off", "x0", "m", "tunnel-gap width (x_on: ON, x_off: OFF)"),),
    current=CURRENT,
    rates={"x": TEAM_RATE},
    reference=f"{TEAM_PAPER}; parameters: TEAM fit to the Simmons tunnel-barrier model (Figs. 8, 10, 12, 13)",
    equations=r"""
$i = v / R(x)$, $\quad R(x) = R_{on} + (R_{off} - R_{on})\,\frac{x - x_{on}}{x_{off} - x_{on}}$ (TEAM Eq. 15), and
$$\dot x = k_{off}\,\Big(\frac{i}{i_{off}} - 1\Big)^{\alpha_{off}} f_{off}(x)\ \ (i > i_{off} > 0),\qquad
\dot x = 0\ \ (i_{on} < i < i_{off}),\qquad
\dot x = k_{on}\,\Big(\frac{i}{i_{on}} - 1\Big)^{\alpha_{on}} f_{on}(x)\ \ (i < i_{on} < 0),$$
with the Kvatinsky windows $f_{off}(x) = \exp[-\exp((x - a_{off})/w_c)]$ and $f_{on}(x) = \exp[-\exp(-(x - a_{on})/w_c)]$
(Eqs. 18-19); $i$ is the device's own current $v/R(x)$.

Choices:
- The three cases are one expression,
  $k_{off}\,|z_{off}|^{\alpha_{off}}\theta(z_{off})\,f_{off} + k_{on}\,|z_{on}|^{\alpha_{on}}\theta(z_{on})\,f_{on}$
  with $z_{off} = i/i_{off} - 1$, $z_{on} = i/i_{on} - 1$; $\theta$ is the logistic step and $|z|$ the smooth
  $z\tanh(z/2w)$, both of width $w = 10^{-3}$ (0.1 % of the threshold). Below a threshold the step is $\approx e^{z/w}$:
  $4.5\times10^{-5}$ 1 % below it, $4\times10^{-44}$ 10 % below it.
- Sign convention (the paper's): $x_{on} < x_{off}$, $k_{off} > 0$ drives $x$ up towards $R_{off}$, $k_{on} < 0$ down
  towards $R_{on}$; $i_{on}$ is negative (the paper prints $|i_{on}| = 8.9\,\mu$A, the Technion Verilog-A uses +8.9 µA
  and tests $I \le i_{on}$, which is wrong for negative currents).
- Units: SI, $k$ in m/s ($k_{off} = 1.46\times10^{-9}$ nm/s $= 1.46\times10^{-18}$ m/s).
- $x \in [x_{on}, x_{off}] = [0, 3\,\mathrm{nm}]$ as in the Technion Verilog-A (kept there by the language's smooth
  rate bound as well as by the windows).
- With the Simmons-derived $a_{off} = 1.2$ nm $< a_{on} = 1.8$ nm the windows leave a dead band: the OFF drift dies
  above ~1.3-1.4 nm, the ON drift below ~1.5 nm (the paper: the window "constrains the state variable to a low
  range"). Under a 1 V drive the device switches OFF from $x_{on}$ once, to $x \approx 1.3$ nm ($R \approx 460\,\Omega$),
  and ON from $x_{off}$ to $x \approx 1.5$ nm; it does not cycle between $R_{on}$ and $R_{off}$. For the paper's
  Fig. 12 (ideal rectangular window) set $a_{off} \gg x_{off}$ and $a_{on} \ll x_{on}$ (e.g. $\pm 1\,\mu$m):
  both windows are then 1. Caution: with that window ON switching accelerates as $R$ falls ($\dot x \propto R^{-10}$)
  and arrives at $x_{on}$ at up to $10^{7}$-$10^{12}$ m/s (0.3-1 V); against the rate bound's 3 pm width ngspice then
  stops with "time step too small". The Kvatinsky windows avoid this ($f_{on} \approx 0$ near $x_{on}$).
- Standard stimuli: the paper's 1 V sine (frequency not stated; 1 kHz chosen: the switching is threshold-like,
  so the frequency changes little) and ±1 V pulses.
""",
    checks=_checks("i_off", "i_on", "A") + (_window_check,),
    stimulus={"amplitude": 1.0, "frequency": 1e3, "cycles": 2, "pulse_high": 1.0, "pulse_low": -1.0,
              "pulse_width": 2e-4, "period": 1e-3},
)

VTEAM = Device(
    name="vteam",
    title="VTEAM voltage-threshold memristor (MemTorch parameter set, rectangular window, linear I-V)",
    ports=("p", "n"),
    params=tuple(_resistances(MEMTORCH) + [
        param("x_on", 0.0, "m", "state of R = ron (lower bound of x)", MEMTORCH),
        param("x_off", 3e-9, "m", "state of R = roff (upper bound of x; MemTorch's d)", MEMTORCH),
        param("x0", 0.0, "m", "initial state", f"{MEMTORCH}: x starts at x_on"),
        param("k_off", 5e-4, "m/s", "OFF rate constant (> 0)", f"{MEMTORCH}; m/s since MemTorch integrates x in m "
              "with time steps in s"),
        param("alpha_off", 1.0, "", "OFF exponent (>= 1)", MEMTORCH, minimum=1.0),
        param("v_off", 0.02, "V", "OFF voltage threshold (> 0)", MEMTORCH),
        param("k_on", -10.0, "m/s", "ON rate constant (< 0)", f"{MEMTORCH}; m/s as k_off"),
        param("alpha_on", 3.0, "", "ON exponent (>= 1)", MEMTORCH, minimum=1.0),
        param("v_on", -0.2, "V", "ON voltage threshold (< 0)", MEMTORCH),
    ]),
    states=(State("x", "x_on", "x_off", "x0", "m", "state variable (x_on: ON, x_off: OFF)"),),
    current=CURRENT,
    rates={"x": VTEAM_RATE},
    reference=f"{VTEAM_PAPER}; parameters: {MEMTORCH}",
    equations=r"""
$i = v / R(x)$, $\quad R(x) = R_{on} + (R_{off} - R_{on})\,\frac{x - x_{on}}{x_{off} - x_{on}}$, and
$$\dot x = k_{off}\,\Big(\frac{v}{v_{off}} - 1\Big)^{\alpha_{off}}\ \ (v > v_{off} > 0),\qquad
\dot x = 0\ \ (v_{on} < v < v_{off}),\qquad
\dot x = k_{on}\,\Big(\frac{v}{v_{on}} - 1\Big)^{\alpha_{on}}\ \ (v < v_{on} < 0).$$

Choices:
- Window: rectangular, as in MemTorch (the language's smooth rate bound at $x_{on}$, $x_{off}$ and nothing else).
- Thresholds: the same smooth form as TEAM, $k\,|z|^{\alpha}\theta(z)$ with $z = v/v_{off} - 1$ or $v/v_{on} - 1$,
  step width $10^{-3}$ of the threshold (20 µV at $v_{off}$, 0.2 mV at $v_{on}$).
- Units of $k$: m/s. MemTorch integrates $x$ in metres with time steps in seconds, so its $k_{off} = 5\times10^{-4}$
  and $k_{on} = -10$ are m/s. Check on MemTorch's own drive (1 V, 50 MHz, 200 ns): the first positive half-cycle
  moves $x$ by $k_{off}/\omega\,[2 (A/v_{off})\cos\varphi_1 - (\pi - 2\varphi_1)] = 0.154$ nm (5 % of the range,
  $\sin\varphi_1 = v_{off}/A$); in nm/s nothing would move ($10^{-10}$ nm). The ON side is ~$10^4$ times faster:
  at -1 V, $\dot x = -640$ m/s, so ON erases the state within ~0.3 ns of crossing $v_{on}$.
- Standard stimuli: because of that, not MemTorch's 1 V sine (the ON step is a near-discontinuity the 1/400-period
  grid of the comparison cannot resolve) but a 0.22 V, 5 MHz sine (just beyond $v_{on}$: a ratchet, +0.30 nm
  OFF, -0.12 nm ON per cycle) and 1 V / 10 ns write pulses separated by a -0.21 V erase level.
""",
    checks=_checks("v_off", "v_on", "V"),
    stimulus={"amplitude": 0.22, "frequency": 5e6, "cycles": 2, "pulse_high": 1.0, "pulse_low": -0.21,
              "pulse_width": 10e-9, "period": 40e-9},
)

CATALOGUE = (TEAM, VTEAM)
