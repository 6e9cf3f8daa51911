"""Sweeps on Dask distributed: against the serial run, with a worker killed, after the client is killed,
and on a scheduler + workers started here on loopback (127.0.0.1)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from circuitsim.sweep import parse_spec, run_sweep
from circuitsim.sweep.execute import DaskExecutor

BIN = Path(sys.executable).parent

# small arrays, all three kinds of spread: the seeds must travel with the points
SMALL = {
    "seed": 5,
    "task": {"kind": "irdrop", "parameters": {"g_high": 2e-5}},
    "grid": {"size": [8, 24], "r_wire": [0.5, 2.0]},
    "montecarlo": {"samples": 3, "device_sigma": 0.1, "cycle_sigma": 0.05, "pulses": 2,
                   "spread": {"r_sense": 0.2}},
}

SMALL_TOML = """\
seed = 5
[task]
kind = "irdrop"
[task.parameters]
g_high = 2e-5
[grid]
size = [8, 24]
r_wire = [0.5, 2.0]
[montecarlo]
samples = 3
device_sigma = 0.1
cycle_sigma = 0.05
pulses = 2
[montecarlo.spread]
r_sense = 0.2
"""


def outputs(folder: Path) -> dict:
    """Point index -> (outputs, sampled parameters), read back from the point files."""
    out = {}
    for path in sorted((folder / "points").glob("p*.json")):
        rec = json.loads(path.read_text())
        assert rec["status"] == "ok", rec
        assert rec["index"] not in out
        out[rec["index"]] = (rec["outputs"], rec["spread_params"])
    return out


def same_dataset(a: xr.Dataset, b: xr.Dataset) -> None:
    xr.testing.assert_identical(a.drop_vars("seconds").drop_attrs(), b.drop_vars("seconds").drop_attrs())


@pytest.fixture(scope="module")
def serial_small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serial")
    run = run_sweep(parse_spec(SMALL), folder, scheduler="serial")
    assert run.computed == 12
    return folder, run.dataset


def test_local_cluster_equals_serial_point_for_point(tmp_path, serial_small):
    serial_folder, serial_ds = serial_small
    pids = set()
    run = run_sweep(parse_spec(SMALL), tmp_path, scheduler="local", workers=2,
                    on_point=lambda i, rec, ex: pids.add(rec["pid"]))
    assert run.computed == 12 and not run.failed and "2 local worker" in run.executor
    assert os.getpid() not in pids
    assert outputs(tmp_path) == outputs(serial_folder)
    same_dataset(run.dataset, serial_ds)
    with xr.open_dataset(run.dataset_path) as back:
        same_dataset(back.load(), serial_ds)


def test_worker_killed_mid_sweep_every_point_delivered_once(tmp_path):
    # 96 x 96 arrays (direct solve, ~0.1 s each) so that the killed worker is busy with a point
    spec = parse_spec({"task": {"kind": "irdrop", "parameters": {"size": 96}},
                       "montecarlo": {"samples": 12, "device_sigma": 0.1}})
    delivered = []
    killed = {}

    def kill_a_busy_worker(index, record, executor):
        delivered.append(index)
        if killed:
            return
        processing = executor.client.processing()
        pids = executor.worker_pids()
        busy = [addr for addr, keys in processing.items() if keys] or list(pids)
        killed[busy[0]] = pids[busy[0]]
        os.kill(pids[busy[0]], signal.SIGKILL)

    run = run_sweep(spec, tmp_path, scheduler="local", workers=2, on_point=kill_a_busy_worker)
    assert killed
    assert sorted(delivered) == list(range(12)) and not run.failed
    assert sorted(outputs(tmp_path)) == list(range(12))
    assert int(run.dataset["status"].sum()) == 12


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


@pytest.mark.parametrize("scheduler", ["serial", pytest.param("local", marks=pytest.mark.slow)])
def test_resume_after_the_client_is_killed(tmp_path, scheduler):
    """SIGKILL the sweep's client mid-way; --resume computes exactly the missing points.

    ``serial`` (~10 s) runs by default; ``local`` (2 Dask workers, points in flight when the client dies,
    two cluster start-ups: ~20-35 s on a shared machine) is marked slow.
    """
    spec_path = tmp_path / "spec.toml"
    size = 32 if scheduler == "serial" else 64
    spec_path.write_text(f'[task]\nkind = "irdrop"\n[task.parameters]\nsize = {size}\n'
                         '[grid]\nr_wire = [0.5, 1.0, 2.0]\n[montecarlo]\nsamples = 16\ndevice_sigma = 0.1\n')
    total = 48
    out = tmp_path / "out"
    cmd = [str(BIN / "circuitsim"), "sweep", str(spec_path), "--out", str(out), "--scheduler", scheduler,
           "--workers", "2", "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        while len(list((out / "points").glob("p*.json"))) < 3:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)       # the client only; its local workers then exit by themselves
        proc.wait(timeout=30)
    finally:
        _kill_group(proc)                        # whatever is left of its process group
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes())
              for p in (out / "points").glob("p*.json")}
    if len(before) == total:
        pytest.skip("the first run finished before it could be killed")
    rerun = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert f"computed {total - len(before)}, already done {len(before)}, failed 0" in rerun.stdout
    after = {p.name: p for p in (out / "points").glob("p*.json")}
    assert len(after) == total
    for name, (inode, mtime, data) in before.items():   # the first run's points were not computed again
        st = after[name].stat()
        assert (st.st_ino, st.st_mtime_ns, after[name].read_bytes()) == (inode, mtime, data)
    assert sorted(outputs(out)) == list(range(total))
    with xr.open_dataset(out / "results.nc") as ds:
        assert int(ds["status"].sum()) == total
    assert not list((out / "points").glob(".*.tmp"))


def test_scheduler_and_workers_on_loopback(tmp_path, serial_small):
    """`dask scheduler` + `dask worker` started here on 127.0.0.1; `circuitsim sweep --scheduler tcp://...`."""
    serial_folder, serial_ds = serial_small
    sched_file = tmp_path / "scheduler.json"
    scheduler = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(sched_file)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    workers = []
    try:
        while not sched_file.exists():
            assert scheduler.poll() is None, "dask scheduler exited"
            time.sleep(0.05)
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        # two worker processes as one would start them on two machines (no nanny: half the processes to start)
        workers = [subprocess.Popen([str(BIN / "dask"), "worker", address, "--host", "127.0.0.1", "--no-nanny",
                                     "--nthreads", "1", "--no-dashboard"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
                   for _ in range(2)]
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        (tmp_path / "spec.toml").write_text(SMALL_TOML)
        proc = subprocess.run([str(BIN / "circuitsim"), "sweep", str(tmp_path / "spec.toml"), "--scheduler",
                               address, "--out", str(tmp_path / "out"), "--no-progress"],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        assert f"2 worker(s) of {address}" in proc.stdout
        assert outputs(tmp_path / "out") == outputs(serial_folder)
        with xr.open_dataset(tmp_path / "out" / "results.nc") as ds:
            same_dataset(ds.load(), serial_ds)
    finally:
        for p in [*workers, scheduler]:
            _kill_group(p)


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    import socket

    with socket.socket() as s:        # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ex = DaskExecutor(f"tcp://127.0.0.1:{port}", connect_timeout=2)
    with pytest.raises(OSError, match="nothing listens on 127.0.0.1"):
        with ex:
            pass


@pytest.mark.ngspice
@pytest.mark.slow
def test_netlist_kind_on_dask_with_one_shared_engine_per_worker(tmp_path):
    """libngspice allows one instance per process: each worker process keeps its own SharedEngine."""
    data = {"task": {"kind": "netlist", "engine": "shared",
                     "template": "* rc step\nv1 in 0 pulse(0 {{vin}} 0 1n 1n 1 2)\nr1 in out {{r}}\n"
                                 "c1 out 0 1u\n.tran 10u 2m\n.end\n",
                     "outputs": {"v_end": "last(v(out))", "v_max": "max(v(out))"}},
            "grid": {"vin": [0.5, 1.0], "r": [100.0, 300.0, 1000.0]}}
    serial = run_sweep(parse_spec(data), tmp_path / "serial", scheduler="serial").dataset
    pids = set()
    dask_run = run_sweep(parse_spec(data), tmp_path / "dask", scheduler="local", workers=2,
                         on_point=lambda i, rec, ex: pids.add(rec["pid"]))
    same_dataset(dask_run.dataset, serial)
    assert os.getpid() not in pids
    tau = serial["r"] * 1e-6
    expected = serial["vin"] * (1 - np.exp(-2e-3 / tau))
    np.testing.assert_allclose(serial["v_end"].values, expected.transpose("vin", "r").values, rtol=1e-3)
