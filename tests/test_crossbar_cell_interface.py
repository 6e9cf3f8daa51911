"""The one cell interface (circuitsim.crossbar.cell.Cell): a user's own cell, a user's own device, the probes.

Tolerance policy (in addition to test_crossbar_options.py):

* A user's own nonlinear cell, fast solver (Newton to 1e-12 of the largest
  source voltage) against ngspice at ``reltol=1e-12 abstol=1e-18
  vntol=1e-15`` (its stopping test far below 1e-9): 1e-9 relative,
  norm-wise, as for the built-in cells.
* Closed forms with exactly ideal lines (0 ohm: the solver merges the nodes,
  the cell sees the driver's voltage): rounding only, 1e-12 relative.
* A user's device's state in a transient against ``w0 + k V t`` (a constant
  rate at a fixed cell voltage, far from the state's bounds): every
  integration method integrates a constant exactly, so rounding only, 1e-12
  relative on the change of the state (measured 9e-16).
* Measured against ngspice for the user's cubic cell: ~1e-11.
"""

from __future__ import annotations

import warnings
from typing import List, Tuple

import numpy as np
import pytest
import sympy as sp

from circuitsim.crossbar import (
    CatalogueCell,
    Cell,
    CellCapabilityError,
    CrossbarProbes,
    CrossbarSpec,
    crossbar_deck,
)
from circuitsim.crossbar.probes import cell_element, column_node, row_node
from circuitsim.crossbar.solver import solve_crossbar
from circuitsim.models.catalogue import get_device
from circuitsim.models.printers import osdi_module_name

AGREE = 1e-9
TIGHT = "reltol=1e-12 abstol=1e-18 vntol=1e-15"


