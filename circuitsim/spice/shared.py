"""The shared-library engine: libngspice (through PySpice) in a worker process.

The worker is started on first use and kept for later runs (loading the
library costs about a second; a run of a small deck a few milliseconds).  If
ngspice crashes, calls ``exit``, or hangs past the timeout, the worker is
replaced and the caller gets an exception; the Python process lives on.
The worker needs a POSIX system (it inherits its socket by file descriptor):
Linux (tested) and macOS; on Windows only the batch engine runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, List, Optional, Tuple

from circuitsim.spice.deck import Deck
from circuitsim.spice.engine import Engine, describe_progress, die_with_parent
from circuitsim.spice.errors import NgspiceNotFoundError, SimulationTimeoutError, SimulatorCrashError
from circuitsim.spice.messages import diagnose
from circuitsim.spice.result import AnalysisResult, Result, build_analysis
from circuitsim.spice.toolchain import ngspice_environment, require_library, require_ngspice

#: Extra seconds the parent waits past the timeout for the worker to halt ngspice and reply.
HALT_GRACE = 10.0
STARTUP_TIMEOUT = 120.0


class SharedEngine(Engine):
    """Run netlists in libngspice, hosted by one long-lived worker process.

    Parameters
    ----------
    library
        Path of the ngspice shared library (default: :func:`~circuitsim.spice.toolchain.find_library`).
    klu
        See :class:`~circuitsim.spice.engine.Engine`.
    """

    name = "shared"

    def __init__(self, library: Optional[str] = None, klu: Optional[bool] = None):
        super().__init__(klu)
        if os.name != "posix":
            raise NgspiceNotFoundError(
                "the shared engine hands its worker process a socket by file descriptor, which only POSIX systems "
                "(Linux, macOS) can do; on Windows use the batch engine (BatchEngine, --engine batch)")
        require_ngspice()
        self._library = library or require_library()
        self._process: Optional[Any] = None
        self._conn: Optional[Any] = None
        self.worker_starts = 0

    # -- worker management ---------------------------------------------------
    @property
    def worker_pid(self) -> Optional[int]:
        """PID of the current worker process (``None`` before the first run)."""
        return self._process.pid if self._alive() else None

    def _alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _start_worker(self) -> None:
        # A plain subprocess (not multiprocessing's spawn or fork): no need for an
        # ``if __name__ == "__main__"`` guard in user scripts, no forked threads.
        parent_socket, child_socket = socket.socketpair()
        env = ngspice_environment()
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = package_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        process = subprocess.Popen(
            [sys.executable, "-m", "circuitsim.spice.shared_worker", str(child_socket.fileno()), self._library],
            pass_fds=(child_socket.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=env, start_new_session=True, preexec_fn=die_with_parent)
        # (die_with_parent kills the worker with this process on Linux; elsewhere the worker watches its parent)
        child_socket.close()
        parent = Connection(parent_socket.detach())
        self._process, self._conn = process, parent
        self.worker_starts += 1
        if not parent.poll(STARTUP_TIMEOUT):
            self._discard_worker()
            raise NgspiceNotFoundError(f"libngspice at {self._library} did not start within {STARTUP_TIMEOUT:g} s")
        try:
            hello = parent.recv()
        except EOFError:
            code = process.wait(5)
            self._discard_worker()
            raise NgspiceNotFoundError(f"the worker died while loading libngspice ({_describe_exit(code)}). "
                                       f"{_install_hint()}") from None
        if "fatal" in hello:
            self._discard_worker()
            if hello.get("contract"):  # PySpice's internals changed: the message names what and the way out
                raise NgspiceNotFoundError(hello["fatal"])
            raise NgspiceNotFoundError(f"could not load libngspice from {self._library}: {hello['fatal']}. "
                                       f"{_install_hint()}")

    def _discard_worker(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            conn.close()
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.wait(5)

    def close(self) -> None:
        """Stop the worker process."""
        if self._conn is not None and self._alive():
            try:
                self._conn.send({"op": "stop"})
                self._process.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._discard_worker()

    def __del__(self) -> None:  # pragma: no cover - best effort at interpreter exit
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass

    def command(self, text: str) -> List[str]:
        """Send one interactive command to ngspice and return what it printed (e.g. ``"version"``)."""
        if not self._alive():
            self._discard_worker()
            self._start_worker()
        self._conn.send({"op": "command", "text": text})
        return self._conn.recv()["lines"]

    # -- running -------------------------------------------------------------
    def _execute(self, deck: Deck, timeout: Optional[float]) -> Tuple[List[AnalysisResult], List[str]]:
        if not self._alive():
            self._discard_worker()
            self._start_worker()
        request = {"op": "run", "lines": deck.lines, "has_control": deck.has_control,
                   "cwd": str(deck.base_dir) if deck.base_dir else None, "timeout": timeout}
        self._conn.send(request)
        hard_deadline = None if timeout is None else time.monotonic() + timeout + HALT_GRACE
        while True:
            if self._conn.poll(0.05):
                try:
                    reply = self._conn.recv()
                except EOFError:
                    reply = None
                break
            if not self._alive():
                reply = None
                break
            if hard_deadline is not None and time.monotonic() > hard_deadline:
                self._discard_worker()
                raise SimulationTimeoutError(
                    f"ngspice ran past the {timeout:g} s timeout and did not halt; its worker process was killed "
                    "(no partial data)", timeout=timeout)
        if reply is None:
            try:
                code = self._process.wait(5)
            except subprocess.TimeoutExpired:
                code = None
            self._discard_worker()
            raise SimulatorCrashError(f"ngspice crashed while running the deck ({_describe_exit(code)}); "
                                      "the worker process was replaced", exit_status=code)
        analyses = [build_analysis(plot, columns) for plot, columns in reply["analyses"]]
        lines = reply["lines"]
        if reply["exit"] is not None:
            self._discard_worker()
            status, by_quit = reply["exit"]
            if not (status == 0 and by_quit):
                error = diagnose(lines, deck)
                partial = Result(analyses, lines, self.name) if analyses else None
                if error is not None:
                    error.partial = error.partial or partial
                    raise error
                raise SimulatorCrashError(f"ngspice aborted with exit status {status}"
                                          + (" (quit/exit in the deck)" if by_quit else " (a fatal error)"),
                                          exit_status=status, log=lines, partial=partial)
        if reply["timed_out"]:
            partial = Result(analyses, lines, self.name) if analyses else None
            raise SimulationTimeoutError(f"ngspice ran past the {timeout:g} s timeout and was halted"
                                         + describe_progress(analyses),
                                         timeout=timeout, log=lines, partial=partial)
        return analyses, lines


def _install_hint() -> str:
    from circuitsim.spice.install import install_hint

    return install_hint()


def _describe_exit(code: Optional[int]) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"
