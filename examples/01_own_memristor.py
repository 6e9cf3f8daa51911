"""Example 1: my own memristor from its equations, an I-V loop in ngspice against its Python reference.

The device is declared once in ``my_devices.py`` (the model language: sympy
expressions for the current and the state rate).  circuitsim emits its
ngspice subckt and its Verilog-A (compiled by OpenVAF and loaded through
OSDI when ``openvaf-r`` is installed) and integrates its Python reference
(LSODA); a 1 V, 10 Hz sine drives all of them and the script prints the
largest differences and writes the pinched hysteresis loop.

    .venv/bin/python examples/01_own_memristor.py [--fast] [--out results/example1]
"""

import argparse
from pathlib import Path

import numpy as np

from circuitsim.analysis.devices import Stimulus, compare, simulate_ngspice, simulate_osdi, simulate_python
from circuitsim.plotting import new_figure, save_figure
from circuitsim.spice.toolchain import find_openvaf
from my_devices import MYMEM


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="one sine period (the test suite's variant)")
    parser.add_argument("--out", default="results/example1")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stimulus = Stimulus.sine(1.0, 10.0, cycles=1 if args.fast else 2)
    reference = simulate_python(MYMEM, stimulus)
    runs = {"ngspice subckt": simulate_ngspice(MYMEM, stimulus)}
    if find_openvaf():
        runs["Verilog-A via OSDI"] = simulate_osdi(MYMEM, stimulus)
    for label, run in runs.items():
        errors = compare(MYMEM, reference, run)
        print(f"{label:>19} vs Python reference: current {errors['current']:.2e}, state x {errors['x']:.2e} "
              "(largest error relative to the range)")
    fig = new_figure(figsize=(5.0, 3.8))
    ax = fig.add_subplot()
    ax.plot(reference.v, np.asarray(reference.i) * 1e6, "k-", lw=2.5, alpha=0.35, label="Python reference")
    for label, run in runs.items():
        ax.plot(run.v, np.asarray(run.i) * 1e6, "--", label=label)
    ax.set_xlabel("voltage (V)")
    ax.set_ylabel("current (uA)")
    ax.set_title(MYMEM.title)
    ax.legend()
    fig.tight_layout()
    print(f"wrote {save_figure(fig, out / 'iv_loop.png')}")


if __name__ == "__main__":
    main()
