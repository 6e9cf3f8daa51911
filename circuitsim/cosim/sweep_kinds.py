"""The ``experiment`` sweep kind: one co-simulation experiment per sweep point.

A sweep spec names an experiment file and sweeps any of its scalar keys,
written ``"table.key"``::

    [task]
    kind = "experiment"
    experiment = "cosim/perceptron.toml"     # relative to the working directory
    mode = "restart"

    [grid]
    "array.r_row" = [1.0, 100.0, 300.0]
    "experiment.seed" = [1, 2, 3]

Each point runs :func:`circuitsim.cosim.runner.run_experiment` in a
temporary folder and returns the experiment's summary numbers (accuracy,
epochs to 100 %, disturbs, separation, SPICE time) and its per-step curve.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Dict, Mapping

import numpy as np

from circuitsim.cosim.config import load_config
from circuitsim.sweep.kinds import register_kind

__all__ = ["experiment_task", "flatten", "unflatten"]

_OPTIONS = {"experiment": "", "mode": "restart"}


def flatten(config: Mapping[str, Any], prefix: str = "") -> Dict[str, Any]:
    """Scalar entries of a nested experiment dict as ``{"table.key": value}`` (lists and tables inside kept out)."""
    out: Dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        elif isinstance(value, (bool, int, float, str)):
            out[name] = value
    return out


def unflatten(config: Mapping[str, Any], values: Mapping[str, Any]) -> Dict[str, Any]:
    """A deep copy of ``config`` with ``{"table.key": value}`` entries set."""
    import copy

    out = copy.deepcopy(dict(config))
    for name, value in values.items():
        *tables, key = name.split(".")
        target = out
        for table in tables:
            target = target.setdefault(table, {})
        target[key] = value
    return out


def _experiment_file(options: Mapping[str, Any]) -> Path:
    name = str(options.get("experiment", ""))
    if not name:
        raise ValueError("task.experiment: the experiment file (e.g. cosim/perceptron.toml) is required")
    return Path(name)


def _parameters(options: Mapping[str, Any]) -> Dict[str, Any]:
    if not options.get("experiment"):
        return {}
    return flatten(load_config(_experiment_file(options)))


def _check(params: Mapping[str, Any]) -> None:
    from circuitsim.cosim.runner import build_experiment

    config = unflatten(load_config(_experiment_file(params)), {k: v for k, v in params.items() if "." in k})
    build_experiment(config)            # every key checked before anything is submitted


def experiment_task(params: Mapping[str, Any], *, rng: np.random.Generator, variability: Any) -> Dict[str, Any]:
    """Run the experiment with the point's values; its summary numbers and per-step curve."""
    from circuitsim.cosim.runner import run_experiment

    config = unflatten(load_config(_experiment_file(params)), {k: v for k, v in params.items() if "." in k})
    with tempfile.TemporaryDirectory(prefix="circuitsim-experiment-") as folder:
        report = run_experiment(config, folder, mode=str(params.get("mode", "restart")), progress=False)
    summary = report["summary"]
    out: Dict[str, Any] = {k: float(v) for k, v in summary.items()
                           if isinstance(v, (int, float)) and not isinstance(v, bool) and v is not None}
    if summary.get("epochs_to_100_percent") is None and "final_accuracy" in summary:
        out["epochs_to_100_percent"] = float("nan")
    out["spice_seconds"] = float(report["spice_seconds"])
    out["steps"] = float(report["steps"])
    curve = "accuracy" if report["experiment"] == "perceptron" else "separation"
    out[f"{curve}_per_step"] = np.array([m[curve] for m in report["metrics"]], dtype=float)
    return out


register_kind("experiment", experiment_task, _parameters, options=_OPTIONS, check=_check,
              plot=("final_accuracy", "separation_sd"),
              doc="a co-simulation experiment (cosim/*.toml) with any of its scalar keys swept as 'table.key'")
