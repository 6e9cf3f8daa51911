"""Published behaviours of the Yakopcic generalized memristor (IEEE TCAD 32, 1201 (2013)), Oblea fit.

Every check compares the ngspice subcircuit with something written independently of the declaration:
the closed-form I-V, the published equations with their hard switches (re-implemented below in plain
numpy from the knowm/Xyce listing), or a published qualitative behaviour made quantitative.
"""

from __future__ import annotations

import numpy as np
import pytest

from circuitsim.analysis.devices import Stimulus, simulate_ngspice
from circuitsim.models.catalogue import DEVICES

pytestmark = pytest.mark.ngspice

DEVICE = DEVICES["yakopcic"]
# The Oblea/Boise-State fit (Xyce memristor level=3, knowm memristor_yakopcic.sub original .params line).
A1, A2, B, VP, VN, AP, AN, XP, XN, ALPHAP, ALPHAN, X0, ETA = (
    0.17, 0.17, 0.05, 0.16, 0.15, 4000.0, 4000.0, 0.3, 0.5, 1.0, 5.0, 0.11, 1.0)


@pytest.fixture(scope="module")
def sine_run(batch_engine):
    """The Xyce level=3 test drive: 1.2 V, 1 Hz sine, two cycles."""
    return simulate_ngspice(DEVICE, Stimulus.standard(DEVICE, "sine"), engine=batch_engine)


def test_defaults_are_the_oblea_fit():
    d = DEVICE.defaults
    assert [d[k] for k in ("a1", "a2", "b", "vp", "vn", "ap", "an", "xp", "xn", "alphap", "alphan", "x0", "eta")] \
        == [A1, A2, B, VP, VN, AP, AN, XP, XN, ALPHAP, ALPHAN, X0, ETA]


def _hard_rate(t, x, stimulus):
    """dx/dt of the published model with its hard switches (knowm/Xyce listing), no smoothing."""
    v = float(stimulus(t))
    x = min(max(x[0], 0.0), 1.0)
    if v > VP:
        g = AP * (np.exp(v) - np.exp(VP))
    elif v < -VN:
        g = -AN * (np.exp(-v) - np.exp(VN))
    else:
        g = 0.0
    if ETA * v >= 0 and x >= XP:
        f = np.exp(-ALPHAP * (x - XP)) * ((XP - x) / (1 - XP) + 1)
    elif ETA * v < 0 and x <= 1 - XN:
        f = np.exp(ALPHAN * (x + XN - 1)) * x / (1 - XN)
    else:
        f = 1.0
    return [ETA * g * f]


def test_smoothing_leaves_the_published_trajectory_unchanged(sine_run):
    # The hard-switched equations integrated by scipy (LSODA, rtol 1e-10, dense output evaluated at the
    # ngspice time points) against the smoothed subcircuit.  Measured: 2.1e-4 of the state range, which is
    # ngspice's own time discretisation (the smoothed model against its own dense reference gives 1.8e-4);
    # the smoothing itself (v_step = 0.1 mV, x_step = 1e-3) contributes less.  Allow 1e-3.
    from scipy.integrate import solve_ivp

    stimulus = Stimulus.standard(DEVICE, "sine")
    solution = solve_ivp(_hard_rate, (0.0, stimulus.stop), [X0], args=(stimulus,), method="LSODA", rtol=1e-10,
                         atol=1e-12, max_step=stimulus.max_step, dense_output=True)
    assert solution.success
    hard = solution.sol(sine_run.t)[0]
    assert np.ptp(hard) > 0.99  # the published run switches fully both ways: x from ~0 to ~1
    error = np.max(np.abs(sine_run.states["x"] - hard)) / np.ptp(hard)
    assert error < 1e-3, error


def test_pinched_hysteresis_loop(sine_run):
    run = sine_run
    peak = np.max(np.abs(run.i))
    # (a) Pinched at the origin: I(V = 0) = 0 at every zero crossing.  The current at V = 0 is found by
    # linear interpolation in V between the two samples around each sign change; the state does not move
    # there (|V| < threshold) and I = a x sinh(bV) is odd, so the interpolation error is O(V^3), 1e-10 of
    # the peak; what remains is Newton's tolerance on the currents beside the crossing (reltol 1e-6 of
    # ~1e-4 A).  Measured: 4.6e-9 of the peak current (10 mA).  Allow 1e-7 of the peak (1 nA).
    crossings = np.nonzero(np.sign(run.v[:-1]) * np.sign(run.v[1:]) < 0)[0]
    assert len(crossings) == 3  # two cycles of a sine starting at 0: crossings at 0.5, 1 and 1.5 s
    for k in crossings:
        v1, v2, i1, i2 = run.v[k], run.v[k + 1], run.i[k], run.i[k + 1]
        at_zero = i1 - v1 * (i2 - i1) / (v2 - v1)
        assert abs(at_zero) < 1e-7 * peak, (run.t[k], at_zero / peak)
    # (b) Nonzero loop area: at the same voltage the current differs between the up- and down-sweep of
    # the first half cycle (x switches from 0.11 towards 1 above vp = 0.16 V) and of the negative half
    # cycle.  Measured: at +0.18 V 0.37 mA up, 1.53 mA down (ratio 4.2); at -0.2 V -0.58 mA on the way
    # down, 0 on the way back (x has decayed to ~0).  Require the two sweeps to differ by more than half
    # of the larger current.
    def current_at(level, start, stop):
        """I at V = level on the monotonic stretch of the drive between start and stop (s)."""
        span = (run.t >= start) & (run.t <= stop)
        v, i = run.v[span], run.i[span]
        order = np.argsort(v)
        return float(np.interp(level, v[order], i[order]))

    for level, (first, second) in ((0.18, ((0.0, 0.25), (0.25, 0.5))), (-0.2, ((0.5, 0.75), (0.75, 1.0)))):
        before, after = current_at(level, *first), current_at(level, *second)
        assert abs(after - before) > 0.5 * max(abs(before), abs(after)), (level, before, after)
    # The enclosed area (the integral of I dV over the first cycle) is nonzero: the loop does not retrace
    # itself.  Measured: 1.7e-5 W s = 1.4e-3 of (peak current x peak voltage); a retracing loop gives the
    # trapezoid rule's error, < 1e-8 of that product.  Require more than 5e-4.
    cycle = run.t <= 1.0
    area = abs(np.trapezoid(run.i[cycle], run.v[cycle]))
    assert area > 5e-4 * peak * 1.2, area / (peak * 1.2)


