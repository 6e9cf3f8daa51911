"""Mott-device circuits: relaxation oscillator, coupled oscillators, two-channel neuristor, integrate-and-fire neuron.

Every circuit is a frozen dataclass of its element values (SI units: V, A, ohm, F, s) that refuses impossible
values with the parameter's name, renders a :class:`~circuitsim.netlists.netlist.Netlist` (the Mott devices
are catalogue devices, :mod:`circuitsim.models.catalogue.mott`, their subcircuits written into the deck) and
names the transient that shows its behaviour (each circuit's ``tran_line()`` and ``tran_args()``).  The closed forms they
are tested against are in :mod:`circuitsim.analysis.oscillators`.

Capacitors start discharged and the devices at their initial temperature, so every transient runs with
``uic`` (no operating point: a threshold switch biased into its negative-resistance region has none that is
stable).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Tuple

from circuitsim.netlists.netlist import Netlist, Pulse, Pwl
from circuitsim.numbers import spice_number

#: The thermal Mott devices these circuits accept.
MOTT_DEVICES = ("nbo2", "vo2")


def _finite(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _positive(value: float, name: str, unit: str) -> float:
    if not _finite(value, name) > 0:
        raise ValueError(f"{name} must be > 0{' ' + unit if unit else ''}, got {value!r}")
    return float(value)


def _non_negative(value: float, name: str, unit: str) -> float:
    if not _finite(value, name) >= 0:
        raise ValueError(f"{name} must be >= 0{' ' + unit if unit else ''}, got {value!r}")
    return float(value)


def two_channel_body(net: Netlist, circuit: Any, device: str) -> Netlist:
    """The two channels of a neuristor on ``net`` (whose input source drives node ``in``): the biases (ramped
    up so that the discharged capacitors do not fire the devices at t = 0), the load resistors, the capacitors,
    the two devices and the output load; ``circuit`` holds the element values (``v_dc1``, ``v_dc2``,
    ``bias_ramp``, ``r_load1``, ``r_load2``, ``c1``, ``c2``, ``r_out``, ``device_params``)."""
    net.vsource("Vdc1", "b1", "0", waveform=Pwl((0.0, circuit.bias_ramp), (0.0, -circuit.v_dc1)))
    net.vsource("Vdc2", "b2", "0", waveform=Pwl((0.0, circuit.bias_ramp), (0.0, circuit.v_dc2)))
    model = _mott_device(device, circuit.device_params)
    params = dict(circuit.device_params)
    net.resistor("RL1", "in", "n1", circuit.r_load1)
    net.capacitor("C1", "n1", "b1", circuit.c1, ic=0.0)
    net.device("Xm1", model, ["n1", "b1"], **params)
    net.resistor("RL2", "n1", "out", circuit.r_load2)
    net.capacitor("C2", "b2", "out", circuit.c2, ic=0.0)
    net.device("Xm2", model, ["b2", "out"], **params)
    net.resistor("Rout", "out", "0", circuit.r_out)
    return circuit._options(net)


def _mott_device(name: str, params: Mapping[str, float], field_name: str = "device"):
    from circuitsim.models.catalogue import get_device

    if name not in MOTT_DEVICES:
        raise ValueError(f"{field_name} must be one of {', '.join(MOTT_DEVICES)}, got {name!r}")
    device = get_device(name)
    device.validate(**dict(params))  # raises naming the device parameter
    return device


@dataclass(frozen=True)
class _Transient:
    """Mixin: the transient each circuit is meant to be run with."""

    def tran_args(self) -> Dict[str, object]:
        """Keyword arguments of :class:`circuitsim.spice.Tran` for this circuit (``uic`` included)."""
        return {"step": self.step, "stop": self.stop, "max_step": self.max_step, "uic": True}

    def _options(self, net: Netlist) -> Netlist:
        return net.options(reltol=self.reltol)

    def tran_line(self) -> str:
        """The ``.tran`` line that runs this circuit in a plain deck."""
        return (f".tran {spice_number(self.step)} {spice_number(self.stop)} 0 {spice_number(self.max_step)} uic")


def _check_transient(circuit) -> None:
    _positive(circuit.reltol, "reltol", "")
    if circuit.reltol > 0.01:
        raise ValueError(f"reltol must be at most 0.01, got {circuit.reltol!r}")
    _positive(circuit.stop, "stop", "s")
    _positive(circuit.step, "step", "s")
    _positive(circuit.max_step, "max_step", "s")
    if circuit.step > circuit.stop:
        raise ValueError(f"step must not exceed stop, got step = {circuit.step!r}, stop = {circuit.stop!r}")


# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RelaxationOscillator(_Transient):
    """Threshold-switch relaxation oscillator: ``V_in -> R_L -> node -> [Mott device || C] -> ground``.

    The capacitor charges through the load while the device is insulating, the device switches on at its
    threshold voltage and discharges the capacitor until the voltage falls to its hold voltage, and so on.
    The period is :func:`circuitsim.analysis.oscillators.relaxation_period`.

    Parameters
    ----------
    v_in
        DC supply (V), > 0.
    r_load
        Series load resistance (ohm), > 0.
    capacitance
        Capacitance in parallel with the device (F), > 0.
    device
        Catalogue name of the Mott device: ``"nbo2"`` or ``"vo2"``.
    device_params
        Parameter overrides of the device (validated by the catalogue).
    stop, step, max_step
        Transient: end time, print step and largest internal step (s).
    reltol
        ngspice's relative tolerance.  The default 1e-3 shifts the period by up to 6 % (the switching
        instants depend on the device temperature near its fold); 1e-4 with a 2 ns step cap brings the
        NbO2 oscillator within 0.3 % of the closed form.

    Nodes: ``in`` (supply), ``node`` (device and capacitor); the device current is ``i(vsense)``.
    """

    v_in: float = 2.2
    r_load: float = 1.6e3
    capacitance: float = 1e-9
    device: str = "nbo2"
    device_params: Mapping[str, float] = field(default_factory=dict)
    stop: float = 20e-6
    step: float = 1e-9
    max_step: float = 2e-9
    reltol: float = 1e-4

    def __post_init__(self) -> None:
        _positive(self.v_in, "v_in", "V")
        _positive(self.r_load, "r_load", "ohm")
        _positive(self.capacitance, "capacitance", "F")
        _mott_device(self.device, self.device_params)
        _check_transient(self)

    def netlist(self) -> Netlist:
        """The circuit, without an analysis line."""
        net = Netlist(f"Mott relaxation oscillator: {self.device} || C, series load")
        net.vsource("Vin", "in", "0", dc=self.v_in)
        net.resistor("RL", "in", "node", self.r_load)
        net.capacitor("C1", "node", "0", self.capacitance, ic=0.0)
        net.vsource("Vsense", "node", "dev", dc=0.0)
        net.device("Xmott", _mott_device(self.device, self.device_params), ["dev", "0"], **dict(self.device_params))
        return self._options(net)


# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CoupledOscillators(_Transient):
    """A chain or ring of Mott relaxation oscillators coupled node to node by capacitors or resistors.

    Oscillator ``k`` is ``V_in -> r_loads[k] -> n<k> -> [device || capacitance] -> ground``; neighbours
    ``n<k>`` and ``n<k+1>`` are joined by ``coupling`` (``"capacitive"``: a capacitor of ``c_couple``;
    ``"resistive"``: a resistor of ``r_couple``), and in a ``ring`` the last node also to the first.  Different
    loads detune the oscillators; coupling pulls them to a common frequency with a fixed phase difference.
    Measured with the NbO2 defaults: two oscillators (1.6 and 1.7 kOhm, free-running 5 % apart) coupled by
    0.2 nF lock at 0.62 cycle apart; a capacitive ring of three (1.6, 1.65, 1.7 kOhm) settles into a
    travelling wave about 1/3 cycle between neighbours; a resistive ring locks 1:1 at 2 kOhm, 2:1 at 1 kOhm,
    not at all at 5 kOhm.

    Parameters
    ----------
    r_loads
        One load resistance per oscillator (ohm), at least two.
    v_in, capacitance
        Common supply (V) and capacitance (F).
    coupling
        ``"capacitive"`` or ``"resistive"``.
    c_couple, r_couple
        Coupling capacitance (F, >= 0; 0 uncouples) or resistance (ohm, > 0).
    ring
        Close the chain into a ring (needs at least three oscillators).
    device, device_params
        The Mott device and its parameter overrides.
    """

    r_loads: Tuple[float, ...] = (1.6e3, 1.7e3)
    v_in: float = 2.2
    capacitance: float = 1e-9
    coupling: str = "capacitive"
    c_couple: float = 0.2e-9
    r_couple: float = 2e3
    ring: bool = False
    device: str = "nbo2"
    device_params: Mapping[str, float] = field(default_factory=dict)
    stop: float = 40e-6
    step: float = 1e-9
    max_step: float = 2e-9
    reltol: float = 1e-4

    def __post_init__(self) -> None:
        if len(self.r_loads) < 2:
            raise ValueError(f"r_loads must list at least two oscillators, got {len(self.r_loads)}")
        for k, r in enumerate(self.r_loads):
            _positive(r, f"r_loads[{k}]", "ohm")
        _positive(self.v_in, "v_in", "V")
        _positive(self.capacitance, "capacitance", "F")
        if self.coupling not in ("capacitive", "resistive"):
            raise ValueError(f"coupling must be 'capacitive' or 'resistive', got {self.coupling!r}")
        _non_negative(self.c_couple, "c_couple", "F")
        _positive(self.r_couple, "r_couple", "ohm")
        if self.ring and len(self.r_loads) < 3:
            raise ValueError(f"ring needs at least three oscillators, got {len(self.r_loads)} r_loads")
        _mott_device(self.device, self.device_params)
        _check_transient(self)

    @property
    def nodes(self) -> Tuple[str, ...]:
        """The oscillator nodes ``n1 ... nN``."""
        return tuple(f"n{k + 1}" for k in range(len(self.r_loads)))

    def netlist(self) -> Netlist:
        """The circuit, without an analysis line."""
        kind = "ring" if self.ring else "chain"
        net = Netlist(f"{len(self.r_loads)} Mott relaxation oscillators, {self.coupling} {kind}")
        net.vsource("Vin", "in", "0", dc=self.v_in)
        device = _mott_device(self.device, self.device_params)
        for k, (node, r) in enumerate(zip(self.nodes, self.r_loads), start=1):
            net.resistor(f"RL{k}", "in", node, r)
            net.capacitor(f"C{k}", node, "0", self.capacitance, ic=0.0)
            net.device(f"Xmott{k}", device, [node, "0"], **dict(self.device_params))
        pairs = list(zip(self.nodes, self.nodes[1:]))
        if self.ring:
            pairs.append((self.nodes[-1], self.nodes[0]))
        for k, (a, b) in enumerate(pairs, start=1):
            if self.coupling == "capacitive":
                net.capacitor(f"Ccouple{k}", a, b, self.c_couple, ic=0.0)
            else:
                net.resistor(f"Rcouple{k}", a, b, self.r_couple)
        return self._options(net)


# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Neuristor(_Transient):
    """Pickett-style two-channel Mott neuristor (Pickett, Medeiros-Ribeiro & Williams, Nat. Mater. 12, 114 (2013)).

    Channel 1: device M1 in parallel with C1, from node ``n1`` to a bias ``-v_dc1``; the input drives ``n1``
    through ``r_load1``.  Channel 2: device M2 in parallel with C2, from a bias ``+v_dc2`` to the output node
    ``out``; ``n1`` drives ``out`` through ``r_load2``, and ``r_out`` loads the output.  Each bias holds its
    device below threshold at rest.  A positive input that lifts M1 past its threshold switches it on: C1
    discharges through it and ``n1`` falls by roughly ``V_th - V_h`` (the fast channel); ``out`` follows
    through ``r_load2``, which pushes M2 (biased the other way) past its threshold, and M2 pulls ``out`` up to
    about ``v_dc2 - V_h``.  The output spike is that positive pulse (0.28 V at rest to 0.90 V with the
    defaults); its height does not depend on the input once the input is above threshold (all or nothing),
    and an input below threshold leaves ``out`` near rest.  Under a DC input above threshold channel 1
    relaxes and fires again: a periodic spike train (and, at larger inputs, bursts: Pickett's "diverse
    periodic spiking").

    Parameters
    ----------
    input_kind
        ``"pulse"`` (one rectangular pulse of ``input_amplitude`` V, ``input_width`` s, starting at
        ``input_delay`` s) or ``"dc"`` (``input_amplitude`` V from t = 0).
    input_amplitude, input_width, input_delay
        The input (V, s, s); the amplitude may be 0 or negative.
    v_dc1, v_dc2
        Bias magnitudes of channel 1 (applied as ``-v_dc1``) and channel 2 (``+v_dc2``), V, > 0.
    r_load1, r_load2, r_out
        Input, coupling and output resistances (ohm).
    c1, c2
        Channel capacitances (F).
    device, device_params
        The Mott device of both channels and its parameter overrides.
    edge
        Rise and fall time of the input pulse (s).
    bias_ramp
        The biases rise linearly from 0 over this time (s), so that the discharged capacitors do not fire
        the devices at t = 0; let the circuit settle a few ``r c`` after it before the input.
    """

    input_kind: str = "pulse"
    input_amplitude: float = 0.6
    input_width: float = 0.5e-6
    input_delay: float = 5e-6
    v_dc1: float = 0.8
    v_dc2: float = 1.1
    r_load1: float = 1e3
    r_load2: float = 1e3
    r_out: float = 1e4
    c1: float = 1e-9
    c2: float = 0.5e-9
    device: str = "nbo2"
    device_params: Mapping[str, float] = field(default_factory=dict)
    edge: float = 10e-9
    bias_ramp: float = 2e-6
    stop: float = 10e-6
    step: float = 1e-9
    max_step: float = 2e-9
    reltol: float = 1e-4

    def __post_init__(self) -> None:
        if self.input_kind not in ("pulse", "dc"):
            raise ValueError(f"input_kind must be 'pulse' or 'dc', got {self.input_kind!r}")
        _finite(self.input_amplitude, "input_amplitude")
        _positive(self.input_width, "input_width", "s")
        _non_negative(self.input_delay, "input_delay", "s")
        _positive(self.edge, "edge", "s")
        _positive(self.bias_ramp, "bias_ramp", "s")
        for name in ("v_dc1", "v_dc2"):
            _positive(getattr(self, name), name, "V")
        for name in ("r_load1", "r_load2", "r_out"):
            _positive(getattr(self, name), name, "ohm")
        for name in ("c1", "c2"):
            _positive(getattr(self, name), name, "F")
        _mott_device(self.device, self.device_params)
        _check_transient(self)
        if self.input_kind == "pulse" and self.input_delay + self.input_width + 2 * self.edge > self.stop:
            raise ValueError("input_delay + input_width (plus edges) must end before stop")

    def netlist(self) -> Netlist:
        """The circuit, without an analysis line."""
        net = Netlist(f"Pickett-style two-channel Mott neuristor ({self.device}), {self.input_kind} input")
        if self.input_kind == "dc":
            net.vsource("Vin", "in", "0", dc=self.input_amplitude)
        else:
            period = 2 * self.stop + self.input_delay + self.input_width  # a single pulse
            net.vsource("Vin", "in", "0", waveform=Pulse(0.0, self.input_amplitude, delay=self.input_delay,
                                                          rise=self.edge, fall=self.edge, width=self.input_width,
                                                          period=period))
        return two_channel_body(net, self, self.device)


# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MottLIFNeuron(_Transient):
    """Leaky integrate-and-fire Mott neuron: a current into a membrane capacitor shunted by [device + load].

    ``i_in`` charges ``c_membrane`` (node ``mem``); the leak is the insulating device in series with
    ``r_load`` (node ``out``).  When the device voltage reaches its threshold it switches on and discharges the
    membrane through ``r_load`` (the spike is the voltage across ``r_load``) until the device voltage falls to
    its hold voltage; then it integrates again.  Firing rate:
    :func:`circuitsim.analysis.oscillators.lif_rate` (0 below the rheobase ``V_th / R_off``).

    Parameters
    ----------
    i_in
        Input current (A), >= 0.
    c_membrane
        Membrane capacitance (F), > 0.
    r_load
        Load in series with the device (ohm), > 0.
    device, device_params
        The Mott device and its parameter overrides.
    """

    i_in: float = 0.8e-3
    c_membrane: float = 1e-9
    r_load: float = 200.0
    device: str = "nbo2"
    device_params: Mapping[str, float] = field(default_factory=dict)
    stop: float = 30e-6
    step: float = 1e-9
    max_step: float = 2e-9
    reltol: float = 1e-4

    def __post_init__(self) -> None:
        _non_negative(self.i_in, "i_in", "A")
        _positive(self.c_membrane, "c_membrane", "F")
        _positive(self.r_load, "r_load", "ohm")
        _mott_device(self.device, self.device_params)
        _check_transient(self)

    def netlist(self) -> Netlist:
        """The circuit, without an analysis line."""
        net = Netlist(f"Mott leaky integrate-and-fire neuron ({self.device})")
        net.isource("Iin", "0", "mem", dc=self.i_in)
        net.capacitor("Cmem", "mem", "0", self.c_membrane, ic=0.0)
        net.device("Xmott", _mott_device(self.device, self.device_params), ["mem", "out"],
                   **dict(self.device_params))
        net.resistor("RL", "out", "0", self.r_load)
        return self._options(net)


def with_tran(circuit, measures: Tuple[str, ...] = ()) -> str:
    """A circuit's deck with its ``.tran`` line and optional ``.meas tran`` lines (``NAME ...`` each).

    With at least one measurement the deck also runs in ``ngspice -b`` without ``-r`` (batch mode wants an
    output statement) and prints the measured values.
    """
    net = circuit.netlist()
    for line in measures:
        net.add(f".meas tran {line}")
    net.add(circuit.tran_line())
    return net.render()


def _vo2_published() -> RelaxationOscillator:
    # The public VO2 thermal-neuristor set's circuit: 12 V through 12 kOhm, 145.35 pF (Zhang et al.,
    # arXiv:2312.12899, public model code).
    return RelaxationOscillator(device="vo2", v_in=12.0, r_load=12e3, capacitance=145.35e-12, stop=30e-6, step=1e-8,
                                max_step=2e-8)


#: The runnable decks of these circuits for ``netlists/`` (registered in :mod:`circuitsim.netlists.reference`).
REFERENCE_DECKS: Dict[str, Callable[[], str]] = {
    # period: 1.279 us (782 kHz), the formula 782.0 kHz
    "mott_relaxation_oscillator_nbo2.cir": lambda: with_tran(
        RelaxationOscillator(stop=12e-6), ("period TRIG v(node) VAL=0.5 FALL=3 TARG v(node) VAL=0.5 FALL=4",)),
    "mott_relaxation_oscillator_vo2.cir": lambda: with_tran(
        _vo2_published(), ("period TRIG i(vsense) VAL=2e-3 RISE=3 TARG i(vsense) VAL=2e-3 RISE=4",
                           "peak_current MAX i(vsense) FROM=1e-5 TO=3e-5")),
    "mott_coupled_ring.cir": lambda: with_tran(
        CoupledOscillators(r_loads=(1.6e3, 1.65e3, 1.7e3), ring=True, stop=16e-6),
        tuple(f"period{k} TRIG v(n{k}) VAL=0.5 FALL=6 TARG v(n{k}) VAL=0.5 FALL=7" for k in (1, 2, 3))),
    "mott_neuristor_pulse.cir": lambda: with_tran(Neuristor(), ("spike_peak MAX v(out) FROM=5e-6 TO=1e-5",)),
    "mott_neuristor_dc.cir": lambda: with_tran(
        Neuristor(input_kind="dc", input_amplitude=0.3, stop=12e-6),
        ("interval TRIG v(out) VAL=0.6 RISE=1 TARG v(out) VAL=0.6 RISE=2",)),
    "mott_lif_neuron.cir": lambda: with_tran(
        MottLIFNeuron(i_in=0.7e-3, stop=12e-6), ("period TRIG v(out) VAL=0.3 RISE=2 TARG v(out) VAL=0.3 RISE=3",)),
}

__all__ = ["MOTT_DEVICES", "RelaxationOscillator", "CoupledOscillators", "Neuristor", "MottLIFNeuron", "with_tran",
           "REFERENCE_DECKS", "two_channel_body"]
