"""Sweep specs: the TOML file, its validation and the points it expands to.

A spec (see ``sweeps/irdrop_size_wire.toml`` and ``docs/sweep.md``)::

    title = "IR drop vs size and wire resistance"
    seed = 7                      # root of every point's random numbers (default 0)

    [task]
    kind = "irdrop"               # a registered kind (circuitsim.sweep.kinds)
    # imports = ["mypkg.kinds"]   # modules that register further kinds
    # other keys here are the kind's options (e.g. the netlist template)

    [task.parameters]             # fixed values (the kind's defaults otherwise)
    g_low = 1e-6

    [grid]                        # swept: the points are the product, in this order
    size = [16, 32, 64]
    r_wire = [0.1, 1.0]

    [montecarlo]                  # adds a "sample" dimension
    samples = 4
    device_sigma = 0.1            # log-normal sigma of each cell's conductance
    cycle_sigma = 0.02            # per read pulse
    pulses = 4
    [montecarlo.spread]           # log-normal sigma of a (float) parameter, per sample
    r_wire = 0.05

Every problem is a :class:`~circuitsim.sweep.errors.SweepSpecError` naming its
key, raised by :func:`load_spec` / :func:`parse_spec` before anything runs,
including the kind's own check of every grid point.

Seeds: point ``index`` (its position in C order over the grid dimensions,
then ``sample``) draws from ``numpy.random.SeedSequence(seed, spawn_key=(index,))``,
which is ``SeedSequence(seed).spawn(index + 1)[index]``: a point can be
recomputed alone, on any worker, with the same numbers.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union

import numpy as np

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from circuitsim.sweep.errors import SweepSpecError
from circuitsim.sweep.kinds import REQUIRED, Kind, get_kind
from circuitsim.sweep.variability import VARIABILITY_KEYS, Variability

__all__ = ["MonteCarlo", "Point", "SweepSpec", "load_spec", "parse_spec"]

SAMPLE_DIM = "sample"
_TOP_KEYS = ("title", "seed", "task", "grid", "montecarlo")
_MC_KEYS = ("samples", "device_sigma", "cycle_sigma", "pulses", "spread")


@dataclass(frozen=True)
class MonteCarlo:
    """Monte Carlo settings: ``samples`` points per grid point, with their variability.

    ``device_sigma``, ``cycle_sigma`` and ``pulses`` are ``None`` when the
    grid sweeps them instead (or they are not set: 0, 0, 1).
    """

    samples: int
    device_sigma: Optional[float] = None
    cycle_sigma: Optional[float] = None
    pulses: Optional[int] = None
    spread: Dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Point:
    """One task of a sweep.

    Attributes
    ----------
    index
        Position in the sweep (C order over :attr:`SweepSpec.dims`).
    coords
        Value of each dimension (grid parameters, ``sample``).
    params
        Options and parameters handed to the task (before the parameter spread).
    variability
        The point's :class:`Variability`.
    spread
        Parameter name -> log-normal sigma (device-to-device parameter spread).
    seed
        The spec's root seed; the point's generator is ``SeedSequence(seed, spawn_key=(index,))``.
    """

    index: int
    coords: Dict[str, Any]
    params: Dict[str, Any]
    variability: Variability
    spread: Dict[str, float]
    seed: int

    def rng(self) -> np.random.Generator:
        """The point's own random generator (a fresh one on every call)."""
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(self.index,)))


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep (build it with :func:`load_spec` or :func:`parse_spec`)."""

    kind: str
    options: Dict[str, Any]
    parameters: Dict[str, Any]
    grid: Dict[str, List[Any]]
    montecarlo: Optional[MonteCarlo] = None
    seed: int = 0
    title: str = ""
    imports: Tuple[str, ...] = ()
    source: str = ""

    @property
    def dims(self) -> Tuple[str, ...]:
        """Dimension names: the grid parameters in spec order, then ``sample`` with Monte Carlo."""
        return tuple(self.grid) + ((SAMPLE_DIM,) if self.montecarlo else ())

    @property
    def shape(self) -> Tuple[int, ...]:
        return tuple(len(v) for v in self.grid.values()) + ((self.montecarlo.samples,) if self.montecarlo else ())

    @property
    def size(self) -> int:
        """Number of points."""
        return int(math.prod(self.shape))

    def coordinates(self) -> Dict[str, List[Any]]:
        """Dimension -> its coordinate values."""
        out = {k: list(v) for k, v in self.grid.items()}
        if self.montecarlo:
            out[SAMPLE_DIM] = list(range(self.montecarlo.samples))
        return out

    def get_kind(self) -> Kind:
        for module in self.imports:
            importlib.import_module(module)
        return get_kind(self.kind)

    def point(self, index: int) -> Point:
        """The point at ``index`` (``0 <= index < size``)."""
        if not 0 <= index < self.size:
            raise IndexError(f"point index {index} outside 0..{self.size - 1}")
        position = np.unravel_index(index, self.shape)
        values = self.coordinates()
        coords = {dim: values[dim][int(i)] for dim, i in zip(self.dims, position)}
        params = {**self.options, **self.parameters}
        params.update({k: v for k, v in coords.items() if k in self.grid})
        mc = self.montecarlo or MonteCarlo(samples=1)
        var = {"device_sigma": mc.device_sigma or 0.0, "cycle_sigma": mc.cycle_sigma or 0.0, "pulses": mc.pulses or 1}
        for key in VARIABILITY_KEYS:
            if key in params:
                var[key] = params.pop(key)
        variability = Variability(float(var["device_sigma"]), float(var["cycle_sigma"]), int(var["pulses"]))
        return Point(index, coords, params, variability, dict(mc.spread), self.seed)

    def points(self) -> Iterator[Point]:
        for index in range(self.size):
            yield self.point(index)

    def to_dict(self) -> Dict[str, Any]:
        """The spec as plain data (what the fingerprint hashes)."""
        mc = None
        if self.montecarlo:
            mc = {"samples": self.montecarlo.samples, "device_sigma": self.montecarlo.device_sigma,
                  "cycle_sigma": self.montecarlo.cycle_sigma, "pulses": self.montecarlo.pulses,
                  "spread": dict(sorted(self.montecarlo.spread.items()))}
        options = {k: v for k, v in self.options.items() if k != "allow_shell"}   # trust is not the sweep's
        return {"kind": self.kind, "options": options, "parameters": self.parameters, "grid": self.grid,
                "montecarlo": mc, "seed": self.seed}

    def fingerprint(self) -> str:
        """SHA-256 of :meth:`to_dict`: two specs with the same fingerprint compute the same points."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------- parsing


