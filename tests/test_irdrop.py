"""IR-drop reports and read margins (circuitsim.analysis.irdrop).

Tolerance policy (in addition to conftest.py and test_crossbar_solver.py):

* Symbolic (lcapy) against either engine: the symbolic currents are
  substituted with exact rationals and evaluated to 30 digits, so the only
  error is the engine's rounding; 1e-9 relative per column (measured: fast
  <= 4e-16, ngspice <= 2e-15).
* The read configuration (:func:`read_spec`: the default array biased by
  ``BiasScheme``, solved by ``solve_crossbar``) against a closed form with
  exactly ideal wires (merged line nodes, held drivers): rounding only, 1e-12.
* The same spec in ngspice (``crossbar_deck``, 0 ohm elements as 0 V
  sources): linear cells, 1e-9 (measured <= 3e-10 with floating lines at
  128 x 128, ~1e-13 with biased lines); selector cells: Newton to 1e-12 of
  the largest bias here, ngspice at ``reltol=1e-9``, 1e-9 (measured <= 8e-13
  with 0.3 / 0.6 ohm drivers and senses), except for one case.  With floating
  lines and a 1 mOhm sense (the read-margin default), ngspice resolves the
  selector deck only to ~1e-8: its own driver and sense currents, which must
  be equal there, differ by 3e-9 at 12 x 12.  The sensed current is a 4 nV
  drop across the sense resistor, and a tighter ``reltol`` (1e-12) makes
  ngspice's operating point fail to converge.  The fast solver satisfies that
  KCL to 1e-12 (tested), so that case allows 1e-7 (measured: 3.5e-9 at
  12 x 12, 2e-8 at 64 x 64).  Every nonlinear deck runs with the one set of
  read options (``NONLINEAR_READ_OPTIONS``: ``reltol=1e-9``, ``abstol=1e-15``,
  default ``vntol``); threshold-selector cells: currents 1e-9, node voltages
  of lines floating behind OFF selectors 1e-6 V (ngspice's vntol).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from circuitsim.analysis.irdrop import (
    SCHEMES,
    IRDropReport,
    irdrop_report,
    irdrop_sweep,
    read_cell,
    read_currents,
    read_margin,
    read_margin_table,
    read_spec,
    worst_case_read_margin,
    write_report,
    write_sweep,
)
from circuitsim.crossbar import CrossbarSpec, crossbar_deck, read_options
from circuitsim.crossbar.solver import solve_crossbar

AGREE = 1e-9
#: selector cells with floating lines against ngspice (see the module docstring)
FLOATING_SELECTOR = 1e-7


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def selector(g, v, v_s=0.05):
    return g * v_s * np.sinh(v / v_s)


# --------------------------------------------------------------------------- lcapy: a 2 x 2 array, symbolically

LCAPY_NET = """
V0 in0 0 dc {V0}
V1 in1 0 dc {V1}
Rsrc0 in0 r0_0 Rs
Rsrc1 in1 r1_0 Rs
Y00 r0_0 c0_0 G00
Y01 r0_1 c0_1 G01
Y10 r1_0 c1_0 G10
Y11 r1_1 c1_1 G11
Rrow0 r0_0 r0_1 Rr
Rrow1 r1_0 r1_1 Rr
Rcol0 c0_0 c1_0 Rc
Rcol1 c0_1 c1_1 Rc
Rsense0 c1_0 0 Rt
Rsense1 c1_1 0 Rt
"""


@pytest.fixture(scope="module")
def symbolic_2x2():
    """The two sense currents of a 2 x 2 array as rational functions of every element.

    The default topology (design.md), with the 0 V sense nodes as ground:
    cells are admittances ``G<ij>``, wires ``Rr`` / ``Rc``, drivers ``Rs``,
    senses ``Rt``.  lcapy writes the modified nodal equations; their solution
    is computed fraction-free over the polynomial ring (``solve_den``: lcapy's
    own solve cancels rational functions at every step and takes ~20 s).
    """
    lcapy = pytest.importorskip("lcapy")
    import sympy as sym
    from sympy.polys.matrices import DomainMatrix

    mna = lcapy.Circuit(LCAPY_NET).dc().modified_nodal_analysis()
    a, z = sym.Matrix(mna.A.sympy), sym.Matrix(mna.Z.sympy)
    unknowns = [str(x) for x in mna.X]
    rows = []
    for i in range(a.shape[0]):                      # clear each equation's denominators (1/R terms)
        row = [sym.together(e) for e in list(a.row(i)) + [z[i]]]
        lcm = sym.lcm([sym.denom(e) for e in row])
        rows.append([sym.expand(sym.cancel(e * lcm)) for e in row])
    dm = DomainMatrix.from_Matrix(sym.Matrix(rows))
    num, den = dm[:, : a.shape[1]].solve_den(dm[:, a.shape[1]:])
    num = num.to_Matrix()
    den = dm.domain.to_sympy(den)
    rt = sym.Symbol("Rt")
    return [num[unknowns.index(f"Vnc1_{j}"), 0] / (den * rt) for j in range(2)]


def _substitute(exprs, values):
    import sympy as sym

    out = []
    for e in exprs:                                   # lcapy's symbols carry assumptions: match them by name
        subs = {s: sym.Rational(Fraction(values[s.name])) for s in e.free_symbols}
        out.append(float(sym.N(e.subs(subs), 30)))
    return np.array(out)


LCAPY_CASES = {
    "mixed": dict(G00=3.1e-5, G01=7.7e-5, G10=1.9e-6, G11=5.3e-5, Rr=2.5, Rc=1.5, Rs=0.7, Rt=0.3, V0=0.35, V1=0.2),
    "heavy-wires": dict(G00=9e-4, G01=2e-4, G10=6e-4, G11=1e-3, Rr=40.0, Rc=75.0, Rs=12.0, Rt=20.0, V0=1.0, V1=-0.4),
}


@pytest.mark.parametrize("case", sorted(LCAPY_CASES))
def test_lcapy_2x2_against_the_fast_solver(symbolic_2x2, case):
    p = LCAPY_CASES[case]
    exact = _substitute(symbolic_2x2, p)
    g = np.array([[p["G00"], p["G01"]], [p["G10"], p["G11"]]])
    v = np.array([p["V0"], p["V1"]])
    for method in ("direct", "pcg"):
        fast = solve_crossbar(CrossbarSpec(g, v, p["Rr"], p["Rc"], p["Rs"], p["Rt"]), method=method).column_currents
        assert np.max(np.abs(fast - exact) / np.abs(exact)) <= AGREE        # symbolic vs engine: 1e-9 per column
    # the IR drop is real here: the symbolic result is not the ideal product
    assert rel(exact, v @ g) > 1e-5


@pytest.mark.ngspice
@pytest.mark.parametrize("case", sorted(LCAPY_CASES))
def test_lcapy_2x2_against_ngspice(symbolic_2x2, batch_engine, case):
    from circuitsim.analysis.irdrop import ngspice_crossbar

    p = LCAPY_CASES[case]
    exact = _substitute(symbolic_2x2, p)
    g = np.array([[p["G00"], p["G01"]], [p["G10"], p["G11"]]])
    spec = CrossbarSpec(g, [p["V0"], p["V1"]], p["Rr"], p["Rc"], p["Rs"], p["Rt"])
    spice = ngspice_crossbar(spec, engine=batch_engine)[0]
    assert np.max(np.abs(spice - exact) / np.abs(exact)) <= AGREE


# --------------------------------------------------------------------------- IR-drop report


def _array(m, n, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(1e-6, 1e-4, (m, n)), rng.uniform(0.05, 0.2, m)


def test_report_ideal_product_and_figures():
    g, v = _array(16, 12, 1)
    rep = irdrop_report(CrossbarSpec(g, v, 1.0, 2.0, 0.5, 0.3))
    assert isinstance(rep, IRDropReport) and rep.engine == "fast"
    np.testing.assert_array_equal(rep.ideal_currents, v @ g)              # G^T V, exactly
    np.testing.assert_array_equal(rep.abs_error, rep.currents - v @ g)
    np.testing.assert_allclose(rep.rel_error, (rep.currents - v @ g) / np.abs(v @ g), rtol=1e-15)
    sol = solve_crossbar(CrossbarSpec(g, v, 1.0, 2.0, 0.5, 0.3))
    np.testing.assert_array_equal(rep.currents, sol.column_currents)
    np.testing.assert_array_equal(rep.cell_voltage, sol.cell_voltages)
    np.testing.assert_allclose(rep.cell_fraction, sol.cell_voltages / v[:, None], rtol=1e-15)
    # summary figures follow from the per-column and per-cell arrays
    assert rep.max_rel_error == pytest.approx(np.max(np.abs(rep.rel_error)), rel=1e-15, abs=0)
    assert rep.rms_rel_error == pytest.approx(np.sqrt(np.mean(rep.rel_error ** 2)), rel=1e-15, abs=0)
    i, j = rep.worst_cell
    assert rep.worst_cell_fraction == rep.cell_fraction[i, j] == np.min(rep.cell_fraction)   # all V > 0: lowest
    assert 0.5 < rep.worst_cell_fraction < 1 and 0 < rep.rms_rel_error <= rep.max_rel_error
    assert np.all(rep.currents < rep.ideal_currents)                       # IR drop only loses current here
    doc = json.loads(rep.to_json())
    assert doc["summary"]["worst_cell"] == [i, j] and len(doc["columns"]["rel_error"]) == 12
    assert np.array(doc["cell_fraction"]).shape == (16, 12)


def test_zero_wire_resistance_gives_zero_error():
    g, v = _array(24, 20, 2)
    rep = irdrop_report(CrossbarSpec(g, v, 0.0, 0.0, 0.0, 0.0))
    assert rep.max_rel_error <= 1e-12                                     # rounding only
    np.testing.assert_allclose(rep.cell_fraction, 1.0, rtol=0, atol=1e-12)
    assert rep.worst_cell_fraction == pytest.approx(1.0, abs=1e-12)


def test_report_rows_at_zero_volts_and_cancelling_columns():
    g = np.full((3, 2), 1e-5)
    # column currents cancel exactly: +-0.5 V scales G by a power of two, so V @ G is exactly 0 even with a
    # fused multiply-add in the BLAS (with +-0.1 V an FMA leaves 3e-23 A)
    v = np.array([0.5, 0.0, -0.5])
    rep = irdrop_report(CrossbarSpec(g, v, 1.0, 1.0))
    assert np.all(rep.ideal_currents == 0) and np.all(np.isnan(rep.rel_error))
    assert np.all(np.isnan(rep.cell_fraction[1]))
    doc = json.loads(rep.to_json())                                       # strict JSON: nan -> null
    assert doc["columns"]["rel_error"] == [None, None] and doc["summary"]["max_rel_error"] is None


@pytest.mark.ngspice
def test_report_fast_and_ngspice_agree(batch_engine):
    g, v = _array(16, 12, 3)
    fast = irdrop_report(CrossbarSpec(g, v, 1.0, 2.0, 0.5, 0.3))
    spice = irdrop_report(CrossbarSpec(g, v, 1.0, 2.0, 0.5, 0.3), engine=batch_engine)
    assert spice.engine == "ngspice"
    assert rel(fast.currents, spice.currents) <= AGREE
    assert np.max(np.abs(fast.cell_voltage - spice.cell_voltage)) <= AGREE * np.max(v)
    assert fast.worst_cell == spice.worst_cell


def test_write_report(tmp_path):
    g, v = _array(8, 8, 4)
    paths = write_report(irdrop_report(CrossbarSpec(g, v, 2.0, 2.0)), tmp_path / "rep")
    names = sorted(p.name for p in paths)
    assert names == ["cell_voltage.npy", "column_error.png", "effective_voltage_map.png", "report.json"]
    for p in paths:
        if p.suffix == ".png":
            assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000
    assert json.loads((tmp_path / "rep" / "report.json").read_text())["summary"]["rows"] == 8
    assert np.load(tmp_path / "rep" / "cell_voltage.npy").shape == (8, 8)


def test_errors_grow_with_wire_resistance_size_and_conductance(tmp_path):
    sizes, wires = (4, 8, 16, 32), (0.01, 0.1, 1.0, 10.0)
    ranges = ((1e-6, 1e-5), (1e-5, 1e-4))
    rows = irdrop_sweep(sizes, wires, ranges, seed=3)
    assert len(rows) == len(sizes) * len(wires) * len(ranges)
    table = {(tuple(r["g_range_S"]), r["size"], r["r_wire_ohm"]): r for r in rows}
    for rng in ranges:
        for size in sizes:
            errs = [table[rng, size, w]["max_rel_error"] for w in wires]
            assert all(b > a for a, b in zip(errs, errs[1:])), (rng, size, errs)
            fr = [table[rng, size, w]["worst_cell_fraction"] for w in wires]
            assert all(b < a for a, b in zip(fr, fr[1:])), (rng, size, fr)
        for w in wires:
            errs = [table[rng, s, w]["max_rel_error"] for s in sizes]
            assert all(b > a for a, b in zip(errs, errs[1:])), (rng, w, errs)
            rms = [table[rng, s, w]["rms_rel_error"] for s in sizes]
            assert all(b > a for a, b in zip(rms, rms[1:])), (rng, w, rms)
    for size in sizes:                                                    # 10x the conductance, more IR drop
        for w in wires:
            assert table[ranges[1], size, w]["max_rel_error"] > table[ranges[0], size, w]["max_rel_error"]
    paths = write_sweep(rows, tmp_path)
    assert json.loads(paths[0].read_text()) == json.loads(json.dumps(rows))
    assert paths[1].read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("kwargs, message", [
    ({"conductance": np.array([[1e-5, np.nan], [1e-5, 1e-5]])}, r"G\[0, 1\] = nan"),
    ({"conductance": np.array([[1e-5, 1e-5], [0.0, 1e-5]])}, r"G\[1, 0\] = 0\.0"),
    ({"voltages": np.ones(3)}, r"shape mismatch between G and V.*\(2,\).*\(3,\)"),
    ({"voltages": np.ones((4, 2))}, r"one input vector"),
    ({"r_row": -1.0}, r"r_row must be finite and >= 0 ohm, got -1\.0"),
    ({"r_col": np.nan}, r"r_col must be finite"),
    ({"engine": "spice"}, r"unknown engine 'spice'"),
    ({"cell": "selector"}, r"ideal product V @ G of linear cells"),
    ({"r_sense": np.inf}, r"every row driven and every column sensed"),
])
def test_report_bad_input(kwargs, message):
    from circuitsim.crossbar import cell_by_name

    args = {"conductance": np.full((2, 2), 1e-5), "voltages": np.ones(2), "r_row": 1.0, "r_col": 1.0, **kwargs}
    engine = args.pop("engine", "fast")
    if "cell" in args:
        args["cell"] = cell_by_name(args["cell"])
    with pytest.raises(ValueError, match=message):
        irdrop_report(CrossbarSpec(**args), engine=engine)


# --------------------------------------------------------------------------- the read configuration


def _read(g, scheme, volt, sel, wires, cell="linear"):
    """The read configuration of the one solver: ``solve_crossbar(spec.biased(BiasScheme.cell(...)))``."""
    r_wire, r_source, r_sense = wires
    spec = read_spec(g, scheme, volt, sel, r_wire, r_source, r_sense, cell=read_cell(cell))
    return spec, solve_crossbar(spec)


def test_read_spec_is_the_biased_default_topology():
    """The read configuration is the default array biased by BiasScheme: selected row at V, selected column at
    0 V, the rest floating / at V/2 / at V/3 (or 2V/3 for columns)."""
    g = np.random.default_rng(5).uniform(1e-6, 1e-4, (4, 3))
    for scheme, rows, cols in (("floating", [np.inf] * 3, [np.inf] * 2), ("v/2", [0.2] * 3, [0.2] * 2),
                               ("v/3", [0.4 / 3] * 3, [0.8 / 3] * 2)):
        spec = read_spec(g, scheme, 0.4, (1, 2), 1.0, 0.5, 0.25)
        assert spec.voltages[1] == 0.4 and spec.sense_voltages[2] == 0.0
        if scheme == "floating":
            assert np.all(np.isinf(np.delete(spec.r_source, 1))) and np.all(np.isinf(spec.r_sense[:2]))
            assert spec.r_source[1] == 0.5 and spec.r_sense[2] == 0.25
        else:
            np.testing.assert_allclose(np.delete(spec.voltages, 1), rows, rtol=1e-15)
            np.testing.assert_allclose(spec.sense_voltages[:2], cols, rtol=1e-15)


def _uniform(m, n, sel, g_on, g_sel):
    g = np.full((m, n), g_on)
    g[sel] = g_sel
    return g


IDEAL = (0.0, 0.0, 0.0)


@pytest.mark.parametrize("cell", ["linear", "selector"])
@pytest.mark.parametrize("shape", [(2, 2), (3, 5), (8, 8), (16, 4)])
def test_half_and_third_bias_closed_forms(shape, cell):
    """Ideal wires: V/2 half-selects the M+N-2 cells of the selected lines (the sense collects M-1 of them);
    V/3 puts every unselected cell at +-V/3 (the sense collects M-1 of them)."""
    m, n = shape
    sel, volt, g_on, g_sel = (0, n - 1), 0.4, 1e-4, 1e-6
    law = (lambda g, x: g * x) if cell == "linear" else selector
    g = _uniform(m, n, sel, g_on, g_sel)
    for scheme, fraction in (("v/2", 0.5), ("v/3", 1 / 3)):
        _, s = _read(g, scheme, volt, sel, IDEAL, cell)
        expected = law(g_sel, volt) + (m - 1) * law(g_on, fraction * volt)
        assert s.column_currents[sel[1]] == pytest.approx(expected, rel=1e-12, abs=0)
        vc = np.abs(s.cell_voltages)
        others = np.ones((m, n), dtype=bool)
        others[sel] = False
        assert vc[sel] == pytest.approx(volt, rel=1e-12, abs=0)
        if scheme == "v/2":
            half = np.zeros((m, n), dtype=bool)
            half[sel[0], :] = half[:, sel[1]] = True
            half[sel] = False
            assert int(np.sum(np.isclose(vc, volt / 2, rtol=1e-12))) == m + n - 2
            np.testing.assert_allclose(vc[half], volt / 2, rtol=1e-12)
            assert np.all(vc[others & ~half] <= 1e-15)
        else:
            np.testing.assert_allclose(vc[others], volt / 3, rtol=1e-12)
            assert int(np.sum(s.cell_voltages < 0)) == (m - 1) * (n - 1)     # rows at V/3, columns at 2V/3


@pytest.mark.parametrize("shape", [(2, 2), (3, 7), (16, 16), (40, 25)])
def test_floating_read_sneak_closed_form(shape):
    m, n = shape
    r_cell, volt, sel = 1e4, 0.3, (0, n - 1)
    sneak = r_cell / (n - 1) + r_cell / ((m - 1) * (n - 1)) + r_cell / (m - 1)
    _, s = _read(np.full(shape, 1 / r_cell), "floating", volt, sel, IDEAL)
    assert s.column_currents[sel[1]] == pytest.approx(volt * (1 / r_cell + 1 / sneak), rel=1e-12, abs=0)
    assert np.all(np.delete(s.column_currents, sel[1]) == 0)


@pytest.mark.parametrize("cell", ["linear", "selector", "threshold"])
def test_floating_read_conserves_current(cell):
    """With floating lines the driver's current can only leave through the sensed column (KCL, to rounding)."""
    m, n = 12, 12
    g = np.random.default_rng(12).uniform(1e-6, 1e-5, (m, n))
    _, s = _read(g, "floating", 0.4, (0, n - 1), (1.0, 1e-3, 1e-3), cell)
    assert s.row_currents[0] == pytest.approx(s.column_currents[n - 1], rel=1e-12, abs=0)
    assert np.abs(s.cell_currents.sum()) > 0 and np.all(s.row_currents[1:] == 0)