def test_no_motion_below_threshold(batch_engine):
    # The threshold function g(V) is zero for -vn <= V <= vp: a 1 Hz sine of amplitude 0.9 min(vp, vn)
    # = 0.135 V leaves the state where it is.  The smoothed thresholds leak exp(-(15 mV)/(0.1 mV)) = 7e-66
    # of the rate there; ngspice's state node is then exactly 0: require < 1e-9 relative to x0.
    amplitude = 0.9 * min(VP, VN)
    run = simulate_ngspice(DEVICE, Stimulus.sine(amplitude, 1.0, cycles=1), engine=batch_engine)
    assert np.max(np.abs(run.states["x"] - X0)) / X0 < 1e-9
    # ... and the closed-form I-V holds with the state fixed at x0 (a number, not a simulated state):
    # I = a1 x0 sinh(bV) (a1 = a2).  Measured: 2.2e-9 of the peak current (Newton's tolerance on the
    # current); allow 1e-7.
    expected = A1 * X0 * np.sinh(B * run.v)
    assert np.max(np.abs(run.i - expected)) < 1e-7 * np.max(np.abs(expected))
    # Just above threshold a 0.2 V sine does move the state (measured: by 0.9995): the check is not vacuous.
    above = simulate_ngspice(DEVICE, Stimulus.sine(0.2, 1.0, cycles=1), engine=batch_engine)
    assert np.ptp(above.states["x"]) > 0.01


def test_current_is_the_closed_form_at_the_simulated_state(sine_run, batch_engine):
    # I = a1 x sinh(bV) for V >= 0 (a2 for V < 0), at whatever state ngspice reached.  Same time point, so
    # only Newton's last update separates them: ngspice stops when the state node moves by < reltol = 1e-6
    # of its value, i.e. 1e-6 relative in I.  Measured: 5.3e-7 of the peak current (3.1e-7 with a2 != a1);
    # allow 1e-5.  The a1/a2 switch at V = 0 is a smooth step of width v_step = 0.1 mV: off it by more than
    # 3 mV (30 widths, weight error e^-30 = 1e-13) the formula is exact.
    run = sine_run
    x = np.clip(run.states["x"], 0.0, 1.0)
    expected = np.where(run.v >= 0, A1, A2) * x * np.sinh(B * run.v)
    assert np.max(np.abs(run.i - expected)) < 1e-5 * np.max(np.abs(run.i))
    # With a2 != a1 the negative branch uses a2.
    a2 = 0.08
    asym = simulate_ngspice(DEVICE, Stimulus.sine(1.2, 1.0, cycles=1), values={"a2": a2}, engine=batch_engine)
    x = np.clip(asym.states["x"], 0.0, 1.0)
    away = np.abs(asym.v) > 3e-3
    expected = np.where(asym.v >= 0, A1, a2) * x * np.sinh(B * asym.v)
    assert np.max(np.abs(asym.i - expected)[away]) < 1e-5 * np.max(np.abs(asym.i))


@pytest.mark.parametrize("name, value, message", [
    ("vp", 0.0, "'vp' must be > 0"), ("vp", -0.16, "'vp' must be > 0"),
    ("vn", 0.0, "'vn' must be > 0"), ("vn", -0.15, "'vn' must be > 0"),
    ("xp", 0.0, "'xp' must lie in \\(0, 1\\)"), ("xp", 1.0, "'xp' must lie in \\(0, 1\\)"),
    ("xp", 1.5, "'xp' must lie in \\(0, 1\\)"), ("xp", -0.2, "'xp' must lie in \\(0, 1\\)"),
    ("xn", 0.0, "'xn' must lie in \\(0, 1\\)"), ("xn", 1.0, "'xn' must lie in \\(0, 1\\)"),
    ("a1", 0.0, "'a1' must be > 0"), ("a1", -0.17, "'a1' must be > 0"),
    ("b", 0.0, "'b' must be > 0"), ("b", -0.05, "'b' must be > 0"),
    ("eta", 0.5, "'eta' must be \\+1 or -1"),
])
def test_bad_parameters_are_refused_by_name(name, value, message):
    with pytest.raises(ValueError, match=message):
        DEVICE.validate(**{name: value})


def test_eta_minus_one_is_accepted():
    assert DEVICE.validate(eta=-1.0)["eta"] == -1.0
