"""The compact-model language: a device declared once, as data and sympy expressions.

A :class:`Device` has ports, parameters, state variables and two kinds of
expression, written with the symbols this module hands out:

* ``current``: the current from the first port to the second through the
  device, a function of the port voltage :data:`V`, the states and the
  parameters;
* ``rates``: ``d(state)/dt`` for each state.

The printers in :mod:`circuitsim.models.printers` turn one declaration into an
ngspice subcircuit, a Verilog-A module and a numpy right-hand side.  Two rules
hold for every target, so that all three compute the same thing:

* inside ``current`` and ``rates`` a state symbol means the state **clamped**
  to its bounds;
* each rate is **bounded** smoothly: its positive part fades out as the raw
  state approaches the upper bound, its negative part near the lower bound
  (the rate is clamped, never the state, so nothing winds up past a bound).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Dict, Mapping, Optional, Tuple, TypeVar, Union

import sympy as sp

#: The voltage across the device, first port minus second port (V).
V = sp.Symbol("V", real=True)

Number = Union[int, float]
Check = Callable[[Mapping[str, float]], Optional[str]]

#: Width of the smooth rate bound, as a fraction of the state's range.
BOUND_WIDTH = 1e-3


def symbol(name: str) -> sp.Symbol:
    """The sympy symbol of a parameter or state called ``name``."""
    return sp.Symbol(name, real=True)


class SmoothStep(sp.Function):
    """``SmoothStep(z, width) = 1 / (1 + exp(-z / width))``, kept unevaluated.

    A function of its own (rather than the expanded formula) so that sympy
    cannot split ``exp(-(upper - x) / width)`` into an underflowing
    ``exp(-1000.0) * exp(1000 x)``; every printer writes the formula itself.
    """

    nargs = 2

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        z, width = self.args
        step = SmoothStep(z, width)
        if argindex == 1:
            return step * (1 - step) / width
        return -step * (1 - step) * z / width ** 2


def smooth_step(z: sp.Expr, width: Union[Number, sp.Expr]) -> sp.Expr:
    """Logistic step ``1 / (1 + exp(-z / width))``: 0 for z << -width, 1 for z >> width."""
    return SmoothStep(z, width)


def smooth_abs(z: sp.Expr, width: Union[Number, sp.Expr]) -> sp.Expr:
    """``z * (theta(z) - theta(-z))`` with :func:`smooth_step` (Biolek et al. 2013)."""
    return z * (smooth_step(z, width) - smooth_step(-z, width))


@dataclass(frozen=True)
class Param:
    """A model parameter.

    Attributes
    ----------
    name
        Identifier used in the subckt ``params:`` list, the Verilog-A module
        and Python (lower case, no spaces).
    default
        Default value in SI units.
    unit
        SI unit symbol (``ohm``, ``m``, ``V``, ``A``, ``s``, ``m^2/(V s)``...), ``""`` if none.
    doc
        One line: what it means.
    source
        Where the default comes from (paper, figure, table).
    minimum, maximum
        Inclusive bounds, or ``None``.
    positive
        Must be strictly > 0.
    """

    name: str
    default: float
    unit: str
    doc: str
    source: str
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    positive: bool = False

    @property
    def symbol(self) -> sp.Symbol:
        return symbol(self.name)

    def check(self, value: float) -> Optional[str]:
        """Return an error message naming the parameter, or ``None`` if ``value`` is acceptable."""
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            return f"parameter {self.name!r} must be a finite number, got {value!r}"
        if self.positive and not value > 0:
            return f"parameter {self.name!r} must be > 0 {self.unit}, got {value!r}".replace("  ", " ")
        if self.minimum is not None and value < self.minimum:
            return f"parameter {self.name!r} must be >= {self.minimum:g}, got {value!r}"
        if self.maximum is not None and value > self.maximum:
            return f"parameter {self.name!r} must be <= {self.maximum:g}, got {value!r}"
        return None


Bound = Union[Number, str]


@dataclass(frozen=True)
class Noise:
    """A Gaussian white-noise input of unit variance, for stochastic terms.

    ngspice draws it with a ``trnoise`` source sampled every ``interval_param``
    seconds (linear between samples).  ngspice 46 seeds that generator itself
    at start-up: ``.options seed``, ``set rndseed`` (also in ``.spiceinit``) and
    ``setseed`` do not make a run repeatable, so test such devices by their
    statistics;
    the Python reference and the Verilog-A module see 0, i.e. the device's
    deterministic part (OpenVAF keeps no state between time steps, so a
    sampled noise cannot be written there).  ngspice places a breakpoint at
    every sample, so keep the interval large unless the noise is switched on.

    Attributes
    ----------
    name
        Identifier; the symbol is :meth:`symbol`, the subckt node ``nz_<name>``.
    interval_param
        The parameter holding the sampling interval (s).
    doc
        One line: what the noise stands for.
    """

    name: str
    interval_param: str
    doc: str

    @property
    def symbol(self) -> sp.Symbol:
        return symbol(f"noise_{self.name}")


@dataclass(frozen=True)
class State:
    """A state variable, integrated by every target.

    Attributes
    ----------
    name
        Identifier (the subckt's internal node is ``s<name>``).
    lower, upper
        Bounds: numbers or parameter names.
    initial_param
        The parameter that sets its initial value.
    unit
        SI unit symbol.
    doc
        One line: what it is.
    """

    name: str
    lower: Bound
    upper: Bound
    initial_param: str
    unit: str
    doc: str

    @property
    def symbol(self) -> sp.Symbol:
        return symbol(self.name)

    def bound_expr(self, bound: Bound) -> sp.Expr:
        """A bound as a sympy expression (a parameter's symbol or a number)."""
        return symbol(bound) if isinstance(bound, str) else sp.Float(bound)

    def bound_value(self, bound: Bound, values: Mapping[str, float]) -> float:
        """A bound's value: the parameter's entry of ``values``, or the number.

        To get both bounds of every state, use :meth:`Device.state_bounds`.
        """
        return float(values[bound]) if isinstance(bound, str) else float(bound)

    def bounds(self, values: Mapping[str, float]) -> Tuple[float, float]:
        """``(lower, upper)`` for the parameter ``values``."""
        return self.bound_value(self.lower, values), self.bound_value(self.upper, values)


T = TypeVar("T")



def check_initial_states(device: str, states: Any, bounds: Mapping[str, Tuple[float, float]],
                         values: Mapping[str, float]) -> None:
    """Refuse (``ValueError`` naming the device and the parameter) bounds that are empty or an initial value
    outside them; ``states`` have ``name`` and ``initial_param``, ``bounds`` is keyed by ``initial_param``.
    Shared by model-language devices and users' Verilog-A files."""
    for s in states:
        lower, upper = bounds[s.initial_param]
        if not lower < upper:
            raise ValueError(f"{device}: state {s.name!r} has lower bound {lower:g} >= upper bound {upper:g}")
        initial = values[s.initial_param]
        if not lower <= initial <= upper:
            raise ValueError(f"{device}: parameter {s.initial_param!r} (initial {s.name}) = {initial:g} is "
                             f"outside the state's bounds [{lower:g}, {upper:g}]")


@dataclass(frozen=True)
class Device:
    """One compact model, declared once.

    Attributes
    ----------
    name
        Catalogue name and subckt / module name.
    title
        One-line description.
    ports
        Port names; the current flows from ``ports[0]`` through the device to ``ports[1]``.
    params
        The parameters, in subckt order.
    states
        The state variables.
    current
        Terminal current (A) as a sympy expression of :data:`V`, states and parameters.
    rates
        ``{state name: d(state)/dt}``.
    reference
        The paper the model and its defaults come from.
    equations
        The equations in Markdown/LaTeX for the datasheet, including what was chosen and why.
    checks
        Cross-parameter checks: each returns a message naming the offending
        parameter, or ``None``.
    stimulus
        The standard test stimulus: ``amplitude`` (V) and ``frequency`` (Hz)
        of a sine; ``pulse_high``, ``pulse_low`` (V), ``pulse_width``,
        ``period`` (s) of a pulse train; ``cycles`` of each to simulate.
    noises
        White-noise inputs used in the expressions (see :class:`Noise`).

    Notes
    -----
    Derived expressions and functions (:meth:`target_expressions`, the numpy
    functions of :func:`circuitsim.models.printers.numpy_functions`) are
    memoised on the instance itself (:meth:`memo`), keyed by the content of
    the declaration: they live as long as the device, and a declaration
    changed in place after a first use (e.g. an entry of ``rates`` replaced)
    is derived afresh, never served from the old entry.
    """

    #: a model-language device has a Python reference (the fast solver and the abstract updates use it)
    has_reference: ClassVar[bool] = True
    #: how ngspice can run it: its compiled Verilog-A through OSDI, or its B-source subckt
    backends: ClassVar[Tuple[str, ...]] = ("osdi", "subckt")

    name: str
    title: str
    ports: Tuple[str, ...]
    params: Tuple[Param, ...]
    states: Tuple[State, ...]
    current: sp.Expr
    rates: Dict[str, sp.Expr]
    reference: str
    equations: str = ""
    checks: Tuple[Check, ...] = ()
    stimulus: Dict[str, float] = field(default_factory=dict)
    noises: Tuple[Noise, ...] = ()

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: duplicate parameter names")
        known = set(names) | {s.name for s in self.states} | {"V"} | {str(n.symbol) for n in self.noises}
        for noise in self.noises:
            if noise.interval_param not in names:
                raise ValueError(f"{self.name}: noise {noise.name!r} refers to unknown parameter "
                                 f"{noise.interval_param!r}")
        if set(self.rates) != {s.name for s in self.states}:
            raise ValueError(f"{self.name}: rates must be given for exactly the states")
        for label, expr in [("current", self.current), *[(f"rate of {k}", e) for k, e in self.rates.items()]]:
            unknown = {str(s) for s in expr.free_symbols} - known
            if unknown:
                raise ValueError(f"{self.name}: {label} uses undeclared symbols {sorted(unknown)}")
        for label, keys in (("state names (ngspice node names ignore case)", [s.name.lower() for s in self.states]),
                            ("initial-state parameters", [s.initial_param for s in self.states])):
            if len(set(keys)) != len(keys):
                raise ValueError(f"{self.name}: duplicate {label} {sorted(k for k in set(keys) if keys.count(k) > 1)}")
        for state in self.states:
            for bound in (state.lower, state.upper, state.initial_param):
                if isinstance(bound, str) and bound not in names:
                    raise ValueError(f"{self.name}: state {state.name!r} refers to unknown parameter {bound!r}")

    # -- parameters -------------------------------------------------------------
    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def defaults(self) -> Dict[str, float]:
        return {p.name: p.default for p in self.params}

    def state_bounds(self, values: Optional[Mapping[str, float]] = None) -> Dict[str, Tuple[float, float]]:
        """``(lower, upper)`` of each state, keyed by the state's initial-state parameter (``State.initial_param``).

        The initial-state parameter is how a state is named wherever states are
        set or carried as data (co-simulation state dicts, ``validate``
        overrides, checkpoints); the state itself is ``device.states[k]`` with
        that ``initial_param``.

        Parameters
        ----------
        values
            Parameter values (e.g. from :meth:`validate`); missing names take
            their defaults.  Not validated here.

        Returns
        -------
        dict
            ``{initial_param: (lower, upper)}`` in state order.
        """
        full = {**self.defaults, **(values or {})}
        return {s.initial_param: s.bounds(full) for s in self.states}

    def validate(self, **overrides: float) -> Dict[str, float]:
        """Return the full parameter set after ``overrides``, or raise ``ValueError`` naming the parameter.

        Checks unknown names, each parameter's own range, the device's
        cross-parameter checks, and that each state's initial value lies
        within its bounds.
        """
        known = {p.name for p in self.params}
        for name in overrides:
            if name not in known:
                raise ValueError(f"{self.name}: unknown parameter {name!r}; parameters are {', '.join(sorted(known))}")
        values = {**self.defaults, **{k: float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                                      for k, v in overrides.items()}}
        for p in self.params:
            message = p.check(values[p.name])
            if message:
                raise ValueError(f"{self.name}: {message}")
        for check in self.checks:
            message = check(values)
            if message:
                raise ValueError(f"{self.name}: {message}")
        check_initial_states(self.name, self.states, self.state_bounds(values), values)
        return values

    # -- the expressions every target prints -------------------------------------------
    def clamped(self, state: State) -> sp.Expr:
        """The state clamped to its bounds (what the physics sees)."""
        return sp.Min(sp.Max(state.symbol, state.bound_expr(state.lower)), state.bound_expr(state.upper))

    def bounded_rate(self, state: State, raw: sp.Symbol) -> sp.Expr:
        """The rate of ``state`` with its smooth bound, in terms of the raw (unclamped) state ``raw``."""
        rate = self.rates[state.name]
        lower, upper = state.bound_expr(state.lower), state.bound_expr(state.upper)
        width = BOUND_WIDTH * (upper - lower)
        return (sp.Max(rate, 0) * smooth_step(upper - raw, width)
                + sp.Min(rate, 0) * smooth_step(raw - lower, width))

    def target_expressions(self) -> Tuple[sp.Expr, Dict[str, sp.Expr]]:
        """``(current, {state: bounded rate})`` in terms of raw state symbols ``<name>_raw``.

        Each state symbol is replaced by its clamp of ``<name>_raw``; the printers
        then map ``<name>_raw`` to the target's state variable (node voltage plus
        initial value, or an array element).
        """
        return self.memo("target_expressions", self._target_expressions)

    def _target_expressions(self) -> Tuple[sp.Expr, Dict[str, sp.Expr]]:
        raw = {s.name: symbol(f"{s.name}_raw") for s in self.states}
        clamp = {s.symbol: self.clamped(s).subs(s.symbol, raw[s.name]) for s in self.states}
        current = self.current.subs(clamp, simultaneous=True)
        rates = {s.name: self.bounded_rate(s, raw[s.name]).subs(clamp, simultaneous=True) for s in self.states}
        return current, rates

    # -- memoised derivations ----------------------------------------------------------------------------
    def content_key(self) -> Tuple[Any, ...]:
        """Everything the printed expressions depend on: current, rates, states, parameters, noises.

        Hashable and compared by value; two declarations with equal keys print the same code.
        """
        return (self.current, tuple(self.rates.items()), self.states, self.params, self.noises)

    def memo(self, label: str, build: Callable[[], T]) -> T:
        """``build()``, computed once per ``label`` and content of this declaration, stored on the instance.

        sympy's evaluation of a large model's clamps costs about a second, and the
        printers, the Python reference and the comparisons all ask for the same
        derived objects.  The entry is checked against :meth:`content_key` on every
        call, so a declaration mutated in place is derived again.  Entries go with
        the instance (no module-level cache keeps a device alive) and are not pickled.
        """
        cache: Dict[str, Tuple[Tuple[Any, ...], Any]] = self.__dict__.setdefault("_memo", {})
        key = self.content_key()
        entry = cache.get(label)
        if entry is not None and entry[0] == key:
            return entry[1]
        value = build()
        cache[label] = (key, value)
        return value

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_memo", None)  # derived, and lambdified functions do not pickle
        return state


def require(condition: Callable[[Mapping[str, float]], bool], message: str) -> Check:
    """A cross-parameter check: ``message`` (which must name the parameter) when ``condition`` is false."""
    def check(values: Mapping[str, float]) -> Optional[str]:
        return None if condition(values) else message
    return check


def greater(name: str, other: str) -> Check:
    """Check ``name > other`` (e.g. ``roff > ron``), naming both parameters."""
    return require(lambda v: v[name] > v[other], f"parameter {name!r} must be greater than {other!r}")


def param(name: str, default: float, unit: str, doc: str, source: str, **limits: float) -> Param:
    """Shorthand for :class:`Param`."""
    return Param(name, float(default), unit, doc, source, **limits)

