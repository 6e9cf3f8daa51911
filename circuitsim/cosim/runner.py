"""The co-simulation loop: SPICE step, learning-rule update, checkpoint, progress; and the run's report.

:func:`run_experiment` builds the experiment from its file (or takes an
:class:`~circuitsim.cosim.experiment.Experiment` object), then per step
calls ``experiment.step(state, coupling)``, appends the step's metrics and
timing and writes the state to ``DIR/checkpoint.npz``
(:mod:`circuitsim.cosim.checkpoint`: no pickle, so a resume never runs code
from the file).  A killed run continues with ``resume=True`` from the last
completed step; in restart mode the result is identical to an uninterrupted
run (the same decks in the same order).  A lock-step run resumes as a new
transient from the checkpointed device states.

Experiments are named in ``[experiment] kind``: a built-in name
(:data:`BUILTIN_EXPERIMENTS`), ``"path/to/file.py:Class"`` (relative to the
experiment file's folder) or ``"package.module:Class"``; a Python file given
instead of a TOML file is run with the one :class:`Experiment` subclass it
defines (or the one its ``EXPERIMENT`` names) and its ``CONFIG`` dict, if any.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Type, Union

from circuitsim.atomic import write_atomic
from circuitsim.cosim.budget import check_run_budget
from circuitsim.cosim.checkpoint import (CHECKPOINT, CheckpointError, describe_identity, load_checkpoint,
                                         restore_learned, save_checkpoint)
from circuitsim.cosim.config import ConfigError, Section, load_config
from circuitsim.cosim.coupling import COUPLINGS, make_coupling
from circuitsim.cosim.experiment import Experiment, ExperimentState
from circuitsim.userfiles import UserCodeError, is_reference, load_module, load_object, user_code_failure

__all__ = ["BUILTIN_EXPERIMENTS", "ExperimentReport", "OutputFolderError", "build_experiment", "experiment_class", "load_experiment",
           "run_experiment"]

REPORT = "report.json"
#: checkpoints of circuitsim < 0.2 (pickle: never read)
LEGACY_CHECKPOINT = "checkpoint.pkl"

#: built-in experiment kind -> "module:Class"
BUILTIN_EXPERIMENTS: Dict[str, str] = {
    "perceptron": "circuitsim.cosim.perceptron:PerceptronExperiment",
    "stdp_correlation": "circuitsim.cosim.stdp:StdpCorrelationExperiment",
    "digits": "circuitsim.cosim.digits:DigitsExperiment",
}


class OutputFolderError(ValueError):
    """The output folder holds another run (or none, when resuming)."""


def experiment_class(kind: str, base_dir: Optional[Union[str, Path]] = None) -> Type[Experiment]:
    """The experiment class a ``kind`` names: built-in, ``"file.py:Class"`` or ``"package.module:Class"``."""
    if kind in BUILTIN_EXPERIMENTS:
        return load_object(BUILTIN_EXPERIMENTS[kind])
    if not is_reference(kind):
        raise ConfigError(f"experiment.kind: unknown experiment {kind!r}; built-in: "
                          f"{', '.join(sorted(BUILTIN_EXPERIMENTS))}, or your own class as "
                          "'path/to/file.py:Class' or 'package.module:Class'")
    try:
        cls = load_object(kind, base_dir, what="experiment class")
    except UserCodeError as exc:
        raise ConfigError(f"experiment.kind: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, Experiment)):
        raise ConfigError(f"experiment.kind: {kind!r} is a {type(cls).__name__}, not a subclass of "
                          "circuitsim.cosim.Experiment")
    return cls


def _experiment_in_file(path: Path) -> "tuple[Type[Experiment], Dict[str, Any]]":
    """The experiment class a user's Python file defines, and its ``CONFIG`` (default ``{}``)."""
    try:
        module = load_module(path)
    except UserCodeError as exc:
        raise ConfigError(str(exc)) from None
    named = getattr(module, "EXPERIMENT", None)
    if named is not None:
        candidates = [named]
    else:
        candidates = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Experiment)
                      and v.__module__ == module.__name__ and not getattr(v, "__abstractmethods__", None)]
    if len(candidates) != 1 or not (isinstance(candidates[0], type) and issubclass(candidates[0], Experiment)):
        found = ", ".join(c.__name__ for c in candidates) or "none"
        raise ConfigError(f"{path}: a runnable experiment file defines exactly one Experiment subclass, or names "
                          f"it as EXPERIMENT = Class (found: {found})")
    config = getattr(module, "CONFIG", {})
    if not isinstance(config, Mapping):
        raise ConfigError(f"{path}: CONFIG must be a dict of experiment-file tables, got {type(config).__name__}")
    config = dict(config)
    config.setdefault("experiment", {})
    config["experiment"] = {**config["experiment"], "kind": f"{path.name}:{candidates[0].__name__}"}
    return candidates[0], config


