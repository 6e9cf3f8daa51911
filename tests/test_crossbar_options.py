"""Crossbar options in both engines: the generator in ngspice against the fast solver.

Options: drive from both ends, a finite-gain TIA at each sense node, bias
schemes (floating, V/2, V/3) for one cell / one row / the whole array,
differential column pairs, nonlinear cells (Newton).

Tolerance policy (in addition to conftest.py and test_crossbar_solver.py):

* Linear options, fast solver against ngspice 46 (``.options klu``): both
  solve the same linear system directly and the deck carries every number as
  ``%.15g``, so we allow 1e-9 relative, norm-wise
  (``max|a - b| / max|b|``) over the column currents, the TIA outputs and the
  cell currents; node voltages to 1e-9 of the largest source voltage.
* Closed forms with exactly ideal wires / drivers / senses (resistance 0,
  which the direct solve eliminates exactly): rounding only, 1e-12 relative.
* Nonlinear cells: both engines iterate Newton to convergence.  ngspice runs
  with ``reltol=1e-12 abstol=1e-18 vntol=1e-15`` (its stopping test is then
  far below 1e-9) and the solver stops at steps of 1e-12 of the largest
  source voltage; we allow 1e-9 relative as for the linear case.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from circuitsim.crossbar import (
    TIA,
    BiasScheme,
    CellCapabilityError,
    CrossbarProbes,
    CrossbarSpec,
    DifferentialMapping,
    SinhMemristor,
    SinhSelector,
    crossbar_deck,
    differential_currents,
)
from circuitsim.crossbar.solver import solve_crossbar

AGREE = 1e-9
METHODS = ["direct", "pcg"]
SHAPES = [(1, 1), (3, 5), (7, 2), (64, 64)]
IDS = [f"{m}x{n}" for m, n in SHAPES]


def rel(a, b) -> float:
    """Norm-wise relative difference max|a - b| / max|b|."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def random_spec(m: int, n: int, seed: int, **options) -> CrossbarSpec:
    """Random cells in [1e-6, 1e-4] S, drivers in [-1, 1] V, every resistance in [0.1, 10] ohm."""
    rng = np.random.default_rng(seed)
    r_row, r_col, r_source, r_sense = rng.uniform(0.1, 10, 4)
    return CrossbarSpec(rng.uniform(1e-6, 1e-4, (m, n)), rng.uniform(-1, 1, m), r_row=r_row, r_col=r_col,
                        r_source=r_source, r_sense=r_sense, **options)


def netlist(spec: CrossbarSpec, *args, **kwargs) -> str:
    """The deck's text."""
    return crossbar_deck(spec, *args, **kwargs).text


def column_currents(result, spec: CrossbarSpec) -> np.ndarray:
    return CrossbarProbes.of(spec).column_currents(result)


def tia_outputs(result, spec: CrossbarSpec) -> np.ndarray:
    return CrossbarProbes.of(spec).tia_outputs(result)


def cell_readout(result, spec: CrossbarSpec):
    """ngspice's cell voltages and the cell's current at them (every node saved)."""
    row, col = CrossbarProbes.of(spec).node_voltages(result)
    return row - col, spec.cell_currents(row, col)


def run(engine, spec: CrossbarSpec, nodes: bool = False, options=None):
    return engine.run(crossbar_deck(spec, save_currents_only=not nodes, options=options))


def check_against_ngspice(engine, spec: CrossbarSpec, method: str = "direct", nodes: bool = True):
    """Column currents, TIA outputs and (with ``nodes``) every cell's current: solver vs ngspice."""
    m, n = spec.shape
    result = run(engine, spec, nodes=nodes)
    sol = solve_crossbar(spec, method=method)
    assert sol.method == method
    ref = column_currents(result, spec)
    assert rel(sol.column_currents, ref) <= AGREE
    if spec.tia is not None:
        sensed = np.isfinite(np.broadcast_to(spec.r_sense, (n,)))
        assert rel(sol.tia_output[sensed], tia_outputs(result, spec)[sensed]) <= AGREE
    if nodes:
        v, i = cell_readout(result, spec)
        scale = max(np.max(np.abs(spec.voltages)), np.max(np.abs(spec.sense_voltages)))
        assert np.max(np.abs(sol.cell_voltages - v)) <= AGREE * scale
        assert rel(sol.cell_currents, i) <= AGREE
    return sol, result


# --------------------------------------------------------------------------- generator speed


@pytest.mark.slow
def test_generator_writes_every_element_at_1024():
    # The generation time (goal <= 5 s) is measured by benchmarks/bench_crossbar_solver.py, not here:
    # no timing thresholds in tests on a shared machine.
    rng = np.random.default_rng(0)
    spec = CrossbarSpec(rng.uniform(1e-6, 1e-4, (1024, 1024)), rng.uniform(0, 1, 1024), r_row=1.0, r_col=1.0)
    deck = netlist(spec)
    assert deck.count("\n") == 1024 * 1024 + 2 * 1024 * 1023 + 4 * 1024 + 16 + 3


