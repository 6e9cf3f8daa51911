"""Command-line interface: ``circuitsim doctor | simulate | demo | netlists``.

Every error a user can cause ends in exit status 2 and a one-paragraph
message on stderr, never a traceback (``CIRCUITSIM_DEBUG=1`` shows it).
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from pathlib import Path
from typing import List, Optional

EXIT_USAGE_OR_SIM_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="circuitsim", description="ngspice co-simulation for neuromorphic hardware")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("doctor", help="check ngspice (version, KLU, OSDI, shared library, openvaf-r)")

    simulate = sub.add_parser("simulate", help="run a netlist file and save every vector to .npz")
    simulate.add_argument("netlist", help="netlist file with its own analysis lines")
    simulate.add_argument("--engine", choices=("shared", "batch"), default="batch",
                          help="batch: ngspice -b subprocess (default, fastest to start); "
                               "shared: libngspice in a worker process")
    simulate.add_argument("--out", help="output .npz (default: NETLIST with .npz suffix)")
    simulate.add_argument("--timeout", type=float, help="stop the run after this many seconds")

    demo = sub.add_parser("demo", help="the main job: simulate the neuron-synapse demo, write a plot and a summary")
    demo.add_argument("--out", default="results/demo", help="output folder (default: results/demo)")
    demo.add_argument("--engine", choices=("shared", "batch"), default="shared")

    netlists = sub.add_parser("netlists", help="reference netlists in netlists/")
    netlists_sub = netlists.add_subparsers(dest="action", required=True)
    export = netlists_sub.add_parser("export", help="write the reference netlists into a folder")
    export.add_argument("folder", nargs="?", default="netlists")
    return parser


def _simulate(args: argparse.Namespace) -> int:
    from circuitsim.spice import get_engine

    out = Path(args.out) if args.out else Path(args.netlist).with_suffix(".npz")
    with get_engine(args.engine) as engine:
        result = engine.run_file(args.netlist, timeout=args.timeout)
    import numpy as np  # after the run: the batch engine loads it while ngspice works

    vectors = result.flat_vectors()
    np.savez(out, **vectors)
    print(f"{len(vectors)} vectors from {', '.join(a.plot_name for a in result.analyses)} -> {out}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from circuitsim.demo import run_demo

    summary = run_demo(args.out, engine=args.engine)
    print(f"membrane peak {summary['membrane_peak_V']:.6f} V (closed form {summary['membrane_peak_closed_form_V']:.6f} V), "
          f"max error {summary['max_abs_error_vs_closed_form_V']:.2e} V over {summary['points']} points, "
          f"ngspice {summary['ngspice_version']}, run {summary['run_time_s']:.3f} s")
    print(f"wrote {Path(args.out) / 'summary.json'} and {Path(args.out) / 'membrane.png'}")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from circuitsim.doctor import diagnose_toolchain

    ok, lines = diagnose_toolchain()
    print("\n".join(lines))
    return 0 if ok else 1


def _netlists(args: argparse.Namespace) -> int:
    from circuitsim.netlists.reference import export_reference_netlists

    for path in export_reference_netlists(args.folder):
        print(path)
    return 0


def _fail(message: str) -> int:
    print(textwrap.fill(f"circuitsim: error: {message}", width=100), file=sys.stderr)
    return EXIT_USAGE_OR_SIM_ERROR


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of the ``circuitsim`` command."""
    args = _parser().parse_args(argv)
    handlers = {"doctor": _doctor, "simulate": _simulate, "demo": _demo, "netlists": _netlists}
    from circuitsim.spice.errors import SpiceError

    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("circuitsim: interrupted", file=sys.stderr)
        return 130
    except SpiceError as exc:
        if os.environ.get("CIRCUITSIM_DEBUG"):
            raise
        return _fail(f"{type(exc).__name__}: {exc}")
    except (ValueError, OSError) as exc:
        if os.environ.get("CIRCUITSIM_DEBUG"):
            raise
        return _fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - the CLI promises no traceback
        if os.environ.get("CIRCUITSIM_DEBUG"):
            raise
        return _fail(f"internal error ({type(exc).__name__}: {exc}); run with CIRCUITSIM_DEBUG=1 for the traceback "
                     "and please report it")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
