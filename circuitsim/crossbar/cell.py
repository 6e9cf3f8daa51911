"""The one interface of a crossbar cell: :class:`Cell`.

Layer: above :mod:`circuitsim.crossbar.probes` (names), below the cells
(:mod:`circuitsim.crossbar.cells`), the spec, the generator and the solver.
Both engines take a cell only through this interface: the generator
(:func:`circuitsim.crossbar.netlist.crossbar_deck`) asks it for its deck
text, the fast solver (:func:`circuitsim.crossbar.solver.solve_crossbar`) for
its currents and their derivatives.

Writing your own cell
---------------------
Subclass :class:`Cell` and give

* :meth:`Cell.lines` (required): the element lines of every cell, between row
  node ``r<i>_<j>`` and column node ``c<i>_<j>`` (take every name from
  :mod:`circuitsim.crossbar.probes`, e.g. ``row_node(i, j)``);
* :meth:`Cell.definitions` if the lines need ``.subckt`` / ``.model`` text;
* :meth:`Cell.current` (a two-terminal cell) or :meth:`Cell.terminal_currents`
  (a cell with a third terminal, e.g. a gate) for the fast solver.  A cell
  without them still writes decks; the fast solver refuses it with
  :class:`CellCapabilityError`.

Example: a diode-like cell ``I = G * V_T * (exp(V / V_T) - 1)``::

    class ExpCell(Cell):
        def lines(self, m, n, conductance):
            return [f"{cell_element('B', i, j)} {row_node(i, j)} {column_node(i, j)} "
                    f"I={conductance[i, j] * 0.05:.15g}*(exp(V({row_node(i, j)},{column_node(i, j)})/0.05)-1)"
                    for i in range(m) for j in range(n)]

        def current(self, v, g):
            e = np.exp(v / 0.05)
            return g * 0.05 * (e - 1), g * e
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

__all__ = ["Cell", "CellCapabilityError", "TerminalCurrents"]


class CellCapabilityError(NotImplementedError):
    """A cell was asked for something it cannot do (e.g. the fast solver for a cell without a Python
    current model).  The message names the cell and points to the engine that can do it (ngspice)."""


@dataclass(frozen=True)
class TerminalCurrents:
    """A cell seen from its row and column nodes, with the derivatives Newton needs.

    Every array has the shape of the node voltages given (``(..., M, N)``).

    Attributes
    ----------
    row
        Current from the row node into the cell (A).
    column
        Current from the cell into the column node (A); equal to ``row`` for a
        two-terminal cell, less the current to a third terminal otherwise.
    d_row_d_vrow, d_row_d_vcol, d_col_d_vrow, d_col_d_vcol
        Partial derivatives of ``row`` and ``column`` with respect to the row
        and column node voltages (S).
    """

    row: np.ndarray
    column: np.ndarray
    d_row_d_vrow: np.ndarray
    d_row_d_vcol: np.ndarray
    d_col_d_vrow: np.ndarray
    d_col_d_vcol: np.ndarray


class Cell(ABC):
    """A crossbar cell: its deck text for ngspice and (optionally) its currents for the fast solver.

    Every cell ``(i, j)`` sits between row node ``r<i>_<j>`` and column node
    ``c<i>_<j>`` (see :mod:`circuitsim.crossbar.probes`) and has one number
    from the spec's ``conductance`` array, whose meaning is the cell's
    (the conductance of a resistor, the scale of a sinh I-V, ...).

    Attributes
    ----------
    max_step : float
        The fast solver's Newton step limit on any cell voltage (V).
    instance_element : str
        SPICE letter of the instance that represents each cell (``R``, ``B``,
        ``M``, ``X`` for a subckt, ``N`` for an OSDI device); the probes name
        the instances ``<letter>g<i>_<j>``.
    linear : bool
        ``True`` only for the linear conductance: the solver then uses one
        factorisation for every input vector instead of Newton.
    two_terminal : bool
        ``False`` for a cell with a third terminal (its row and column
        currents differ): the solver then uses :meth:`terminal_currents` and
        a non-symmetric Jacobian.

    Notes
    -----
    Array convention of the solver methods: node voltages come with shape
    ``(..., M, N)`` (the last two axes are the array's rows and columns; a
    leading axis may hold several input vectors), ``g`` with shape ``(M, N)``;
    evaluate elementwise and broadcast per-row quantities along axis ``-2``.
    """

    max_step: float = 0.2
    instance_element: str = "R"
    linear: bool = False
    two_terminal: bool = True

    # -- identity -------------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """Short name used in results and messages (default: the class name)."""
        return type(self).__name__

    # -- the deck -------------------------------------------------------------------------------------------
    def check(self, m: int, n: int) -> None:
        """Validate the cell against an ``m x n`` array; raise ``ValueError`` naming what is wrong.

        Called once, when a :class:`~circuitsim.crossbar.spec.CrossbarSpec` is built.
        """

    def definitions(self) -> List[str]:
        """Lines to put before the cells: ``.subckt`` / ``.model`` definitions (default: none)."""
        return []

    @abstractmethod
    def lines(self, m: int, n: int, conductance: np.ndarray) -> List[str]:
        """The element lines of every cell (any grouping: one string may hold several lines).

        Parameters
        ----------
        m, n
            Rows and columns.
        conductance
            The spec's conductance array (``(m, n)``, finite, > 0).

        Returns
        -------
        list of str
            Lines naming their nodes and elements with :mod:`circuitsim.crossbar.probes`.
        """

    def own_conductance(self) -> Optional[np.ndarray]:
        """The conductance array a cell defines itself (from its own state), used when the spec is given
        ``conductance=None``; ``None`` (the default) when the spec must give it."""
        return None

    def state_nodes(self) -> Dict[str, str]:
        """``{state key: internal node}`` of a dynamic cell whose states integrate in a transient (read
        back through :meth:`circuitsim.crossbar.probes.CrossbarProbes.state_vectors`); empty by default."""
        return {}

    # -- the fast solver ------------------------------------------------------------------------------------
    @property
    def solvable(self) -> bool:
        """Whether the fast solver can solve this cell: it has :meth:`current` or :meth:`terminal_currents`."""
        cls = type(self)
        return cls.current is not Cell.current or cls.terminal_currents is not Cell.terminal_currents

    def current(self, v: np.ndarray, g: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Two-terminal cells: current (A) from row to column node and ``dI/dV`` (S) at cell voltages ``v``.

        Parameters
        ----------
        v
            Cell voltages, row node minus column node (V), shape ``(..., M, N)``.
        g
            The spec's conductance array, ``(M, N)``.

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            ``I`` and ``dI/dV``, shaped like ``v``.  Monotone cells (``dI/dV > 0``)
            keep the Newton Jacobian symmetric positive definite.

        Raises
        ------
        CellCapabilityError
            The cell has no Python current model (the default).
        """
        raise self.unsupported("a Python current model (Cell.current) for the fast solver")

    def terminal_currents(self, v_row: np.ndarray, v_column: np.ndarray, g: np.ndarray) -> TerminalCurrents:
        """The cell seen from its row and column nodes (node voltages ``(..., M, N)``, V).

        The default is the two-terminal cell of :meth:`current`; cells with a
        third terminal override it (and set ``two_terminal = False``).
        """
        i, di = self.current(np.asarray(v_row) - np.asarray(v_column), g)
        return TerminalCurrents(i, i, di, -di, di, -di)

    # -- errors ---------------------------------------------------------------------------------------------
    def unsupported(self, what: str) -> CellCapabilityError:
        """The error for an operation this cell cannot do: it names the cell and points to ngspice."""
        return CellCapabilityError(
            f"cell {self!r} has no {what}: simulate it in ngspice instead (circuitsim.crossbar.crossbar_deck(spec) "
            f"run by an engine of circuitsim.spice)")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