def load_experiment(source: Union[str, Path, Mapping[str, Any]]) -> "tuple[Dict[str, Any], Optional[Path]]":
    """The experiment file as a dict, and the folder its relative references resolve against.

    ``source``: a TOML file, TOML text, a parsed dict, or a user's ``.py`` experiment file.
    """
    if isinstance(source, (str, Path)) and str(source).endswith(".py") and not str(source).lstrip().startswith("["):
        path = Path(source).resolve()
        if not path.is_file():
            raise ConfigError(f"experiment file {source} does not exist")
        _, config = _experiment_in_file(path)
        return config, path.parent
    config = load_config(source if not isinstance(source, Mapping) else dict(source))
    base = Path(source).resolve().parent if isinstance(source, (str, Path)) and Path(str(source)).is_file() else None
    return config, base


def build_experiment(config: Mapping[str, Any], base_dir: Optional[Union[str, Path]] = None) -> Experiment:
    """The experiment object of a parsed file (every key checked; no SPICE run)."""
    kind = Section(dict(config), "experiment").get("kind", kind=str)
    cls = experiment_class(kind, base_dir)
    allowed = tuple(dict.fromkeys(("experiment", "run") + tuple(cls.tables)))
    unknown = sorted(set(config) - set(allowed))
    if unknown:
        raise ConfigError(f"unknown table{'s' if len(unknown) > 1 else ''} for a {cls.kind} experiment: "
                          f"{', '.join(unknown)} (known: {', '.join(allowed)})")
    try:
        experiment = cls.__new__(cls)
        experiment.base_dir = Path(base_dir) if base_dir is not None else None   # before __init__ reads the file
        experiment.__init__(dict(config))
    except (ConfigError, UserCodeError):
        raise
    except ValueError as exc:                      # a value the file gave, refused deeper in the set-up
        raise ConfigError(f"{kind}: {exc}") from None
    except Exception as exc:
        if cls.__module__.startswith("circuitsim."):
            raise
        raise user_code_failure(exc, f"{cls.__name__}.__init__") from exc
    experiment.experiment_section.finish()
    if getattr(experiment, "circuit", None) is None:
        raise ConfigError(f"{kind}: the experiment's __init__ must set self.circuit (a CrossbarCircuit)")
    return experiment


