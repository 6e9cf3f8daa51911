"""Example 2: my own Verilog-A device as the cell of a 16 x 16 crossbar: IR-drop map and a co-simulated write.

``my_memristor.va`` is a hand-written Verilog-A model (module ``labmem``).
circuitsim reads its ports, parameters and internal nodes, compiles it with
OpenVAF into the per-user cache and runs it through OSDI.  The user says
where its state lives: node ``dx`` holds the change of ``x`` since the
transient started, parameter ``x0`` sets its initial value.

1. Conductances of a random 16 x 16 array of states, measured on the
   Verilog-A cells in ngspice (the file has no Python reference).
2. IR-drop map of a 0.2 V read with 2 ohm wire segments, from the fast
   solver on those conductances; checked against a read of the real
   Verilog-A array in ngspice (a co-simulation read step).
3. A co-simulated write: a V/2 programming of a checkerboard (SET on black,
   RESET on white cells, 2 pulses each, 1.0 V, 1 us) through the wires, in
   ngspice; the conductance maps before and after.

    .venv/bin/python examples/02_own_verilog_a.py [--fast] [--out results/example2]
"""

import argparse
from pathlib import Path

import numpy as np

from circuitsim.analysis.irdrop import irdrop_report, write_report
from circuitsim.cosim import CrossbarCircuit, LineProgram, Phase, WriteScheme, write_phases
from circuitsim.cosim.coupling import make_coupling
from circuitsim.cosim.report import conductance_maps
from circuitsim.crossbar import CrossbarSpec
from circuitsim.models.verilog_a import VerilogADevice, VerilogAState

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="an 8 x 8 array (the test suite's variant)")
    parser.add_argument("--out", default="results/example2")
    args = parser.parse_args()
    out = Path(args.out)
    size = 8 if args.fast else 16
    device = VerilogADevice(HERE / "my_memristor.va",
                            states=[VerilogAState(node="dx", initial_param="x0", lower=0.0, upper=1.0, offset=True)])
    print(f"{device.name}: ports {', '.join(device.ports)}; parameters {', '.join(device.params)}; "
          f"internal nodes {', '.join(device.nodes)}")
    circuit = CrossbarCircuit(device, (size, size), {}, r_row=2.0, r_col=2.0, r_source=1.0, r_sense=1.0,
                              max_step=2.5e-8)
    rng = np.random.default_rng(2)
    states = {"x0": rng.uniform(0.2, 0.8, (size, size))}

    # 1-2: IR drop of a read, fast solver on the measured conductances, checked against the real array
    g = circuit.conductance(states)
    v_read = np.full(size, 0.2)
    report = irdrop_report(CrossbarSpec(g, v_read, 2.0, 2.0, r_source=1.0, r_sense=1.0))
    write_report(report, out / "irdrop")
    program = LineProgram((size, size), rise=1e-9)
    program.add(Phase.read(v_read, size, 5e-8))
    with make_coupling("restart", circuit, states) as coupling:
        read = coupling.run(program, states).column_currents_at(program.sample_times("read"))[0]
    # the cells' sinh I-V adds (v/v_nl)^2/6 = 2.7 % at 0.2 V over the 1 mV conductance: compare the shape
    spread = np.max(np.abs(read / report.currents - np.mean(read / report.currents)))
    print(f"IR drop at 0.2 V: worst cell at {report.worst_cell_fraction:.4f} of its row voltage, largest column "
          f"current error {report.max_rel_error:.2%} against the ideal product")
    print(f"Verilog-A array read in ngspice / fast solver on its 1 mV conductances: "
          f"{np.mean(read / report.currents):.4f} (sinh I-V at 0.2 V), spread over columns {spread:.1e}")

    # 3: a co-simulated write through the wires
    checker = np.indices((size, size)).sum(axis=0) % 2
    pulses = np.where(checker == 0, 2, -2)
    scheme = WriteScheme("v/2", 1.0, -1.0, 1e-6)
    program = LineProgram((size, size), rise=1e-8)
    program.extend(write_phases(pulses, scheme))
    with make_coupling("restart", circuit, states) as coupling:
        after = coupling.run(program, states).states
    moved = after["x0"] - states["x0"]
    print(f"write ({len(program.phases)} V/2 phases, {program.duration * 1e6:.0f} us): "
          f"SET cells x +{moved[checker == 0].mean():.3f}, RESET cells x {moved[checker == 1].mean():.3f} on average")
    maps = {"before": g, "after": circuit.conductance(after)}
    print(f"wrote {conductance_maps(maps, out / 'write.png')} and {out / 'irdrop'}")


if __name__ == "__main__":
    main()
