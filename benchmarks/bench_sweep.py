"""Sweep scale-out: a 64-point Monte Carlo of a 64 x 64 IR-drop solve, serially and on 1 and 2 Dask workers.

    .venv/bin/python benchmarks/bench_sweep.py [--points 64] [--size 64] [--repeat 1]

Prints, for each executor: the wall time of the sweep (points submitted to
the last point file written; the cluster's start-up is timed separately and
results.nc / plots are not written), the mean of the tasks' own run time
(measured inside each task, wall and CPU), and the Dask overhead per task:
``wall x workers / points - mean task time`` (scheduling, serialisation,
the round trip to the client and the point file), also as a fraction of the
task's own time.  Speed-up = wall(1 worker) / wall(2 workers).

The numbers are those of the machine at the time: on a shared machine other
processes take cores and inflate them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from circuitsim.sweep.execute import DaskExecutor, SerialExecutor
from circuitsim.sweep.runner import run_sweep
from circuitsim.sweep.spec import parse_spec


def measure(spec, executor, folder: Path):
    seconds, cpu = [], []

    def record(index, rec, ex):
        seconds.append(rec["seconds"])
        cpu.append(rec["cpu_seconds"])

    t0 = time.perf_counter()
    run = run_sweep(spec, folder, scheduler=executor, gather=False, on_point=record)
    wall = time.perf_counter() - t0
    assert run.computed == spec.size and not run.failed, run.failed
    return wall, statistics.fmean(seconds), statistics.fmean(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=64)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=1, help="repeat each measurement, keep the fastest")
    args = ap.parse_args()
    spec = parse_spec({"seed": 1, "task": {"kind": "irdrop", "parameters": {"size": args.size}},
                       "montecarlo": {"samples": args.points, "device_sigma": 0.1}})
    print(f"{args.points}-point Monte Carlo of a {args.size} x {args.size} IR-drop solve (fast solver, "
          f"10 % log-normal G spread); {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        # warm the imports of this process (the workers warm theirs on their first task)
        measure(parse_spec({"task": {"kind": "irdrop", "parameters": {"size": 8}}, "montecarlo": {"samples": 1}}),
                SerialExecutor(), Path(tmp) / "warm")
        best = min((measure(spec, SerialExecutor(), Path(tmp) / f"serial{r}") for r in range(args.repeat)))
        rows["serial (no Dask)"] = (1, *best, 0.0)
        for workers in (1, 2):
            ex = DaskExecutor("local", workers=workers)
            t0 = time.perf_counter()
            with ex:
                startup = time.perf_counter() - t0
                # one untimed round so that every worker has imported the solver
                measure(spec, ex, Path(tmp) / f"warm{workers}")
                best = min(measure(spec, ex, Path(tmp) / f"dask{workers}-{r}") for r in range(args.repeat))
            rows[f"Dask, {workers} worker{'s' if workers > 1 else ''}"] = (workers, *best, startup)
    print(f"\n{'executor':<20} {'wall s':>8} {'task s (mean)':>14} {'task CPU s':>11} {'overhead/task ms':>17} "
          f"{'overhead/task':>14} {'cluster start s':>16}")
    for name, (workers, wall, task, cpu, startup) in rows.items():
        overhead = wall * workers / spec.size - task
        print(f"{name:<20} {wall:8.2f} {task:14.4f} {cpu:11.4f} {1e3 * overhead:17.2f} {overhead / task:13.0%} "
              f"{startup:16.2f}")
    print("(task s: wall time inside the task; task CPU s: CPU time of its process meanwhile. Task s well above "
          "task CPU s means the task waited for a core: other processes on the machine)")
    w1, w2 = rows["Dask, 1 worker"][1], rows["Dask, 2 workers"][1]
    print(f"\nspeed-up 1 -> 2 workers: {w1 / w2:.2f}x   (Dask 2 workers vs serial: "
          f"{rows['serial (no Dask)'][1] / w2:.2f}x)")


if __name__ == "__main__":
    main()
