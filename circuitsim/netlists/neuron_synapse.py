"""The demo circuit: a resistive synapse driving a leaky-integrator membrane.

A presynaptic spike train (voltage pulses) drives the membrane node through a
synaptic resistor; the membrane is a capacitor in parallel with a leak
resistor.  It is linear, so its response has a closed form
(:func:`membrane_response`), which the demo and the tests compare ngspice to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from circuitsim.netlists.netlist import Netlist, Pulse


@dataclass(frozen=True)
class NeuronSynapse:
    """Parameters of the demo circuit (SI units).

    Attributes
    ----------
    spike_amplitude
        Presynaptic pulse height (V).
    spike_width
        Pulse width (s).
    spike_period
        Inter-spike interval (s).
    r_synapse
        Synaptic resistance (ohm); the synaptic weight is its conductance.
    r_leak
        Membrane leak resistance (ohm).
    c_membrane
        Membrane capacitance (F).
    edge
        Pulse rise and fall time (s).
    """

    spike_amplitude: float = 1.0
    spike_width: float = 1e-3
    spike_period: float = 5e-3
    r_synapse: float = 10e3
    r_leak: float = 40e3
    c_membrane: float = 0.5e-6
    edge: float = 1e-9

    def __post_init__(self) -> None:
        for name in ("spike_width", "spike_period", "r_synapse", "r_leak", "c_membrane", "edge"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if self.spike_width + 2 * self.edge >= self.spike_period:
            raise ValueError("spike_width (plus its edges) must be shorter than spike_period")

    def netlist(self) -> Netlist:
        """The circuit as a netlist, without an analysis line."""
        net = Netlist("neuron-synapse demo: spike train -> synaptic resistor -> leaky membrane")
        net.vsource("Vpre", "pre", "0", waveform=Pulse(0.0, self.spike_amplitude, delay=0.0, rise=self.edge,
                                                          fall=self.edge, width=self.spike_width,
                                                          period=self.spike_period))
        net.resistor("Rsyn", "pre", "mem", self.r_synapse)
        net.capacitor("Cmem", "mem", "0", self.c_membrane)
        net.resistor("Rleak", "mem", "0", self.r_leak)
        return net


def membrane_response(circuit: NeuronSynapse, t: np.ndarray) -> np.ndarray:
    """Closed-form membrane voltage for ideal rectangular spikes, starting from 0 V.

    The driver is a voltage source, so the synapse loads the membrane at all
    times: the time constant is ``tau = C * Rs * Rl / (Rs + Rl)`` throughout,
    and the membrane relaxes towards ``A * Rl / (Rs + Rl)`` during a spike and
    towards 0 V between spikes.  Exact for zero rise and fall time.
    """
    t = np.asarray(t, dtype=float)
    rs, rl, c = circuit.r_synapse, circuit.r_leak, circuit.c_membrane
    v_on = circuit.spike_amplitude * rl / (rs + rl)
    tau_on = tau_off = c * rs * rl / (rs + rl)
    width, period = circuit.spike_width, circuit.spike_period
    out = np.empty_like(t)
    for k, time in enumerate(t):
        cycles = int(time // period)
        v = 0.0
        for _ in range(cycles):  # whole periods before this one
            v = v_on + (v - v_on) * np.exp(-width / tau_on)
            v = v * np.exp(-(period - width) / tau_off)
        phase = time - cycles * period
        if phase <= width:
            v = v_on + (v - v_on) * np.exp(-phase / tau_on)
        else:
            v = v_on + (v - v_on) * np.exp(-width / tau_on)
            v = v * np.exp(-(phase - width) / tau_off)
        out[k] = v
    return out