def _fingerprint(config: Mapping[str, Any], mode: str) -> str:
    text = json.dumps({"config": config, "mode": mode}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _prepare_folder(out: Path, resume: bool, overwrite: bool) -> None:
    """Refuse to replace another run's files, or to resume what is not there."""
    checkpoint, report = out / CHECKPOINT, out / REPORT
    if (out / LEGACY_CHECKPOINT).exists() and resume:
        raise OutputFolderError(f"{out / LEGACY_CHECKPOINT} was written by an older circuitsim as a pickle, which "
                                "is never read (a pickle can execute code): start over in a new --out folder")
    if resume:
        if not checkpoint.exists():
            raise OutputFolderError(f"--resume: {out} holds no checkpoint ({CHECKPOINT}) to resume; run without "
                                    "--resume to start")
        return
    existing = [p.name for p in (checkpoint, report) if p.exists()]
    if existing and not overwrite:
        raise OutputFolderError(f"{out} already holds a run ({', '.join(existing)}): continue it with --resume, "
                                "replace it with --overwrite, or choose another --out folder")
    if overwrite:
        for path in (checkpoint, report):
            if path.exists():
                path.unlink()


def run_experiment(source: Union[str, Path, Mapping[str, Any], Experiment], out: Union[str, Path], *,
                   mode: Optional[str] = None, resume: bool = False, overwrite: bool = False,
                   progress: bool = True, max_steps: Optional[int] = None,
                   engine: Any = None) -> "ExperimentReport":
    """Run (or resume) an experiment; write ``out/report.json``, its plots and ``out/checkpoint.npz``.

    Parameters
    ----------
    source
        Experiment file path (TOML, or a user's ``.py`` experiment file), TOML
        text, a parsed dict, or an :class:`Experiment` object.
    out
        Output folder.
    mode
        ``"restart"``, ``"lock-step"`` or ``"fast"`` (default: the file's ``[run] mode``, else restart).
    resume
        Continue from ``out/checkpoint.npz`` (the same file and mode; refused otherwise).
    overwrite
        Replace a run already in ``out`` (without it, such a folder is refused).
    progress
        Show a progress bar on stderr.
    max_steps
        Stop after this many steps in this call (for tests of interrupted runs).
    engine
        Engine for restart mode (``"shared"``, ``"batch"`` or an engine object).

    Returns
    -------
    ExperimentReport
        The report, a ``dict`` with a short repr (also written to ``out/report.json``).
    """
    experiment, config, mode = _experiment_and_mode(source, mode)
    horizon = _check_mode(experiment, mode)
    check_run_budget(experiment)                 # refuse what cannot finish, before any file or step
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _prepare_folder(out, resume, overwrite)
    identity = describe_identity(experiment, _fingerprint(config, mode), mode)
    rules = experiment.learning_rules()
    state = _starting_state(experiment, out / CHECKPOINT, identity, rules, resume)
    coupling = make_coupling(mode, experiment.circuit, state.states, horizon=horizon or 1e3, engine=engine)
    started = time.perf_counter()
    try:
        _loop(experiment, state, coupling, lambda: save_checkpoint(out / CHECKPOINT, state, rules, identity),
              progress, max_steps)
    finally:
        coupling.close()
    return write_report(experiment, state, out, mode, time.perf_counter() - started)


def _experiment_and_mode(source: Union[str, Path, Mapping[str, Any], Experiment], mode: Optional[str]
                         ) -> "tuple[Experiment, Dict[str, Any], str]":
    """The experiment, the file it came from (what checkpoints are matched against) and the coupling mode."""
    if isinstance(source, Experiment):
        experiment: Optional[Experiment] = source
        source.experiment_section.finish()
        config: Dict[str, Any] = dict(source.config)
        base = None
    else:
        config, base = load_experiment(source)
        experiment = None
    run = Section(config, "run", required=False)
    file_mode = run.choice("mode", COUPLINGS, "restart")     # read even when overridden: finish() checks it
    mode = mode or file_mode
    run.finish()
    if mode not in COUPLINGS:
        raise ConfigError(f"mode must be one of {COUPLINGS}, got {mode!r}")
    return (experiment or build_experiment(config, base)), config, mode


def _check_mode(experiment: Experiment, mode: str) -> float:
    """Refuse what the coupling cannot do with this experiment; lock-step's horizon (s), else 0."""
    if mode == "fast":
        from circuitsim.cosim.fast_device import unsupported_reason

        why = unsupported_reason(experiment.circuit)
        if why is not None:
            raise ConfigError(f"mode = 'fast' cannot run this experiment: {why}; use mode = 'restart' or "
                              "'lock-step' (ngspice)")
    if mode != "lock-step":
        return 0.0
    if experiment.update_mode == "abstract":
        raise ConfigError("experiment.update = 'abstract' sets device states between steps, which a running "
                          "lock-step transient cannot take: use mode = 'restart'")
    try:
        return float(experiment.horizon)
    except NotImplementedError as exc:
        raise ConfigError(str(exc)) from None


def _starting_state(experiment: Experiment, checkpoint: Path, identity: Mapping[str, Any],
                    rules: Mapping[str, Any], resume: bool) -> ExperimentState:
    """The checkpointed state (rules' learned attributes restored) or the experiment's initial state."""
    if resume:
        state, learned = load_checkpoint(checkpoint, identity)
        for name, rule in rules.items():
            restore_learned(rule, learned.get(name, {}))
        return state
    state = experiment.initial_state()
    if not isinstance(state, ExperimentState):
        raise TypeError(f"{experiment.kind}.initial_state() must return an ExperimentState, got "
                        f"{type(state).__name__}")
    return state


def _loop(experiment: Experiment, state: ExperimentState, coupling: Any, checkpoint: Any, progress: bool,
          max_steps: Optional[int]) -> None:
    """Step until the experiment is finished (or ``max_steps`` in this call); metrics, timing, checkpoints."""
    bar = _progress_bar(experiment, state) if progress else None
    done_here = 0
    try:
        while not experiment.finished(state) and (max_steps is None or done_here < max_steps):
            step_started = time.perf_counter()
            spice_before, simulated_before = coupling.spice_seconds, coupling.simulated_seconds
            metrics = _user_step(experiment, state, coupling)
            wall = time.perf_counter() - step_started
            spice = coupling.spice_seconds - spice_before
            metrics.setdefault("step", state.step + 1)
            metrics.update(spice_seconds=spice, python_seconds=max(wall - spice, 0.0),
                           simulated_seconds=coupling.simulated_seconds - simulated_before)
            state.metrics.append(metrics)
            state.step += 1
            done_here += 1
            checkpoint()
            if bar is not None:
                _advance(bar, experiment, state, metrics)
    finally:
        if bar is not None:
            bar.close()


def _user_step(experiment: Experiment, state: ExperimentState, coupling: Any) -> Dict[str, Any]:
    """``experiment.step``; an exception from a user's experiment becomes one message naming their line."""
    from circuitsim.spice.errors import SpiceError

    try:
        metrics = experiment.step(state, coupling)
    except (SpiceError, UserCodeError, KeyboardInterrupt):
        raise
    except Exception as exc:
        if type(experiment).__module__.startswith("circuitsim."):
            raise
        raise user_code_failure(exc, f"{type(experiment).__name__}.step (step {state.step + 1})") from exc
    if not isinstance(metrics, Mapping):
        raise UserCodeError(f"{type(experiment).__name__}.step must return a dict of metrics, got "
                            f"{type(metrics).__name__}")
    return dict(metrics)


def _progress_bar(experiment: Experiment, state: ExperimentState) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=experiment.steps, initial=state.step, desc=experiment.kind, unit="step", file=sys.stderr,
                dynamic_ncols=True)


