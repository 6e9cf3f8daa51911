"""In-situ training of a single-layer perceptron on a memristive crossbar (after Prezioso et al., Nature 2015).

Three 3 x 3 letters (z, v, n) and their nine one-pixel-flipped variants each
(30 patterns) are classified by a 10 x 6 crossbar: nine pixel inputs and a
bias input as row voltages (pixel 1 -> +V_read, 0 -> -V_read, bias +V_read),
three outputs as differential column pairs (G+ - G-).  Each epoch is one
SPICE transient: the write pulses the previous epoch decided, then a read of
all 30 patterns.  The Manhattan rule (batch) decides one pulse per weight from
the sign of the summed gradient of ``tanh``-activated outputs; on the
physical path (the default) the pulses go through the array with a V/2 (or
V/3) scheme, so wire resistance and half-selected cells act as in hardware.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping

import numpy as np

from circuitsim.cosim.circuit import CrossbarCircuit
from circuitsim.cosim.config import ConfigError, Section
from circuitsim.cosim.experiment import Experiment, ExperimentState
from circuitsim.cosim.rules import DeltaRule, ManhattanRule, MixedPrecisionRule, call_rule, checked_pulses, user_rule
from circuitsim.cosim.synapses import MultiDeviceSynapses
from circuitsim.cosim.tables import (VTEAM_SYNAPSE, array_options, device_table, initial_states, pulse_fraction,
                                     write_table)
from circuitsim.cosim.writes import differential_pulses, ideal_update, write_phases
from circuitsim.netlists.programming import LineProgram, Phase
from circuitsim.userfiles import is_reference

__all__ = ["DEMO_CONFIG", "LETTERS", "PerceptronExperiment", "letter_patterns"]

#: the experiment of ``cosim/perceptron.toml`` (a test keeps the two equal); ``circuitsim demo`` runs it
DEMO_CONFIG: Dict[str, Any] = {
    "experiment": {"kind": "perceptron", "epochs": 40, "seed": 1, "update": "physical"},
    "device": {"name": "vteam", "initial_state": [0.05, 0.95], "params": dict(VTEAM_SYNAPSE)},
    "array": {"r_row": 2.0, "r_col": 2.0, "r_source": 1.0, "r_sense": 1.0},
    "read": {"voltage": 0.2, "duration": 1e-7, "gain": 1.0},
    "write": {"scheme": "v/2", "v_potentiate": -0.9, "v_depress": 0.9, "width": 1e-6, "max_voltage": 1.5,
              "max_state_step": 0.25},
    "rule": {"kind": "manhattan"},
}

#: the three letters of Prezioso et al. (2015), 3 x 3 pixels
LETTERS = {
    "z": np.array([[1, 1, 0], [0, 1, 0], [0, 1, 1]]),
    "v": np.array([[1, 0, 1], [1, 0, 1], [0, 1, 0]]),
    "n": np.array([[0, 1, 0], [1, 0, 1], [1, 0, 1]]),
}


def letter_patterns() -> "tuple[np.ndarray, np.ndarray]":
    """The 30 patterns (30, 9) of 0/1 pixels and their class labels (30,): each letter, then its 9 one-pixel flips."""
    patterns, labels = [], []
    for label, letter in enumerate(LETTERS.values()):
        flat = letter.ravel()
        patterns.append(flat.copy())
        labels.append(label)
        for k in range(9):
            flipped = flat.copy()
            flipped[k] = 1 - flipped[k]
            patterns.append(flipped)
            labels.append(label)
    return np.array(patterns), np.array(labels)


def count_disturbs(program: LineProgram, result: Any, circuit: CrossbarCircuit, fraction: float = 1e-3) -> int:
    """Half-select disturbs of a step: (cell, write pulse) pairs where a cell the pulse did not select moved
    its state by more than ``fraction`` of the state range during that pulse."""
    name = circuit.state_params[0]
    lo, hi = circuit.state_bounds()[name]
    trace = np.stack([result.vectors[v] for v in circuit.state_vectors()[name]], axis=-1)   # (time, cells)
    count = 0
    for start, phase in zip(program.starts, program.phases):
        if phase.kind != "write":
            continue
        a, b = np.searchsorted(result.time, [start, start + phase.duration])
        a, b = min(a, len(result.time) - 1), min(b, len(result.time) - 1)
        moved = np.abs(trace[b] - trace[a]) > fraction * (hi - lo)
        count += int(np.count_nonzero(moved & ~phase.selected.ravel()))
    return count


class PerceptronExperiment(Experiment):
    """The perceptron experiment, configured from an experiment file's tables.

    Tables and keys (defaults in brackets):

    ``[experiment]`` ``epochs`` [40] (most epochs), ``seed`` [1], ``update`` ["physical" | "abstract"],
    ``patterns`` [30] (the first k of the 30, for quick runs).
    ``[device]`` ``name`` ["vteam"; or a user's device, see :func:`~circuitsim.cosim.tables.device_table`],
    ``initial_state`` [[0.05, 0.95]] (uniform range of the initial state as fractions of its range),
    ``[device.params]`` overrides.
    ``[array]`` ``r_row``, ``r_col`` [1 ohm], ``r_source``, ``r_sense`` [1 ohm], ``devices_per_synapse`` [1]:
    N devices per synapse read together, one programmed per update by an arbitration counter
    (:class:`~circuitsim.cosim.synapses.MultiDeviceSynapses`; the array then has 6 N columns).
    ``[read]`` ``voltage`` [0.2 V], ``duration`` [100 ns], ``gain`` [activation gain, 1.0].
    ``[write]`` ``scheme`` ["v/2"], ``v_potentiate`` [-0.9 V], ``v_depress`` [0.9 V], ``width`` [1 us],
    ``max_voltage`` [1.5 V: the device's safe range], ``max_state_step`` [0.25: most of the state range one
    pulse may move].
    ``[rule]`` ``kind`` ["manhattan" | "delta" | "mixed_precision" | a user's rule as "file.py:Class"],
    ``threshold`` (manhattan), ``learning_rate``, ``max_pulses`` (delta, mixed precision); a user's rule
    gets every other key of the table as a constructor keyword.

    The rule contract: ``rule.update(x, delta)`` with inputs ``x`` (patterns, 10) in {-1, +1} and errors
    ``delta = target - tanh(gain * output)`` (patterns, 3) returns signed whole pulse counts per weight
    (10, 3): ``+k`` potentiates the weight by ``k`` pulses (on its G+ device; the G- device gets the
    opposite), ``-k`` depresses it.  A rule with a ``device_step`` attribute gets one pulse's weight step
    (weight units: (G+ - G-) / (G_max - G_min)) before the first update.
    """

    kind = "perceptron"
    tables = ("experiment", "device", "array", "read", "write", "rule", "run")
    count_key = "epochs"
    default_steps = 40
    progress_metrics = ("accuracy", "loss")
    curve_metric = "accuracy"
    summary_metrics = ("final_accuracy", "epochs_to_100_percent")

    def __init__(self, config: Dict[str, Any]):
        super().__init__(config)
        exp = self.experiment_section
        self.epochs = self.steps
        self.n_patterns = exp.get("patterns", 30, int, lambda v: 3 <= v <= 30, "be between 3 and 30")
        exp.finish()

        device = device_table(config, [0.05, 0.95], base_dir=self.base_dir)
        self.initial_range = device.initial_range
        array = array_options(config)
        self.synapses = MultiDeviceSynapses(array.devices_per_synapse)

        read = Section(config, "read", required=False)
        self.v_read = read.positive("voltage", 0.2)
        self.t_read = read.positive("duration", 1e-7)
        self.gain = read.positive("gain", 1.0)
        read.finish()

        self.write, max_state_step = write_table(config)
        width = self.write.width
        self.rule = self._rule(Section(config, "rule", required=False))

        m, k = 10, 3
        rise = min(self.t_read, width) / 20
        self.rise = rise
        self.circuit = CrossbarCircuit(device.device, self.synapses.physical_shape((m, 2 * k)), device.params,
                                       max_step=min(self.t_read, width) / 4, **array.wires)
        self.device = self.circuit.model
        self.params = dict(device.params)
        if self.update_mode == "abstract":
            self.circuit.require_reference("experiment.update = 'abstract' (states set by the device's ODE)")
        self._weight_scale(pulse_fraction(self.circuit, self.write, max_state_step))
        patterns, labels = letter_patterns()
        self.patterns, self.labels = patterns[: self.n_patterns], labels[: self.n_patterns]
        self.inputs = np.hstack([np.where(self.patterns > 0, 1.0, -1.0), np.ones((len(self.patterns), 1))])
        self.targets = np.where(np.eye(k)[self.labels] > 0, 1.0, -1.0)
        if hasattr(self.rule, "device_step"):
            # weight units: (G+ - G-) / (G_max - G_min); one pulse moves a weight by about its step
            self.rule.device_step = self._weight_step
        if isinstance(self.rule, DeltaRule):
            # |x| = 1 and |target - tanh| < 2, so no gradient entry exceeds 2 * patterns
            worst = self.rule.learning_rate * 2 * len(self.patterns) / self._weight_step
            if worst > self.rule.max_pulses:
                raise ConfigError(f"rule.learning_rate = {self.rule.learning_rate:g} can ask for up to {worst:.0f} "
                                  f"pulses on one device in one epoch, more than rule.max_pulses = "
                                  f"{self.rule.max_pulses} (the device's safe range); lower it below "
                                  f"{self.rule.max_pulses * self._weight_step / (2 * len(self.patterns)):.3g}")

    def _rule(self, rule: Section) -> Any:
        """The learning rule of ``[rule]``: a built-in or a user's class."""
        kind = rule.get("kind", "manhattan", str)
        if is_reference(kind):
            return user_rule(kind, rule, self.base_dir)
        rule.choice("kind", ("manhattan", "delta", "mixed_precision"), "manhattan")
        if kind == "manhattan":
            made: Any = ManhattanRule(rule.get("threshold", 0.0, float, lambda v: v >= 0, "be >= 0"))
        else:
            cls = DeltaRule if kind == "delta" else MixedPrecisionRule
            lr = rule.positive("learning_rate")
            max_pulses = rule.get("max_pulses", 4, int, lambda v: v >= 1, "be >= 1")
            # one pulse's weight step: about 2 / (pulses across the range), set from the device below
            made = cls(lr, 1.0, max_pulses)
        rule.finish()
        return made

    # -- set-up checks -------------------------------------------------------------------------------------
    def _weight_scale(self, steps: Dict[str, float]) -> None:
        """Conductance range and one potentiating pulse's weight step at mid-range."""
        name = self.circuit.state_params[0]
        lo, hi = self.circuit.state_bounds()[name]
        g = self._conductance({name: np.array([[lo, hi]])})[0]
        self._g_range = (float(g.min()), float(g.max()))
        #: a synapse's conductance range: its N devices read together
        self._span = self.synapses.devices * (self._g_range[1] - self._g_range[0])
        mid = 0.5 * (lo + hi)
        g_mid = self._conductance({name: np.array([[mid]])})[0, 0]
        g_up = self._conductance({name: np.array([[mid + steps["potentiate"]]])})[0, 0]
        self._weight_step = abs(g_up - g_mid) / self._span

    def _conductance(self, states: Dict[str, np.ndarray]) -> np.ndarray:
        return self.circuit.conductance(states)

    # -- the loop's interface ------------------------------------------------------------------------------
    @property
    def horizon(self) -> float:
        """An upper bound of the whole experiment's simulated time (s), for lock-step."""
        m, n = self.circuit.shape
        per_epoch = (len(self.patterns) + 1) * self.t_read + 2 * n * m * self.write.width
        return 2 * self.epochs * per_epoch

    def initial_state(self) -> ExperimentState:
        rng = np.random.default_rng(self.seed)
        states = initial_states(self.circuit, self.initial_range, rng)
        return ExperimentState(states=states, rng=rng, values={"conductance_initial": self._conductance(states)})

    def weights(self, states: Dict[str, np.ndarray]) -> np.ndarray:
        """Weights (inputs, outputs) = (G+ - G-) / (N (G_max - G_min)), each G a synapse's N devices together."""
        g = self.synapses.combine(self._conductance(states))
        return (g[:, 0::2] - g[:, 1::2]) / self._span

    def learning_rules(self) -> Dict[str, Any]:
        return {"rule": self.rule, "synapses": self.synapses}

    def step(self, state: ExperimentState, coupling: Any) -> Dict[str, Any]:
        """One epoch: apply the pending pulses, read every pattern, decide the next pulses."""
        m, n = self.circuit.shape
        program = LineProgram((m, n), rise=self.rise)
        pending = state.pending
        if pending is not None and self.update_mode == "physical":
            program.extend(write_phases(pending, self.write))
        elif pending is not None:
            state.states = ideal_update(self.device, self.params, state.states, pending, self.write)
        for x in self.inputs:
            program.add(Phase.read(self.v_read * x, n, self.t_read))
        result = coupling.run(program, state.states)
        state.states = result.states
        currents = self.synapses.combine(result.column_currents_at(program.sample_times("read")))
        scale = self.v_read * self._span
        f = (currents[:, 0::2] - currents[:, 1::2]) / scale
        y = np.tanh(self.gain * f)
        delta = self.targets - y
        accuracy = float(np.mean(np.argmax(f, axis=1) == self.labels))
        loss = float(np.mean(delta ** 2))
        disturbs = 0
        if pending is not None and self.update_mode == "physical":
            disturbs = count_disturbs(program, result, self.circuit)
        pulses_issued = 0
        if accuracy >= 1.0:
            state.pending = None
            state.done = True
        else:
            weight_pulses = checked_pulses(self.rule, call_rule(self.rule, self.inputs, delta),
                                           self.inputs.shape[1], self.targets.shape[1])
            state.pending = self.synapses.pulses(differential_pulses(weight_pulses))
            pulses_issued = int(np.abs(state.pending).sum())
        return {"epoch": state.step + 1, "accuracy": accuracy, "loss": loss, "pulses": pulses_issued,
                "half_select_disturbs": disturbs}

    def summary(self, state: ExperimentState) -> Dict[str, Any]:
        metrics = state.metrics
        hits = [m["epoch"] for m in metrics if m["accuracy"] >= 1.0]
        return {"final_accuracy": metrics[-1]["accuracy"] if metrics else None,
                "epochs_to_100_percent": hits[0] if hits else None,
                "half_select_disturbs_total": int(sum(m["half_select_disturbs"] for m in metrics)),
                "pulses_total": int(sum(m["pulses"] for m in metrics)),
                "weights": self.weights(state.states).tolist()}

    def plots(self, state: ExperimentState, folder: Any) -> List[Path]:
        from circuitsim.cosim.report import accuracy_plot, conductance_maps

        metrics = state.metrics
        files = [accuracy_plot([m["epoch"] for m in metrics], [m["accuracy"] for m in metrics],
                               [m["loss"] for m in metrics], Path(folder) / "accuracy.png")]
        files.append(conductance_maps({"initial": state.values["conductance_initial"],
                                       "final": self._conductance(state.states)},
                                      Path(folder) / "conductance.png"))
        return [Path(f) for f in files]

    def report_lines(self, report: Mapping[str, Any]) -> List[str]:
        summary = report["summary"]
        curve = " ".join(f"{100 * m['accuracy']:.0f}" for m in report["metrics"])
        return [f"perceptron ({report['mode']}, {report['update']} writes): training accuracy per epoch (%): "
                f"{curve}",
                f"epochs to 100 %: {summary['epochs_to_100_percent']}, write pulses {summary['pulses_total']}, "
                f"half-select disturbs {summary['half_select_disturbs_total']}"]
