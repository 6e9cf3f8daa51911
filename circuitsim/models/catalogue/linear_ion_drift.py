"""HP linear ion drift memristor (Strukov et al. 2008) with the Joglekar, Biolek and Prodromakis windows.

One factory declares the three devices; they share the drift equation and
differ only in the window function.
"""

from __future__ import annotations

import sympy as sp

from circuitsim.models.language import V, Device, State, greater, param, smooth_step, symbol

STRUKOV = "D. B. Strukov et al., Nature 453, 80 (2008)"
BIOLEK_2009 = "Z. Biolek, D. Biolek, V. Biolkova, Radioengineering 18, 210 (2009), Fig. 5a set"

x = symbol("x")
ron, roff, d, mu_v, p, j, i_step = (symbol(n) for n in ("ron", "roff", "d", "mu_v", "p", "j", "i_step"))

RESISTANCE = ron * x + roff * (1 - x)
CURRENT = V / RESISTANCE

WINDOWS = {
    "joglekar": (1 - sp.Abs(2 * x - 1) ** (2 * p),
                 "Y. N. Joglekar, S. J. Wolf, Eur. J. Phys. 30, 661 (2009)",
                 r"$f(x) = 1 - (2x - 1)^{2p}$"),
    "biolek": (1 - sp.Abs(x - smooth_step(-CURRENT, i_step)) ** (2 * p),
               "Z. Biolek, D. Biolek, V. Biolkova, Radioengineering 18, 210 (2009)",
               r"$f(x, i) = 1 - (x - \mathrm{stp}(-i))^{2p}$, with $\mathrm{stp}$ a logistic step of width $i_{step}$"),
    "prodromakis": (j * (1 - ((x - sp.Rational(1, 2)) ** 2 + sp.Rational(3, 4)) ** p),
                    "T. Prodromakis et al., IEEE Trans. Electron Devices 58, 3099 (2011)",
                    r"$f(x) = j\,\{1 - [(x - 0.5)^2 + 0.75]^p\}$"),
}
DEFAULT_P = {"joglekar": 1.0, "biolek": 10.0, "prodromakis": 10.0}


def linear_ion_drift(window: str) -> Device:
    """The linear ion drift device with one of the three windows."""
    f, window_source, window_tex = WINDOWS[window]
    parameters = [
        param("ron", 100.0, "ohm", "resistance when fully doped (x = 1)", BIOLEK_2009, positive=True),
        param("roff", 16e3, "ohm", "resistance when undoped (x = 0)", BIOLEK_2009, positive=True),
        param("x0", 0.3145, "", "initial doped fraction w/D (R_init = 11 kohm)", BIOLEK_2009 + " (R_INIT = 11 kohm)",
              minimum=0.0, maximum=1.0),
        param("d", 10e-9, "m", "film thickness D", STRUKOV, positive=True),
        param("mu_v", 1e-14, "m^2/(V s)", "dopant mobility", STRUKOV, positive=True),
        param("p", DEFAULT_P[window], "", "window exponent (>= 1)", window_source, minimum=1.0),
    ]
    if window == "biolek":
        parameters.append(param("i_step", 1e-9, "A", "width of the smoothed step stp(-i)",
                                "circuitsim choice (smooth step, Biolek et al. 2013)", positive=True))
    if window == "prodromakis":
        parameters.append(param("j", 1.0, "", "window scale", window_source, positive=True))
    return Device(
        name=f"lid_{window}",
        title=f"HP linear ion drift memristor with the {window.capitalize()} window",
        ports=("p", "n"),
        params=tuple(parameters),
        states=(State("x", 0.0, 1.0, "x0", "", "doped fraction w/D of the film"),),
        current=CURRENT,
        rates={"x": mu_v * ron / d ** 2 * CURRENT * f},
        reference=f"{STRUKOV}; window: {window_source}",
        equations=rf"""
$v = [R_{{on}} x + R_{{off}} (1 - x)]\, i$, $\quad \dot x = \frac{{\mu_V R_{{on}}}}{{D^2}}\, i\, f(x)$, with $x = w/D \in [0, 1]$.

Window: {window_tex}.  Defaults: the Biolek et al. 2009 Fig. 5a set (1.2 V, 1 Hz sine drive).
""",
        checks=(greater("roff", "ron"),),
        stimulus={"amplitude": 1.2, "frequency": 1.0, "cycles": 2, "pulse_high": 1.2, "pulse_low": -1.2,
                  "pulse_width": 0.1, "period": 0.4},
    )


LID_JOGLEKAR = linear_ion_drift("joglekar")
LID_BIOLEK = linear_ion_drift("biolek")
LID_PRODROMAKIS = linear_ion_drift("prodromakis")

CATALOGUE = (LID_JOGLEKAR, LID_BIOLEK, LID_PRODROMAKIS)
