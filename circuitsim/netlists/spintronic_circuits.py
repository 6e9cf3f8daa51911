"""Spintronic circuits: a p-bit (superparamagnetic MTJ + transistor + comparator) and an STNO
injection-locking testbench.

Both render :class:`~circuitsim.netlists.netlist.Netlist` objects with the device subcircuits embedded,
so the text runs in plain ``ngspice -b``.  SI units throughout; parameters are checked at construction
and a bad one is named in the ``ValueError``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, Optional, Sequence

from circuitsim.models.catalogue import get_device
from circuitsim.models.printers import subckt_text
from circuitsim.netlists.netlist import Netlist
from circuitsim.numbers import spice_number


def _positive(owner: object, *names: str) -> None:
    for name in names:
        value = getattr(owner, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise ValueError(f"{type(owner).__name__}: parameter {name!r} must be a finite number > 0, got {value!r}")


def _finite(owner: object, *names: str) -> None:
    for name in names:
        value = getattr(owner, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{type(owner).__name__}: parameter {name!r} must be a finite number, got {value!r}")


def _embed(net: Netlist, device_name: str) -> None:
    for line in subckt_text(get_device(device_name)).splitlines():
        net.add(line)


@dataclass(frozen=True)
class PBit:
    """A p-bit: superparamagnetic MTJ in series with an NMOS, read by a comparator against a replica.

    ``VDD -> sMTJ (n at VDD, p at d) -> d -> NMOS (gate = input) -> ground``.  The NMOS in saturation
    sets the current ``I = kp/2 (V_in - vto)^2`` through the junction, whose spin torque (current from n
    to p) favours AP: the input biases the telegraph (Borders et al. 2019's three-terminal p-bit, in
    behavioural form: an ideal comparator instead of the inverter).  A replica branch (``r_ref`` + an identical NMOS on the same
    gate) gives ``V_ref``; the comparator output is ``vdd`` when ``V(d) < V_ref`` (junction in AP, its
    resistance above ``r_ref``) and 0 otherwise, a tanh of width ``v_width``.  Mean output / vdd =
    P(AP) = tau_AP / (tau_AP + tau_P) = 1 / (1 + exp(-2 Delta (I / I_c + h_f))), a sigmoid of the input.

    Attributes
    ----------
    vdd
        Supply (V).
    kp, vto
        NMOS level-1 transconductance parameter (A/V^2) and threshold voltage (V).
    r_ref
        Replica resistance (ohm), between R_P and R_AP of the junction.
    v_width
        Comparator transition width (V).
    mtj
        Parameter overrides of the ``smtj`` device (e.g. ``hf``, the seeded thresholds).
    """

    vdd: float = 1.0
    kp: float = 1e-3
    vto: float = 0.4
    r_ref: float = 13e3
    v_width: float = 0.01
    mtj: Dict[str, float] = field(default_factory=lambda: {"hf": -0.5})

    def __post_init__(self) -> None:
        _positive(self, "vdd", "kp", "vto", "r_ref", "v_width")
        get_device("smtj").validate(**self.mtj)
        values = self.junction
        if not values["rp"] < self.r_ref < values["rp"] * (1 + values["tmr0"]):
            raise ValueError("PBit: parameter 'r_ref' must lie between the junction's R_P and R_AP(0)")

    @property
    def junction(self) -> Dict[str, float]:
        """The full ``smtj`` parameter set."""
        return get_device("smtj").validate(**self.mtj)

    def current(self, v_in: float) -> float:
        """NMOS saturation current (A) at input ``v_in`` (level-1, lambda = 0)."""
        return 0.5 * self.kp * max(v_in - self.vto, 0.0) ** 2

    def probability(self, v_in: float) -> float:
        """P(AP) = mean output / vdd by the dwell-time formulas (the current is the same in both states)."""
        p = self.junction
        bias = self.current(v_in) / p["ic"] + p["hf"]
        return 1.0 / (1.0 + math.exp(-2 * p["delta"] * max(min(bias, 1.0), -1.0)))

    def input_at(self, probability: float) -> float:
        """Input voltage at which P(AP) = ``probability`` (inverse of :meth:`probability`)."""
        p = self.junction
        bias = math.log(probability / (1 - probability)) / (2 * p["delta"])
        current = (bias - p["hf"]) * p["ic"]
        if current <= 0:
            raise ValueError(f"PBit: P(AP) = {probability} needs a current of the other sign")
        return self.vto + math.sqrt(2 * current / self.kp)

    def netlist(self, inputs: Sequence[float], mtj_per_input: Optional[Sequence[Dict[str, float]]] = None
                ) -> Netlist:
        """p-bits, one per entry of ``inputs`` (V), each with its own junction overrides (e.g. seeds).

        Nodes of instance k: gate ``g<k>``, divider ``d<k>``, replica ``r<k>``, output ``out<k>``.
        """
        if mtj_per_input is not None and len(mtj_per_input) != len(inputs):
            raise ValueError("PBit: 'mtj_per_input' must have one entry per input")
        for k, v in enumerate(inputs):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"PBit: input {k} must be a finite voltage, got {v!r}")
        net = Netlist(f"{len(inputs)} p-bit(s): smtj + NMOS + replica comparator")
        net.vsource("Vdd", "vdd", "0", dc=self.vdd)
        net.add(f".model nch nmos level=1 vto={spice_number(self.vto)} kp={spice_number(self.kp)}")
        vdd = spice_number(self.vdd)
        for k, v in enumerate(inputs):
            overrides = {**self.mtj, **(mtj_per_input[k] if mtj_per_input else {})}
            get_device("smtj").validate(**overrides)
            params = " ".join(f"{name}={spice_number(value)}" for name, value in overrides.items())
            net.vsource(f"Vin{k}", f"g{k}", "0", dc=v)
            net.add(f"Xmtj{k} d{k} vdd smtj {params}".rstrip())
            net.add(f"M{k} d{k} g{k} 0 0 nch")
            net.resistor(f"Rref{k}", "vdd", f"r{k}", self.r_ref)
            net.add(f"Mref{k} r{k} g{k} 0 0 nch")
            net.add(f"Bout{k} out{k} 0 V={vdd}*0.5*(1 + tanh((V(r{k}) - V(d{k}))/{spice_number(self.v_width)}))")
        _embed(net, "smtj")
        return net


@dataclass(frozen=True)
class StnoLockingBench:
    """An STNO biased by ``i_dc`` with an injected rf current ``i_rf`` at ``f_injection`` (a bias tee).

    ``I = i_dc + i_rf sin(2 pi f_injection t)`` flows through the oscillator from node ``out`` to ground;
    ``V(out)`` carries the rf output ~ i_dc dR sqrt(p) cos(phi).  With ``r_load`` the output also drives a
    load through a dc block ``c_block`` (node ``load``); without, the oscillator sees the ideal source only
    (what the closed forms assume).

    Attributes
    ----------
    i_dc, i_rf
        Bias and injected amplitudes (A); ``i_rf`` may be 0 (free running).
    f_injection
        Injection frequency (Hz).
    stno
        Parameter overrides of the ``stno`` device.
    r_load, c_block
        Optional load (ohm) and its dc block (F).
    """

    i_dc: float = 4e-3
    i_rf: float = 2e-4
    f_injection: float = 333.5e6
    stno: Dict[str, float] = field(default_factory=dict)
    r_load: Optional[float] = None
    c_block: float = 1e-9

    def __post_init__(self) -> None:
        _positive(self, "i_dc", "f_injection", "c_block")
        _finite(self, "i_rf")
        if self.i_rf < 0:
            raise ValueError(f"StnoLockingBench: parameter 'i_rf' must be >= 0, got {self.i_rf!r}")
        if self.r_load is not None:
            _positive(self, "r_load")
        get_device("stno").validate(**self.stno)

    def netlist(self) -> Netlist:
        """The bench, without an analysis line."""
        net = Netlist("STNO injection locking: dc bias + rf current through the oscillator")
        net.add(f"Ibias 0 out sin({spice_number(self.i_dc)} {spice_number(self.i_rf)} "
                f"{spice_number(self.f_injection)})")
        params = " ".join(f"{name}={spice_number(value)}" for name, value in self.stno.items())
        net.add(f"Xstno out 0 stno {params}".rstrip())
        if self.r_load is not None:
            net.capacitor("Cblock", "out", "load", self.c_block)
            net.resistor("Rload", "load", "0", self.r_load)
        _embed(net, "stno")
        return net

    def tran_line(self, stop: float = 2e-6, points_per_period: int = 40) -> str:
        """A ``.tran`` line resolving the oscillation (``points_per_period`` steps per injection period)."""
        step = spice_number(1 / (self.f_injection * points_per_period))
        return f".tran {step} {spice_number(stop)} 0 {step} uic"


def _pbit_demo() -> str:
    from circuitsim.models.catalogue.mtj import seeded_params

    pbit = PBit()
    net = pbit.netlist([pbit.input_at(0.5)], [seeded_params(0, 16)])
    net.add(".tran 2e-07 0.0002 0 2e-07 uic")
    net.add(".meas tran mean_output AVG v(out0)")  # P(AP) = 1/2 by the formula: mean ~ vdd / 2
    return net.render()


def _stno_locking_demo() -> str:
    bench = StnoLockingBench()
    net = bench.netlist()
    net.add(bench.tran_line(stop=2e-6))
    net.add(".meas tran rf_pp PP v(out) FROM=1.5e-06 TO=2e-06")
    return net.render()


#: Reference decks for ``netlists/`` (file name -> generator), merged into netlists.reference.
REFERENCE_DECKS = {
    "pbit_demo.cir": _pbit_demo,
    "stno_locking_demo.cir": _stno_locking_demo,
}
