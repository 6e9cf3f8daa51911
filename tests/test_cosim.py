"""Co-simulation: line programs, learning rules, pulses through the array, couplings, checkpoints, configs.

Tolerances
----------
* Write pulses through an array with negligible wires (1 mohm against 10 kohm
  cells) against the device's Python reference (LSODA, rtol 1e-8) on an
  isolated device: 1e-3 of the state change (ngspice's reltol is 1e-4 and the
  pulse edges are 20 ns ramps that the reference does not have: 2 % of the
  edge time, counted at most, ~1e-3 of a 1 us pulse... the ramps' share is
  2 x 10 ns / 1 us ~ 1 % of the pulse at half the rate, so the ideal update
  is compared with the ramps' time added back).
* Restart vs lock-step: the two integrate the same circuit with different
  time steps (a fresh start per step vs one long run): final states agree to
  1e-3 of the state range, the learning curves exactly.
* Kill and resume (restart mode): the resumed run writes the same decks in the
  same order as an uninterrupted one, so the final weights agree to 1e-12.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from circuitsim.cosim.circuit import CrossbarCircuit
from circuitsim.cosim.config import ConfigError
from circuitsim.cosim.coupling import LockStepCoupling, make_coupling
from circuitsim.cosim.perceptron import DEMO_CONFIG, PerceptronExperiment, letter_patterns
from circuitsim.cosim.rules import DeltaRule, ManhattanRule, MixedPrecisionRule, PairSTDP
from circuitsim.cosim.runner import build_experiment, run_experiment
from circuitsim.cosim.config import load_config
from circuitsim.cosim.stdp import correlated_spike_trains
from circuitsim.cosim.writes import WriteScheme, ideal_update, write_phases
from circuitsim.models.catalogue import get_device
from circuitsim.crossbar import BiasScheme
from circuitsim.netlists.programming import LineProgram, Phase

ROOT = Path(__file__).resolve().parents[1]
VTEAM = dict(DEMO_CONFIG["device"]["params"])
X_OFF = 3e-9


def _saved(folder):
    """(meta document, device states) of the checkpoint in ``folder``, read as plain data."""
    with np.load(folder / "checkpoint.npz", allow_pickle=False) as archive:
        meta = json.loads(archive["meta"].tobytes().decode())
        states = {k.split("/", 1)[1]: archive[k] for k in archive.files if k.startswith("states/")}
    return meta, states


def _perceptron(**overrides):
    config = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEMO_CONFIG.items()}
    for table, values in overrides.items():
        config[table] = {**config.get(table, {}), **values}
    return config


# --------------------------------------------------------------------------- programs and rules (no SPICE)


def test_line_program_levels_and_corners():
    program = LineProgram((2, 3), rise=1e-9)
    program.add(Phase.read([0.2, -0.2], 3, 1e-7))
    program.add(Phase.write(BiasScheme.cell("v/2", 1.0, 1, 2), 2, 3, 1e-6))
    mid_read, mid_write = program.sample_times("read")[0], program.sample_times("write")[0]
    assert program.values_at(mid_read) == pytest.approx([0.2, -0.2, 0, 0, 0])
    # V/2: selected row at V, the other row V/2, selected column 0, the others V/2
    assert program.values_at(mid_write) == pytest.approx([0.5, 1.0, 0.5, 0.5, 0.0])
    assert program.duration == pytest.approx(1e-7 + 1e-6 + 1e-9)
    assert program.values_at(program.duration + 1) == pytest.approx(np.zeros(5))
    text = program.sources()
    assert text.rows[1].startswith("PWL(") and text.columns[2] == "0"   # column 2 is selected: always 0 V


def test_floating_lines_cannot_be_pulsed():
    with pytest.raises(ValueError, match="V/2 or V/3"):
        Phase.write(BiasScheme.cell("floating", 1.0, 0, 0), 2, 2, 1e-6)


def test_write_phases_select_rows_per_column_and_direction():
    scheme = WriteScheme("v/2", -0.9, 0.9, 1e-6)
    counts = np.array([[2, -1], [1, 0], [0, -1]])
    phases = write_phases(counts, scheme)
    # column 0: two potentiating pulses (rows {0,1} then {0}); column 1: one depressing pulse (rows {0,2})
    assert len(phases) == 3
    assert phases[0].selected[:, 0].tolist() == [True, True, False]
    assert phases[1].selected[:, 0].tolist() == [True, False, False]
    assert phases[2].selected[:, 1].tolist() == [True, False, True]
    assert phases[0].rows[0] == -0.9 and phases[2].rows[0] == 0.9


def test_manhattan_rule_is_the_sign_of_the_batch_gradient():
    x = np.array([[1.0, -1.0], [1.0, 1.0]])
    delta = np.array([[0.5, -0.2], [0.1, 0.3]])
    assert ManhattanRule().update(x, delta).tolist() == np.sign(x.T @ delta).astype(int).tolist()


def test_mixed_precision_conserves_the_float_update():
    rule = MixedPrecisionRule(1.0, 0.3, max_pulses=10)
    rng = np.random.default_rng(0)
    total, pulses = np.zeros(4), np.zeros(4)
    for _ in range(50):
        dw = rng.normal(0, 0.2, 4)
        total += dw
        pulses += rule.accumulate(dw)
    # everything requested is either issued as whole pulses or still in the accumulator (< one step)
    assert pulses * 0.3 + rule.accumulator_ == pytest.approx(total, abs=1e-12)
    assert np.all(np.abs(rule.accumulator_) < 0.3)


def test_delta_rule_refuses_more_pulses_than_the_safe_range():
    with pytest.raises(ValueError, match="max_pulses"):
        DeltaRule(1.0, 0.01, max_pulses=2).update([[1.0]], [[1.0]])


def test_pair_stdp_matches_the_exponential_windows():
    rule = PairSTDP(a_plus=1.0, a_minus=0.5, tau_plus=0.02, tau_minus=0.04)
    dw = rule.update([np.array([0.010]), np.array([0.030])], np.array([0.015]))
    assert dw[0] == pytest.approx(np.exp(-0.005 / 0.02))           # pre 5 ms before post
    assert dw[1] == pytest.approx(-0.5 * np.exp(-0.015 / 0.04))     # pre 15 ms after post


def test_correlated_trains_keep_the_rate_and_share_spikes():
    rng = np.random.default_rng(3)
    trains = correlated_spike_trains(rng, 40, 10, rate=10.0, correlation=0.6, duration=200.0, grid=1e-3)
    rates = np.array([len(t) / 200.0 for t in trains])
    assert rates.mean() == pytest.approx(10.0, rel=0.05)      # 80 000 expected spikes: 5 % is > 10 sigma
    a, b, c = (set(np.round(t / 1e-3).astype(int)) for t in (trains[0], trains[1], trains[20]))
    # two correlated inputs share ~0.6^2 of the mother's spikes; an uncorrelated pair only chance coincidences
    assert len(a & b) > 10 * len(a & c)


def test_perceptron_patterns_are_letters_and_single_flips():
    patterns, labels = letter_patterns()
    assert patterns.shape == (30, 9) and np.bincount(labels).tolist() == [10, 10, 10]
    for k in range(3):
        base = patterns[10 * k]
        assert sorted(int(np.sum(p != base)) for p in patterns[10 * k: 10 * k + 10]) == [0] + [1] * 9


def test_checked_in_perceptron_file_is_the_demo():
    assert load_config(ROOT / "cosim" / "perceptron.toml") == DEMO_CONFIG


@pytest.mark.parametrize("table, values, message", [
    ("device", {"name": "nosuchdevice"}, "device.name"),
    ("read", {"duration": -1e-7}, "read.duration"),
    ("write", {"v_depress": 3.0}, "safe range"),
    ("write", {"width": 1e-3}, "one pulse moves"),
    ("rule", {"kind": "delta", "learning_rate": 10.0}, "rule.learning_rate"),
    ("array", {"r_row": -1.0}, "array.r_row"),
    ("read", {"volts": 0.2}, "unknown key"),
])
def test_bad_perceptron_configs_fail_before_any_spice_run(table, values, message):
    with pytest.raises(ConfigError, match=message):
        PerceptronExperiment(_perceptron(**{table: values}))


def test_missing_kind_and_unknown_tables_are_named():
    with pytest.raises(ConfigError, match="experiment.kind"):
        build_experiment({"experiment": {}})
    with pytest.raises(ConfigError, match="unknown table"):
        build_experiment({**DEMO_CONFIG, "neurons": {}})
    with pytest.raises(ConfigError, match="neuron"):         # a table of the other experiment
        build_experiment({**DEMO_CONFIG, "neuron": {"tau": 0.01}})
    with pytest.raises(ConfigError, match="stdp_correlation|perceptron"):
        build_experiment({"experiment": {"kind": "hopfield"}})


def test_bad_stdp_config_is_refused():
    with pytest.raises(ConfigError, match="input.window"):
        build_experiment({"experiment": {"kind": "stdp_correlation"}, "input": {"window": 0}})


# --------------------------------------------------------------------------- SPICE


@pytest.mark.ngspice
@pytest.mark.parametrize("backend", ["osdi", "subckt"])
def test_write_pulse_through_the_array_matches_the_device_reference(backend):
    """A V/2 pulse on one cell of a 3 x 4 array with negligible wires: the selected cell changes as the
    Python reference of an isolated device under the same pulse; half-selected cells (0.45 V, below the
    0.5 V threshold) do not change."""
    circuit = CrossbarCircuit("vteam", (3, 4), VTEAM, r_row=1e-3, r_col=1e-3, r_source=1e-3, r_sense=1e-3,
                              max_step=5e-8, backend=backend, reltol=1e-6)
    states = circuit.initial_states({"x0": 0.5 * X_OFF})
    rise = 1e-8
    program = LineProgram((3, 4), rise=rise)
    scheme = WriteScheme("v/2", -0.9, 0.9, 1e-6)
    program.extend(write_phases(np.array([[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, -1]]), scheme))
    coupling = make_coupling("restart", circuit, states)
    after = coupling.run(program, states).states["x0"]
    # the reference gets the pulse's flat part plus half of each ramp (the rate is linear in V above threshold
    # only approximately, so the ramps' share is bounded by 2 * rise / width = 2 %; compare at 1e-3 of it)
    device = get_device("vteam")
    wide = WriteScheme("v/2", -0.9, 0.9, 1e-6 - rise)
    expected = ideal_update(device, VTEAM, states, np.array([[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, -1]]), wide)
    change = expected["x0"] - states["x0"]
    assert abs(change[0, 1]) > 0.01 * X_OFF
    assert after[0, 1] - states["x0"][0, 1] == pytest.approx(change[0, 1], rel=0.02)
    assert after[2, 3] - states["x0"][2, 3] == pytest.approx(change[2, 3], rel=0.02)
    untouched = np.ones((3, 4), dtype=bool)
    untouched[0, 1] = untouched[2, 3] = False
    assert np.max(np.abs(after - states["x0"])[untouched]) < 1e-6 * X_OFF


@pytest.mark.ngspice
def test_restart_and_lock_step_agree_on_a_program_sequence():
    circuit = CrossbarCircuit("vteam", (3, 4), VTEAM, r_row=5, r_col=5, max_step=5e-8)
    start = circuit.initial_states({"x0": 0.5 * X_OFF})
    scheme = WriteScheme("v/2", -0.9, 0.9, 1e-6)
    finals = {}
    for mode in ("restart", "lock-step", "lock-step reloading"):
        if mode == "lock-step reloading":       # the memory limit forces a reload before every step
            coupling = LockStepCoupling(circuit, start, memory_limit=1)
        else:
            coupling = make_coupling(mode, circuit, start)
        states, reads = start, []
        try:
            for step in range(3):
                program = LineProgram((3, 4), rise=1e-8)
                program.add(Phase.read([0.2, -0.2, 0.2], 4, 1e-6))
                program.extend(write_phases(np.array([[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, -1]]), scheme))
                program.add(Phase.read([0.2, -0.2, 0.2], 4, 1e-6))
                result = coupling.run(program, states)
                states = result.states
                reads.append(result.column_currents_at(program.sample_times("read")))
        finally:
            coupling.close()
        finals[mode] = (states["x0"], np.array(reads))
    assert coupling.reloads == 2
    for mode in ("lock-step", "lock-step reloading"):
        assert np.max(np.abs(finals["restart"][0] - finals[mode][0])) < 1e-3 * X_OFF
        assert finals["restart"][1] == pytest.approx(finals[mode][1], rel=1e-3)


@pytest.mark.ngspice
def test_perceptron_reaches_100_percent_with_physical_writes(tmp_path):
    """The full 30-pattern task (the demo's experiment) trains to 100 % through V/2 write pulses."""
    report = run_experiment(DEMO_CONFIG, tmp_path, progress=False)
    accuracy = [m["accuracy"] for m in report["metrics"]]
    assert accuracy[-1] == 1.0 and accuracy[0] < 1.0
    assert report["summary"]["epochs_to_100_percent"] == len(accuracy)
    for name in ("report.json", "accuracy.png", "conductance.png", "checkpoint.npz"):
        assert (tmp_path / name).stat().st_size > 0
    assert report["spice_seconds"] > 0 and report["steps"] == len(accuracy)


@pytest.mark.ngspice
def test_restart_and_lock_step_give_the_same_learning_curve(tmp_path):
    config = _perceptron(experiment={"epochs": 4})
    curves = {}
    weights = {}
    for mode in ("restart", "lock-step"):
        report = run_experiment(config, tmp_path / mode, mode=mode, progress=False)
        curves[mode] = [m["accuracy"] for m in report["metrics"]]
        weights[mode] = np.array(report["summary"]["weights"])
    assert curves["restart"] == curves["lock-step"]
    # weights are conductance differences / range: 1e-3 of the range
    assert np.max(np.abs(weights["restart"] - weights["lock-step"])) < 1e-3


@pytest.mark.ngspice
def test_abstract_and_physical_updates_differ_as_wire_resistance_grows(tmp_path):
    """With negligible wires one epoch of physical pulses moves the conductances as the ideal (abstract)
    update does; with 300 ohm per segment the IR drop lowers the cell voltage towards the threshold and the
    physical update is clearly smaller."""
    moved = {}
    for wires in (0.01, 300.0):
        for update in ("physical", "abstract"):
            config = _perceptron(experiment={"epochs": 2, "update": update},
                                 array={"r_row": wires, "r_col": wires})
            experiment = PerceptronExperiment(config)
            report = run_experiment(config, tmp_path / f"{update}-{wires}", progress=False)
            _, states = _saved(tmp_path / f"{update}-{wires}")
            g0 = experiment._conductance(experiment.initial_state().states)
            g1 = experiment._conductance(states)
            assert report["steps"] == 2
            moved[update, wires] = float(np.sum(np.abs(g1 - g0)))
    assert moved["physical", 0.01] == pytest.approx(moved["abstract", 0.01], rel=0.05)
    assert moved["physical", 300.0] < 0.8 * moved["abstract", 300.0]


@pytest.mark.ngspice
def test_killed_run_resumes_to_the_same_weights(tmp_path):
    config_file = tmp_path / "p.toml"
    text = (ROOT / "cosim" / "perceptron.toml").read_text().replace("epochs = 40", "epochs = 6")
    text = text.replace("initial_state = [0.05, 0.95]", "initial_state = [0.3, 0.7]")
    config_file.write_text(text)
    whole = run_experiment(config_file, tmp_path / "whole", progress=False)
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "circuitsim", "run", str(config_file), "--out", str(out), "--quiet"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoint = out / "checkpoint.npz"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if checkpoint.exists() and _saved(out)[0]["step"] >= 2:
            break
        time.sleep(0.05)
    killed_at = _saved(out)[0]["step"]
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert killed_at < whole["steps"], "the run finished before it could be killed"
    resumed = subprocess.run(command + ["--resume"], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    (final, final_states), (reference, reference_states) = _saved(out), _saved(tmp_path / "whole")
    assert final["step"] == reference["step"]
    assert final_states["x0"] == pytest.approx(reference_states["x0"], rel=1e-12, abs=1e-24)
    assert [m["accuracy"] for m in final["metrics"]] == [m["accuracy"] for m in reference["metrics"]]


@pytest.mark.ngspice
def test_stdp_correlated_synapses_end_clearly_stronger(tmp_path):
    """Reduced size (50 synapses, 5 correlated, 8 windows of 1 s): the correlated group's mean conductance
    ends above the uncorrelated group's by more than 2 of the latter's standard deviations (it starts
    within 1: the initial states are uniform in one band for all synapses)."""
    config = {"experiment": {"kind": "stdp_correlation", "steps": 8, "seed": 1}, "input": {"synapses": 50}}
    report = run_experiment(config, tmp_path, progress=False)
    summary = report["summary"]
    assert abs(report["metrics"][0]["separation"]) < 1.5
    assert summary["mean_g_correlated"] > summary["mean_g_uncorrelated"]
    assert summary["separation_sd"] > 2.0
    assert all(m["post_spikes"] > 0 for m in report["metrics"])
    assert {"weights.png", "mean_weights.png"} <= set(report["plots"])


@pytest.mark.ngspice
@pytest.mark.slow
def test_stdp_full_size_separates_the_groups(tmp_path):
    """The checked-in experiment (100 synapses, 30 windows): separation above 5 standard deviations."""
    report = run_experiment(ROOT / "cosim" / "stdp_correlation.toml", tmp_path, progress=False)
    assert report["summary"]["separation_sd"] > 5.0


@pytest.mark.ngspice
@pytest.mark.slow
def test_perceptron_full_size_in_lock_step_reaches_100_percent(tmp_path):
    report = run_experiment(ROOT / "cosim" / "perceptron.toml", tmp_path, mode="lock-step", progress=False)
    assert report["summary"]["final_accuracy"] == 1.0 and report["spice_runs"] == 1


@pytest.mark.ngspice
def test_stdp_restart_and_lock_step_agree(tmp_path):
    config = {"experiment": {"kind": "stdp_correlation", "steps": 2}, "input": {"synapses": 20, "window": 0.3}}
    reports = {mode: run_experiment(config, tmp_path / mode, mode=mode, progress=False)
               for mode in ("restart", "lock-step")}
    for a, b in zip(reports["restart"]["metrics"], reports["lock-step"]["metrics"]):
        assert (a["post_spikes"], a["pulses"]) == (b["post_spikes"], b["pulses"])
        assert a["mean_g_correlated"] == pytest.approx(b["mean_g_correlated"], rel=1e-3)


@pytest.mark.ngspice
def test_half_select_disturbs_appear_when_half_the_pulse_passes_the_threshold(tmp_path):
    """V/2 of a 0.9 V pulse (0.45 V) stays below VTEAM's 0.5 V thresholds: no disturbs.  Of a 1.3 V pulse
    (0.65 V) it does not: half-selected cells move, and the report counts them."""
    counts = {}
    for amplitude in (0.9, 1.3):
        config = _perceptron(experiment={"epochs": 2},
                             write={"v_potentiate": -amplitude, "v_depress": amplitude, "width": 2e-7})
        report = run_experiment(config, tmp_path / str(amplitude), progress=False)
        counts[amplitude] = report["summary"]["half_select_disturbs_total"]
    assert counts[0.9] == 0
    assert counts[1.3] > 0


@pytest.mark.ngspice
def test_experiment_sweep_kind_equals_direct_runs(tmp_path):
    """The sweep's ``experiment`` kind (serial executor) gives, point for point, what run_experiment gives."""
    import xarray as xr

    from circuitsim.sweep import parse_spec, run_sweep

    spec = parse_spec({"title": "t", "seed": 1,
                       "task": {"kind": "experiment", "experiment": str(ROOT / "cosim" / "perceptron.toml"),
                                "parameters": {"experiment.epochs": 2}},
                       "grid": {"experiment.seed": [1, 2]}})
    run = run_sweep(spec, tmp_path / "sweep", scheduler="serial")
    assert run.computed == 2 and not run.failed
    data = xr.open_dataset(run.dataset_path)
    for seed in (1, 2):
        direct = run_experiment(_perceptron(experiment={"epochs": 2, "seed": seed}), tmp_path / f"d{seed}",
                                progress=False)
        point = data.sel({"experiment.seed": seed})
        assert float(point["final_accuracy"]) == direct["summary"]["final_accuracy"]
        assert float(point["pulses_total"]) == direct["summary"]["pulses_total"]
    with pytest.raises(Exception, match="device.name"):
        parse_spec({"title": "t", "task": {"kind": "experiment", "experiment": str(ROOT / "cosim" / "perceptron.toml"),
                                           "parameters": {"device.name": "nosuch"}}, "grid": {"experiment.seed": [1]}})


@pytest.mark.ngspice
def test_restart_mode_gives_the_same_weights_in_both_engines(tmp_path):
    """The same decks through `ngspice -b` and through libngspice: identical arithmetic, identical weights."""
    config = _perceptron(experiment={"epochs": 2})
    weights = [np.array(run_experiment(config, tmp_path / engine, engine=engine, progress=False)
                        ["summary"]["weights"]) for engine in ("batch", "shared")]
    assert weights[0] == pytest.approx(weights[1], rel=1e-12, abs=1e-15)
