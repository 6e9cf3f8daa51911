"""Sweep specs: validation before anything runs, seeds, the kind registry, gathering; serial runs only (no Dask)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from circuitsim.sweep import SweepSpecError, load_spec, parse_spec, register_kind, run_sweep
from circuitsim.sweep.kinds import get_kind, kind_names
from circuitsim.sweep.store import PointStore, SweepFolderError

BASE = {"task": {"kind": "irdrop", "parameters": {"g_low": 1e-6}}, "grid": {"size": [4, 6], "r_wire": [0.5, 1.0]}}


def spec_with(**changes):
    data = json.loads(json.dumps(BASE))
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        node = data
        for part in path:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return data


@pytest.mark.parametrize("changes, key, words", [
    ({"grid__sizes": [4]}, "grid.sizes", "unknown parameter"),
    ({"task__parameters__r_wir": 1.0}, "task.parameters.r_wir", "unknown parameter"),
    ({"grid__size": []}, "grid.size", "empty"),
    ({"grid": {}}, "grid", "empty"),
    ({"montecarlo": {"samples": 2, "device_sigma": -0.1}}, "montecarlo.device_sigma", "must be >= 0"),
    ({"montecarlo": {"samples": 2, "spread": {"r_source": -1.0}}}, "montecarlo.spread.r_source", "must be >= 0"),
    ({"montecarlo": {"samples": 2, "cycle_sigma": 0.1, "pulses": 0}}, "montecarlo.pulses", ">= 1"),
    ({"task__kind": "irdorp"}, "task.kind", "unknown kind"),
    ({"task__kind": None}, "task.kind", "missing"),
    ({"task": None}, "task", "missing"),
    ({"montecarlo": {"device_sigma": 0.1}}, "montecarlo.samples", "missing"),
    ({"montecarlo": {"samples": 0}}, "montecarlo.samples", ">= 1"),
    ({"grid__size": [4, 4.5]}, "grid.size[1]", "type int"),
    ({"grid__size": [4, 4]}, "grid.size", "repeated"),
    ({"task__parameters__size": 8}, "grid.size", "both fixed"),
    ({"grid__size": [0, 4]}, "grid", "size must be >= 1"),
    ({"task__parameters__g_high": 1e-7}, "grid", "g_low <= g_high"),
    ({"seeds": 3}, "seeds", "unknown top-level key"),
    ({"task__engine": "fast"}, "task.engine", "unknown key"),
    ({"grid": None}, None, "nothing to sweep"),
    ({"montecarlo": {"samples": 2, "spread": {"size": 0.1}}}, "montecarlo.spread.size", "only float"),
])
def test_bad_specs_name_their_key(changes, key, words):
    with pytest.raises(SweepSpecError) as info:
        parse_spec(spec_with(**changes))
    assert info.value.key == key
    assert words in str(info.value)


def test_netlist_kind_needs_its_placeholders_and_outputs():
    template = "* rc\nv1 in 0 {{vin}}\nr1 in out {{r}}\nr2 out 0 1k\n.op\n.end\n"
    with pytest.raises(SweepSpecError, match="task.parameters.r: missing"):
        parse_spec({"task": {"kind": "netlist", "template": template, "outputs": {"vout": "v(out)"}},
                    "grid": {"vin": [1.0]}})
    with pytest.raises(SweepSpecError, match="task.outputs: missing"):
        parse_spec({"task": {"kind": "netlist", "template": template}, "grid": {"vin": [1.0], "r": [1e3]}})
    with pytest.raises(SweepSpecError, match="takes no device variability"):
        parse_spec({"task": {"kind": "netlist", "template": template, "outputs": {"vout": "v(out)"}},
                    "grid": {"vin": [1.0], "r": [1e3]}, "montecarlo": {"samples": 2, "device_sigma": 0.1}})


def test_cli_refuses_a_bad_spec_before_creating_anything(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text('[task]\nkind = "irdrop"\n[grid]\nsize = [8]\n[montecarlo]\nsamples = 2\ndevice_sigma = -1.0\n')
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "circuitsim", "sweep", str(spec), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "montecarlo.device_sigma" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()
    spec.write_text("[task\n")
    proc = subprocess.run([sys.executable, "-m", "circuitsim", "sweep", str(spec), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "not valid TOML" in " ".join(proc.stderr.split())


def test_points_and_seeds_are_reproducible_alone():
    spec = parse_spec(spec_with(montecarlo={"samples": 3, "device_sigma": 0.1}, seed=11))
    assert spec.dims == ("size", "r_wire", "sample") and spec.shape == (2, 2, 3) and spec.size == 12
    p = spec.point(7)   # size index 1, r_wire index 0, sample 1
    assert p.coords == {"size": 6, "r_wire": 0.5, "sample": 1}
    assert p.params["size"] == 6 and p.params["r_wire"] == 0.5 and p.variability.device_sigma == 0.1
    spawned = np.random.SeedSequence(11).spawn(12)[7]
    assert p.rng().random() == np.random.default_rng(spawned).random()
    assert parse_spec(spec_with(montecarlo={"samples": 3, "device_sigma": 0.1}, seed=11)).fingerprint() \
        == spec.fingerprint()
    assert parse_spec(spec_with(montecarlo={"samples": 3, "device_sigma": 0.2}, seed=11)).fingerprint() \
        != spec.fingerprint()


def test_variability_can_be_swept_on_the_grid():
    spec = parse_spec({"task": {"kind": "irdrop", "parameters": {"size": 8}},
                       "grid": {"device_sigma": [0.0, 0.2]}, "montecarlo": {"samples": 2}})
    assert spec.point(3).variability.device_sigma == 0.2 and "device_sigma" not in spec.point(3).params


def test_registry_hook(tmp_path):
    assert {"irdrop", "crossbar_solve", "netlist"} <= set(kind_names())

    def square(params, *, rng, variability):
        return {"y": params["x"] ** 2, "noise": rng.standard_normal(), "curve": np.arange(params["n"])}

    register_kind("test_square", square, {"x": 1.0, "n": 2, "scale": 1.0}, plot=("y",), replace=True)
    with pytest.raises(ValueError, match="already registered"):
        register_kind("test_square", lambda p, **k: {}, {"x": 1.0})
    assert get_kind("test_square").function is square
    spec = parse_spec({"task": {"kind": "test_square"}, "grid": {"x": [1, 2, 3], "n": [1, 3]},
                       "montecarlo": {"samples": 2, "spread": {"scale": 0.0}}})
    run = run_sweep(spec, tmp_path / "out", scheduler="serial")
    ds = run.dataset
    assert run.computed == 12 and not run.failed
    assert ds["y"].sel(x=3.0, n=1).values.tolist() == [9.0, 9.0]
    # arrays of different length are padded with NaN along their own dimension
    assert ds["curve"].dims == ("x", "n", "sample", "curve_index")
    assert ds["curve"].sel(x=1.0, n=3, sample=0).values.tolist() == [0.0, 1.0, 2.0]
    assert ds["curve"].sel(x=1.0, n=1, sample=0).values[0] == 0.0
    assert np.isnan(ds["curve"].sel(x=1.0, n=1, sample=0).values[1:]).all()
    assert (tmp_path / "out" / "plots" / "y.png").exists()
    import xarray as xr

    with xr.open_dataset(run.dataset_path) as back:
        assert back["y"].values.tolist() == ds["y"].values.tolist()
        assert back.attrs["kind"] == "test_square"


def test_failed_points_are_reported_and_retried_by_resume(tmp_path):
    calls = []

    def flaky(params, *, rng, variability):
        calls.append(params["x"])
        if params["x"] == 2 and calls.count(2) == 1:
            raise RuntimeError("first attempt at x=2 fails")
        return {"y": params["x"]}

    register_kind("test_flaky", flaky, {"x": 0}, replace=True)
    spec = parse_spec({"task": {"kind": "test_flaky"}, "grid": {"x": [1, 2, 3]}})
    run = run_sweep(spec, tmp_path, scheduler="serial")
    assert list(run.failed) == [1] and "first attempt" in run.failed[1]
    assert math.isnan(run.dataset["y"].values[1]) and run.dataset["status"].values.tolist() == [1, 0, 1]
    with pytest.raises(SweepFolderError, match="--resume"):
        run_sweep(spec, tmp_path, scheduler="serial")
    again = run_sweep(spec, tmp_path, scheduler="serial", resume=True)
    assert again.computed == 1 and again.skipped == 2 and not again.failed
    assert calls == [1, 2, 3, 2]
    assert again.dataset["y"].values.tolist() == [1, 2, 3]
    other = parse_spec({"task": {"kind": "test_flaky"}, "grid": {"x": [1, 2]}})
    with pytest.raises(SweepFolderError, match="different sweep"):
        PointStore(tmp_path, other, resume=True)


def test_crossbar_solve_kind_with_cycle_to_cycle_spread(tmp_path):
    spec = parse_spec({"task": {"kind": "crossbar_solve", "parameters": {"inputs": "random"}},
                       "grid": {"rows": [3, 5]},
                       "montecarlo": {"samples": 2, "device_sigma": 0.05, "cycle_sigma": 0.02, "pulses": 3}})
    ds = run_sweep(spec, tmp_path, scheduler="serial").dataset
    assert ds["column_currents"].shape == (2, 2, 32)
    assert np.all(ds["pulse_spread"].values > 0)
    # the two samples differ (own seeds), the nominal ideal current does not
    assert ds["total_current"].sel(rows=3).values[0] != ds["total_current"].sel(rows=3).values[1]
    assert ds["ideal_total_current"].sel(rows=3).values[0] == ds["ideal_total_current"].sel(rows=3).values[1]


@pytest.mark.ngspice
def test_netlist_kind_runs_ngspice(tmp_path):
    (tmp_path / "divider.cir").write_text(textwrap.dedent("""\
        * divider
        v1 in 0 {{vin}}
        r1 in out {{r_top}}
        r2 out 0 1k
        .op
        .end
        """))
    (tmp_path / "spec.toml").write_text(textwrap.dedent("""\
        [task]
        kind = "netlist"
        template_file = "divider.cir"
        outputs = { vout = "v(out)", iin = "absmax(i(v1))" }
        [task.parameters]
        vin = 2.0
        [grid]
        r_top = [1e3, 3e3]
        [montecarlo]
        samples = 2
        [montecarlo.spread]
        vin = 0.1
        """))
    spec = load_spec(tmp_path / "spec.toml")
    ds = run_sweep(spec, tmp_path / "out", scheduler="serial").dataset
    vin = ds["vin_sampled"].values
    r_top = ds["r_top"].values[:, None]
    np.testing.assert_allclose(ds["vout"].values, vin * 1e3 / (1e3 + r_top), rtol=1e-9)
    np.testing.assert_allclose(ds["iin"].values, vin / (1e3 + r_top), rtol=1e-9)
    assert vin[0, 0] != vin[0, 1]


def test_irdrop_kind_matches_irdrop_report(tmp_path):
    from circuitsim.analysis.irdrop import irdrop_report
    from circuitsim.sweep.builtin import nominal_conductance

    spec = parse_spec({"task": {"kind": "irdrop", "parameters": {"v_read": 0.2}}, "grid": {"size": [5, 9],
                                                                                           "r_wire": [2.0]}})
    ds = run_sweep(spec, tmp_path, scheduler="serial").dataset
    for n in (5, 9):
        g = nominal_conductance(n, n, 1e-6, 1e-5, 0)
        from circuitsim.crossbar.spec import CrossbarSpec

        rep = irdrop_report(CrossbarSpec(g, np.full(n, 0.2), r_row=2.0, r_col=2.0, r_source=1e-3, r_sense=1e-3))
        got = ds.sel(size=n, r_wire=2.0)
        assert float(got["rms_rel_error"]) == rep.rms_rel_error
        assert float(got["worst_cell_fraction"]) == rep.worst_cell_fraction
        # without variability the nominal figures are the IR-drop figures
        assert float(got["nominal_rms_rel_error"]) == pytest.approx(rep.rms_rel_error, rel=1e-12)
