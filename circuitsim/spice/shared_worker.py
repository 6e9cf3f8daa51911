"""The worker process that hosts libngspice for :class:`~circuitsim.spice.shared.SharedEngine`.

libngspice is one global instance per process and some of its errors end the
process, so it lives here, behind a pipe.  The parent sends ``("run", ...)``
requests; the worker loads the deck, runs it (in ngspice's background thread
when there is a timeout, so it can ``bg_halt`` and keep the partial data),
reads every plot, then ``destroy all`` + ``remcirc`` so memory stays flat.

This module imports PySpice; nothing else in circuitsim does, and only in the
worker process.  The worker subclasses PySpice's ``NgSpiceShared`` and replaces
some of its *private* members (the ctypes callbacks ``_send_char``,
``_send_stat``, ``_exit``, ``_background_thread_running``; it calls
``_ngspice_shared`` and ``_convert_string_array``), so it depends on PySpice's
internals, not only its API: :func:`pyspice_contract_problems` checks them
when the worker starts, and ``pyproject.toml`` pins the tested series.
"""

from __future__ import annotations

import bisect
import inspect
import os
import re
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, List, Optional, Tuple

# ngspice's enum simulation_types -> type names used in raw files.
_VECTOR_TYPES = {1: "time", 2: "frequency", 3: "voltage", 4: "current", 14: "temperature", 16: "impedance",
                 17: "admittance", 18: "power", 21: "capacitance"}
_SCALE_TYPES = ("time", "frequency")
_COMMAND_HISTORY_LIMIT = 300

#: The PySpice series the worker was written and tested against (``pyproject.toml`` pins the same range).
PYSPICE_TESTED = ">=1.5,<1.6"

#: Static callbacks of ``NgSpiceShared`` the worker replaces, with their parameters (what libngspice passes).
_CALLBACKS = {
    "_send_char": ("message", "ngspice_id", "user_data"),
    "_send_stat": ("message", "ngspice_id", "user_data"),
    "_exit": ("exit_status", "immediate_unloading", "quit_exit", "ngspice_id", "user_data"),
    "_background_thread_running": ("is_running", "ngspice_id", "user_data"),
}
#: Declarations of PySpice's ``api.h`` (its cffi view of ``sharedspice.h``) the worker calls, blanks removed.
_DECLARATIONS = (
    "int ngSpice_Command (char *)",
    "int ngSpice_Circ (char **)",
    "char **ngSpice_AllPlots (void)",
    "char **ngSpice_AllVecs (char *)",
    "pvector_info ngGet_Vec_Info (char *)",
    "bool ngSpice_SetBkpt (double)",
)
#: Fields of ``struct vector_info`` the worker reads, with their C types.
_VECTOR_INFO = {"v_type": "int", "v_realdata": "double *", "v_compdata": "ngcomplex_t *", "v_length": "int"}
#: What PySpice's own code must still do for the replaced members to take effect: (method, text in its source).
_SOURCE_USES = (
    ("_init_ngspice", "self._send_char)"),
    ("_init_ngspice", "self._send_stat)"),
    ("_init_ngspice", "self._exit)"),
    ("_init_ngspice", "self._background_thread_running)"),
    ("_init_ngspice", "self._get_vsrc_data)"),
    ("_get_vsrc_data", "self.get_vsrc_data("),
    ("_load_library", "self._ngspice_shared = ffi.dlopen(self.library_path)"),
    ("library_path", "self.LIBRARY_PATH"),
)


