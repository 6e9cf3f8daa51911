"""Netlist builder: plain %.15g numbers, validation, PySpice import and export."""

from __future__ import annotations

import numpy as np
import pytest

from circuitsim.netlists import Netlist, Pulse, Pwl, Sin, plain_numbers
from circuitsim.numbers import spice_number
from circuitsim.spice import Op


def test_numbers_are_plain_with_15_digits():
    assert spice_number(2.0) == "2"
    assert spice_number(1e-12) == "1e-12"
    assert spice_number(1 / 3) == "0.333333333333333"
    assert spice_number(np.float32(0.5)) == "0.5"
    assert float(spice_number(123456.789012345678)) == pytest.approx(123456.789012345678, rel=1e-14)
    for bad in (float("inf"), float("nan"), "1k", None):
        with pytest.raises(ValueError):
            spice_number(bad)


def test_builder_renders_elements_and_waveforms():
    net = Netlist("t")
    net.vsource("V1", "in", "0", waveform=Pulse(0, 2, delay=1e-6, rise=1e-9, fall=1e-9, width=5e-6, period=1e-5))
    net.vsource("V2", "b", "0", 0, ac=1)
    net.isource("I1", "0", "b", waveform=Sin(0, 1e-3, 1e3))
    net.vsource("V3", "c", "0", waveform=Pwl([0, 1e-3], [0, 1]))
    net.vsource("V4", "d", "0", external=True)
    net.resistor("R1", "in", "out", 2e3)
    net.capacitor("C1", "out", "0", 1e-12, ic=0.5)
    net.behavioural("B1", "x", "0", i="V(out)*1e-3")
    net.subcircuit("X1", "mem", ["a", "b"], ron=100, roff=1e4)
    lines = net.render().splitlines()
    assert lines[0] == "t" and lines[-1] == ".end"
    assert "V1 in 0 pulse(0 2 1e-06 1e-09 1e-09 5e-06 1e-05)" in lines
    assert "V2 b 0 dc 0 ac 1" in lines
    assert "I1 0 b sin(0 0.001 1000 0 0)" in lines
    assert "V3 c 0 pwl(0 0 0.001 1)" in lines
    assert "V4 d 0 external" in lines
    assert "R1 in out 2000" in lines
    assert "C1 out 0 1e-12 ic=0.5" in lines
    assert "B1 x 0 I=V(out)*1e-3" in lines
    assert "X1 a b mem ron=100 roff=10000" in lines


def test_builder_refuses_bad_input():
    net = Netlist()
    net.resistor("R1", "a", "b", 1)
    with pytest.raises(ValueError, match="already"):
        net.resistor("r1", "a", "c", 1)
    with pytest.raises(ValueError, match="node"):
        net.resistor("R2", "a b", "c", 1)
    with pytest.raises(ValueError, match="external"):
        net.vsource("V1", "a", "0", 0, external=True)
    with pytest.raises(ValueError, match="pulse width"):
        net.vsource("V2", "a", "0", waveform=Pulse(0, 1, width=-1))
    with pytest.raises(ValueError, match="exactly one"):
        net.behavioural("B1", "a", "0")


def test_pyspice_units_become_plain_numbers():
    assert plain_numbers("I2 out 0 2A") == "I2 out 0 2"
    assert plain_numbers("R1 a b 1MegOhm") == "R1 a b 1000000"
    assert plain_numbers("V1 a 0 5mV") == "V1 a 0 0.005"
    assert plain_numbers("C1 a 0 10uF") == "C1 a 0 1e-05"
    assert plain_numbers("Vp a 0 DC 0V PULSE(0V 1V 0s 0s 0s 1ms 2ms)") == "Vp a 0 DC 0 PULSE(0 1 0 0 0 0.001 0.002)"
    assert plain_numbers("R9 n1 n2 1000.0") == "R9 n1 n2 1000.0"  # no unit: untouched