def test_default_deck_lines():
    spec = CrossbarSpec(np.array([[1e-5, 2e-5], [4e-5, 5e-5]]), np.array([0.5, -0.25]), r_row=1.5, r_col=2.0,
                        r_source=3.0, r_sense=4.0)
    lines = netlist(spec).splitlines()
    assert lines[1:5] == ["Vin0 in0 0 0.5", "Vin1 in1 0 -0.25", "Rsrc0 in0 r0_0 3", "Rsrc1 in1 r1_0 3"]
    assert "Rg1_0 r1_0 c1_0 25000" in lines and "Rrow1_0 r1_0 r1_1 1.5" in lines
    assert "Rcol0_1 c0_1 c1_1 2" in lines and "Rsense1 c1_1 s1 4" in lines and "Vs1 s1 0 0" in lines
    assert lines[-3:] == [".save i(vs0) i(vs1)", ".op", ".end"]


# --------------------------------------------------------------------------- a. drive from both ends


@pytest.mark.ngspice
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_both_ends_match_ngspice(batch_engine, shape, method):
    spec = random_spec(*shape, seed=100 + shape[0] * 7 + shape[1], drive="both")
    deck = netlist(spec)
    m, n = shape
    assert f"Rsrcb{m - 1} in{m - 1} r{m - 1}_{n - 1} " in deck
    check_against_ngspice(batch_engine, spec, method, nodes=shape[0] <= 64)


def test_both_ends_reduce_the_ir_drop():
    rng = np.random.default_rng(3)
    g = rng.uniform(1e-6, 1e-4, (32, 32))
    v = rng.uniform(0, 1, 32)
    one = solve_crossbar(CrossbarSpec(g, v, 2.0, 2.0, 1e-3, 1e-3, drive="one")).column_currents
    both = solve_crossbar(CrossbarSpec(g, v, 2.0, 2.0, 1e-3, 1e-3, drive="both")).column_currents
    assert rel(both, v @ g) < rel(one, v @ g)
    # ideal wires: the same ideal product
    assert rel(solve_crossbar(CrossbarSpec(g, v, 0.0, 0.0, 0.0, 0.0, drive="both")).column_currents, v @ g) <= 1e-12


def test_both_ends_closed_form_one_row():
    """One row, one cell per end: each end's source and wire share the load symmetrically (2 x 1 check)."""
    # 1 x 2 array, cells g0 (col 0) and g1 (col 1), driver at both ends through r_s, wire r between
    g0, g1, rs, r, volt = 1e-3, 2e-3, 10.0, 5.0, 1.0
    sol = solve_crossbar(CrossbarSpec(np.array([[g0, g1]]), np.array([volt]), r, 1.0, rs, 0.0, drive="both"),
                         method="direct")
    # nodal equations of the two row nodes (column nodes held at 0 by ideal senses)
    a = np.array([[1 / rs + 1 / r + g0, -1 / r], [-1 / r, 1 / rs + 1 / r + g1]])
    x = np.linalg.solve(a, [volt / rs, volt / rs])
    np.testing.assert_allclose(sol.column_currents, [g0 * x[0], g1 * x[1]], rtol=1e-12)


# --------------------------------------------------------------------------- b. finite-gain TIA


@pytest.mark.ngspice
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_tia_matches_ngspice(batch_engine, shape, method):
    rng = np.random.default_rng(200 + shape[0])
    tia = TIA(gain=float(10 ** rng.uniform(1, 5)), r_f=float(10 ** rng.uniform(2, 4)))
    spec = random_spec(*shape, seed=200 + shape[0] * 7 + shape[1], tia=tia)
    sol, _ = check_against_ngspice(batch_engine, spec, method, nodes=shape[0] <= 64)
    # the output is -I R_f A / (1 + A)
    np.testing.assert_allclose(sol.tia_output, -sol.column_currents * tia.r_f * tia.gain / (1 + tia.gain),
                               rtol=1e-12)


@pytest.mark.ngspice
def test_tia_with_column_bias_matches_ngspice(batch_engine):
    """Non-inverting inputs at the column voltages (a V/2 read with TIAs on the columns)."""
    spec = random_spec(6, 5, seed=21, tia=TIA(gain=300.0, r_f=2e3)).biased(BiasScheme.cell("v/2", 0.4, 2, 3))
    assert "Etia0 o0 0 u0 s0 300" in netlist(spec)
    sol, _ = check_against_ngspice(batch_engine, spec, "direct")
    check_against_ngspice(batch_engine, spec, "pcg")
    u = spec.sense_voltages
    np.testing.assert_allclose(sol.tia_output, spec.tia.output(sol.column_currents, u), rtol=1e-12)


