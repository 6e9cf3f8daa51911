"""The built-in task kinds: ``irdrop``, ``crossbar_solve`` and ``netlist``.

Each function runs one sweep point in a worker process; see
:mod:`circuitsim.sweep.kinds` for the calling convention.  Heavy imports
(the solver, the engines) happen inside the functions.

The crossbar kinds build one :class:`~circuitsim.crossbar.spec.CrossbarSpec`
per point (:func:`irdrop_spec`, :func:`crossbar_spec`); their ``check``
builds the same spec on a 1 x 1 array when the sweep file is read, so the
spec's validation (the only one) refuses a bad wire or drive before any
point runs.
"""

from __future__ import annotations

import atexit
import math
import re
from typing import Any, Dict, List, Mapping, Tuple

import numpy as np

from circuitsim.sweep.kinds import REQUIRED, register_kind
from circuitsim.sweep.variability import Variability

__all__ = ["crossbar_solve_task", "crossbar_spec", "irdrop_spec", "irdrop_task", "netlist_task",
           "nominal_conductance", "parse_output", "placeholders", "render_template"]


# --------------------------------------------------------------------------- crossbars


def nominal_conductance(rows: int, columns: int, g_low: float, g_high: float, weights_seed: int) -> np.ndarray:
    """The programmed ("nominal") conductances: uniform in ``[g_low, g_high]`` (S).

    Drawn from ``default_rng([weights_seed, rows, columns])``, so every point
    (and every Monte Carlo sample) of one array size sees the same weights;
    the point's own generator only draws the variability.
    """
    rng = np.random.default_rng([int(weights_seed), int(rows), int(columns)])
    return rng.uniform(g_low, g_high, (int(rows), int(columns)))


def _check_range(p: Mapping[str, Any]) -> None:
    for name in ("size", "rows", "columns"):
        if name in p and p[name] is not None and p[name] < 1:
            raise ValueError(f"{name} must be >= 1, got {p[name]!r}")
    if not (0 < p["g_low"] <= p["g_high"] and math.isfinite(p["g_high"])):
        raise ValueError(f"need 0 < g_low <= g_high (S), got g_low={p['g_low']!r}, g_high={p['g_high']!r}")


def irdrop_spec(params: Mapping[str, Any], conductance: np.ndarray) -> Any:
    """The spec of an ``irdrop`` point: ``r_row = r_col = r_wire``, every row at ``v_read``."""
    from circuitsim.crossbar.spec import CrossbarSpec

    n = conductance.shape[0]
    return CrossbarSpec(conductance, np.full(n, float(params["v_read"])), r_row=params["r_wire"],
                        r_col=params["r_wire"], r_source=params["r_source"], r_sense=params["r_sense"])


def _check_irdrop(p: Mapping[str, Any]) -> None:
    _check_range(p)
    irdrop_spec(p, np.full((1, 1), float(p["g_low"])))


IRDROP_PARAMETERS: Dict[str, Any] = {
    "size": 32, "r_wire": 1.0, "g_low": 1e-6, "g_high": 1e-5, "v_read": 0.1,
    "r_source": 1e-3, "r_sense": 1e-3, "weights_seed": 0,
}


def irdrop_task(params: Mapping[str, Any], *, rng: np.random.Generator, variability: Variability) -> Dict[str, Any]:
    """IR-drop figures of a ``size x size`` array with ``r_row = r_col = r_wire`` (fast solver).

    The nominal conductances come from :func:`nominal_conductance`; the
    device-to-device spread gives this point's array, and each read pulse
    (cycle-to-cycle spread) is solved on its own.  Every row is driven at
    ``v_read`` (all inputs on: the worst IR drop).

    Returns
    -------
    dict
        Means over the pulses of ``max_rel_error``, ``rms_rel_error``,
        ``normwise_error``, ``worst_cell_fraction``, ``mean_cell_fraction``
        (against the ideal product of the array's own conductances, see
        :class:`circuitsim.analysis.irdrop.IRDropReport`: the IR drop alone)
        and ``nominal_rms_rel_error`` / ``nominal_max_rel_error`` (against
        the ideal product of the *nominal* conductances: IR drop plus
        variability, the accuracy a user sees).
    """
    from circuitsim.analysis.irdrop import irdrop_report

    n = int(params["size"])
    g_nom = nominal_conductance(n, n, params["g_low"], params["g_high"], params["weights_seed"])
    ideal_nominal = irdrop_spec(params, g_nom).voltages @ g_nom
    g_dev = variability.device(g_nom, rng)
    figures: Dict[str, List[float]] = {}
    for g in variability.cycles(g_dev, rng):
        rep = irdrop_report(irdrop_spec(params, g), engine="fast")
        nominal_rel = (rep.currents - ideal_nominal) / np.abs(ideal_nominal)
        values = {
            "max_rel_error": rep.max_rel_error, "rms_rel_error": rep.rms_rel_error,
            "normwise_error": rep.normwise_error, "worst_cell_fraction": rep.worst_cell_fraction,
            "mean_cell_fraction": float(np.nanmean(rep.cell_fraction)),
            "nominal_max_rel_error": float(np.max(np.abs(nominal_rel))),
            "nominal_rms_rel_error": float(np.sqrt(np.mean(nominal_rel ** 2))),
        }
        for key, value in values.items():
            figures.setdefault(key, []).append(value)
    return {key: float(np.mean(vals)) for key, vals in figures.items()}


