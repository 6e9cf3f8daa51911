"""Users' own experiments and rules through the public interface; checkpoints that cannot execute code.

What is compared against what
-----------------------------
* A user's experiment (defined in a file written by the test) run through the
  CLI against the same class run through the Python API: equal reports.
* A killed-and-resumed run (restart mode, ``max_steps``) against an
  uninterrupted one: the same decks in the same order, so the device states
  agree to 1e-12 relative, and a stochastic rule's generator continues where
  it stopped (the same pulse counts).
* Hostile checkpoints: each is refused with one paragraph naming the file,
  exit status 2, no traceback; a pickle payload never runs (its marker file is
  never created).
"""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from circuitsim.cosim import Experiment, ExperimentState, run_experiment
from circuitsim.cosim.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from circuitsim.cosim.config import ConfigError
from circuitsim.cosim.perceptron import DEMO_CONFIG
from circuitsim.cosim.runner import OutputFolderError, build_experiment

ROOT = Path(__file__).resolve().parents[1]

# A user's experiment file: four reads per step of a 2 x 2 VTEAM array, one V/2 pulse on cell (0, 0) per step.
USER_EXPERIMENT = '''
import numpy as np
from circuitsim.cosim import CrossbarCircuit, Experiment, LineProgram, Phase, WriteScheme, write_phases

VTEAM = {"ron": 1e4, "roff": 1e5, "v_off": 0.5, "v_on": -0.5, "k_off": 7.5e-5, "k_on": -7.5e-5,
         "alpha_off": 1.0, "alpha_on": 1.0}


class PotentiateOneCell(Experiment):
    """Pulse cell (0, 0) once per step and read its column current."""

    kind = "potentiate_one_cell"
    tables = ("experiment", "pulse")
    progress_metrics = ("current",)
    curve_metric = "current"
    summary_metrics = ("final_current",)

    def __init__(self, config):
        super().__init__(config)
        pulse = config.get("pulse", {})
        self.amplitude = float(pulse.get("amplitude", -0.9))
        self.circuit = CrossbarCircuit("vteam", (2, 2), VTEAM, max_step=2.5e-8)
        self.scheme = WriteScheme("v/2", self.amplitude, -self.amplitude, 1e-6)

    @property
    def horizon(self):
        return 4 * self.steps * 2e-6

    def initial_state(self):
        state = super().initial_state()                      # device defaults, rng seeded
        lo, hi = self.circuit.state_bounds()["x0"]
        state.states = self.circuit.initial_states({"x0": 0.5 * (lo + hi)})
        return state

    def step(self, state, coupling):
        program = LineProgram((2, 2), rise=1e-8)
        program.extend(write_phases(np.array([[1, 0], [0, 0]]), self.scheme))
        program.add(Phase.read([0.2, 0.0], 2, 1e-7))
        result = coupling.run(program, state.states)
        state.states = result.states
        current = float(result.column_currents_at(program.sample_times("read"))[0, 0])
        state.values["currents"] = state.values.get("currents", []) + [current]
        return {"current": current}

    def summary(self, state):
        return {"final_current": state.values["currents"][-1], "steps": state.step}
'''

# A user's rules for the perceptron: the example file (StochasticManhattan: the Manhattan pulse, each issued
# with probability p, its generator a learned attribute), copied into each test's own folder.
USER_RULE = (ROOT / "examples" / "my_rules.py").read_text()


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The CLI in a subprocess; ``stderr`` with the message's line wrapping undone."""
    done = subprocess.run([sys.executable, "-m", "circuitsim", *args], capture_output=True, text=True,
                          timeout=600, cwd=cwd)
    done.stderr = " ".join(done.stderr.split())
    return done


def _states(folder: Path) -> dict:
    with np.load(folder / "checkpoint.npz", allow_pickle=False) as archive:
        return {k: archive[k] for k in archive.files if k.startswith("states/")}


# --------------------------------------------------------------------------- no SPICE

class _Counter(Experiment):
    kind = "counter"

    def __init__(self, config):
        super().__init__(config)
        self.circuit = object()

    def step(self, state, coupling):   # pragma: no cover - never stepped here
        return {}


