"""The cell device seen by the fast transient engine: vectorised current, slope and rates, and what it refuses.

The functions print the same expressions as the ngspice subckt and the
Verilog-A module (:meth:`Device.target_expressions`: states clamped inside
the physics, rates smoothly bounded), with every noise input at 0 (the
deterministic part, as the Verilog-A module the OSDI cells run).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import sympy as sp

from circuitsim.models.language import V, Device, symbol
from circuitsim.models.printers import _numpy_smooth_step, numpy_functions

__all__ = ["DeviceFunctions", "device_functions", "unsupported_reason"]


@dataclass(frozen=True)
class DeviceFunctions:
    """A device's Python reference, vectorised over cells.

    Attributes
    ----------
    linear
        The current is linear in the port voltage at a fixed state (``I = G(states) V``): the array is then a
        linear network at every time point.
    current
        ``current(v, y, p)``: port current (A) at voltages ``v`` and raw states ``y`` (list, device order).
    slope
        ``slope(v, y, p)``: ``dI/dV`` (S).
    rates
        ``rates(v, y, p)``: ``d(state)/dt`` (units/s), array shaped ``(S, ...)``.
    order
        State names in the order of ``y``.
    """

    linear: bool
    current: Callable[..., Any]
    slope: Callable[..., Any]
    rates: Callable[..., Any]
    order: List[str]


def device_functions(device: Device, params: Optional[Dict[str, float]] = None) -> DeviceFunctions:
    """The :class:`DeviceFunctions` of ``device`` (built once, memoised on the device).

    With ``params`` (the full parameter set, :func:`parameter_values`) the parameter values are substituted
    into the expressions before they are lambdified with common subexpressions eliminated (``cse=True``): the
    functions then ignore their ``p`` argument and cost about a third (VTEAM's bounded rate: 40 us against
    110 us per call).  Memoised per parameter set.
    """
    if params is None:
        return device.memo("fast_engine_functions", lambda: _build(device))
    key = "fast_engine_functions:" + repr(sorted((k, float(v)) for k, v in params.items()))
    return device.memo(key, lambda: _build_numeric(device, params))


def _slope_and_linearity(current: sp.Expr) -> "tuple[sp.Expr, bool]":
    """dI/dV, and whether the I-V is linear in V (dI/dV free of V; undecided counts as nonlinear: Newton)."""
    slope = sp.diff(current, V)
    try:
        linear = bool(sp.diff(slope, V) == 0)
    except Exception:      # pragma: no cover - sympy could not decide: Newton is always right
        linear = False
    return slope, linear


def _build(device: Device) -> DeviceFunctions:
    current_of, rates_of, order = numpy_functions(device)
    current, _ = device.target_expressions()
    current = current.subs({n.symbol: 0 for n in device.noises})
    slope, linear = _slope_and_linearity(current)
    raw = [symbol(f"{name}_raw") for name in order]
    args = [V, *raw, *[prm.symbol for prm in device.params]]
    slope_fn = sp.lambdify(args, slope, modules=[{"SmoothStep": _numpy_smooth_step}, "numpy"])
    names = [prm.name for prm in device.params]

    def slope_of(v: Any, y: Any, p: Dict[str, float]) -> np.ndarray:
        with np.errstate(over="ignore"):
            return slope_fn(v, *y, *[p[k] for k in names])

    return DeviceFunctions(linear, current_of, slope_of, rates_of, list(order))


def _build_numeric(device: Device, params: Dict[str, float]) -> DeviceFunctions:
    """:class:`DeviceFunctions` with the parameter values substituted and common subexpressions eliminated."""
    current, rates = device.target_expressions()
    silence = {n.symbol: 0 for n in device.noises}
    values = {prm.symbol: float(params[prm.name]) for prm in device.params}
    order = [s.name for s in device.states]
    current = current.subs(silence)
    slope, linear = _slope_and_linearity(current)
    raw = [symbol(f"{name}_raw") for name in order]
    args = [V, *raw]
    modules = [{"SmoothStep": _numpy_smooth_step}, "numpy"]

    def compiled(expr: sp.Expr) -> Callable[..., Any]:
        return sp.lambdify(args, expr.subs(silence).subs(values), modules=modules, cse=True)

    current_fn, slope_fn = compiled(current), compiled(slope)
    rate_fns = [compiled(rates[name]) for name in order]

    def current_of(v: Any, y: Any, p: Any = None) -> np.ndarray:
        with np.errstate(over="ignore"):
            return current_fn(v, *y)

    def slope_of(v: Any, y: Any, p: Any = None) -> np.ndarray:
        with np.errstate(over="ignore"):
            return slope_fn(v, *y)

    def rates_of(v: Any, y: Any, p: Any = None) -> np.ndarray:
        shape = np.broadcast_shapes(np.shape(v), *[np.shape(a) for a in y])
        with np.errstate(over="ignore"):
            return np.array([np.broadcast_to(fn(v, *y), shape) for fn in rate_fns], dtype=float)

    return DeviceFunctions(linear, current_of, slope_of, rates_of, order)


def unsupported_reason(circuit: Any) -> Optional[str]:
    """Why the fast engine cannot run ``circuit`` (a :class:`~circuitsim.cosim.circuit.CrossbarCircuit`),
    or ``None``."""
    if circuit.extra_lines or circuit.extra_sources:
        return ("the circuit has SPICE circuitry beyond the array (extra_lines / extra_sources, e.g. a neuron), "
                "which the quasi-static array engine does not model")
    if getattr(circuit, "probes", ()):
        return f"the circuit reads probes beyond the column currents and states ({', '.join(circuit.probes)})"
    if not circuit.has_reference:
        return (f"the device {circuit.model.name} is a Verilog-A file without a Python reference (the fast engine "
                "integrates the model language's equations)")
    device = circuit.model
    for state in device.states:
        if "hazard" in state.doc.lower():
            return (f"{device.name} switches by a seeded hazard clock (state {state.name!r}): its reversals are "
                    "steps of the clock a few thousandths wide that the engine's error control is not verified on")
    if device.noises:
        values = device.validate(**circuit.params)
        subs = {prm.symbol: values[prm.name] for prm in device.params}
        for noise in device.noises:
            for expr in [device.current, *device.rates.values()]:
                if sp.diff(expr, noise.symbol).subs(subs) != 0:
                    return (f"{device.name} has its noise input {noise.name!r} switched on with these parameters: "
                            "the fast engine integrates the deterministic part only")
    return None


def parameter_values(circuit: Any) -> Dict[str, float]:
    """The device's full parameter set of ``circuit``."""
    return circuit.model.validate(**circuit.params)


def state_ranges(circuit: Any, order: List[str]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(lower, upper, range)`` per state in ``order``, (S, 1) arrays."""
    bounds = circuit.state_bounds()
    init = {s.name: s.initial_param for s in circuit.model.states}
    lo = np.array([[bounds[init[name]][0]] for name in order])
    hi = np.array([[bounds[init[name]][1]] for name in order])
    return lo, hi, hi - lo