def pyspice_contract_problems(module: Optional[ModuleType] = None, api_text: Optional[str] = None) -> List[str]:
    """What the worker needs from PySpice's internals and does not find; empty when all is there.

    The worker replaces private callbacks of ``PySpice.Spice.NgSpice.Shared.NgSpiceShared`` and calls its
    private library handle, so a PySpice release that renames or re-signs them would break the shared engine
    in ways no public API change announces (a callback never called: no messages, no exit detection).  This
    check names each such change.

    Parameters
    ----------
    module
        The module to check; default PySpice's ``PySpice.Spice.NgSpice.Shared`` (imported, the library not
        loaded).
    api_text
        The text of its ``api.h`` (the cffi declarations); default the file next to the module.

    Returns
    -------
    list of str
        One sentence per missing or changed member, e.g. ``"NgSpiceShared._exit takes (exit_status,
        immediate, ngspice_id, user_data), not the 5 parameters (exit_status, immediate_unloading,
        quit_exit, ngspice_id, user_data) libngspice passes"``.
    """
    if module is None:
        import PySpice.Spice.NgSpice.Shared as module  # noqa: N813 - PySpice's module name
    problems: List[str] = []
    cls = getattr(module, "NgSpiceShared", None)
    ffi = getattr(module, "ffi", None)
    if cls is None or ffi is None:
        return [f"{module.__name__} has no {'NgSpiceShared class' if cls is None else 'module-level cffi ffi'}"]
    for name, wanted in _CALLBACKS.items():
        member = inspect.getattr_static(cls, name, None)
        if not isinstance(member, staticmethod):
            problems.append(f"NgSpiceShared.{name} is {'missing' if member is None else 'no longer a staticmethod'}")
            continue
        params = tuple(inspect.signature(member.__func__).parameters)
        if len(params) != len(wanted):
            problems.append(f"NgSpiceShared.{name} takes ({', '.join(params)}), not the {len(wanted)} parameters "
                            f"({', '.join(wanted)}) libngspice passes")
    _check_signature(cls, "get_vsrc_data", 5, problems)
    _check_signature(cls, "__init__", None, problems, keywords=("ngspice_id", "send_data", "verbose"))
    converter = inspect.getattr_static(cls, "_convert_string_array", None)
    if not isinstance(converter, staticmethod) or len(inspect.signature(converter.__func__).parameters) != 1:
        problems.append("NgSpiceShared._convert_string_array(array) is missing or changed")
    if not hasattr(cls, "LIBRARY_PATH"):
        problems.append("NgSpiceShared.LIBRARY_PATH (the library the class loads) is missing")
    for method, text in _SOURCE_USES:
        member = inspect.getattr_static(cls, method, None)
        function = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
        if function is None:
            problems.append(f"NgSpiceShared.{method} is missing")
            continue
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError):
            continue  # installed without sources: the signatures above are all that can be checked
        if text not in source:
            problems.append(f"NgSpiceShared.{method} no longer does {text!r}: the worker's replacement would not "
                            "be used")
    if api_text is None:
        api = Path(getattr(module, "__file__", "") or ".").parent / "api.h"
        api_text = api.read_text(errors="replace") if api.is_file() else ""
    problems += _api_problems(api_text)
    return problems


def _check_signature(cls: type, name: str, count: Optional[int], problems: List[str],
                     keywords: Tuple[str, ...] = ()) -> None:
    member = getattr(cls, name, None)
    if member is None:
        problems.append(f"NgSpiceShared.{name} is missing")
        return
    params = inspect.signature(member).parameters
    if count is not None and len(params) != count:
        problems.append(f"NgSpiceShared.{name} takes ({', '.join(params)}), not {count} parameters")
    missing = [k for k in keywords if k not in params]
    if missing:
        problems.append(f"NgSpiceShared.{name} no longer takes {', '.join(missing)}")


def _api_problems(api_text: str) -> List[str]:
    """Declarations and ``vector_info`` fields of PySpice's ``api.h`` that are missing or changed."""
    if not api_text.strip():
        return ["PySpice's api.h (its declarations of libngspice's functions) was not found"]
    flat = re.sub(r"\s+", "", re.sub(r"/\*.*?\*/|//[^\n]*", "", api_text, flags=re.S))
    problems = [f"api.h no longer declares '{d};'" for d in _DECLARATIONS if d.replace(" ", "") + ";" not in flat]
    try:
        from cffi import FFI

        declared = FFI()
        declared.cdef(api_text)
        fields = dict(declared.typeof("struct vector_info").fields)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a changed header
        return problems + [f"api.h's struct vector_info cannot be read ({type(exc).__name__}: {exc})"]
    for name, ctype in _VECTOR_INFO.items():
        if name not in fields:
            problems.append(f"api.h's struct vector_info has no field {name}")
        elif fields[name].type.cname != ctype:
            problems.append(f"api.h's vector_info.{name} is {fields[name].type.cname}, not {ctype}")
    return problems


