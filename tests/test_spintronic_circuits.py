"""Spintronic circuits in ngspice: the p-bit's mean output follows its sigmoid; the STNO bench locks.

p-bit closed form (written here from the Neel-Brown dwell times of a superparamagnetic MTJ, as in Camsari et
al., Phys. Rev. X 7, 031014 (2017)): the NMOS in saturation passes
I = kp/2 (V_in - vto)^2 in both junction states, so P(AP) = tau_AP / (tau_AP + tau_P) with
tau_P = tau0 e^(Delta (1 - b)), tau_AP = tau0 e^(Delta (1 + b)), b = I/I_c + h_f, i.e. the logistic
1 / (1 + e^(-2 Delta b)).  The output is vdd in AP and 0 in P, so its time average / vdd estimates P(AP).
Statistical error of a time average of a telegraph signal over T: var = 2 p (1 - p) tau_c / T with
tau_c = tau_P tau_AP / (tau_P + tau_AP) (its correlation time); each test states its criterion.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from circuitsim.analysis.spintronics import fit_sigmoid, is_locked, oscillation_frequency
from circuitsim.models.catalogue import DEVICES
from circuitsim.models.catalogue.mtj import seeded_params
from circuitsim.netlists.spintronic_circuits import PBit, StnoLockingBench
from circuitsim.spice import Tran

SMTJ = DEVICES["smtj"].defaults
STOP, BURN_IN = 200e-6, 25e-6


def theory(pbit: PBit, v_in: float):
    """P(AP) and the predicted standard deviation of one instance's time average over [BURN_IN, STOP]."""
    j = pbit.junction
    b = pbit.current(v_in) / j["ic"] + j["hf"]
    tau_p = j["tau0"] * math.exp(j["delta"] * (1 - b))
    tau_ap = j["tau0"] * math.exp(j["delta"] * (1 + b))
    p = tau_ap / (tau_ap + tau_p)
    tau_c = tau_p * tau_ap / (tau_p + tau_ap)
    return p, math.sqrt(2 * p * (1 - p) * tau_c / (STOP - BURN_IN))


def mean_outputs(pbit: PBit, inputs, seeds, engine):
    """Time-averaged output / vdd of each seeded p-bit at each input (one ngspice run per p-bit)."""
    out = np.empty((len(inputs), len(seeds)))
    for a, v_in in enumerate(inputs):
        for b, seed in enumerate(seeds):
            run = engine.run(pbit.netlist([v_in], [seeded_params(seed, 16)]),
                             Tran(2e-7, STOP, max_step=2e-7, uic=True))
            t, v = run["time"], run.v("out0") / pbit.vdd
            keep = t >= BURN_IN
            out[a, b] = np.trapezoid(v[keep], t[keep]) / (t[keep][-1] - t[keep][0])
    return out


def check_sigmoid(levels, seeds, engine, z=3.5):
    pbit = PBit()
    inputs = [pbit.input_at(p) for p in levels]
    means = mean_outputs(pbit, inputs, seeds, engine).mean(axis=1)
    for v_in, measured in zip(inputs, means):
        p, sd = theory(pbit, v_in)
        # z = 3.5 predicted standard errors: two-sided p = 5e-4 per level.
        assert abs(measured - p) < z * sd / math.sqrt(len(seeds)), (v_in, measured, p, sd)
    assert np.all(np.diff(means) > 0)  # monotonic in the input
    # The logistic fitted in the bias current has its centre at -h_f I_c and width I_c / (2 Delta).
    currents = [pbit.current(v) for v in inputs]
    centre, width, _ = fit_sigmoid(currents, means)
    return means, centre, width, pbit


@pytest.mark.ngspice
def test_pbit_mean_output_follows_the_sigmoid(batch_engine):
    # 5 inputs (P(AP) = 0.1 ... 0.9 by the formula) x 6 seeded junctions, 200 us each (~9 reversals at the
    # centre; 16 thresholds per junction).  Each level's mean within 3.5 predicted standard errors; the
    # fitted centre within 1.5 uA of -h_f I_c = 20 uA (the sigmoid's width is 2 uA; the statistical error
    # of the centre is ~0.3 uA).
    means, centre, width, pbit = check_sigmoid([0.1, 0.3, 0.5, 0.7, 0.9], range(6), batch_engine)
    j = pbit.junction
    assert centre == pytest.approx(-j["hf"] * j["ic"], abs=1.5e-6)


@pytest.mark.ngspice
@pytest.mark.slow
def test_pbit_sigmoid_many_seeds(batch_engine):
    # 9 inputs x 32 seeds: centre within 0.5 uA, width within 25 % of I_c / (2 Delta) = 2 uA.
    means, centre, width, pbit = check_sigmoid(np.linspace(0.1, 0.9, 9), range(32), batch_engine)
    j = pbit.junction
    assert centre == pytest.approx(-j["hf"] * j["ic"], abs=0.5e-6)
    assert width == pytest.approx(j["ic"] / (2 * j["delta"]), rel=0.25)


@pytest.mark.ngspice
def test_stno_bench_locks_inside_the_range_and_runs_free_outside(batch_engine):
    # Default bench: zeta = 2 (333.3 MHz free running), 0.2 mA injected: predicted half-range 1.19 MHz.
    # At +0.2 MHz it locks (output at the injection frequency to 1e-5); at +3 MHz it does not.
    for offset, locked in ((0.2e6, True), (3e6, False)):
        bench = StnoLockingBench(f_injection=333.333333e6 + offset)
        net = bench.netlist()
        net.add(bench.tran_line(stop=1.6e-6))
        run = batch_engine.run(net)
        t, v = run["time"], run.v("out")
        assert is_locked(t, v, bench.f_injection, start=1.0e-6) == locked
        if locked:
            assert oscillation_frequency(t, v, start=1.0e-6) == pytest.approx(bench.f_injection, rel=1e-5)


@pytest.mark.parametrize("kwargs, name", [
    ({"vdd": 0.0}, "vdd"), ({"kp": -1.0}, "kp"), ({"r_ref": 5e3}, "r_ref"), ({"v_width": float("nan")}, "v_width"),
    ({"mtj": {"delta": -1.0}}, "delta"), ({"mtj": {"th2": 0.1}}, "th2"),
])
def test_pbit_bad_parameters_are_named(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        PBit(**kwargs)


@pytest.mark.parametrize("kwargs, name", [
    ({"i_dc": 0.0}, "i_dc"), ({"i_rf": -1e-3}, "i_rf"), ({"f_injection": 0.0}, "f_injection"),
    ({"r_load": -50.0}, "r_load"), ({"stno": {"ith": 0.0}}, "ith"),
])
def test_stno_bench_bad_parameters_are_named(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        StnoLockingBench(**kwargs)


def test_pbit_inverse_and_netlist_text():
    pbit = PBit()
    for p in (0.1, 0.5, 0.9):
        assert pbit.probability(pbit.input_at(p)) == pytest.approx(p, rel=1e-12)
    text = pbit.netlist([0.6, 0.61]).render()
    assert text.count("smtj") >= 3 and ".subckt smtj" in text and "Mref1 r1 g1 0 0 nch" in text
    with pytest.raises(ValueError, match="one entry per input"):
        pbit.netlist([0.6], [{}, {}])