def _advance(bar: Any, experiment: Experiment, state: ExperimentState, metrics: Mapping[str, Any]) -> None:
    spice = sum(m["spice_seconds"] for m in state.metrics)
    python = sum(m["python_seconds"] for m in state.metrics)
    shown = {k: f"{metrics[k]:.3g}" for k in experiment.progress_metrics
             if isinstance(metrics.get(k), (int, float))}
    bar.set_postfix(**shown, spice=f"{spice:.1f}s", python=f"{python:.1f}s")
    bar.update(1)


class ExperimentReport(dict):
    """What :func:`run_experiment` returns: the ``report.json`` document as a dict, with a short repr.

    A plain ``dict`` in every other way (``report["summary"]``, ``json.dumps(report)``); in a notebook it
    shows one line, or a small table (``_repr_html_``), instead of every step's metrics.
    """

    def _scalars(self) -> Dict[str, Any]:
        summary = self.get("summary", {})
        return {k: v for k, v in summary.items() if isinstance(v, (int, float, str, bool)) or v is None}

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in self._scalars().items())
        return (f"<ExperimentReport {self.get('experiment')} ({self.get('mode')}), {self.get('steps')} steps, "
                f"simulator {self.get('spice_seconds', 0.0):.3g} s; {shown}>")

    def _repr_html_(self) -> str:
        import html

        rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
                       for k, v in {"experiment": self.get("experiment"), "mode": self.get("mode"),
                                    "steps": self.get("steps"), "finished": self.get("finished"),
                                    **self._scalars()}.items())
        return f"<table><thead><tr><th>report</th><th></th></tr></thead><tbody>{rows}</tbody></table>"


def write_report(experiment: Experiment, state: ExperimentState, out: Path, mode: str,
                 wall: float) -> "ExperimentReport":
    """``out/report.json`` and the experiment's plots."""
    metrics = state.metrics
    spice = float(sum(m["spice_seconds"] for m in metrics))
    python = float(sum(m["python_seconds"] for m in metrics))
    report: Dict[str, Any] = {
        "experiment": experiment.kind, "mode": mode,
        "update": experiment.update_mode,
        "simulator": "circuitsim fast engine (quasi-static, Python)" if mode == "fast" else "ngspice",
        "backend": None if mode == "fast" else getattr(experiment.circuit, "backend", None),
        "steps": len(metrics), "finished": bool(experiment.finished(state)),
        "spice_runs": {"restart": len(metrics), "lock-step": 1 if metrics else 0}.get(mode, 0),
        "spice_steps": len(metrics),
        "spice_seconds": spice, "python_seconds": python,
        "overhead_fraction": python / spice if spice > 0 else None,
        "wall_seconds_this_call": wall,
        "progress_metrics": list(experiment.progress_metrics),
        "curve_metric": experiment.curve_metric,
        "summary": experiment.summary(state),
        "metrics": metrics,
    }
    report["plots"] = [os.path.basename(str(p)) for p in experiment.plots(state, out)]
    report["headline"] = list(experiment.report_lines(report))
    write_atomic(out / REPORT, json.dumps(report, indent=2, default=_jsonable).encode())
    return ExperimentReport(report)


def _jsonable(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.integer,)):
        return int(value)
    return float(value)


__all__ += ["CheckpointError", "write_report"]
