"""Example 3: my own learning rule trains the in-situ perceptron.

The perceptron experiment (10 x 6 VTEAM crossbar, V/2 write pulses through
the wires, letters z, v, n) is run three times: with the built-in Manhattan
rule and with the two rules of ``my_rules.py``, named in the experiment
file's ``[rule]`` table as ``"my_rules.py:StochasticManhattan"``.  It prints
accuracy per epoch and the write pulses each rule spent.

    .venv/bin/python examples/03_own_learning_rule.py [--fast] [--out results/example3]

The same from the command line: ``circuitsim run`` on a TOML file whose
``[rule]`` says ``kind = "my_rules.py:StochasticManhattan"`` (relative to the
TOML file's folder).
"""

import argparse
import copy
from pathlib import Path

from circuitsim.cosim import build_experiment, run_experiment
from circuitsim.cosim.perceptron import DEMO_CONFIG

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="6 patterns, 4 epochs (the test suite's variant)")
    parser.add_argument("--out", default="results/example3")
    args = parser.parse_args()
    rules = {"built-in Manhattan": {"kind": "manhattan"},
             "stochastic (p = 0.5)": {"kind": "my_rules.py:StochasticManhattan", "probability": 0.5, "seed": 1},
             "thresholded (30 %)": {"kind": "my_rules.py:ThresholdedManhattan", "fraction": 0.3}}
    for k, (label, rule) in enumerate(rules.items()):
        config = copy.deepcopy(DEMO_CONFIG)
        config["rule"] = rule
        if args.fast:
            config["experiment"].update(epochs=4, patterns=6)
        # the dict goes through the same reader as a TOML file; relative rule files resolve from here
        experiment = build_experiment(config, base_dir=HERE)
        report = run_experiment(experiment, Path(args.out) / f"rule{k}", progress=False, overwrite=True)
        curve = " ".join(f"{100 * m['accuracy']:.0f}" for m in report["metrics"])
        print(f"{label:>22}: accuracy per epoch (%) {curve}; pulses {report['summary']['pulses_total']}")


if __name__ == "__main__":
    main()
