"""circuitsim.interop.badcrossbar.compute against badcrossbar.compute, same problem, same run.

    .venv/bin/python benchmarks/bench_badcrossbar.py [--size 256] [--examples 1] [--repeats 3] [--r-i 0.5]

Prints each one's median wall time (all currents and node voltages, as badcrossbar's defaults
return them), their ratio and the largest difference between the two results relative to each
array's largest magnitude.  badcrossbar is installed by scripts/setup.sh (without pycairo).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
import warnings

import numpy as np

from circuitsim.interop import badcrossbar as ours


def timed(function, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="m = n (default 256)")
    parser.add_argument("--examples", type=int, default=1, help="p, input vectors solved together (default 1)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--r-i", type=float, default=0.5, help="interconnect segment resistance, ohm")
    args = parser.parse_args()

    with warnings.catch_warnings():
        warnings.showwarning = lambda *a, **k: None   # its plotting half warns that pycairo is missing
        try:
            import badcrossbar
        except ImportError:
            badcrossbar = None
    logging.getLogger().setLevel(logging.WARNING)     # badcrossbar logs every step at INFO

    rng = np.random.default_rng(0)
    n = args.size
    resistances = rng.uniform(1e4, 1e5, (n, n))
    voltages = rng.uniform(0.0, 0.3, (n, args.examples))
    print(f"{n} x {n} crossbar, {args.examples} example(s), r_i = {args.r_i} ohm, "
          f"R in [10, 100] kohm, median of {args.repeats}")

    t_ours, mine = timed(lambda: ours.compute(voltages, resistances, r_i=args.r_i), args.repeats)
    print(f"circuitsim.interop.badcrossbar.compute: {t_ours:.4f} s")
    if badcrossbar is None:
        print("badcrossbar: not installed (scripts/setup.sh installs it); no comparison")
        return
    t_theirs, theirs = timed(lambda: badcrossbar.compute(voltages, resistances, r_i=args.r_i), args.repeats)
    print(f"badcrossbar {getattr(badcrossbar, '__version__', '1.1.0')} compute:           {t_theirs:.4f} s")
    print(f"ratio (badcrossbar / circuitsim): {t_theirs / t_ours:.1f}x")
    worst = 0.0
    for part in ("currents", "voltages"):
        for field in getattr(theirs, part)._fields:
            a, b = getattr(getattr(mine, part), field), getattr(getattr(theirs, part), field)
            worst = max(worst, float(np.max(np.abs(a - b)) / np.max(np.abs(b))))
    print(f"largest relative difference over every array: {worst:.2e}")


if __name__ == "__main__":
    main()
