"""Example 4: my own experiment, unsupervised winner-take-all learning on a crossbar.

Three noisy 3 x 3 letters (z, v, n and their one-pixel flips) are shown, as
+-V_read row voltages, to a 9 x 3 crossbar of VTEAM memristors, one column
per output neuron.  Each step (one SPICE transient) writes the pulses the
previous step decided, then reads every pattern; the column with the largest
current wins.  Competitive learning, batch form: for each output, over the
patterns it won, pixels that are mostly on get a potentiating pulse and
pixels mostly off a depressing one, so each column's conductances become the
template of one letter.  Nobody tells the network the labels; the metric is
the *purity* of the clustering (the fraction of patterns whose winner's
majority label is their own) and how many outputs are in use.

Written on circuitsim's public interface only: a subclass of
``circuitsim.cosim.Experiment`` with a ``CrossbarCircuit``, ``LineProgram``
reads and ``write_phases`` pulses.  Run it with the co-simulation runner:

    .venv/bin/circuitsim run examples/04_own_experiment_wta.py --out results/wta      # restart mode
    .venv/bin/circuitsim run examples/04_own_experiment_wta.py --out results/wta-ls --mode lock-step

or as a script (``--fast`` runs 3 steps): ``.venv/bin/python examples/04_own_experiment_wta.py``.
Checkpoints, ``--resume``, the progress bar and ``report.json`` come from the runner.
"""

from pathlib import Path

import numpy as np

from circuitsim.cosim import (CrossbarCircuit, Experiment, ExperimentState, LineProgram, Phase, Section, WriteScheme,
                              write_phases)
from circuitsim.cosim.perceptron import letter_patterns

#: VTEAM as a synapse (10 k / 100 kohm, +-0.5 V thresholds); a 0.9 V, 1 us pulse moves ~2 % of the range
VTEAM = {"ron": 1e4, "roff": 1e5, "v_off": 0.5, "v_on": -0.5, "k_off": 7.5e-5, "k_on": -7.5e-5,
         "alpha_off": 1.0, "alpha_on": 1.0}

#: what ``circuitsim run`` uses when it runs this file (an experiment TOML can name the class instead)
CONFIG = {"experiment": {"steps": 12, "seed": 3}, "wta": {"pulses": 2}}


class WinnerTakeAll(Experiment):
    """Competitive (winner-take-all) clustering of the letters on a 9 x 3 crossbar.

    Tables: ``[experiment]`` ``steps`` [12], ``seed``; ``[wta]`` ``pulses`` [2 per step and cell],
    ``v_read`` [0.2 V], ``r_wire`` [2 ohm].
    """

    kind = "winner_take_all"
    tables = ("experiment", "wta")
    default_steps = 12
    progress_metrics = ("purity", "outputs_used")
    curve_metric = "purity"
    summary_metrics = ("final_purity",)

    def __init__(self, config):
        super().__init__(config)
        wta = Section(config, "wta", required=False)
        self.pulses = wta.get("pulses", 2, int, lambda v: v >= 1, "be >= 1")
        self.v_read = wta.positive("v_read", 0.2)
        r_wire = wta.positive("r_wire", 2.0)
        wta.finish()
        patterns, self.labels = letter_patterns()
        self.inputs = np.where(patterns > 0, 1.0, -1.0)                      # (30, 9)
        self.circuit = CrossbarCircuit("vteam", (9, 3), VTEAM, r_row=r_wire, r_col=r_wire, max_step=2.5e-8)
        self.scheme = WriteScheme("v/2", -0.9, 0.9, 1e-6)                    # V < 0 potentiates VTEAM

    @property
    def horizon(self):
        return 2 * self.steps * (30 * 1e-7 + 2 * 3 * self.pulses * 1e-6 + 1e-6)

    def initial_state(self):
        rng = np.random.default_rng(self.seed)
        lo, hi = self.circuit.state_bounds()["x0"]
        states = {"x0": lo + rng.uniform(0.4, 0.6, self.circuit.shape) * (hi - lo)}
        return ExperimentState(states=states, rng=rng,
                               values={"conductance_initial": self.circuit.conductance(states)})

    def step(self, state, coupling):
        program = LineProgram(self.circuit.shape, rise=5e-9)
        if state.pending is not None:
            program.extend(write_phases(state.pending, self.scheme))
        for x in self.inputs:
            program.add(Phase.read(self.v_read * x, 3, 1e-7))
        result = coupling.run(program, state.states)
        state.states = result.states
        currents = result.column_currents_at(program.sample_times("read"))   # (30, 3)
        winners = np.argmax(currents, axis=1)
        pulses = np.zeros(self.circuit.shape, dtype=int)
        for k in range(3):
            won = winners == k
            if won.any():
                # mostly-on pixels potentiate, mostly-off pixels depress (the template of the won patterns)
                pulses[:, k] = self.pulses * np.sign(self.inputs[won].mean(axis=0)).astype(int)
        state.pending = pulses
        return {"purity": purity(winners, self.labels), "outputs_used": int(len(np.unique(winners)))}

    def summary(self, state):
        return {"final_purity": state.metrics[-1]["purity"] if state.metrics else None,
                "outputs_used": state.metrics[-1]["outputs_used"] if state.metrics else None,
                "conductance_uS": (self.circuit.conductance(state.states) * 1e6).round(2).tolist()}

    def plots(self, state, folder):
        from circuitsim.cosim.report import conductance_maps

        maps = {"initial": state.values["conductance_initial"], "final": self.circuit.conductance(state.states)}
        return [Path(conductance_maps(maps, Path(folder) / "templates.png"))]


def purity(winners: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of patterns whose winning output's majority label is their own label."""
    hits = 0
    for k in np.unique(winners):
        hits += int(np.bincount(labels[winners == k]).max())
    return hits / len(labels)


if __name__ == "__main__":
    import argparse

    from circuitsim.cosim import run_experiment

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="3 steps (the test suite's variant)")
    parser.add_argument("--out", default="results/example4")
    args = parser.parse_args()
    config = {**CONFIG, "experiment": {**CONFIG["experiment"], "steps": 3 if args.fast else 12}}
    report = run_experiment(WinnerTakeAll(config), args.out, progress=False, overwrite=True)
    curve = " ".join(f"{m['purity']:.2f}" for m in report["metrics"])
    print(f"winner-take-all purity per step: {curve}; outputs used: {report['summary']['outputs_used']}")
    print(f"report: {Path(args.out) / 'report.json'}")