def test_checkpoint_round_trip_keeps_arrays_values_rules_and_the_generator(tmp_path):
    rng = np.random.default_rng(7)
    rng.random(5)
    state = ExperimentState(states={"x0": np.arange(6.0).reshape(2, 3)}, step=3,
                            metrics=[{"a": 1.0}, {"a": 2.0}, {"a": 3.5}], pending=np.array([[1, -2, 0]]),
                            values={"g0": np.ones((2, 2)), "label": "z", "curve": [1.0, 2.0], "none": None},
                            rng=rng)

    class Rule:
        pass

    rule = Rule()
    rule.accumulator_ = np.array([0.25, -0.5])
    rule.n_updates_ = 4
    rule.rng_ = np.random.default_rng(3)
    identity = {"experiment": "counter", "class": "_Counter", "fingerprint": "abc", "mode": "restart"}
    save_checkpoint(tmp_path / "c.npz", state, {"rule": rule}, identity)
    back, learned = load_checkpoint(tmp_path / "c.npz", identity)
    assert back.step == 3 and back.metrics == state.metrics and back.done is False
    assert np.array_equal(back.states["x0"], state.states["x0"])
    assert np.array_equal(back.pending, state.pending)
    assert np.array_equal(back.values["g0"], np.ones((2, 2)))
    assert back.values["label"] == "z" and back.values["curve"] == [1.0, 2.0] and back.values["none"] is None
    assert back.rng.random() == rng.random()                     # continues where the saved one stopped
    assert np.array_equal(learned["rule"]["accumulator_"], rule.accumulator_)
    assert learned["rule"]["n_updates_"] == 4
    assert learned["rule"]["rng_"].random() == rule.rng_.random()


@pytest.mark.parametrize("value, message", [
    (object(), "object"),
    (np.array([object()]), "object array"),
    ({1, 2}, "set"),
])
def test_checkpoint_refuses_values_it_cannot_store_without_pickle(tmp_path, value, message):
    state = ExperimentState(states={"x0": np.zeros((1, 1))}, values={"v": value})
    with pytest.raises(CheckpointError, match=message):
        save_checkpoint(tmp_path / "c.npz", state, {}, {"experiment": "x"})
    assert not (tmp_path / "c.npz").exists()