CROSSBAR_PARAMETERS: Dict[str, Any] = {
    "rows": 32, "columns": 32, "r_row": 1.0, "r_col": 1.0, "g_low": 1e-6, "g_high": 1e-5, "v_read": 0.1,
    "r_source": 1e-3, "r_sense": 1e-3, "weights_seed": 0, "drive": "one", "method": "auto",
    "inputs": "all",
}


def crossbar_spec(params: Mapping[str, Any], conductance: np.ndarray) -> Any:
    """The spec of a ``crossbar_solve`` point: row voltages all ``v_read`` (``inputs = "all"``) or uniform in
    ``[0, v_read]`` drawn with the nominal weights' generator (``inputs = "random"``, the same for every
    sample)."""
    from circuitsim.crossbar.spec import CrossbarSpec

    m, n = conductance.shape
    if params["inputs"] == "random":
        v = np.random.default_rng([int(params["weights_seed"]), m, n, 1]).uniform(0, params["v_read"], m)
    else:
        v = np.full(m, float(params["v_read"]))
    return CrossbarSpec(conductance, v, r_row=params["r_row"], r_col=params["r_col"], r_source=params["r_source"],
                        r_sense=params["r_sense"], drive=params["drive"])


def _check_crossbar(p: Mapping[str, Any]) -> None:
    from circuitsim.crossbar.solver import METHODS

    _check_range(p)
    if p["method"] not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {p['method']!r}")
    if p["inputs"] not in ("all", "random"):
        raise ValueError(f"inputs must be 'all' (every row at v_read) or 'random' (uniform in [0, v_read]), "
                         f"got {p['inputs']!r}")
    crossbar_spec({**p, "inputs": "all"}, np.full((1, 1), float(p["g_low"])))


def crossbar_solve_task(params: Mapping[str, Any], *, rng: np.random.Generator,
                        variability: Variability) -> Dict[str, Any]:
    """Column currents of a crossbar (fast solver), averaged over the read pulses.

    Row voltages: all ``v_read`` (``inputs = "all"``) or uniform in
    ``[0, v_read]`` drawn with the nominal weights' generator
    (``inputs = "random"``, the same for every sample).

    Returns
    -------
    dict
        ``column_currents`` (A, one per column), ``total_current`` (A),
        ``ideal_total_current`` (A, nominal conductances, ideal wires) and
        ``pulse_spread`` (standard deviation over the pulses of each column
        current, relative to its mean, averaged over the columns; 0 with one pulse).
    """
    from circuitsim.crossbar.solver import solve_crossbar

    m, n = int(params["rows"]), int(params["columns"])
    g_nom = nominal_conductance(m, n, params["g_low"], params["g_high"], params["weights_seed"])
    v = crossbar_spec(params, g_nom).voltages
    g_dev = variability.device(g_nom, rng)
    currents = []
    for g in variability.cycles(g_dev, rng):
        sol = solve_crossbar(crossbar_spec(params, g), method=params["method"], keep_voltages=False)
        currents.append(sol.column_currents)
    i = np.array(currents)
    mean = i.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = float(np.nanmean(i.std(axis=0) / np.abs(mean))) if len(i) > 1 else 0.0
    return {"column_currents": mean, "total_current": float(mean.sum()),
            "ideal_total_current": float((v @ g_nom).sum()), "pulse_spread": spread}


# --------------------------------------------------------------------------- netlists

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
REDUCTIONS = ("last", "first", "max", "min", "mean", "absmax")
_REDUCED = re.compile(r"^\s*(" + "|".join(REDUCTIONS) + r")\s*\((.*)\)\s*$")


def placeholders(template: str) -> Tuple[str, ...]:
    """The ``{{name}}`` placeholders of a netlist template, in order of first appearance."""
    seen: Dict[str, None] = {}
    for match in _PLACEHOLDER.finditer(template):
        seen.setdefault(match.group(1), None)
    return tuple(seen)