def read_text_file(path: Path, what: str) -> str:
    """A small UTF-8 text file, or :class:`SweepSpecError` naming it (missing, a folder, a FIFO, not UTF-8)."""
    from circuitsim.userfiles import read_text_file as read_user_text

    return read_user_text(path, what, MAX_SPEC_BYTES, SweepSpecError)


#: largest spec or template file read
MAX_SPEC_BYTES = 50e6
#: grids with at most this many combinations have the kind's check run on every one before anything runs;
#: larger grids check every value of every dimension once (a point the check would refuse fails on its own)
MAX_CHECKED_COMBINATIONS = 100_000


def load_spec(path: Union[str, Path], *, allow_shell: bool = False) -> SweepSpec:
    """Read and validate a TOML sweep spec (relative file options resolve from its folder).

    ``allow_shell`` trusts the spec's netlist template (see :func:`parse_spec`).
    """
    path = Path(path)
    text = read_text_file(path, "the sweep spec")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SweepSpecError(f"{path} is not valid TOML: {exc}") from None
    return parse_spec(data, base_dir=path.resolve().parent, source=text, allow_shell=allow_shell)


def _scalar_type(value: Any) -> Optional[str]:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return None


def _coerce(value: Any, default: Any, key: str, tables: bool = False) -> Any:
    """``value`` checked against the type of ``default`` (ints are accepted for floats; tables for options)."""
    if isinstance(default, Mapping) or (tables and default is REQUIRED and isinstance(value, Mapping)):
        if not isinstance(value, Mapping):
            raise SweepSpecError(f"must be a table, got {value!r}", key)
        return dict(value)
    got = _scalar_type(value)
    if got is None:
        raise SweepSpecError(f"must be a number, a string or a boolean, got {value!r}", key)
    want = "any" if default is REQUIRED else _scalar_type(default)
    if want == "float" and got in ("int", "float"):
        value = float(value)
        if not math.isfinite(value):
            raise SweepSpecError(f"must be finite, got {value!r}", key)
        return value
    if want not in ("any", got):
        raise SweepSpecError(f"must be of type {want} (like the default {default!r}), got {value!r}", key)
    return value