def _hostile_checkpoints(folder: Path) -> dict:
    """name -> bytes of a checkpoint.npz that must be refused."""

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {folder / 'PWNED'}",))

    good = io.BytesIO()
    meta = {"format": 1, "circuitsim": "0.1.0", "experiment": "perceptron", "step": 1}
    np.savez(good, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    object_npz = io.BytesIO()
    with zipfile.ZipFile(object_npz, "w") as archive:
        inner = io.BytesIO()
        np.save(inner, np.array([Payload()], dtype=object), allow_pickle=True)
        archive.writestr("meta.npy", inner.getvalue())
    no_meta = io.BytesIO()
    np.savez(no_meta, states=np.zeros(3))
    return {
        "pickle": pickle.dumps(Payload()),
        "object array": object_npz.getvalue(),
        "empty": b"",
        "random": np.random.default_rng(0).bytes(4096),
        "truncated": good.getvalue()[: len(good.getvalue()) // 2],
        "no meta": no_meta.getvalue(),
        "foreign meta": good.getvalue(),
        "not json": _npz(meta=np.frombuffer(b"\x80\x81not json", dtype=np.uint8)),
        "json list": _npz(meta=np.frombuffer(b"[1, 2]", dtype=np.uint8)),
        "future format": _npz(meta=np.frombuffer(json.dumps({**meta, "format": 99}).encode(), dtype=np.uint8)),
        "old version": _npz(meta=np.frombuffer(json.dumps({**meta, "circuitsim": "0.0.1"}).encode(),
                                               dtype=np.uint8)),
    }


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_hostile_checkpoints_are_refused_and_never_execute(tmp_path):
    identity = {"experiment": "perceptron", "class": "PerceptronExperiment", "fingerprint": "f", "mode": "restart"}
    for name, data in _hostile_checkpoints(tmp_path).items():
        path = tmp_path / "checkpoint.npz"
        path.write_bytes(data)
        with pytest.raises(CheckpointError, match=r"checkpoint\.npz cannot be resumed") as info:
            load_checkpoint(path, identity)
        assert "\n" not in str(info.value), name
    assert not (tmp_path / "PWNED").exists()


def test_user_experiment_classes_are_found_and_checked(tmp_path):
    _write(tmp_path, "exp.py", USER_EXPERIMENT)
    experiment = build_experiment({"experiment": {"kind": "exp.py:PotentiateOneCell", "steps": 2}}, tmp_path)
    assert experiment.kind == "potentiate_one_cell" and experiment.steps == 2
    with pytest.raises(ConfigError, match="defines no 'Nope'"):
        build_experiment({"experiment": {"kind": "exp.py:Nope"}}, tmp_path)
    with pytest.raises(ConfigError, match="not a subclass"):
        build_experiment({"experiment": {"kind": "exp.py:VTEAM"}}, tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        build_experiment({"experiment": {"kind": "missing.py:X"}}, tmp_path)
    with pytest.raises(ConfigError, match="unknown table"):
        build_experiment({"experiment": {"kind": "exp.py:PotentiateOneCell"}, "device": {}}, tmp_path)
    with pytest.raises(ConfigError, match=r"unknown key in \[experiment\]: epochz"):
        build_experiment({"experiment": {"kind": "exp.py:PotentiateOneCell", "epochz": 3}}, tmp_path)
    _write(tmp_path, "broken.py", "class X(:\n    pass\n")
    with pytest.raises(ConfigError, match=r"broken.py, line 1: syntax error"):
        build_experiment({"experiment": {"kind": "broken.py:X"}}, tmp_path)
    _write(tmp_path, "raises.py", "import numpy\nraise RuntimeError('no licence server')\n")
    with pytest.raises(ConfigError, match=r"raises.py, line 2: RuntimeError .*no licence server"):
        build_experiment({"experiment": {"kind": "raises.py:X"}}, tmp_path)


def test_a_user_rule_needs_update_and_its_keywords(tmp_path):
    _write(tmp_path, "rules.py", USER_RULE + "\nclass NoUpdate:\n    pass\n")
    config = {**DEMO_CONFIG, "rule": {"kind": "rules.py:StochasticManhattan", "probability": 0.7}}
    experiment = build_experiment(config, tmp_path)
    assert experiment.rule.probability == 0.7
    with pytest.raises(ConfigError, match="no update"):
        build_experiment({**DEMO_CONFIG, "rule": {"kind": "rules.py:NoUpdate"}}, tmp_path)
    with pytest.raises(ConfigError, match="unexpected keyword argument 'probabilty'"):
        build_experiment({**DEMO_CONFIG, "rule": {"kind": "rules.py:StochasticManhattan", "probabilty": 1}},
                         tmp_path)


# --------------------------------------------------------------------------- SPICE

@pytest.mark.ngspice
def test_user_experiment_runs_from_the_cli_and_the_api_alike(tmp_path):
    exp = _write(tmp_path, "exp.py", USER_EXPERIMENT + "\nCONFIG = {'experiment': {'steps': 3}}\n")
    done = _cli("run", str(exp), "--out", str(tmp_path / "cli"), "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "potentiate_one_cell (restart): final_current" in done.stdout
    cli = json.loads((tmp_path / "cli" / "report.json").read_text())
    toml = _write(tmp_path, "exp.toml", '[experiment]\nkind = "exp.py:PotentiateOneCell"\nsteps = 3\n')
    api = run_experiment(toml, tmp_path / "api", progress=False)
    assert cli["steps"] == api["steps"] == 3
    assert cli["summary"]["final_current"] == pytest.approx(api["summary"]["final_current"], rel=1e-12)
    currents = [m["current"] for m in api["metrics"]]
    assert currents[0] < currents[1] < currents[2]            # each pulse potentiates the cell
    assert api["curve_metric"] == "current" and api["progress_metrics"] == ["current"]


@pytest.mark.ngspice
def test_user_experiment_in_lock_step_matches_restart(tmp_path):
    """Both couplings integrate the same circuit with different time steps: 1e-3 relative on the read current."""
    _write(tmp_path, "exp.py", USER_EXPERIMENT)
    config = {"experiment": {"kind": "exp.py:PotentiateOneCell", "steps": 2}}
    restart = run_experiment(build_experiment(config, tmp_path), tmp_path / "r", progress=False)
    lock = run_experiment(build_experiment(config, tmp_path), tmp_path / "l", mode="lock-step", progress=False)
    assert [m["current"] for m in lock["metrics"]] == pytest.approx([m["current"] for m in restart["metrics"]],
                                                                   rel=1e-3)


@pytest.mark.ngspice
def test_user_rule_resumes_with_its_generator(tmp_path):
    """A stochastic user rule: two epochs, killed after one and resumed, equal an uninterrupted run."""
    _write(tmp_path, "rules.py", USER_RULE)
    config = {**DEMO_CONFIG, "experiment": {**DEMO_CONFIG["experiment"], "epochs": 3, "patterns": 6},
              "rule": {"kind": "rules.py:StochasticManhattan", "probability": 0.5, "seed": 4}}
    toml = tmp_path / "p.toml"
    toml.write_text(_toml(config))
    whole = run_experiment(toml, tmp_path / "whole", progress=False)
    run_experiment(toml, tmp_path / "cut", progress=False, max_steps=1)
    resumed = run_experiment(toml, tmp_path / "cut", progress=False, resume=True)
    assert [m["pulses"] for m in resumed["metrics"]] == [m["pulses"] for m in whole["metrics"]]
    a, b = _states(tmp_path / "cut"), _states(tmp_path / "whole")
    assert a["states/x0"] == pytest.approx(b["states/x0"], rel=1e-12, abs=1e-24)


def _toml(config: dict) -> str:
    lines = []
    for table, values in config.items():
        lines.append(f"[{table}]")
        nested = {k: v for k, v in values.items() if isinstance(v, dict)}
        for key, value in values.items():
            if not isinstance(value, dict):
                lines.append(f"{key} = {json.dumps(value)}")
        for name, sub in nested.items():
            lines.append(f"[{table}.{name}]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in sub.items()]
    return "\n".join(lines) + "\n"


@pytest.mark.ngspice
def test_output_folders_are_never_silently_replaced(tmp_path):
    exp = _write(tmp_path, "exp.py", USER_EXPERIMENT + "\nCONFIG = {'experiment': {'steps': 1}}\n")
    out = tmp_path / "out"
    with pytest.raises(OutputFolderError, match="holds no checkpoint"):
        run_experiment(exp, out, progress=False, resume=True)
    run_experiment(exp, out, progress=False)
    before = (out / "report.json").read_bytes()
    again = _cli("run", str(exp), "--out", str(out), "--quiet", cwd=tmp_path)
    assert again.returncode == 2 and "already holds a run" in again.stderr and "Traceback" not in again.stderr
    assert (out / "report.json").read_bytes() == before
    assert run_experiment(exp, out, progress=False, overwrite=True)["steps"] == 1


@pytest.mark.ngspice
def test_cli_refuses_hostile_checkpoints_with_one_paragraph(tmp_path):
    exp = _write(tmp_path, "exp.py", USER_EXPERIMENT + "\nCONFIG = {'experiment': {'steps': 1}}\n")
    out = tmp_path / "out"
    for name, data in _hostile_checkpoints(tmp_path).items():
        out.mkdir(exist_ok=True)
        (out / "checkpoint.npz").write_bytes(data)
        done = _cli("run", str(exp), "--out", str(out), "--quiet", "--resume", cwd=tmp_path)
        assert done.returncode == 2, (name, done.stderr)
        assert "cannot be resumed" in done.stderr and "Traceback" not in done.stderr, name
        assert not (out / "report.json").exists()
    assert not (tmp_path / "PWNED").exists()
    (out / "checkpoint.npz").unlink()
    (out / "checkpoint.pkl").write_bytes(pickle.dumps({"state": 1}))
    done = _cli("run", str(exp), "--out", str(out), "--quiet", "--resume", cwd=tmp_path)
    assert done.returncode == 2 and "never read" in done.stderr


@pytest.mark.ngspice
def test_a_checkpoint_of_another_experiment_or_mode_is_refused(tmp_path):
    exp = _write(tmp_path, "exp.py", USER_EXPERIMENT + "\nCONFIG = {'experiment': {'steps': 2}}\n")
    run_experiment(exp, tmp_path / "out", progress=False, max_steps=1)
    with pytest.raises(CheckpointError, match="belongs to another run"):
        run_experiment(exp, tmp_path / "out", progress=False, resume=True, mode="lock-step")
    other = _write(tmp_path, "other.toml", '[experiment]\nkind = "exp.py:PotentiateOneCell"\nsteps = 5\n')
    with pytest.raises(CheckpointError, match="belongs to another run"):
        run_experiment(other, tmp_path / "out", progress=False, resume=True)
    assert run_experiment(exp, tmp_path / "out", progress=False, resume=True)["steps"] == 2


@pytest.mark.ngspice
def test_an_error_in_a_user_experiment_names_their_line(tmp_path):
    text = USER_EXPERIMENT.replace('        return {"current": current}',
                                   '        return {"current": current / 0 if state.step else current}')
    text = text.replace("current / 0", "1 / (state.step - state.step)")
    exp = _write(tmp_path, "exp.py", text + "\nCONFIG = {'experiment': {'steps': 3}}\n")
    done = _cli("run", str(exp), "--out", str(tmp_path / "o"), "--quiet", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "PotentiateOneCell.step (step 2) raised ZeroDivisionError" in done.stderr
    assert "exp.py, line" in done.stderr


@pytest.mark.ngspice
def test_the_experiment_sweep_kind_runs_a_user_experiment_with_its_own_metric_names(tmp_path):
    """A sweep over a user's experiment file: each point equals a direct run; the per-step curve and the
    plotted outputs are the names the experiment class declares (curve_metric, summary_metrics)."""
    import xarray as xr

    from circuitsim.sweep import parse_spec, run_sweep

    exp = _write(tmp_path, "exp.py", USER_EXPERIMENT + "\nCONFIG = {'experiment': {'steps': 2, 'seed': 1}}\n")
    spec = parse_spec({"title": "t", "seed": 1,
                       "task": {"kind": "experiment", "experiment": str(exp)},
                       "grid": {"experiment.seed": [1, 2]}})
    run = run_sweep(spec, tmp_path / "sweep", scheduler="serial")
    assert run.computed == 2 and not run.failed
    data = xr.open_dataset(run.dataset_path)
    assert "current_per_step" in data and "final_current" in data
    assert [p.name for p in run.plot_paths] == ["final_current.png"]
    direct = run_experiment(exp, tmp_path / "direct", progress=False)
    point = data.sel({"experiment.seed": 1})
    assert float(point["final_current"]) == pytest.approx(direct["summary"]["final_current"], rel=1e-12)


def test_the_slow_backend_fallback_is_announced_and_reported(monkeypatch):
    """Without openvaf-r the cells fall back to B-source subckts (about 85x slower): a SlowBackendWarning says
    so with the expected cost, and the circuit (hence report.json's "backend") records it.  Only the compiler
    lookup is replaced here; no simulator is involved."""
    import circuitsim.spice.toolchain as toolchain
    from circuitsim.cosim import CrossbarCircuit
    from circuitsim.cosim.circuit import SlowBackendWarning

    monkeypatch.setattr(toolchain, "find_openvaf", lambda: None)
    with pytest.warns(SlowBackendWarning, match="85x slower"):
        circuit = CrossbarCircuit("vteam", (2, 2))
    assert circuit.backend == "subckt"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert CrossbarCircuit("vteam", (2, 2), backend="subckt").backend == "subckt"   # chosen: no warning


@pytest.mark.ngspice
def test_an_experiment_file_names_a_device_from_the_users_own_file(tmp_path):
    """[device] name = "file.py:NAME" (relative to the experiment file) runs the perceptron on the user's
    declaration: here the VTEAM equations declared under another name in the user's file, so the learning
    curve must equal the catalogue run's exactly (the same decks but for the model's name)."""
    (tmp_path / "lab").mkdir()
    _write(tmp_path / "lab", "devices.py", """
        import dataclasses
        from circuitsim.models.catalogue import get_device

        LABMEM = dataclasses.replace(get_device("vteam"), name="labmem", title="my lab's VTEAM")
        """)
    config = {**DEMO_CONFIG, "experiment": {**DEMO_CONFIG["experiment"], "epochs": 2, "patterns": 6}}
    toml = tmp_path / "lab" / "p.toml"
    toml.write_text(_toml({**config, "device": {**config["device"], "name": "devices.py:LABMEM"}}))
    mine = run_experiment(toml, tmp_path / "mine", progress=False)
    assert build_experiment(config).circuit.model.name == "vteam"
    catalogue = run_experiment(config, tmp_path / "catalogue", progress=False)
    assert [m["accuracy"] for m in mine["metrics"]] == [m["accuracy"] for m in catalogue["metrics"]]
    assert np.array(mine["summary"]["weights"]) == pytest.approx(np.array(catalogue["summary"]["weights"]),
                                                                 rel=1e-9, abs=1e-12)


def test_an_experiment_report_has_a_short_repr():
    """The report is the report.json dict, shown in one line (and a small HTML table), never every metric."""
    from circuitsim.cosim.runner import ExperimentReport

    report = ExperimentReport({"experiment": "perceptron", "mode": "fast", "steps": 13, "finished": True,
                               "spice_seconds": 1.5, "metrics": [{"accuracy": 0.5}] * 1000,
                               "summary": {"final_accuracy": 1.0, "epochs_to_100_percent": 13,
                                           "weights": [[0.1] * 3] * 10}})
    text = repr(report)
    assert text.startswith("<ExperimentReport perceptron (fast), 13 steps") and "final_accuracy=1" in text
    assert "weights" not in text and len(text) < 200
    assert "<table>" in report._repr_html_() and "epochs_to_100_percent" in report._repr_html_()
    assert report["summary"]["epochs_to_100_percent"] == 13 and isinstance(report, dict)
