"""Benchmark: the fast crossbar solver against a plain spsolve and ngspice 46 (KLU), N x N passive arrays.

Run:  .venv/bin/python benchmarks/bench_crossbar_solver.py [--sizes 32,64,128,256,512,1024] [--ngspice-max 256]
          [--baseline-max 512] [--direct-max 1024] [--repeats 3] [--r-wire 1.0]

For each N (cells uniform in [1e-6, 1e-4] S, drivers in [0, 1] V, r_row = r_col
= --r-wire ohm, r_source = r_sense = 1 mohm, seed N):

* gen: time of ``crossbar_deck`` (the deck text and its probes);
* direct / pcg: wall time of ``solve_crossbar(..., method=...)`` (assembly +
  factorisation + solve; best of --repeats), each in its own subprocess so that
  the peak resident memory (``VmHWM``) is that method's alone; "MB" is the
  peak minus the process's memory before the solve (Python, numpy, scipy and
  the inputs, about 70 MB);
* spsolve: the nodal matrix "built the obvious way" (a Python loop over the
  elements into a ``lil_matrix``; build time reported separately) and
  ``scipy.sparse.linalg.spsolve`` of it (default options), also in a subprocess;
  "x" is spsolve's solve time divided by the faster fast method's total time;
* ngspice: ``BatchEngine().run`` of the generated deck with ``.options klu``
  (writing the deck, ngspice, reading the raw file);
* agreement: max |I_a - I_b| / max |I_b| over the column currents.

Goals (crossbar issue): 1024 x 1024 in <= 3 s and <= 4 GB; >= 5x faster than
spsolve at 512; agreement <= 1e-9.  The machine is shared: timings vary with
the other jobs running on it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

HERE = Path(__file__).resolve()


def make_spec(n: int, r_wire: float):
    from circuitsim.crossbar import CrossbarSpec
    rng = np.random.default_rng(n)
    return CrossbarSpec(rng.uniform(1e-6, 1e-4, (n, n)), rng.uniform(0, 1, n), r_row=r_wire, r_col=r_wire,
                        r_source=1e-3, r_sense=1e-3)


def _rss_mb() -> float:
    """Peak resident memory of this process (MB).

    ``VmHWM`` from /proc, not ``ru_maxrss``: Linux carries ``ru_maxrss`` over
    from the (large) parent through fork and exec, ``VmHWM`` starts afresh.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _current_rss_mb() -> float:
    try:
        import psutil
        return psutil.Process().memory_info().rss / 2 ** 20
    except Exception:  # pragma: no cover
        return _rss_mb()


# --------------------------------------------------------------------------- children (one job per process)


def loop_built_matrix(spec):
    """The nodal matrix the obvious way: one Python statement per element into a lil_matrix."""
    import scipy.sparse as sp
    m, n = spec.shape
    size = 2 * m * n
    a = sp.lil_matrix((size, size))
    b = np.zeros(size)
    g = spec.conductance
    grow, gcol, gsrc, gsns = 1.0 / spec.r_row, 1.0 / spec.r_col, 1.0 / spec.r_source, 1.0 / spec.r_sense
    for i in range(m):
        for j in range(n):
            p, q = i * n + j, m * n + j * m + i
            a[p, p] += g[i, j]
            a[q, q] += g[i, j]
            a[p, q] -= g[i, j]
            a[q, p] -= g[i, j]
            if j + 1 < n:
                r = p + 1
                a[p, p] += grow
                a[r, r] += grow
                a[p, r] -= grow
                a[r, p] -= grow
            if i + 1 < m:
                r = q + 1
                a[q, q] += gcol
                a[r, r] += gcol
                a[q, r] -= gcol
                a[r, q] -= gcol
        a[i * n, i * n] += gsrc
        b[i * n] = spec.voltages[i] * gsrc
    for j in range(n):
        q = m * n + j * m + m - 1
        a[q, q] += gsns
    return a, b


def child(args) -> None:
    spec = make_spec(args.n, args.r_wire)
    from scipy.sparse.linalg import spsolve                              # noqa: F401  (imports before "before")
    from circuitsim.crossbar.solver import solve_crossbar
    before = _current_rss_mb()
    out: Dict[str, object] = {}
    if args.child == "baseline":
        t0 = time.perf_counter()
        a, b = loop_built_matrix(spec)
        t1 = time.perf_counter()
        x = spsolve(a.tocsc(), b)
        t2 = time.perf_counter()
        m, n = spec.shape
        currents = x[m * n + np.arange(n) * m + m - 1] / spec.r_sense
        out.update(build_s=t1 - t0, solve_s=t2 - t1)
    else:
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            sol = solve_crossbar(spec, method=args.child, keep_voltages=False)
            times.append(time.perf_counter() - t0)
        currents = sol.column_currents
        out.update(solve_s=min(times), times=times, iterations=sol.iterations,
                   estimate_mb=sol.info["estimated_memory_bytes"] / 2 ** 20)
    np.save(args.out, currents)
    out.update(peak_mb=_rss_mb(), before_mb=before)
    print(json.dumps(out))