def _table(data: Mapping[str, Any], name: str, key: str) -> Dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise SweepSpecError(f"must be a table ([{key}]), got {value!r}", key)
    return dict(value)


def _unknown(key: str, known: Any, what: str) -> SweepSpecError:
    names = ", ".join(sorted(known)) or "none"
    return SweepSpecError(f"unknown {what}; known: {names}", key)


def _lookup_kind(task: Mapping[str, Any]) -> Tuple[Kind, Tuple[str, ...]]:
    if "kind" not in task:
        raise SweepSpecError("missing: name the task kind (e.g. kind = \"irdrop\")", "task.kind")
    imports = task.get("imports", [])
    if isinstance(imports, str):
        imports = [imports]
    if not isinstance(imports, list) or not all(isinstance(m, str) for m in imports):
        raise SweepSpecError("must be a list of module names", "task.imports")
    for module in imports:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise SweepSpecError(f"cannot import {module!r}: {exc}", "task.imports") from None
    try:
        return get_kind(str(task["kind"])), tuple(imports)
    except KeyError as exc:
        raise SweepSpecError(exc.args[0], "task.kind") from None


def _options(kind: Kind, task: Mapping[str, Any], base_dir: Optional[Path]) -> Dict[str, Any]:
    given = {k: v for k, v in task.items() if k not in ("kind", "imports", "parameters")}
    if "allow_shell" in given:
        raise SweepSpecError("a spec cannot trust itself: pass --allow-shell to 'circuitsim sweep' (Python: "
                             "load_spec(..., allow_shell=True)) if you trust this spec's template", "task.allow_shell")
    for name in given:
        if name not in kind.options:
            raise _unknown(f"task.{name}", [*kind.options, "kind", "imports", "parameters"],
                           f"key for kind {kind.name!r}")
    options = {}
    for name, default in kind.options.items():
        if name in given:
            options[name] = _coerce(given[name], default, f"task.{name}", tables=True)
        elif default is REQUIRED:
            raise SweepSpecError(f"missing: kind {kind.name!r} needs this option", f"task.{name}")
        else:
            options[name] = default
    file = options.get("template_file")
    if file:
        if options.get("template"):
            raise SweepSpecError("give 'template' or 'template_file', not both", "task.template_file")
        path = Path(file) if base_dir is None else base_dir / file
        try:
            options["template"] = read_text_file(path, "the template file")
        except SweepSpecError as exc:
            raise SweepSpecError(str(exc), "task.template_file") from None
        options["template_file"] = str(file)
    return options


