"""Result objects: selection by node and source, units, xarray export, the plot helper."""

from __future__ import annotations

import numpy as np
import pytest

from circuitsim.netlists import Netlist, Pulse
from circuitsim.spice import Op, Tran
from circuitsim.spice.messages import ERROR, INFO, WARNING, classify
from circuitsim.spice.result import canonical_name

pytestmark = pytest.mark.ngspice


def _divider():
    net = Netlist("divider")
    net.vsource("V1", "in", "0", waveform=Pulse(0, 3, rise=1e-6, fall=1e-6, width=1e-4, period=2e-4))
    net.resistor("R1", "in", "out", 2e3)
    net.resistor("R2", "out", "0", 1e3)
    return net


def test_selection_and_units(engine):
    result = engine.run(_divider(), Tran(1e-6, 1e-4))
    assert set(result.last.node_voltages) == {"in", "out"}
    assert set(result.last.branch_currents) == {"v1"}
    np.testing.assert_allclose(result.v("in", "out"), result.v("in") - result.v("out"), rtol=0, atol=0)
    np.testing.assert_array_equal(result["OUT"], result["v(out)"])  # bare node names, any case
    assert result.unit("i(v1)") == "A" and result.unit("v(in)") == "V"
    with pytest.raises(KeyError, match="no vector"):
        result["v(nowhere)"]


def test_to_xarray_has_time_coordinate_and_units(engine):
    result = engine.run(_divider(), Tran(1e-6, 1e-4))
    dataset = result.to_xarray()
    assert "time" in dataset.coords and dataset["v(out)"].attrs["units"] == "V"
    np.testing.assert_array_equal(dataset["v(out)"].values, result.v("out"))
    op = engine.run(_divider(), Op()).to_xarray()
    assert float(op["v(out)"]) == pytest.approx(0.0)


def test_plot_helper_draws_lines(engine, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    result = engine.run(_divider(), Tran(1e-6, 1e-4))
    ax = result.plot("v(in)", "out")
    assert len(ax.lines) == 2 and ax.get_xlabel() == "time [s]"
    ax.figure.savefig(tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_canonical_names():
    assert canonical_name("out", "voltage") == "v(out)"
    assert canonical_name("V1#branch", "current") == "i(v1)"
    assert canonical_name("x1.state", "voltage") == "v(x1.state)"
    assert canonical_name("time", "time") == "time"
    assert canonical_name("@r1[i]", "current") == "@r1[i]"


@pytest.mark.parametrize("line, kind", [
    ("Using KLU as Direct Linear Solver", INFO),
    ("Note: Starting dynamic gmin stepping", INFO),
    ("pause requested", INFO),
    ("condition met", INFO),
    ("Reference value :  2.26084e-08", INFO),
    ("Warning: singular matrix:  check node c", WARNING),
    ("Error on line 3 or its substitute:", ERROR),
    ("doAnalyses: TRAN:  Timestep too small; time = 1e-06", ERROR),
    ("run simulation(s) aborted", ERROR),
    ("Warning: 'r1 a 1000' is not a valid resistor instance line, ignored!", ERROR),
])
def test_message_classification(line, kind):
    assert classify(line) == kind


CONTROL_DECK = """rc charged through a .control block
V1 a 0 1
R1 a b 1k
C1 b 0 1u
.control
tran 1e-5 3e-3 0 1e-5 uic
.endc
.end
"""


@pytest.mark.ngspice
def test_control_block_decks_return_their_transient_in_both_engines(engine):
    """A deck that runs its own analysis in .control: the RC step against 1 - exp(-t/RC) (1e-3 of the
    step: ngspice's default reltol with 10 us print steps)."""
    result = engine.run(CONTROL_DECK)
    t, v = result["time"], result.v("b")
    assert t[-1] == pytest.approx(3e-3)
    assert np.max(np.abs(v - (1 - np.exp(-t / 1e-3)))) < 1e-3
