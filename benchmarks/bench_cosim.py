"""Benchmark: per-step co-simulation overhead against SPICE time, restart vs lock-step.

Run:  .venv/bin/python benchmarks/bench_cosim.py [--size 32] [--steps 10] [--omp-threads both|default|1]

A ``size x size`` crossbar of VTEAM cells (the perceptron's parameters, 1 ohm
wires) is trained for ``--steps`` steps by a Manhattan-rule loop: ``size``
inputs, ``size / 2`` outputs as differential column pairs, a fixed random
linear teacher.  Each step is one SPICE transient: the write pulses the
previous step decided (V/2 scheme, column by column, as
:func:`~circuitsim.cosim.writes.write_phases` orders them), then reads of
``--reads`` random +-V_read input vectors; the rule decides the next pulses
from the read currents.  The same steps run in restart mode and in lock-step
mode (same inputs, same teacher, same initial states).

Per step and mode it measures (wall clock, ``time.perf_counter``):

``spice``      StepResult.spice_seconds: the coupling's ngspice call.  Split
               with a timing proxy on the worker pipe into ``worker`` (the
               parent waits for the worker: ngspice parse + solve, and in
               lock-step the Python ``GetVSRCData`` callbacks in the worker,
               reading the vectors, pickling the reply) and ``call-py`` (the
               parent's Python inside the call: deck preparation, request
               building, pickling, unpickling, building the result).
``overhead``   everything else of the step: building the program (``program``),
               the deck text / source tables (``deck``), final states,
               currents at the sample times, the rule (``read+rule``).

Goal: lock-step overhead <= 10 % of SPICE time.

Measured (2026-11-23, 32 x 32, 10 steps, 2 shared cores at load 2-4; ngspice 46, KLU, OSDI cells):
SPICE 6.3 s/step restart, 6.9 s/step lock-step (about 1600 time points); overhead 0.048 s/step
restart (0.8 %: deck text 0.037 s), 0.010 s/step lock-step (0.14 %: building the program 0.007 s).
Goal met.  Inside the SPICE time, not counted above: the Python ``GetVSRCData`` callbacks of
lock-step (about 14 % of the worker's CPU by ``perf``), pickling this step's samples of every state
vector (about 13.6 MB/step, 0.02-0.03 s in this process), and the lock-step worker's memory grows
by about that much per step (ngspice keeps the whole run; LockStepCoupling reloads the transient
from the carried states past 1 GB).  Restart and lock-step agree to 1.2e-4
of the state range after 10 steps, with the same pulse decisions.

``--omp-threads``: libngspice is linked with OpenMP (libgomp; OSDI device loads
use it).  circuitsim runs ngspice with ``CIRCUITSIM_NGSPICE_THREADS`` threads
(default 1: ``OMP_NUM_THREADS`` and spinit's ``num_threads``); ``default`` here
means Debian spinit's 8 threads (what ngspice did before circuitsim set 1),
``1`` the shipped setting, ``both`` runs both (default).
With the machine's cores busy with other jobs (load 7-9 on 2 cores) the
shipped setting made lock-step steps of small arrays 20-60x slower (6 x 6:
15.1 s against 0.27 s per step; worker CPU 4.3 s against 0.08 s), apparently
because the OpenMP team waits for its descheduled threads at every device load;
``set num_threads=1`` before loading the deck only helps the first step, since
each ``bg_resume`` runs in a new thread.  At load 2-4 and at 32 x 32 no
difference stood out.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from contextlib import contextmanager
from typing import Any, Callable, Dict, List

import numpy as np

from circuitsim.cosim.circuit import CrossbarCircuit
from circuitsim.cosim.coupling import make_coupling
from circuitsim.cosim.rules import ManhattanRule
from circuitsim.cosim.writes import WriteScheme, differential_pulses, write_phases
from circuitsim.netlists.programming import LineProgram, Phase

#: VTEAM parameters of circuitsim.cosim.perceptron (its default [device.params])
VTEAM = {"ron": 1e4, "roff": 1e5, "v_off": 0.5, "v_on": -0.5, "k_off": 7.5e-5, "k_on": -7.5e-5,
         "alpha_off": 1.0, "alpha_on": 1.0}


class Timers:
    """Named accumulators of wall time (s), reset per step."""

    def __init__(self) -> None:
        self.t: Dict[str, float] = {}

    def add(self, name: str, seconds: float) -> None:
        self.t[name] = self.t.get(name, 0.0) + seconds

    def reset(self) -> Dict[str, float]:
        out, self.t = self.t, {}
        return out

    @contextmanager
    def time(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start)

    def wrap(self, name: str, fn: Callable) -> Callable:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with self.time(name):
                return fn(*args, **kwargs)
        return wrapped


class TimedConnection:
    """The engine's pipe to its worker, timing send (pickle + write), the wait for the reply, and recv."""

    def __init__(self, conn: Any, timers: Timers):
        self._conn, self._timers = conn, timers

    def send(self, obj: Any) -> None:
        with self._timers.time("send"):
            self._conn.send(obj)

    def poll(self, timeout: float = 0.0) -> bool:
        with self._timers.time("wait"):
            return self._conn.poll(timeout)

    def recv(self) -> Any:
        with self._timers.time("recv"):
            return self._conn.recv()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def process_cpu(pid: Any) -> float:
    """CPU seconds (user + system, every thread, live or ended) of process ``pid`` so far; NaN if unknown."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def process_rss(pid: Any) -> float:
    """Resident memory (MB) of process ``pid``; NaN if unknown."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return float("nan")


