"""The engine layer: the only code in circuitsim that talks to ngspice.

>>> from circuitsim.spice import BatchEngine, Tran
>>> result = BatchEngine().run(netlist_text, Tran(1e-6, 1e-3))   # doctest: +SKIP
>>> result.v("out"), result.i("v1"), result.unit("v(out)")          # doctest: +SKIP
"""

from circuitsim.spice.analyses import Ac, Dc, Op, Tran
from circuitsim.spice.batch import BatchEngine
from circuitsim.spice.engine import Engine
from circuitsim.spice.errors import (ConvergenceError, NetlistError, NgspiceNotFoundError, SimulationError,
                                     SimulationTimeoutError, SimulatorCrashError, SpiceError)
from circuitsim.spice.result import AnalysisResult, Result, Vector
from circuitsim.spice.shared import SharedEngine

ENGINES = {"shared": SharedEngine, "batch": BatchEngine}


def get_engine(name: str = "shared", **kwargs) -> Engine:
    """Make an engine by name: ``"shared"`` (libngspice in a worker process) or ``"batch"`` (``ngspice -b``)."""
    try:
        return ENGINES[name](**kwargs)
    except KeyError:
        raise ValueError(f"unknown engine {name!r}; choose one of {sorted(ENGINES)}") from None


__all__ = [
    "Ac", "AnalysisResult", "BatchEngine", "ConvergenceError", "Dc", "ENGINES", "Engine", "NetlistError",
    "NgspiceNotFoundError", "Op", "Result", "SharedEngine", "SimulationError", "SimulationTimeoutError",
    "SimulatorCrashError", "SpiceError", "Tran", "Vector", "get_engine",
]
