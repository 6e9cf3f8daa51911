"""VO2 active-memristor neurons after Yi et al., Nat. Commun. 9, 4661 (2018): circuits and their spiking behaviours.

Yi et al. show 23 biological spiking behaviours from one "tonic", "phasic" or "mixed-mode" circuit of two VO2
active memristors and four or five passive R and C elements (their Fig. 4 caption; the element values are in their
Supplementary Figs., which could not be read here: every value below is a circuitsim choice, marked so).  The
circuit is the two-channel (Pickett-type) neuron: channel 1 is VO2 device M1 in parallel with C1, biased by
``-v_dc1``, fed by the input through ``r_load1``; channel 2 is M2 in parallel with C2, biased by ``+v_dc2``, driving
the output ``out``, which ``r_load2`` couples to channel 1 and ``r_out`` loads.  The devices are the catalogue's
``vo2`` (:mod:`circuitsim.models.catalogue.mott`).

:class:`VO2Neuron` is the circuit (a frozen dataclass -> :class:`~circuitsim.netlists.netlist.Netlist`), with a
piecewise-linear input ``input_pwl``; :data:`BEHAVIOURS` names the stimulus of each behaviour reproduced here and
:func:`spikes` reads the output spikes.  ``python -m circuitsim.netlists.vo2_neurons --out DIR`` runs them all and
writes one plot per behaviour.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

from circuitsim.netlists.mott_circuits import _check_transient, _mott_device, _positive, _Transient, two_channel_body
from circuitsim.netlists.netlist import Netlist, Pwl

YI_2018 = "W. Yi, K. K. Tsang, S. K. Lam et al., Nat. Commun. 9, 4661 (2018)"


@dataclass(frozen=True)
class VO2Neuron(_Transient):
    """Two-channel VO2 neuron (Yi et al. 2018 topology; element values circuitsim choices).

    Parameters
    ----------
    input_pwl
        The input voltage as ``((t0, v0), (t1, v1), ...)`` (s, V), held after the last point.
    v_dc1, v_dc2
        Bias magnitudes of channel 1 (``-v_dc1``) and channel 2 (``+v_dc2``), V.
    r_load1, r_load2, r_out
        Input, coupling and output resistances (ohm).
    c1, c2
        Channel capacitances (F).
    device_params
        Overrides of the ``vo2`` device parameters (both devices).
    bias_ramp
        The biases rise linearly from 0 over this time (s); inputs should start a few microseconds after it.

    Nodes: ``in``, ``n1`` (channel 1), ``out`` (channel 2, the output), ``b1``, ``b2`` (biases).
    """

    input_pwl: Tuple[Tuple[float, float], ...] = ((0.0, 0.0),)
    v_dc1: float = 6.0
    v_dc2: float = 8.0
    r_load1: float = 12e3
    r_load2: float = 12e3
    r_out: float = 120e3
    c1: float = 150e-12
    c2: float = 75e-12
    device_params: Mapping[str, float] = field(default_factory=dict)
    bias_ramp: float = 5e-6
    stop: float = 30e-6
    step: float = 1e-8
    max_step: float = 2e-8
    reltol: float = 1e-4

    def __post_init__(self) -> None:
        if not self.input_pwl:
            raise ValueError("input_pwl must have at least one point")
        times = [float(t) for t, _ in self.input_pwl]
        if any(b <= a for a, b in zip(times, times[1:])) or times[0] < 0:
            raise ValueError(f"input_pwl times must start at >= 0 and increase, got {times}")
        for name in ("v_dc1", "v_dc2"):
            _positive(getattr(self, name), name, "V")
        for name in ("r_load1", "r_load2", "r_out"):
            _positive(getattr(self, name), name, "ohm")
        for name in ("c1", "c2"):
            _positive(getattr(self, name), name, "F")
        _positive(self.bias_ramp, "bias_ramp", "s")
        _mott_device("vo2", self.device_params)
        _check_transient(self)

    def netlist(self) -> Netlist:
        """The circuit, without an analysis line."""
        net = Netlist("Two-channel VO2 neuron (Yi et al. 2018 topology)")
        times = tuple(float(t) for t, _ in self.input_pwl)
        values = tuple(float(v) for _, v in self.input_pwl)
        if times[0] > 0:
            times, values = (0.0,) + times, (values[0],) + values
        if len(times) == 1:
            times, values = (0.0, self.stop), (values[0], values[0])
        net.vsource("Vin", "in", "0", waveform=Pwl(times, values))
        return two_channel_body(net, self, "vo2")


# ------------------------------------------------------------------------------------------------------------
# Stimuli
# ------------------------------------------------------------------------------------------------------------
EDGE = 20e-9
T0 = 8e-6  # inputs start here, after the bias ramp has settled


def step(amplitude: float, start: float = T0) -> Tuple[Tuple[float, float], ...]:
    """A step of ``amplitude`` V at ``start`` s."""
    return ((0.0, 0.0), (start, 0.0), (start + EDGE, amplitude))


def pulses(*spec: Tuple[float, float, float]) -> Tuple[Tuple[float, float], ...]:
    """Rectangular pulses ``(start, width, amplitude)`` (s, s, V), in time order, on a 0 V baseline."""
    points = [(0.0, 0.0)]
    for start, width, amplitude in spec:
        points += [(start, 0.0), (start + EDGE, amplitude), (start + EDGE + width, amplitude),
                   (start + 2 * EDGE + width, 0.0)]
    return tuple(points)


def spikes(t: np.ndarray, out: np.ndarray, after: float = 6e-6, level: float = 4.5,
           rearm: float = 3.0) -> np.ndarray:
    """Output spike times: ``out`` rising through ``level`` V after falling below ``rearm`` V (rest ~2 V, peak ~6.9 V)."""
    from circuitsim.analysis.oscillators import spike_times

    late = t > after
    return spike_times(t[late], out[late], level, rearm)


def run(circuit: VO2Neuron, engine=None) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run ``circuit`` in ngspice: ``(t, v(in), v(n1), v(out))``."""
    from circuitsim.spice import Tran, get_engine

    result = (engine or get_engine("batch")).run(circuit.netlist(), Tran(**circuit.tran_args()))
    return result["time"], result.v("in"), result.v("n1"), result.v("out")


