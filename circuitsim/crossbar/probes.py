"""Every element, node and vector name of a crossbar deck, in one place.

Layer: the bottom of :mod:`circuitsim.crossbar` (imports numpy only).  The
cells (:mod:`circuitsim.crossbar.cells`), the generator
(:mod:`circuitsim.crossbar.netlist`) and every reader of a result take their
names from here; nothing else formats or parses them.

Names (``i`` the row, ``j`` the column, 0-based):

* row node / column node: ``r<i>_<j>`` / ``c<i>_<j>`` (the cell sits between them);
* cell internal node: ``m<i>_<j>`` (1S1R threshold cell, 1T1R);
* driver: ``Vin<i>`` from ``in<i>``, through ``Rsrc<i>`` (and ``Rsrcb<i>`` at the far end with
  ``drive="both"``);
* wires: ``Rrow<i>_<j>`` (``r<i>_<j> - r<i>_<j+1>``), ``Rcol<i>_<j>`` (``c<i>_<j> - c<i+1>_<j>``);
* sense: ``Rsense<j>`` to ``s<j>``, held by ``Vs<j>``; the column current is the vector ``i(vs<j>)``;
* TIA: ``Rsense<j>`` ends at ``x<j>``, ``Vs<j>`` from ``x<j>`` to ``s<j>``, ``Rf<j>`` from ``o<j>``,
  ``Etia<j>`` (and ``Vu<j>`` at ``u<j>`` for a non-zero reference); output ``v(o<j>)``;
* word line (1T1R): ``Vwl<i>`` at ``w<i>``;
* cell instance: ``<E>g<i>_<j>``, ``E`` the element letter of the cell (``R``, ``B``, ``M``, ``X`` for
  a subckt, ``N`` for OSDI); a per-cell model card ``mg<i>_<j>``;
* state of a dynamic cell: subckt ``v(xg<i>_<j>.<node>)``, OSDI ``v(ng<i>_<j>#<node>)`` (``<node>``
  is the cell's internal state node, e.g. ``s_x``).

An ideal (0 ohm) resistor is written as a 0 V source whose name is the
resistor's with ``V`` in front (``VRrow0_1``).

Row templates: a deck of a 1024 x 1024 array has three million lines, so the
text is built one array row at a time from a template in which :data:`ROW`
stands for ``i`` and :data:`NEXT_ROW` for ``i + 1`` (:func:`row_lines`); every
name function accepts those placeholders for ``i``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = [
    "NEXT_ROW",
    "ROW",
    "CrossbarProbes",
    "cell_element",
    "cell_model",
    "column_node",
    "column_wire",
    "driver",
    "driver_node",
    "feedback_resistor",
    "internal_node",
    "row_lines",
    "row_node",
    "row_wire",
    "save_lines",
    "sense_node",
    "sense_resistor",
    "sense_source",
    "source_resistor",
    "tia_amplifier",
    "tia_input_node",
    "tia_output_node",
    "tia_reference",
    "tia_reference_node",
    "word_line",
    "word_line_source",
]

#: placeholder for the row index ``i`` in a row template (:func:`row_lines`)
ROW = "\x00"
#: placeholder for ``i + 1`` in a row template
NEXT_ROW = "\x01"

Index = Union[int, str]


# --------------------------------------------------------------------------- nodes


def row_node(i: Index, j: Index) -> str:
    """Row node ``(i, j)``."""
    return f"r{i}_{j}"


def column_node(i: Index, j: Index) -> str:
    """Column node ``(i, j)``."""
    return f"c{i}_{j}"


def internal_node(i: Index, j: Index) -> str:
    """Internal node of cell ``(i, j)`` (between its memory element and its selector / transistor)."""
    return f"m{i}_{j}"


def driver_node(i: Index) -> str:
    """The node of row ``i``'s driver source."""
    return f"in{i}"


def sense_node(j: Index) -> str:
    """Column ``j``'s sense node (the virtual ground, or the TIA's inverting input)."""
    return f"s{j}"