def _contract_message(problems: List[str]) -> str:
    try:
        from importlib.metadata import version

        installed = version("PySpice")
    except Exception:  # noqa: BLE001 - metadata missing: name no version
        installed = "?"
    return (f"PySpice {installed} changed what circuitsim's shared engine relies on (tested: PySpice"
            f"{PYSPICE_TESTED}): {'; '.join(problems)}. Install a tested PySpice (pip install "
            f"'PySpice{PYSPICE_TESTED}'), or run with the batch engine (--engine batch, BatchEngine), which does "
            "not use PySpice")


def _make_ngspice(library_path: str) -> Any:
    os.environ["NGSPICE_LIBRARY_PATH"] = library_path
    import logging

    logging.getLogger("PySpice").setLevel(logging.CRITICAL)
    from PySpice.Spice.NgSpice.Shared import NgSpiceShared, ffi

    class CommandLayer(NgSpiceShared):
        """NgSpiceShared with our message handling: collect every line, raise on none.

        Errors are classified by :mod:`circuitsim.spice.messages` in the parent,
        not by PySpice (which treats every stderr line as an error).
        """

        LIBRARY_PATH = library_path

        def __init__(self) -> None:
            self.lines: List[str] = []
            self.bg_events: List[bool] = []
            self.exit_request: Optional[Tuple[int, bool]] = None
            self.commands = 0
            # lock-step: external source name -> (corner times, values), times relative to t_offset
            self.tables: Dict[str, Tuple[List[float], List[float]]] = {}
            self.t_offset = 0.0
            super().__init__(ngspice_id=0, send_data=False, verbose=False)

        def get_vsrc_data(self, voltage: Any, time: float, node: str, ngspice_id: int) -> int:
            table = self.tables.get(node.lower())
            voltage[0] = 0.0 if table is None else _interpolate(table, time - self.t_offset)
            return 0

        @staticmethod
        def _send_char(message_c: Any, ngspice_id: int, user_data: Any) -> int:
            self = ffi.from_handle(user_data)
            message = ffi.string(message_c).decode("utf-8", errors="replace")
            _, _, content = message.partition(" ")
            self.lines.append(content.rstrip("\r"))
            return 0

        @staticmethod
        def _background_thread_running(is_running: bool, ngspice_id: int, user_data: Any) -> int:
            self = ffi.from_handle(user_data)
            self.bg_events.append(bool(is_running))
            return 0

        @staticmethod
        def _send_stat(message_c: Any, ngspice_id: int, user_data: Any) -> int:
            return 0  # progress percentages: called at every time point, ignored

        @staticmethod
        def _exit(exit_status: int, immediate: bool, quit_exit: bool, ngspice_id: int, user_data: Any) -> int:
            self = ffi.from_handle(user_data)
            self.exit_request = (int(exit_status), bool(quit_exit))
            return int(exit_status)

        def command(self, text: str) -> int:
            self.commands += 1
            if self.commands > _COMMAND_HISTORY_LIMIT:
                self._ngspice_shared.ngSpice_Command(ffi.NULL)  # free ngspice's command history
                self.commands = 0
            return int(self._ngspice_shared.ngSpice_Command(text.encode("ascii", errors="replace")))

        def load(self, lines: List[str]) -> int:
            keep = [ffi.new("char[]", line.encode("utf-8")) for line in lines] + [ffi.NULL]
            return int(self._ngspice_shared.ngSpice_Circ(ffi.new("char *[]", keep)))

        def plots(self) -> List[str]:
            names = self._convert_string_array(self._ngspice_shared.ngSpice_AllPlots())
            return [n for n in reversed(names) if n != "const"]

        def read_plot(self, plot: str) -> List[Tuple[str, str, Any]]:
            import numpy as np

            names_c = self._ngspice_shared.ngSpice_AllVecs(plot.encode())
            columns = []
            k = 0
            while names_c[k] != ffi.NULL:
                name = ffi.string(names_c[k]).decode()
                k += 1
                info = self._ngspice_shared.ngGet_Vec_Info(f"{plot}.{name}".encode())
                if info == ffi.NULL:
                    continue
                length = int(info.v_length)
                vtype = _VECTOR_TYPES.get(int(info.v_type), "notype")
                if info.v_compdata != ffi.NULL:
                    flat = np.frombuffer(ffi.buffer(info.v_compdata, length * 16), dtype=np.float64)
                    data = flat[0::2] + 1j * flat[1::2]
                elif info.v_realdata != ffi.NULL:
                    data = np.frombuffer(ffi.buffer(info.v_realdata, length * 8), dtype=np.float64).copy()
                else:
                    data = np.zeros(0)
                columns.append((name, vtype, data))
            # Raw files list the scale first, then the rest in the order ngspice created them.
            columns.reverse()
            columns.sort(key=lambda c: (c[1] not in _SCALE_TYPES and not c[0].endswith("-sweep")))
            return columns

    return CommandLayer()


