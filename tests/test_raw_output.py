"""Output files of ``simulate``: ngspice raw files (ours read by spicelib and by our reader, both engines) and the
fast ``.npz`` writer (``numpy.load`` reads it as it reads ``numpy.savez``)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from circuitsim.cli import _simulate_outputs
from circuitsim.spice.rawfile import read_raw, read_raw_results, write_raw
from circuitsim.spice.result import Result, build_analysis, write_npz

DECK = """raw output check
V1 in 0 dc 1 ac 1 pulse(0 1 1e-6 1e-7 1e-7 1e-4 2e-4)
R1 in out 1000
C1 out 0 1e-8
L1 out x 1e-3
R2 x 0 50
.op
.tran 1e-6 3e-5
.ac dec 5 10 1e5
.end
"""


def _spicelib_plots(path: Path) -> list:
    """``[(plotname, {name: values})]`` as spicelib's RawRead gives them."""
    spicelib = pytest.importorskip("spicelib")
    raw = spicelib.RawRead(str(path), verbose=False)
    assert raw.dialect == "ngspice"
    plots = []
    for plot in raw.plots:
        names = plot.get_trace_names()
        plot.read_trace_data(names)
        plots.append((plot.get_plot_name(), {name: np.asarray(plot.get_wave(name)) for name in names}))
    return plots


def _assert_same_as_result(plots: list, result: Result) -> None:
    assert len(plots) == len(result.analyses)
    for (plotname, waves), analysis in zip(plots, result.analyses):
        assert analysis.analysis == read_raw_results_kind(plotname)
        assert list(waves) == analysis.names
        for name, values in waves.items():
            # Same float64 numbers written and read: exact.
            np.testing.assert_array_equal(values, analysis[name], err_msg=name)


def read_raw_results_kind(plotname: str) -> str:
    from circuitsim.spice.result import analysis_of_plot

    return analysis_of_plot(plotname)


def _assert_round_trip(result: Result, path: Path) -> None:
    back = read_raw_results(path)
    assert [a.plot_name for a in back] == [a.plot_name for a in result.analyses]
    for ours, theirs in zip(result.analyses, back):
        assert ours.analysis == theirs.analysis
        assert ours.names == theirs.names
        for name in ours.names:
            assert ours.unit(name) == theirs.unit(name)
            np.testing.assert_array_equal(np.broadcast_to(ours[name], theirs[name].shape), theirs[name])


def _synthetic_result() -> Result:
    t = np.linspace(0, 1e-3, 7)
    f = np.logspace(1, 4, 4)
    return Result([
        build_analysis("op1", [("out", "voltage", np.array([0.5])), ("v1#branch", "current", np.array([-1e-3]))]),
        build_analysis("tran1", [("time", "time", t), ("out", "voltage", np.sin(t)), ("@r1[i]", "current", t * 2),
                                 ("gain", "notype", t + 1)]),
        build_analysis("ac1", [("frequency", "frequency", f + 0j), ("out", "voltage", 1 / (1 + 1j * f)),
                               ("v1#branch", "current", -1j * f)]),
    ], engine="shared")


# -- raw files -------------------------------------------------------------------------------------------------
def test_written_raw_file_reads_back_with_the_same_names_units_and_values(tmp_path):
    result = _synthetic_result()
    path = tmp_path / "synthetic.raw"
    result.save_raw(path, title="synthetic")
    _assert_round_trip(result, path)
    plots = read_raw(path)
    assert [p.plotname for p in plots] == ["Operating Point", "Transient Analysis", "AC Analysis"]
    assert [p.complex_data for p in plots] == [False, False, True]
    assert plots[1].variables[3] == ("gain", "notype")
    assert all(p.title == "synthetic" for p in plots)
    _assert_same_as_result(_spicelib_plots(path), result)


def test_raw_writer_refuses_what_a_raw_file_cannot_hold(tmp_path):
    uneven = Result([build_analysis("tran1", [("time", "time", np.arange(3.0)), ("x", "voltage", np.arange(2.0))])])
    with pytest.raises(ValueError, match=r"'v\(x\)'.*2 points where the plot has 3"):
        uneven.save_raw(tmp_path / "uneven.raw")
    with pytest.raises(ValueError, match="one line"):
        write_raw(tmp_path / "title.raw", _synthetic_result().analyses, title="two\nlines")


@pytest.mark.ngspice
@pytest.mark.parametrize("engine_name", ["batch", "shared"])
def test_raw_file_of_each_engine_reads_in_spicelib_as_our_result(tmp_path, engine_name, batch_engine, shared_engine):
    engine = batch_engine if engine_name == "batch" else shared_engine
    result = engine.run(DECK, None, timeout=60)
    assert [a.analysis for a in result.analyses] == ["ac", "op", "tran"]   # the order ngspice runs them
    path = tmp_path / f"{engine_name}.raw"
    result.save_raw(path, title="raw output check")
    _assert_same_as_result(_spicelib_plots(path), result)
    _assert_round_trip(result, path)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "circuitsim", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.ngspice
