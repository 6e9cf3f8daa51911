"""Drive a device with a voltage waveform in each target and return the same trajectories.

* :func:`simulate_python`: the numpy right-hand side integrated by
  ``scipy.integrate.solve_ivp`` (the reference);
* :func:`simulate_ngspice`: the emitted subcircuit in ngspice;
* :func:`simulate_osdi`: the emitted Verilog-A, compiled by ``openvaf-r``
  (:func:`circuitsim.spice.toolchain.compile_verilog_a`, cached per user) and
  loaded in ngspice with ``pre_osdi``.

All three return a :class:`Trajectory` (time, voltage, current, states).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple, Union

import numpy as np

from circuitsim.models.language import Device
from circuitsim.models.printers import numpy_functions, osdi_module_name, state_node, subckt_text, verilog_a_text
from circuitsim.netlists.netlist import Netlist, Pulse, Sin
from circuitsim.numbers import spice_number


@dataclass(frozen=True)
class Stimulus:
    """A voltage waveform applied across the device's two ports.

    Attributes
    ----------
    kind
        ``"sine"`` (``amplitude`` V, ``frequency`` Hz) or ``"pulse"``
        (``low`` -> ``high`` V, ``width`` and ``period`` s, ``edge`` s).
    stop
        Simulated time (s).
    """

    kind: str
    stop: float
    amplitude: float = 0.0
    frequency: float = 0.0
    low: float = 0.0
    high: float = 0.0
    width: float = 0.0
    period: float = 0.0
    edge: float = 0.0
    delay: float = 0.0

    @classmethod
    def sine(cls, amplitude: float, frequency: float, cycles: float = 2.0) -> "Stimulus":
        return cls("sine", cycles / frequency, amplitude=amplitude, frequency=frequency)

    @classmethod
    def pulse(cls, low: float, high: float, width: float, period: float, cycles: float = 3.0,
              edge: Optional[float] = None, delay: float = 0.0) -> "Stimulus":
        edge = width / 100 if edge is None else edge
        return cls("pulse", delay + cycles * period, low=low, high=high, width=width, period=period, edge=edge,
                   delay=delay)

    @classmethod
    def standard(cls, device: Device, kind: str) -> "Stimulus":
        """The device's standard stimulus (its ``stimulus`` dict) of one kind."""
        s = device.stimulus
        if kind == "sine":
            return cls.sine(s["amplitude"], s["frequency"], s.get("cycles", 2))
        return cls.pulse(s["pulse_low"], s["pulse_high"], s["pulse_width"], s["period"], s.get("cycles", 2))

    def waveform(self):
        if self.kind == "sine":
            return Sin(0.0, self.amplitude, self.frequency)
        return Pulse(self.low, self.high, delay=self.delay, rise=self.edge, fall=self.edge, width=self.width,
                     period=self.period)

    def __call__(self, t: Union[float, np.ndarray]) -> Union[float, np.ndarray]:
        """Voltage at time ``t``, exactly as ngspice's SIN / PULSE define it."""
        t = np.asarray(t, dtype=float)
        if self.kind == "sine":
            return self.amplitude * np.sin(2 * np.pi * self.frequency * t)
        phase = np.where(t < self.delay, -1.0, np.mod(t - self.delay, self.period))
        rise = np.clip(phase / self.edge, 0.0, 1.0)
        fall = np.clip((phase - self.edge - self.width) / self.edge, 0.0, 1.0)
        level = np.where(phase < 0, 0.0, rise - fall)
        return self.low + (self.high - self.low) * level

    @property
    def max_step(self) -> float:
        if self.kind == "sine":
            return 1.0 / (self.frequency * 400)
        # The edges need no small cap: ngspice puts breakpoints at PULSE corners, and the Python
        # reference integrates between them.
        return min(self.width, self.period - self.width - 2 * self.edge) / 50

    def breakpoints(self) -> np.ndarray:
        if self.kind == "sine":
            return np.array([0.0, self.stop])
        starts = np.arange(self.delay, self.stop, self.period)
        corners = np.concatenate([starts, starts + self.edge, starts + self.edge + self.width,
                                  starts + 2 * self.edge + self.width, [0.0, self.stop]])
        return np.unique(corners[(corners >= 0) & (corners <= self.stop)])


