"""Transition shim: the crossbar now lives in :mod:`circuitsim.crossbar`.

Everything importable from here before is still importable (re-exported from
:mod:`circuitsim.crossbar.spec`, :mod:`~circuitsim.crossbar.cells` and
:mod:`~circuitsim.crossbar.probes`).  Two functions keep their old shape
for callers not yet ported:

* :func:`crossbar_netlist` returns the deck's *text*; use
  :func:`circuitsim.crossbar.crossbar_deck`, which returns the text and its
  probes (:class:`~circuitsim.crossbar.netlist.CrossbarDeck`);
* :func:`column_currents`, :func:`tia_outputs`, :func:`node_voltages` and
  :func:`cell_readout` read a result; use the deck's
  :class:`~circuitsim.crossbar.probes.CrossbarProbes`.

Text only: this module does not import the solver.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from circuitsim.crossbar.cell import Cell, CellCapabilityError
from circuitsim.crossbar.cells import (
    NGSPICE_GMIN,
    CatalogueCell,
    LinearCell,
    OneTransistorOneResistor,
    SinhMemristor,
    SinhSelector,
    ThresholdSelector,
)
from circuitsim.crossbar.netlist import CrossbarDeck, crossbar_deck
from circuitsim.crossbar.probes import CrossbarProbes
from circuitsim.crossbar.spec import (
    DRIVES,
    SCHEMES,
    TIA,
    BiasReadout,
    BiasScheme,
    CrossbarSpec,
    DifferentialMapping,
    LineSources,
    differential_currents,
)

__all__ = [
    "BiasReadout", "BiasScheme", "CatalogueCell", "Cell", "CellCapabilityError", "CrossbarDeck", "CrossbarSpec",
    "DifferentialMapping", "DRIVES", "LineSources", "LinearCell", "NGSPICE_GMIN", "OneTransistorOneResistor",
    "SCHEMES", "SinhMemristor", "SinhSelector", "TIA", "ThresholdSelector", "cell_readout", "column_currents",
    "crossbar_deck", "crossbar_netlist", "differential_currents", "node_voltages", "tia_outputs",
]


def crossbar_netlist(spec: CrossbarSpec, title: Optional[str] = None, analysis: Optional[str] = ".op",
                     save_currents_only: bool = True, *, options: Optional[str] = None) -> str:
    """The text of :func:`circuitsim.crossbar.crossbar_deck` (same arguments); kept for callers not yet
    ported to the deck object."""
    return crossbar_deck(spec, title, analysis, save_currents_only, options=options).text


def column_currents(result: Any, n_columns: int) -> np.ndarray:
    """Column currents (A), in column order; 0 for a column without a sense
    (:meth:`CrossbarProbes.column_currents`)."""
    return CrossbarProbes((1, n_columns)).column_currents(result)


def tia_outputs(result: Any, n_columns: int) -> np.ndarray:
    """TIA output voltages (V); NaN for a column without one (:meth:`CrossbarProbes.tia_outputs`)."""
    return CrossbarProbes((1, n_columns)).tia_outputs(result)


def node_voltages(result: Any, shape: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
    """Row and column node voltages (V), each (M, N) (:meth:`CrossbarProbes.node_voltages`)."""
    return CrossbarProbes(shape).node_voltages(result)


def cell_readout(result: Any, spec: CrossbarSpec) -> Tuple[np.ndarray, np.ndarray]:
    """Every cell's voltage (V) and current (A), each (M, N), from a deck saving every node
    (:meth:`CrossbarProbes.node_voltages` and :meth:`CrossbarSpec.cell_currents`)."""
    row, col = CrossbarProbes.of(spec).node_voltages(result)
    return row - col, spec.cell_currents(row, col)
