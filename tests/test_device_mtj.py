"""STT-MTJ (``mtj_stt``) and superparamagnetic MTJ (``smtj``) against closed forms and statistics.

The closed forms are written by hand from the equations (not taken from the model's sympy expressions);
R_P, I_c0 and Sun's rate are those of ``mtj.stt_figures``, the others are written out here:

* R_P = t_ox/(F sqrt(phi) A) exp(1.025 t_ox sqrt(phi)) (angstrom, eV, um^2), TMR(V) = TMR0/(1 + V^2/V_h^2),
  R_AP = R_P (1 + TMR(V));
* I_c0 = 4 e alpha Delta k_B T / (hbar eta), eta = P/(1 + P^2); Neel-Brown tau = tau0 exp(Delta (1 - I/I_c0));
  Sun's precessional time 1/<tau> = [2/(C + ln(pi^2 Delta/4))] [mu_B P/(e m (1+P^2))] (I - I_c0);
* superparamagnetic dwell times tau0 exp(Delta (1 -+ b)), b = -I/I_c + h_f, I the current of the state left.

Stochastic runs are seeded (``mtj.seeded_params``), so every statistic below is reproducible; the
p-value thresholds (0.01) are stated with each test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from circuitsim.analysis.devices import Stimulus, compare, simulate_ngspice, simulate_osdi, simulate_python
from circuitsim.analysis.spintronics import crossing_times, dwell_times, run_ensemble
from circuitsim.models.catalogue import DEVICES
from circuitsim.models.catalogue.mtj import seeded_params, stt_figures
from circuitsim.spice.toolchain import find_openvaf

pytestmark = pytest.mark.ngspice

STT = DEVICES["mtj_stt"]
SMTJ = DEVICES["smtj"]
P = STT.defaults
#: The closed-form figures of the defaults (Brinkman R_P, RA, I_c0, Sun's rate per amp), from the library.
FIGURES = stt_figures()
R_P, IC0, SUN = FIGURES["r_p"], FIGURES["ic0"], FIGURES["k_sun"]
#: m crosses 1/2 tau_sw ln 2 after its target steps (first-order relaxation towards the new state).
LAG = P["tau_sw"] * math.log(2)
NEVER = {f"th{k}": 1000.0 * k for k in range(1, 9)}  # thresholds above the clock's bound: no reversal


def tmr(v):
    return P["tmr0"] / (1 + v ** 2 / P["vh"] ** 2)


def thermal_tau(current):
    """Neel-Brown mean switching time for a current in the switching direction (A), below I_c0."""
    return P["tau0"] * np.exp(P["delta"] * (1 - np.asarray(current) / IC0))


def test_defaults_give_the_documented_figures():
    # RA = 10 ohm um^2 (typical of PMA CoFeB/MgO), I_c0 tens of uA, Sun's time at 2 I_c0 a few ns.
    assert FIGURES["ra"] == pytest.approx(10.0, rel=1e-3)
    assert 30e-6 < IC0 < 100e-6
    assert 1e-9 < 1 / (SUN * IC0) < 10e-9


@pytest.mark.parametrize("m0", [0.0, 1.0])
def test_resistance_and_tmr_against_formulas(m0, batch_engine):
    # A slow 0.6 V sine (V up to 1.2 V_h) with unreachable thresholds: the state stays, R = V/I follows the
    # Brinkman R_P and R_AP = R_P (1 + TMR(V)).  The B-source evaluates the formula at the solved node
    # voltage, so only ngspice's current tolerance (reltol 1e-6) separates them: allow 1e-6 relative.
    run = simulate_ngspice(STT, Stimulus.sine(0.6, 1e6, cycles=1), {**NEVER, "m0": m0}, engine=batch_engine)
    keep = np.abs(run.v) > 0.01
    v, r = run.v[keep], run.v[keep] / run.i[keep]
    expected = R_P * (1 + tmr(v)) if m0 else np.full_like(v, R_P)
    np.testing.assert_allclose(r, expected, rtol=1e-6)
    if m0:
        measured_tmr = r / R_P - 1
        np.testing.assert_allclose(measured_tmr, tmr(v), rtol=1e-5)
        order = np.argsort(v)
        at_vh = float(np.interp(P["vh"], v[order], measured_tmr[order]))
        assert at_vh == pytest.approx(P["tmr0"] / 2, rel=1e-3)  # TMR halves at V_h (interpolation 1e-3)


#: Thermal regime: a current 0.902 I_c0 in P gives tau = tau0 e^(Delta 0.098) = 50 ns.
I_THERMAL = (1 - math.log(50) / P["delta"]) * IC0
V_THERMAL = I_THERMAL * R_P
EDGE = 1e-9


def hazard(t: np.ndarray, v_pulse: float, current_of_v) -> np.ndarray:
    """Integral of 1/tau over a 0 -> v_pulse trapezoid starting at 0 (edge EDGE), by hand."""
    grid = np.linspace(0, t.max(), 200001)
    v = abs(v_pulse) * np.clip(grid / EDGE, 0, 1)
    rate = 1 / thermal_tau(current_of_v(v))
    cumulative = np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(grid))])
    return np.interp(t, grid, cumulative)


def test_hazard_clock_integrates_the_neel_brown_rate(batch_engine):
    # The mechanism itself: with unreachable thresholds the clock h(t) must equal the integral of
    # 1/tau(I) over the pulse (I = V/R_P in P).  ngspice integrates dh/dt with reltol 1e-6 and its local
    # truncation control (~1e-5 of h per step): allow 1e-3 relative.
    stimulus = Stimulus.pulse(0.0, -V_THERMAL, width=2e-7, period=4e-7, cycles=0.5, edge=EDGE)
    run = simulate_ngspice(STT, stimulus, NEVER, engine=batch_engine)
    on = (run.t > 5 * EDGE) & (run.t < 2e-7)
    expected = hazard(run.t[on], V_THERMAL, lambda v: v / R_P)
    np.testing.assert_allclose(run.states["h"][on], expected, rtol=1e-3)
    assert expected[-1] == pytest.approx(2e-7 / 50e-9, rel=0.02)  # ~ t / tau once the edge has passed


def switching_times(seeds, v_pulse, stop, engine):
    """First reversal time of each seeded junction under one long pulse: when its conductance crosses the
    mean of G_P and G_AP(V), i.e. when m crosses 1/2 (G is linear in m)."""
    out = []
    stimulus = Stimulus.pulse(0.0, v_pulse, width=stop, period=2 * stop, cycles=0.5, edge=EDGE)
    midpoint = 0.5 * (1 / R_P + 1 / (R_P * (1 + tmr(abs(v_pulse)))))
    for seed in seeds:
        run = simulate_ngspice(STT, stimulus, seeded_params(seed, 8), engine=engine)
        keep = run.t > 2 * EDGE
        crossings = crossing_times(run.t[keep], run.i[keep] / run.v[keep], midpoint, direction=-1)
        out.append(crossings[0] if crossings.size else np.inf)
    return np.array(out)


def thermal_statistics(n, engine):
    stop = 4 * 50e-9
    times = switching_times(range(n), -V_THERMAL, stop, engine)

    def cdf(t):  # P(switched by t) = 1 - exp(-H(t - lag)), H the hazard of the trapezoid pulse
        t = np.asarray(t, dtype=float)
        return 1 - np.exp(-hazard(np.maximum(t - LAG, 0.0), V_THERMAL, lambda v: v / R_P))

    finite = times[np.isfinite(times)]
    # Censored at the end of the pulse: compare the conditional law on [0, stop].
    ks = stats.kstest(finite, lambda t: cdf(t) / cdf(stop))
    return times, cdf, ks, stop


def test_switching_probability_thermal_regime_seeded(batch_engine):
    # 12 seeded junctions (seeds 0..11), each its own ngspice run, under one 200 ns pulse at 0.902 I_c0
    # (tau = 50 ns).  Their reversal times must follow P_sw(t) = 1 - exp(-t/tau) (with the pulse edge and
    # the tau_sw ln 2 readout lag): Kolmogorov-Smirnov, reject at p < 0.01.  The fraction switched by 4 tau
    # is binomial(12, 0.982): at least 10 (P = 0.998).
    times, cdf, ks, stop = thermal_statistics(12, batch_engine)
    assert ks.pvalue > 0.01, ks
    assert np.isfinite(times).sum() >= 10


@pytest.mark.slow
def test_switching_probability_vs_pulse_width_many_seeds(batch_engine):
    # 200 seeded junctions: P_sw at pulse widths 0.25, 0.5, 1, 2, 4 tau against 1 - exp(-t/tau) by a
    # chi-square test on the counts in the six bins those widths define (5 degrees of freedom, no fitted
    # parameter), and KS on the times; reject at p < 0.01.
    times, cdf, ks, stop = thermal_statistics(200, batch_engine)
    widths = np.array([0.25, 0.5, 1.0, 2.0, 4.0]) * 50e-9
    edges = np.concatenate([[0.0], widths + LAG, [np.inf]])
    observed = np.histogram(np.minimum(times, 1.0), bins=np.minimum(edges, 1.0))[0]
    expected_cdf = np.concatenate([[0.0], cdf(widths + LAG), [1.0]])
    expected = len(times) * np.diff(expected_cdf)
    chi2 = stats.chisquare(observed, expected)
    assert chi2.pvalue > 0.01, (observed, expected, chi2)
    assert ks.pvalue > 0.01, ks


@pytest.mark.parametrize("multiple", [2.0, 3.0])
def test_precessional_switching_time_is_suns(multiple, batch_engine):
    # Above I_c0 the reversal takes Sun's <tau> = 1/(k (I - I_c0)) (the precessional progress is measured in
    # units of the event's threshold gap g, so the time does not depend on the seed).  On the 1 ns ramp to
    # i_max = I/I_c0: the rate (i - 1)+ integrates to EDGE (i_max - 1)^2 / (2 i_max) of full-rate time, so
    # the precession effectively starts at EDGE (1 - (i_max - 1)/(2 i_max)); below I_c0 the ramp's thermal
    # rate adds a clock h_th (integrated here by hand), worth h_th/g of the gap.  m crosses 1/2 LAG later.
    # Allow 2 % (ngspice's timing of a 3 ns event with 1 ns edges).
    tau_sun = 1 / (SUN * (multiple - 1) * IC0)
    start = EDGE * (1 - (multiple - 1) / (2 * multiple))
    ramp = np.linspace(0, EDGE / multiple, 100001)
    h_thermal = np.trapezoid(1 / thermal_tau(IC0 * multiple * ramp / EDGE), ramp)
    seeds = [3, 4, 5]
    times = switching_times(seeds, -multiple * IC0 * R_P, 10e-9, batch_engine)  # step cap 0.2 ns
    for seed, t in zip(seeds, times):
        gap = seeded_params(seed, 8)["th1"]
        assert t - LAG - start == pytest.approx(tau_sun * (1 - h_thermal / gap), rel=0.02)


def test_three_way_agreement_of_a_seeded_thermal_run(batch_engine, shared_engine, tmp_path):
    # Deterministic given the seed: the subckt, the Python reference and the Verilog-A (OSDI) give the
    # same reversal.  Same policy as tests/test_models_catalogue.py: 2e-3 of each state's range.
    values = seeded_params(7, 8)
    stimulus = Stimulus.pulse(0.0, -V_THERMAL, width=1e-7, period=2e-7, cycles=1, edge=EDGE)
    reference = simulate_python(STT, stimulus, values)
    assert np.ptp(reference.states["m"]) > 0.9  # it does switch in this run
    errors = compare(STT, reference, simulate_ngspice(STT, stimulus, values, engine=batch_engine), values)
    assert max(errors.values()) < 2e-3, errors
    if find_openvaf() is not None:
        errors = compare(STT, reference, simulate_osdi(STT, stimulus, values, osdi_folder=tmp_path,
                                                       engine=shared_engine), values)
        assert max(errors.values()) < 2e-3, errors


# -- superparamagnetic MTJ -------------------------------------------------------------------------------
S = SMTJ.defaults
V_READ = 0.01


def smtj_means(v):
    """Mean dwell times (P, AP) at a constant bias v, by hand: each exponent with the current of its state."""
    r_ap = S["rp"] * (1 + S["tmr0"] / (1 + v ** 2 / S["vh"] ** 2))
    b_p, b_ap = -v / (S["rp"] * S["ic"]) + S["hf"], -v / (r_ap * S["ic"]) + S["hf"]
    return S["tau0"] * math.exp(S["delta"] * (1 - b_p)), S["tau0"] * math.exp(S["delta"] * (1 + b_ap)), r_ap


def smtj_dwells(seeds, v, engine):
    """Dwell times of seeded junctions at a constant bias v."""
    tau_p, tau_ap, r_ap = smtj_means(v)
    stop = 16 * (tau_p + tau_ap) / 2 * 1.8  # 16 reversals take 16 mean dwells (+- 25 %)
    low, high = [], []
    for seed in seeds:  # one deck per junction: in a shared deck every junction's reversals cost all of them
        run = run_ensemble(SMTJ, [seeded_params(seed, 16)], f"Vdrive drive 0 dc {v}", stop,
                           max_step=0.02 * min(tau_p, tau_ap), engine=engine)
        p_dwell, ap_dwell = dwell_times(run.t, run.resistance[0], 0.5 * (S["rp"] + r_ap))
        low.extend(p_dwell)
        high.extend(ap_dwell)
    return np.array(low), np.array(high), tau_p, tau_ap


def check_dwells(seeds, engine):
    low, high, tau_p, tau_ap = smtj_dwells(seeds, V_READ, engine)
    assert len(low) + len(high) >= 12 * len(seeds)  # at most 16 complete dwells each; a few run past stop
    for sample, tau in ((low, tau_p), (high, tau_ap)):
        assert stats.kstest(sample / tau, "expon").pvalue > 0.01
        assert abs(sample.mean() / tau - 1) < 3 / math.sqrt(len(sample))
    assert tau_p / tau_ap == pytest.approx(1.44, rel=0.01)  # the read current already biases the junction


def test_superparamagnetic_dwell_times_are_exponential_with_the_predicted_means(batch_engine):
    # 2 seeded junctions x 16 reversals at a 10 mV read bias: dwell times in P and in AP must be
    # exponential with means tau0 e^(Delta (1 -+ b)) (28.3 us and 19.7 us here).  KS against the
    # predicted exponential (no fitted parameter), reject at p < 0.01; the sample means within 3 standard
    # errors (mean/sqrt(n)).  The step width w = 0.002 loses pairs of thresholds closer than 0.0044
    # (0.4 % of the gaps); seeded_params compensates the clock each reversal spends before the next is timed.
    check_dwells(range(2), batch_engine)


@pytest.mark.slow
def test_superparamagnetic_dwell_times_many_junctions(batch_engine):
    # As above with 6 junctions (~96 dwells); ~5 minutes on a shared 2-core machine.
    check_dwells(range(6), batch_engine)


@pytest.mark.parametrize("overrides, name", [
    ({"th2": 0.5}, "th2"),        # thresholds must increase
    ({"th1": 0.0}, "th1"),
    ({"tau_sw": 0.0}, "tau_sw"),
    ({"nexp": 3.0}, "nexp"),
    ({"delta": -1.0}, "delta"),
    ({"pol": 1.5}, "pol"),
])
def test_bad_stt_parameters_are_refused_by_name(overrides, name):
    with pytest.raises(ValueError, match=f"parameter '{name}'"):
        STT.validate(**overrides)


@pytest.mark.parametrize("overrides, name", [({"th5": 4.0}, "th5"), ({"ic": 0.0}, "ic"), ({"m0": 2.0}, "m0")])
def test_bad_smtj_parameters_are_refused_by_name(overrides, name):
    with pytest.raises(ValueError, match=f"parameter '{name}'"):
        SMTJ.validate(**overrides)
