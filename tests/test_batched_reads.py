"""Batched reads of a linear array (solve_crossbar, many vectors, currents only) against per-vector solves.

The batched path factorises the nodal matrix with the source-driven boundary nodes last and solves the
dense Schur complement on them for every vector; the per-vector path solves each input vector against
the ordinary factorisation (with one refinement step) and sums the cells' currents.  Both are direct
solves of the same system, so they agree to rounding, but the batched path reads a column current from
its sense resistor, ``(x_B - w) / r_sense``: with r_sense = 1 ohm and 10-100 kohm cells a node voltage's
rounding (~1e-16 V) is ~1e-16 A, 1e-12 of the 1e-4 A currents, at most amplified by the Schur solve's
condition.  Tolerance 1e-10 relative (norm-wise); measured <= 2e-13 for the column currents
(row currents: see the test).
"""

from __future__ import annotations

import numpy as np
import pytest

from circuitsim.crossbar import TIA, CrossbarSpec
from circuitsim.crossbar.solver import solve_crossbar


@pytest.mark.parametrize("biased", [False, True])
@pytest.mark.parametrize("options", [{}, {"r_source": "one floating row"}, {"r_sense": 0.0},
                                     {"tia": TIA(1e4, 1e3)}, {"drive": "both"}])
def test_transfer_matrix_equals_per_vector_solves(options, biased):
    m, n, k = 12, 9, 60
    rng = np.random.default_rng(3)
    g = rng.uniform(1e-5, 1e-4, (m, n))
    v = rng.uniform(-0.2, 0.2, (k, m))
    kw = dict(options)
    if kw.get("r_source") == "one floating row":
        kw["r_source"] = np.where(np.arange(m) == 4, np.inf, 1.0)
    u = rng.uniform(-0.1, 0.1, n) if biased else None
    spec = CrossbarSpec(g, v, 1.5, 2.0, column_voltages=u, **kw)
    fast = solve_crossbar(spec, method="direct", keep_voltages=False)
    # reads (columns at 0 V, no ideal element): the Schur complement; else the M + N unit solves
    assert ("boundary_nodes" in fast.info) == (not biased and "r_sense" not in kw)
    assert ("transfer_solves" in fast.info) == (biased or "r_sense" in kw)
    each = solve_crossbar(spec, method="direct", keep_voltages=True)
    for name in ("column_currents", "row_currents") + (("tia_output",) if "tia" in kw else ()):
        a, b = getattr(fast, name), getattr(each, name)
        assert a.shape == b.shape == ((k, n) if name != "row_currents" else (k, m))
        # driver currents from the Schur path are (V - x_B) / r_source: a difference of two ~0.2 V numbers
        # that are ~1e-4 V apart (1 ohm drivers, 10-100 kohm cells), so ~1e-12 relative rounding of the
        # voltages is ~1e-9 of the current (measured 1.5e-9)
        limit = 1e-8 if name == "row_currents" and "boundary_nodes" in fast.info else 1e-10
        assert np.max(np.abs(a - b)) <= limit * np.max(np.abs(b)), name
