"""Yakopcic generalized memristor model (Yakopcic et al., IEEE TCAD 32, 1201 (2013); IEEE EDL 32, 1436 (2011)).

Defaults: the fit to the Boise-State (Oblea) device that the Xyce built-in
``memristor level=3`` and the knowm subcircuit's original parameter line use.
The model's hard switches (the thresholds of g(V), the branch point x_p / 1 - x_n
of the motion function f(x), the sign of eta*V, and a1/a2 at V = 0) are logistic
smooth steps of widths ``v_step`` (voltage) and ``x_step`` (state).
"""

from __future__ import annotations

import sympy as sp

from circuitsim.models.language import V, Device, State, param, require, smooth_step, symbol

TCAD_2013 = "C. Yakopcic, T. M. Taha, G. Subramanyam, R. E. Pino, IEEE TCAD 32, 1201 (2013)"
OBLEA_FIT = ("Oblea/Boise-State fit: Xyce memristor level=3 defaults and knowm "
             "Yakopcic/LTSpice/memristor_yakopcic.sub original .params line")
CHOICE = "circuitsim choice (smooth step; see equations)"

x = symbol("x")
a1, a2, b, vp, vn, ap, an, xp, xn, alphap, alphan, eta, v_step, x_step = (
    symbol(n) for n in ("a1", "a2", "b", "vp", "vn", "ap", "an", "xp", "xn", "alphap", "alphan", "eta",
                        "v_step", "x_step"))

# I-V: a1 x sinh(bV) for V >= 0, a2 x sinh(bV) for V < 0 (continuous at V = 0; only the slope switches).
CURRENT = x * sp.sinh(b * V) * (a1 * smooth_step(V, v_step) + a2 * smooth_step(-V, v_step))

# Threshold function g(V): continuous at +-threshold, so each branch times a step is a C-infinity
# version whose only departure is within a few v_step of the threshold.
G = (ap * (sp.exp(V) - sp.exp(vp)) * smooth_step(V - vp, v_step)
     - an * (sp.exp(-V) - sp.exp(vn)) * smooth_step(-V - vn, v_step))

# Motion function f(x): both branches equal 1 at their branch points, so blending them with a step
# of width x_step changes f by O(x_step) near the branch point only.
W_P = (xp - x) / (1 - xp) + 1
W_N = x / (1 - xn)
F_POS = smooth_step(x - xp, x_step) * sp.exp(-alphap * (x - xp)) * W_P + smooth_step(xp - x, x_step)
F_NEG = smooth_step(1 - xn - x, x_step) * sp.exp(alphan * (x + xn - 1)) * W_N + smooth_step(x - (1 - xn), x_step)
F = smooth_step(eta * V, v_step) * F_POS + smooth_step(-eta * V, v_step) * F_NEG

EQUATIONS = r"""
$I = a_1\,x\,\sinh(bV)$ for $V \ge 0$ and $I = a_2\,x\,\sinh(bV)$ for $V < 0$;
$\quad \dot x = \eta\,g(V)\,f(x)$, $x \in [0, 1]$, with

$g(V) = A_p\,(e^{V} - e^{V_p})$ for $V > V_p$, $\; -A_n\,(e^{-V} - e^{V_n})$ for $V < -V_n$, $\; 0$
otherwise (V in volts);

$f(x) = e^{-\alpha_p (x - x_p)}\,w_p(x)$ if $\eta V \ge 0$ and $x \ge x_p$;
$\; e^{\alpha_n (x + x_n - 1)}\,w_n(x)$ if $\eta V < 0$ and $x \le 1 - x_n$; $\; 1$ otherwise;
$\quad w_p = \frac{x_p - x}{1 - x_p} + 1$, $w_n = \frac{x}{1 - x_n}$.

**Smoothing (circuitsim choice).** Every hard switch is a logistic step
$\theta_w(z) = 1/(1 + e^{-z/w})$:

- $g(V) = A_p (e^{V} - e^{V_p})\,\theta_{v}(V - V_p) - A_n (e^{-V} - e^{V_n})\,\theta_{v}(-V - V_n)$;
- $f(x) = \theta_v(\eta V)\,[\theta_x(x - x_p)\,e^{-\alpha_p (x - x_p)} w_p + \theta_x(x_p - x)]
  + \theta_v(-\eta V)\,[\theta_x(1 - x_n - x)\,e^{\alpha_n (x + x_n - 1)} w_n + \theta_x(x - 1 + x_n)]$;
- $I = x \sinh(bV)\,[a_1 \theta_v(V) + a_2 \theta_v(-V)]$;

with $v$ = `v_step` = 0.1 mV and $x$ = `x_step` = 1e-3.  g, f and I are continuous across each switch
(the branches meet: $g = 0$ at the thresholds, $f = 1$ at $x_p$ and $1 - x_n$, $I = 0$ at $V = 0$), so the
steps only round a kink; a ramp $u$ times $\theta_w(u)$ departs from $\max(u, 0)$ by at most $0.28\,w$.
Hence: g is off by at most $0.28\,A_p e^{V_p} v \approx 0.13$ s$^{-1}$ (against 8600 s$^{-1}$ at 1.2 V),
only within a few `v_step` of a threshold, where it may have the wrong sign; below threshold it falls as
$e^{-(V_p - V)/v}$, so for $|V| \le 0.9 \min(V_p, V_n)$ the rate is below $10^{-62}$ s$^{-1}$ and the
published "no motion below threshold" holds (a 1 mV width would leak $e^{-15}$ there and break it).
f is off by at most $0.28\,x\,(\alpha_p + 1/(1 - x_p)) = 7\times10^{-4}$ next to $x_p$ and
$0.28\,x\,(\alpha_n + 1/(1 - x_n)) = 2\times10^{-3}$ next to $1 - x_n$.  The $\eta V$ switch of f sits
where g vanishes to within $e^{-1500}$ and changes nothing; with $a_1 = a_2$ the current is exactly
$a_1 x \sinh(bV)$, and with $a_1 \ne a_2$ the blend is exact to $e^{-30}$ for $|V| > 3$ mV.  Measured
effect on the published run (1.2 V, 1 Hz): the smoothed subcircuit stays within 2.1e-4 of the state range
of the hard-switched equations integrated by scipy, the same as its distance from its own reference, i.e.
ngspice's discretisation.  Why not narrower: the widths are 1e5 (`v_step`) and 1e6 (`x_step`) times
ngspice's `vntol`, so Newton sees a smooth function rather than a kink.

The state stays inside [0, 1] by itself ($w_p(1) = 0$, $w_n(0) = 0$); the language's smooth rate bound
is a second guard.  $\eta = \pm 1$ sets the direction of motion relative to the voltage polarity.
Defaults: the Oblea/Boise-State fit of the Xyce built-in `memristor level=3` and of the knowm
subcircuit's original `.params` line (the knowm file's active line, $V_p = 0.65$, $V_n = 0.56$ V, is a
different device).  Standard sine: the Xyce `level=3` test drive, 1.2 V at 1 Hz (x swings over the whole
of [0, 1] each cycle).  Standard pulse train (circuitsim choice, just above both thresholds so the
switching takes a visible fraction of the pulse): 2 ms at +0.3 V, 2 ms at -0.3 V, which moves x
0.11 -> 0.80 -> 0.22 -> 0.80 -> 0.20.
"""


