"""Parameter sweeps and Monte Carlo on Dask (``circuitsim sweep SPEC.toml``; docs/sweep.md).

Modules, one job each:

``spec``        the TOML spec, its validation (:class:`SweepSpecError`) and its points with their seeds
``kinds``       the registry of task kinds (:func:`register_kind`, the hook for new kinds)
``builtin``     the kinds ``irdrop``, ``crossbar_solve`` and ``netlist``
``variability`` device-to-device and cycle-to-cycle spread (:class:`Variability`)
``execute``     the per-point task, the serial and Dask executors
``store``       one atomically written file per finished point (what ``--resume`` reads)
``runner``      :func:`run_sweep`: all of the above in order
``gather``      the points as one xarray Dataset, saved as netCDF
``plots``       summary plots
``cli``         the ``sweep`` subcommand

Names below are imported on first use, so ``import circuitsim.sweep`` loads neither Dask nor xarray.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "SweepSpecError": "errors", "SweepSpec": "spec", "MonteCarlo": "spec", "Point": "spec",
    "load_spec": "spec", "parse_spec": "spec", "REQUIRED": "kinds", "Kind": "kinds", "register_kind": "kinds",
    "get_kind": "kinds", "kind_names": "kinds", "Variability": "variability", "run_sweep": "runner",
    "SweepRun": "runner", "DaskExecutor": "execute", "SerialExecutor": "execute", "gather": "gather",
    "save_dataset": "gather", "PointStore": "store",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'circuitsim.sweep' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"circuitsim.sweep.{module}"), name)
    globals()[name] = value
    return value


__all__ = sorted(_WHERE)