@dataclass
class Trajectory:
    """Time series of one device run: ``t`` (s), ``v`` (V), ``i`` (A) and ``states`` (by name)."""

    t: np.ndarray
    v: np.ndarray
    i: np.ndarray
    states: Dict[str, np.ndarray]
    dense: Optional[Callable[[np.ndarray], np.ndarray]] = None

    def states_at(self, t: np.ndarray) -> Dict[str, np.ndarray]:
        """States at times ``t``: the integrator's own interpolant when there is one, else linear."""
        if self.dense is not None:
            values = self.dense(np.asarray(t, dtype=float))
            return {name: values[k] for k, name in enumerate(self.states)}
        return {name: np.interp(t, self.t, series) for name, series in self.states.items()}


def simulate_python(device: Device, stimulus: Stimulus, values: Optional[Dict[str, float]] = None,
                    rtol: float = 1e-9, atol: Optional[float] = None) -> Trajectory:
    """Integrate the device's numpy right-hand side under ``stimulus`` (the reference).

    The run is split at the waveform's corners so the integrator never steps over an edge.
    """
    from scipy.integrate import solve_ivp

    values = device.validate(**(values or {}))
    current_of, rates_of, order = numpy_functions(device)
    y0 = np.array([values[s.initial_param] for s in device.states], dtype=float)
    bounds = device.state_bounds(values)
    spans = np.array([bounds[s.initial_param][1] - bounds[s.initial_param][0] for s in device.states])
    atol = spans * 1e-10 if atol is None else atol

    def rhs(t, y):
        return rates_of(float(stimulus(t)), y, values)

    times, ys = [], []
    segments: List[Tuple[float, Callable]] = []
    corners = stimulus.breakpoints()
    y = y0
    for start, end in zip(corners[:-1], corners[1:]):
        if end <= start:
            continue
        solution = solve_ivp(rhs, (start, end), y, method="LSODA", rtol=rtol, atol=atol,
                             max_step=stimulus.max_step, dense_output=True)
        segments.append((end, solution.sol))
        if not solution.success:
            raise RuntimeError(f"{device.name}: the Python reference failed at t = {solution.t[-1]:g} s: "
                               f"{solution.message}")
        times.append(solution.t if not times else solution.t[1:])
        ys.append(solution.y if not ys else solution.y[:, 1:])
        y = solution.y[:, -1]
    t = np.concatenate(times)
    states = np.concatenate(ys, axis=1)
    v = stimulus(t)
    i = current_of(v, states, values)
    ends = np.array([end for end, _ in segments])

    def dense(at: np.ndarray) -> np.ndarray:
        which = np.minimum(np.searchsorted(ends, at), len(segments) - 1)
        out = np.empty((len(order), at.size))
        for k in np.unique(which):
            mask = which == k
            out[:, mask] = segments[k][1](at[mask])
        return out

    return Trajectory(t, v, np.broadcast_to(i, t.shape).astype(float),
                      {name: states[k] for k, name in enumerate(order)}, dense)


def _testbench(device: Device, stimulus: Stimulus, instance_line: str, values: Dict[str, float]) -> Netlist:
    net = Netlist(f"{device.name} testbench")
    net.vsource("Vdrive", "drive", "0", waveform=stimulus.waveform())
    net.add(instance_line)
    net.options(reltol=1e-6, abstol=1e-15, vntol=1e-9)
    return net


def simulate_ngspice(device: Device, stimulus: Stimulus, values: Optional[Dict[str, float]] = None,
                     engine=None, library: Optional[str] = None) -> Trajectory:
    """Run the emitted subcircuit in ngspice under ``stimulus``.

    Parameters
    ----------
    library
        Subckt text to use (default: freshly emitted); pass a file's content to test a checked-in ``.lib``.
    """
    from circuitsim.spice import Tran, get_engine

    values = device.validate(**(values or {}))
    text = library if library is not None else subckt_text(device)
    params = " ".join(f"{k}={spice_number(v)}" for k, v in values.items())
    net = _testbench(device, stimulus, f"Xdut drive 0 {device.name} {params}", values)
    for line in text.splitlines():
        net.add(line)
    own = engine is None
    engine = engine or get_engine("batch")
    try:
        result = engine.run(net, Tran(stimulus.max_step, stimulus.stop, max_step=stimulus.max_step, uic=True))
    finally:
        if own:
            engine.close()
    states = {s.name: values[s.initial_param] + result.v(f"xdut.{state_node(s.name)}") for s in device.states}
    return Trajectory(result["time"], result.v("drive"), -result.i("vdrive"), states)