def render_template(template: str, values: Mapping[str, Any]) -> str:
    """The template with each ``{{name}}`` replaced: numbers as ``%.15g``, strings verbatim."""
    from circuitsim.numbers import spice_number

    def sub(match: "re.Match[str]") -> str:
        value = values[match.group(1)]
        if isinstance(value, str):
            return value
        return spice_number(float(value), match.group(1))

    return _PLACEHOLDER.sub(sub, template)


def parse_output(expression: str) -> Tuple[str, str]:
    """``"max(v(out))"`` -> ``("max", "v(out)")``; a bare vector name means its ``last`` value."""
    match = _REDUCED.match(expression)
    if match:
        return match.group(1), match.group(2).strip()
    return "last", expression.strip()


_ENGINES: Dict[str, Any] = {}


def _engine(name: str) -> Any:
    """One engine of each kind per worker process (libngspice allows one instance per process)."""
    if name not in _ENGINES:
        from circuitsim.spice import get_engine

        _ENGINES[name] = get_engine(name)
    return _ENGINES[name]


@atexit.register
def _close_engines() -> None:
    for engine in _ENGINES.values():
        try:
            engine.close()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
    _ENGINES.clear()


NETLIST_OPTIONS: Dict[str, Any] = {"template": "", "template_file": "", "outputs": REQUIRED, "engine": "batch",
                                   "timeout": 0.0, "allow_shell": False}


def _netlist_parameters(options: Mapping[str, Any]) -> Dict[str, Any]:
    return {name: REQUIRED for name in placeholders(str(options.get("template", "")))}


def _check_netlist(p: Mapping[str, Any]) -> None:
    if not str(p.get("template", "")).strip():
        raise ValueError("the netlist kind needs 'template' (netlist text with {{name}} placeholders) or "
                         "'template_file'")
    if p["engine"] not in ("batch", "shared"):
        raise ValueError(f"engine must be 'batch' or 'shared', got {p['engine']!r}")
    outputs = p["outputs"]
    if not isinstance(outputs, Mapping) or not outputs:
        raise ValueError('outputs must be a table of name = "vector" or name = "max(vector)" '
                         f"(reductions: {', '.join(REDUCTIONS)})")
    for name, expr in outputs.items():
        if not isinstance(expr, str) or not parse_output(expr)[1]:
            raise ValueError(f"outputs.{name} must be a vector name or REDUCTION(vector), got {expr!r}")
    timeout = p["timeout"]
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout >= 0):
        raise ValueError(f"timeout must be a finite number of seconds >= 0 (0: none), got {timeout!r}")
    if not p.get("allow_shell") and all(name in p for name in placeholders(p["template"])):
        from circuitsim.spice.deck import prepare_deck
        from circuitsim.spice.errors import NetlistError

        try:                                   # the rendered deck, as each point will run it
            prepare_deck(render_template(p["template"], p), allow_shell=False)
        except NetlistError as exc:
            raise ValueError(f"the template: {exc}") from None


def netlist_task(params: Mapping[str, Any], *, rng: np.random.Generator, variability: Variability) -> Dict[str, Any]:
    """Run the template with this point's parameters through ngspice and reduce the named vectors.

    The template carries its own analysis lines.  Each output is
    ``REDUCTION(vector)`` (``last``, ``first``, ``max``, ``min``, ``mean``,
    ``absmax``) of a vector of the last analysis, or a bare vector name (its
    last value; the value of an ``.op``).
    """
    deck = render_template(params["template"], params)
    timeout = float(params["timeout"]) or None
    result = _engine(params["engine"]).run(deck, None, timeout=timeout, allow_shell=bool(params.get("allow_shell")))
    out: Dict[str, Any] = {}
    for name, expr in params["outputs"].items():
        how, vector = parse_output(expr)
        data = np.real(np.asarray(result[vector]))
        value = {"last": lambda d: d[-1], "first": lambda d: d[0], "max": np.max, "min": np.min,
                 "mean": np.mean, "absmax": lambda d: np.max(np.abs(d))}[how](data)
        out[name] = float(value)
    return out


# --------------------------------------------------------------------------- registration

register_kind("irdrop", irdrop_task, IRDROP_PARAMETERS, check=_check_irdrop, variability=True,
              plot=("rms_rel_error", "nominal_rms_rel_error"),
              doc="IR-drop figures of a square array (fast solver) against the ideal product")
register_kind("crossbar_solve", crossbar_solve_task, CROSSBAR_PARAMETERS, check=_check_crossbar, variability=True,
              plot=("total_current",), doc="column currents of a crossbar (fast solver)")
register_kind("netlist", netlist_task, _netlist_parameters, options=NETLIST_OPTIONS, check=_check_netlist,
              doc="a netlist template with {{name}} placeholders run through ngspice")
