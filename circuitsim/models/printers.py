"""Printers: one :class:`~circuitsim.models.language.Device` -> ngspice subckt, Verilog-A, numpy.

All three print the same expressions (:meth:`Device.target_expressions`):
the clamped states inside the physics, the smoothly bounded rates.  Each
state is held as ``initial + V(node)`` on an internal node integrated on a
1 F capacitor (ngspice: a B-source current into the node; Verilog-A: ``ddt``
on the node's branch), with a 1e15 ohm path to ground for the operating point.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Tuple

import numpy as np
import sympy as sp
from sympy.printing.str import StrPrinter

from circuitsim.models.language import V, Device
from circuitsim.numbers import spice_number

LEAK = 1e-15  # conductance of each state node to ground (S), i.e. 1e15 ohm


def state_node(name: str) -> str:
    """Internal node of a state in both the subckt and the Verilog-A module (lower case: ngspice lower-cases
    every name it parses, so ``.save v(n#s_T)`` could never name an OSDI node kept as ``s_T``)."""
    return f"s_{name.lower()}"


def noise_node(name: str) -> str:
    """Internal node of the subckt carrying a white-noise input (a ``trnoise`` source)."""
    return f"nz_{name}"


class _TargetPrinter(StrPrinter):
    """Common part: numbers as %.15g, states and the port voltage by target-specific hooks."""

    def __init__(self, device: Device):
        # An explicit term order: lcapy (imported by some users and by the tests) changes sympy's global one.
        super().__init__({"full_prec": True, "order": "lex"})
        self.device = device
        self.params = {p.name for p in device.params}
        self.raw_states = {f"{s.name}_raw": s for s in device.states}
        self.noises = {str(n.symbol): n for n in device.noises}

    # hooks
    def port_voltage(self) -> str:
        raise NotImplementedError

    def param_name(self, name: str) -> str:
        raise NotImplementedError

    def state_value(self, state) -> str:
        return f"({self.param_name(state.initial_param)} + V({state_node(state.name)}))"

    def noise_value(self, noise) -> str:
        return "0.0"  # the deterministic part (see language.Noise)

    # numbers
    def _print_Float(self, expr) -> str:
        return spice_number(float(expr))

    def _print_Integer(self, expr) -> str:
        return str(int(expr))

    def _print_Rational(self, expr) -> str:
        return spice_number(float(expr))

    def _print_Half(self, expr) -> str:
        return "0.5"

    def _print_Exp1(self, expr) -> str:
        return spice_number(float(sp.E))

    def _print_Pi(self, expr) -> str:
        return spice_number(float(sp.pi))

    def _print_Symbol(self, expr) -> str:
        name = expr.name
        if name == V.name:
            return self.port_voltage()
        if name in self.raw_states:
            return self.state_value(self.raw_states[name])
        if name in self.params:
            return self.param_name(name)
        if name in self.noises:
            return self.noise_value(self.noises[name])
        raise ValueError(f"{self.device.name}: symbol {name!r} is not a parameter, a state or V")

    # operators and functions
    def _nested(self, fn: str, args) -> str:
        args = [self._print(a) for a in args]
        out = args[-1]
        for arg in reversed(args[:-1]):
            out = f"{fn}({arg}, {out})"
        return out

    def _print_Min(self, expr) -> str:
        return self._nested("min", expr.args)

    def _print_Max(self, expr) -> str:
        return self._nested("max", expr.args)

    def _print_Piecewise(self, expr) -> str:
        out = None
        for value, condition in reversed(expr.args):
            if condition == sp.true:
                out = f"({self._print(value)})"
            else:
                out = f"(({self._print(condition)}) ? ({self._print(value)}) : {out if out is not None else '0'})"
        return out

    def _print_Relational(self, expr) -> str:
        return f"({self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)})"

    def _print_And(self, expr) -> str:
        return "(" + " && ".join(self._print(a) for a in expr.args) + ")"

    def _print_Or(self, expr) -> str:
        return "(" + " || ".join(self._print(a) for a in expr.args) + ")"

    def _print_BooleanTrue(self, expr) -> str:
        return "1"

    def _print_BooleanFalse(self, expr) -> str:
        return "0"

    def _print_log(self, expr) -> str:
        return f"ln({self._print(expr.args[0])})"

    def _print_Abs(self, expr) -> str:
        return f"abs({self._print(expr.args[0])})"

    def _print_SmoothStep(self, expr) -> str:
        # 1/(1 + exp(-z/w)) written as 0.5*(1 + tanh(z/(2w))): the same function, but no exp overflow.
        z, width = (self._print(a) for a in expr.args)
        return f"0.5*(1 + tanh(({z})/(2*({width}))))"


class NgspicePrinter(_TargetPrinter):
    """ngspice B-source syntax: ``{param}`` for parameters, ``V(p,n)``, ``pwr``/``pow`` chosen by sign rules."""

    def port_voltage(self) -> str:
        return f"V({self.device.ports[0]},{self.device.ports[1]})"

    def param_name(self, name: str) -> str:
        return "{" + name + "}"

    def noise_value(self, noise) -> str:
        return f"V({noise_node(noise.name)})"

    def _print_Pow(self, expr, rational=False) -> str:
        base, exponent = expr.args
        if exponent == sp.Rational(1, 2):
            return f"sqrt({self._print(base)})"
        if exponent == -1:
            return f"1/({self._print(base)})"
        if exponent.is_Integer:
            n = int(exponent)
            # ngspice's pow() uses |base|: right for even n only; pwr() keeps the sign: right for odd n.
            body = f"{'pow' if n % 2 == 0 else 'pwr'}({self._print(base)}, {abs(n)})"
            return body if n > 0 else f"1/{body}"
        return f"pwr({self._print(base)}, {self._print(exponent)})"

    def _print_sign(self, expr) -> str:
        return f"sgn({self._print(expr.args[0])})"

    def _print_Heaviside(self, expr) -> str:
        return f"u({self._print(expr.args[0])})"


def va_real(value: float) -> str:
    """A real literal for Verilog-A: ``%.15g`` with a decimal point (``1e13`` would not parse as an int)."""
    text = spice_number(value)
    return text if any(c in text for c in ".en") else text + ".0"


def va_port(name: str) -> str:
    """Verilog-A port name: prefixed, so that a port ``p`` cannot clash with a parameter ``p``."""
    return f"t_{name}"


class VerilogAPrinter(_TargetPrinter):
    """Verilog-A syntax for OpenVAF: parameters by name, ``V(t_p, t_n)``, ``pow`` and ternaries."""

    def port_voltage(self) -> str:
        return f"V({va_port(self.device.ports[0])}, {va_port(self.device.ports[1])})"

    def _print_Float(self, expr) -> str:
        return va_real(float(expr))

    def _print_Rational(self, expr) -> str:
        return va_real(float(expr))

    def param_name(self, name: str) -> str:
        return name

    def _print_Pow(self, expr, rational=False) -> str:
        base, exponent = expr.args
        if exponent == sp.Rational(1, 2):
            return f"sqrt({self._print(base)})"
        if exponent.is_Integer and abs(int(exponent)) <= 3:
            b = f"({self._print(base)})"
            body = "*".join([b] * abs(int(exponent)))
            return f"({body})" if int(exponent) > 0 else f"(1.0/({body}))"
        return f"pow({self._print(base)}, {self._print(exponent)})"

    def _print_sign(self, expr) -> str:
        x = self._print(expr.args[0])
        return f"(({x}) > 0 ? 1.0 : (({x}) < 0 ? -1.0 : 0.0))"

    def _print_Heaviside(self, expr) -> str:
        x = self._print(expr.args[0])
        return f"(({x}) > 0 ? 1.0 : 0.0)"

    def _print_Integer(self, expr) -> str:
        return f"{int(expr)}.0"


def _wrap(line: str, width: int = 110) -> List[str]:
    """Split a long netlist line at spaces into ngspice ``+`` continuation lines."""
    if len(line) <= width:
        return [line]
    out, current = [], ""
    for word in line.split(" "):
        if current and len(current) + 1 + len(word) > width:
            out.append(current)
            current = "+ " + word
        else:
            current = f"{current} {word}" if current else word
    out.append(current)
    return out


def subckt_text(device: Device) -> str:
    """The ngspice library file (``models/NAME.lib``) of a device."""
    printer = NgspicePrinter(device)
    current, rates = device.target_expressions()
    p, n = device.ports[0], device.ports[1]
    head = [
        f"* {device.name}: {device.title}",
        f"* Reference: {device.reference}",
        "* Generated by circuitsim.models from the device's one declaration; do not edit.",
        "* Regenerate with: circuitsim models export models/",
        f"* Ports: {' '.join(device.ports)} (current flows from {p} through the device to {n}).",
    ]
    for noise in device.noises:
        head.append(f"* Noise {noise.name}: unit Gaussian on node {noise_node(noise.name)}, sampled every "
                    f"{noise.interval_param} s (not repeatable by seed in ngspice 46): {noise.doc}")
    for state in device.states:
        head.append(f"* State {state.name} [{state.unit}] = {state.initial_param} + V({state_node(state.name)}),"
                    f" clamped to [{state.lower}, {state.upper}]: {state.doc}")
    for prm in device.params:
        head.append(f"*   {prm.name} = {spice_number(prm.default)} {prm.unit}: {prm.doc}")
    params = " ".join(f"{prm.name}={spice_number(prm.default)}" for prm in device.params)
    body = _wrap(f".subckt {device.name} {' '.join(device.ports)} params: {params}")
    for state in device.states:
        node = state_node(state.name)
        body += _wrap(f"B{node} 0 {node} I={printer.doprint(rates[state.name])}")
        body.append(f"C{node} {node} 0 1")
        body.append(f"R{node} {node} 0 {spice_number(1 / LEAK)}")
    for noise in device.noises:
        node = noise_node(noise.name)
        body.append(f"V{node} {node} 0 dc 0 trnoise(1 {{{noise.interval_param}}} 0 0)")
    body += _wrap(f"Bdevice {p} {n} I={printer.doprint(current)}")
    body.append(f".ends {device.name}")
    return "\n".join(head + body) + "\n"


def osdi_module_name(device: Device) -> str:
    """The module name a device's compiled Verilog-A is loaded under: ``<name>_<hash of its text>``.

    libngspice keeps the first library that defined a module name for the rest of the process, so a
    declaration changed in a running session (or two devices of one name) would silently run the old
    model under the plain name; the content hash makes every distinct model a distinct module.
    """
    import hashlib

    return f"{device.name}_{hashlib.sha256(verilog_a_text(device).encode()).hexdigest()[:10]}"


def verilog_a_text(device: Device, module: Optional[str] = None) -> str:
    """The Verilog-A module (``models/NAME.va``) of a device, in the form OpenVAF compiles.

    ``module`` renames the module (default: the device's name); see :func:`osdi_module_name`.
    """
    printer = VerilogAPrinter(device)
    current, rates = device.target_expressions()
    ports = ", ".join(va_port(name) for name in device.ports)
    lines = [
        f"// {device.name}: {device.title}",
        f"// Reference: {device.reference}",
        "// Generated by circuitsim.models from the device's one declaration; do not edit.",
        "// Each state is an internal node: d V(node)/dt = rate (ddt on the node's branch), state = initial +"
        " V(node).",
        *(["// Noise inputs (" + ", ".join(n.name for n in device.noises) + ") are 0 here: the deterministic part;"
           " the ngspice subckt carries them."] if device.noises else []),
        '`include "disciplines.vams"',
        "",
        f"module {module or device.name}({ports});",
        f"    inout {ports};",
        f"    electrical {ports};",
    ]
    for state in device.states:
        lines.append(f"    electrical {state_node(state.name)};  // {state.name} [{state.unit}]: {state.doc}")
    for prm in device.params:
        bound = " from (0:inf)" if prm.positive else ""
        lines.append(f"    parameter real {prm.name} = {va_real(prm.default)}{bound};  // [{prm.unit}] {prm.doc}")
    lines.append("    analog begin")
    for state in device.states:
        node = state_node(state.name)
        lines.append(f"        I({node}) <+ ddt(V({node}));")
        lines.append(f"        I({node}) <+ {va_real(LEAK)} * V({node});")
        lines.append(f"        I({node}) <+ -({printer.doprint(rates[state.name])});")
    lines.append(f"        I({ports}) <+ {printer.doprint(current)};")
    lines.append("    end")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def _numpy_smooth_step(z, width):
    return 0.5 * (1.0 + np.tanh(np.asarray(z, dtype=float) / (2.0 * width)))


def numpy_functions(device: Device) -> Tuple[Callable, Callable, List[str]]:
    """Vectorised ``current(V, states, params)`` and ``rates(V, states, params)`` for the Python reference.

    Returns
    -------
    current, rates, order
        ``current(v, y, p)`` and ``rates(v, y, p)`` take the port voltage ``v``,
        the raw states ``y`` (in ``order``) and the parameter dict ``p``;
        ``rates`` returns an array shaped like ``y``.

    Notes
    -----
    Lambdified once per device and memoised on it (:meth:`Device.memo`).
    """
    return device.memo("numpy_functions", lambda: _numpy_functions(device))


def _numpy_functions(device: Device) -> Tuple[Callable, Callable, List[str]]:
    current, rates = device.target_expressions()
    silence = {n.symbol: 0 for n in device.noises}  # the reference is the deterministic part
    current, rates = current.subs(silence), {k: r.subs(silence) for k, r in rates.items()}
    order = [s.name for s in device.states]
    raw = [sp.Symbol(f"{name}_raw", real=True) for name in order]
    param_symbols = [prm.symbol for prm in device.params]
    arguments = [V, *raw, *param_symbols]
    modules = [{"SmoothStep": _numpy_smooth_step}, "numpy"]
    current_fn = sp.lambdify(arguments, current, modules=modules)
    rate_fns = [sp.lambdify(arguments, rates[name], modules=modules) for name in order]
    names = [prm.name for prm in device.params]

    def current_of(v, y, p: Dict[str, float]):
        return current_fn(v, *y, *[p[k] for k in names])

    def rates_of(v, y, p: Dict[str, float]):
        values = [p[k] for k in names]
        with np.errstate(over="ignore"):
            return np.array([fn(v, *y, *values) for fn in rate_fns], dtype=float)

    return current_of, rates_of, order
