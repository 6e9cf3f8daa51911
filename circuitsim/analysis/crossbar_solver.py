"""Transition shim: the fast crossbar solver now lives in :mod:`circuitsim.crossbar.solver`.

It takes a :class:`~circuitsim.crossbar.spec.CrossbarSpec` only
(``solve_crossbar(spec, method=...)``); build one with
``CrossbarSpec(G, V, r_row, r_col, r_source, r_sense, ...)``.
"""

from __future__ import annotations

from circuitsim.crossbar.solver import (
    AUTO_DIRECT_CELLS,
    AUTO_DIRECT_CELLS_MANY,
    AUTO_DIRECT_VECTORS,
    METHODS,
    CrossbarSolution,
    NodalLayout,
    available_memory,
    estimate_memory,
    nodal_matrix,
    solve_crossbar,
)

__all__ = ["AUTO_DIRECT_CELLS", "AUTO_DIRECT_CELLS_MANY", "AUTO_DIRECT_VECTORS", "METHODS", "CrossbarSolution",
           "NodalLayout", "available_memory", "estimate_memory", "nodal_matrix", "solve_crossbar"]
