"""``circuitsim sweep SPEC.toml``: the argparse part (registered by :mod:`circuitsim.cli`).

Kept free of heavy imports: building the parser must not load Dask.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(subparsers: "argparse._SubParsersAction") -> argparse.ArgumentParser:
    """Add the ``sweep`` subcommand to the ``circuitsim`` parser."""
    p = subparsers.add_parser(
        "sweep", help="parameter sweep / Monte Carlo from a TOML spec, on Dask (see docs/sweep.md)",
        description="Run every point of a sweep spec as one task on Dask distributed, write each finished point "
                    "as it arrives, then gather them into OUT/results.nc (xarray, netCDF) and OUT/plots/.")
    p.add_argument("spec", metavar="SPEC.toml", help="the sweep spec (see sweeps/irdrop_size_wire.toml)")
    p.add_argument("--scheduler", default="local", metavar="ADDRESS|local|serial",
                   help="'local' (default): a LocalCluster of single-threaded worker processes on this machine; "
                        "tcp://HOST:PORT: a running `dask scheduler`; 'serial': this process, no Dask")
    p.add_argument("--workers", type=int, metavar="N",
                   help="local worker processes (default: one per core; at most what the machine holds: 2 per "
                        "core, ~300 MB of memory each, the open-file limit); ignored with an address")
    p.add_argument("--out", metavar="DIR", help="output folder (default: results/sweeps/SPEC-NAME)")
    p.add_argument("--resume", action="store_true",
                   help="keep the points already in DIR and compute only the missing (and failed) ones")
    p.add_argument("--retries", type=int, default=2, metavar="N",
                   help="extra attempts of a point that raised (default 2); points whose worker died are "
                        "rescheduled by Dask anyway")
    p.add_argument("--check", action="store_true",
                   help="validate the spec, print a summary (dimensions, points, memory, disk, time), run nothing")
    p.add_argument("--allow-shell", action="store_true",
                   help="trust the spec's netlist template: let its .control block run programs, load libraries "
                        "and write outside the run folder (refused otherwise: a template is code)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _require_dask() -> None:
    """Raise ``ModuleNotFoundError`` (named, so the CLI says which extra installs it) when Dask is absent."""
    import importlib

    for module in ("dask", "distributed"):
        try:
            importlib.import_module(module)
        except ImportError:
            raise ModuleNotFoundError(f"No module named {module!r}", name=module) from None


def run(args: argparse.Namespace) -> int:
    """Run the ``sweep`` subcommand; errors a user can cause raise ``ValueError``/``OSError`` (exit 2)."""
    from circuitsim.sweep.budget import WARN_SECONDS, check_budget, estimate, worker_cap, writable_folder
    from circuitsim.sweep.execute import default_workers
    from circuitsim.sweep.spec import load_spec

    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {args.workers}")
    if args.retries < 0:
        raise ValueError(f"--retries must be >= 0, got {args.retries}")
    spec = load_spec(args.spec, allow_shell=args.allow_shell)
    if args.scheduler not in (None, "local", "serial"):
        from circuitsim.sweep.execute import make_executor, probe_scheduler

        make_executor(args.scheduler)                   # the address's form, then whether a scheduler answers:
        if not args.check:                              # before any file is written
            probe_scheduler(args.scheduler)
    workers = args.workers
    local = args.scheduler in (None, "local")
    if local and workers is not None:
        cap, why = worker_cap()
        if workers > cap:
            print(f"circuitsim: --workers {workers} capped at {cap}: this machine holds no more ({why})",
                  file=sys.stderr)
            workers = cap
    planned = 1 if args.scheduler == "serial" else (workers or default_workers())
    dims = " x ".join(f"{d} ({n})" for d, n in zip(spec.dims, spec.shape))
    if args.check:
        print(f"{args.spec}: kind {spec.kind}, {spec.size:,} points: {dims}")
        print(f"estimate: {estimate(spec, planned).describe()}")
        return 0
    out = Path(args.out) if args.out else Path("results") / "sweeps" / Path(args.spec).stem
    if args.scheduler != "serial":
        _require_dask()                                 # before any file is written
    writable_folder(out)
    est = check_budget(spec, out, planned)
    if est.seconds > WARN_SECONDS:
        print(f"circuitsim: a long sweep: {est.describe()}", file=sys.stderr)
    from circuitsim.sweep.runner import run_sweep

    result = run_sweep(spec, out, scheduler=args.scheduler, workers=workers, resume=args.resume,
                       retries=args.retries, progress=not args.no_progress)
    where = f" on {result.executor}" if result.executor else ""
    print(f"sweep {spec.kind}: {result.total} points ({dims}){where}: computed {result.computed}, "
          f"already done {result.skipped}, failed {len(result.failed)}, {result.seconds:.1f} s")
    written = [result.dataset_path, *result.plot_paths]
    print("wrote " + ", ".join(str(p) for p in written if p is not None) + f" (points in {out / 'points'})")
    if result.failed:
        first = min(result.failed)
        print(f"circuitsim: {len(result.failed)} point(s) failed, e.g. point {first}: {result.failed[first]}; "
              f"they are NaN in the dataset; rerun with --resume to retry only them", file=sys.stderr)
        return 1
    return 0
