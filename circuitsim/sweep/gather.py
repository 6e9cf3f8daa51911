"""The finished points as one labelled xarray Dataset, and its file.

Dimensions are the grid parameters (spec order) and ``sample`` (Monte
Carlo), with their values as coordinates.  Each output of the task is a
variable over those dimensions; an array output gets one more dimension,
``<name>_index``, padded with NaN where points return shorter arrays.
Missing or failed points are NaN, and ``status`` says which (1 done,
0 missing).  ``index`` is each point's index: its random numbers are
``SeedSequence(attrs["seed"], spawn_key=(index,))``.
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Tuple, Union

import numpy as np

from circuitsim.sweep.spec import SweepSpec

__all__ = ["gather", "netcdf_engine", "save_dataset"]


def _coordinate(values: List[Any]) -> np.ndarray:
    if all(isinstance(v, bool) for v in values):
        return np.array(values, dtype=np.int8)  # netCDF-3 has no boolean
    if all(isinstance(v, str) for v in values):
        return np.array(values, dtype=str)
    return np.array(values)


def gather(spec: SweepSpec, records: Mapping[int, Mapping[str, Any]]) -> Any:
    """Build the Dataset from the point records (index -> record as stored by :class:`~circuitsim.sweep.store.PointStore`).

    Returns
    -------
    xarray.Dataset
    """
    import xarray as xr

    dims, shape = spec.dims, spec.shape
    names: Dict[str, int] = {}   # output name -> array length (0 for scalars)
    for index in sorted(records):
        for name, value in records[index]["outputs"].items():
            length = len(value) if isinstance(value, list) else 0
            names[name] = max(names.get(name, 0), length)
    data = {name: np.full(shape + ((length,) if length else ()), np.nan) for name, length in names.items()}
    status = np.zeros(shape, dtype=np.int8)
    seconds = np.full(shape, np.nan)
    spread = {name: np.full(shape, np.nan) for name in (spec.montecarlo.spread if spec.montecarlo else {})}
    for index, record in records.items():
        where = np.unravel_index(index, shape)
        status[where] = 1
        seconds[where] = record.get("seconds", np.nan)
        for name, value in record["outputs"].items():
            if names[name]:
                value = np.asarray(value, dtype=float)
                data[name][where + (slice(0, len(value)),)] = value
            else:
                data[name][where] = value
        for name, value in record.get("spread_params", {}).items():
            if name in spread:
                spread[name][where] = value
    variables: Dict[str, Tuple[Tuple[str, ...], np.ndarray, Dict[str, str]]] = {}
    for name, arr in data.items():
        extra = (f"{name}_index",) if names[name] else ()
        variables[name] = (dims + extra, arr, {"description": f"output {name!r} of the {spec.kind} task"})
    for name, arr in spread.items():
        variables[f"{name}_sampled"] = (dims, arr, {"description": f"{name} with its device-to-device spread, "
                                                                     f"as this point used it"})
    variables["status"] = (dims, status, {"description": "1: point done, 0: missing or failed"})
    variables["seconds"] = (dims, seconds, {"description": "the task's own run time on its worker", "units": "s"})
    variables["index"] = (dims, np.arange(spec.size, dtype=np.int32).reshape(shape),
                          {"description": "point index; its generator is SeedSequence(seed, spawn_key=(index,))"})
    coords = {dim: _coordinate(values) for dim, values in spec.coordinates().items()}
    import circuitsim

    attrs = {
        "title": spec.title or f"circuitsim sweep of {spec.kind}",
        "kind": spec.kind, "seed": spec.seed, "fingerprint": spec.fingerprint(),
        "options": json.dumps({k: v for k, v in spec.options.items() if k != "template"}, default=str),
        "parameters": json.dumps(spec.parameters, default=str),
        "montecarlo": json.dumps(spec.to_dict()["montecarlo"]),
        "spec_toml": spec.source,
        "points_done": int(status.sum()), "points_total": spec.size,
        "circuitsim_version": getattr(circuitsim, "__version__", "?"),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if "template" in spec.options:
        attrs["template"] = spec.options["template"]
    return xr.Dataset({k: xr.Variable(d, a, at) for k, (d, a, at) in variables.items()}, coords=coords, attrs=attrs)


def netcdf_engine() -> str:
    """The netCDF writer to use: netCDF4 or h5netcdf when installed, else scipy's netCDF-3 writer."""
    for module, engine in (("netCDF4", "netcdf4"), ("h5netcdf", "h5netcdf")):
        if importlib.util.find_spec(module) is not None:
            return engine
    return "scipy"


def save_dataset(ds: Any, path: Union[str, Path]) -> Path:
    """Write the Dataset as netCDF, atomically (see :func:`circuitsim.atomic.atomic_path`)."""
    from circuitsim.atomic import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine=netcdf_engine())
    return path