class Problem:
    """The Manhattan-rule loop's data: teacher, inputs per step, scales."""

    def __init__(self, size: int, reads: int, steps: int, seed: int, v_read: float, circuit: CrossbarCircuit):
        rng = np.random.default_rng(seed)
        self.m, self.n = size, size
        self.k = size // 2
        self.v_read = v_read
        self.teacher = rng.normal(0, 1 / np.sqrt(size), (self.m, self.k))
        self.inputs = [np.where(rng.random((reads, self.m)) < 0.5, -1.0, 1.0) for _ in range(steps)]
        lo, hi = circuit.state_bounds()["x0"]
        self.initial = {"x0": lo + rng.uniform(0.05, 0.95, (self.m, self.n)) * (hi - lo)}
        g_on, g_off = 1 / VTEAM["ron"], 1 / VTEAM["roff"]
        self.scale = v_read * (g_on - g_off) * np.sqrt(self.m) / 4


def run_mode(mode: str, circuit: CrossbarCircuit, problem: Problem, scheme: WriteScheme, t_read: float,
             rise: float, profile: bool) -> Dict[str, Any]:
    from circuitsim.spice.shared import SharedEngine

    timers = Timers()
    engine = SharedEngine()
    engine.command("version")                       # start the worker now, not inside the first step
    engine._conn = TimedConnection(engine._conn, timers)
    # time the Python parts the coupling runs outside its ngspice call
    circuit.deck = timers.wrap("deck", circuit.deck)
    circuit.final_states = timers.wrap("final_states", circuit.final_states)
    m, n = circuit.shape
    horizon = 2 * len(problem.inputs) * (len(problem.inputs[0]) * t_read + 2 * n * scheme.width + rise) + 1e-3
    setup_start = time.perf_counter()
    coupling = make_coupling(mode, circuit, problem.initial, horizon=horizon, engine=engine)
    setup = time.perf_counter() - setup_start
    timers.reset()
    rule = ManhattanRule()
    states = {k: v.copy() for k, v in problem.initial.items()}
    pending = None
    rows: List[Dict[str, float]] = []
    decisions = []
    profiler = cProfile.Profile() if profile else None
    try:
        for step, x in enumerate(problem.inputs):
            if profiler is not None:
                profiler.enable()
            step_start = time.perf_counter()
            cpu_start, worker_cpu_start = time.process_time(), process_cpu(engine.worker_pid)
            with timers.time("program"):
                program = LineProgram((m, n), rise=rise)
                if pending is not None:
                    program.extend(write_phases(pending, scheme))
                for row in x:
                    program.add(Phase.read(problem.v_read * row, n, t_read))
            if mode == "lock-step":             # its source tables: LineProgram._table inside run()
                program._table = timers.wrap("deck", program._table)
            else:                               # PWL text: LineProgram.sources inside run() (inside deck())
                program.sources = timers.wrap("deck", program.sources)
            run_start = time.perf_counter()
            result = coupling.run(program, states)
            run_seconds = time.perf_counter() - run_start
            with timers.time("read+rule"):
                states = result.states
                currents = result.column_currents_at(program.sample_times("read"))
                f = (currents[:, 0::2] - currents[:, 1::2]) / problem.scale
                y = np.tanh(f)
                target = np.tanh(x @ problem.teacher)
                pulses = rule.update(x, target - y)
                pending = differential_pulses(pulses)
            total = time.perf_counter() - step_start
            cpu, worker_cpu = time.process_time() - cpu_start, process_cpu(engine.worker_pid) - worker_cpu_start
            rss = process_rss(engine.worker_pid)
            if profiler is not None:
                profiler.disable()
            t = timers.reset()
            spice = result.spice_seconds
            worker = t.get("wait", 0.0)
            rows.append({"total": total, "spice": spice, "overhead": total - spice, "worker": worker,
                         "call_py": spice - worker, "transfer": t.get("send", 0.0) + t.get("recv", 0.0),
                         "program": t.get("program", 0.0), "deck": t.get("deck", 0.0),
                         "final_states": t.get("final_states", 0.0), "read_rule": t.get("read+rule", 0.0),
                         "run_outside_spice": run_seconds - spice, "points": len(result.time),
                         "phases": len(program.phases), "simulated": program.duration,
                         "cpu": cpu, "worker_cpu": worker_cpu, "worker_rss": rss})
            decisions.append(pending.copy())
            print(f"  {mode:9s} step {step:2d}: {len(program.phases):3d} phases, {len(result.time):5d} points, "
                  f"SPICE {spice:7.3f} s, overhead {total - spice:6.3f} s; CPU: worker {worker_cpu:6.2f} s, "
                  f"this process {cpu:6.3f} s; worker RSS {rss:6.0f} MB", flush=True)
    finally:
        coupling.close()
        engine.close()
        del circuit.deck, circuit.final_states       # back to the class's methods
    profile_text = None
    if profiler is not None:
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(25)
        profile_text = buffer.getvalue()
    return {"rows": rows, "states": states, "decisions": decisions, "setup": setup, "profile": profile_text}