def _grid(data: Mapping[str, Any], defaults: Mapping[str, Any], kind: Kind) -> Dict[str, List[Any]]:
    if "grid" not in data:
        return {}
    raw = _table(data, "grid", "grid")
    if not raw:
        raise SweepSpecError("is empty: list at least one parameter with its values, or drop [grid]", "grid")
    grid: Dict[str, List[Any]] = {}
    for name, values in raw.items():
        key = f"grid.{name}"
        if name == SAMPLE_DIM:
            raise SweepSpecError("'sample' is the Monte Carlo dimension; it cannot be swept", key)
        if name in VARIABILITY_KEYS:
            if not kind.variability:
                raise SweepSpecError(f"kind {kind.name!r} takes no device variability", key)
            default: Any = 1 if name == "pulses" else 0.0
        elif name in defaults:
            default = defaults[name]
        else:
            raise _unknown(key, [*defaults, *(VARIABILITY_KEYS if kind.variability else ())],
                           f"parameter of kind {kind.name!r}")
        if not isinstance(values, list):
            raise SweepSpecError(f"must be a list of values, got {values!r}", key)
        if not values:
            raise SweepSpecError("is empty: give at least one value", key)
        coerced = [_coerce(v, default, f"{key}[{i}]") for i, v in enumerate(values)]
        if len(set(coerced)) != len(coerced):
            raise SweepSpecError(f"has repeated values: {values!r}", key)
        if name in VARIABILITY_KEYS:
            for i, v in enumerate(coerced):
                _check_variability(name, v, f"{key}[{i}]")
        grid[name] = coerced
    return grid


def _check_variability(name: str, value: Any, key: str) -> None:
    if name == "pulses":
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            raise SweepSpecError(f"must be an integer >= 1, got {value!r}", key)
    elif not (isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 and math.isfinite(value)):
        raise SweepSpecError(f"is a spread (log-normal sigma) and must be >= 0, got {value!r}", key)


def _montecarlo(data: Mapping[str, Any], defaults: Mapping[str, Any], kind: Kind,
                grid: Mapping[str, Any], fixed: Mapping[str, Any]) -> Optional[MonteCarlo]:
    if "montecarlo" not in data:
        return None
    raw = _table(data, "montecarlo", "montecarlo")
    for name in raw:
        if name not in _MC_KEYS:
            raise _unknown(f"montecarlo.{name}", _MC_KEYS, "key")
    if "samples" not in raw:
        raise SweepSpecError("missing: the number of Monte Carlo samples per grid point", "montecarlo.samples")
    samples = raw["samples"]
    if not (isinstance(samples, int) and not isinstance(samples, bool) and samples >= 1):
        raise SweepSpecError(f"must be an integer >= 1, got {samples!r}", "montecarlo.samples")
    values: Dict[str, Any] = {}
    for name in VARIABILITY_KEYS:
        if name not in raw:
            continue
        key = f"montecarlo.{name}"
        if not kind.variability:
            raise SweepSpecError(f"kind {kind.name!r} takes no device variability (use [montecarlo.spread] "
                                 f"for a parameter spread)", key)
        if name in grid:
            raise SweepSpecError(f"is also swept in [grid]; give it in one place", key)
        _check_variability(name, raw[name], key)
        values[name] = raw[name] if name == "pulses" else float(raw[name])
    spread_raw = _table(raw, "spread", "montecarlo.spread")
    spread: Dict[str, float] = {}
    for name, sigma in spread_raw.items():
        key = f"montecarlo.spread.{name}"
        if name not in defaults:
            raise _unknown(key, defaults, f"parameter of kind {kind.name!r}")
        value = fixed.get(name, defaults[name])
        if _scalar_type(defaults[name]) != "float" and not (defaults[name] is REQUIRED
                                                             and _scalar_type(value) in ("int", "float")):
            raise SweepSpecError(f"only float parameters can be spread; {name} is {value!r}", key)
        if name in grid:
            raise SweepSpecError("is swept in [grid]; spread a parameter that is fixed", key)
        if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not (sigma >= 0 and math.isfinite(sigma)):
            raise SweepSpecError(f"is a spread (log-normal sigma) and must be >= 0, got {sigma!r}", key)
        spread[name] = float(sigma)
    return MonteCarlo(samples, values.get("device_sigma"), values.get("cycle_sigma"), values.get("pulses"), spread)