def _open_unit(name: str):
    return require(lambda v: 0.0 < v[name] < 1.0, f"parameter {name!r} must lie in (0, 1)")


YAKOPCIC = Device(
    name="yakopcic",
    title="Yakopcic generalized memristor (sinh I-V, exponential thresholds, state-dependent motion)",
    ports=("p", "n"),
    params=(
        param("a1", 0.17, "A", "I-V amplitude for V >= 0 (I = a1 x sinh(bV))", OBLEA_FIT, positive=True),
        param("a2", 0.17, "A", "I-V amplitude for V < 0", OBLEA_FIT, positive=True),
        param("b", 0.05, "1/V", "I-V curvature (sinh argument per volt)", OBLEA_FIT, positive=True),
        param("vp", 0.16, "V", "positive switching threshold", OBLEA_FIT, positive=True),
        param("vn", 0.15, "V", "negative switching threshold (magnitude)", OBLEA_FIT, positive=True),
        param("ap", 4000.0, "1/s", "state-motion magnitude above +vp", OBLEA_FIT, positive=True),
        param("an", 4000.0, "1/s", "state-motion magnitude below -vn", OBLEA_FIT, positive=True),
        param("xp", 0.3, "", "state above which positive motion is damped (in (0, 1))", OBLEA_FIT),
        param("xn", 0.5, "", "1 - xn is the state below which negative motion is damped (in (0, 1))",
              OBLEA_FIT),
        param("alphap", 1.0, "", "exponential damping of positive motion above xp", OBLEA_FIT, minimum=0.0),
        param("alphan", 5.0, "", "exponential damping of negative motion below 1 - xn", OBLEA_FIT, minimum=0.0),
        param("x0", 0.11, "", "initial state", OBLEA_FIT + " (xo)", minimum=0.0, maximum=1.0),
        param("eta", 1.0, "", "direction of motion relative to the voltage polarity (+1 or -1)", TCAD_2013),
        param("v_step", 1e-4, "V", "width of the smoothed voltage switches (thresholds, sign of eta*V, a1/a2)",
              CHOICE, positive=True),
        param("x_step", 1e-3, "", "width of the smoothed state switches (at xp and 1 - xn)", CHOICE,
              positive=True),
    ),
    states=(State("x", 0.0, 1.0, "x0", "", "normalised state (conducting fraction)"),),
    current=CURRENT,
    rates={"x": eta * G * F},
    reference=f"{TCAD_2013}; C. Yakopcic et al., IEEE EDL 32, 1436 (2011); device: A. S. Oblea et al., "
              "IJCNN 2010",
    equations=EQUATIONS,
    checks=(_open_unit("xp"), _open_unit("xn"),
            require(lambda v: abs(v["eta"]) == 1.0, "parameter 'eta' must be +1 or -1")),
    stimulus={"amplitude": 1.2, "frequency": 1.0, "cycles": 2, "pulse_high": 0.3, "pulse_low": -0.3,
              "pulse_width": 2e-3, "period": 4e-3},
)

CATALOGUE = (YAKOPCIC,)
