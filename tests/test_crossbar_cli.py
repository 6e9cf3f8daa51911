"""The crossbar and IR-drop commands: ``circuitsim crossbar netlist | solve`` and ``circuitsim irdrop [sweep]``.

Tolerances: fast solver against ngspice (the same linear system, every number
written as ``%.15g``): 1e-9 relative, norm-wise (see test_crossbar_solver.py;
measured ~1e-14 here).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from circuitsim.crossbar import CrossbarProbes, CrossbarSpec
from circuitsim.crossbar.solver import solve_crossbar

AGREE = 1e-9
R_ROW, R_COL, R_SOURCE, R_SENSE = 1.5, 2.5, 0.5, 0.25


def _cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "circuitsim", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def rel(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.fixture()
def arrays(tmp_path):
    rng = np.random.default_rng(16)
    g = rng.uniform(1e-6, 1e-4, (16, 16))
    v = rng.uniform(-1, 1, 16)
    vk = rng.uniform(-1, 1, (5, 16))
    np.save(tmp_path / "G.npy", g)
    np.save(tmp_path / "V.npy", v)
    np.save(tmp_path / "VK.npy", vk)
    return tmp_path, g, v, vk


WIRES = ["--r-row", R_ROW, "--r-col", R_COL, "--r-source", R_SOURCE, "--r-sense", R_SENSE]


@pytest.mark.ngspice
def test_netlist_runs_in_plain_ngspice(arrays, ngspice_path):
    from circuitsim.spice.rawfile import read_raw

    folder, g, v, _ = arrays
    out = folder / "xbar.cir"
    proc = _cli("crossbar", "netlist", "--g", folder / "G.npy", "--v", folder / "V.npy", *WIRES, "--out", out)
    assert proc.returncode == 0, proc.stderr
    raw = folder / "xbar.raw"
    run = subprocess.run([ngspice_path, "-b", "-r", str(raw), str(out)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    (plot,) = read_raw(raw)
    names = [name for name, _ in plot.variables]
    spice = np.array([plot.data[0, names.index(CrossbarProbes.column_current(j))] for j in range(16)])
    assert rel(spice, solve_crossbar(CrossbarSpec(g, v, R_ROW, R_COL, R_SOURCE, R_SENSE)).column_currents) <= AGREE


def test_netlist_default_voltage_and_cell_names(arrays):
    folder, g, _, _ = arrays
    out = folder / "default.cir"
    proc = _cli("crossbar", "netlist", "--g", folder / "G.npy", "--r-row", 1, "--r-col", 1, "--out", out,
                "--cell", "linear", "--scheme", "read")
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert all(f"Vin{i} in{i} 0 0.1\n" in text for i in range(16)) and text.endswith(".end\n")
    for cell, line in (("selector", "Bg0_0 r0_0 c0_0 I="), ("1T1R", "Mg0_0 m0_0 w0 c0_0 0 nmos1t1r"),
                       ("memristor", "Bg0_0 r0_0 c0_0 I=")):
        proc = _cli("crossbar", "netlist", "--g", folder / "G.npy", "--r-row", 1, "--r-col", 1, "--out",
                    folder / "x.cir", "--cell", cell, "--scheme", "V/2", "--select", "3")
        assert proc.returncode == 0, proc.stderr
        text = (folder / "x.cir").read_text()
        assert line in text and "Vin3 in3 0 0.4\n" in text and "Vin0 in0 0 0.2\n" in text


@pytest.mark.ngspice
def test_solve_fast_and_ngspice_agree(arrays):
    folder, g, v, _ = arrays
    results = {}
    for engine in ("fast", "ngspice"):
        out = folder / f"I_{engine}.npy"
        proc = _cli("crossbar", "solve", "--g", folder / "G.npy", "--v", folder / "V.npy", *WIRES,
                    "--engine", engine, "--out", out, "--json")
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)
        assert set(doc) == {"currents", "engine", "seconds"} and doc["engine"] == engine and doc["seconds"] >= 0
        results[engine] = np.load(out)
        assert results[engine].shape == (16,)
        np.testing.assert_array_equal(np.array(doc["currents"]), results[engine])
    assert rel(results["fast"], results["ngspice"]) <= AGREE
    assert rel(results["fast"], solve_crossbar(CrossbarSpec(g, v, R_ROW, R_COL, R_SOURCE, R_SENSE)).column_currents) <= 1e-15


@pytest.mark.parametrize("engine", ["fast", pytest.param("ngspice", marks=pytest.mark.ngspice)])
def test_solve_many_input_vectors(arrays, engine):
    folder, g, _, vk = arrays
    out = folder / "IK.npy"
    proc = _cli("crossbar", "solve", "--g", folder / "G.npy", "--v", folder / "VK.npy", *WIRES, "--engine", engine,
                "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "shape (5, 16)" in proc.stdout
    currents = np.load(out)
    assert currents.shape == (5, 16)
    for k in range(5):
        one = solve_crossbar(CrossbarSpec(g, vk[k], R_ROW, R_COL, R_SOURCE, R_SENSE)).column_currents
        assert rel(currents[k], one) <= AGREE


def test_irdrop_report_folder(arrays):
    folder, g, v, _ = arrays
    out = folder / "report"
    proc = _cli("irdrop", "--g", folder / "G.npy", "--v", folder / "V.npy", *WIRES, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "max relative column error" in proc.stdout
    doc = json.loads((out / "report.json").read_text())
    ideal = v @ g
    np.testing.assert_allclose(doc["columns"]["ideal_current_A"], ideal, rtol=1e-15)
    assert doc["summary"]["rows"] == 16 and doc["summary"]["engine"] == "fast"
    for name in ("effective_voltage_map.png", "column_error.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"


def test_irdrop_sweep(tmp_path):
    proc = _cli("irdrop", "sweep", "--out", tmp_path, "--sizes", 8, 16, "--r-wires", 0.1, 1, "--g-range", 1e-6, 1e-5)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads((tmp_path / "sweep.json").read_text())
    assert sorted((r["size"], r["r_wire_ohm"]) for r in rows) == [(8, 0.1), (8, 1.0), (16, 0.1), (16, 1.0)]
    err = {(r["size"], r["r_wire_ohm"]): r["max_rel_error"] for r in rows}
    assert err[8, 0.1] < err[8, 1.0] < err[16, 1.0] and err[8, 0.1] < err[16, 0.1]
    assert (tmp_path / "sweep.png").read_bytes()[:4] == b"\x89PNG"


def _bad_files(folder: Path) -> None:
    g = np.full((4, 3), 1e-5)
    np.save(folder / "g4x3.npy", g)
    np.save(folder / "v4.npy", np.ones(4))
    np.save(folder / "v5.npy", np.ones(5))
    np.save(folder / "vk.npy", np.ones((2, 5)))
    for name, value in (("gnan", np.nan), ("gzero", 0.0), ("gneg", -1e-5)):
        bad = g.copy()
        bad[2, 1] = value
        np.save(folder / f"{name}.npy", bad)
    np.savetxt(folder / "g.txt", g)
    (folder / "junk.npy").write_bytes(b"not an array at all")
    np.save(folder / "gstr.npy", np.array([["a", "b"], ["c", "d"]]))
    np.save(folder / "g1d.npy", np.ones(4))
    # a header that claims a 200000 x 200000 array (320 GB) and no data: refused from the header alone
    with open(folder / "huge.npy", "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False, "shape": (200000, 200000)})


BAD = {
    "nan conductance": (["--g", "gnan.npy", "--v", "v4.npy"], r"G[2, 1] = nan"),
    "zero conductance": (["--g", "gzero.npy", "--v", "v4.npy"], r"G[2, 1] = 0.0"),
    "negative conductance": (["--g", "gneg.npy", "--v", "v4.npy"], r"G[2, 1] = -1e-05"),
    "shape mismatch": (["--g", "g4x3.npy", "--v", "v5.npy"], "shape mismatch between G and V"),
    "shape mismatch 2-D": (["--g", "g4x3.npy", "--v", "vk.npy"], "shape mismatch between G and V"),
    "negative wire": (["--g", "g4x3.npy", "--v", "v4.npy", "--r-row", "-1"], "r_row must be finite and >= 0 ohm"),
    "nan wire": (["--g", "g4x3.npy", "--v", "v4.npy", "--r-col", "nan"], "r_col must be finite"),
    "not npy": (["--g", "g.txt", "--v", "v4.npy"], "is not a .npy file"),
    "corrupt npy": (["--g", "junk.npy", "--v", "v4.npy"], "is not a valid .npy file"),
    "strings": (["--g", "gstr.npy", "--v", "v4.npy"], "must hold real numbers"),
    "1-D G": (["--g", "g1d.npy", "--v", "v4.npy"], "must be a non-empty 2-D array"),
    "missing file": (["--g", "nope.npy", "--v", "v4.npy"], "does not exist"),
    "too large": (["--g", "huge.npy", "--v", "v4.npy"], "too large for memory"),
    "out not npy": (["--g", "g4x3.npy", "--v", "v4.npy", "--out", "I.txt"], "must be a .npy file"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_with_one_paragraph(tmp_path, case):
    _bad_files(tmp_path)
    args, message = BAD[case]
    base = {"--r-row": "1", "--r-col": "1", "--out": "I.npy"}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    proc = _cli("crossbar", "solve", *[x for kv in base.items() for x in kv], cwd=tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("circuitsim: error: ")
    assert "\n\n" not in proc.stderr.strip()                                   # one paragraph
    assert message in " ".join(proc.stderr.split()), proc.stderr
    assert not (tmp_path / "I.npy").exists()


@pytest.mark.ngspice
def test_bad_input_with_the_ngspice_engine_and_in_irdrop(tmp_path):
    _bad_files(tmp_path)
    cases = [
        (["crossbar", "solve", "--engine", "ngspice", "--g", "gnan.npy", "--v", "v4.npy", "--r-row", "1",
          "--r-col", "1", "--out", "I.npy"], "G[2, 1] = nan"),
        (["crossbar", "solve", "--engine", "ngspice", "--g", "g4x3.npy", "--v", "v4.npy", "--r-row", "-1", "--r-col",
          "1", "--out", "I.npy"], "r_row must be finite and >= 0 ohm"),
        (["crossbar", "netlist", "--g", "gzero.npy", "--r-row", "1", "--r-col", "1", "--out", "x.cir"],
         "G[2, 1] = 0.0"),
        (["crossbar", "netlist", "--g", "huge.npy", "--r-row", "1", "--r-col", "1", "--out", "x.cir"],
         "too large for memory"),
        (["irdrop", "--g", "g4x3.npy", "--v", "v5.npy", "--r-row", "1", "--r-col", "1", "--out", "rep"],
         "shape mismatch between G and V"),
        (["irdrop", "--g", "g4x3.npy", "--out", "rep"], "'irdrop' needs --r-row, --r-col"),
        (["irdrop", "sweep", "--g", "g4x3.npy", "--out", "rep"], "'irdrop sweep' draws its own arrays"),
    ]
    for args, message in cases:
        proc = _cli(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stderr.startswith("circuitsim: error: ")
        assert message in " ".join(proc.stderr.split()), proc.stderr


# --------------------------------------------------------------------------- netlist: cells and bias schemes


def _one_paragraph_error(proc, message):
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("circuitsim: error: ")
    assert "\n\n" not in proc.stderr.strip()
    assert message in " ".join(proc.stderr.split()), proc.stderr


def test_netlist_help_lists_cells_and_schemes():
    proc = _cli("crossbar", "netlist", "--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    for word in ("threshold", "selector", "1t1r", "catalogue device", "--state", "floating,v/2,v/3", "--select",
                 "ROW[,COL]", "--bias"):
        assert word in text, word
    proc = _cli("crossbar", "netlist", "--g", "g.npy", "--r-row", "1", "--r-col", "1", "--scheme", "v/4",
                "--out", "x.cir")
    assert proc.returncode == 2 and "invalid choice: 'v/4'" in proc.stderr


@pytest.mark.ngspice
def test_netlist_threshold_cell_v3_scheme_runs_and_matches_the_solver(tmp_path, batch_engine):
    from circuitsim.analysis.irdrop import read_spec
    from circuitsim.crossbar import ThresholdSelector

    g = np.random.default_rng(4).uniform(1e-6, 1e-4, (5, 4))
    np.save(tmp_path / "g.npy", g)
    proc = _cli("crossbar", "netlist", "--g", "g.npy", "--r-row", "1", "--r-col", "2", "--cell", "threshold",
                "--scheme", "v/3", "--select", "1,2", "--bias", "0.6", "--out", "x.cir", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "v/3 scheme, selected cell 1,2 at 0.6 V" in proc.stdout
    deck = (tmp_path / "x.cir").read_text()
    spice = CrossbarProbes((5, 4)).column_currents(batch_engine.run(deck))
    spec = read_spec(g, "v/3", 0.6, (1, 2), 1.0, 1e-3, 1e-3, cell=ThresholdSelector())
    from dataclasses import replace
    fast = solve_crossbar(replace(spec, r_col=2.0)).column_currents
    # the sensed (selected) column to 1e-9; the unselected columns, held at 2V/3 = 0.4 V, carry only OFF-cell
    # currents (0.6 nA): ngspice's i(vs) there is (V(c) - V(s)) / 1 mOhm, resolved to one ulp of 0.4 V over
    # 1 mOhm = 5.6e-14 A (any reltol / abstol / vntol), 2.5e-9 of the largest column current here; the fast
    # solver sums the cell currents instead
    assert spice[2] == pytest.approx(fast[2], rel=1e-9, abs=0)
    assert rel(spice, fast) <= 1e-8


@pytest.mark.ngspice
def test_netlist_catalogue_cell_with_state_and_row_selection(tmp_path, batch_engine):
    from circuitsim.crossbar import BiasScheme, CatalogueCell

    x = np.random.default_rng(5).uniform(0.2, 0.8, (4, 3))
    np.save(tmp_path / "s.npy", x)
    proc = _cli("crossbar", "netlist", "--cell", "lid_joglekar", "--state", "s.npy", "--r-row", "1", "--r-col", "1",
                "--scheme", "floating", "--select", "2", "--bias", "0.3", "--out", "x.cir", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    deck = (tmp_path / "x.cir").read_text()
    assert ".subckt lid_joglekar_read " in deck and "Vin2 in2 0 0.3" in deck and "Vin0 " not in deck
    spec = CrossbarSpec(None, np.zeros(4), 1.0, 1.0, cell=CatalogueCell("lid_joglekar", x)).biased(
        BiasScheme.row("floating", 0.3, 2))
    spice = CrossbarProbes.of(spec).column_currents(batch_engine.run(deck))
    assert rel(spice, solve_crossbar(spec).column_currents) <= 1e-9


@pytest.mark.ngspice
def test_netlist_takes_a_users_own_device_file(tmp_path, batch_engine):
    """A device declared in the user's own file is a crossbar cell by reference: the deck in ngspice and the
    fast solver agree to 1e-9 (the same equations, Newton to 1e-12)."""
    from circuitsim.crossbar import CatalogueCell

    (tmp_path / "mine.py").write_text(
        "import sympy as sp\n"
        "from circuitsim.models.language import V, Device, State, param, symbol\n"
        "x, g0 = symbol('x'), symbol('g0')\n"
        "MEM = Device(name='mine', title='t', ports=('p', 'n'),\n"
        "             params=(param('g0', 1e-4, 'S', 'g', 's', positive=True),\n"
        "                     param('x0', 0.5, '', 'x', 's', minimum=0.0, maximum=1.0)),\n"
        "             states=(State('x', 0.0, 1.0, 'x0', '', 'state'),), current=g0 * (0.1 + x) * sp.sinh(2 * V) / 2,\n"
        "             rates={'x': 0 * V}, reference='test')\n")
    x = np.random.default_rng(3).uniform(0.2, 0.8, (4, 3))
    np.save(tmp_path / "s.npy", x)
    np.save(tmp_path / "v.npy", np.full(4, 0.2))
    proc = _cli("crossbar", "netlist", "--cell", "mine.py:MEM", "--state", "s.npy", "--v", "v.npy", "--r-row", "1",
                "--r-col", "1", "--out", "x.cir", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    from circuitsim.models.sources import resolve_device

    spec = CrossbarSpec(None, np.full(4, 0.2), 1.0, 1.0,
                        cell=CatalogueCell(resolve_device("mine.py:MEM", base_dir=tmp_path), x))
    spice = CrossbarProbes.of(spec).column_currents(batch_engine.run((tmp_path / "x.cir").read_text()))
    assert rel(spice, solve_crossbar(spec).column_currents) <= 1e-9


NETLIST_BAD = {
    "unknown cell": (["--g", "g4x3.npy", "--cell", "diode"], "unknown --cell 'diode'"),
    "scheme without select": (["--g", "g4x3.npy", "--scheme", "v/2"], "--scheme v/2 needs --select ROW,COL"),
    "bad select": (["--g", "g4x3.npy", "--scheme", "v/3", "--select", "a,b"], "must be ROW,COL or ROW"),
    "select outside": (["--g", "g4x3.npy", "--scheme", "v/3", "--select", "7,0"], "selected row 7 is outside"),
    "select with read": (["--g", "g4x3.npy", "--select", "1,1"], "--select needs --scheme floating, v/2 or v/3"),
    "v with scheme": (["--g", "g4x3.npy", "--v", "v4.npy", "--scheme", "floating", "--select", "0"], "drop --v"),
    "catalogue without state": (["--cell", "lid_joglekar"], "needs --state S.npy"),
    "catalogue with g": (["--cell", "lid_joglekar", "--g", "g4x3.npy", "--state", "g4x3.npy"], "drop --g"),
    "state for linear": (["--g", "g4x3.npy", "--state", "g4x3.npy"], "--state is for device cells"),
    "missing user file": (["--cell", "nosuch.py:MEM", "--state", "g4x3.npy"], "unknown --cell 'nosuch.py:MEM'"),
    "two-state device": (["--cell", "vo2", "--state", "g4x3.npy"], "must be a non-empty 3-D array"),
    "no g": (["--cell", "threshold"], "--cell threshold needs --g G.npy"),
}


@pytest.mark.parametrize("case", sorted(NETLIST_BAD))
def test_netlist_bad_cell_and_scheme_input(tmp_path, case):
    _bad_files(tmp_path)
    args, message = NETLIST_BAD[case]
    proc = _cli("crossbar", "netlist", "--r-row", "1", "--r-col", "1", "--out", "x.cir", *args, cwd=tmp_path)
    _one_paragraph_error(proc, message)
    assert not (tmp_path / "x.cir").exists()
