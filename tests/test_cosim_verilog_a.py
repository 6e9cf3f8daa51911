"""A user's own Verilog-A file as the cell of a co-simulated crossbar.

The Verilog-A memristor below is written by hand (not the text circuitsim
emits): resistance linear in the state ``x``, a sinh-type drift, the state's
change since t = 0 on the internal node ``dx``.  The same equations declared
in the model language give the catalogue's OSDI path (emitted Verilog-A) and
a Python reference.  A 4 x 4 crossbar of each, driven by the same V/2 write
pulses and reads, must give the same state trajectories in restart and in
lock-step.

Tolerance: both run in ngspice through OSDI with the same equations; they
differ only by the language's two guard terms (a 1e-15 S leak on the state
node and a rate fade over 0.1 % of the range next to each bound; the states
here stay in [0.2, 0.8]) and by rounding in differently written
expressions, which moves ngspice's time steps.  States must agree to 1e-4
of the range per step (the two couplings themselves agree to 1e-3).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from circuitsim.cosim import CrossbarCircuit, LineProgram, Phase, WriteScheme, write_phases
from circuitsim.cosim.config import ConfigError
from circuitsim.cosim.coupling import make_coupling
from circuitsim.cosim.perceptron import DEMO_CONFIG
from circuitsim.cosim.runner import build_experiment
from circuitsim.models.language import V, Device, State, param, symbol
from circuitsim.models.verilog_a import VerilogADevice, VerilogAState

HAND_VA = r"""
// A memristor written by hand for this test (not by circuitsim).
`include "disciplines.vams"

module handmem(p, n);
    inout p, n;
    electrical p, n;
    electrical dx;                       // change of the state x since the transient started
    parameter real ron = 1e4 from (0:inf);
    parameter real roff = 1e5 from (0:inf);
    parameter real k = 400.0;            // 1/s
    parameter real v0 = 0.1 from (0:inf);   // V
    parameter real x0 = 0.5 from [0:1];
    real x, v;
    analog begin
        v = V(p, n);
        x = min(max(x0 + V(dx), 0.0), 1.0);
        I(p, n) <+ v / (ron + (roff - ron) * x);
        I(dx) <+ ddt(V(dx)) - k * sinh(v / v0);
    end
endmodule
"""

x, ron, roff, k, v0 = (symbol(n) for n in ("x", "ron", "roff", "k", "v0"))
LANGUAGE = Device(
    name="langmem", title="the hand-written Verilog-A memristor's equations in the model language",
    ports=("p", "n"),
    params=(param("ron", 1e4, "ohm", "ON resistance", "test", positive=True),
            param("roff", 1e5, "ohm", "OFF resistance", "test", positive=True),
            param("k", 400.0, "1/s", "rate scale", "test"),
            param("v0", 0.1, "V", "rate voltage scale", "test", positive=True),
            param("x0", 0.5, "", "initial state", "test", minimum=0.0, maximum=1.0)),
    states=(State("x", 0.0, 1.0, "x0", "", "state"),),
    current=V / (ron + (roff - ron) * x),
    rates={"x": k * sp.sinh(V / v0)},
    reference="test", equations="", stimulus={},
)


def _hand(folder: Path) -> VerilogADevice:
    path = folder / "handmem.va"
    path.write_text(HAND_VA)
    return VerilogADevice(path, states=[VerilogAState(node="dx", initial_param="x0", lower=0.0, upper=1.0,
                                                      offset=True)])


def _trajectory(device, mode: str) -> np.ndarray:
    """States (steps, 4, 4) of three steps: pulses on a diagonal pattern, then a read of every row."""
    circuit = CrossbarCircuit(device, (4, 4), {}, r_row=2.0, r_col=2.0, max_step=2.5e-8, backend="osdi",
                              reltol=1e-6)
    rng = np.random.default_rng(5)
    states = {"x0": rng.uniform(0.4, 0.6, (4, 4))}
    scheme = WriteScheme("v/2", 0.5, -0.5, 1e-6)
    pulses = np.array([[1, 0, 0, -1], [0, 1, -1, 0], [0, -1, 1, 0], [-1, 0, 0, 1]])
    coupling = make_coupling(mode, circuit, states, horizon=1e-4)
    out = []
    try:
        for _ in range(3):
            program = LineProgram((4, 4), rise=1e-8)
            program.extend(write_phases(pulses, scheme))
            program.add(Phase.read([0.05, -0.05, 0.05, -0.05], 4, 1e-7))
            states = coupling.run(program, states).states
            out.append(states["x0"])
    finally:
        coupling.close()
    return np.array(out)


@pytest.mark.ngspice
def test_hand_written_verilog_a_and_the_language_give_the_same_trajectories(tmp_path):
    hand = _hand(tmp_path)
    assert hand.ports == ("p", "n") or list(hand.ports) == ["p", "n"]
    for mode in ("restart", "lock-step"):
        a, b = _trajectory(hand, mode), _trajectory(LANGUAGE, mode)
        moved = np.abs(a[-1] - a[0])
        assert moved.max() > 0.03, "the pulses must move the states for the comparison to mean anything"
        assert np.all((a > 0.2) & (a < 0.8))
        assert np.max(np.abs(a - b)) < 1e-4, mode


@pytest.mark.ngspice
def test_verilog_a_conductance_and_pulse_step_come_from_ngspice(tmp_path):
    """Without a Python reference the circuit measures: the 1 mV conductance equals 1 / R(x) of the
    file's equations (to 1e-9: an op of a linear resistor), and one pulse's step equals the language
    device's ODE (1e-2: ngspice integration of a 1 us pulse with 10 ns edges vs the rectangular pulse)."""
    hand = CrossbarCircuit(_hand(tmp_path), (1, 1), {}, r_row=1e-3, r_col=1e-3, r_source=1e-3, r_sense=1e-3,
                           max_step=2.5e-8)
    states = {"x0": np.array([[0.2, 0.5, 0.9]])}
    g = hand.conductance(states)
    assert g == pytest.approx(1 / (1e4 + 9e4 * states["x0"]), rel=1e-9)
    scheme = WriteScheme("v/2", 0.5, -0.5, 1e-6)
    step = hand.pulse_step({"x0": 0.5}, scheme)
    language = CrossbarCircuit(LANGUAGE, (1, 1), {}, max_step=2.5e-8).pulse_step({"x0": 0.5}, scheme)
    assert step["potentiate"]["x0"] == pytest.approx(language["potentiate"]["x0"], rel=2e-2)
    assert step["depress"]["x0"] == pytest.approx(language["depress"]["x0"], rel=2e-2)


@pytest.mark.ngspice
def test_an_experiment_file_takes_a_verilog_a_cell_and_refuses_what_it_cannot_do(tmp_path):
    (tmp_path / "handmem.va").write_text(HAND_VA)
    device = {"name": "handmem.va", "initial_state": [0.3, 0.7], "params": {"k": 100.0},
              "state": {"node": "dx", "initial_param": "x0", "lower": 0.0, "upper": 1.0, "offset": True}}
    config = {**DEMO_CONFIG, "device": device,
              "write": {"v_potentiate": 0.5, "v_depress": -0.5, "width": 1e-6, "max_voltage": 1.0}}
    experiment = build_experiment(config, tmp_path)
    assert experiment.circuit.backend == "osdi" and not experiment.circuit.has_reference
    with pytest.raises(ConfigError, match="Python reference"):
        build_experiment({**config, "experiment": {**DEMO_CONFIG["experiment"], "update": "abstract"}}, tmp_path)
    with pytest.raises(ConfigError, match="device.name"):
        build_experiment({**config, "device": {**device, "state": {**device["state"], "node": "nosuch"}}},
                         tmp_path)
    with pytest.raises(ValueError, match="OSDI only"):
        CrossbarCircuit(_hand(tmp_path), (2, 2), backend="subckt")
