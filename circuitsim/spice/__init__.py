"""The engine layer: the only code in circuitsim that talks to ngspice.

>>> from circuitsim.spice import BatchEngine, Tran
>>> result = BatchEngine().run(netlist_text, Tran(1e-6, 1e-3))   # doctest: +SKIP
>>> result.v("out"), result.i("v1"), result.unit("v(out)")          # doctest: +SKIP

Names are imported on first use (PEP 562), so that ``circuitsim simulate``
starts without loading what it does not run.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Ac": "analyses", "Dc": "analyses", "Op": "analyses", "Tran": "analyses",
    "BatchEngine": "batch", "SharedEngine": "shared", "Engine": "engine",
    "ConvergenceError": "errors", "NetlistError": "errors", "NgspiceNotFoundError": "errors",
    "SimulationError": "errors", "SimulationTimeoutError": "errors", "SimulatorCrashError": "errors",
    "SpiceError": "errors",
    "AnalysisResult": "result", "Result": "result", "Vector": "result",
}

#: engine name -> class name
ENGINES = {"shared": "SharedEngine", "batch": "BatchEngine"}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'circuitsim.spice' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"circuitsim.spice.{module}"), name)
    globals()[name] = value
    return value


def get_engine(name: str = "shared", **kwargs: Any) -> Any:
    """Make an engine by name: ``"shared"`` (libngspice in a worker process) or ``"batch"`` (``ngspice -b``)."""
    try:
        class_name = ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown engine {name!r}; choose one of {sorted(ENGINES)}") from None
    return __getattr__(class_name)(**kwargs)


__all__ = sorted([*_WHERE, "ENGINES", "get_engine"])
