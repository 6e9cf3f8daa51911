"""ngspice through both engines against closed forms and a numpy nodal solve."""

from __future__ import annotations

import numpy as np
import pytest

from circuitsim.netlists import Netlist, Pulse
from circuitsim.spice import Ac, Dc, Op, Tran

pytestmark = pytest.mark.ngspice


def _rc(r=1e3, c=1e-6):
    net = Netlist("rc step")
    net.vsource("V1", "in", "0", waveform=Pulse(0, 1, delay=0, rise=1e-12, fall=1e-12, width=1, period=2))
    net.resistor("R1", "in", "out", r)
    net.capacitor("C1", "out", "0", c)
    net.options(reltol=1e-6, abstol=1e-15, vntol=1e-9)
    return net


def test_rc_step_matches_exponential(engine):
    r, c = 1e3, 1e-6
    tau = r * c
    result = engine.run(_rc(r, c), Tran(tau / 100, 5 * tau, max_step=tau / 200))
    t, v = result["time"], result.v("out")
    expected = 1 - np.exp(-np.clip(t - 1e-12, 0, None) / tau)
    # Tolerance: closed form vs ngspice with reltol=1e-6 and max step tau/200 -> 1e-4 of the 1 V step.
    assert np.max(np.abs(v - expected)) < 1e-4
    assert result.unit("v(out)") == "V" and result.unit("time") == "s"
    # Branch current: ngspice's convention is current into the + terminal, so a source delivering power is negative.
    i_expected = -np.exp(-np.clip(t[t > tau / 10] - 1e-12, 0, None) / tau) / r
    assert np.max(np.abs(result.i("v1")[t > tau / 10] - i_expected)) < 1e-4 / r


def test_rlc_ring_matches_underdamped_solution(engine):
    r, l, c = 10.0, 1e-3, 1e-6
    net = Netlist("series rlc ring")
    net.vsource("V1", "in", "0", waveform=Pulse(0, 1, delay=0, rise=1e-12, fall=1e-12, width=1, period=2))
    net.resistor("R1", "in", "a", r)
    net.inductor("L1", "a", "b", l)
    net.capacitor("C1", "b", "0", c)
    net.options(reltol=1e-6, abstol=1e-15, vntol=1e-9)
    alpha = r / (2 * l)
    w0 = 1 / np.sqrt(l * c)
    wd = np.sqrt(w0 ** 2 - alpha ** 2)
    stop = 6 * 2 * np.pi / wd
    result = engine.run(net, Tran(stop / 2000, stop, max_step=stop / 4000))
    t = result["time"]
    expected = 1 - np.exp(-alpha * t) * (np.cos(wd * t) + alpha / wd * np.sin(wd * t))
    # Tolerance: 1e-3 of the step; the ring's 1 + e^-1 overshoot makes this a phase and decay check.
    assert np.max(np.abs(result.v("b") - expected)) < 1e-3
    assert np.max(result.v("b")) > 1.5  # it rings


def _random_network(rng, n_nodes=12, n_resistors=30):
    net = Netlist("random resistor network")
    edges = [(k, k + 1) for k in range(n_nodes - 1)]  # a spanning chain keeps every node connected
    while len(edges) < n_resistors:
        a, b = sorted(rng.choice(n_nodes, 2, replace=False))
        edges.append((int(a), int(b)))
    values = rng.uniform(10, 1e4, len(edges))
    for k, ((a, b), value) in enumerate(zip(edges, values)):
        net.resistor(f"R{k}", f"n{a}" if a else "0", f"n{b}", float(value))
    net.vsource("V1", "n5", "0", 1.5)
    net.isource("I1", "0", "n9", 2e-3)
    return net, edges, values


def _nodal_solve(n_nodes, edges, values):
    # Unknowns: node voltages n1..n{N-1} and the branch current of V1 (MNA).
    size = n_nodes - 1 + 1
    g = np.zeros((size, size))
    rhs = np.zeros(size)
    for (a, b), value in zip(edges, values):
        for p, q in ((a, b), (b, a)):
            if p:
                g[p - 1, p - 1] += 1 / value
                if q:
                    g[p - 1, q - 1] -= 1 / value
    row = n_nodes - 1
    g[5 - 1, row] += 1  # V1 branch current leaves n5 into the source's + terminal
    g[row, 5 - 1] = 1
    rhs[row] = 1.5
    rhs[9 - 1] += 2e-3  # I1 pushes 2 mA from ground into n9
    solution = np.linalg.solve(g, rhs)
    return solution[:row], solution[row]


def test_resistor_network_op_matches_numpy_nodal_solve(engine):
    rng = np.random.default_rng(7)
    net, edges, values = _random_network(rng)
    result = engine.run(net, Op())
    voltages, i_v1 = _nodal_solve(12, edges, values)
    got = np.array([result.v(f"n{k}")[0] for k in range(1, 12)])
    # Tolerance: a direct sparse solve, exact to rounding -> 1e-9 relative.
    np.testing.assert_allclose(got, voltages, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.i("v1")[0], i_v1, rtol=1e-9)


def test_ac_lowpass_matches_transfer_function(engine):
    net = Netlist("rc lowpass ac")
    net.vsource("V1", "in", "0", 0, ac=1)
    net.resistor("R1", "in", "out", 1e3)
    net.capacitor("C1", "out", "0", 1e-6)
    result = engine.run(net, Ac(20, 1, 1e6))
    f = np.real(result["frequency"])
    expected = 1 / (1 + 2j * np.pi * f * 1e3 * 1e-6)
    assert result.unit("frequency") == "Hz"
    np.testing.assert_allclose(result.v("out"), expected, rtol=1e-9)


def test_dc_sweep_of_divider_is_linear(engine):
    net = Netlist("divider sweep")
    net.vsource("V1", "in", "0", 0)
    net.resistor("R1", "in", "out", 3e3)
    net.resistor("R2", "out", "0", 1e3)
    result = engine.run(net, Dc("V1", -1, 1, 0.25))
    sweep = result.last.abscissa.data
    np.testing.assert_allclose(sweep, np.linspace(-1, 1, 9), atol=1e-12)
    np.testing.assert_allclose(result.v("out"), sweep / 4, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("analysis", [Op(), Dc("V1", 0, 2, 0.1), Tran(1e-5, 2e-3), Ac(10, 10, 1e5)],
                         ids=["op", "dc", "tran", "ac"])
def test_shared_and_batch_engines_agree(analysis, batch_engine, shared_engine):
    net = Netlist("diode rc")
    net.vsource("V1", "in", "0", 1, ac=1, waveform=Pulse(0, 2, delay=1e-4, rise=1e-5, fall=1e-5, width=5e-4,
                                                         period=1e-3))
    net.resistor("R1", "in", "a", 1e3)
    net.element("D1", ("a", "out"), "dmod")
    net.model("dmod", "d", IS=1e-14, N=1.5)
    net.capacitor("C1", "out", "0", 1e-7)
    net.resistor("R2", "out", "0", 5e3)
    batch = batch_engine.run(net, analysis)
    shared = shared_engine.run(net, analysis)
    assert [a.plot_name for a in batch.analyses] == [a.plot_name for a in shared.analyses]
    assert batch.names == shared.names
    for name in batch.names:
        # Tolerance: the same float64 numbers read two ways -> 1e-9 relative.
        np.testing.assert_allclose(shared[name], batch[name], rtol=1e-9, atol=1e-18, err_msg=name)
        assert shared.unit(name) == batch.unit(name)
