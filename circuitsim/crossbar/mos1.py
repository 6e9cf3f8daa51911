"""ngspice's level-1 MOSFET (Shichman-Hodges) and its bulk junctions, for the fast solver's 1T1R cell.

Layer: physics below the cells (imports numpy only).  The equations are
those of ngspice's ``mos1load.c`` at its default temperature (27 C = TNOM)
and options, for an NMOS card with at most ``level vto kp lambda ld is``
(:data:`SOLVABLE`): ``beta = kp W / (L - 2 LD)``; with ``vgst = vgs - vto``
(``gamma = 0``: no body effect), cutoff ``I = 0`` for ``vgst <= 0``,
saturation ``beta (1 + lambda vds) vgst^2 / 2`` for ``vgst <= vds``, linear
``beta (1 + lambda vds) vds (vgst - vds/2)``; for ``vds < 0`` drain and
source swap (``vgd`` in place of ``vgs``).  The bulk-drain and bulk-source
junctions are ngspice's: ``IS (exp(vb/vt) - 1) + GMIN vb`` above ``-3 vt``
and ``GMIN vb - IS`` below.
"""

from __future__ import annotations

import re
from typing import Dict, Optional, Tuple

import numpy as np

__all__ = ["NGSPICE_GMIN", "SOLVABLE", "THERMAL_VOLTAGE", "channel", "junction", "level1_parameters",
           "model_parameters", "spice_float"]

#: ngspice's default GMIN (S): the conductance its junction models add in parallel (``.options gmin``)
NGSPICE_GMIN = 1e-12
#: ngspice's thermal voltage at 27 C (CONSTKoverQ * (27 + CONSTCtoK), const.h)
THERMAL_VOLTAGE = 1.38064852e-23 / 1.6021766208e-19 * (27.0 + 273.15)
#: ngspice's exponent limit
MAX_EXP_ARG = 709.0
#: level-1 model parameters the fast solver reproduces (any other parameter on the card: ngspice only)
SOLVABLE = {"level", "vto", "kp", "lambda", "ld", "is"}
_SCALE = {"t": 1e12, "g": 1e9, "meg": 1e6, "k": 1e3, "mil": 25.4e-6, "m": 1e-3, "u": 1e-6, "n": 1e-9,
          "p": 1e-12, "f": 1e-15}
_NUMBER = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(meg|mil|[tgkmunpf])?[a-z]*")


def spice_float(text: str) -> float:
    """A SPICE number (``2e-4``, ``0.5``, ``10u``, ``1meg``) as a float; ``ValueError`` otherwise."""
    match = _NUMBER.fullmatch(text.strip().lower())
    if not match:
        raise ValueError(f"not a SPICE number: {text!r}")
    return float(match.group(1)) * (_SCALE[match.group(2)] if match.group(2) else 1.0)


def model_parameters(card: str) -> Dict[str, str]:
    """``{name: value text}`` of a ``.model NAME TYPE (k=v ...)`` card (lower-case names)."""
    parts = card.split(None, 3)
    body = parts[3] if len(parts) > 3 else ""
    body = body.replace("(", " ").replace(")", " ").replace(",", " ")
    body = " ".join(body.split()).replace(" = ", "=").replace(" =", "=").replace("= ", "=")
    out = {}
    for item in body.split():
        if "=" in item:
            k, v = item.split("=", 1)
            out[k.strip().lower()] = v.strip()
    return out


def level1_parameters(card: str, length: float) -> Optional[Dict[str, float]]:
    """The level-1 parameters of an NMOS card (``vto kp lambda ld is``, ngspice's defaults filled in), or
    ``None`` when the card is not one the fast solver reproduces (another type, level or parameter)."""
    parts = card.split()
    if len(parts) < 3 or parts[2].lower().split("(")[0] != "nmos":
        return None
    raw = model_parameters(card)
    if set(raw) - SOLVABLE:
        return None
    try:
        p = {k: spice_float(v) for k, v in raw.items()}
    except ValueError:
        return None
    if int(p.get("level", 1)) != 1:
        return None
    out = {"vto": p.get("vto", 0.0), "kp": p.get("kp", 2e-5), "lambda": p.get("lambda", 0.0),
           "ld": p.get("ld", 0.0), "is": p.get("is", 1e-14)}
    if not length - 2 * out["ld"] > 0:
        return None
    return out


def junction(vb: np.ndarray, i_s: float, vt: float = THERMAL_VOLTAGE) -> Tuple[np.ndarray, np.ndarray]:
    """ngspice's bulk junction: current bulk -> terminal (A) and its conductance (S) at ``vb`` = V(bulk) -
    V(terminal)."""
    with np.errstate(over="ignore"):
        e = np.exp(np.minimum(vb / vt, MAX_EXP_ARG))
    rev = vb <= -3 * vt
    i = np.where(rev, NGSPICE_GMIN * vb - i_s, i_s * (e - 1.0) + NGSPICE_GMIN * vb)
    gj = np.where(rev, NGSPICE_GMIN, i_s * e / vt + NGSPICE_GMIN)
    return i, gj


def channel(p: Dict[str, float], width: float, length: float, vd: np.ndarray, vg: np.ndarray,
            vs: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Channel current drain -> source (A) and its partials ``d/dvd``, ``d/dvs`` at fixed gate (S)."""
    beta = p["kp"] * width / (length - 2 * p["ld"])
    lam = p["lambda"]
    vds = vd - vs
    mode = np.where(vds >= 0, 1.0, -1.0)
    vgs_eff = np.where(mode > 0, vg - vs, vg - vd)     # vgs, or vgd in inverse mode
    x = vds * mode                                     # >= 0
    vgst = vgs_eff - p["vto"]
    betap = beta * (1 + lam * x)
    sat = vgst <= x
    on = vgst > 0
    cd = np.where(sat, betap * vgst * vgst * 0.5, betap * x * (vgst - 0.5 * x))
    gm = np.where(sat, betap * vgst, betap * x)
    gds = np.where(sat, lam * beta * vgst * vgst * 0.5, betap * (vgst - x) + lam * beta * x * (vgst - 0.5 * x))
    cd, gm, gds = (np.where(on, a, 0.0) for a in (cd, gm, gds))
    # normal mode: I = cd(vgs, vds): dI/dvd = gds, dI/dvs = -(gm + gds)
    # inverse mode: I = -cd(vgd, -vds): dI/dvd = gm + gds, dI/dvs = -gds
    i = mode * cd
    d_vd = np.where(mode > 0, gds, gm + gds)
    d_vs = np.where(mode > 0, -(gm + gds), -gds)
    return i, d_vd, d_vs
