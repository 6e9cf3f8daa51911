"""The registry of task kinds: what one sweep point runs.

A kind is a function plus the parameters it accepts.  The built-in kinds
(``irdrop``, ``crossbar_solve``, ``netlist``; :mod:`circuitsim.sweep.builtin`)
are registered on first lookup.

Adding a kind (the hook for the co-simulation package)
-------------------------------------------------------
::

    from circuitsim.sweep.kinds import register_kind

    def experiment(params, *, rng, variability):
        ...                                   # run one point
        return {"accuracy": 0.93, "weights": final_conductances}

    register_kind("experiment", experiment,
                  parameters={"epochs": 10, "learning_rate": 1e-3},
                  options={"dataset": "xor"}, variability=True,
                  doc="train a network on the crossbar and report its accuracy")

* ``function(params, *, rng, variability)`` runs in a worker process.  It
  must be importable there by module name (define it at module level in a
  package the workers have installed; a function defined in a script's
  ``__main__`` is shipped by value).  ``params`` holds the options and the
  parameters of the point (spread already applied), ``rng`` is the point's
  :class:`numpy.random.Generator`, ``variability`` a
  :class:`~circuitsim.sweep.variability.Variability`.  It returns a mapping
  of output name to a number or a numeric array; arrays may differ in length
  between points (padded with NaN when gathered).
* ``parameters`` are what a spec may fix in ``[task.parameters]``, sweep in
  ``[grid]`` and spread in ``[montecarlo.spread]``; each has a default, or
  :data:`REQUIRED`.  A callable ``parameters(options) -> mapping`` lets them
  depend on the options (the ``netlist`` kind takes its template's
  placeholders).  The default's type is enforced (int, float, str, bool).
* ``options`` are fixed settings in ``[task]`` (strings, tables), never swept.
* ``check(params)`` (optional) raises ``ValueError`` for a bad combination;
  it runs on every point before anything is submitted.
* ``variability=True`` accepts ``device_sigma`` / ``cycle_sigma`` / ``pulses``.
* ``plot`` names the outputs the summary plots show.

A spec can also name modules to import before its kind is looked up
(``[task] imports = ["mypackage.kinds"]``), and :data:`KIND_MODULES` lists
the modules imported with the built-ins: ``circuitsim.cosim.sweep_kinds`` is
imported there if it exists, so the co-simulation package only has to create
that module and call :func:`register_kind` in it.
"""

from __future__ import annotations

import importlib
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple, Union

__all__ = ["KIND_MODULES", "REQUIRED", "Kind", "get_kind", "kind_names", "register_kind"]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: default of a parameter that the spec must give
REQUIRED: Any = _Required()

#: modules imported (if present) before the first lookup; each registers its kinds
KIND_MODULES: Tuple[str, ...] = ("circuitsim.sweep.builtin", "circuitsim.cosim.sweep_kinds")

ParameterSpec = Union[Mapping[str, Any], Callable[[Mapping[str, Any]], Mapping[str, Any]]]


@dataclass(frozen=True)
class Kind:
    """A registered task kind (see the module docstring for the fields)."""

    name: str
    function: Callable[..., Mapping[str, Any]]
    parameters: ParameterSpec
    options: Mapping[str, Any] = field(default_factory=dict)
    check: Optional[Callable[[Mapping[str, Any]], None]] = None
    variability: bool = False
    plot: Union[Sequence[str], Callable[[Mapping[str, Any]], Sequence[str]]] = ()
    doc: str = ""

    def plotted(self, options: Mapping[str, Any]) -> Tuple[str, ...]:
        """The outputs the summary plots show, given the task's options."""
        return tuple(self.plot(options) if callable(self.plot) else self.plot)

    def parameter_defaults(self, options: Mapping[str, Any]) -> Dict[str, Any]:
        """The parameters (name -> default or :data:`REQUIRED`) given the task's options."""
        params = self.parameters(options) if callable(self.parameters) else self.parameters
        return dict(params)


_KINDS: Dict[str, Kind] = {}
_loaded = False


def register_kind(name: str, function: Callable[..., Mapping[str, Any]], parameters: ParameterSpec, *,
                  options: Optional[Mapping[str, Any]] = None, check: Optional[Callable] = None,
                  variability: bool = False,
                  plot: Union[Sequence[str], Callable[[Mapping[str, Any]], Sequence[str]]] = (), doc: str = "",
                  replace: bool = False) -> Kind:
    """Register a task kind under ``name``.

    Parameters
    ----------
    name
        The ``kind`` value in a spec's ``[task]``.
    function
        ``function(params, *, rng, variability) -> mapping of outputs``.
    parameters
        Name -> default (or :data:`REQUIRED`), or a callable of the options returning that.
    options, check, variability, plot, doc
        See the module docstring.
    replace
        Allow replacing an existing kind of that name (else ``ValueError``).

    Returns
    -------
    Kind
    """
    if not name or not name.replace("_", "").isalnum():
        raise ValueError(f"a kind name is letters, digits and '_', got {name!r}")
    if name in _KINDS and not replace and _KINDS[name].function is not function:
        raise ValueError(f"kind {name!r} is already registered (pass replace=True to replace it)")
    kind = Kind(name, function, parameters, dict(options or {}), check, variability,
                plot if callable(plot) else tuple(plot), doc)
    _KINDS[name] = kind
    return kind


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in KIND_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module.startswith(exc.name):
                continue                      # the hook module does not exist (yet): nothing to register
            if module == KIND_MODULES[0]:
                raise
            warnings.warn(f"sweep kinds of {module} not registered: {exc}", RuntimeWarning, stacklevel=3)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the built-in kinds
            if module == KIND_MODULES[0]:
                raise
            warnings.warn(f"sweep kinds of {module} not registered: {type(exc).__name__}: {exc}",
                          RuntimeWarning, stacklevel=3)


def kind_names() -> Tuple[str, ...]:
    """The registered kinds, sorted."""
    _load()
    return tuple(sorted(_KINDS))


def get_kind(name: str) -> Kind:
    """The kind registered as ``name`` (``KeyError`` naming the known ones)."""
    _load()
    try:
        return _KINDS[name]
    except KeyError:
        raise KeyError(f"unknown kind {name!r}; registered kinds: {', '.join(sorted(_KINDS))}") from None
