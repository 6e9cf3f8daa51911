"""The main job: in-situ training of the perceptron on a memristive crossbar, plus a closed-form check.

:func:`run_demo` trains the perceptron of ``cosim/perceptron.toml``
(:data:`circuitsim.cosim.perceptron.DEMO_CONFIG`) with physical write pulses
through the array and writes its report; then it checks a neuron-synapse
transient against its closed form (:func:`run_neuron_synapse_check`) into
``OUT/neuron_synapse/``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Dict, Optional, Union

import numpy as np

from circuitsim.netlists.neuron_synapse import NeuronSynapse, membrane_response
from circuitsim.spice import Tran, get_engine
from circuitsim.spice.toolchain import require_ngspice


def run_demo(out_dir: Union[str, Path], mode: str = "restart", engine: str = "shared",
             progress: bool = True) -> Dict[str, Any]:
    """Train the perceptron (report in ``out_dir``) and run the neuron-synapse check (``out_dir/neuron_synapse``).

    Returns ``{"perceptron": report, "neuron_synapse": summary}``.  A previous
    run's checkpoint in ``out_dir`` is replaced (the demo always starts over).
    """
    from circuitsim.cosim.perceptron import DEMO_CONFIG
    from circuitsim.cosim.runner import run_experiment

    out = Path(out_dir)
    report = run_experiment(DEMO_CONFIG, out, mode=mode, engine=engine if mode == "restart" else None,
                            progress=progress, overwrite=True)
    check = run_neuron_synapse_check(out / "neuron_synapse", engine=engine)
    return {"perceptron": report, "neuron_synapse": check}


def run_neuron_synapse_check(out_dir: Union[str, Path], engine: str = "shared",
                             circuit: Optional[NeuronSynapse] = None, stop: float = 30e-3) -> Dict[str, Any]:
    """Simulate the neuron-synapse circuit against its closed form; write ``summary.json`` and ``membrane.png``.

    Parameters
    ----------
    out_dir
        Folder for the outputs (created).
    engine
        ``"shared"`` or ``"batch"``.
    circuit
        Circuit parameters (default: :class:`NeuronSynapse` defaults).
    stop
        Simulated time (s).

    Returns
    -------
    dict
        The summary that was written.
    """
    circuit = circuit or NeuronSynapse()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    info = require_ngspice()
    step = circuit.spike_width / 50
    netlist = circuit.netlist()
    started = time.perf_counter()
    with get_engine(engine) as sim:
        result = sim.run(netlist, Tran(step, stop, max_step=step))
    wall = time.perf_counter() - started
    t, v_mem, v_pre = result["time"], result.v("mem"), result.v("pre")
    expected = membrane_response(circuit, t)
    # Compare away from the 1 ns edges, where the closed form (ideal steps) does not apply.
    phase = np.mod(t, circuit.spike_period)
    settled = (np.abs(phase) > 1e-6) & (np.abs(phase - circuit.spike_width) > 1e-6)
    error = np.abs(v_mem - expected)[settled]
    peak_expected = float(np.max(expected))
    summary = {
        "circuit": "spike train -> synaptic resistor -> leaky membrane (C || R)",
        "parameters": circuit.__dict__,
        "engine": engine,
        "ngspice_version": info.version,
        "klu": info.klu,
        "points": int(t.size),
        "simulated_time_s": stop,
        "wall_time_s": round(wall, 4),
        "run_time_s": round(result.elapsed, 4),  # includes starting the shared-library worker
        "membrane_peak_V": float(np.max(v_mem)),
        "membrane_peak_closed_form_V": peak_expected,
        "max_abs_error_vs_closed_form_V": float(np.max(error)),
        "max_rel_error_vs_peak": float(np.max(error) / peak_expected),
        "mean_synaptic_current_A": float(np.mean(result.i("vpre") * -1.0)),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    _plot(out / "membrane.png", t, v_pre, v_mem, expected)
    return summary


def _plot(path: Path, t: np.ndarray, v_pre: np.ndarray, v_mem: np.ndarray, expected: np.ndarray) -> None:
    from circuitsim.plotting import new_figure, save_figure

    fig = new_figure(figsize=(7, 5))
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(t * 1e3, v_pre, color="0.4")
    top.set_ylabel("presynaptic [V]")
    bottom.plot(t * 1e3, v_mem, label="ngspice")
    bottom.plot(t * 1e3, expected, "--", label="closed form")
    bottom.set_xlabel("time [ms]")
    bottom.set_ylabel("membrane [V]")
    bottom.legend()
    fig.suptitle("neuron-synapse demo")
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