def test_tia_input_resistance_closed_form():
    """1 x 1 cell, ideal wires: I = V / (1/G + R_sense + R_f/(1+A)), v_o = -I R_f A/(1+A)."""
    g, volt, r_sense, gain, r_f = 1e-4, 0.7, 100.0, 50.0, 1e4
    sol = solve_crossbar(CrossbarSpec(np.array([[g]]), np.array([volt]), 0.0, 0.0, 0.0, r_sense, tia=TIA(gain, r_f)))
    current = volt / (1 / g + r_sense + r_f / (1 + gain))
    assert sol.column_currents[0] == pytest.approx(current, rel=1e-12)
    assert sol.tia_output[0] == pytest.approx(-current * r_f * gain / (1 + gain), rel=1e-12)
    # a huge gain tends to the ideal virtual ground
    big = solve_crossbar(CrossbarSpec(np.array([[g]]), np.array([volt]), 0.0, 0.0, 0.0, r_sense, tia=TIA(1e12, r_f)))
    assert big.column_currents[0] == pytest.approx(volt / (1 / g + r_sense), rel=1e-9)


def test_tia_validation():
    with pytest.raises(ValueError, match="TIA gain must be finite and > 0"):
        TIA(0.0, 1e3)
    with pytest.raises(ValueError, match="TIA r_f must be"):
        TIA(100.0, np.nan)
    with pytest.raises(ValueError, match="tia must be a TIA"):
        CrossbarSpec(np.ones((2, 2)), np.ones(2), 1.0, 1.0, tia=5.0)


# --------------------------------------------------------------------------- c. bias schemes


