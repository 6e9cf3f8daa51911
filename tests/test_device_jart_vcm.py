"""Published behaviours of the JART VCM v1b core (``jart_vcm``): SET at negative voltage, RESET at positive
voltage, the counter-eightwise loop, the ultra-nonlinear kinetics, the JART equations, and parameter checks.

Runs from HRS use JART's initial state N = 0.008 (the device's default 0.3 is chosen for the three-way
agreement, see the device's equations).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from circuitsim.analysis.devices import Stimulus, simulate_ngspice
from circuitsim.models.catalogue import DEVICES
from circuitsim.models.printers import numpy_functions

DEVICE = DEVICES["jart_vcm"]
HRS = {"n_init": 0.008}  # JART's HRS start
LRS = {"n_init": 22.0}   # N_max
Q, KB = 1.602176634e-19, 1.380649e-23


def resistance(n: float, p=DEVICE.defaults) -> float:
    """Series network TiOx + line + plug + disc, written out from the Drude formula R = l / (z e mu N A)."""
    area = math.pi * p["r_det"] ** 2
    plug = (p["l_cell"] - p["l_det"]) / (2 * Q * p["mu_n"] * p["n_plug"] * 1e26 * area)
    disc = p["l_det"] / (2 * Q * p["mu_n"] * n * 1e26 * area)
    return p["r_tiox"] + p["r0"] + plug + disc


def jart_rate(v: float, n: float, p=DEVICE.defaults) -> float:
    """dN/dt of JART v1b (Bengel 2020; the JART-TUD Verilog-A) with the branches as JART writes them
    (if V > 0 ... else ...), the two exponentials as a difference, and the cold series network."""
    area = math.pi * p["r_det"] ** 2
    r_disc = p["l_det"] / (2 * Q * p["mu_n"] * n * 1e26 * area)
    r_cell = resistance(n, p) - p["r_tiox"] - p["r0"]
    i = v / resistance(n, p)
    if v > 0:
        field, rth, flim = i * r_cell / p["l_cell"], p["rth0"] * p["rtheff_scaling"], 1 - (p["n_min"] / n) ** 10
    else:
        field, rth, flim = i * r_disc / p["l_det"], p["rth0"], 1 - (n / p["n_max"]) ** 10
    gamma = 2 * p["a"] * field / (math.pi * p["dwa"])
    even = math.sqrt(1 - gamma ** 2) + gamma * math.asin(gamma)
    w_min, w_max = p["dwa"] * Q * (even - gamma * math.pi / 2), p["dwa"] * Q * (even + gamma * math.pi / 2)
    kt = KB * (i * i * r_cell * rth + p["t0"])
    c_vo = (p["n_plug"] + n) / 2 * 1e26
    i_ion = 2 * Q * c_vo * p["a"] * p["nu0"] * area * (math.exp(-w_min / kt) - math.exp(-w_max / kt)) * flim
    return -i_ion / (area * p["l_det"] * Q * 2) / 1e26


@pytest.fixture(scope="module")
def reference():
    return numpy_functions(DEVICE)


@pytest.mark.ngspice
def test_set_happens_at_negative_voltage(batch_engine):
    # JART (Bengel 2020): SET at negative voltage on the active electrode.  From HRS (N = 0.008) a -1 V,
    # 100 ns pulse raises N by more than three decades, to N_max; a +1 V pulse of the same shape does not
    # raise it at all (it can only RESET further towards N_min).  Measured: 22.0 (x2750) and 0.0079999999.
    shape = dict(width=100e-9, period=200e-9, cycles=1, edge=1e-9)
    negative = simulate_ngspice(DEVICE, Stimulus.pulse(0.0, -1.0, **shape), HRS, engine=batch_engine)
    positive = simulate_ngspice(DEVICE, Stimulus.pulse(0.0, 1.0, **shape), HRS, engine=batch_engine)
    assert negative.states["n"][-1] / HRS["n_init"] > 1e3
    assert negative.states["n"][-1] == pytest.approx(22.0, rel=1e-3)  # the window stops it at N_max
    assert positive.states["n"][-1] <= HRS["n_init"] * (1 + 1e-9)
    # The currents at the end of each pulse are V / R(N) of the series formula: LRS (1.55 kohm) after the
    # SET, still HRS (62.8 kohm) under the positive pulse.  ngspice's reltol is 1e-6: allow 1e-4.
    end = lambda run: np.argmin(np.abs(run.t - 100e-9))  # noqa: E731
    assert negative.i[end(negative)] == pytest.approx(-1.0 / resistance(22.0), rel=1e-4)
    assert positive.i[end(positive)] == pytest.approx(1.0 / resistance(0.008), rel=1e-4)


@pytest.mark.ngspice
def test_reset_happens_at_positive_voltage(batch_engine):
    # JART: RESET at positive voltage.  From LRS (N_max) a +1.5 V, 1 us pulse lowers N by more than three
    # decades (measured 22 -> 0.018); the -1.5 V pulse leaves it at N_max.
    shape = dict(width=1e-6, period=2e-6, cycles=1, edge=1e-9)
    positive = simulate_ngspice(DEVICE, Stimulus.pulse(0.0, 1.5, **shape), LRS, engine=batch_engine)
    negative = simulate_ngspice(DEVICE, Stimulus.pulse(0.0, -1.5, **shape), LRS, engine=batch_engine)
    assert positive.states["n"][-1] < 22.0 / 1e3
    assert negative.states["n"][-1] >= 22.0 * (1 - 1e-6)


def _shoelace(v: np.ndarray, i: np.ndarray) -> float:
    """Signed area of the closed (V, I) path: > 0 counterclockwise, < 0 clockwise."""
    return 0.5 * float(np.sum(v * np.roll(i, -1) - np.roll(v, -1) * i))


@pytest.mark.ngspice
def test_loop_is_counter_eightwise(batch_engine):
    # Counter-eightwise (c8w) is the polarity of filamentary VCM cells that JART models (Zhang, ..., Cueppers,
    # ..., Menzel et al., ACS AMI 10, 29766 (2018)): SET at negative voltage on the active electrode (port p),
    # RESET at positive.  In the (V, I) plane with V = V(p) - V(n), the negative lobe is then traversed
    # counterclockwise (out along the low-current HRS branch, back along LRS) and the positive lobe clockwise.
    # A 1.5 V sine at 1/6 Hz sweeps at 1 V/s on average, as in the JART papers; negative half first from HRS.
    run = simulate_ngspice(DEVICE, Stimulus.sine(-1.5, 1 / 6, cycles=1), HRS, engine=batch_engine)
    box = 1.5 * np.max(np.abs(run.i))
    negative, positive = run.t <= 3.0, run.t >= 3.0
    # Measured: +0.07 and -0.21 of the box V_max * I_max; require 1/3 of that, well above integration noise.
    assert _shoelace(run.v[negative], run.i[negative]) / box > 0.02
    assert _shoelace(run.v[positive], run.i[positive]) / box < -0.07
    # Where the switching happens (N crossing 1, mid-decade of the range): SET in the negative half, RESET in
    # the positive one.  Measured: -0.565 V and +0.967 V.
    n = run.states["n"]
    up = np.flatnonzero((n[:-1] < 1.0) & (n[1:] >= 1.0))
    down = np.flatnonzero((n[:-1] > 1.0) & (n[1:] <= 1.0))
    assert len(up) == 1 and len(down) == 1
    assert -1.5 < run.v[up[0]] < -0.3
    assert 0.5 < run.v[down[0]] < 1.5


def test_switching_kinetics_are_ultra_nonlinear(reference):
    # Exponential ion hopping with Joule heating gives the ultra-nonlinear switching kinetics of VCM cells
    # (Menzel et al., Adv. Funct. Mater. 21, 4487 (2011)): the SET time from HRS falls by many decades for a
    # one-volt change.  Measured (to N = 1): 15 ms at -0.5 V, 0.3 ns at -1 V, 0.1 ps at -1.5 V (11 decades);
    # require 8.  RESET from LRS: 4.5 s at +0.8 V, 0.6 us at +1.5 V (7 decades); require 5.
    _, rates_of, _ = reference

    def time_to_cross(v, n0):
        values = DEVICE.validate(n_init=n0)
        event = lambda t, y: y[0] - 1.0  # noqa: E731
        event.terminal = True
        solution = solve_ivp(lambda t, y: rates_of(v, y, values), (0.0, 1e6), [n0], method="LSODA", rtol=1e-8,
                             atol=1e-12, events=event)
        return solution.t_events[0][0]

    set_times = [time_to_cross(v, 0.008) for v in (-0.5, -0.75, -1.0, -1.5)]
    assert all(np.diff(set_times) < 0)
    assert math.log10(set_times[0] / set_times[-1]) > 8
    reset_times = [time_to_cross(v, 22.0) for v in (0.8, 1.5)]
    assert math.log10(reset_times[0] / reset_times[1]) > 5


def test_rate_and_current_follow_the_jart_equations(reference):
    # The declared expressions against the JART equations written out independently (branches by
    # if/else, the barrier terms as a difference of exponentials).  Away from |V| < 20 mV (where the
    # 1 mV logistic blend of the branches is below 2e-9) they differ only by the smooth voltage clip,
    # 1 - 8e-9 of V at 1.2 V, i.e. < 1e-6 in the rate (exponents up to ~80), and by rounding.  The language
    # multiplies a negative rate by its smooth lower bound 1/(1 + exp(-(N - N_min)/w)), w = 1e-3 (N_max - N_min)
    # (and a positive one by the upper bound): included here as written in circuitsim.models.language.
    current_of, rates_of, _ = reference
    values = DEVICE.defaults
    width = 1e-3 * (values["n_max"] - values["n_min"])
    for v in (-1.2, -0.8, -0.5, -0.3, -0.02, 0.02, 0.3, 0.5, 0.8, 1.2):
        for n in (0.005, 0.008, 0.05, 0.3, 1.0, 5.0, 21.0):
            expected = jart_rate(v, n)
            distance = (values["n_max"] - n) if expected > 0 else (n - values["n_min"])
            expected /= 1 + math.exp(-distance / width)
            assert rates_of(v, np.array([n]), values)[0] == pytest.approx(expected, rel=1e-6)
            assert current_of(v, [n], values) == pytest.approx(v / resistance(n), rel=1e-12)


def test_gamma_stays_in_range_for_any_voltage(reference):
    # The smooth clip keeps |gamma| < 0.95: asin and sqrt(1 - gamma^2) are real for every V, so rate and
    # current are finite far outside the physical range, in both branches and over the whole state range.
    current_of, rates_of, _ = reference
    values = DEVICE.defaults
    for v in (-1e3, -50.0, -5.0, -3.3, 3.3, 5.0, 50.0, 1e3):
        for n in (0.004, 0.3, 22.0):
            assert np.isfinite(rates_of(v, np.array([n]), values)).all()
            assert np.isfinite(current_of(v, [n], values))


@pytest.mark.parametrize("overrides, name", [
    ({"n_min": 22.0}, "n_max"),                  # N_min >= N_max
    ({"n_min": 30.0}, "n_max"),
    ({"n_init": 0.001}, "n_init"),               # below N_min
    ({"n_init": 30.0}, "n_init"),                # above N_max
    ({"l_det": 3e-9}, "l_cell"),                 # disc as long as the cell
    ({"l_det": 5e-9}, "l_cell"),
    ({"r_tiox": -650.0}, "r_tiox"),              # negative resistances
    ({"r0": -719.0}, "r0"),
    ({"rth0": -1e6}, "rth0"),                    # negative thermal resistance
    ({"t0": -293.0}, "t0"),                      # negative temperature
    ({"t0": 0.0}, "t0"),
    ({"mu_n": 0.0}, "mu_n"),
])
def test_bad_parameters_are_refused_by_name(overrides, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        DEVICE.validate(**overrides)
