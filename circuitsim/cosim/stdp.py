"""Temporal-correlation detection with STDP on memristive synapses (in the spirit of Boybat et al., Nat. Commun. 2018).

One leaky integrate-and-fire neuron, as a circuit in SPICE, is fed by ``N``
memristive synapses: an ``N x 1`` crossbar whose rows carry the presynaptic
spikes (read-level voltage pulses, below the devices' switching threshold)
and whose column's virtual ground collects the synaptic current.  The neuron:

.. code-block:: text

    Bsyn 0 mem I=gain*i(vs0)*V(en)      column current mirrored onto the membrane (only while en = 1)
    Cmem mem 0 C    Rleak mem 0 tau_m/C  leaky integration
    Sfire mem 0 mem 0 fire              switch with hysteresis: closes at V_th, opens at V_reset (fire + reset)

A fraction of the inputs (default 10 %) share spikes of one "mother" Poisson
train (each copied with probability ``correlation``) on top of independent
spikes, so every input fires at the same mean rate.  After each window the
neuron's spike times (threshold crossings of ``v(mem)``) and the input spike
times go through pair-based STDP; the weight changes accumulate in float
(mixed precision) and whole pulses are issued, which the next SPICE run
applies through the array with a V/2 scheme while the neuron is disconnected
(``en = 0``).  Correlated inputs tend to precede the neuron's spikes, so
their synapses grow; the report gives the separation of the two groups' mean
conductance in units of the uncorrelated group's standard deviation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping

import numpy as np

from circuitsim.analysis.oscillators import crossing_times
from circuitsim.cosim.circuit import CrossbarCircuit
from circuitsim.cosim.config import ConfigError, Section
from circuitsim.cosim.experiment import Experiment, ExperimentState
from circuitsim.cosim.rules import MixedPrecisionRule, PairSTDP
from circuitsim.cosim.synapses import MultiDeviceSynapses
from circuitsim.cosim.tables import array_options, device_table, initial_states, pulse_fraction, write_table
from circuitsim.crossbar.probes import CrossbarProbes
from circuitsim.cosim.writes import ideal_update, write_phases
from circuitsim.netlists.programming import LineProgram, Phase
from circuitsim.numbers import spice_number

__all__ = ["StdpCorrelationExperiment", "correlated_spike_trains"]


def correlated_spike_trains(rng: np.random.Generator, n: int, n_correlated: int, rate: float, correlation: float,
                            duration: float, grid: float) -> List[np.ndarray]:
    """Spike times (s) per input on a time grid: the first ``n_correlated`` share a mother train.

    Every input fires at ``rate`` on average: a correlated input copies each
    mother spike (rate ``rate``) with probability ``correlation`` and adds
    independent spikes at ``(1 - correlation) * rate``.  Times are multiples of
    ``grid`` in ``[grid, duration - 2 grid]``; one spike per grid slot at most.
    """
    slots = int(duration / grid) - 3
    if slots < 1:
        raise ValueError("the window is shorter than three grid steps")
    p = rate * grid
    mother = rng.random(slots) < p
    trains = []
    for k in range(n):
        if k < n_correlated:
            spikes = (mother & (rng.random(slots) < correlation)) | (rng.random(slots) < (1 - correlation) * p)
        else:
            spikes = rng.random(slots) < p
        trains.append((np.flatnonzero(spikes) + 1) * grid)
    return trains


class StdpCorrelationExperiment(Experiment):
    """The STDP correlation-detection experiment, configured from an experiment file's tables.

    Tables and keys (defaults in brackets):

    ``[experiment]`` ``steps`` [30], ``seed`` [1], ``update`` ["physical" | "abstract"].
    ``[input]`` ``synapses`` [100], ``correlated_fraction`` [0.1], ``rate`` [10 Hz],
    ``correlation`` [0.6], ``window`` [1 s per step], ``spike_width`` [1 ms], ``voltage`` [0.3 V], ``grid``
    [spike_width].
    ``[neuron]`` ``capacitance`` [100 nF], ``tau`` [10 ms], ``threshold`` [1 V], ``reset`` [0.05 V],
    ``drive`` [0.7: mean membrane drive at the initial conductances, as a fraction of the threshold] or
    ``gain`` (the current mirror's gain, instead of ``drive``).
    ``[device]`` ``name`` ["vteam"], ``initial_state`` [[0.4, 0.6]], ``[device.params]``.
    ``[array]`` ``r_row``, ``r_col``, ``r_source``, ``r_sense`` [1 ohm], ``devices_per_synapse`` [1] (N devices
    per synapse in N columns, all read by the neuron, one programmed per update).
    ``[write]`` ``v_potentiate`` [-0.9 V], ``v_depress`` [0.9 V], ``width`` [1 us], ``scheme`` ["v/2"],
    ``max_voltage`` [1.5 V], ``max_state_step`` [0.25].
    ``[rule]`` ``a_plus`` [0.5 pulse], ``a_minus`` [0.7 pulse] (per spike pair), ``tau_plus``,
    ``tau_minus`` [20 ms], ``max_pulses`` [4 per step].
    """

    kind = "stdp_correlation"
    tables = ("experiment", "input", "neuron", "device", "array", "write", "rule", "run")
    default_steps = 30
    progress_metrics = ("separation", "rate_out")
    curve_metric = "separation"
    summary_metrics = ("separation_sd",)

    def __init__(self, config: Dict[str, Any]):
        super().__init__(config)
        self.experiment_section.finish()

        inp = Section(config, "input", required=False)
        self.n = inp.get("synapses", 100, int, lambda v: v >= 2, "be >= 2")
        fraction = inp.get("correlated_fraction", 0.1, float, lambda v: 0 < v < 1, "be in (0, 1)")
        self.n_correlated = max(1, int(round(fraction * self.n)))
        self.rate = inp.positive("rate", 10.0)
        self.correlation = inp.get("correlation", 0.6, float, lambda v: 0 < v <= 1, "be in (0, 1]")
        self.window = inp.positive("window", 1.0)
        self.spike_width = inp.positive("spike_width", 1e-3)
        self.grid = inp.positive("grid", self.spike_width)
        self.v_spike = inp.positive("voltage", 0.3)
        inp.finish()
        if self.grid < self.spike_width:
            raise ConfigError("input.grid must be >= input.spike_width (one spike per slot)")
        if self.rate * self.grid >= 0.5:
            raise ConfigError("input.rate * input.grid must be < 0.5 (spikes would crowd every slot)")

        neu = Section(config, "neuron", required=False)
        self.c_mem = neu.positive("capacitance", 1e-7)
        self.tau_m = neu.positive("tau", 1e-2)
        self.v_th = neu.positive("threshold", 1.0)
        self.v_reset = neu.get("reset", 0.05, float, lambda v: v >= 0, "be >= 0")
        gain = neu.get("gain", None, float, lambda v: v > 0, "be > 0")
        self.drive = neu.positive("drive", 0.7)
        neu.finish()
        if not self.v_reset < self.v_th:
            raise ConfigError("neuron.reset must be below neuron.threshold")

        device = device_table(config, [0.4, 0.6], base_dir=self.base_dir)
        params = device.params
        self.initial_range = device.initial_range
        array = array_options(config)
        self.synapses = MultiDeviceSynapses(array.devices_per_synapse)
        self.write, max_state_step = write_table(config)
        width = self.write.width

        rule = Section(config, "rule", required=False)
        self.stdp = PairSTDP(rule.get("a_plus", 0.5, float, lambda v: v >= 0, "be >= 0"),
                             rule.get("a_minus", 0.7, float, lambda v: v >= 0, "be >= 0"),
                             rule.positive("tau_plus", 0.02), rule.positive("tau_minus", 0.02))
        self.rule = MixedPrecisionRule(1.0, 1.0, rule.get("max_pulses", 4, int, lambda v: v >= 1, "be >= 1"))
        rule.finish()
        for key in ("a_plus", "a_minus"):
            if getattr(self.stdp, key) > self.rule.max_pulses:
                raise ConfigError(f"rule.{key} = {getattr(self.stdp, key):g} pulses for one spike pair exceeds "
                                  f"rule.max_pulses = {self.rule.max_pulses} (the device's safe range per step)")

        self.rise = min(self.spike_width, width) / 50
        neuron = self._neuron_lines(1.0)
        self.circuit = CrossbarCircuit(device.device, self.synapses.physical_shape((self.n, 1)), params,
                                       extra_lines=neuron, extra_sources={"en": ("en", "0")}, probes=("v(mem)",),
                                       max_step=self.spike_width, **array.wires)
        if gain is None:
            # mean membrane drive at the initial mid-range conductance = drive * threshold
            name = self.circuit.state_params[0]
            lo, hi = self.circuit.state_bounds()[name]
            g_mid = float(self.circuit.conductance({name: np.full((1, 1), 0.5 * (lo + hi))})[0, 0])
            mean_current = self.n * self.synapses.devices * self.rate * self.spike_width * self.v_spike * g_mid
            gain = self.drive * self.v_th / (mean_current * self.tau_m / self.c_mem)
        self.gain = gain
        self.circuit.extra_lines = self._neuron_lines(gain)
        self.device = self.circuit.model
        self.params = dict(params)
        if self.update_mode == "abstract":
            self.circuit.require_reference("experiment.update = 'abstract' (states set by the device's ODE)")
        pulse_fraction(self.circuit, self.write, max_state_step)

    def _neuron_lines(self, gain: float) -> "tuple[str, ...]":
        """The LIF neuron's deck lines with the current mirror's ``gain``."""
        columns = [CrossbarProbes.column_current(j) for j in range(self.synapses.devices)]
        return (
            "* leaky integrate-and-fire neuron on the columns' virtual ground (every device of the synapses)",
            f"Bsyn 0 mem I={spice_number(gain)}*({'+'.join(columns)})*V(en)",
            f"Cmem mem 0 {spice_number(self.c_mem)}",
            f"Rleak mem 0 {spice_number(self.tau_m / self.c_mem)}",
            "Sfire mem 0 mem 0 fire",
            f".model fire sw vt={spice_number((self.v_th + self.v_reset) / 2)} "
            f"vh={spice_number((self.v_th - self.v_reset) / 2)} ron=10 roff=1e12",
        )

    # -- the loop's interface ------------------------------------------------------------------------------
    @property
    def horizon(self) -> float:
        return 2 * self.steps * (self.window + 2 * self.rule.max_pulses * self.synapses.devices * self.write.width
                                 + 1e-3)

    def _conductance(self, states: Dict[str, np.ndarray]) -> np.ndarray:
        """Each synapse's conductance (S): its devices together."""
        return self.synapses.combine(self.circuit.conductance(states))[:, 0]

    def initial_state(self) -> ExperimentState:
        rng = np.random.default_rng(self.seed)
        states = initial_states(self.circuit, self.initial_range, rng)
        return ExperimentState(states=states, rng=rng, values={"conductance_initial": self._conductance(states)})

    def _program(self, trains: List[np.ndarray], pending: Any) -> "tuple[LineProgram, float, list]":
        """Writes (neuron disconnected), then the spike window; returns the program, the window start and the
        enable waveform."""
        columns = self.synapses.devices
        program = LineProgram((self.n, columns), rise=self.rise)
        if pending is not None and self.update_mode == "physical":
            program.extend(write_phases(pending, self.write))
        gap = 20 * self.rise
        program.add(Phase.idle(self.n, columns, gap))
        window_start = float(sum(p.duration for p in program.phases))
        # the window as phases: one grid slot at a time, runs of identical line levels merged
        slots = int(round(self.window / self.grid))
        on = np.zeros((slots, self.n), dtype=bool)
        for k, train in enumerate(trains):
            on[np.rint(train / self.grid).astype(int), k] = True
        pieces: List[Any] = []
        for row in on:
            if row.any() and self.spike_width < self.grid:
                pieces += [(row, self.spike_width), (np.zeros(self.n, dtype=bool), self.grid - self.spike_width)]
            else:
                pieces.append((row, self.grid))
        merged: List[Any] = []
        for row, duration in pieces:
            if merged and np.array_equal(merged[-1][0], row):
                merged[-1][1] += duration
            else:
                merged.append([row, duration])
        for row, duration in merged:
            program.add(Phase(self.v_spike * row, np.zeros(columns), duration, "read",
                              rise=self.spike_width / 10))
        return program, window_start

    def learning_rules(self) -> Dict[str, Any]:
        return {"rule": self.rule, "stdp": self.stdp, "synapses": self.synapses}

    def step(self, state: ExperimentState, coupling: Any) -> Dict[str, Any]:
        trains = correlated_spike_trains(state.rng, self.n, self.n_correlated, self.rate, self.correlation,
                                         self.window, self.grid)
        pending = state.pending
        if pending is not None and self.update_mode == "abstract":
            state.states = ideal_update(self.device, self.params, state.states, pending, self.write)
        program, window_start = self._program(trains, pending)
        enable = ([0.0, window_start - self.rise, window_start, program.duration],
                  [0.0, 0.0, 1.0, 1.0])
        result = coupling.run(program, state.states, {"en": enable})
        state.states = result.states
        post = crossing_times(result.time, result.vectors["v(mem)"], 0.98 * self.v_th, direction=+1) - window_start
        post = post[post >= 0]
        dw = self.stdp.update(trains, post)
        counts = self.rule.accumulate(np.clip(dw, -self.rule.max_pulses, self.rule.max_pulses)[:, None])
        state.pending = self.synapses.pulses(counts) if np.any(counts) else None
        g = self._conductance(state.states)
        corr, unc = g[: self.n_correlated], g[self.n_correlated:]
        separation = float((corr.mean() - unc.mean()) / max(unc.std(), 1e-30))
        return {"step": state.step + 1, "post_spikes": int(len(post)),
                "rate_out": float(len(post) / self.window), "pulses": int(np.abs(counts).sum()),
                "mean_g_correlated": float(corr.mean()), "mean_g_uncorrelated": float(unc.mean()),
                "separation": separation}

    def summary(self, state: ExperimentState) -> Dict[str, Any]:
        g = self._conductance(state.states)
        corr, unc = g[: self.n_correlated], g[self.n_correlated:]
        return {"synapses": self.n, "correlated": self.n_correlated,
                "mean_g_correlated": float(corr.mean()), "mean_g_uncorrelated": float(unc.mean()),
                "std_g_uncorrelated": float(unc.std()),
                "separation_sd": float((corr.mean() - unc.mean()) / max(unc.std(), 1e-30)),
                "output_rate_hz": [m["rate_out"] for m in state.metrics],
                "conductance": g.tolist()}

    def plots(self, state: ExperimentState, folder: Any) -> List[Path]:
        from circuitsim.cosim.report import mean_weight_plot, weight_histogram

        folder = Path(folder)
        g = self._conductance(state.states)
        steps = [m["step"] for m in state.metrics]
        return [Path(weight_histogram({"correlated": g[: self.n_correlated], "uncorrelated": g[self.n_correlated:]},
                                      folder / "weights.png")),
                Path(mean_weight_plot(steps, {"correlated": [m["mean_g_correlated"] for m in state.metrics],
                                              "uncorrelated": [m["mean_g_uncorrelated"] for m in state.metrics]},
                                      folder / "mean_weights.png"))]

    def report_lines(self, report: Mapping[str, Any]) -> List[str]:
        summary = report["summary"]
        return [f"{self.kind} ({report['mode']}): correlated mean G {summary['mean_g_correlated']:.4g} S, "
                f"uncorrelated {summary['mean_g_uncorrelated']:.4g} S, separation {summary['separation_sd']:.2f} SD"]
