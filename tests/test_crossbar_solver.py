"""The fast quasi-static solver for passive linear crossbars (circuitsim.crossbar.solver).

Tolerance policy (in addition to conftest.py):

* Solver against ngspice 46 (``.options klu``): both are direct solves of the
  same linear system, and the deck carries every number as ``%.15g``, so they
  agree to rounding; we allow 1e-9 relative, measured norm-wise as
  ``max|I - I_ngspice| / max|I_ngspice|`` (the per-column ratio is meaningless
  for a column whose current nearly cancels).  Measured: <= 5e-13.
* Solver against a closed form with exactly ideal wires (resistance 0, which
  the solver eliminates exactly): rounding only, 1e-12 relative.
* With tiny but non-zero wires (1e-12 ohm) the physical IR drop is
  ~ r * G * N^2 ~ 1e-16 relative, so the ideal product holds to 1e-9.
* ``pcg`` stops when an iteration changes no column current by more than
  1e-12 of the largest; against ``direct`` we allow 1e-9 (measured <= 1e-12).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from circuitsim.crossbar import CrossbarSpec, crossbar_deck
from circuitsim.crossbar.solver import CrossbarSolution, estimate_memory, nodal_matrix, solve_crossbar

METHODS = ["direct", "pcg"]
AGREE = 1e-9


def rel(a, b) -> float:
    """Norm-wise relative difference max|a - b| / max|b|."""
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def random_spec(m: int, n: int, seed: int) -> CrossbarSpec:
    """Random cells in [1e-6, 1e-4] S, drivers in [-1, 1] V, every resistance in [0.1, 10] ohm."""
    rng = np.random.default_rng(seed)
    r_row, r_col, r_source, r_sense = rng.uniform(0.1, 10, 4)
    return CrossbarSpec(rng.uniform(1e-6, 1e-4, (m, n)), rng.uniform(-1, 1, m), r_row=r_row, r_col=r_col,
                        r_source=r_source, r_sense=r_sense)


# --------------------------------------------------------------------------- against ngspice

NGSPICE_SIZES = [(1, 1), (3, 5), (16, 16), (64, 64), (128, 128)]
_ngspice_cache = {}


def ngspice_currents(engine, spec: CrossbarSpec) -> np.ndarray:
    key = (spec.shape, spec.conductance.tobytes(), spec.voltages.tobytes())
    if key not in _ngspice_cache:
        deck = crossbar_deck(spec)
        _ngspice_cache[key] = deck.probes.column_currents(engine.run(deck))
    return _ngspice_cache[key]


@pytest.mark.ngspice
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape", NGSPICE_SIZES, ids=[f"{m}x{n}" for m, n in NGSPICE_SIZES])
def test_column_currents_match_ngspice(batch_engine, shape, method):
    assert batch_engine.klu, "the comparison is with ngspice's KLU solver (ngspice >= 42)"
    spec = random_spec(*shape, seed=shape[0] * 1000 + shape[1])
    reference = ngspice_currents(batch_engine, spec)
    solution = solve_crossbar(spec, method=method)
    assert solution.method == method
    assert rel(solution.column_currents, reference) <= AGREE      # engine vs engine: same system, 1e-9


@pytest.mark.ngspice
@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_column_currents_match_ngspice_256(batch_engine, method):
    spec = random_spec(256, 256, seed=256)
    assert rel(solve_crossbar(spec, method=method).column_currents, ngspice_currents(batch_engine, spec)) <= AGREE


@pytest.mark.ngspice
@pytest.mark.parametrize("method", METHODS)
def test_node_voltages_match_ngspice(batch_engine, method):
    m, n = 12, 9
    spec = random_spec(m, n, seed=7)
    deck = crossbar_deck(spec, save_currents_only=False)
    row, col = deck.probes.node_voltages(batch_engine.run(deck))
    s = solve_crossbar(spec, method=method)
    scale = np.max(np.abs(spec.voltages))
    assert np.max(np.abs(s.row_node_voltages - row)) <= AGREE * scale
    assert np.max(np.abs(s.column_node_voltages - col)) <= AGREE * scale
    assert np.max(np.abs(s.cell_voltages - (row - col))) <= AGREE * scale


@pytest.mark.ngspice
@pytest.mark.parametrize("method", METHODS)
def test_floating_lines_match_ngspice(batch_engine, method):
    """Read one cell with every other row and column floating: the deck without their driver / sense resistors."""
    m, n, sel_row, sel_col = 6, 8, 2, 5
    spec = random_spec(m, n, seed=11)
    drop = {f"Rsrc{i} " for i in range(m) if i != sel_row} | {f"Rsense{j} " for j in range(n) if j != sel_col}
    full = crossbar_deck(spec)
    deck = "\n".join(line for line in full.text.splitlines() if not any(line.startswith(p) for p in drop)) + "\n"
    reference = full.probes.column_currents(batch_engine.run(deck))
    r_source = np.full(m, np.inf)
    r_source[sel_row] = spec.r_source
    r_sense = np.full(n, np.inf)
    r_sense[sel_col] = spec.r_sense
    s = solve_crossbar(replace(spec, r_source=r_source, r_sense=r_sense), method=method)
    assert np.all(s.column_currents[np.arange(n) != sel_col] == 0)
    assert rel(s.column_currents, reference) <= AGREE
    assert s.row_currents[sel_row] == pytest.approx(s.column_currents[sel_col], rel=1e-12)  # KCL


# --------------------------------------------------------------------------- nodal matrix and methods


def loop_nodal_matrix(spec: CrossbarSpec):
    """The nodal matrix built the obvious way, one element at a time (reference for the vectorised assembly)."""
    m, n = spec.shape
    size = 2 * m * n
    a = sp.lil_matrix((size, size))
    b = np.zeros(size)

    def row(i, j):
        return i * n + j

    def col(i, j):
        return m * n + j * m + i

    def branch(p, q, g):
        a[p, p] += g
        a[q, q] += g
        a[p, q] -= g
        a[q, p] -= g

    for i in range(m):
        for j in range(n):
            branch(row(i, j), col(i, j), spec.conductance[i, j])
            if j + 1 < n:
                branch(row(i, j), row(i, j + 1), 1 / spec.r_row)
            if i + 1 < m:
                branch(col(i, j), col(i + 1, j), 1 / spec.r_col)
        a[row(i, 0), row(i, 0)] += 1 / spec.r_source
        b[row(i, 0)] += spec.voltages[i] / spec.r_source
    for j in range(n):
        a[col(m - 1, j), col(m - 1, j)] += 1 / spec.r_sense
    return a.tocsr(), b


def test_nodal_matrix_equals_the_element_by_element_assembly():
    spec = random_spec(4, 6, seed=3)
    a, b, layout = nodal_matrix(spec)
    ref_a, ref_b = loop_nodal_matrix(spec)
    assert isinstance(a, sp.csr_matrix) and a.shape == (48, 48)
    assert abs(a - ref_a).max() <= 1e-15 * abs(ref_a).max()
    np.testing.assert_allclose(b, ref_b, rtol=1e-15)
    assert abs(a - a.T).max() == 0
    assert layout.row_node[2, 3] == 2 * 6 + 3 and layout.column_node[2, 3] == 24 + 3 * 4 + 2
    # column current = V(column node M-1, j) / R_sense
    x = spsolve(a.tocsc(), b)
    for method in METHODS:
        s = solve_crossbar(spec, method=method)
        assert rel(s.column_currents, x[layout.column_node[-1]] / spec.r_sense) <= 1e-12   # same system, rounding


@pytest.mark.parametrize("shape", [(1, 7), (9, 1), (48, 64)])
def test_methods_agree(shape):
    spec = random_spec(*shape, seed=5)
    d = solve_crossbar(spec, method="direct")
    p = solve_crossbar(spec, method="pcg")
    assert p.iterations > 0 and d.iterations == 0
    assert rel(p.column_currents, d.column_currents) <= AGREE
    assert np.max(np.abs(p.row_node_voltages - d.row_node_voltages)) <= AGREE
    assert np.max(np.abs(p.column_node_voltages - d.column_node_voltages)) <= AGREE


@pytest.mark.slow
def test_methods_agree_512():
    spec = random_spec(512, 512, seed=512)
    d = solve_crossbar(spec, method="direct", keep_voltages=False)
    p = solve_crossbar(spec, method="pcg", keep_voltages=False)
    assert rel(p.column_currents, d.column_currents) <= AGREE


@pytest.mark.parametrize("method", METHODS)
def test_many_vectors_equal_one_at_a_time(method):
    spec = random_spec(20, 30, seed=9)
    vectors = np.random.default_rng(1).uniform(-1, 1, (11, 20))       # (K, M): one input vector per row
    many = solve_crossbar(replace(spec, voltages=vectors), method=method)
    assert many.column_currents.shape == (11, 30) and many.row_node_voltages.shape == (11, 20, 30)
    for k, v in enumerate(vectors):
        one = solve_crossbar(replace(spec, voltages=v), method=method)
        assert rel(many.column_currents[k], one.column_currents) <= (1e-12 if method == "direct" else AGREE)
        assert np.max(np.abs(many.column_node_voltages[k] - one.column_node_voltages)) <= AGREE


def test_solution_fields_and_conservation():
    spec = random_spec(5, 7, seed=4)
    s = solve_crossbar(spec)
    assert isinstance(s, CrossbarSolution) and s.method == "direct"   # auto: small array
    assert s.column_currents.shape == (7,) and s.row_currents.shape == (5,)
    np.testing.assert_array_equal(s.cell_voltages, s.row_node_voltages - s.column_node_voltages)
    np.testing.assert_allclose(s.cell_currents.sum(axis=0), s.column_currents, rtol=1e-12)
    # what the drivers deliver reaches the sense nodes
    assert s.row_currents.sum() == pytest.approx(s.column_currents.sum(), rel=1e-12)
    driver = (spec.voltages - s.row_node_voltages[:, 0]) / spec.r_source
    np.testing.assert_allclose(s.row_currents, driver, rtol=1e-9, atol=1e-12 * np.abs(driver).max())
    # the positional constructor gives the same spec; a variant is a replace()
    same = solve_crossbar(CrossbarSpec.from_arrays(spec.conductance, spec.voltages, spec.r_row, spec.r_col,
                                                   spec.r_source, spec.r_sense))
    np.testing.assert_array_equal(same.column_currents, s.column_currents)
    lighter = solve_crossbar(replace(spec, r_row=spec.r_row / 10), keep_voltages=False)
    assert lighter.row_node_voltages is None and lighter.cell_voltages is None
    assert not np.allclose(lighter.column_currents, s.column_currents, rtol=1e-6)


def test_auto_choice():
    assert solve_crossbar(random_spec(8, 8, 1)).method == "direct"
    assert solve_crossbar(random_spec(160, 160, 1), keep_voltages=False).method == "pcg"
    g = np.full((4, 4), 1e-5)
    # an ideal wire with a resistive driver merges the row: only the direct solve handles it
    assert solve_crossbar(CrossbarSpec(g, np.ones(4), 0.0, 1.0, 1e-3, 1e-3)).method == "direct"


# --------------------------------------------------------------------------- closed forms


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (64, 64)])
def test_ideal_wires_give_the_ideal_product(shape, method):
    rng = np.random.default_rng(2)
    g = rng.uniform(1e-6, 1e-4, shape)
    v = rng.uniform(-1, 1, shape[0])
    exact = solve_crossbar(CrossbarSpec(g, v, 0.0, 0.0, 0.0, 0.0), method=method)
    assert rel(exact.column_currents, v @ g) <= 1e-12                  # rounding only
    tiny = solve_crossbar(CrossbarSpec(g, v, 1e-12, 1e-12, 1e-12, 1e-12), method=method)
    assert rel(tiny.column_currents, v @ g) <= AGREE                   # IR drop ~ r G N^2 ~ 1e-13


@pytest.mark.parametrize("shape", [(2, 2), (3, 7), (16, 16), (40, 25)])
@pytest.mark.parametrize("r_end", [0.0, 50.0])
def test_floating_read_sneak_path_closed_form(shape, r_end):
    """Read cell (s, t) of a uniform array, all other lines floating, ideal wires.

    The sneak path (other cells of row s -> other rows -> other cells of
    column t) is R/(N-1) + R/((M-1)(N-1)) + R/(M-1), in parallel with the cell.
    """
    m, n = shape
    r_cell, volt, s, t = 1e4, 0.3, m - 1, 0
    r_source = np.full(m, np.inf)
    r_source[s] = r_end
    r_sense = np.full(n, np.inf)
    r_sense[t] = r_end
    v = np.zeros(m)
    v[s] = volt
    sneak = r_cell / (n - 1) + r_cell / ((m - 1) * (n - 1)) + r_cell / (m - 1)
    expected = volt / (2 * r_end + 1 / (1 / r_cell + 1 / sneak))
    sol = solve_crossbar(CrossbarSpec(np.full(shape, 1 / r_cell), v, 0.0, 0.0, r_source, r_sense))
    assert sol.column_currents[t] == pytest.approx(expected, rel=1e-12)
    assert sol.row_currents[s] == pytest.approx(expected, rel=1e-12)
    assert np.all(np.delete(sol.column_currents, t) == 0)


@pytest.mark.parametrize("method", METHODS)
def test_error_grows_with_wire_resistance(method):
    rng = np.random.default_rng(6)
    g = rng.uniform(1e-6, 1e-4, (32, 32))
    v = rng.uniform(0, 1, 32)
    errors = []
    for r in (1e-3, 1e-2, 0.1, 1.0, 10.0):
        s = solve_crossbar(CrossbarSpec(g, v, r, r, 1e-3, 1e-3), method=method)
        errors.append(np.max(np.abs(s.column_currents - v @ g)) / np.max(np.abs(v @ g)))
    assert all(b > a for a, b in zip(errors, errors[1:])), errors
    assert errors[-1] > 0.05 and errors[0] < 1e-3


def test_error_grows_with_array_size():
    errors = []
    for n in (4, 8, 16, 32, 64, 128):
        rng = np.random.default_rng(n)
        g = rng.uniform(1e-6, 1e-4, (n, n))
        v = rng.uniform(0, 1, n)
        s = solve_crossbar(CrossbarSpec(g, v, 1.0, 1.0, 1e-3, 1e-3))
        errors.append(np.max(np.abs(s.column_currents - v @ g)) / np.max(np.abs(v @ g)))
    assert all(b > a for a, b in zip(errors, errors[1:])), errors


# --------------------------------------------------------------------------- bad input (refused by the spec, once)


G3 = np.full((3, 4), 1e-5)
V3 = np.ones(3)


@pytest.mark.parametrize("g_bad, message", [
    (np.nan, r"G\[1, 2\] = nan"),
    (0.0, r"G\[1, 2\] = 0\.0"),
    (-1e-5, r"G\[1, 2\] = -1e-05"),
    (np.inf, r"G\[1, 2\] = inf"),
])
def test_bad_conductance_names_the_cell(g_bad, message):
    g = G3.copy()
    g[1, 2] = g_bad
    with pytest.raises(ValueError, match=message):
        CrossbarSpec(g, V3, 1.0, 1.0)


@pytest.mark.parametrize("v, message", [
    (np.ones(4), r"shape mismatch.*\(3,\).*\(4,\)"),
    (np.ones((3, 5)), r"shape mismatch.*\(K, 4\)|shape mismatch"),
    (np.ones((2, 2, 3)), r"1-D \(M,\) or 2-D \(K, M\)"),
    (np.array([1.0, np.nan, 0.0]), r"V\[1\] = nan"),
])
def test_bad_voltages(v, message):
    with pytest.raises(ValueError, match=message):
        CrossbarSpec(G3, v, 1.0, 1.0)


def test_transposed_vectors_get_a_hint():
    g = np.full((3, 5), 1e-5)
    with pytest.raises(ValueError, match=r"pass V\.T"):
        CrossbarSpec(g, np.ones((3, 4)), 1.0, 1.0)


@pytest.mark.parametrize("kwargs, message", [
    ({"r_row": -1.0}, r"r_row must be finite and >= 0 ohm, got -1\.0"),
    ({"r_row": np.nan}, r"r_row must be .*nan"),
    ({"r_col": np.inf}, r"r_col must be finite"),
    ({"r_source": np.nan}, r"r_source must be .*nan"),
    ({"r_source": -1e-3}, r"r_source must be"),
    ({"r_sense": [1e-3, 1e-3, -2.0, 1e-3]}, r"r_sense\[2\] must be .*-2\.0"),
    ({"r_sense": [1e-3, 1e-3]}, r"r_sense must be one value or one per line: shape \(4,\)"),
    ({"r_source": np.inf, "r_sense": np.inf}, r"no reference"),
    ({"method": "lu"}, r"unknown method 'lu'"),
    ({"r_row": 0.0, "method": "pcg"}, r"r_row = 0 .*use method='direct'"),
])
def test_bad_resistances_and_options(kwargs, message):
    args = {"r_row": 1.0, "r_col": 1.0, **kwargs}
    method = args.pop("method", "auto")
    with pytest.raises(ValueError, match=message):
        solve_crossbar(CrossbarSpec(G3, V3, **args), method=method)


def test_too_large_for_memory_is_refused_with_the_estimate():
    # (an array too large to hold is refused from its file header by the CLI: test_crossbar_cli)
    big = CrossbarSpec(np.full((2000, 2000), 1e-5), np.zeros(2000), 1.0, 1.0)
    with pytest.raises(ValueError, match=r"too large for memory: .*needs about .* GB"):
        solve_crossbar(big, max_memory=1e8)
    spec = random_spec(64, 64, seed=1)
    need = estimate_memory(64, 64, 1, "direct")
    with pytest.raises(ValueError, match=r"method='direct'.*needs about [\d.]+ MB, but only 1 MB"):
        solve_crossbar(spec, method="direct", max_memory=1e6)
    assert solve_crossbar(spec, method="direct", max_memory=need).method == "direct"


def test_memory_estimates():
    assert estimate_memory(1024, 1024, 1, "pcg") < 0.5e9        # measured peak ~0.2 GB beyond the inputs
    assert estimate_memory(1024, 1024, 1, "direct") < 4e9       # measured peak ~2.5 GB
    assert estimate_memory(512, 512, 1, "pcg") < estimate_memory(512, 512, 1, "direct")
    assert estimate_memory(256, 256, 10, "pcg") > estimate_memory(256, 256, 1, "pcg")
