"""Published behaviours of the linear-ion-drift (three windows) and Pershin threshold devices."""

from __future__ import annotations

import numpy as np
import pytest

from circuitsim.analysis.devices import Stimulus, simulate_ngspice
from circuitsim.models.catalogue import DEVICES

pytestmark = pytest.mark.ngspice


def _state_swing(name, frequency, engine):
    device = DEVICES[name]
    run = simulate_ngspice(device, Stimulus.sine(1.2, frequency, cycles=1), engine=engine)
    return run, float(np.ptp(run.states["x"]))


@pytest.mark.parametrize("name", ["lid_joglekar", "lid_biolek", "lid_prodromakis"])
def test_pinched_loop_shrinks_with_frequency(name, batch_engine):
    # Strukov et al. 2008 Fig. 2b: the loop collapses towards a line as the frequency rises.  The state
    # excursion is the charge through the device times mu_v*ron/D^2, and the charge of a half sine
    # falls as 1/f: tenfold frequency -> ~tenfold smaller swing (between 5x and 20x allowing for the
    # nonlinearity of the 1 Hz swing, which spans a third of the range or more).
    swings = [_state_swing(name, f, batch_engine)[1] for f in (1.0, 10.0, 100.0)]
    assert swings[0] > 0.3
    assert 5 < swings[0] / swings[1] < 20
    assert 8 < swings[1] / swings[2] < 12  # small swings: linear regime, 1/f within 20 %
    run, _ = _state_swing(name, 100.0, batch_engine)
    resistance = run.v[np.abs(run.v) > 0.1] / run.i[np.abs(run.v) > 0.1]
    assert np.ptp(resistance) / np.mean(resistance) < 0.02  # nearly a straight line at 100 Hz


def test_linear_drift_switching_time_formula(batch_engine):
    # Strukov 2008: with f(x) = 1 the time to drift from x0 to x1 under a constant bias v is
    # t = D^2 / (mu_v ron v) * [roff (x1 - x0) - (roff - ron) (x1^2 - x0^2) / 2]
    # (for x0 = 0, x1 = 1: D^2 (roff + ron) / (2 mu_v ron v), the paper's t ~ D^2 roff / (2 mu_v v ron)).
    # The Prodromakis window with p = 50 is within 1 % of 1 on [0.1, 0.9]: allow 2 %.
    device = DEVICES["lid_prodromakis"]
    values = {"p": 50.0, "x0": 0.1}
    v = 1.2
    d, mu, ron, roff = 10e-9, 1e-14, 100.0, 16e3
    x0, x1 = 0.1, 0.9
    expected = d ** 2 / (mu * ron * v) * (roff * (x1 - x0) - (roff - ron) * (x1 ** 2 - x0 ** 2) / 2)
    stimulus = Stimulus.pulse(0.0, v, width=2 * expected, period=4 * expected, cycles=1, edge=1e-6 * expected)
    run = simulate_ngspice(device, stimulus, values=values, engine=batch_engine)
    crossed = run.t[np.argmax(run.states["x"] >= x1)]
    assert crossed == pytest.approx(expected, rel=0.02)


def test_biolek_window_releases_the_boundary(batch_engine):
    # Biolek 2009: with f(x, i) = 1 - (x - stp(-i))^2p a device driven to x = 1 moves back when the current
    # reverses (the Joglekar window would hold it: f(1) = 0, the "stick" effect).
    stimulus = Stimulus.pulse(-1.2, 1.2, width=0.5, period=1.0, cycles=1, edge=1e-3)
    biolek = simulate_ngspice(DEVICES["lid_biolek"], stimulus, values={"x0": 1.0}, engine=batch_engine)
    joglekar = simulate_ngspice(DEVICES["lid_joglekar"], stimulus, values={"x0": 1.0}, engine=batch_engine)
    end_of_negative = biolek.t > 0.9
    assert np.min(biolek.states["x"][end_of_negative]) < 0.9
    assert np.min(joglekar.states["x"]) > 0.999


def test_window_exponent_below_one_is_refused():
    for name in ("lid_joglekar", "lid_biolek", "lid_prodromakis"):
        with pytest.raises(ValueError, match="parameter 'p' must be >= 1"):
            DEVICES[name].validate(p=0.5)


def test_pershin_threshold_and_rate(batch_engine):
    device = DEVICES["pershin"]
    # Below the threshold (|V| < vt = 4.6 V) the resistance does not move at all.
    below = simulate_ngspice(device, Stimulus.sine(4.0, 50e6, cycles=2), engine=batch_engine)
    assert np.ptp(below.states["x"]) < 1e-6 * 9e3
    # Above it, dx/dt = beta (V - vt) exactly (away from the bounds): a 5 V step for 0.5 ns from 5 kohm
    # raises x by 1e13 * 0.4 * 0.5e-9 = 2 kohm.  ngspice's trapezoidal rule is exact for this
    # piecewise-linear ramp up to the 10 ps edges: allow 1 %.
    step = Stimulus.pulse(0.0, 5.0, width=0.5e-9, period=2e-9, cycles=1, edge=1e-12)
    run = simulate_ngspice(device, step, engine=batch_engine)
    assert run.states["x"][-1] - 5e3 == pytest.approx(2e3, rel=0.01)
    # Negative bias lowers it, symmetrically.
    run = simulate_ngspice(device, Stimulus.pulse(0.0, -5.0, width=0.5e-9, period=2e-9, cycles=1, edge=1e-12),
                           engine=batch_engine)
    assert 5e3 - run.states["x"][-1] == pytest.approx(2e3, rel=0.01)


def test_netlist_device_instances_are_validated_and_defined_once(batch_engine):
    from circuitsim.netlists import Netlist
    from circuitsim.spice import Op

    net = Netlist("two devices")
    net.vsource("V1", "a", "0", 1.0)
    net.device("X1", DEVICES["pershin"], ["a", "b"], rinit=2000.0)
    net.device("X2", DEVICES["pershin"], ["b", "0"], rinit=8000.0)
    assert net.render().count(".subckt pershin") == 1
    result = batch_engine.run(net, Op())
    assert result.v("b")[0] == pytest.approx(0.8, rel=1e-9)  # divider 8k / (2k + 8k), below threshold
    with pytest.raises(ValueError, match="'ron' must be > 0"):
        net.device("X3", DEVICES["pershin"], ["a", "0"], ron=-1.0)
    assert "X3" not in net.render()
