"""A small netlist builder that writes every number as plain ``%.15g``.

>>> net = Netlist("rc")
>>> net.vsource("V1", "in", "0", pulse=Pulse(0, 1, width=1e-3, period=2e-3))
>>> net.resistor("R1", "in", "out", 1e3)
>>> net.capacitor("C1", "out", "0", 1e-6)
>>> print(net.render())  # doctest: +SKIP

PySpice users can bring their circuits in (:meth:`Netlist.from_pyspice`, which
rewrites PySpice's unit suffixes as plain numbers: PySpice writes two amperes
as ``2A``, which SPICE reads as two atto-amperes) and take them out
(:meth:`Netlist.to_pyspice`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from circuitsim.numbers import plain_numbers, spice_number

Number = Union[int, float]
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")
_NODE = re.compile(r"^[A-Za-z0-9_.:\-\[\]<>#+]+$")


def _check_name(name: str, letter: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"element name {name!r} is not a SPICE name (a letter, then letters, digits, _ . -)")
    if name[0].upper() != letter:
        raise ValueError(f"element name {name!r} must start with {letter!r} for this element kind")
    return name


def _check_node(node: Any, what: str) -> str:
    node = str(node)
    if not _NODE.match(node):
        raise ValueError(f"{what} {node!r} is not a valid node name (no spaces, parentheses, '=' or commas)")
    return node


def _positive(value: Number, name: str) -> str:
    text = spice_number(value, name)
    if not float(value) > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return text


def _non_negative(value: Number, name: str) -> str:
    text = spice_number(value, name)
    if float(value) < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return text


def _initial_condition(name: str, ic: Optional[Number]) -> str:
    return "" if ic is None else f" ic={spice_number(ic, f'{name} ic')}"


@dataclass(frozen=True)
class Pulse:
    """``PULSE(v1 v2 delay rise fall width period)`` waveform (volts or amperes, seconds)."""

    initial: float
    pulsed: float
    delay: float = 0.0
    rise: float = 1e-9
    fall: float = 1e-9
    width: float = 1e-6
    period: float = 2e-6

    def render(self) -> str:
        for name in ("delay", "rise", "fall", "width", "period"):
            _non_negative(getattr(self, name), f"pulse {name}")
        values = [self.initial, self.pulsed, self.delay, self.rise, self.fall, self.width, self.period]
        names = ["initial", "pulsed", "delay", "rise", "fall", "width", "period"]
        return "pulse(" + " ".join(spice_number(v, f"pulse {n}") for v, n in zip(values, names)) + ")"


@dataclass(frozen=True)
class Sin:
    """``SIN(offset amplitude frequency delay damping)`` waveform."""

    offset: float
    amplitude: float
    frequency: float
    delay: float = 0.0
    damping: float = 0.0

    def render(self) -> str:
        _positive(self.frequency, "sin frequency")
        values = [self.offset, self.amplitude, self.frequency, self.delay, self.damping]
        return "sin(" + " ".join(spice_number(v, "sin parameter") for v in values) + ")"


@dataclass(frozen=True)
class Pwl:
    """Piece-wise linear waveform from ``times`` (s, increasing) and ``values``."""

    times: Sequence[float]
    values: Sequence[float]

    def render(self) -> str:
        if len(self.times) != len(self.values) or not len(self.times):
            raise ValueError("pwl times and values must be non-empty and of equal length")
        if any(b < a for a, b in zip(self.times, self.times[1:])):
            raise ValueError("pwl times must not decrease")
        pairs = " ".join(f"{spice_number(t, 'pwl time')} {spice_number(v, 'pwl value')}"
                         for t, v in zip(self.times, self.values))
        return f"pwl({pairs})"


Waveform = Union[Pulse, Sin, Pwl]


class Netlist:
    """An ngspice netlist built line by line.

    Parameters
    ----------
    title
        The first line of the deck (SPICE always treats line one as the title).
    """

    def __init__(self, title: str = "circuitsim netlist"):
        if "\n" in title:
            raise ValueError("title must be one line")
        self.title = title
        self.lines: List[str] = []
        self._names: Dict[str, int] = {}
        self._definitions: Dict[str, str] = {}
        self._osdi: Dict[str, Path] = {}

    # -- generic ----------------------------------------------------------------
    def add(self, line: str) -> "Netlist":
        """Append one raw line (a comment, a dot-command, an element written by hand)."""
        if "\n" in line:
            raise ValueError("add() takes one line; call it once per line")
        self.lines.append(line)
        return self

    def _element(self, name: str, letter: str, nodes: Iterable[Any], rest: str) -> "Netlist":
        _check_name(name, letter)
        key = name.lower()
        if key in self._names:
            raise ValueError(f"element {name!r} is already in the netlist")
        node_text = " ".join(_check_node(n, f"node of {name}") for n in nodes)
        self._names[key] = len(self.lines)
        return self.add(f"{name} {node_text} {rest}".rstrip())

    @staticmethod
    def _params(params: Mapping[str, Any]) -> str:
        return " ".join(f"{key}={spice_number(value, key)}" for key, value in params.items())

    # -- elements ------------------------------------------------------------
    def resistor(self, name: str, n1: Any, n2: Any, resistance: Number) -> "Netlist":
        """Resistor of ``resistance`` ohm (> 0)."""
        return self._element(name, "R", (n1, n2), _positive(resistance, f"{name} resistance"))

    def capacitor(self, name: str, n1: Any, n2: Any, capacitance: Number, ic: Optional[Number] = None
                  ) -> "Netlist":
        """Capacitor of ``capacitance`` farad (>= 0), optional initial voltage (used with ``uic``)."""
        return self._element(name, "C", (n1, n2), _non_negative(capacitance, f"{name} capacitance")
                             + _initial_condition(name, ic))

    def inductor(self, name: str, n1: Any, n2: Any, inductance: Number, ic: Optional[Number] = None
                 ) -> "Netlist":
        """Inductor of ``inductance`` henry (> 0), optional initial current."""
        return self._element(name, "L", (n1, n2), _positive(inductance, f"{name} inductance")
                             + _initial_condition(name, ic))

    def _source(self, name: str, letter: str, plus: Any, minus: Any, dc: Optional[Number],
                ac: Optional[Number], waveform: Optional[Waveform], external: bool) -> "Netlist":
        parts = []
        if external:
            if dc is not None or waveform is not None:
                raise ValueError(f"{name}: an external source takes no dc value or waveform "
                                 "(ngspice crashes on 'dc 0 external')")
            parts.append("external")
        if dc is not None:
            parts.append(f"dc {spice_number(dc, f'{name} dc')}")
        if ac is not None:
            parts.append(f"ac {spice_number(ac, f'{name} ac')}")
        if waveform is not None:
            parts.append(waveform.render())
        if not parts:
            parts.append("dc 0")
        return self._element(name, letter, (plus, minus), " ".join(parts))

    def vsource(self, name: str, plus: Any, minus: Any, dc: Optional[Number] = None, *, ac: Optional[Number] = None,
                waveform: Optional[Waveform] = None, external: bool = False) -> "Netlist":
        """Independent voltage source (V): a DC value, an AC magnitude, a waveform, or ``external``."""
        return self._source(name, "V", plus, minus, dc, ac, waveform, external)

    def isource(self, name: str, plus: Any, minus: Any, dc: Optional[Number] = None, *, ac: Optional[Number] = None,
                waveform: Optional[Waveform] = None, external: bool = False) -> "Netlist":
        """Independent current source (A), flowing from ``plus`` through the source to ``minus``."""
        return self._source(name, "I", plus, minus, dc, ac, waveform, external)

    def behavioural(self, name: str, plus: Any, minus: Any, *, v: Optional[str] = None,
                    i: Optional[str] = None) -> "Netlist":
        """Behavioural source (B) with ``v=EXPR`` or ``i=EXPR``."""
        if (v is None) == (i is None):
            raise ValueError(f"{name}: give exactly one of v= or i=")
        expression = v if v is not None else i
        if "\n" in expression:
            raise ValueError(f"{name}: the expression must be one line")
        return self._element(name, "B", (plus, minus), f"{'V' if v is not None else 'I'}={expression}")

    def subcircuit(self, name: str, subckt: str, nodes: Sequence[Any], **params: Number) -> "Netlist":
        """Subcircuit instance ``Xname nodes... subckt [params: k=v ...]``."""
        if not _NAME.match(subckt):
            raise ValueError(f"subcircuit name {subckt!r} is not a SPICE name")
        rest = subckt + (f" {self._params(params)}" if params else "")
        return self._element(name, "X", nodes, rest)

    def device(self, name: str, device: Any, nodes: Sequence[Any], **params: Number) -> "Netlist":
        """Instance of a device, its definition added once.

        * A :class:`~circuitsim.models.language.Device` (the catalogue's or your own): ``X`` element of its
          subcircuit, whose text is added once per device.
        * A :class:`~circuitsim.models.verilog_a.VerilogADevice` (your own Verilog-A): ``N`` element with
          its own card ``.model <name>_card <module> (params)`` (only the parameters given here; the model
          computes the others' defaults itself).  The model is compiled with ``openvaf-r`` (cached by
          content) and :meth:`render` loads it with ``pre_osdi`` (see :attr:`osdi_files`).

        The parameters are checked by ``device.validate`` first: a bad value
        raises ``ValueError`` naming the parameter before any line is written.
        """
        from circuitsim.models.verilog_a import VerilogADevice

        if isinstance(device, VerilogADevice):
            return self._osdi_device(name, device, nodes, params)
        from circuitsim.models.printers import subckt_text

        device.validate(**params)
        if len(nodes) != len(device.ports):
            raise ValueError(f"{name}: {device.name} has ports {device.ports}, got {len(nodes)} nodes")
        self._definitions.setdefault(device.name, subckt_text(device).rstrip("\n"))
        return self.subcircuit(name, device.name, nodes, **params)

    def _osdi_device(self, name: str, device: Any, nodes: Sequence[Any], params: Mapping[str, Number]
                     ) -> "Netlist":
        if isinstance(name, str) and name[:1].upper() != "N":
            raise ValueError(f"element name {name!r}: a Verilog-A device ({device.name}) is an OSDI instance, "
                             "whose name must start with 'N' (e.g. 'N1')")
        _check_name(name, "N")
        if name.lower() in self._names:
            raise ValueError(f"element {name!r} is already in the netlist")
        if len(nodes) != len(device.ports):
            raise ValueError(f"{name}: {device.name} has ports {device.ports}, got {len(nodes)} nodes")
        card = device.model_card(f"{name}_card", params)      # validates the parameters
        osdi = device.osdi_file()
        self._element(name, "N", nodes, f"{name}_card")
        self.add(card)
        self._osdi.setdefault(str(osdi), Path(osdi))
        return self

    def element(self, name: str, nodes: Sequence[Any], model: str, **params: Number) -> "Netlist":
        """Any other element with a model (``D1 a k dmod``, ``M1 d g s b nmos w=1e-6``)."""
        if not _NAME.match(model):
            raise ValueError(f"model name {model!r} is not a SPICE name")
        rest = model + (f" {self._params(params)}" if params else "")
        return self._element(name, name[:1].upper(), nodes, rest)

    # -- dot commands --------------------------------------------------------
    def model(self, name: str, kind: str, **params: Number) -> "Netlist":
        """``.model NAME KIND (k=v ...)``."""
        return self.add(f".model {name} {kind}" + (f" ({self._params(params)})" if params else ""))

    def include(self, path: Union[str, Path]) -> "Netlist":
        """``.include PATH`` (quoted when it contains spaces)."""
        text = str(path)
        return self.add(f'.include "{text}"' if " " in text else f".include {text}")

    def param(self, **values: Number) -> "Netlist":
        """``.param k=v ...``."""
        return self.add(f".param {self._params(values)}")

    def options(self, *flags: str, **values: Number) -> "Netlist":
        """``.options flag ... k=v ...``."""
        parts = list(flags) + ([self._params(values)] if values else [])
        return self.add(".options " + " ".join(parts))

    def initial_conditions(self, **voltages: Number) -> "Netlist":
        """``.ic v(node)=value ...`` (node names as keywords; used with ``uic``)."""
        return self.add(".ic " + " ".join(f"v({_check_node(n, 'ic node')})={spice_number(v, f'ic of {n}')}"
                                          for n, v in voltages.items()))

    def save(self, *vectors: str) -> "Netlist":
        """``.save`` only these vectors (``v(out)``, ``i(v1)``): smaller results for big circuits."""
        return self.add(".save " + " ".join(vectors))

    # -- output --------------------------------------------------------------
    @property
    def osdi_files(self) -> List[Path]:
        """The compiled Verilog-A libraries the deck's ``N`` devices need, in the order they were added."""
        return list(self._osdi.values())

    def pre_commands(self) -> List[str]:
        """ngspice commands that load :attr:`osdi_files` before the deck (for a lock-step session, which
        takes the deck without a ``.control`` block: ``render(load_osdi=False)``)."""
        return [f"osdi {path}" for path in self._osdi.values()]

    def _osdi_lines(self) -> List[str]:
        for path in self._osdi.values():
            if any(c.isspace() for c in str(path)):
                raise ValueError(f"ngspice cannot load an OSDI library whose path has spaces: {path}; "
                                 "compile it into another folder (VerilogADevice.osdi_file(folder))")
        return [f"pre_osdi {path}" for path in self._osdi.values()]

    def render(self, load_osdi: bool = True) -> str:
        """The deck text, ending with ``.end``.

        Parameters
        ----------
        load_osdi
            When the netlist holds Verilog-A devices, load their libraries in the deck: ``pre_osdi`` lines go
            into the netlist's own ``.control`` block if it has one, else into a block ``.control`` /
            ``pre_osdi ...`` / ``run`` / ``.endc`` (``run`` runs the deck's analysis line, e.g. the one
            ``engine.run(netlist, Tran(...))`` adds; both engines and ``ngspice -b`` read it).  ``False``
            leaves them out: load them with :meth:`pre_commands`.
        """
        lines = list(self.lines)
        tail: List[str] = []
        if self._osdi and load_osdi:
            control = next((k for k, line in enumerate(lines) if line.strip().lower().startswith(".control")),
                           None)
            if control is None:
                tail = [".control", *self._osdi_lines(), "run", ".endc"]
            else:
                lines[control + 1:control + 1] = self._osdi_lines()
        return "\n".join([self.title, *lines, *self._definitions.values(), *tail, ".end"]) + "\n"

    def __str__(self) -> str:
        return self.render()

    def write(self, path: Union[str, Path], load_osdi: bool = True) -> Path:
        """Write the deck (:meth:`render`) to ``path`` and return it."""
        path = Path(path)
        path.write_text(self.render(load_osdi))
        return path

    # -- PySpice -------------------------------------------------------------
    @classmethod
    def from_pyspice(cls, circuit: Any) -> "Netlist":
        """Import a PySpice ``Circuit``, rewriting its unit-suffixed values as plain numbers."""
        text = str(circuit)
        lines = [line for line in text.splitlines() if line.strip()]
        title = "pyspice circuit"
        if lines and lines[0].lower().startswith(".title"):
            title = lines.pop(0)[len(".title"):].strip() or title
        netlist = cls(title)
        for line in lines:
            if line.strip().lower() == ".end":
                continue
            netlist.add(plain_numbers(line))
        return netlist

    def to_pyspice(self) -> Any:
        """Export as a PySpice ``Circuit``: the lines and the subckt definitions the devices need, as raw SPICE.

        Raises
        ------
        ValueError
            The netlist holds a Verilog-A device: PySpice's simulator cannot load its OSDI library; run
            :meth:`render`'s text with circuitsim's engines or ``ngspice -b`` instead.
        """
        from PySpice.Spice.Netlist import Circuit

        if self._osdi:
            raise ValueError(f"{self.title}: a Verilog-A device ({', '.join(self._osdi)}) needs its compiled OSDI "
                             "library loaded before the deck, which a PySpice Circuit cannot carry; run "
                             "netlist.render() with circuitsim's engines or ngspice -b instead")
        circuit = Circuit(self.title)
        circuit.raw_spice = "\n".join([*self.lines, *self._definitions.values()])
        return circuit