@pytest.mark.ngspice
def test_pyspice_circuit_round_trip_simulates_with_correct_magnitudes(engine):
    from PySpice.Spice.Netlist import Circuit
    from PySpice.Unit import u_A, u_Ohm

    circuit = Circuit("pyspice import")
    circuit.I("1", circuit.gnd, "a", 2 @ u_A)  # PySpice writes "2A": two atto-amperes to SPICE
    circuit.R("1", "a", circuit.gnd, 3 @ u_Ohm)
    net = Netlist.from_pyspice(circuit)
    assert engine.run(net, Op()).v("a")[0] == pytest.approx(6.0, rel=1e-12)  # Ohm's law: 2 A x 3 ohm
    back = Netlist.from_pyspice(net.to_pyspice())
    assert back.lines == net.lines


@pytest.mark.ngspice
def test_engines_accept_a_pyspice_circuit_directly(engine):
    from PySpice.Spice.Netlist import Circuit
    from PySpice.Unit import u_A, u_kOhm

    circuit = Circuit("pyspice direct")
    circuit.I("1", circuit.gnd, "a", 2 @ u_A)
    circuit.R("1", "a", circuit.gnd, 1.5 @ u_kOhm)
    assert engine.run(circuit, Op()).v("a")[0] == pytest.approx(3000.0, rel=1e-12)  # 2 A x 1.5 kohm


PYSPICE_RUN = """
import json, sys
import numpy as np
from circuitsim.models.catalogue import get_device
from circuitsim.netlists import Netlist, Pulse

net = Netlist("device through PySpice")
net.vsource("V1", "a", "0", waveform=Pulse(0, 1.0, rise=1e-4, fall=1e-4, width=0.05, period=0.2))
net.device("X1", get_device("lid_joglekar"), ["a", "0"])
simulator = net.to_pyspice().simulator(temperature=27, nominal_temperature=27)
analysis = simulator.transient(step_time=1e-4, end_time=0.1, max_time=1e-4, use_initial_condition=True)
print(json.dumps({"time": np.asarray(analysis.time).tolist(), "i": (-np.asarray(analysis.branches["v1"])).tolist()}))
"""


@pytest.mark.ngspice
def test_a_netlist_with_catalogue_devices_runs_through_pyspice(engine):
    """to_pyspice carries the subckt definitions Netlist.device adds: PySpice's own simulator (its
    NgSpiceShared, in a separate process) runs the exported circuit, and its current through a switching
    memristor equals our engine's run of the same netlist (1e-3 of the peak: the same ngspice and deck,
    but PySpice's own options and time steps)."""
    import json
    import subprocess
    import sys

    from circuitsim.models.catalogue import get_device
    from circuitsim.spice import Tran

    done = subprocess.run([sys.executable, "-c", PYSPICE_RUN], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    net = Netlist("device through our engine")
    net.vsource("V1", "a", "0", waveform=Pulse(0, 1.0, rise=1e-4, fall=1e-4, width=0.05, period=0.2))
    net.device("X1", get_device("lid_joglekar"), ["a", "0"])
    ours = engine.run(net, Tran(1e-4, 0.1, max_step=1e-4, uic=True))
    i_ours = np.interp(theirs["time"], ours["time"], -ours.i("v1"))
    assert np.max(np.abs(np.array(theirs["i"]) - i_ours)) < 1e-3 * np.max(np.abs(i_ours))
    assert np.ptp(i_ours) > 0 and np.max(np.abs(i_ours)) > 0


def test_a_verilog_a_device_is_not_exported_to_pyspice(tmp_path):
    from circuitsim.models.verilog_a import VerilogADevice

    path = tmp_path / "r.va"
    path.write_text('`include "disciplines.vams"\nmodule r(p, n);\n inout p, n;\n electrical p, n;\n'
                    ' parameter real g = 1e-3;\n analog I(p, n) <+ g * V(p, n);\nendmodule\n')
    net = Netlist("va")
    net.device("N1", VerilogADevice(path), ["a", "0"])
    with pytest.raises(ValueError, match="cannot carry"):
        net.to_pyspice()