def tia_input_node(j: Index) -> str:
    """Where ``Rsense<j>`` ends when a TIA is present (the ammeter ``Vs<j>`` joins it to the sense node)."""
    return f"x{j}"


def tia_output_node(j: Index) -> str:
    """The TIA's output node."""
    return f"o{j}"


def tia_reference_node(j: Index) -> str:
    """The TIA's non-inverting input, when the column's voltage is not 0."""
    return f"u{j}"


def word_line(i: Index) -> str:
    """Row ``i``'s word line (the gates of a 1T1R row)."""
    return f"w{i}"


# --------------------------------------------------------------------------- elements


def driver(i: Index) -> str:
    """Row ``i``'s driver source."""
    return f"Vin{i}"


def source_resistor(i: Index, far_end: bool = False) -> str:
    """Row ``i``'s driver resistor at column 0, or at column ``N-1`` (``far_end``, ``drive="both"``)."""
    return f"Rsrcb{i}" if far_end else f"Rsrc{i}"


def row_wire(i: Index, j: Index) -> str:
    """The row wire segment from row node ``(i, j)`` to ``(i, j+1)``."""
    return f"Rrow{i}_{j}"


def column_wire(i: Index, j: Index) -> str:
    """The column wire segment from column node ``(i, j)`` to ``(i+1, j)``."""
    return f"Rcol{i}_{j}"


def sense_resistor(j: Index) -> str:
    """Column ``j``'s sense resistor."""
    return f"Rsense{j}"


def sense_source(j: Index) -> str:
    """The source holding column ``j``'s sense node (its branch current is the column current)."""
    return f"Vs{j}"


def feedback_resistor(j: Index) -> str:
    """The TIA's feedback resistor."""
    return f"Rf{j}"


def tia_amplifier(j: Index) -> str:
    """The TIA's op-amp (a voltage-controlled voltage source)."""
    return f"Etia{j}"


def tia_reference(j: Index) -> str:
    """The source of the TIA's non-inverting input."""
    return f"Vu{j}"


def word_line_source(i: Index) -> str:
    """The source of row ``i``'s word line."""
    return f"Vwl{i}"


def cell_element(element: str, i: Index, j: Index) -> str:
    """Instance of cell ``(i, j)``: ``element`` is its SPICE letter (``R``, ``B``, ``M``, ``X``, ``N``)."""
    return f"{element}g{i}_{j}"


def cell_model(i: Index, j: Index) -> str:
    """A per-cell ``.model`` card (OSDI cells carry their state in it)."""
    return f"mg{i}_{j}"


# --------------------------------------------------------------------------- row templates


def row_lines(m: int, template: str, values: Optional[List[list]] = None, start: int = 0) -> List[str]:
    """One text block per array row ``i`` in ``range(start, m)``.

    Parameters
    ----------
    m
        Number of rows.
    template
        The text of one array row, names written with :data:`ROW` for ``i``
        and :data:`NEXT_ROW` for ``i + 1`` (e.g. ``row_node(ROW, 3)``).
    values
        Optional numbers: the block of row ``i`` is ``template % tuple(values[i])``
        (one pre-flattened list per row, ``%.15g`` slots in the template).
    start
        First row.

    Returns
    -------
    list of str
        One block (several lines) per row.
    """
    two = NEXT_ROW in template
    out = []
    for i in range(start, m):
        text = template.replace(ROW, str(i))
        if two:
            text = text.replace(NEXT_ROW, str(i + 1))
        out.append(text % tuple(values[i]) if values is not None else text)
    return out


# --------------------------------------------------------------------------- the probes of one deck

_COLUMN_CURRENT = re.compile(r"^\s*i\(\s*vs(\d+)\s*\)\s*$", re.IGNORECASE)
_STATE_SEPARATOR = {"X": ".", "N": "#"}