@pytest.mark.ngspice
@pytest.mark.parametrize("cell", ["linear", "selector"])
def test_closed_forms_in_ngspice(batch_engine, cell):
    """The same ideal-wire read configurations in ngspice (0 ohm elements written as 0 V sources)."""
    m, n = 6, 5
    sel, volt, g_on, g_sel = (0, n - 1), 0.4, 1e-4, 1e-6
    law = (lambda g, x: g * x) if cell == "linear" else selector
    g = _uniform(m, n, sel, g_on, g_sel)
    for scheme, fraction in (("v/2", 0.5), ("v/3", 1 / 3)):
        spec = read_spec(g, scheme, volt, sel, *IDEAL, cell=read_cell(cell))
        assert "VRrow0_0 r0_0 r0_1 0" in crossbar_deck(spec).text
        expected = law(g_sel, volt) + (m - 1) * law(g_on, fraction * volt)
        assert read_currents(spec, batch_engine)[sel[1]] == pytest.approx(expected, rel=AGREE, abs=0)
    if cell == "linear":
        spec = read_spec(np.full((m, n), 1e-4), "floating", volt, sel, *IDEAL)
        sneak = 1e4 / (n - 1) + 1e4 / ((m - 1) * (n - 1)) + 1e4 / (m - 1)
        assert read_currents(spec, batch_engine)[sel[1]] == pytest.approx(volt * (1e-4 + 1 / sneak), rel=AGREE,
                                                                           abs=0)


