"""The co-simulation loop: SPICE step, learning-rule update, checkpoint, progress; and the run's report.

:func:`run_experiment` builds the experiment from its file, then per step
calls ``experiment.step(state, coupling)`` (one SPICE transient, readout,
rule, pulses for the next step), appends the step's metrics and writes the
whole experiment state atomically to ``DIR/checkpoint.pkl``.  A killed run
continues with ``resume=True`` from the last completed step; in restart mode
the result is identical to an uninterrupted run (the same decks in the same
order).  A lock-step run resumes as a new transient from the checkpointed
device states.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Optional, Union

from circuitsim.cosim.config import ConfigError, Section, load_config
from circuitsim.cosim.coupling import COUPLINGS, make_coupling

__all__ = ["EXPERIMENTS", "build_experiment", "run_experiment"]

CHECKPOINT = "checkpoint.pkl"
REPORT = "report.json"


def _experiments() -> Dict[str, Any]:
    from circuitsim.cosim.perceptron import PerceptronExperiment
    from circuitsim.cosim.stdp import StdpCorrelationExperiment

    return {cls.kind: cls for cls in (PerceptronExperiment, StdpCorrelationExperiment)}


#: experiment kind -> class (filled on first use)
EXPERIMENTS: Dict[str, Any] = {}


def build_experiment(config: Dict[str, Any]) -> Any:
    """The experiment object of a parsed file (every key checked; no SPICE run)."""
    if not EXPERIMENTS:
        EXPERIMENTS.update(_experiments())
    kind = Section(config, "experiment").get("kind", kind=str)
    if kind not in EXPERIMENTS:
        raise ConfigError(f"experiment.kind: unknown experiment {kind!r}; known: {', '.join(sorted(EXPERIMENTS))}")
    unknown = sorted(set(config) - set(EXPERIMENTS[kind].tables))
    if unknown:
        raise ConfigError(f"unknown table{'s' if len(unknown) > 1 else ''} for a {kind} experiment: "
                          f"{', '.join(unknown)} (known: {', '.join(EXPERIMENTS[kind].tables)})")
    return EXPERIMENTS[kind](config)


def _fingerprint(config: Dict[str, Any], mode: str) -> str:
    text = json.dumps({"config": config, "mode": mode}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def run_experiment(source: Union[str, Path, Dict[str, Any]], out: Union[str, Path], *,
                   mode: Optional[str] = None, resume: bool = False, progress: bool = True,
                   max_steps: Optional[int] = None, engine: Any = None) -> Dict[str, Any]:
    """Run (or resume) an experiment; write ``out/report.json``, its plots and ``out/checkpoint.pkl``.

    Parameters
    ----------
    source
        Experiment file path, TOML text or parsed dict.
    out
        Output folder.
    mode
        ``"restart"`` or ``"lock-step"`` (default: the file's ``[run] mode``, else restart).
    resume
        Continue from ``out/checkpoint.pkl`` when it exists (same file and mode).
    progress
        Show a progress bar on stderr.
    max_steps
        Stop after this many steps in this call (for tests of interrupted runs).
    engine
        Engine for restart mode (``"shared"``, ``"batch"`` or an engine object).

    Returns
    -------
    dict
        The report (also written to ``out/report.json``).
    """
    config = load_config(source)
    run = Section(config, "run", required=False)
    mode = mode or run.choice("mode", COUPLINGS, "restart")
    run.finish()
    if mode not in COUPLINGS:
        raise ConfigError(f"mode must be one of {COUPLINGS}, got {mode!r}")
    experiment = build_experiment(config)
    if mode == "lock-step" and getattr(experiment, "update_mode", "physical") == "abstract":
        raise ConfigError("experiment.update = 'abstract' sets device states between steps, which a running "
                          "lock-step transient cannot take: use mode = 'restart'")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = out / CHECKPOINT
    fingerprint = _fingerprint(config, mode)
    state = None
    if resume and checkpoint.exists():
        with open(checkpoint, "rb") as handle:
            saved = pickle.load(handle)
        if saved["fingerprint"] != fingerprint:
            raise ConfigError(f"{checkpoint} belongs to another experiment file or mode; use another --out "
                              "or run without --resume to start over")
        state = saved["state"]
        experiment.rule = state.get("rule", getattr(experiment, "rule", None))
    if state is None:
        state = experiment.initial_state()
    coupling = make_coupling(mode, experiment.circuit, state["states"], horizon=experiment.horizon, engine=engine)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=experiment.epochs if hasattr(experiment, "epochs") else experiment.steps,
                   initial=state["step"], desc=experiment.kind, unit="step", file=sys.stderr,
                   dynamic_ncols=True)
    started = time.perf_counter()
    done_here = 0
    try:
        while not experiment.finished(state):
            if max_steps is not None and done_here >= max_steps:
                break
            metrics = experiment.step(state, coupling)
            state["metrics"].append(metrics)
            done_here += 1
            _write_atomic(checkpoint, pickle.dumps({"fingerprint": fingerprint, "state": state}))
            if bar is not None:
                spice = sum(m["spice_seconds"] for m in state["metrics"])
                python = sum(m["python_seconds"] for m in state["metrics"])
                shown = {k: f"{metrics[k]:.3g}" for k in ("accuracy", "loss", "separation") if k in metrics}
                bar.set_postfix(**shown, spice=f"{spice:.1f}s", python=f"{python:.1f}s")
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        coupling.close()
    report = write_report(experiment, state, out, mode, time.perf_counter() - started)
    return report


def write_report(experiment: Any, state: Dict[str, Any], out: Path, mode: str, wall: float) -> Dict[str, Any]:
    """``out/report.json`` and the experiment's plots."""
    metrics = state["metrics"]
    spice = float(sum(m["spice_seconds"] for m in metrics))
    python = float(sum(m["python_seconds"] for m in metrics))
    report = {
        "experiment": experiment.kind, "mode": mode,
        "update": getattr(experiment, "update_mode", "physical"),
        "steps": len(metrics), "finished": bool(experiment.finished(state)),
        "spice_runs": len(metrics) if mode == "restart" else (1 if metrics else 0),
        "spice_steps": len(metrics),
        "spice_seconds": spice, "python_seconds": python,
        "overhead_fraction": python / spice if spice > 0 else None,
        "wall_seconds_this_call": wall,
        "summary": experiment.summary(state),
        "metrics": metrics,
    }
    report["plots"] = [os.path.basename(p) for p in experiment.plots(state, out)]
    _write_atomic(out / REPORT, json.dumps(report, indent=2, default=float).encode())
    return report