@dataclass(frozen=True)
class CrossbarProbes:
    """The element and vector names of one crossbar deck, and how to read them back from a result.

    Built by the generator (:attr:`circuitsim.crossbar.netlist.CrossbarDeck.probes`)
    or from a spec (:meth:`of`).  Results are anything with ``name in result``
    and ``result[name]`` (a :class:`circuitsim.spice.result.Result`).

    Attributes
    ----------
    shape
        ``(rows, columns)``.
    driven_rows, sensed_columns
        The rows with a driver and the columns with a sense (the others float).
    tia
        Whether the sense nodes are TIA inputs (then :meth:`tia_output` exists).
    cell_element
        SPICE letter of each cell's instance (``R``, ``B``, ``M``, ``X``, ``N``).
    cell_states
        ``(key, internal node)`` of each state of a dynamic cell, e.g.
        ``(("x0", "s_x"),)`` for a catalogue device whose initial-state
        parameter is ``x0``; empty for a static cell.
    """

    shape: Tuple[int, int]
    driven_rows: Optional[Tuple[int, ...]] = None
    sensed_columns: Optional[Tuple[int, ...]] = None
    tia: bool = False
    cell_element: str = "R"
    cell_states: Tuple[Tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        m, n = (int(k) for k in self.shape)
        object.__setattr__(self, "shape", (m, n))
        if self.driven_rows is None:
            object.__setattr__(self, "driven_rows", tuple(range(m)))
        if self.sensed_columns is None:
            object.__setattr__(self, "sensed_columns", tuple(range(n)))

    @classmethod
    def of(cls, spec: Any) -> "CrossbarProbes":
        """The probes of the deck of a :class:`~circuitsim.crossbar.spec.CrossbarSpec`."""
        m, n = spec.shape
        r_source = np.broadcast_to(np.asarray(spec.r_source, dtype=float), (m,))
        r_sense = np.broadcast_to(np.asarray(spec.r_sense, dtype=float), (n,))
        return cls(shape=(m, n), driven_rows=tuple(np.flatnonzero(np.isfinite(r_source)).tolist()),
                   sensed_columns=tuple(np.flatnonzero(np.isfinite(r_sense)).tolist()),
                   tia=spec.tia is not None, cell_element=spec.cell.instance_element,
                   cell_states=tuple(spec.cell.state_nodes().items()))

    # -- element names ------------------------------------------------------------------------------------
    def cell_instance(self, i: int, j: int) -> str:
        """The instance name of cell ``(i, j)`` (e.g. ``Xg2_3``)."""
        return cell_element(self.cell_element, i, j)

    def cell_instances(self) -> List[str]:
        """Every cell's instance name, row-major."""
        m, n = self.shape
        return [self.cell_instance(i, j) for i in range(m) for j in range(n)]

    # -- vector names -------------------------------------------------------------------------------------
    @staticmethod
    def column_current(j: int) -> str:
        """Vector of column ``j``'s current (A, into the sense node): ``i(vs<j>)``."""
        return f"i({sense_source(j).lower()})"

    def column_current_vectors(self) -> List[str]:
        """The column-current vectors of the sensed columns, in column order."""
        return [self.column_current(j) for j in self.sensed_columns]

    @staticmethod
    def column_index(vector: str) -> int:
        """The column of a column-current vector name (``"i(vs12)"`` -> 12); ``ValueError`` otherwise."""
        match = _COLUMN_CURRENT.match(str(vector))
        if match is None:
            raise ValueError(f"{vector!r} is not a column-current vector (i(vs<column>))")
        return int(match.group(1))

    @staticmethod
    def tia_output(j: int) -> str:
        """Vector of column ``j``'s TIA output voltage (V)."""
        return f"v({tia_output_node(j)})"

    @staticmethod
    def driver_current(i: int) -> str:
        """Vector of row ``i``'s driver branch current (ngspice's sign: into the source's + terminal)."""
        return f"i({driver(i).lower()})"

    @staticmethod
    def row_voltage(i: int, j: int) -> str:
        """Vector of row node ``(i, j)``'s voltage."""
        return f"v({row_node(i, j)})"

    @staticmethod
    def column_voltage(i: int, j: int) -> str:
        """Vector of column node ``(i, j)``'s voltage."""
        return f"v({column_node(i, j)})"

    @staticmethod
    def internal_voltage(i: int, j: int) -> str:
        """Vector of cell ``(i, j)``'s internal node voltage (cells with an internal node)."""
        return f"v({internal_node(i, j)})"

    def saved_vectors(self) -> List[str]:
        """What the deck's ``.save`` lists with ``save_currents_only``: column currents, then TIA outputs."""
        out = self.column_current_vectors()
        if self.tia:
            out += [self.tia_output(j) for j in self.sensed_columns]
        return out

    def state_vector(self, i: int, j: int, node: str) -> str:
        """Vector of internal node ``node`` of dynamic cell ``(i, j)``: subckt ``v(xg<i>_<j>.<node>)``,
        OSDI ``v(ng<i>_<j>#<node>)``."""
        separator = _STATE_SEPARATOR.get(self.cell_element.upper())
        if separator is None:
            raise ValueError(f"cells written as {self.cell_element!r} elements have no state nodes "
                             f"(only subckt 'X' and OSDI 'N' instances do)")
        return f"v({self.cell_instance(i, j).lower()}{separator}{node.lower()})"     # ngspice lower-cases names

    def state_vectors(self) -> Dict[str, List[str]]:
        """Per state (by its key, e.g. the initial-state parameter): its vector for every cell, row-major."""
        m, n = self.shape
        return {key: [self.state_vector(i, j, node) for i in range(m) for j in range(n)]
                for key, node in self.cell_states}

    # -- reading a result ---------------------------------------------------------------------------------
    def column_currents(self, result: Any, index: int = -1) -> np.ndarray:
        """Column currents (A), shape ``(N,)``, at point ``index`` of the result (the last by default:
        the ``.op`` value, or the end of a transient); 0 for a column without a sense."""
        return np.array([self._value(result, self.column_current(j), index, 0.0) for j in range(self.shape[1])])

    def tia_outputs(self, result: Any, index: int = -1) -> np.ndarray:
        """TIA output voltages (V), shape ``(N,)``; NaN for a column without one."""
        return np.array([self._value(result, self.tia_output(j), index, np.nan) for j in range(self.shape[1])])

    def driver_currents(self, result: Any, index: int = -1) -> np.ndarray:
        """Current each row driver delivers into the array (A), shape ``(M,)``; 0 for a floating row."""
        return np.array([-self._value(result, self.driver_current(i), index, -0.0) for i in range(self.shape[0])])

    def node_voltages(self, result: Any, index: int = -1) -> Tuple[np.ndarray, np.ndarray]:
        """Row and column node voltages (V), each ``(M, N)``, from a deck saving every node."""
        m, n = self.shape
        row = np.array([[result[self.row_voltage(i, j)][index] for j in range(n)] for i in range(m)])
        col = np.array([[result[self.column_voltage(i, j)][index] for j in range(n)] for i in range(m)])
        return row, col

    def internal_voltages(self, result: Any, index: int = -1) -> np.ndarray:
        """Internal node voltages (V), ``(M, N)``, of cells with an internal node, from a deck saving every node."""
        m, n = self.shape
        return np.array([[result[self.internal_voltage(i, j)][index] for j in range(n)] for i in range(m)])

    def state_values(self, result: Any, index: int = -1) -> Dict[str, np.ndarray]:
        """Each state node's value (V), ``(M, N)`` per state key, at point ``index``."""
        return {key: np.array([result[name][index] for name in names]).reshape(self.shape)
                for key, names in self.state_vectors().items()}

    @staticmethod
    def _value(result: Any, name: str, index: int, missing: float) -> float:
        return float(np.real(result[name][index])) if name in result else missing


def save_lines(vectors: Sequence[str], per_line: int = 64) -> List[str]:
    """``.save`` lines listing ``vectors`` (at most ``per_line`` names each)."""
    return [".save " + " ".join(vectors[k:k + per_line]) for k in range(0, len(vectors), per_line)]
