"""Multi-device synapses (Boybat et al. 2018): N devices read together, one programmed per update.

The mapping is checked exactly (no SPICE): the arbitration counter visits every device in turn, reads sum a
synapse's devices.  In the circuit: a perceptron with three devices per synapse learns the letters (a
weight is then the sum of three devices, so it moves a third as far per pulse and needs more epochs than
one device: 15 against 13 here), and the STDP neuron reads every device of its synapses; a resumed run
continues the counter where it stopped (restart mode: the same decks, states equal to 1e-12).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from circuitsim.cosim import run_experiment
from circuitsim.cosim.config import ConfigError
from circuitsim.cosim.perceptron import DEMO_CONFIG
from circuitsim.cosim.runner import build_experiment
from circuitsim.cosim.synapses import MultiDeviceSynapses


def test_the_arbitration_counter_visits_every_device_in_turn():
    synapses = MultiDeviceSynapses(3)
    logical = np.array([[1, -2], [0, 1]])
    assert synapses.physical_shape((2, 2)) == (2, 6)
    seen = []
    for _ in range(4):
        physical = synapses.pulses(logical)
        assert physical.shape == (2, 6) and np.array_equal(synapses.combine(physical), logical)
        seen.append(int(np.flatnonzero(physical[0])[0]) % 3)          # which device of synapse (0, 0) fired
    assert seen == [0, 1, 2, 0] and synapses.counter_ == 4
    synapses.pulses(np.zeros((2, 2), dtype=int))                        # no event: the counter stays
    assert synapses.counter_ == 4
    assert np.array_equal(synapses.combine(np.arange(12.0).reshape(2, 6)), [[3.0, 12.0], [21.0, 30.0]])


@pytest.mark.parametrize("devices", [0, 1.5, -2])
def test_a_synapse_needs_a_whole_number_of_devices(devices):
    with pytest.raises(ValueError, match="whole number >= 1"):
        MultiDeviceSynapses(devices)


def test_experiment_files_take_devices_per_synapse():
    config = copy.deepcopy(DEMO_CONFIG)
    config["array"]["devices_per_synapse"] = 3
    assert build_experiment(config).circuit.shape == (10, 18)
    config["array"]["devices_per_synapse"] = 0
    with pytest.raises(ConfigError, match="array.devices_per_synapse must be between 1 and 64"):
        build_experiment(config)


@pytest.mark.ngspice
def test_a_perceptron_of_three_device_synapses_learns_the_letters(tmp_path):
    config = copy.deepcopy(DEMO_CONFIG)
    config["array"]["devices_per_synapse"] = 3
    config["experiment"].update(epochs=20)
    report = run_experiment(config, tmp_path, progress=False, mode="fast")
    assert report["summary"]["final_accuracy"] == 1.0
    assert report["summary"]["epochs_to_100_percent"] > 13          # a pulse moves a weight a third as far
    assert np.array(report["summary"]["weights"]).shape == (10, 3)


@pytest.mark.ngspice
def test_stdp_with_two_device_synapses_resumes_its_counter(tmp_path):
    config = {"experiment": {"kind": "stdp_correlation", "steps": 3, "seed": 2},
              "input": {"synapses": 20, "correlated_fraction": 0.25}, "array": {"devices_per_synapse": 2}}
    whole = run_experiment(config, tmp_path / "whole", progress=False)
    run_experiment(config, tmp_path / "cut", progress=False, max_steps=1)
    resumed = run_experiment(config, tmp_path / "cut", progress=False, resume=True)
    assert [m["pulses"] for m in resumed["metrics"]] == [m["pulses"] for m in whole["metrics"]]
    assert resumed["summary"]["conductance"] == pytest.approx(whole["summary"]["conductance"], rel=1e-12)
    assert all(m["post_spikes"] > 0 for m in whole["metrics"])            # the neuron reads both devices
