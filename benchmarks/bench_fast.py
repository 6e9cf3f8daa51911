"""Benchmark: the fast transient engine (mode 'fast') against ngspice restart mode, and batched reads.

Run:  .venv/bin/python benchmarks/bench_fast.py [--sizes 16 32 64 128 256] [--ngspice-max 64] [--reads 1000]

One step of ``bench_cosim.py``'s kind per size N: an N x N VTEAM crossbar (the
perceptron's synapse parameters, 1 ohm wires, drivers and senses), the V/2
write pulses a Manhattan rule decided from four random +-0.2 V reads (pulses
of 200 ns, 5 ns edges, column by column: about 2N phases), then the four
reads.  The same step (same states, same program) runs in the fast engine
and, up to ``--ngspice-max``, in ngspice restart mode (shared engine, OSDI
cells); it prints seconds per step, the ratio, the peak memory of this
process (fast engine; ``ru_maxrss`` is a high-water mark over the run) and
the largest state difference between the two.  Then K reads of an N x N
linear array through ``solve_crossbar`` (one factorisation, the transfer
matrix for K > 2N).

Goals: 32 x 32 step >= 30x faster than ngspice restart; 256 x 256 step < 10 s
within 4 GB; 1000 reads of 256 x 256 < 1 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path
from typing import Dict, Tuple

# One BLAS thread (set before numpy loads OpenBLAS): the engine's dense work is small (k x k solves,
# (cells x k) products) and two BLAS threads on two shared cores made the 64 x 64 step 3-10x slower
# (4.2 s against 14-50 s, measured under load 2.7).  BENCH_BLAS_THREADS overrides.
os.environ.setdefault("OPENBLAS_NUM_THREADS", os.environ.get("BENCH_BLAS_THREADS", "1"))

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cosim import VTEAM  # noqa: E402

from circuitsim.cosim.circuit import CrossbarCircuit  # noqa: E402
from circuitsim.cosim.coupling import RestartCoupling  # noqa: E402
from circuitsim.cosim.fast import FastCoupling  # noqa: E402
from circuitsim.cosim.writes import WriteScheme, differential_pulses, write_phases  # noqa: E402
from circuitsim.crossbar import CrossbarSpec  # noqa: E402
from circuitsim.crossbar.solver import solve_crossbar  # noqa: E402
from circuitsim.netlists.programming import LineProgram, Phase  # noqa: E402


def peak_mb() -> float:
    """High-water mark of this process's resident memory (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step_of(size: int, seed: int = 1) -> Tuple[CrossbarCircuit, LineProgram, Dict[str, np.ndarray]]:
    """The circuit, the step's program and the initial states of one benchmark step."""
    circuit = CrossbarCircuit("vteam", (size, size), VTEAM, r_row=1.0, r_col=1.0, r_source=1.0, r_sense=1.0,
                              max_step=2.5e-8)
    rng = np.random.default_rng(seed)
    teacher = rng.normal(0, 1 / np.sqrt(size), (size, size // 2))
    x = np.where(rng.random((4, size)) < 0.5, -1.0, 1.0)
    lo, hi = circuit.state_bounds()["x0"]
    states = {"x0": lo + rng.uniform(0.05, 0.95, (size, size)) * (hi - lo)}
    pulses = differential_pulses(np.sign(x.T @ np.tanh(x @ teacher)).astype(int))
    program = LineProgram((size, size), rise=5e-9)
    program.extend(write_phases(pulses, WriteScheme("v/2", -0.9, 0.9, 2e-7)))
    for row in x:
        program.add(Phase.read(0.2 * row, size, 1e-7))
    return circuit, program, states


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64, 128, 256])
    parser.add_argument("--ngspice-max", type=int, default=64, help="largest N run in ngspice too")
    parser.add_argument("--reads", type=int, default=1000, help="K input vectors of the batched reads")
    parser.add_argument("--read-sizes", type=int, nargs="+", default=[64, 256])
    args = parser.parse_args()
    print(f"fast engine vs ngspice restart; OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}; "
          f"{os.cpu_count()} cores, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} (shared machine: wall-clock timings are noisy)")
    head = (f"{'N':>5s} {'phases':>6s} {'fast s':>8s} {'cpu s':>7s} {'points':>7s} {'evals':>6s} {'rej':>4s} "
            f"{'factor':>6s} "
            f"{'ngspice s':>9s} {'points':>7s} {'ratio':>7s} {'max dx/range':>12s} {'peak MB':>8s}")
    print(head)
    print("-" * len(head))
    from circuitsim.spice.shared import SharedEngine

    engine = None
    for size in args.sizes:
        circuit, program, states = step_of(size)
        fast = FastCoupling(circuit, record_states=False)
        cpu = time.process_time()
        result = fast.run(program, states)
        cpu = time.process_time() - cpu
        seconds = result.spice_seconds
        spice_s, spice_points, diff, ratio = float("nan"), 0, float("nan"), float("nan")
        if size <= args.ngspice_max:
            if engine is None:
                engine = SharedEngine()
                engine.command("version")
            ref = RestartCoupling(circuit, engine).run(program, states)
            spice_s, spice_points = ref.spice_seconds, len(ref.time)
            lo, hi = circuit.state_bounds()["x0"]
            diff = float(np.max(np.abs(ref.states["x0"] - result.states["x0"]))) / (hi - lo)
            ratio = spice_s / seconds
        print(f"{size:5d} {len(program.phases):6d} {seconds:8.3f} {cpu:7.3f} {len(result.time):7d} "
              f"{fast.stats.evaluations:6d} {fast.stats.rejected:4d} {fast.network.stats.factorisations:6d} {spice_s:9.3f} "
              f"{spice_points:7d} {ratio:7.1f} {diff:12.2e} {peak_mb():8.0f}", flush=True)
    if engine is not None:
        engine.close()
    print("ratio = ngspice s / fast s (wall clock, same step, same run); cpu s = the fast step's process time "
          "(less sensitive to the load); ngspice skipped (nan) past --ngspice-max.")

    print(f"\nbatched reads: {args.reads} input vectors through an N x N linear array (1 ohm wires), column "
          "currents only")
    head = f"{'N':>5s} {'batched s':>9s} {'per vector ms':>13s} {'one vector s':>12s} {'speed-up':>8s} {'peak MB':>8s}"
    print(head)
    print("-" * len(head))
    for size in args.read_sizes:
        rng = np.random.default_rng(0)
        g = rng.uniform(1e-5, 1e-4, (size, size))
        v = rng.uniform(-0.2, 0.2, (args.reads, size))
        start = time.perf_counter()
        solve_crossbar(CrossbarSpec(g, v, 1.0, 1.0), method="direct", keep_voltages=False)
        batched = time.perf_counter() - start
        start = time.perf_counter()
        solve_crossbar(CrossbarSpec(g, v[0], 1.0, 1.0), method="direct", keep_voltages=False)
        one = time.perf_counter() - start
        print(f"{size:5d} {batched:9.3f} {1e3 * batched / args.reads:13.3f} {one:12.3f} "
              f"{args.reads * one / batched:8.1f} {peak_mb():8.0f}", flush=True)
    print("speed-up = K x (one vector's solve) / batched.")


if __name__ == "__main__":
    sys.exit(main())