@pytest.mark.ngspice
@pytest.mark.parametrize("cell", ["linear", "selector", "threshold"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_read_configuration_matches_ngspice_with_wires(batch_engine, scheme, cell):
    m, n = 9, 7
    rng = np.random.default_rng(8)
    g = rng.uniform(2e-6, 1e-4, (m, n))
    spec = read_spec(g, scheme, 0.4, (2, 5), 1.5, 0.3, 0.6, cell=read_cell(cell))
    spec = replace(spec, r_col=2.5)
    ours = solve_crossbar(spec)
    deck = crossbar_deck(spec, save_currents_only=False, options=read_options(spec.cell))
    res = batch_engine.run(deck)
    sensed = list(deck.probes.sensed_columns)
    spice = deck.probes.column_currents(res)
    assert rel(ours.column_currents[sensed], spice[sensed]) <= AGREE
    row, col = deck.probes.node_voltages(res)
    # floating lines held only by OFF threshold selectors: ngspice settles their voltages to its default vntol
    # (1e-6 V, see cells.NONLINEAR_READ_OPTIONS; measured 1.1e-7 V); every other case to 1e-9 of the read voltage
    node_tol = 1e-6 if (cell, scheme) == ("threshold", "floating") else AGREE * 0.4
    assert np.max(np.abs(ours.row_node_voltages - row)) <= node_tol
    assert np.max(np.abs(ours.column_node_voltages - col)) <= node_tol
    driven = list(deck.probes.driven_rows)
    assert rel(ours.row_currents[driven], deck.probes.driver_currents(res)[driven]) <= AGREE


# --------------------------------------------------------------------------- read margin


def test_read_margin_closed_forms_with_ideal_wires():
    r_on, r_off, volt = 1e5, 1e6, 0.4
    ideal = dict(r_wire=0.0, r_source=0.0, r_sense=0.0, r_on=r_on, r_off=r_off, v_read=volt)
    for m, n in ((2, 2), (4, 8), (32, 32)):
        sneak = r_on / (n - 1) + r_on / ((m - 1) * (n - 1)) + r_on / (m - 1)
        expect = {
            "floating": (1 / r_on - 1 / r_off) / (1 / r_on + 1 / sneak),
            "v/2": (1 - r_on / r_off) / (1 + (m - 1) / 2),
            "v/3": (1 - r_on / r_off) / (1 + (m - 1) / 3),
        }
        for scheme in SCHEMES:
            rm = worst_case_read_margin(m, n, scheme, **ideal)
            assert rm.margin == pytest.approx(expect[scheme], rel=1e-12, abs=0), (m, n, scheme)
            assert rm.i_lrs == pytest.approx(volt / r_on * (1 + {"floating": r_on / sneak, "v/2": (m - 1) / 2,
                                                                 "v/3": (m - 1) / 3}[scheme]), rel=1e-12, abs=0)
            assert rm.ideal_margin == pytest.approx(0.9) and rm.selected == (0, n - 1) and rm.engine == "fast"
    # selector: the cell passes v_read / R at v_read and sinh(V/2 / v_s) / sinh(V / v_s) of it at V/2
    m, v_s = 16, 0.05
    rm = worst_case_read_margin(m, m, "v/2", "selector", engine="fast", v_s=v_s, **ideal)
    half = math.sinh(volt / 2 / v_s) / math.sinh(volt / v_s)
    assert rm.i_lrs == pytest.approx(volt / r_on * (1 + (m - 1) * half), rel=1e-12, abs=0)
    assert rm.margin == pytest.approx((1 - r_on / r_off) / (1 + (m - 1) * half), rel=1e-12, abs=0)


def test_read_margin_falls_with_size_and_the_selector_helps():
    rows = read_margin_table(sizes=(2, 4, 8, 16, 32), engine="fast")
    for cell in ("linear", "selector"):
        for scheme in SCHEMES:
            margins = [r["margin"] for r in rows if r["cell"] == cell and r["scheme"] == scheme]
            assert len(margins) == 5 and all(b < a for a, b in zip(margins, margins[1:])), (cell, scheme, margins)
            assert 0 < margins[-1] < margins[0] < 0.9
    at = {(r["cell"], r["scheme"], r["rows"]): r["margin"] for r in rows}
    for scheme in SCHEMES:
        assert at["selector", scheme, 32] > 5 * at["linear", scheme, 32]
    # V/3 beats V/2 (its half-selected cells see V/3, not V/2) at every size above 2
    assert all(at[c, "v/3", s] > at[c, "v/2", s] for c in ("linear", "selector") for s in (4, 8, 16, 32))


def test_wire_resistance_lowers_the_margin():
    margins = [worst_case_read_margin(16, 16, "v/3", r_wire=r).margin for r in (0.0, 1.0, 5.0, 20.0)]
    assert all(b < a for a, b in zip(margins, margins[1:])), margins


def _ngspice_tolerance(scheme: str, cell: str) -> float:
    """1e-9, except selector cells with floating lines (FLOATING_SELECTOR, see the module docstring)."""
    return FLOATING_SELECTOR if (scheme == "floating" and cell == "selector") else AGREE


@pytest.mark.ngspice
@pytest.mark.parametrize("scheme", SCHEMES)
def test_read_margin_selector_fast_equals_ngspice(batch_engine, scheme):
    fast = worst_case_read_margin(12, 12, scheme, "selector", engine="fast")
    spice = worst_case_read_margin(12, 12, scheme, "selector", engine=batch_engine)
    assert spice.engine == "ngspice"
    tol = _ngspice_tolerance(scheme, "selector")
    assert fast.i_lrs == pytest.approx(spice.i_lrs, rel=tol, abs=0)
    assert fast.i_hrs == pytest.approx(spice.i_hrs, rel=tol, abs=0)
    assert fast.margin == pytest.approx(spice.margin, rel=10 * tol, abs=0)


@pytest.mark.ngspice
@pytest.mark.slow
def test_read_margin_table_ngspice_to_64(batch_engine):
    for scheme in SCHEMES:
        for cell in ("linear", "selector"):
            fast = worst_case_read_margin(64, 64, scheme, cell, engine="fast")
            spice = worst_case_read_margin(64, 64, scheme, cell, engine=batch_engine)
            tol = _ngspice_tolerance(scheme, cell)
            assert fast.i_lrs == pytest.approx(spice.i_lrs, rel=tol, abs=0), (scheme, cell)
            assert fast.i_hrs == pytest.approx(spice.i_hrs, rel=tol, abs=0), (scheme, cell)


@pytest.mark.parametrize("call, message", [
    (lambda: worst_case_read_margin(4, 4, "V/4"), r"unknown bias scheme 'V/4'"),
    (lambda: worst_case_read_margin(4, 4, cell="1T1R"), r"unknown cell '1T1R'"),
    (lambda: worst_case_read_margin(4, 4, r_on=1e6, r_off=1e5), r"r_on < r_off"),
    (lambda: worst_case_read_margin(4, 4, selected=(4, 0)), r"outside the 4 x 4 array"),
    (lambda: worst_case_read_margin(4, 4, r_wire=-1.0), r"r_row must be finite and >= 0"),
    (lambda: read_spec(np.full((2, 2), 1e-5), "v/2", 0.4, (2, 0)), r"selected row 2 is outside the array"),
    (lambda: read_spec(np.full((2, 2), np.nan), "v/2", 0.4, (0, 0)), r"G\[0, 0\] = nan"),
    (lambda: read_spec(np.full((2, 2), 1e-5), "v/2", 0.4, (0, 0), r_wire=-2.0), r"r_row must be finite and >= 0"),
])
def test_read_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_read_margin_of_a_spec_is_the_worst_case_margin():
    """read_margin takes any spec (here the worst-case array built by hand) and reads its selected cell with the
    HRS conductance swapped in: the same currents as worst_case_read_margin (the same solves, so exactly)."""
    m, n, sel = 6, 5, (0, 4)
    spec = CrossbarSpec(np.full((m, n), 1e-5), np.zeros(m), 1.0, 1.0, cell=read_cell("threshold"))
    mine = read_margin(spec, sel, 1e-6, "v/3", v_read=0.4, engine="fast")
    ref = worst_case_read_margin(m, n, "v/3", "threshold", r_on=1e5, r_off=1e6, v_read=0.4, selected=sel)
    assert (mine.i_lrs, mine.i_hrs, mine.scheme, mine.cell) == (ref.i_lrs, ref.i_hrs, "v/3", "threshold")
    assert mine.ideal_margin == pytest.approx(ref.ideal_margin, rel=1e-15)