@pytest.mark.parametrize("engine_name", ["batch", "shared"])
def test_simulate_format_both_writes_npz_and_raw_that_agree(tmp_path, engine_name, batch_engine):
    deck = tmp_path / "deck.cir"
    deck.write_text(DECK)
    proc = _cli("simulate", str(deck), "--engine", engine_name, "--format", "both", "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    npz, raw = tmp_path / "out.npz", tmp_path / "out.raw"
    assert f"-> {npz}, {raw}" in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.cir", "out.npz", "out.raw"]  # no leftovers
    header = raw.read_bytes()[:400].decode("latin-1")
    assert "Title: raw output check" in header
    if engine_name == "batch":
        assert "Command: ngspice-" in header          # the file ngspice wrote itself, kept
    else:
        assert "written by circuitsim" in header
    data = np.load(npz)
    expected = Result(read_raw_results(raw))
    assert sorted(data.files) == sorted(expected.flat_vectors())
    for name, values in expected.flat_vectors().items():
        np.testing.assert_array_equal(data[name], values, err_msg=name)
    _assert_same_as_result(_spicelib_plots(raw), expected)
    # Both engines' raw files agree with a run of the other engine (engine against engine: 1e-9).
    reference = batch_engine.run(DECK, None, timeout=60)
    for ours, theirs in zip(expected.analyses, reference.analyses):
        assert ours.names == theirs.names
        for name in ours.names:
            np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-9, atol=1e-15)


@pytest.mark.ngspice
def test_simulate_format_raw_alone_leaves_no_npz(tmp_path):
    deck = tmp_path / "deck.cir"
    deck.write_text(DECK)
    proc = _cli("simulate", str(deck), "--format", "raw")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.cir", "deck.raw"]
    assert [p.plotname for p in read_raw(tmp_path / "deck.raw")] == ["AC Analysis", "Operating Point",
                                                                     "Transient Analysis"]


def test_simulate_output_names_follow_the_format():
    net = Path("d/deck.cir")
    assert _simulate_outputs(net, None, "npz") == {".npz": Path("d/deck.npz")}
    assert _simulate_outputs(net, None, "raw") == {".raw": Path("d/deck.raw")}
    assert _simulate_outputs(net, None, "both") == {".npz": Path("d/deck.npz"), ".raw": Path("d/deck.raw")}
    assert _simulate_outputs(net, "o/x.raw", "both") == {".npz": Path("o/x.npz"), ".raw": Path("o/x.raw")}
    assert _simulate_outputs(net, "o/x", "raw") == {".raw": Path("o/x.raw")}
    assert _simulate_outputs(net, "o/x.dat", "npz") == {".npz": Path("o/x.dat.npz")}


# -- the .npz writer -------------------------------------------------------------------------------------------
def test_write_npz_reads_back_like_numpy_savez(tmp_path):
    rng = np.random.default_rng(3)
    arrays = {"time": rng.random(5), "v(out)": rng.random(5), "i(v1)": np.array([1 + 2j, -3j]),
              "op1/v(\u00e9t\u00e9)": np.array([1.0]), "flags": np.array([True, False]), "scalar": np.float64(2.5),
              "matrix": rng.random((3, 4)), "fortran": np.asfortranarray(rng.random((3, 4))),
              "big_endian": np.arange(4, dtype=">i4"), "empty": np.zeros(0)}
    ours, theirs = tmp_path / "ours.npz", tmp_path / "theirs.npz"
    write_npz(ours, arrays)
    np.savez(theirs, **arrays)
    with np.load(ours) as a, np.load(theirs) as b:
        assert a.files == b.files == list(arrays)
        for name in arrays:
            assert a[name].dtype == b[name].dtype and a[name].shape == b[name].shape, name
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    with zipfile.ZipFile(ours) as archive:
        assert archive.testzip() is None               # every CRC right


def test_write_npz_past_65535_members_writes_a_zip64_directory(tmp_path):
    arrays = {f"v({k})": np.array([float(k)]) for k in range(70_000)}
    path = tmp_path / "many.npz"
    write_npz(path, arrays)
    with np.load(path) as data:
        assert len(data.files) == 70_000
        assert data["v(0)"][0] == 0.0 and data["v(69999)"][0] == 69999.0


def test_write_npz_refuses_object_arrays(tmp_path):
    with pytest.raises(ValueError, match="'bad' is an object array"):
        write_npz(tmp_path / "x.npz", {"bad": np.array([None, 1])})
