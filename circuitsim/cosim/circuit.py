"""The circuit a co-simulation steps: a crossbar of catalogue devices (plus neurons) whose states carry over.

:class:`CrossbarCircuit` writes the deck of one step.  Every cell is the
catalogue device's own subckt (states integrate in the transient); its state
``s`` is ``initial + V(xg<i>_<j>.s_<state>)``.  Rows and columns are driven
by a :class:`~circuitsim.netlists.programming.LineProgram` (PWL text in
restart mode, ``external`` sources fed from Python in lock-step mode); extra
circuitry (a neuron, its control sources) comes as text lines and named
sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from circuitsim.models.catalogue import get_device
from circuitsim.models.printers import state_node
from circuitsim.netlists.crossbar import CatalogueCell, CrossbarSpec, LineSources, crossbar_netlist
from circuitsim.numbers import spice_number

__all__ = ["BACKENDS", "CrossbarCircuit", "Waveform"]

BACKENDS = ("osdi", "subckt")

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
        Catalogue name of the cell device.
    shape
        ``(rows, columns)``.
    params
        Device parameter overrides, the same for every cell.
    r_row, r_col, r_source, r_sense
        Wire, driver and sense resistances (ohm, > 0), as in
        :class:`~circuitsim.netlists.crossbar.CrossbarSpec`.
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

    device: str
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
        self.model = get_device(self.device)
        if self.backend == "auto":
            from circuitsim.spice.toolchain import find_openvaf

            self.backend = "osdi" if find_openvaf() else "subckt"
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS} or 'auto', got {self.backend!r}")
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
        values = self.model.validate(**self.params)
        out = {}
        for s in self.model.states:
            lo, hi = (float(values[b]) if isinstance(b, str) else float(b) for b in (s.lower, s.upper))
            out[s.initial_param] = (lo, hi)
        return out

    def state_vectors(self) -> Dict[str, List[str]]:
        """Names of the state-node vectors, per state, row-major."""
        m, n = self.shape
        if self.backend == "osdi":    # ngspice names an OSDI instance's internal node INSTANCE#NODE
            return {s.initial_param: [f"v(ng{i}_{j}#{state_node(s.name)})" for i in range(m) for j in range(n)]
                    for s in self.model.states}
        return {s.initial_param: [f"v(xg{i}_{j}.{state_node(s.name)})" for i in range(m) for j in range(n)]
                for s in self.model.states}

    def osdi_file(self) -> str:
        """The compiled Verilog-A of the device (compiled once, cached by content)."""
        if getattr(self, "_osdi", None) is None:
            import tempfile
            from pathlib import Path

            from circuitsim.analysis.devices import compile_verilog_a

            try:
                self._osdi = str(compile_verilog_a(self.model, Path(tempfile.gettempdir()) / "circuitsim-osdi"))
            except FileNotFoundError as exc:
                raise FileNotFoundError(f"{exc}; or use backend='subckt'") from None
        return self._osdi

    def pre_commands(self) -> List[str]:
        """ngspice commands to give before loading the deck in the shared library (loading the OSDI library)."""
        return [f"osdi {self.osdi_file()}"] if self.backend == "osdi" else []

    def vectors(self) -> List[str]:
        """Every vector a step reads: column currents, probes, state nodes."""
        names = [f"i(vs{j})" for j in range(self.shape[1])] + [p.lower() for p in self.probes]
        for names_ in self.state_vectors().values():
            names += names_
        return names

    def final_states(self, data: Dict[str, np.ndarray], initial: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        """States at the step's end: the deck's initial state + the state node's last value, within bounds."""
        bounds = self.state_bounds()
        out = {}
        for name, names in self.state_vectors().items():
            delta = np.array([data[v][-1] for v in names]).reshape(self.shape)
            lo, hi = bounds[name]
            out[name] = np.clip(initial[name] + delta, lo, hi)
        return out

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
        if self.backend == "osdi":
            cell: Any = _OsdiCells(self.model, dict(states), self.params)
        else:
            cell = CatalogueCell(self.model, dict(states), self.params, dynamic=True)
        spec = CrossbarSpec(np.ones(self.shape), np.zeros(m), self.r_row, self.r_col, self.r_source, self.r_sense,
                            cell=cell, sources=line_sources)
        text = crossbar_netlist(spec, title=f"co-simulation step: {self.device} crossbar {m}x{n}", analysis=None,
                                save_currents_only=True)
        body = text[: text.rstrip().rfind(".end")].rstrip("\n").splitlines()
        body += list(self.extra_lines)
        for name, (plus, minus) in self.extra_sources.items():
            body.append(f"V{name} {plus} {minus} {extra.get(name, '0')}")
        saved = [p.lower() for p in self.probes]
        for names in self.state_vectors().values():
            saved += names
        for k in range(0, len(saved), 64):
            body.append(".save " + " ".join(saved[k:k + 64]))
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


class _OsdiCells:
    """Crossbar cells as OSDI instances ``Ng<i>_<j> r<i>_<j> c<i>_<j> m<i>_<j>``, one model card per cell."""

    def __init__(self, device: Any, states: Dict[str, np.ndarray], params: Dict[str, float]):
        self.device, self.states, self.params = device, states, params

    def check(self, m: int, n: int) -> None:
        for name, arr in self.states.items():
            if np.shape(arr) != (m, n) or not np.all(np.isfinite(arr)):
                raise ValueError(f"{self.device.name}: state array {name!r} must be finite, shape ({m}, {n})")

    def definitions(self) -> List[str]:
        return []

    def lines(self, m: int, n: int, conductance: np.ndarray) -> List[str]:
        names = list(self.states)
        common = "".join(f" {k}={spice_number(v)}" for k, v in self.params.items())
        values = np.stack([self.states[k] for k in names], axis=-1)
        out = []
        for i in range(m):
            for j in range(n):
                slots = "".join(f" {k}={v:.15g}" for k, v in zip(names, values[i, j]))
                out.append(f".model m{i}_{j} {self.device.name}{slots}{common}")
                out.append(f"Ng{i}_{j} r{i}_{j} c{i}_{j} m{i}_{j}")
        return out