def med(rows: List[Dict[str, float]], key: str, skip_first: bool) -> float:
    values = [r[key] for r in (rows[1:] if skip_first and len(rows) > 1 else rows)]
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=32, help="rows = columns of the array (even)")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--reads", type=int, default=4, help="input vectors read per step")
    parser.add_argument("--read-time", type=float, default=1e-7, help="s per read (perceptron: 100 ns)")
    parser.add_argument("--width", type=float, default=2e-7, help="write pulse width (s; perceptron: 1 us)")
    parser.add_argument("--omp-threads", choices=("both", "default", "1"), default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="cProfile the lock-step steps (parent process)")
    args = parser.parse_args()
    if args.size < 2 or args.size % 2:
        raise SystemExit("--size must be even and >= 2")
    if args.steps < 2:
        raise SystemExit("--steps must be >= 2 (the first step has no write pulses)")

    rise = min(args.read_time, args.width) / 20
    scheme = WriteScheme("v/2", -0.9, 0.9, args.width)
    m = n = args.size
    circuit = CrossbarCircuit("vteam", (m, n), VTEAM, r_row=1.0, r_col=1.0, r_source=1.0, r_sense=1.0,
                              max_step=min(args.read_time, args.width) / 4)
    problem = Problem(args.size, args.reads, args.steps, args.seed, 0.2, circuit)
    variants = ["1", "default"] if args.omp_threads == "both" else [args.omp_threads]
    print(f"co-simulation overhead benchmark: {m}x{n} VTEAM crossbar (OSDI cells, {m} inputs, {m // 2} differential "
          f"outputs), Manhattan rule, {args.steps} steps of {args.reads} reads x {args.read_time:g} s + "
          f"the previous step's V/2 write pulses ({args.width:g} s each, column by column); max_step "
          f"{circuit.max_step:g} s.")
    print(f"NOTE: the machine is shared ({os.cpu_count()} cores, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} at start): wall-clock timings are noisy.")

    results: Dict[str, Dict[str, Any]] = {}
    try:
        for omp in variants:
            # circuitsim gives ngspice processes CIRCUITSIM_NGSPICE_THREADS OpenMP threads (default 1);
            # "default" restores Debian spinit's 8, the setting before circuitsim overrode it
            os.environ["CIRCUITSIM_NGSPICE_THREADS"] = "1" if omp == "1" else "8"
            label = "1 thread (circuitsim)" if omp == "1" else "8 threads (Debian spinit)"
            print(f"\n[{label}]", flush=True)
            for mode in ("restart", "lock-step"):
                results[f"{omp}/{mode}"] = run_mode(mode, circuit, problem, scheme, args.read_time, rise,
                                                    args.profile and mode == "lock-step")
    finally:
        os.environ.pop("CIRCUITSIM_NGSPICE_THREADS", None)

    lo, hi = circuit.state_bounds()["x0"]
    env_label = {"1": "1 thread", "default": "8 threads"}
    print("\nWall clock: medians per step over steps 2..N (step 1 has no write pulses), seconds.")
    head = (f"{'worker env':10s} {'mode':9s} {'SPICE':>7s} {'=worker':>7s} {'+callpy':>7s} {'overhd':>7s} "
            f"{'ovh/SPICE':>9s} {'strict':>7s} {'program':>7s} {'deck':>7s} {'final':>7s} {'rd+rule':>7s} "
            f"{'transfr':>7s} {'points':>6s} {'setup':>6s}")
    print(head)
    print("-" * len(head))
    ratios = {}
    for key, res in results.items():
        omp, mode = key.split("/")
        rows = res["rows"]
        spice, overhead = med(rows, "spice", True), med(rows, "overhead", True)
        strict = statistics.median([(r["total"] - r["worker"]) / r["worker"] for r in rows[1:]])
        ratios[key] = overhead / spice
        print(f"{env_label[omp]:10s} {mode:9s} {spice:7.3f} {med(rows, 'worker', True):7.3f} "
              f"{med(rows, 'call_py', True):7.4f} {overhead:7.4f} {overhead / spice:9.2%} {strict:7.2%} "
              f"{med(rows, 'program', True):7.4f} {med(rows, 'deck', True):7.4f} {med(rows, 'final_states', True):7.4f} "
              f"{med(rows, 'read_rule', True):7.4f} {med(rows, 'transfer', True):7.4f} "
              f"{int(med(rows, 'points', True)):6d} {res['setup']:6.2f}")
    print("SPICE = StepResult.spice_seconds = worker (parent waiting for the ngspice worker's reply) + callpy (parent "
          "Python inside the call:\n  deck preparation, request, pickling, unpickling, result); overhd = step wall "
          "time - SPICE = program + deck (restart: PWL\n  + deck text; lock-step: source tables) + final (states) + "
          "rd+rule (currents at the read times, rule) + glue;\n  strict = (step - worker) / worker, i.e. counting "
          "callpy as overhead too; transfr = send + recv (pickle, pipe,\n  unpickle), inside SPICE; setup = "
          "coupling start (lock-step: deck load), once, not per step.")
    print("\nCPU time: medians per step over steps 2..N, seconds (less sensitive to the other jobs than wall time).")
    head = (f"{'worker env':10s} {'mode':9s} {'worker CPU':>10s} {'this process CPU':>16s} {'ratio':>7s} "
            f"{'worker RSS end':>14s} {'RSS growth/step':>15s}")  # growth: mean over steps 2..N
    print(head)
    print("-" * len(head))
    for key, res in results.items():
        omp, mode = key.split("/")
        rows = res["rows"]
        w, c = med(rows, "worker_cpu", True), med(rows, "cpu", True)
        growth = (rows[-1]["worker_rss"] - rows[1]["worker_rss"]) / (len(rows) - 2) if len(rows) > 2 else float("nan")
        print(f"{env_label[omp]:10s} {mode:9s} {w:10.3f} {c:16.3f} {(c / w if w > 0 else float('nan')):7.2%} {rows[-1]['worker_rss']:11.0f} MB "
              f"{growth:12.1f} MB")
    print("worker CPU: ngspice (every thread) + the worker's Python (lock-step: GetVSRCData callbacks; reading and "
          "pickling vectors);\n  this process: everything the step does in Python here (overhead + callpy); RSS: the "
          "worker's resident memory (lock-step keeps the whole run's saved vectors).")

    print("\nGoal: lock-step overhead <= 10 % of SPICE time")
    for key, ratio in ratios.items():
        omp, mode = key.split("/")
        if mode == "lock-step":
            verdict = "MET" if ratio <= 0.10 else "NOT MET"
            print(f"  {env_label[omp]}: overhead / SPICE = {ratio:.2%} -> {verdict}")
    for omp in variants:
        a, b = results[f"{omp}/restart"], results[f"{omp}/lock-step"]
        diff = float(np.max(np.abs(a["states"]["x0"] - b["states"]["x0"]))) / (hi - lo)
        differing = sum(int(np.count_nonzero(p != q)) for p, q in zip(a["decisions"], b["decisions"]))
        total = sum(p.size for p in a["decisions"])
        moved = float(np.max(np.abs(b["states"]["x0"] - problem.initial["x0"]))) / (hi - lo)
        print(f"Restart vs lock-step ({env_label[omp]}): max |x_restart - x_lockstep| / "
              f"state range = {diff:.2e} after {args.steps} steps (largest state change {moved:.2e} of the range); "
              f"pulse decisions differing: {differing} of {total}")
    if len(variants) == 2:
        s_default = med(results["default/lock-step"]["rows"], "spice", True)
        s_one = med(results["1/lock-step"]["rows"], "spice", True)
        r_default = med(results["default/restart"]["rows"], "spice", True)
        r_one = med(results["1/restart"]["rows"], "spice", True)
        print(f"OpenMP: lock-step SPICE s/step {s_default:.3f} with 8 threads vs {s_one:.3f} with 1 "
              f"({s_default / s_one:.1f}x); restart {r_default:.3f} vs {r_one:.3f} ({r_default / r_one:.1f}x).")
    for key, res in results.items():
        if res["profile"]:
            print(f"\ncProfile of the lock-step steps ({key}), parent process, cumulative:")
            print(res["profile"])


if __name__ == "__main__":
    sys.exit(main())
