"""Crossbars: one validated spec, one cell interface, two engines.

Layers (each module imports only the ones above it in this list):

``probes``   every element, node and vector name of a deck (:class:`CrossbarProbes`)
``cell``     the :class:`Cell` interface and :class:`CellCapabilityError`
``newton``, ``mos1``  physics of the cells (the internal-node Newton, ngspice's level-1 MOSFET)
``cells``    the cells: linear, sinh selector, sinh memristor, threshold selector (1S1R), 1T1R, catalogue
``spec``     :class:`CrossbarSpec` (validated once, at construction), bias schemes, TIA, line sources
``netlist``  text only: :func:`crossbar_deck` -> :class:`CrossbarDeck` (text + probes); never imports the solver
``solver``   the fast solver :func:`solve_crossbar` (imported lazily from here: it loads scipy)

:mod:`circuitsim.analysis.irdrop`, the CLI and the sweep kinds sit on top.
"""

from __future__ import annotations

from typing import Any

from circuitsim.crossbar.cell import Cell, CellCapabilityError, TerminalCurrents
from circuitsim.crossbar.cells import (
    CELL_NAMES,
    DEFAULT_SELECTOR_V_S,
    NONLINEAR_READ_OPTIONS,
    CatalogueCell,
    LinearCell,
    OneTransistorOneResistor,
    SinhMemristor,
    SinhSelector,
    ThresholdSelector,
    cell_by_name,
    read_options,
)
from circuitsim.crossbar.netlist import CrossbarDeck, crossbar_deck
from circuitsim.crossbar.probes import CrossbarProbes
from circuitsim.crossbar.spec import (
    SCHEMES,
    TIA,
    BiasReadout,
    BiasScheme,
    CrossbarSpec,
    DifferentialMapping,
    LineSources,
    differential_currents,
    scheme_name,
)

__all__ = [
    "CELL_NAMES", "DEFAULT_SELECTOR_V_S", "NONLINEAR_READ_OPTIONS", "SCHEMES", "TIA", "BiasReadout", "BiasScheme",
    "CatalogueCell", "Cell", "CellCapabilityError", "CrossbarDeck", "CrossbarProbes", "CrossbarSolution",
    "CrossbarSpec", "DifferentialMapping", "LineSources", "LinearCell", "OneTransistorOneResistor", "SinhMemristor",
    "SinhSelector", "TerminalCurrents", "ThresholdSelector", "cell_by_name", "crossbar_deck",
    "differential_currents", "read_options", "scheme_name", "solve_crossbar",
]

_SOLVER = {"solve_crossbar", "CrossbarSolution"}


def __getattr__(name: str) -> Any:
    """The solver's names, imported on first use (the text layers do not load scipy)."""
    if name in _SOLVER:
        from circuitsim.crossbar import solver

        return getattr(solver, name)
    raise AttributeError(f"module 'circuitsim.crossbar' has no attribute {name!r}")