SCHEMES = ["floating", "v/2", "v/3"]
SELECTIONS = {
    "cell": lambda kind, v, m, n: BiasScheme.cell(kind, v, m // 2, n - 1),
    "row": lambda kind, v, m, n: BiasScheme.row(kind, v, m - 1),
    "array": lambda kind, v, m, n: BiasScheme.array(kind, v),
}


@pytest.mark.ngspice
@pytest.mark.parametrize("selection", list(SELECTIONS))
@pytest.mark.parametrize("kind", SCHEMES)
@pytest.mark.parametrize("shape", [(3, 5), (64, 64)], ids=["3x5", "64x64"])
def test_bias_schemes_match_ngspice(batch_engine, shape, kind, selection):
    m, n = shape
    scheme = SELECTIONS[selection](kind, 0.8, m, n)
    spec = random_spec(m, n, seed=300 + m).biased(scheme)
    for method in METHODS:
        sol, result = check_against_ngspice(batch_engine, spec, method)
        mine = scheme.readout(sol.cell_voltages, sol.cell_currents, disturb_threshold=0.3)
        theirs = scheme.readout(*cell_readout(result, spec), disturb_threshold=0.3)
        assert np.max(np.abs(mine.selected_voltage - theirs.selected_voltage)) <= AGREE * 0.8
        assert mine.disturbed == theirs.disturbed
        assert mine.sneak_current == pytest.approx(theirs.sneak_current, rel=AGREE, abs=1e-30)


@pytest.mark.parametrize("shape", [(2, 2), (5, 3), (16, 16), (40, 25)])
def test_v2_and_v3_closed_forms(shape):
    """Ideal wires, drivers and senses: half-selected cells see V/2 (V/2 scheme), unselected 0; under V/3
    every non-selected cell sees V/3 in magnitude; the selected column collects (M-1) half-biased cells."""
    m, n = shape
    rng = np.random.default_rng(m * n)
    g = rng.uniform(1e-6, 1e-4, shape)
    volt, i, j = 0.9, m - 1, n // 2
    for kind in ("v/2", "v/3"):
        scheme = BiasScheme.cell(kind, volt, i, j)
        spec = CrossbarSpec(g, np.zeros(m), r_row=1.0, r_col=1.0).biased(scheme)
        sol = solve_crossbar(replace(spec, r_row=0.0, r_col=0.0, r_source=0.0, r_sense=0.0))
        out = scheme.readout(sol.cell_voltages, sol.cell_currents, disturb_threshold=volt / 2 - 1e-9)
        assert out.selected_voltage == pytest.approx([volt], rel=1e-12)
        np.testing.assert_allclose(sol.cell_voltages, scheme.ideal_cell_voltages(m, n), rtol=1e-12, atol=1e-15)
        if kind == "v/2":
            np.testing.assert_allclose(sol.cell_voltages[out.half_selected], volt / 2, rtol=1e-12)
            np.testing.assert_allclose(sol.cell_voltages[out.unselected], 0.0, atol=1e-15)
            # the selected column: the selected cell at V plus (M-1) half-selected cells at V/2
            expected = g[i, j] * volt + g[np.arange(m) != i, j].sum() * volt / 2
            assert sol.column_currents[j] == pytest.approx(expected, rel=1e-12)
            assert out.disturbed == (m - 1) + (n - 1)
        else:
            np.testing.assert_allclose(np.abs(sol.cell_voltages[~out.selected]), volt / 3, rtol=1e-12)
            assert out.disturbed == 0
            assert out.half_selected_max_voltage == pytest.approx(volt / 3, rel=1e-12)


@pytest.mark.parametrize("shape", [(2, 2), (3, 7), (16, 16), (40, 25)])
@pytest.mark.parametrize("kind", ["v/2", "v/3"])
def test_unselected_counts_times_cell_current(shape, kind):
    """Uniform array, ideal lines: the selected row delivers G V + (N-1) G V/k, the selected column
    collects G V + (M-1) G V/k (k = 2 or 3), the total non-selected current is the counts times G V/k."""
    m, n = shape
    gc, volt = 2e-5, 0.6
    k = 2 if kind == "v/2" else 3
    scheme = BiasScheme.cell(kind, volt, 0, n - 1)
    spec = CrossbarSpec(np.full(shape, gc), np.zeros(m), r_row=1.0, r_col=1.0).biased(scheme)
    sol = solve_crossbar(replace(spec, r_row=0.0, r_col=0.0, r_source=0.0, r_sense=0.0))
    out = scheme.readout(sol.cell_voltages, sol.cell_currents)
    assert sol.row_currents[0] == pytest.approx(gc * volt + (n - 1) * gc * volt / k, rel=1e-12)
    assert sol.column_currents[n - 1] == pytest.approx(gc * volt + (m - 1) * gc * volt / k, rel=1e-12)
    n_half = (m - 1) + (n - 1)
    n_unsel = (m - 1) * (n - 1)
    count = n_half + (n_unsel if kind == "v/3" else 0)
    assert out.sneak_current == pytest.approx(count * gc * volt / k, rel=1e-12)


@pytest.mark.parametrize("shape", [(2, 2), (3, 7), (16, 16), (40, 25)])
def test_floating_scheme_sneak_resistance(shape):
    """Read cell (s, t) of a uniform array, every other line floating, ideal lines: the sneak path
    R/(N-1) + R/((M-1)(N-1)) + R/(M-1) in parallel with the cell."""
    m, n = shape
    r_cell, volt, s, t = 1e4, 0.3, m // 2, n - 1
    scheme = BiasScheme.cell("floating", volt, s, t)
    spec = CrossbarSpec(np.full(shape, 1 / r_cell), np.zeros(m), r_row=1.0, r_col=1.0).biased(scheme)
    assert np.isinf(spec.r_source).sum() == m - 1 and np.isinf(spec.r_sense).sum() == n - 1
    sol = solve_crossbar(replace(spec, r_row=0.0, r_col=0.0, r_source=np.where(np.isinf(spec.r_source), np.inf, 0.0),
                                 r_sense=np.where(np.isinf(spec.r_sense), np.inf, 0.0)))
    sneak = r_cell / (n - 1) + r_cell / ((m - 1) * (n - 1)) + r_cell / (m - 1)
    assert sol.column_currents[t] == pytest.approx(volt * (1 / r_cell + 1 / sneak), rel=1e-12)
    out = scheme.readout(sol.cell_voltages, sol.cell_currents)
    assert out.selected_voltage == pytest.approx([volt], rel=1e-12)
    assert out.selected_current == pytest.approx([volt / r_cell], rel=1e-12)
    assert np.all(np.delete(sol.column_currents, t) == 0)


@pytest.mark.ngspice
def test_floating_scheme_deck_leaves_lines_out(batch_engine):
    m, n = 4, 6
    spec = random_spec(m, n, seed=5).biased(BiasScheme.cell("floating", 1.0, 1, 2))
    deck = netlist(spec)
    assert "Vin1 " in deck and "Vin0 " not in deck and "Rsense2 " in deck and "Rsense0 " not in deck
    assert ".save i(vs2)\n" in deck
    currents = column_currents(batch_engine.run(deck), spec)
    assert np.count_nonzero(currents) == 1 and currents[2] != 0


def test_bias_scheme_lines_and_validation():
    lv = BiasScheme.cell("v/3", 0.9, 1, 2).line_voltages(3, 4)
    np.testing.assert_allclose(lv["rows"], [0.3, 0.9, 0.3])
    np.testing.assert_allclose(lv["columns"], [0.6, 0.6, 0.0, 0.6])
    assert not lv["row_floating"].any()
    lv = BiasScheme.row("floating", 1.0, 0).line_voltages(2, 3)
    assert list(lv["row_floating"]) == [False, True] and not lv["column_floating"].any()
    with pytest.raises(ValueError, match="unknown bias scheme"):
        BiasScheme("v/4", 1.0)
    with pytest.raises(ValueError, match="selected column 5 is outside"):
        BiasScheme.cell("v/2", 1.0, 0, 5).selection(3, 4)


# --------------------------------------------------------------------------- d. differential pairs


def test_differential_mapping_round_trip():
    rng = np.random.default_rng(8)
    w = rng.uniform(-2, 2, (5, 4))
    mapping = DifferentialMapping.for_weights(w, 1e-6, 1e-4)
    g = mapping.to_conductance(w)
    assert g.shape == (5, 8) and g.min() >= 1e-6 and g.max() <= 1e-4 * (1 + 1e-12)
    assert np.all((g[:, 0::2] == 1e-6) | (g[:, 1::2] == 1e-6))      # one device of each pair at g_min
    np.testing.assert_allclose(mapping.to_weights(g), w, rtol=1e-12, atol=1e-12)
    # ideal wires: the pair outputs are the signed product
    v = rng.uniform(-1, 1, 5)
    sol = solve_crossbar(CrossbarSpec(g, v, 0.0, 0.0, 0.0, 0.0))
    np.testing.assert_allclose(mapping.product(sol.column_currents), v @ w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(differential_currents(sol.column_currents), mapping.scale * (v @ w), rtol=1e-10,
                               atol=1e-18)
    with pytest.raises(ValueError, match="exceeds w_max"):
        DifferentialMapping(1e-6, 1e-4, 1.0).to_conductance(w)
    with pytest.raises(ValueError, match="0 < g_min < g_max"):
        DifferentialMapping(1e-4, 1e-6)
    with pytest.raises(ValueError, match="even number of columns"):
        differential_currents(np.ones(3))


@pytest.mark.ngspice
@pytest.mark.parametrize("shape", [(3, 2), (64, 32)], ids=["3x2", "64x32"])
def test_differential_pairs_match_ngspice(batch_engine, shape):
    m, n = shape
    rng = np.random.default_rng(400 + m)
    w = rng.uniform(-1, 1, (m, n))
    mapping = DifferentialMapping.for_weights(w, 1e-6, 1e-4)
    spec = CrossbarSpec(mapping.to_conductance(w), rng.uniform(-1, 1, m), r_row=1.0, r_col=2.0, r_source=5.0,
                        r_sense=3.0)
    for method in METHODS:
        sol, result = check_against_ngspice(batch_engine, spec, method, nodes=False)
        ref = mapping.output(column_currents(result, spec))
        assert rel(mapping.output(sol.column_currents), ref) <= AGREE
    assert 1e-3 < rel(mapping.product(sol.column_currents), spec.voltages @ w) < 0.2   # the IR drop: ~10 %


# --------------------------------------------------------------------------- everything at 128 x 128


@pytest.mark.ngspice
@pytest.mark.parametrize("method", METHODS)
def test_all_linear_options_128(batch_engine, method):
    """Both ends, TIA, a V/3 row write, on a 128 x 128 array."""
    spec = random_spec(128, 128, seed=128, drive="both", tia=TIA(gain=1e4, r_f=5e3))
    check_against_ngspice(batch_engine, spec, method, nodes=False)
    biased = spec.biased(BiasScheme.row("v/3", 1.2, 17))
    check_against_ngspice(batch_engine, biased, method, nodes=False)


# --------------------------------------------------------------------------- validation


def test_spec_options_validation():
    g = np.full((2, 3), 1e-5)
    with pytest.raises(ValueError, match="drive must be 'one' or 'both'"):
        CrossbarSpec(g, np.ones(2), 1.0, 1.0, drive="left")
    with pytest.raises(ValueError, match=r"r_sense\[1\] must be >= 0"):
        CrossbarSpec(g, np.ones(2), 1.0, 1.0, r_sense=[1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match=r"r_row must be finite and >= 0"):
        CrossbarSpec(g, np.ones(2), np.nan, 1.0)
    with pytest.raises(ValueError, match="loop of voltage sources"):
        netlist(CrossbarSpec(g, np.ones(2), 0.0, 1.0, r_source=0.0, drive="both"))
    with pytest.raises(ValueError, match="no reference"):
        CrossbarSpec(g, np.ones(2), 1.0, 1.0, r_source=np.inf, r_sense=np.inf)
    with pytest.raises(ValueError, match="column_voltages must be finite"):
        CrossbarSpec(g, np.ones(2), 1.0, 1.0, column_voltages=np.ones(2))
    with pytest.raises(ValueError, match="column_voltages must be finite"):
        CrossbarSpec(g, np.ones(2), 1.0, 1.0, column_voltages=np.ones(4))


# --------------------------------------------------------------------------- nonlinear cells (Newton)

TIGHT = "reltol=1e-12 abstol=1e-18 vntol=1e-15"
CELLS = {
    "selector": SinhSelector(v_s=0.1),
    "memristor": SinhMemristor(alpha=3.0, chi=1e-6, gamma=4.0),
}


def check_nonlinear(engine, spec: CrossbarSpec, nodes: bool = True):
    """Newton in the solver against ngspice's Newton with tight tolerances (TIGHT)."""
    m, n = spec.shape
    result = run(engine, spec, nodes, options=TIGHT)
    sol = solve_crossbar(spec)
    assert sol.method == "direct" and sol.iterations >= 2
    assert rel(sol.column_currents, column_currents(result, spec)) <= AGREE
    if spec.tia is not None:
        assert rel(sol.tia_output, tia_outputs(result, spec)) <= AGREE
    if nodes:
        v, i = cell_readout(result, spec)
        assert np.max(np.abs(sol.cell_voltages - v)) <= AGREE * np.max(np.abs(spec.voltages))
        assert rel(sol.cell_currents, i) <= AGREE
    return sol, result


@pytest.mark.ngspice
@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (64, 64)], ids=["1x1", "3x5", "64x64"])
def test_nonlinear_cells_match_ngspice(batch_engine, shape, cell):
    spec = random_spec(*shape, seed=500 + shape[0], cell=CELLS[cell])
    sol, _ = check_nonlinear(batch_engine, spec)
    if cell == "selector" and shape[0] >= 64:
        assert np.max(np.abs(sol.cell_voltages)) / CELLS[cell].v_s > 5       # strongly nonlinear: sinh(5) = 74


@pytest.mark.ngspice
@pytest.mark.slow
@pytest.mark.parametrize("cell", list(CELLS))
def test_nonlinear_cells_match_ngspice_128(batch_engine, cell):
    check_nonlinear(batch_engine, random_spec(128, 128, seed=628, cell=CELLS[cell]), nodes=False)


@pytest.mark.ngspice
@pytest.mark.parametrize("kind", SCHEMES)
def test_nonlinear_bias_schemes_match_ngspice(batch_engine, kind):
    """A 1S1R read under each scheme: the selector suppresses the half-selected currents."""
    scheme = BiasScheme.cell(kind, 1.0, 3, 4)
    spec = random_spec(16, 16, seed=6, cell=CELLS["selector"]).biased(scheme)
    sol, result = check_nonlinear(batch_engine, spec)
    out = scheme.readout(sol.cell_voltages, sol.cell_currents)
    ref = scheme.readout(*cell_readout(result, spec))
    assert out.selected_current == pytest.approx(ref.selected_current, rel=AGREE)
    if kind != "floating":
        # per siemens of cell, half-selected cells carry < 20 % of the selected cell's current (linear: 50 %)
        per_g = out.cell_currents / spec.conductance
        assert per_g[out.half_selected].max() < 0.2 * per_g[out.selected][0]


@pytest.mark.ngspice
@pytest.mark.parametrize("cell", list(CELLS))
def test_nonlinear_with_both_ends_and_tia_match_ngspice(batch_engine, cell):
    spec = random_spec(12, 9, seed=7, cell=CELLS[cell], drive="both", tia=TIA(gain=2e3, r_f=1e3))
    check_nonlinear(batch_engine, spec)


def test_nonlinear_closed_form_one_cell():
    """1 x 1, ideal lines: I = f(V) exactly; with series resistance R: V = I R + f^-1(I) (scalar root)."""
    from scipy.optimize import brentq
    cell = SinhSelector(v_s=0.1)
    g, volt = 1e-4, 0.6
    ideal = solve_crossbar(CrossbarSpec(np.array([[g]]), np.array([volt]), 0.0, 0.0, 0.0, 0.0, cell=cell))
    assert ideal.column_currents[0] == pytest.approx(g * 0.1 * np.sinh(6.0), rel=1e-12)
    r = 300.0
    sol = solve_crossbar(CrossbarSpec(np.array([[g]]), np.array([volt]), 1.0, 1.0, r / 2, r / 2, cell=cell))
    vc = brentq(lambda v: v + r * cell.current(v, g)[0] - volt, 0, volt, xtol=1e-15, rtol=1e-15)
    assert sol.column_currents[0] == pytest.approx(cell.current(vc, g)[0], rel=1e-10)


def test_nonlinear_kcl_where_ngspice_does_not_converge():
    """|V| up to 3 V on V_s = 50 mV selectors: ngspice's plain Newton overflows cosh; the solver's limited
    steps converge.  Check KCL at every node from the returned voltages (independent of the solver)."""
    rng = np.random.default_rng(3)
    m = n = 32
    cell = SinhSelector(v_s=0.05)
    g = rng.uniform(1e-6, 1e-4, (m, n))
    v = rng.uniform(-3, 3, m)
    r = 10.0
    sol = solve_crossbar(CrossbarSpec(g, v, r, r, r, r, cell=cell))
    xr, xc = sol.row_node_voltages, sol.column_node_voltages
    i_cell = cell.current(xr - xc, g)[0]
    # row nodes: driver in, wires, cell out
    kr = -i_cell
    kr[:, 0] += (v - xr[:, 0]) / r
    kr[:, 1:] += (xr[:, :-1] - xr[:, 1:]) / r
    kr[:, :-1] += (xr[:, 1:] - xr[:, :-1]) / r
    kc = i_cell.copy()
    kc[-1, :] -= xc[-1, :] / r
    kc[1:, :] += (xc[:-1, :] - xc[1:, :]) / r
    kc[:-1, :] += (xc[1:, :] - xc[:-1, :]) / r
    scale = np.max(np.abs(i_cell))
    assert np.max(np.abs(kr)) <= 1e-10 * scale and np.max(np.abs(kc)) <= 1e-10 * scale
    assert np.max(np.abs(xr - xc)) / cell.v_s > 10


def test_nonlinear_many_vectors():
    spec = random_spec(6, 5, seed=12, cell=CELLS["memristor"])
    vectors = np.random.default_rng(2).uniform(-1, 1, (4, 6))
    many = solve_crossbar(replace(spec, voltages=vectors))
    for k, v in enumerate(vectors):
        assert rel(many.column_currents[k], solve_crossbar(replace(spec, voltages=v)).column_currents) <= 1e-12
    # Newton with each correction by PCG (method="pcg") agrees with Newton on the direct factorisation
    by_pcg = solve_crossbar(replace(spec, voltages=vectors), method="pcg")
    assert by_pcg.method == "pcg" and rel(by_pcg.column_currents, many.column_currents) <= 1e-12
    assert solve_crossbar(replace(spec, cell=None)).iterations == 0    # cell=None: the linear cell


def test_nonlinear_deck_lines():
    spec = CrossbarSpec(np.full((2, 2), 2e-5), np.ones(2), 1.0, 1.0, cell=SinhSelector(v_s=0.25))
    deck = netlist(spec)
    assert "Bg1_0 r1_0 c1_0 I=5e-06*sinh(V(r1_0,c1_0)*4)" in deck and "Rg" not in deck
    spec = CrossbarSpec(np.full((1, 1), 3e-5), np.ones(1), 1.0, 1.0, cell=SinhMemristor(2.0, 1e-7, 5.0))
    assert "Bg0_0 r0_0 c0_0 I=1.5e-05*sinh(V(r0_0,c0_0)*2)+1e-07*(exp(V(r0_0,c0_0)*5)-1)" in netlist(spec)
    with pytest.raises(ValueError, match="v_s must be finite and > 0"):
        SinhSelector(v_s=0.0)
    with pytest.raises(ValueError, match="chi must be"):
        SinhMemristor(chi=-1.0)
    np.testing.assert_allclose(SinhMemristor.conductance([0.5, 1.0], beta=1e-5, n=2, alpha=3.0), [7.5e-6, 3e-5])


# --------------------------------------------------------------------------- catalogue devices and 1T1R

from circuitsim.models.catalogue import DEVICES  # noqa: E402
from circuitsim.crossbar import CatalogueCell, OneTransistorOneResistor  # noqa: E402


def catalogue_state(name: str, shape, seed: int, index: int = 0) -> np.ndarray:
    """A random state per cell inside the middle 80 % of the range of the device's state ``index`` (default
    parameters)."""
    device = DEVICES[name]
    state = device.states[index]
    values = device.validate()
    lo, hi = state.bound_value(state.lower, values), state.bound_value(state.upper, values)
    return np.random.default_rng(seed).uniform(lo + 0.1 * (hi - lo), hi - 0.1 * (hi - lo), shape)


@pytest.mark.ngspice
@pytest.mark.parametrize("name", sorted(DEVICES))
def test_catalogue_cells_match_ngspice(batch_engine, name):
    """Every catalogue device as a read-only cell (state held at its array value): ngspice .op vs Newton."""
    m, n = 6, 5
    rng = np.random.default_rng(len(name))
    device = DEVICES[name]
    if len(device.states) == 1:
        state = catalogue_state(name, (m, n), seed=len(name))
    else:                       # every state drawn the same way (a multi-state device takes a dict)
        state = {s.initial_param: catalogue_state(name, (m, n), seed=len(name) + k, index=k)
                 for k, s in enumerate(device.states)}
    cell = CatalogueCell(name, state)
    spec = CrossbarSpec(None, rng.uniform(-0.5, 0.5, m), r_row=1.0, r_col=2.0, r_source=3.0, r_sense=4.0, cell=cell)
    deck = netlist(spec, options=TIGHT)
    assert deck.count(f".subckt {name}_read ") == 1 and deck.count(f" {name}_read ") == m * n + 1
    check_nonlinear(batch_engine, spec)


@pytest.mark.ngspice
def test_linear_catalogue_cell_equals_the_linear_array(batch_engine):
    """lid_joglekar at state x is the resistor ron x + roff (1 - x): ngspice (subckt instances), Newton on the
    device's I-V and the linear solver with G = 1 / R(x) agree (64 x 64)."""
    m = n = 64
    x = catalogue_state("lid_joglekar", (m, n), seed=1)
    values = DEVICES["lid_joglekar"].validate()
    g = 1.0 / (values["ron"] * x + values["roff"] * (1 - x))
    cell = CatalogueCell("lid_joglekar", x)
    np.testing.assert_allclose(cell.conductance(), g, rtol=1e-14)
    rng = np.random.default_rng(2)
    spec = CrossbarSpec(None, rng.uniform(-1, 1, m), r_row=1.0, r_col=1.0, r_source=2.0, r_sense=2.0, cell=cell)
    np.testing.assert_allclose(spec.conductance, g, rtol=1e-14)
    reference = column_currents(batch_engine.run(netlist(spec)), spec)
    linear = solve_crossbar(CrossbarSpec(g, spec.voltages, 1.0, 1.0, 2.0, 2.0))
    newton = solve_crossbar(spec)
    assert rel(linear.column_currents, reference) <= AGREE
    assert rel(newton.column_currents, reference) <= AGREE
    assert rel(newton.column_currents, linear.column_currents) <= 1e-12


@pytest.mark.ngspice
@pytest.mark.parametrize("name, tolerance", [("lid_joglekar", AGREE), ("yakopcic", 1e-7)])
def test_dynamic_catalogue_cells_run_in_ngspice(batch_engine, name, tolerance):
    """The catalogue's own subckt (states integrating) in a 1 ps transient from the array's state (uic):
    the states barely move, so the currents are the read-only cell's (to the drift in 1 ps: ~1e-11 for the
    linear ion drift device, ~4e-9 for Yakopcic's)."""
    m, n = 6, 5
    x = catalogue_state(name, (m, n), seed=3)
    rng = np.random.default_rng(4)
    read = CrossbarSpec(None, rng.uniform(-0.5, 0.5, m), 1.0, 2.0, 3.0, 4.0, cell=CatalogueCell(name, x))
    dynamic = CrossbarSpec(None, read.voltages, 1.0, 2.0, 3.0, 4.0, cell=CatalogueCell(name, x, dynamic=True))
    deck = netlist(dynamic, analysis=".tran 1e-12 1e-12 0 1e-13 uic")
    assert deck.count(f".subckt {name} ") == 1 and f"Xg5_4 r5_4 c5_4 {name} " in deck
    result = batch_engine.run(deck)
    currents = column_currents(result, dynamic)                           # at the end of the transient
    assert rel(currents, solve_crossbar(read).column_currents) <= tolerance
    with pytest.raises(CellCapabilityError, match=f"CatalogueCell\\('{name}', dynamic=True.*ngspice"):
        solve_crossbar(dynamic)


def test_catalogue_cell_validation():
    with pytest.raises(ValueError, match=r"'x0' must be <= 1, got 1.5"):
        CrossbarSpec(None, np.ones(2), 1.0, 1.0, cell=CatalogueCell("lid_joglekar", np.full((2, 2), 1.5)))
    with pytest.raises(ValueError, match="must be finite, shape \\(2, 3\\)"):
        CrossbarSpec(np.ones((2, 3)), np.ones(2), 1.0, 1.0, cell=CatalogueCell("lid_joglekar", np.full((2, 2), 0.5)))
    with pytest.raises(ValueError, match="comes from the state array"):
        CatalogueCell("lid_joglekar", np.full((2, 2), 0.5), params={"x0": 0.2})
    with pytest.raises(ValueError, match="unknown parameter 'rxx'"):
        CrossbarSpec(None, np.ones(2), 1.0, 1.0, cell=CatalogueCell("lid_joglekar", np.full((2, 2), 0.5),
                                                                    params={"rxx": 1.0}))
    with pytest.raises(ValueError, match="no device 'nope' in the catalogue"):
        CatalogueCell("nope", np.ones((1, 1)))


@pytest.mark.ngspice
def test_one_transistor_one_resistor_cells(batch_engine):
    """1T1R: the deck runs; each cell's transistor follows the level-1 equations at ngspice's own node
    voltages; a wide transistor tends to the 1R array; a word line at 0 V turns its row off."""
    m, n = 5, 4
    rng = np.random.default_rng(9)
    g = rng.uniform(1e-5, 1e-4, (m, n))
    v = rng.uniform(0.1, 0.5, m)
    gates = np.array([1.8, 1.8, 0.0, 1.8, 1.2])
    cell = OneTransistorOneResistor(gate_voltages=gates, w=1e-6, l=1e-7)
    spec = CrossbarSpec(g, v, r_row=1.0, r_col=1.0, r_source=1.0, r_sense=1.0, cell=cell)
    deck = netlist(spec, save_currents_only=False)
    assert "Vwl2 w2 0 0" in deck and "Mg2_3 m2_3 w2 c2_3 0 nmos1t1r W=1e-06 L=1e-07" in deck
    assert cell.model in deck and "Rg2_3 r2_3 m2_3 " in deck
    result = batch_engine.run(deck)
    row, col = CrossbarProbes.of(spec).node_voltages(result)
    mid = CrossbarProbes.of(spec).internal_voltages(result)
    current = (row - mid) * g                                             # through each cell's resistor
    vgs, vds = gates[:, None] - col, mid - col
    vto, lam, beta = 0.5, 0.02, 2e-4 * 1e-6 / 1e-7  # level-1 KP = 2e-4 A/V^2, W/L = 10
    on = vgs > vto
    vov = np.where(on, vgs - vto, 0.0)
    level1 = np.where(vds < vov, beta * (vov - vds / 2) * vds, beta / 2 * vov ** 2) * (1 + lam * vds)
    on_cells = on & (np.abs(current) > 1e-9)
    assert on_cells.sum() == (m - 1) * n
    np.testing.assert_allclose(current[on_cells], level1[on_cells], rtol=1e-6)
    assert np.max(np.abs(current[2])) < 1e-9                              # word line off
    wide = CrossbarSpec(g, v, 1.0, 1.0, 1.0, 1.0, cell=OneTransistorOneResistor(gate_voltages=1.8, w=1e-3))
    linear = solve_crossbar(CrossbarSpec(g, v, 1.0, 1.0, 1.0, 1.0)).column_currents
    assert rel(column_currents(batch_engine.run(netlist(wide)), wide), linear) < 1e-4
    # a card the fast solver does not reproduce (body effect) stays generator only
    body = OneTransistorOneResistor(model=".model nb nmos (level=1 vto=0.5 kp=2e-4 gamma=0.4)")
    assert not body.solvable and cell.solvable
    with pytest.raises(CellCapabilityError, match="OneTransistorOneResistor.*nb nmos.*ngspice"):
        solve_crossbar(replace(spec, cell=body))
