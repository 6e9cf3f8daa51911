"""Benchmark: ``circuitsim simulate`` against bare ``ngspice -b`` on a 128 x 128 resistive crossbar (KLU).

Run:  .venv/bin/python benchmarks/bench_simulate.py [--size 128] [--repeats 5]

Both commands run as subprocesses from this script, on the same deck, in the
same run, alternating, after one warm-up each; the median wall time of each is
printed with the ratio.  Goal: ratio <= 1.2 for the default engine.
The deck saves only the column currents (what a crossbar user reads); a
second case saves every node voltage (33k vectors) to show the cost of output,
written as ``.npz`` (the default) and as a raw file (``--format raw``).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from circuitsim.crossbar import CrossbarSpec, crossbar_deck
from circuitsim.spice.toolchain import require_ngspice


def _time(command, repeats):
    subprocess.run(command, check=False, capture_output=True)  # warm-up (page cache, imports)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run(command, capture_output=True)
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} failed:\n{proc.stderr.decode()}")
    return statistics.median(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    info = require_ngspice()
    circuitsim = shutil.which("circuitsim") or str(Path(sys.executable).parent / "circuitsim")
    rng = np.random.default_rng(0)
    n = args.size
    spec = CrossbarSpec(rng.uniform(1e-5, 1e-4, (n, n)), rng.uniform(0, 0.3, n), r_row=1.0, r_col=1.0,
                        r_source=1.0, r_sense=1.0)
    print(f"ngspice {info.version} ({info.executable}), KLU={'yes' if info.klu else 'no'}; "
          f"{n}x{n} crossbar, {2 * n * n + 3 * n} elements, median of {args.repeats}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, save_only in (("column currents saved", True), ("every node saved", False)):
            deck = Path(tmp) / f"crossbar_{n}.cir"
            text = crossbar_deck(spec, save_currents_only=save_only).text
            # The same deck for both: with KLU on, as circuitsim would run it.
            text = text.replace("\n.op\n", "\n.options klu\n.op\n") if info.klu else text
            deck.write_text(text)
            bare, _ = _time([info.executable, "-b", "-r", str(Path(tmp) / "bare.raw"), str(deck)], args.repeats)
            print(f"\n[{label}]")
            print(f"  ngspice -b -r                      {bare:8.3f} s")
            for engine in ("batch", "shared"):
                for output in ("npz",) if save_only else ("npz", "raw"):
                    ours, _ = _time([circuitsim, "simulate", str(deck), "--engine", engine, "--format", output,
                                     "--out", str(Path(tmp) / f"out.{output}")], args.repeats)
                    goal = "  (goal <= 1.2)" if engine == "batch" and save_only else ""
                    print(f"  circuitsim simulate --engine {engine:6s} --format {output} {ours:8.3f} s   "
                          f"ratio {ours / bare:5.2f}{goal}")


if __name__ == "__main__":
    main()