def rel(a, b) -> float:
    """Norm-wise relative difference max|a - b| / max|b|."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# --------------------------------------------------------------------------- a user's own cell


class CubicCell(Cell):
    """A user's own cell: ``I = G (V + a V^3)``, one B-source per cell, with its Python current model."""

    instance_element = "B"
    max_step = 0.2

    def __init__(self, a: float = 2.0):
        self.a = a

    def lines(self, m: int, n: int, conductance: np.ndarray) -> List[str]:
        out = []
        for i in range(m):
            for j in range(n):
                v = f"V({row_node(i, j)},{column_node(i, j)})"
                out.append(f"{cell_element('B', i, j)} {row_node(i, j)} {column_node(i, j)} "
                           f"I={conductance[i, j]:.15g}*({v}+{self.a:.15g}*{v}*{v}*{v})")
        return out

    def current(self, v: np.ndarray, g: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        return g * (v + self.a * v ** 3), g * (1 + 3 * self.a * v ** 2)


class DeckOnlyCell(Cell):
    """A user's cell with deck text only (resistors), no Python current model."""

    def lines(self, m: int, n: int, conductance: np.ndarray) -> List[str]:
        return [f"{cell_element('R', i, j)} {row_node(i, j)} {column_node(i, j)} {1 / conductance[i, j]:.15g}"
                for i in range(m) for j in range(n)]


def random_spec(m: int, n: int, seed: int, cell: Cell) -> CrossbarSpec:
    rng = np.random.default_rng(seed)
    return CrossbarSpec(rng.uniform(1e-6, 1e-4, (m, n)), rng.uniform(-1, 1, m), r_row=1.5, r_col=2.5, r_source=0.5,
                        r_sense=0.25, cell=cell)


@pytest.mark.ngspice
@pytest.mark.parametrize("shape", [(1, 1), (5, 4), (24, 24)], ids=["1x1", "5x4", "24x24"])
def test_own_cell_in_the_deck_and_the_solver_matches_ngspice(batch_engine, shape):
    spec = random_spec(*shape, seed=shape[0], cell=CubicCell(a=3.0))
    deck = crossbar_deck(spec, options=TIGHT, save_currents_only=False)
    result = batch_engine.run(deck)
    sol = solve_crossbar(spec)
    assert sol.info["newton_iterations"] >= 2
    assert rel(sol.column_currents, deck.probes.column_currents(result)) <= AGREE
    row, col = deck.probes.node_voltages(result)
    assert np.max(np.abs(sol.cell_voltages - (row - col))) <= AGREE * np.max(np.abs(spec.voltages))
    assert rel(sol.cell_currents, spec.cell_currents(row, col)) <= AGREE
    # the pcg corrections take a user's two-terminal cell too
    assert rel(solve_crossbar(spec, method="pcg").column_currents, sol.column_currents) <= 1e-10


def test_own_cell_closed_form_with_ideal_lines():
    """Ideal lines: every cell sees its row's voltage, so column j collects sum_i G_ij (V_i + a V_i^3)."""
    rng = np.random.default_rng(3)
    g, v = rng.uniform(1e-6, 1e-4, (6, 5)), rng.uniform(-1, 1, 6)
    sol = solve_crossbar(CrossbarSpec(g, v, 0.0, 0.0, 0.0, 0.0, cell=CubicCell(a=2.0)))
    expected = ((v + 2.0 * v ** 3)[:, None] * g).sum(axis=0)
    assert rel(sol.column_currents, expected) <= 1e-12


@pytest.mark.ngspice
def test_cell_without_a_current_model_runs_in_ngspice_and_is_refused_by_the_solver(batch_engine):
    rng = np.random.default_rng(5)
    g, v = rng.uniform(1e-6, 1e-4, (4, 3)), rng.uniform(-1, 1, 4)
    spec = CrossbarSpec(g, v, 1.0, 1.0, cell=DeckOnlyCell())
    assert not spec.cell.solvable
    deck = crossbar_deck(spec)
    linear = solve_crossbar(CrossbarSpec(g, v, 1.0, 1.0))                 # the same resistors, the built-in cell
    assert rel(deck.probes.column_currents(batch_engine.run(deck)), linear.column_currents) <= AGREE
    with pytest.raises(CellCapabilityError, match=r"DeckOnlyCell\(\) has no .*simulate it in ngspice") as info:
        solve_crossbar(spec)
    assert isinstance(info.value, NotImplementedError)


def test_cell_interface_is_abstract_and_named():
    with pytest.raises(TypeError, match="lines"):
        Cell()                                           # lines() is the one required method
    cell = CubicCell()
    assert cell.solvable and cell.two_terminal and not cell.linear and cell.name == "CubicCell"
    t = cell.terminal_currents(np.array([[0.5]]), np.array([[0.1]]), np.array([[1e-5]]))
    assert t.row == t.column == pytest.approx(1e-5 * (0.4 + 2.0 * 0.4 ** 3), rel=1e-15)
    assert t.d_row_d_vrow == -t.d_row_d_vcol == pytest.approx(1e-5 * (1 + 6.0 * 0.4 ** 2), rel=1e-15)


def test_a_spec_refuses_what_is_not_a_cell():
    with pytest.raises(ValueError, match="cell must be a circuitsim.crossbar.Cell"):
        CrossbarSpec(np.ones((2, 2)), np.ones(2), 1.0, 1.0, cell="selector")
    with pytest.raises(ValueError, match="conductance is required: the cell CubicCell"):
        CrossbarSpec(None, np.ones(2), 1.0, 1.0, cell=CubicCell())


def test_an_object_that_is_not_a_cell_is_refused():
    class Duck:                                          # the shape of a cell, without the Cell interface
        def check(self, m, n):
            pass

        def definitions(self):
            return ["* duck"]

        def lines(self, m, n, conductance):
            return [f"Rg{i}_{j} r{i}_{j} c{i}_{j} 1000" for i in range(m) for j in range(n)]

    with pytest.raises(ValueError, match="must be a circuitsim.crossbar.Cell"):
        CrossbarSpec(np.ones((2, 2)), np.ones(2), 1.0, 1.0, cell=Duck())


# --------------------------------------------------------------------------- a user's own device


def own_device():
    """A user's own memristor in the modelling language: I = g0 w sinh(a V) / a, dw/dt = k V."""
    from circuitsim.models.language import V, Device, State, param, symbol

    g0, a, k, w = (symbol(s) for s in ("g0", "a", "k", "w"))
    return Device(
        name="my_sinh_mem", title="a user's sinh memristor", ports=("p", "n"),
        params=(param("g0", 1e-4, "S", "conductance scale", "test", positive=True),
                param("a", 3.0, "1/V", "sinh steepness", "test", positive=True),
                param("k", 1e5, "1/(V s)", "state rate per volt", "test", positive=True),
                param("w0", 0.5, "", "initial state", "test", minimum=0.0, maximum=1.0)),
        states=(State("w", 0.0, 1.0, "w0", "", "normalised state"),),
        current=g0 * w * sp.sinh(a * V) / a, rates={"w": k * V}, reference="test")


@pytest.mark.ngspice
def test_own_device_as_a_static_cell_matches_ngspice_and_its_closed_form(batch_engine):
    device = own_device()
    w = np.random.default_rng(7).uniform(0.2, 0.8, (5, 4))
    cell = CatalogueCell(device, w)
    np.testing.assert_allclose(cell.conductance(), 1e-4 * w, rtol=1e-14)    # dI/dV at 0 V = g0 w
    spec = CrossbarSpec(None, np.random.default_rng(8).uniform(-0.6, 0.6, 5), 1.0, 2.0, 0.5, 0.5, cell=cell)
    deck = crossbar_deck(spec, options=TIGHT)
    assert rel(solve_crossbar(spec).column_currents, deck.probes.column_currents(batch_engine.run(deck))) <= AGREE
    ideal = solve_crossbar(CrossbarSpec(None, spec.voltages, 0.0, 0.0, 0.0, 0.0, cell=cell))
    v = spec.voltages[:, None]
    assert rel(ideal.column_currents, (1e-4 * w * np.sinh(3 * v) / 3).sum(axis=0)) <= 1e-12


@pytest.mark.ngspice
def test_own_device_states_integrate_and_the_probes_name_them(batch_engine):
    """A dynamic cell (the device's subckt) in a transient: every cell at its row's voltage (ideal lines), so
    its state moves by k V t; the probes name the state vectors the way ngspice does."""
    device = own_device()
    m, n, t_end = 3, 2, 1e-7
    spec = CrossbarSpec(None, np.array([0.4, -0.2, 0.1]), 0.0, 0.0, 0.0, 0.0,
                        cell=CatalogueCell(device, np.full((m, n), 0.5), dynamic=True))
    deck = crossbar_deck(spec, analysis=f".tran {t_end / 100:.15g} {t_end:.15g} 0 {t_end / 100:.15g} uic",
                         save_currents_only=False, options="reltol=1e-9")
    assert deck.probes.state_vectors() == {"w0": [f"v(xg{i}_{j}.s_w)" for i in range(m) for j in range(n)]}
    result = batch_engine.run(deck)
    delta = deck.probes.state_values(result)["w0"]
    expected = 1e5 * spec.voltages[:, None] * t_end * np.ones((m, n))
    np.testing.assert_allclose(delta, expected, rtol=1e-12)
    with pytest.raises(CellCapabilityError, match="dynamic=True.*ngspice"):
        solve_crossbar(spec)


# --------------------------------------------------------------------------- the probes own every name


@pytest.mark.parametrize("backend, element", [("subckt", "X"), ("osdi", "N")])
def test_state_vectors_of_both_cosimulation_backends(backend, element):
    """The probes' state vectors are the names the co-simulation reads: ngspice's subckt instance node
    ``v(xg<i>_<j>.s_<state>)`` and OSDI internal node ``v(ng<i>_<j>#s_<state>)`` (compared with
    CrossbarCircuit.state_vectors, written independently in circuitsim.cosim)."""
    from circuitsim.cosim.circuit import CrossbarCircuit

    circuit = CrossbarCircuit("lid_joglekar", (3, 4), backend=backend)
    cell = CatalogueCell("lid_joglekar", np.full((3, 4), 0.5), dynamic=True, backend=backend)
    spec = CrossbarSpec(np.ones((3, 4)), np.zeros(3), 1.0, 1.0, cell=cell)
    probes = crossbar_deck(spec, analysis=None).probes
    assert probes.state_vectors() == circuit.state_vectors()
    assert probes.cell_instance(2, 3) == f"{element}g2_3"
    text = crossbar_deck(spec, analysis=None).text
    if backend == "osdi":
        module = osdi_module_name(get_device("lid_joglekar"))      # content-hashed: lid_joglekar_<hash>
        assert module.startswith("lid_joglekar_")
        assert f".model mg2_3 {module} x0=0.5\nNg2_3 r2_3 c2_3 mg2_3" in text and ".subckt" not in text
    else:
        assert "Xg2_3 r2_3 c2_3 lid_joglekar x0=0.5" in text and ".subckt lid_joglekar " in text


def test_probe_names_and_parsing():
    spec = CrossbarSpec(np.ones((2, 3)), np.ones(2), 1.0, 1.0, r_sense=[1.0, np.inf, 1.0])
    probes = CrossbarProbes.of(spec)
    assert probes.column_current_vectors() == ["i(vs0)", "i(vs2)"] and probes.sensed_columns == (0, 2)
    assert [probes.column_index(name) for name in probes.column_current_vectors()] == [0, 2]
    assert probes.column_index(" I(VS12) ") == 12
    with pytest.raises(ValueError, match="not a column-current vector"):
        probes.column_index("v(o3)")
    assert (probes.row_voltage(1, 2), probes.column_voltage(1, 2), probes.driver_current(1)) == (
        "v(r1_2)", "v(c1_2)", "i(vin1)")
    assert probes.cell_instances() == ["Rg0_0", "Rg0_1", "Rg0_2", "Rg1_0", "Rg1_1", "Rg1_2"]
    with pytest.raises(ValueError, match="no state nodes"):
        probes.state_vector(0, 0, "s_x")
    deck = crossbar_deck(spec)
    assert str(deck) == deck.text and deck.probes == probes
    assert ".save i(vs0) i(vs2)\n" in deck.text
    with warnings.catch_warnings():
        warnings.simplefilter("error")                   # the built-in cells raise no deprecation warning
        CrossbarSpec(np.ones((2, 3)), np.ones(2), 1.0, 1.0)