def compile_verilog_a(device: Device, folder: Optional[Union[str, Path]] = None) -> Path:
    """Compile a language device's emitted Verilog-A; returns the ``.osdi`` path.

    A convenience over :func:`circuitsim.spice.toolchain.compile_verilog_a` (which also compiles a user's
    own ``.va`` file): the text is :func:`~circuitsim.models.printers.verilog_a_text` of ``device`` with
    the module named :func:`~circuitsim.models.printers.osdi_module_name`, the cache folder by default
    the user's private :func:`~circuitsim.spice.toolchain.osdi_cache_folder`.
    """
    from circuitsim.spice.toolchain import compile_verilog_a as compile_text

    return compile_text(verilog_a_text(device, module=osdi_module_name(device)), folder, name=device.name)


def simulate_osdi(device: Device, stimulus: Stimulus, values: Optional[Dict[str, float]] = None,
                  osdi_folder: Optional[Union[str, Path]] = None, engine=None) -> Trajectory:
    """Run the compiled Verilog-A through ngspice's OSDI loader under ``stimulus``.

    Parameters
    ----------
    osdi_folder
        Where to compile to; default the user's private OSDI cache.
    """
    from circuitsim.spice import get_engine

    values = device.validate(**(values or {}))
    osdi = compile_verilog_a(device, osdi_folder)
    params = " ".join(f"{k}={spice_number(v)}" for k, v in values.items())
    net = _testbench(device, stimulus, "Ndut drive 0 dut_model", values)
    net.add(f".model dut_model {osdi_module_name(device)} {params}")
    net.add(".control")
    net.add(f"pre_osdi {osdi}")
    step = spice_number(stimulus.max_step)
    net.add(f"tran {step} {spice_number(stimulus.stop)} 0 {step} uic")
    net.add(".endc")
    own = engine is None
    engine = engine or get_engine("shared")
    try:
        result = engine.run(net)
    finally:
        if own:
            engine.close()
    # ngspice names an OSDI instance's internal node INSTANCE#NODE.
    states = {s.name: values[s.initial_param] + result[f"v(ndut#{state_node(s.name)})"] for s in device.states}
    return Trajectory(result["time"], result.v("drive"), -result.i("vdrive"), states)


def compare(device: Device, reference: Trajectory, other: Trajectory, values: Optional[Dict[str, float]] = None
            ) -> Dict[str, float]:
    """Largest differences of ``other`` (ngspice or OSDI) against ``reference`` (Python).

    States are continuous, so the reference is evaluated on ``other``'s time
    grid (with the integrator's dense output, not a linear interpolation of
    its possibly long steps) and compared there, relative to the reference's range of that
    state (or to 1 for a constant state).  The current jumps with the
    stimulus' edges, where interpolation would invent errors; it is compared
    instead against the model's current evaluated at ``other``'s own voltage
    and the interpolated reference states, relative to the largest current.

    Returns
    -------
    dict
        ``{"current": ..., "<state>": ...}``, each a relative maximum error.
    """
    values = device.validate(**(values or {}))
    current_of, _, order = numpy_functions(device)
    states_ref = reference.states_at(other.t)
    i_ref = np.broadcast_to(current_of(other.v, [states_ref[name] for name in order], values), other.t.shape)
    out = {"current": float(np.max(np.abs(other.i - i_ref)) / max(np.max(np.abs(i_ref)), 1e-300))}
    for name in order:
        span = float(np.ptp(reference.states[name])) or 1.0
        out[name] = float(np.max(np.abs(other.states[name] - states_ref[name])) / span)
    return out
