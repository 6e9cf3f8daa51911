"""Command-line interface: ``circuitsim doctor | simulate | demo | models | netlists``.

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

    models = sub.add_parser("models", help="the compact-model catalogue")
    models_sub = models.add_subparsers(dest="action", required=True)
    models_sub.add_parser("list", help="print the device names")
    show = models_sub.add_parser("show", help="describe one device")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    models_export = models_sub.add_parser("export", help="write one .lib and one .va per device into a folder")
    models_export.add_argument("folder", nargs="?", default="models")
    sheets = models_sub.add_parser("datasheets", help="write a Markdown datasheet with an I-V plot per device")
    sheets.add_argument("folder", nargs="?", default="docs/models")

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


def _models(args: argparse.Namespace) -> int:
    import json

    from circuitsim.models.catalogue import device_names
    from circuitsim.models.library import describe, export_library

    if args.action == "list":
        print("\n".join(device_names()))
    elif args.action == "export":
        for path in export_library(args.folder):
            print(path)
    elif args.action == "datasheets":
        from circuitsim.analysis.datasheets import write_datasheets

        for path in write_datasheets(args.folder):
            print(path)
    else:
        try:
            info = describe(args.name)
        except KeyError as exc:
            return _fail(exc.args[0])
        if args.json:
            print(json.dumps(info, indent=2))
        else:
            print(f"{info['name']}: {info['title']}\nports: {' '.join(info['ports'])}\nreference: {info['reference']}")
            for p in info["params"]:
                print(f"  {p['name']:>12} = {p['default']:<12g} {p['unit']:<10} {p['doc']}  [{p['source']}]")
            for s in info["states"]:
                print(f"  state {s['name']} in [{s['lower']}, {s['upper']}] {s['unit']}, initial value: "
                      f"{s['initial_param']}; {s['doc']}")
    return 0


def _fail(message: str) -> int:
    print(textwrap.fill(f"circuitsim: error: {message}", width=100), file=sys.stderr)
    return EXIT_USAGE_OR_SIM_ERROR


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of the ``circuitsim`` command."""
    args = _parser().parse_args(argv)
    handlers = {"doctor": _doctor, "simulate": _simulate, "demo": _demo, "netlists": _netlists, "models": _models}
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