def _interpolate(table: Tuple[List[float], List[float]], t: float) -> float:
    times, values = table
    k = bisect.bisect_right(times, t)
    if k == 0 or k == len(times):
        return values[0] if k == 0 else values[-1]
    t0, t1 = times[k - 1], times[k]
    return values[k - 1] + (values[k] - values[k - 1]) * (t - t0) / (t1 - t0)


def _wait_background(ng: Any, timeout: Optional[float]) -> bool:
    """Wait for ngspice's background thread to start and end; ``True`` if it had to be halted."""
    deadline = None if timeout is None else time.monotonic() + timeout
    pause = 0.0002
    while len(ng.bg_events) < 2:
        if deadline is not None and time.monotonic() > deadline:
            ng.command("bg_halt")
            stop_by = time.monotonic() + 5.0
            while len(ng.bg_events) < 2 and time.monotonic() < stop_by:
                time.sleep(0.005)
            return True
        time.sleep(pause)
        pause = min(pause * 1.5, 0.005)
    return False


def _read_tail(ng: Any, names: List[str], start: int) -> Dict[str, Any]:
    """Samples ``start:`` of the current plot's real vectors ``names`` (and ``time``)."""
    import numpy as np

    out: Dict[str, Any] = {}
    for name in ["time", *names]:
        info = ng._ngspice_shared.ngGet_Vec_Info(name.encode())
        if info == ffi_module().NULL or info.v_realdata == ffi_module().NULL:
            out[name] = None
            continue
        length = int(info.v_length)
        count = max(length - start, 0)
        out[name] = np.frombuffer(ffi_module().buffer(info.v_realdata + start, count * 8), dtype=np.float64).copy()
    return out


def ffi_module() -> Any:
    from PySpice.Spice.NgSpice.Shared import ffi

    return ffi


def _lockstep(ng: Any, request: Dict[str, Any]) -> Dict[str, Any]:
    """One lock-step operation: ``start`` (load the deck), ``step`` (run to ``t_end``), ``end``."""
    ng.lines = []
    action = request["action"]
    if action == "start":
        ng.exit_request = None
        ng.tables = {}
        ng.t_offset = 0.0
        if request.get("cwd"):
            os.chdir(request["cwd"])
        loaded = ng.load(request["lines"])
        return {"ok": loaded == 0 and ng.exit_request is None, "lines": list(ng.lines), "exit": ng.exit_request}
    if action == "step":
        ng.tables = {k.lower(): (list(t), list(v)) for k, (t, v) in request["tables"].items()}
        ng.t_offset = float(request["t_offset"])
        if not request["first"]:
            ng.command("delete all")
        for t in request["breakpoints"]:
            ng._ngspice_shared.ngSpice_SetBkpt(float(t))
        ng.command(f"stop when time >= {request['t_end']!r}")
        ng.bg_events = []
        ng.command("bg_run" if request["first"] else "bg_resume")
        timed_out = _wait_background(ng, request.get("timeout"))
        data = _read_tail(ng, request["vectors"], int(request["start"])) if ng.exit_request is None else {}
        return {"data": data, "lines": [line for line in ng.lines if line.strip()], "timed_out": timed_out,
                "exit": ng.exit_request}
    # end
    if ng.exit_request is None:
        ng.command("destroy all")
        ng.command("remcirc")
    ng.tables = {}
    return {"lines": list(ng.lines), "exit": ng.exit_request}


