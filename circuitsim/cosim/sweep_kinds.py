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
temporary folder and returns the experiment's scalar summary numbers, the
SPICE time and the per-step curve of the experiment's ``curve_metric``;
the summary plots show its ``summary_metrics`` (both declared by the
experiment class, built-in or a user's).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Dict, Mapping, Tuple

import numpy as np

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
    from circuitsim.cosim.runner import load_experiment

    return flatten(load_experiment(_experiment_file(options))[0])


def _config(params: Mapping[str, Any]) -> "tuple[Dict[str, Any], Any]":
    """The point's experiment dict (swept keys set) and the folder its references resolve against."""
    from circuitsim.cosim.runner import load_experiment

    config, base = load_experiment(_experiment_file(params))
    return unflatten(config, {k: v for k, v in params.items() if "." in k}), base


def _check(params: Mapping[str, Any]) -> None:
    from circuitsim.cosim.runner import build_experiment

    build_experiment(*_config(params))            # every key checked before anything is submitted


def _plotted(options: Mapping[str, Any]) -> Tuple[str, ...]:
    """The experiment class's ``summary_metrics``."""
    from circuitsim.cosim.runner import experiment_class

    config, base = _config(options)
    return tuple(experiment_class(str(config["experiment"]["kind"]), base).summary_metrics)


def experiment_task(params: Mapping[str, Any], *, rng: np.random.Generator, variability: Any) -> Dict[str, Any]:
    """Run the experiment with the point's values; its summary numbers and per-step curve."""
    from circuitsim.cosim.runner import build_experiment, run_experiment

    experiment = build_experiment(*_config(params))
    with tempfile.TemporaryDirectory(prefix="circuitsim-experiment-") as folder:
        report = run_experiment(experiment, folder, mode=str(params.get("mode", "restart")), progress=False)
    summary = report["summary"]
    out: Dict[str, Any] = {k: float(v) for k, v in summary.items()
                           if isinstance(v, (int, float)) and not isinstance(v, bool)}
    out.update({k: float("nan") for k, v in summary.items() if v is None})     # e.g. never reached 100 %
    out["spice_seconds"] = float(report["spice_seconds"])
    out["steps"] = float(report["steps"])
    curve = report["curve_metric"]
    if curve:
        out[f"{curve}_per_step"] = np.array([m.get(curve, np.nan) for m in report["metrics"]], dtype=float)
    return out


register_kind("experiment", experiment_task, _parameters, options=_OPTIONS, check=_check, plot=_plotted,
              doc="a co-simulation experiment (cosim/*.toml) with any of its scalar keys swept as 'table.key'")