__all__ = ["YI_2018", "VO2Neuron", "step", "pulses", "spikes", "run"]


#: Behaviours reproduced with the default circuit: name -> (stimulus, what the waveform shows, end time in s).
BEHAVIOURS: Dict[str, Tuple[Tuple[Tuple[float, float], ...], str, float]] = {
    "tonic_spiking": (step(4.0), "a 4 V step: regular spikes as long as it lasts", 24e-6),
    "rest_below_threshold": (step(2.0), "a 2 V step: no spike (the DC threshold lies between 2 and 3 V)", 20e-6),
    "spike_latency_weak": (step(3.0), "a 3 V step, just above threshold: first spike after ~4.7 us", 16e-6),
    "spike_latency_strong": (step(10.0), "a 10 V step: first spike after ~2.3 us", 16e-6),
    "integrator_close": (pulses((T0, 1.5e-6, 4.0), (T0 + 1.8e-6, 1.5e-6, 4.0)),
                         "two 1.5 us, 4 V pulses 0.3 us apart: one spike (they add up)", 18e-6),
    "integrator_far": (pulses((T0, 1.5e-6, 4.0), (T0 + 8e-6, 1.5e-6, 4.0)),
                       "the same pulses 6.5 us apart: no spike (each alone is subthreshold)", 20e-6),
    "all_or_nothing_below": (pulses((T0, 3e-6, 2.0)), "a 3 us, 2 V pulse: no spike", 16e-6),
    "all_or_nothing_above": (pulses((T0, 3e-6, 4.0)), "a 3 us, 4 V pulse: one full-height spike", 16e-6),
    "rebound_spike": (pulses((T0, 2e-6, -6.0)), "a -6 V, 2 us (inhibitory) pulse: one spike after its release",
                      16e-6),
}


def behaviour_circuit(name: str, **overrides) -> VO2Neuron:
    """The default :class:`VO2Neuron` driven by the stimulus of behaviour ``name`` (see :data:`BEHAVIOURS`)."""
    stimulus, _, stop = BEHAVIOURS[name]
    return VO2Neuron(input_pwl=stimulus, stop=stop, **overrides)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m circuitsim.netlists.vo2_neurons --out DIR [NAME ...]``: run behaviours, write ``DIR/NAME.png``."""
    from circuitsim.plotting import new_figure, save_figure

    parser = argparse.ArgumentParser(description="VO2 neuron behaviours (Yi et al. 2018 topology) in ngspice")
    parser.add_argument("--out", required=True, help="folder for the plots")
    parser.add_argument("names", nargs="*", help=f"behaviours (default all): {', '.join(BEHAVIOURS)}")
    args = parser.parse_args(argv)
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    for name in args.names or list(BEHAVIOURS):
        if name not in BEHAVIOURS:
            parser.error(f"unknown behaviour {name!r}; known: {', '.join(BEHAVIOURS)}")
        t, vin, n1, out = run(behaviour_circuit(name))
        times = spikes(t, out)
        fig = new_figure(figsize=(8, 4))
        top, bottom = fig.subplots(2, 1, sharex=True)
        top.plot(t * 1e6, vin, label="input")
        top.set_ylabel("V(in) [V]")
        bottom.plot(t * 1e6, out, label="out")
        bottom.plot(t * 1e6, n1, label="n1", alpha=0.6)
        for s in times:
            bottom.axvline(s * 1e6, color="k", lw=0.5, ls=":")
        bottom.set_xlabel("t [us]")
        bottom.set_ylabel("V [V]")
        bottom.legend(fontsize=8)
        fig.suptitle(f"{name}: {BEHAVIOURS[name][1]} ({len(times)} spikes)")
        fig.tight_layout()
        save_figure(fig, folder / f"{name}.png")
        print(f"{name}: {len(times)} spikes at {', '.join(f'{s * 1e6:.2f}' for s in times)} us -> {folder / name}.png")
    return 0


__all__ += ["BEHAVIOURS", "behaviour_circuit", "main"]

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