def _run(ng: Any, request: Dict[str, Any]) -> Dict[str, Any]:
    ng.lines = []
    ng.exit_request = None
    if request.get("cwd"):
        os.chdir(request["cwd"])
    timed_out = False
    loaded = ng.load(request["lines"])
    if ng.exit_request is None and not request["has_control"] and loaded == 0:
        timeout = request.get("timeout")
        if timeout is None:
            ng.command("run")
        else:
            # ngspice reports the background thread's start and its end through the BGThreadRunning
            # callback (two events); ngSpice_running() is still False for a while after bg_run
            # returns, so it cannot tell "not started yet" from "finished".
            ng.bg_events = []
            ng.command("bg_run")
            deadline = time.monotonic() + timeout
            pause = 0.0005
            while len(ng.bg_events) < 2:
                if time.monotonic() > deadline:
                    timed_out = True
                    ng.command("bg_halt")
                    stop_by = time.monotonic() + 5.0
                    while len(ng.bg_events) < 2 and time.monotonic() < stop_by:
                        time.sleep(0.005)
                    break
                time.sleep(pause)
                pause = min(pause * 1.5, 0.01)
    analyses = []
    if ng.exit_request is None or ng.exit_request == (0, True):
        analyses = [(plot, ng.read_plot(plot)) for plot in ng.plots()]
    lines = [line for line in ng.lines if line.strip()]
    if ng.exit_request is None:
        ng.command("destroy all")
        ng.command("remcirc")
    return {"analyses": analyses, "lines": lines, "timed_out": timed_out, "exit": ng.exit_request}


#: seconds between two looks at the parent process where the kernel cannot signal its death
PARENT_POLL = 1.0


def watch_parent(parent_pid: int, platform: Optional[str] = None, interval: float = PARENT_POLL) -> bool:
    """End this worker when its parent dies, where the kernel does not do it; ``True`` if a watcher started.

    On Linux the parent starts the worker with ``PR_SET_PDEATHSIG``
    (:func:`~circuitsim.spice.engine.die_with_parent`), so the kernel kills it with its parent even in the
    middle of a long run.  Elsewhere (macOS, the BSDs) a daemon thread looks every ``interval`` s whether
    the parent is still the one that started it (an orphan is re-parented, so ``getppid`` changes) and ends
    the process if not.  An idle worker ends anyway when its socket closes.

    Parameters
    ----------
    parent_pid
        The process id of the parent that started this worker.
    platform
        A ``sys.platform`` value; default this machine's.
    interval
        Seconds between two looks.
    """
    import sys
    import threading

    if (platform or sys.platform).startswith("linux"):
        return False

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="circuitsim-parent-watch", daemon=True).start()
    return True


def worker_main(conn: Any, library_path: str) -> None:
    """Entry point of the worker process: serve requests until told to stop."""
    try:
        problems = pyspice_contract_problems()
    except Exception as exc:  # noqa: BLE001 - PySpice missing or broken: reported like a failed start
        conn.send({"fatal": f"PySpice cannot be imported ({type(exc).__name__}: {exc})"})
        return
    if problems:
        conn.send({"fatal": _contract_message(problems), "contract": True})
        return
    try:
        ng = _make_ngspice(library_path)
    except Exception as exc:  # noqa: BLE001 - every failure to start is reported the same way
        conn.send({"fatal": f"{type(exc).__name__}: {exc}"})
        return
    ng.lines = []
    # Debian's spinit asks for 8 OpenMP threads; on small circuits and few cores they only contend.
    from circuitsim.spice.toolchain import ngspice_threads

    ng.command(f"set num_threads={ngspice_threads()}")
    ng.lines = []
    watch_parent(os.getppid())
    conn.send({"ready": True, "pid": os.getpid()})
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request.get("op") == "stop":
            return
        if request.get("op") == "lockstep":
            reply = _lockstep(ng, request)
            conn.send(reply)
            if reply["exit"] is not None and reply["exit"] != (0, True):
                conn.close()
                os._exit(0)
            continue
        if request.get("op") == "command":
            ng.lines = []
            ng.command(request["text"])
            conn.send({"lines": list(ng.lines)})
            continue
        reply = _run(ng, request)
        conn.send(reply)
        if reply["exit"] is not None:
            # ngspice has asked to be unloaded; this process cannot host it any more.
            conn.close()
            os._exit(0)


if __name__ == "__main__":
    import sys
    from multiprocessing.connection import Connection

    worker_main(Connection(int(sys.argv[1])), sys.argv[2])