def run_child(kind: str, n: int, args, folder: Path, timeout: float = 3600) -> Optional[dict]:
    out = folder / f"{kind}_{n}.npy"
    command = [sys.executable, str(HERE), "--child", kind, "--n", str(n), "--out", str(out),
               "--repeats", str(args.repeats), "--r-wire", str(args.r_wire)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        print(f"  {kind} N={n} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["currents"] = np.load(out)
    return result


# --------------------------------------------------------------------------- driver


def rel(a, b) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def fmt(x, spec="{:.3g}") -> str:
    return "-" if x is None else spec.format(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="32,64,128,256,512,1024")
    parser.add_argument("--ngspice-max", type=int, default=256)
    parser.add_argument("--baseline-max", type=int, default=512, help="largest N for the lil + spsolve baseline")
    parser.add_argument("--direct-max", type=int, default=1024, help="largest N for method='direct'")
    parser.add_argument("--repeats", type=int, default=3, help="fast solves per method (best time reported)")
    parser.add_argument("--r-wire", type=float, default=1.0, help="r_row = r_col (ohm)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    from circuitsim.crossbar import crossbar_deck
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    engine = None
    if args.ngspice_max and min(sizes) <= args.ngspice_max:
        from circuitsim.spice import BatchEngine
        engine = BatchEngine()
        if not engine.klu:
            print("warning: this ngspice has no KLU; the ngspice column is the old solver", file=sys.stderr)
    print(f"passive N x N crossbar, cells U[1e-6, 1e-4] S, r_row = r_col = {args.r_wire:g} ohm, "
          f"r_source = r_sense = 1 mohm; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    rows: List[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-crossbar-") as tmp:
        folder = Path(tmp)
        for n in sizes:
            spec = make_spec(n, args.r_wire)
            t0 = time.perf_counter()
            deck = crossbar_deck(spec)
            row: dict = {"n": n, "gen_s": time.perf_counter() - t0}
            for kind in ("direct", "pcg"):
                if kind == "direct" and n > args.direct_max:
                    continue
                row[kind] = run_child(kind, n, args, folder)
            if n <= args.baseline_max:
                row["baseline"] = run_child("baseline", n, args, folder)
            if engine is not None and n <= args.ngspice_max:
                t0 = time.perf_counter()
                result = engine.run(deck)
                row["ngspice_s"] = time.perf_counter() - t0
                row["ngspice"] = deck.probes.column_currents(result)
            del deck
            rows.append(row)
            print(f"  N={n} done", file=sys.stderr, flush=True)

    def get(r, kind, key):
        item = r.get(kind)
        return None if not item else item.get(key)

    header = ("N", "gen s", "direct s", "dir MB", "pcg s", "it", "pcg MB", "lil build s", "spsolve s", "sp MB",
              "x spsolve", "ngspice s", "pcg~dir", "pcg~ngs", "dir~ngs", "fast~spsolve")
    table = []
    for r in rows:
        fast = [get(r, k, "solve_s") for k in ("direct", "pcg") if get(r, k, "solve_s") is not None]
        best = min(fast) if fast else None
        sp_s = get(r, "baseline", "solve_s")
        cur = {k: get(r, k, "currents") for k in ("direct", "pcg", "baseline")}
        cur["ngspice"] = r.get("ngspice")
        any_fast = cur["pcg"] if cur["pcg"] is not None else cur["direct"]

        def agree(a, b):
            return None if cur[a] is None or cur[b] is None else rel(cur[a], cur[b])

        def mb(kind):
            peak, before = get(r, kind, "peak_mb"), get(r, kind, "before_mb")
            return None if peak is None else peak - before

        table.append((
            str(r["n"]), fmt(r["gen_s"]), fmt(get(r, "direct", "solve_s")), fmt(mb("direct"), "{:.0f}"),
            fmt(get(r, "pcg", "solve_s")), fmt(get(r, "pcg", "iterations"), "{:d}"), fmt(mb("pcg"), "{:.0f}"),
            fmt(get(r, "baseline", "build_s")), fmt(sp_s), fmt(mb("baseline"), "{:.0f}"),
            fmt(None if sp_s is None or best is None else sp_s / best, "{:.1f}"), fmt(r.get("ngspice_s")),
            fmt(agree("pcg", "direct"), "{:.1e}"), fmt(agree("pcg", "ngspice"), "{:.1e}"),
            fmt(agree("direct", "ngspice"), "{:.1e}"),
            fmt(None if any_fast is None or cur["baseline"] is None else rel(any_fast, cur["baseline"]), "{:.1e}"),
        ))
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(header)]
    print(" | ".join(h.rjust(w) for h, w in zip(header, widths)))
    print("-|-".join("-" * w for w in widths))
    for t in table:
        print(" | ".join(c.rjust(w) for c, w in zip(t, widths)))
    print("MB = peak resident memory of the solve's own process minus its memory before the solve; "
          "times are wall seconds (fast methods: best of %d)" % args.repeats)
    # goals
    by_n = {r["n"]: r for r in rows}
    if 1024 in by_n and by_n[1024].get("pcg"):
        r = by_n[1024]["pcg"]
        print(f"goal 1024 x 1024 <= 3 s and <= 4 GB: pcg {r['solve_s']:.2f} s, peak {r['peak_mb'] / 1024:.2f} GB "
              f"(process) -> {'met' if r['solve_s'] <= 3 and r['peak_mb'] <= 4096 else 'NOT met'}")
    if 512 in by_n and by_n[512].get("baseline"):
        r = by_n[512]
        best = min(r[k]["solve_s"] for k in ("direct", "pcg") if r.get(k))
        ratio = r["baseline"]["solve_s"] / best
        print(f"goal >= 5x faster than spsolve at 512: {ratio:.1f}x -> {'met' if ratio >= 5 else 'NOT met'}")
    worst = [rel(a, b) for r in rows for a, b in
             [(get(r, "pcg", "currents"), r.get("ngspice")), (get(r, "direct", "currents"), r.get("ngspice")),
              (get(r, "pcg", "currents"), get(r, "direct", "currents"))] if a is not None and b is not None]
    if worst:
        print(f"goal agreement <= 1e-9: worst {max(worst):.1e} -> {'met' if max(worst) <= 1e-9 else 'NOT met'}")


if __name__ == "__main__":
    main()