def _each_value_once(grid: Mapping[str, List[Any]]) -> Iterator[Tuple[Any, ...]]:
    """Combinations that hold every value of every dimension at least once (the others at their first)."""
    first = [values[0] for values in grid.values()]
    yield tuple(first)
    for d, values in enumerate(grid.values()):
        for value in values[1:]:
            combo = list(first)
            combo[d] = value
            yield tuple(combo)


def parse_spec(data: Mapping[str, Any], base_dir: Optional[Union[str, Path]] = None, source: str = "", *,
               allow_shell: bool = False) -> SweepSpec:
    """Validate a parsed TOML document and build the :class:`SweepSpec`.

    ``allow_shell``: a kind with an ``allow_shell`` option (``netlist``) gets it set to this value; without
    it, a template's ``.control`` block may not run programs, load libraries or write outside the run folder
    (:mod:`circuitsim.spice.checks`).  A spec cannot set it itself.

    Raises
    ------
    SweepSpecError
        Naming the key: unknown key, kind, option or parameter; a missing
        required key; an empty grid or a repeated grid value; a value of the
        wrong type; a negative spread; or a point the kind's check refuses.
    """
    base = Path(base_dir) if base_dir is not None else None
    for name in data:
        if name not in _TOP_KEYS:
            raise _unknown(name, _TOP_KEYS, "top-level key")
    if "task" not in data:
        raise SweepSpecError("missing: the [task] table (kind and its parameters)", "task")
    task = _table(data, "task", "task")
    kind, imports = _lookup_kind(task)
    options = _options(kind, task, base)
    if "allow_shell" in kind.options:
        options["allow_shell"] = bool(allow_shell)
    defaults = kind.parameter_defaults(options)
    fixed_raw = _table(task, "parameters", "task.parameters")
    fixed: Dict[str, Any] = {}
    for name, value in fixed_raw.items():
        key = f"task.parameters.{name}"
        if name in VARIABILITY_KEYS:
            raise SweepSpecError("is a variability setting: put it in [montecarlo] or sweep it in [grid]", key)
        if name not in defaults:
            raise _unknown(key, defaults, f"parameter of kind {kind.name!r}")
        fixed[name] = _coerce(value, defaults[name], key)
    grid = _grid(data, defaults, kind)
    for name in grid:
        if name in fixed:
            raise SweepSpecError("is both fixed in [task.parameters] and swept in [grid]; keep one", f"grid.{name}")
    montecarlo = _montecarlo(data, defaults, kind, grid, fixed)
    if not grid and montecarlo is None:
        raise SweepSpecError("nothing to sweep: give a [grid] and/or a [montecarlo] table")
    parameters = {name: fixed.get(name, default) for name, default in defaults.items() if name not in grid}
    for name, value in parameters.items():
        if value is REQUIRED:
            raise SweepSpecError(f"missing: kind {kind.name!r} needs a value (here or in [grid])",
                                 f"task.parameters.{name}")
    seed = data.get("seed", 0)
    if not (isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0):
        raise SweepSpecError(f"must be an integer >= 0, got {seed!r}", "seed")
    title = data.get("title", "")
    if not isinstance(title, str):
        raise SweepSpecError(f"must be a string, got {title!r}", "title")
    spec = SweepSpec(kind.name, options, parameters, grid, montecarlo, seed, title, imports, source)
    if kind.check is not None:
        combos: Any = itertools.product(*grid.values())
        if math.prod(len(v) for v in grid.values()) > MAX_CHECKED_COMBINATIONS:
            combos = _each_value_once(grid)
        for combo in combos:
            values = dict(zip(grid, combo))
            params = {**options, **parameters, **values}
            try:
                kind.check(params)
            except (ValueError, TypeError) as exc:
                where = ", ".join(f"{k}={v!r}" for k, v in values.items())
                raise SweepSpecError(f"{exc}" + (f" (at {where})" if where else ""),
                                     "grid" if values else "task.parameters") from None
    return spec
