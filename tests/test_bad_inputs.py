"""The bad-input corpus: every file gives its specific exception (API) or exit status 2 (CLI),
with a message naming the problem, never a hang, a traceback or a dead interpreter."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from circuitsim.netlists import Netlist
from circuitsim.spice import (BatchEngine, ConvergenceError, NetlistError, Op, SimulationTimeoutError,
                              SimulatorCrashError, Tran)

pytestmark = pytest.mark.ngspice

BAD = Path(__file__).parent / "data" / "bad"

#: file -> (exception, fragments the message must contain, line number named or None)
CORPUS = {
    "unknown_element.cir": (NetlistError, ["line 4", "W1 b 0 10"], 4),
    "missing_node.cir": (NetlistError, ["line 3", "not a valid resistor"], 3),
    "bad_value.cir": (NetlistError, ["line 3", "unknown parameter (abc)"], 3),
    "unterminated_subckt.cir": (NetlistError, ["line 2", ".ends"], 2),
    "unknown_subckt.cir": (NetlistError, ["line 3", "unknown subcircuit"], 3),
    "unknown_model.cir": (NetlistError, ["line 3", "modelname"], 3),
    "missing_include.cir": (NetlistError, ["line 2", "/nonexistent/file.lib", "not found"], 2),
    "undefined_param.cir": (NetlistError, ["line 3", "rval"], 3),
    "bad_expr.cir": (NetlistError, ["line 3", "syntax error"], 3),
    "bad_tran.cir": (NetlistError, ["line 4", "TSTEP"], 4),
    "bad_dc.cir": (NetlistError, ["line 4", "vnosuch"], 4),
    "no_analysis.cir": (NetlistError, ["no analysis"], None),
    "empty.cir": (NetlistError, ["empty"], None),
    "binary_junk.cir": (NetlistError, ["not text"], None),
    "title_only.cir": (NetlistError, ["no elements"], None),
    "nonconverging_op.cir": (ConvergenceError, ["operating-point", "did not converge"], None),
    "nonconverging_tran.cir": (ConvergenceError, ["transient", "t = 1.0003e-06 s"], None),
    "vsource_loop.cir": (ConvergenceError, ["singular matrix", "v1#branch"], None),
    "quit_abort.cir": (SimulatorCrashError, ["status 3"], None),
}
GOOD = "good\nV1 a 0 2\nR1 a b 1000\nR2 b 0 1000\n.op\n.end\n"


def test_corpus_is_complete():
    files = {p.name for p in BAD.glob("*.cir")}
    assert files == set(CORPUS) | {"endless_tran.cir"}
    assert len(files) >= 15


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_bad_input_raises_specific_error(engine, name):
    exception, fragments, line_number = CORPUS[name]
    with pytest.raises(exception) as info:
        engine.run_file(BAD / name, timeout=60)
    message = str(info.value)
    for fragment in fragments:
        assert fragment.lower() in message.lower(), message
    if line_number is not None:
        assert info.value.line_number == line_number
    # The engine (and this interpreter) live on: the next run works.
    assert engine.run(GOOD)["v(b)"][0] == pytest.approx(1.0, rel=1e-12)


def test_convergence_error_names_time_and_keeps_partial_waveforms(engine):
    with pytest.raises(ConvergenceError) as info:
        engine.run_file(BAD / "nonconverging_tran.cir")
    error = info.value
    assert error.analysis == "tran"
    assert error.time == pytest.approx(1.0003e-6)
    assert error.partial is not None
    t = error.partial["time"]
    assert t.size > 100 and t[-1] <= 1.0003e-6 * 1.0001


def test_timeout_stops_the_run_and_keeps_partial_waveforms(engine):
    with pytest.raises(SimulationTimeoutError) as info:
        engine.run_file(BAD / "endless_tran.cir", timeout=1.0)
    error = info.value
    assert "timeout" in str(error)
    assert error.partial is not None and error.partial["time"].size > 10
    assert 0 < error.partial["time"][-1] < 10
    assert engine.run(GOOD)["v(b)"][0] == pytest.approx(1.0, rel=1e-12)


def test_analysis_given_twice_is_refused(engine):
    with pytest.raises(NetlistError, match="already sets an analysis"):
        engine.run(GOOD, Op())


def test_worker_killed_mid_run_becomes_crash_error(shared_engine):
    shared_engine.run(GOOD)
    pid = shared_engine.worker_pid
    timer = threading.Timer(0.5, os.kill, (pid, signal.SIGSEGV))
    timer.start()
    try:
        with pytest.raises(SimulatorCrashError, match="SIGSEGV"):
            shared_engine.run_file(BAD / "endless_tran.cir")
    finally:
        timer.cancel()
    assert shared_engine.run(GOOD)["v(b)"][0] == pytest.approx(1.0, rel=1e-12)
    assert shared_engine.worker_pid != pid


def test_batch_ngspice_crash_becomes_crash_error(tmp_path, ngspice_path):
    fake = tmp_path / "ngspice"
    fake.write_text(f"#!/bin/sh\nif [ \"$1\" = --version ]; then exec {ngspice_path} --version; fi\nkill -SEGV $$\n")
    fake.chmod(0o755)
    with pytest.raises(SimulatorCrashError, match="SIGSEGV"):
        BatchEngine(executable=str(fake)).run(GOOD)


def test_missing_ngspice_says_how_to_install(monkeypatch, tmp_path):
    from circuitsim.spice.errors import NgspiceNotFoundError
    from circuitsim.spice.toolchain import probe

    monkeypatch.setenv("PATH", str(tmp_path))
    probe.cache_clear()
    try:
        with pytest.raises(NgspiceNotFoundError, match="bookworm-backports"):
            BatchEngine()
    finally:
        probe.cache_clear()


def test_builder_refuses_impossible_values_with_the_parameter_name():
    net = Netlist()
    with pytest.raises(ValueError, match="R1 resistance must be > 0"):
        net.resistor("R1", "a", "0", -5)
    with pytest.raises(ValueError, match="C1 capacitance must be >= 0"):
        net.capacitor("C1", "a", "0", -1e-9)
    with pytest.raises(ValueError, match="R2 resistance must be finite"):
        net.resistor("R2", "a", "0", float("nan"))
    with pytest.raises(ValueError, match="must start with 'R'"):
        net.resistor("C9", "a", "0", 1)
    with pytest.raises(ValueError, match="step must be > 0"):
        Tran(0, 1)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "circuitsim", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_cli_exits_2_with_one_paragraph(name, tmp_path):
    exception, fragments, _ = CORPUS[name]
    proc = _cli("simulate", str(BAD / name), "--out", str(tmp_path / "x.npz"), "--timeout", "60")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("circuitsim: error: ")
    assert "\n\n" not in proc.stderr.strip()
    message = " ".join(proc.stderr.split())
    assert exception.__name__ in message
    for fragment in fragments:
        assert " ".join(fragment.lower().split()) in message.lower(), message


@pytest.mark.parametrize("engine_name", ["batch", "shared"])
def test_cli_timeout_exits_2(engine_name, tmp_path):
    proc = _cli("simulate", str(BAD / "endless_tran.cir"), "--engine", engine_name, "--timeout", "1",
                "--out", str(tmp_path / "x.npz"))
    assert proc.returncode == 2 and "SimulationTimeoutError" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_missing_file_exits_2(tmp_path):
    proc = _cli("simulate", str(tmp_path / "nope.cir"))
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr


def test_runs_with_a_timeout_always_wait_for_the_end(shared_engine):
    # Regression: ngSpice_running() stays False for a moment after bg_run, so polling it returned
    # before the background thread had started (and the next run then met the old one's leftovers).
    deck = ("short tran\nV1 a 0 pulse(0 1 0 1e-6 1e-6 1e-4 2e-4)\nR1 a b 1000\nC1 b 0 1e-8\n"
            ".tran 1e-6 1e-3\n.end\n")
    for _ in range(100):
        result = shared_engine.run(deck, timeout=30)
        assert result["time"][-1] == pytest.approx(1e-3)


@pytest.mark.parametrize("engine_name", ["batch", "shared"])
def test_ngspice_dies_with_a_killed_python_process(engine_name):
    import psutil

    script = (f"from circuitsim.spice import get_engine\n"
              f"get_engine({engine_name!r}).run_file({str(BAD / 'endless_tran.cir')!r})\n")
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        children = []
        while time.monotonic() < deadline and not any(c.name() == "ngspice" or "shared_worker" in " ".join(
                c.cmdline()) for c in children):
            time.sleep(0.2)
            children = psutil.Process(parent.pid).children(recursive=True)
        assert children, "ngspice never started"
        parent.kill()
        parent.wait(10)
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, f"left running after the parent was killed: {[p.cmdline() for p in alive]}"
    finally:
        if parent.poll() is None:
            parent.kill()


SWEEP_SPEC = Path(__file__).resolve().parents[1] / "sweeps" / "irdrop_size_wire.toml"


@pytest.mark.parametrize("workers", ["10000", "100000"])
def test_sweep_workers_are_capped_at_what_the_machine_holds(tmp_path, workers):
    """--workers beyond cores, memory or open files is capped, and the user is told why (nothing spawned:
    --check plans only)."""
    done = subprocess.run([sys.executable, "-m", "circuitsim", "sweep", str(SWEEP_SPEC), "--workers", workers,
                           "--check"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    message = " ".join(done.stderr.split())
    assert f"--workers {workers} capped at" in message and "this machine holds no more" in message


@pytest.mark.parametrize("missing, extra", [("dask", "sweep"), ("distributed", "sweep")])
def test_a_missing_optional_package_names_the_extra_to_install(tmp_path, missing, extra):
    """The package is really absent from that interpreter (its import blocked before circuitsim runs): the
    CLI names it and the extra, exit 2, no traceback, nothing written."""
    code = (f"import sys; sys.modules[{missing!r}] = None; from circuitsim.cli import main; "
            f"sys.exit(main(['sweep', {str(SWEEP_SPEC)!r}, '--out', 'out', '--workers', '1']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    message = " ".join(done.stderr.split())
    assert done.returncode == 2, done.stderr
    assert f"needs the optional package {missing}" in message or "needs the optional package" in message
    assert f"pip install 'circuitsim-ngspice[{extra}]'" in message and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
