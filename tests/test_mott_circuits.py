"""Mott circuits in ngspice against closed forms and independent integrations.

What each test compares with (never a number taken from the code's own output):

* relaxation oscillator: the charge/discharge formula (``oscillators.relaxation_period``), with the device's
  threshold and hold voltages computed here from the declared static equations (the folds of
  V(T) = sqrt((T - T_amb) / (G(T) R_th))) and R_off, R_on its parameters;
* neuristor: the sub-threshold circuit is linear (both devices are resistors of R_off below threshold), so
  its threshold input follows from integrating two linear RC equations written out here by hand; the
  spike train under DC is compared with the same circuit integrated in Python with the device's reference
  right-hand side (the catalogue's numpy printer, LSODA);
* integrate-and-fire neuron: the two-phase LIF formula with the folds of device + load;
* coupled oscillators: with and without coupling, from the spike times of each node.

ngspice runs with reltol 1e-4 and a 2 ns step cap (the circuits' defaults): the switching instants depend on
the device temperature near a fold, and the default reltol of 1e-3 moves the period by up to 6 %.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from circuitsim.analysis.oscillators import (circular_spread, frequency, lif_rate, locking_index, phase_differences,
                                             relaxation_period, spike_times, static_thresholds)
from circuitsim.models.catalogue import DEVICES
from circuitsim.netlists.mott_circuits import CoupledOscillators, MottLIFNeuron, Neuristor, RelaxationOscillator
from circuitsim.spice import Tran

pytestmark = pytest.mark.ngspice

NBO2 = DEVICES["nbo2"].defaults


def folds(r_series: float = 0.0):
    """Threshold and hold of NbO2 (+ a series resistor), by hand from the declared static equations."""
    p = NBO2
    t = np.linspace(p["t_amb"] + 1e-6, p["t_max"], 800_001)
    g = 1 / p["roff"] + (1 / p["ron"] - 1 / p["roff"]) / (1 + np.exp(-(t - p["t_c"]) / p["dt_c"]))
    v = np.sqrt((t - p["t_amb"]) / (g * p["r_th"])) * (1 + r_series * g)
    below, above = t < p["t_c"], t > p["t_c"]
    return float(v[below].max()), float(v[above].min())


V_TH, V_H = folds()


def run(engine, circuit):
    return engine.run(circuit.netlist(), Tran(**circuit.tran_args()))


def falling_spikes(t, v, v_th=V_TH, v_h=V_H):
    """Discharge events of a relaxation node: falls through the middle of [V_h, V_th] with 0.1 V hysteresis."""
    mid = 0.5 * (v_th + v_h)
    return spike_times(t, v, mid - 0.1, mid + 0.1, rising=False)


def test_thresholds_used_by_the_theory():
    # The helper's folds equal the hand computation, and both sit near the sharp-transition estimates
    # sqrt(R (T_c - T_amb) / R_th): the IMT's logistic tail lowers the threshold by 3 % (dt_c = 5 K).
    th = static_thresholds("nbo2")
    assert th.v_th == pytest.approx(V_TH, rel=1e-5)
    assert th.v_h == pytest.approx(V_H, rel=1e-5)
    p = NBO2
    assert V_TH == pytest.approx(math.sqrt(p["roff"] * (p["t_c"] - p["t_amb"]) / p["r_th"]), rel=0.04)
    assert V_H == pytest.approx(math.sqrt(p["ron"] * (p["t_c"] - p["t_amb"]) / p["r_th"]), rel=0.04)


# ----------------------------------------------------------------------------------------------------------
# Relaxation oscillator
# ----------------------------------------------------------------------------------------------------------
SWEEP = [(2.2, 1.2e3), (2.2, 1.6e3), (2.2, 2.0e3), (1.8, 1.6e3), (2.6, 1.6e3)]


@pytest.fixture(scope="module")
def oscillator_runs(batch_engine):
    out = {}
    for v_in, r_load in SWEEP:
        circuit = RelaxationOscillator(v_in=v_in, r_load=r_load, capacitance=1e-9, stop=12e-6)
        result = run(batch_engine, circuit)
        t, v = result["time"], result.v("node")
        out[(v_in, r_load)] = (frequency(falling_spikes(t, v), skip=1), t, v)
    return out


@pytest.mark.parametrize("v_in, r_load", SWEEP)
def test_relaxation_frequency_matches_charge_discharge_formula(v_in, r_load, oscillator_runs):
    # Charge/discharge formula with the folds above and R_off, R_on: the device's thermal time
    # (0.2 ns) is 500x shorter than tau_d, so switching delays are negligible.  Allow 5 %;
    # measured: within 0.3 %.
    measured = oscillator_runs[(v_in, r_load)][0]
    theory = relaxation_period(v_in, r_load, 1e-9, NBO2["roff"], NBO2["ron"], V_TH, V_H).frequency
    assert measured == pytest.approx(theory, rel=0.05)


def test_relaxation_frequency_trends(oscillator_runs):
    f = {key: value[0] for key, value in oscillator_runs.items()}
    assert f[(2.2, 1.2e3)] > f[(2.2, 1.6e3)] > f[(2.2, 2.0e3)]  # falls as the load rises
    assert f[(1.8, 1.6e3)] < f[(2.2, 1.6e3)] < f[(2.6, 1.6e3)]  # rises with the input


def test_relaxation_swings_between_threshold_and_hold(oscillator_runs):
    # The capacitor voltage turns at the device's folds: within 0.5 % of V_th and 2 % of V_h (the turn-off
    # lags a little as the node falls through the hold's bottleneck).
    _, t, v = oscillator_runs[(2.2, 1.6e3)]
    late = t > 3e-6
    assert v[late].max() == pytest.approx(V_TH, rel=0.005)
    assert v[late].min() == pytest.approx(V_H, rel=0.02)


def test_relaxation_oscillator_refuses_impossible_values():
    with pytest.raises(ValueError, match="r_load"):
        RelaxationOscillator(r_load=0.0)
    with pytest.raises(ValueError, match="capacitance"):
        RelaxationOscillator(capacitance=-1e-9)
    with pytest.raises(ValueError, match="device"):
        RelaxationOscillator(device="team")
    with pytest.raises(ValueError, match="'roff'"):
        RelaxationOscillator(device_params={"roff": 50.0})
    with pytest.raises(ValueError, match="v_in"):
        relaxation_period(1.0, 1.6e3, 1e-9, 2.5e3, 100.0, V_TH, V_H)  # never reaches the threshold
    with pytest.raises(ValueError, match="latches"):
        relaxation_period(2.2, 100.0, 1e-9, 2.5e3, 100.0, V_TH, V_H)


# ----------------------------------------------------------------------------------------------------------
# Neuristor
# ----------------------------------------------------------------------------------------------------------
def linear_channel_voltage(circuit: Neuristor, amplitude: float, dc: bool = False) -> float:
    """Largest M1 voltage after the input starts, with both devices as resistors of R_off (sub-threshold).

    Capacitor voltages u1 = V(n1) - V(b1) (= the M1 voltage) and u2 = V(b2) - V(out) are the states:
    C1 u1' = (V_in - n1)/R_L1 + (out - n1)/R_L2 - u1/R_off, C2 u2' = out/R_out - (n1 - out)/R_L2 - u2/R_off,
    with n1 = u1 + b1 and out = b2 - u2, the biases ramping over bias_ramp.
    """
    g = 1.0 / NBO2["roff"]
    c = circuit

    def source(t):
        ramp = min(t / c.bias_ramp, 1.0)
        if dc:
            vin = amplitude
        else:
            s = t - c.input_delay
            vin = amplitude * float(np.clip(min(s / c.edge, (c.input_width + 2 * c.edge - s) / c.edge), 0.0, 1.0))
        return vin, -c.v_dc1 * ramp, c.v_dc2 * ramp

    def rhs(t, y):
        vin, b1, b2 = source(t)
        n1, out = y[0] + b1, b2 - y[1]
        return [((vin - n1) / c.r_load1 + (out - n1) / c.r_load2 - g * y[0]) / c.c1,
                (out / c.r_out - (n1 - out) / c.r_load2 - g * y[1]) / c.c2]

    corners = sorted({0.0, c.bias_ramp, c.input_delay, c.input_delay + c.edge, c.input_delay + c.edge + c.input_width,
                      c.input_delay + 2 * c.edge + c.input_width, c.stop})
    y, peak = [0.0, 0.0], -np.inf
    for a, b in zip(corners[:-1], corners[1:]):
        sol = solve_ivp(rhs, (a, b), y, method="LSODA", rtol=1e-8, atol=1e-10, max_step=(b - a) / 100)
        if b > c.input_delay:
            peak = max(peak, float(sol.y[0][sol.t >= c.input_delay].max(initial=-np.inf)))
        y = sol.y[:, -1]
    return peak


def threshold_amplitude(circuit: Neuristor, dc: bool = False) -> float:
    """Input amplitude at which the linear sub-threshold response just reaches V_th (bisection)."""
    lo, hi = 0.0, 3.0
    for _ in range(24):  # 3 V / 2^24: far below the 5 % margins
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if linear_channel_voltage(circuit, mid, dc) < V_TH else (lo, mid)
    return 0.5 * (lo + hi)


@pytest.fixture(scope="module")
def pulse_threshold():
    return threshold_amplitude(Neuristor())


def output_spikes(result, circuit):
    t, out = result["time"], result.v("out")
    late = t > circuit.bias_ramp
    # A spike: the output rises past 0.6 V (rest 0.28 V, peak V_dc2 - V_h = 0.9 V) after falling below 0.4 V.
    return spike_times(t[late], out[late], 0.6, 0.4), float(out[late].max())


@pytest.mark.parametrize("factor, spikes", [(0.95, 0), (1.05, 1), (2.0, 1)])
def test_neuristor_all_or_nothing(factor, spikes, pulse_threshold, batch_engine):
    # A 0.5 us input pulse: no spike at 95 % of the linear-theory threshold, one spike at 105 % and at 200 %
    # (the 5 % margin covers the IMT tail, which adds ~0.6 % conductance to M1 near its fold).  Above
    # threshold the spike reaches V_dc2 - V_h whatever the input: all or nothing (peak within 2 %).
    circuit = Neuristor(input_amplitude=factor * pulse_threshold)
    times, peak = output_spikes(run(batch_engine, circuit), circuit)
    assert len(times) == spikes
    if spikes:
        assert peak == pytest.approx(circuit.v_dc2 - V_H, rel=0.02)
        assert circuit.input_delay < times[0] < circuit.input_delay + 2e-6  # caused by the input
    else:
        assert peak < 0.45  # the sub-threshold response stays near rest


def test_neuristor_silent_below_dc_threshold(batch_engine):
    # The DC threshold of the linear sub-threshold circuit (0.289 V with the defaults): no spike at 90 % of it.
    threshold = threshold_amplitude(Neuristor(input_kind="dc"), dc=True)
    assert 0.2 < threshold < 0.35
    circuit = Neuristor(input_kind="dc", input_amplitude=0.9 * threshold, stop=10e-6)
    times, _ = output_spikes(run(batch_engine, circuit), circuit)
    assert len(times) == 0


def test_neuristor_spikes_periodically_under_dc(batch_engine):
    # 0.30 V DC (above the 0.289 V threshold): a regular spike train, one output spike per channel-1 firing.
    # Over 20 us (18 us after the bias ramp) the Python integration of the same circuit (slow test below)
    # gives 6 spikes 2.951 us apart; here: the count, and intervals equal within 1 %.
    circuit = Neuristor(input_kind="dc", input_amplitude=0.30, stop=20e-6)
    result = run(batch_engine, circuit)
    times, _ = output_spikes(result, circuit)
    assert len(times) == 6
    intervals = np.diff(times)
    assert np.ptp(intervals) < 0.01 * intervals.mean()
    assert intervals.mean() == pytest.approx(2.951e-6, rel=0.01)


@pytest.mark.slow
def test_neuristor_dc_spike_train_matches_python_integration(batch_engine):
    # The same circuit written out as four ODEs (two capacitor voltages, two device temperatures) with the
    # catalogue's numpy reference of the device, integrated by LSODA (rtol 1e-7): equal spike counts, spike
    # times within 0.5 % of the interval (ngspice reltol 1e-4 vs LSODA).
    from circuitsim.models.printers import numpy_functions

    device = DEVICES["nbo2"]
    p = device.validate()
    current_of, rates_of, _ = numpy_functions(device)
    c = Neuristor(input_kind="dc", input_amplitude=0.30, stop=20e-6)

    def bias(t):
        ramp = min(t / c.bias_ramp, 1.0)
        return -c.v_dc1 * ramp, c.v_dc2 * ramp

    def rhs(t, y):
        u1, u2, t1, t2 = y
        b1, b2 = bias(t)
        n1, out = u1 + b1, b2 - u2
        return [((c.input_amplitude - n1) / c.r_load1 + (out - n1) / c.r_load2 - current_of(u1, [t1], p)) / c.c1,
                (out / c.r_out - (n1 - out) / c.r_load2 - current_of(u2, [t2], p)) / c.c2,
                rates_of(u1, [t1], p)[0], rates_of(u2, [t2], p)[0]]

    sol = solve_ivp(rhs, (0, c.stop), [0, 0, p["t0"], p["t0"]], method="LSODA", rtol=1e-7,
                    atol=[1e-9, 1e-9, 1e-6, 1e-6], max_step=2e-8)
    assert sol.success
    out = np.array([bias(t)[1] for t in sol.t]) - sol.y[1]
    late = sol.t > c.bias_ramp
    reference = spike_times(sol.t[late], out[late], 0.6, 0.4)
    times, _ = output_spikes(run(batch_engine, c), c)
    assert len(times) == len(reference) >= 5
    np.testing.assert_allclose(times, reference, atol=0.005 * np.diff(reference).mean())


# ----------------------------------------------------------------------------------------------------------
# Integrate-and-fire neuron
# ----------------------------------------------------------------------------------------------------------
R_LIF = 200.0
FIRE, RELEASE = folds(R_LIF)


@pytest.fixture(scope="module")
def lif_rates(batch_engine):
    rates = {}
    for i_in in (0.3e-3, 0.5e-3, 0.7e-3, 0.9e-3):
        circuit = MottLIFNeuron(i_in=i_in, r_load=R_LIF, c_membrane=1e-9, stop=12e-6)
        result = run(batch_engine, circuit)
        t, out = result["time"], result.v("out")
        # A spike: the load voltage (the device current times R_load) passes 0.3 V; at rest it is below 0.1 V.
        times = spike_times(t, out, 0.3, 0.1)
        rates[i_in] = frequency(times, skip=1) if len(times) >= 3 else 0.0
    return rates


def test_lif_rate_matches_formula_and_rises_with_current(lif_rates):
    # Formula with the folds of device + 200 ohm load (1.028 V and 0.555 V on the membrane).  Allow 5 %;
    # measured within 0.5 % at 0.5 and 0.7 mA, 1.5 % at 0.9 mA (closer to the 1.3 mA latch, where the
    # discharge ends in the transition and the ideal R_on is least accurate).
    rheobase = FIRE / (R_LIF + NBO2["roff"])
    assert 0.3e-3 < rheobase < 0.5e-3
    assert lif_rates[0.3e-3] == 0.0  # below the rheobase: integrates, never fires
    for i_in in (0.5e-3, 0.7e-3, 0.9e-3):
        theory = lif_rate(i_in, 1e-9, R_LIF, NBO2["roff"], NBO2["ron"], FIRE, RELEASE)
        assert lif_rates[i_in] == pytest.approx(theory, rel=0.05), i_in
    assert lif_rates[0.5e-3] < lif_rates[0.7e-3] < lif_rates[0.9e-3]


def test_lif_refuses_impossible_values():
    with pytest.raises(ValueError, match="i_in"):
        MottLIFNeuron(i_in=-1e-3)
    with pytest.raises(ValueError, match="c_membrane"):
        MottLIFNeuron(c_membrane=0.0)
    with pytest.raises(ValueError, match="latches"):
        lif_rate(3e-3, 1e-9, R_LIF, NBO2["roff"], NBO2["ron"], FIRE, RELEASE)


# ----------------------------------------------------------------------------------------------------------
# Coupled oscillators
# ----------------------------------------------------------------------------------------------------------
def locking(result, circuit, since):
    t = result["time"]
    spikes = [falling_spikes(t, result.v(node)) for node in circuit.nodes]
    late = [s[s > since] for s in spikes]
    phases = phase_differences(late[0], late[1])
    return [frequency(s) for s in late], locking_index(phases), circular_spread(phases)


def test_capacitive_coupling_locks_detuned_oscillators(batch_engine):
    # Loads 1.6 and 1.7 kOhm: free-running frequencies 5 % apart (formula: 782 and 743 kHz).  Uncoupled, the
    # phase of one in the other's cycle drifts through all values (locking index < 0.3); coupled by 0.2 nF
    # (a fifth of each oscillator's capacitance) they settle within ~8 cycles to one frequency (equal to
    # 0.5 %, the resolution of ~7 spikes in a 12 us window) and a constant phase difference (circular spread
    # < 0.01 cycle over the last 12 us).
    stop = 24e-6
    free = CoupledOscillators(r_loads=(1.6e3, 1.7e3), c_couple=0.0, stop=stop)
    (f1, f2), index, _ = locking(run(batch_engine, free), free, since=5e-6)
    assert abs(f1 / f2 - 1) > 0.03
    assert index < 0.3
    coupled = CoupledOscillators(r_loads=(1.6e3, 1.7e3), c_couple=0.2e-9, stop=stop)
    (f1, f2), index, spread = locking(run(batch_engine, coupled), coupled, since=12e-6)
    assert f1 == pytest.approx(f2, rel=0.005)
    assert index > 0.99
    assert spread < 0.01


@pytest.mark.slow
@pytest.mark.parametrize("coupling", ["capacitive", "resistive"])
def test_ring_of_three_locks(coupling, batch_engine):
    # A ring of three detuned oscillators (loads 1.6, 1.65, 1.7 kOhm) coupled by 0.2 nF or 2 kOhm: all three
    # at one frequency (0.2 %) with constant pairwise phase differences over the last 15 us.  (At 1 kOhm the
    # resistive ring locks 2:1 instead: one oscillator at exactly twice the others' frequency.)
    circuit = CoupledOscillators(r_loads=(1.6e3, 1.65e3, 1.7e3), coupling=coupling, c_couple=0.2e-9,
                                 r_couple=2e3, ring=True, stop=40e-6)
    result = run(batch_engine, circuit)
    t = result["time"]
    spikes = [falling_spikes(t, result.v(node)) for node in circuit.nodes]
    late = [s[s > 25e-6] for s in spikes]
    f = [frequency(s) for s in late]
    assert max(f) / min(f) - 1 < 0.002
    for a, b in ((0, 1), (1, 2)):
        assert circular_spread(phase_differences(late[a], late[b])) < 0.01


def test_coupled_oscillators_refuse_impossible_values():
    with pytest.raises(ValueError, match="r_loads"):
        CoupledOscillators(r_loads=(1.6e3,))
    with pytest.raises(ValueError, match=r"r_loads\[1\]"):
        CoupledOscillators(r_loads=(1.6e3, -1.0))
    with pytest.raises(ValueError, match="ring"):
        CoupledOscillators(r_loads=(1.6e3, 1.7e3), ring=True)
    with pytest.raises(ValueError, match="coupling"):
        CoupledOscillators(coupling="inductive")
    with pytest.raises(ValueError, match="c_couple"):
        CoupledOscillators(c_couple=-1e-12)
