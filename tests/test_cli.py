"""The command line: simulate (npz keys as ngspice names them), doctor, demo, netlists export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from circuitsim.netlists import Netlist, Pulse

pytestmark = pytest.mark.ngspice


def _cli(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "circuitsim", *args], capture_output=True, text=True, timeout=300,
                          env=env)


def _rc_file(tmp_path: Path) -> Path:
    net = Netlist("rc for the cli")
    net.vsource("V1", "in", "0", waveform=Pulse(0, 1, rise=1e-9, fall=1e-9, width=1e-3, period=2e-3))
    net.resistor("R1", "in", "out", 1e3)
    net.capacitor("C1", "out", "0", 1e-7)
    net.add(".tran 1e-6 5e-4")
    return net.write(tmp_path / "rc.cir")


@pytest.mark.parametrize("engine", ["batch", "shared"])
def test_simulate_writes_every_vector_under_ngspice_names(tmp_path, engine, ngspice_path):
    deck = _rc_file(tmp_path)
    out = tmp_path / f"{engine}.npz"
    proc = _cli("simulate", str(deck), "--engine", engine, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = np.load(out)
    assert set(data.files) == {"time", "v(in)", "v(out)", "i(v1)"}
    # The names and values are those of ngspice's own raw file for the same deck.
    from circuitsim.spice.rawfile import read_raw

    raw = tmp_path / "bare.raw"
    subprocess.run([ngspice_path, "-b", "-r", str(raw), str(deck)], capture_output=True, check=False)
    (plot,) = read_raw(raw)
    assert [name for name, _ in plot.variables] == ["time", "v(in)", "v(out)", "i(v1)"]
    for k, (name, _) in enumerate(plot.variables):
        np.testing.assert_allclose(data[name], plot.data[:, k], rtol=1e-9, atol=1e-18)
    tau = 1e-4
    t = data["time"]
    # Tolerance: ngspice default reltol 1e-3 on an RC charge -> 1e-3 of the 1 V step.
    np.testing.assert_allclose(data["v(out)"], 1 - np.exp(-np.clip(t - 1e-9, 0, None) / tau), atol=1e-3)


def test_simulate_multi_analysis_deck_keeps_every_plot(tmp_path):
    deck = tmp_path / "two.cir"
    deck.write_text("two analyses\nV1 a 0 dc 1 ac 1\nR1 a b 1000\nC1 b 0 1e-6\n.op\n.ac dec 5 1 1e3\n.end\n")
    out = tmp_path / "two.npz"
    proc = _cli("simulate", str(deck), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = np.load(out)
    # ngspice runs its analyses in its own order (ac before op); the last plot keeps the plain names.
    assert set(data.files) == {"ac1/frequency", "ac1/v(a)", "ac1/v(b)", "ac1/i(v1)", "v(a)", "v(b)", "i(v1)"}
    assert data["v(b)"][0] == pytest.approx(1.0)
    assert np.iscomplexobj(data["ac1/v(b)"])
    f = np.real(data["ac1/frequency"])
    np.testing.assert_allclose(data["ac1/v(b)"], 1 / (1 + 2j * np.pi * f * 1e-3), rtol=1e-9)


def test_doctor_reports_ngspice_klu_and_shared_library():
    proc = _cli("doctor")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ngspice      4" in proc.stdout and "KLU          yes" in proc.stdout
    assert "shared lib   loads" in proc.stdout


def test_doctor_fails_on_old_ngspice_with_install_instructions(tmp_path):
    fake = tmp_path / "ngspice"
    fake.write_text("#!/bin/sh\necho '** ngspice-39 : Circuit level simulation program'\n")
    fake.chmod(0o755)
    env = dict(os.environ, CIRCUITSIM_NGSPICE=str(fake))
    proc = _cli("doctor", env=env)
    assert proc.returncode == 1
    assert "TOO OLD" in proc.stdout and "bookworm-backports" in proc.stdout


def test_doctor_fails_when_ngspice_is_missing(tmp_path):
    env = dict(os.environ, CIRCUITSIM_NGSPICE=str(tmp_path / "missing"))
    proc = _cli("doctor", env=env)
    assert proc.returncode == 1
    assert "NOT FOUND" in proc.stdout and "apt-get install" in proc.stdout


def test_simulate_without_ngspice_exits_2_with_install_hint(tmp_path):
    env = dict(os.environ, CIRCUITSIM_NGSPICE=str(tmp_path / "missing"))
    proc = _cli("simulate", str(_rc_file(tmp_path)), env=env)
    assert proc.returncode == 2 and "NgspiceNotFoundError" in proc.stderr and "Traceback" not in proc.stderr
    assert "bookworm-backports" in proc.stderr


def test_demo_trains_the_perceptron_and_checks_the_closed_form(tmp_path):
    """The main job: the perceptron report (100 % reached, plots) and the neuron-synapse check."""
    proc = _cli("demo", "--out", str(tmp_path / "demo"))
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "demo" / "report.json").read_text())
    assert report["experiment"] == "perceptron" and report["summary"]["final_accuracy"] == 1.0
    assert "report.json" in proc.stdout and "epochs to 100 %" in proc.stdout
    for plot in report["plots"]:
        assert (tmp_path / "demo" / plot).stat().st_size > 10_000
    # safe to run twice: the second run starts over in the same folder
    again = _cli("demo", "--out", str(tmp_path / "demo"))
    assert again.returncode == 0, again.stderr
    second = json.loads((tmp_path / "demo" / "report.json").read_text())
    assert [m["accuracy"] for m in second["metrics"]] == [m["accuracy"] for m in report["metrics"]]
    summary = json.loads((tmp_path / "demo" / "neuron_synapse" / "summary.json").read_text())
    assert (tmp_path / "demo" / "neuron_synapse" / "membrane.png").stat().st_size > 10_000
    # Tolerance: 1e-4 of the membrane's peak; ngspice's trapezoidal steps of spike_width/50 give ~2e-6.
    assert summary["max_rel_error_vs_peak"] < 1e-4
    assert summary["membrane_peak_V"] == pytest.approx(summary["membrane_peak_closed_form_V"], rel=1e-4)


def test_simulate_trusts_a_deck_only_on_request(tmp_path):
    deck = tmp_path / "d.cir"
    deck.write_text("t\nV1 a 0 1\nR1 a 0 1\n.control\nop\nshell touch made_by_shell\nwrite inside.raw\n.endc\n.end\n")
    refused = _cli("simulate", str(deck), "--out", str(tmp_path / "d.npz"))
    assert refused.returncode == 2 and "--allow-shell" in refused.stderr
    assert not (tmp_path / "made_by_shell").exists() and not (tmp_path / "d.npz").exists()
    trusted = _cli("simulate", str(deck), "--out", str(tmp_path / "d.npz"), "--allow-shell")
    assert trusted.returncode == 0, trusted.stderr
    assert (tmp_path / "made_by_shell").exists() and (tmp_path / "d.npz").exists()


def test_simulate_lets_a_deck_write_inside_its_folder(tmp_path):
    deck = tmp_path / "d.cir"
    deck.write_text("t\nV1 a 0 1\nR1 a 0 1\n.control\nop\nwrdata sub/data.txt v(a)\nprint v(a) > log.txt\n.endc\n.end\n")
    (tmp_path / "sub").mkdir()
    proc = _cli("simulate", str(deck), "--out", str(tmp_path / "d.npz"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "sub" / "data.txt").exists() and (tmp_path / "log.txt").exists()


def test_netlists_export_leaves_identical_files_and_overwrites_only_on_request(tmp_path):
    first = _cli("netlists", "export", str(tmp_path))
    assert first.returncode == 0, first.stderr
    deck = tmp_path / "neuron_synapse_demo.cir"
    mtime = deck.stat().st_mtime_ns
    again = _cli("netlists", "export", str(tmp_path))
    assert again.returncode == 0 and deck.stat().st_mtime_ns == mtime
    deck.write_text("* edited\n")
    refused = _cli("netlists", "export", str(tmp_path))
    assert refused.returncode == 2 and "--overwrite" in refused.stderr and deck.read_text() == "* edited\n"
    forced = _cli("netlists", "export", str(tmp_path), "--overwrite")
    assert forced.returncode == 0 and deck.read_text() != "* edited\n"
