"""Pershin-Di Ventra threshold memristor (the ngspice-native baseline)."""

from __future__ import annotations

import sympy as sp

from circuitsim.models.language import V, Device, State, greater, param, symbol

SOURCE = "Biolek, Di Ventra, Pershin, Radioengineering 22(4), 945 (2013), section R.2"

x = symbol("x")
beta, vt = symbol("beta"), symbol("vt")

PERSHIN = Device(
    name="pershin",
    title="Pershin-Di Ventra threshold memristor (resistance as state, threshold voltage)",
    ports=("p", "n"),
    params=(
        param("ron", 1e3, "ohm", "lowest resistance (state lower bound)", SOURCE, positive=True),
        param("roff", 1e4, "ohm", "highest resistance (state upper bound)", SOURCE, positive=True),
        param("rinit", 5e3, "ohm", "initial resistance", SOURCE, positive=True),
        param("beta", 1e13, "ohm/(V s)", "rate of resistance change per volt above threshold", SOURCE,
              positive=True),
        param("vt", 4.6, "V", "threshold voltage", SOURCE, minimum=0.0),
    ),
    states=(State("x", "ron", "roff", "rinit", "ohm", "memristance"),),
    current=V / x,
    # beta (V - (|V + vt| - |V - vt|) / 2) written without the cancellation that leaves rounding noise
    # (times beta = 1e13) below threshold, where the rate must be exactly zero for ngspice's step control.
    rates={"x": beta * (sp.Max(V - vt, 0) + sp.Min(V + vt, 0))},
    reference="Y. V. Pershin, M. Di Ventra, Proc. IEEE 100, 2071 (2012); SPICE form: " + SOURCE,
    equations=r"""
$I = V / x$, and $\dot x = \beta\,\big(V - \tfrac12(|V+V_t| - |V-V_t|)\big)$ bounded to $[R_{on}, R_{off}]$,
computed as $\beta\,[\max(V - V_t, 0) + \min(V + V_t, 0)]$ (the same function, exactly zero below threshold).

The rate is zero for $|V| < V_t$ and grows linearly above it; a positive voltage raises the
resistance.  The paper's step functions $\theta(V)\theta(R_{off}-x) + \theta(-V)\theta(x-R_{on})$ are the
language's smooth rate bound (a positive rate fades out near $R_{off}$, a negative one near $R_{on}$).
""",
    checks=(greater("roff", "ron"),),
    stimulus={"amplitude": 5.0, "frequency": 50e6, "cycles": 2, "pulse_high": 6.0, "pulse_low": -6.0,
              "pulse_width": 5e-9, "period": 20e-9},
)

CATALOGUE = (PERSHIN,)
