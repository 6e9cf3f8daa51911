"""``diffusive_ag``: the Ag-nanoparticle diffusive memristor against closed forms, across targets, and the TRNG.

The closed forms are written by hand from the declared equations (``diffusive_particle.escape_rate``,
``drift_time``, ``switching_delay``, and those written out below); the escape draws are seeded
(``diffusive_particle.seeded_params``), so every run is reproducible:

* escape of a trapped particle: Poisson with rate r = nu0 exp(-(ea - alpha |V|)/(k_B T)) / (1 + k tau_esc);
* drift out of the well: tau_x dx/dt = |V|/vd - x, so from x1 to x2 in tau_x ln((x_ss - x1)/(x_ss - x2));
* relaxation at a read bias v_r: x(t) = x_r + (x(0) - x_r) exp(-t/tau_x), x_r = v_r/vd;
* Joule heating: tau_th dT/dt = r_th G V^2 - (T - T_amb).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from circuitsim.analysis.devices import Stimulus, simulate_ngspice, simulate_osdi, simulate_python
from circuitsim.analysis.randomness import battery, block_frequency_test, frequency_test, runs_test, trng_bits
from circuitsim.models.catalogue import DEVICES
from circuitsim.models.catalogue.diffusive_particle import (delay_statistics, drift_time, escape_duration,
                                                            escape_rate, seeded_params, switching_delay)
from circuitsim.spice.toolchain import find_openvaf

DEVICE = DEVICES["diffusive_ag"]
P = DEVICE.defaults
LN_RATIO = math.log(P["roff"] / P["ron"])


def switch_time(run) -> float:
    """First time x crosses 1/2 (the conductance crosses sqrt(G_on G_off)), linearly interpolated."""
    x = run.states["x"]
    k = int(np.argmax(x > 0.5))
    if x[k] <= 0.5:
        return math.inf
    return float(np.interp(0.5, x[k - 1:k + 1], run.t[k - 1:k + 1]))


def state_from_current(v, i):
    """Particle position recovered from the simulated conductance: G = (1/ron) exp(-(1 - x) ln(roff/ron))."""
    return 1 + np.log(i / v * P["ron"]) / LN_RATIO


def test_closed_form_figures_of_the_defaults():
    # The documented figures: 11.5 us mean escape (Kramers 10.6 us plus the 1.4 us cap) at 1 V and 300 K, e-fold per k_B T/alpha = 61 mV, and a
    # zero-bias escape time of ~130 s (no spontaneous switching).  By hand from the equations.
    assert 1 / escape_rate(1.0) == pytest.approx(1.15e-5, rel=0.01)
    kt = 1.380649e-23 * 300 / 1.602176634e-19
    kramers = [P["nu0"] * math.exp(-(P["ea"] - P["alpha"] * v) / kt) for v in (1.0, 1.05)]
    tau_esc = 3 * P["tau_x"] / (1 + P["kw"])
    capped = [k / (1 + k * tau_esc) for k in kramers]
    assert kramers[1] / kramers[0] == pytest.approx(math.exp(0.05 / 0.061), rel=0.01)
    assert escape_rate(1.05) / escape_rate(1.0) == pytest.approx(capped[1] / capped[0], rel=1e-3)
    assert 1 / escape_rate(0.0) > 100.0
    # Mean delay and spread both fall with the amplitude; the spread (the escape, exponential) falls faster
    # than the mean (which keeps the deterministic push and drift): the coefficient of variation falls.
    stats_by_v = [delay_statistics(v) for v in (0.9, 1.0, 1.1, 1.2)]
    means, spreads = np.array(stats_by_v).T
    assert np.all(np.diff(means) < 0) and np.all(np.diff(spreads) < 0)
    assert np.all(np.diff(spreads / means) < 0)


@pytest.mark.ngspice
def test_same_seed_same_switching_time_in_all_three_targets(batch_engine, shared_engine, tmp_path):
    # One seeded device under a 1 V, 20 us pulse: the subckt, the Verilog-A (OSDI) and the Python
    # reference must switch at the same time, and at the closed form switching_delay(1 V, th1).
    # Tolerance 2 % between targets: ngspice's step cap (0.4 us) against the 0.6 us escape push and the
    # 0.6 us drift (measured: 1 %); 3 % plus 0.25 us against the closed form, which takes the edges of the
    # well and of the push as sharp: their 0.05 xb smooth edges let the push carry the particle a little
    # past 2 xb (measured: 0.1-0.2 us earlier, the same for every draw).
    values = seeded_params(3)
    stimulus = Stimulus.pulse(0.0, 1.0, width=2e-5, period=4e-5, cycles=1, edge=1e-8)
    reference = simulate_python(DEVICE, stimulus, values)
    t_ref = switch_time(reference)
    expected = switching_delay(1.0, values["th1"]) + stimulus.edge / 2
    assert t_ref == pytest.approx(expected, rel=0.03, abs=2.5e-7)
    t_spice = switch_time(simulate_ngspice(DEVICE, stimulus, values, engine=batch_engine))
    assert t_spice == pytest.approx(t_ref, rel=0.02)
    if find_openvaf() is not None:
        osdi = simulate_osdi(DEVICE, stimulus, values, osdi_folder=tmp_path, engine=shared_engine)
        assert switch_time(osdi) == pytest.approx(t_ref, rel=0.02)
    # A different seed switches at a different time (the noise is in the thresholds, not fixed).
    other = seeded_params(4)
    assert abs(switching_delay(1.0, other["th1"]) - switching_delay(1.0, values["th1"])) > 0.1 * expected


def ngspice_delays(amplitude, seeds, engine, width=6e-5):
    stimulus = Stimulus.pulse(0.0, amplitude, width=width, period=2 * width, cycles=0.5, edge=1e-8)
    out = []
    for seed in seeds:
        values = seeded_params(seed, 1)
        out.append((switch_time(simulate_ngspice(DEVICE, stimulus, values, engine=engine)),
                    switching_delay(amplitude, values["th1"]) + stimulus.edge / 2))
    return np.array(out)


@pytest.mark.ngspice
def test_switching_delay_falls_with_amplitude_seed_by_seed(batch_engine):
    # Three seeds at 0.95, 1.05 and 1.15 V in ngspice: each delay equals the closed form for its own draw
    # (3 % plus 0.25 us, as above), and for every seed the delay falls with the amplitude (same draw, faster escape and
    # drift): the trend of Jiang 2017 / Wang 2017 (delay shortening with the pulse amplitude).
    seeds = [0, 1, 2]
    delays = {v: ngspice_delays(v, seeds, batch_engine) for v in (0.95, 1.05, 1.15)}
    for v, pairs in delays.items():
        np.testing.assert_allclose(pairs[:, 0], pairs[:, 1], rtol=0.03, atol=2.5e-7)
    simulated = np.array([delays[v][:, 0] for v in (0.95, 1.05, 1.15)])
    assert np.all(np.diff(simulated, axis=0) < 0)


@pytest.mark.slow
@pytest.mark.ngspice
@pytest.mark.parametrize("amplitude", [0.95, 1.05, 1.15])
def test_delay_distribution_over_seeds(amplitude, batch_engine):
    # 60 seeds per amplitude in ngspice: the delays minus the deterministic push and drift must be
    # exponential with mean 1/r(V) (KS, no fitted parameter, reject at p < 0.01), and the sample mean
    # and standard deviation within 4 standard errors of the closed form's.
    mean, spread = delay_statistics(amplitude)
    # A pulse of 10 mean delays: none of 60 devices is censored (P = 60 e^-10 = 3e-3).
    pairs = ngspice_delays(amplitude, range(60), batch_engine, width=10 * mean)
    delays = pairs[:, 0]
    assert np.all(np.isfinite(delays))
    offset = switching_delay(amplitude, 0.0)
    assert stats.kstest((delays - offset) * escape_rate(amplitude), "expon").pvalue > 0.01
    assert abs(delays.mean() - mean) < 4 * spread / math.sqrt(len(delays))
    assert delays.std() == pytest.approx(spread, rel=4 / math.sqrt(2 * len(delays)))


@pytest.mark.ngspice
def test_spontaneous_relaxation_after_the_pulse(batch_engine):
    # Volatility: a 1.2 V, 25 us pulse bridges the gap (x -> 1); the bias then drops to a 10 mV read level.
    # Out of the well the particle relaxes as x(t) = x_r + (x(0) - x_r) exp(-t/tau_x), x_r = 0.01/vd = 0.02,
    # read back from the current.  The fitted time constant must be tau_x within 1 % (ngspice's step cap
    # of 0.3 us is 3 % of tau_x: trapezoidal error ~ (h/tau)^2/12 ~ 1e-4); the particle reaches 1.5 xb at
    # tau_x ln((x(0) - x_r)/(1.5 xb - x_r)) after the pulse, within 1 % (closer to xb the well's smooth
    # edge, 0.05 xb wide, already pulls: it re-enters the reservoir ~1.5 us earlier than the bare formula).  The temperature relaxes
    # with tau_th: after 5 tau_th its excess is below 1 % of the bridged state's 1.2^2 r_th/ron, the
    # heating the temperature reaches (within 1 %: x > 0.995, G within 6 % of G_on, and tau_th << the pulse).
    width = 2.5e-5
    stimulus = Stimulus.pulse(0.01, 1.2, width=width, period=width + 8 * P["tau_x"], cycles=1)
    run = simulate_ngspice(DEVICE, stimulus, seeded_params(5, 1), engine=batch_engine)
    end = width + 2 * stimulus.edge
    after = run.t >= end
    t = run.t[after] - end
    x = state_from_current(run.v[after], run.i[after])
    x_read = 0.01 / P["vd"]
    assert x[0] > 0.995
    window = (x > 1.5 * P["xb"]) & (t > 0.2 * P["tau_x"])
    slope = np.polyfit(t[window], np.log(x[window] - x_read), 1)[0]
    assert -1 / slope == pytest.approx(P["tau_x"], rel=0.01)
    reaches = float(np.interp(-1.5 * P["xb"], -x, t))
    assert reaches == pytest.approx(P["tau_x"] * math.log((x[0] - x_read) / (1.5 * P["xb"] - x_read)), rel=0.01)
    assert x[-1] < 0.05  # back in the reservoir: G within (roff/ron)^0.05 = 1.9x of G_off
    heated = 1.2 ** 2 * P["r_th"] / P["ron"]
    temp = run.states["temp"][after]
    g_end = run.i[after][0] / run.v[after][0]
    assert np.max(run.states["temp"]) == pytest.approx(P["t_amb"] + heated * g_end * P["ron"], rel=0.01)
    assert np.interp(5 * P["tau_th"], t, temp) - P["t_amb"] < 0.01 * heated


def train(gap, pulses, width=5e-6):
    return Stimulus.pulse(0.0, 1.0, width=width, period=width + gap, cycles=pulses)


@pytest.mark.ngspice
def test_short_term_facilitation_one_seed(batch_engine):
    # A device whose first escape comes late in the first 5 us, 1 V pulse (th1 = 0.4: escape at 4.2 us),
    # too late to reach x = 1/2 within the pulse.  With a 2 us gap the particle is still out of the well
    # when the second pulse comes and switches in it; with a 30 us gap it has fallen back into the reservoir
    # (re-entry after tau_x ln(2 xb / xb) = 6.9 us) and needs a new escape (th2 - th1 - wesc = 5 more mean
    # gaps here: no switching in the next pulses).  Shorter gaps switch it sooner (Wang 2017).
    values = {**seeded_params(0, 1), "th1": 0.4, "th2": 6.4}
    assert 0.4 / escape_rate(1.0) + escape_duration() + drift_time(1.0) > 5e-6
    short = simulate_ngspice(DEVICE, train(2e-6, 3), values, engine=batch_engine)
    long = simulate_ngspice(DEVICE, train(3e-5, 3), values, engine=batch_engine)
    assert 5e-6 < switch_time(short) < 1.2e-5
    assert switch_time(long) == math.inf


@pytest.mark.slow
@pytest.mark.ngspice
def test_short_term_facilitation_over_seeds(batch_engine):
    # 30 seeds, trains of 5 us, 1 V pulses: the fraction switched grows with the number of pulses (1 -> 4) and
    # is higher with 2 us gaps than with 30 us gaps for the same number of pulses (same seeds: paired).
    seeds = range(30)
    switched = {}
    for gap in (2e-6, 3e-5):
        times = np.array([switch_time(simulate_ngspice(DEVICE, train(gap, 4), seeded_params(s, 2),
                                                       engine=batch_engine)) for s in seeds])
        switched[gap] = [np.mean(times < n * (5e-6 + gap)) for n in (1, 2, 3, 4)]
    for gap, fractions in switched.items():
        assert np.all(np.diff(fractions) >= 0) and fractions[-1] > fractions[0]
    assert switched[2e-6][1] > switched[3e-5][1]


def test_nist_tests_reproduce_the_standards_examples():
    # SP 800-22 rev. 1a worked examples: 2.1.4 (P = 0.527089), 2.2.4 (M = 3, P = 0.801252), 2.3.4 (0.147232).
    bits = lambda text: [int(c) for c in text]  # noqa: E731
    assert frequency_test(bits("1011010101")) == pytest.approx(0.527089, abs=1e-6)
    assert block_frequency_test(bits("0110011010"), 3) == pytest.approx(0.801252, abs=1e-6)
    assert runs_test(bits("1001101011")) == pytest.approx(0.147232, abs=1e-6)


def test_trng_bits_pass_the_battery():
    # Jiang 2017: 10^5 bits (reference-driven: closed-form delays of seeded devices, 1 V, 100 us pulses,
    # 10 MHz counter clock, bit = counter LSB) pass frequency, block frequency, runs and longest-run at 0.01.
    bits = trng_bits(100_000, seed=2017)
    p_values = battery(bits)
    assert min(p_values.values()) >= 0.01, p_values
    # Too slow a counter clock (period 10 us ~ the delay spread) biases the bits: the monobit test fails.
    assert frequency_test(trng_bits(100_000, seed=2017, clock=5e4)) < 0.01


@pytest.mark.parametrize("overrides, name", [
    ({"th2": 1.5}, "th2"),          # th2 must exceed th1 + wesc
    ({"roff": 1e3}, "roff"),
    ({"tau_x": 0.0}, "tau_x"),
    ({"xb": 0.5}, "xb"),
    ({"wesc": 0.01}, "wesc"),
])
def test_bad_parameters_are_refused_by_name(overrides, name):
    with pytest.raises(ValueError, match=f"parameter '{name}'"):
        DEVICE.validate(**overrides)
