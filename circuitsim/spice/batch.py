"""The batch engine: ``ngspice -b -r FILE`` in a subprocess, results from the raw file."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import List, Optional, Tuple

from circuitsim.spice.deck import Deck
from circuitsim.spice.engine import Engine, describe_progress, die_with_parent
from circuitsim.spice.errors import SimulationTimeoutError, SimulatorCrashError
from circuitsim.spice.messages import diagnose
from circuitsim.spice.rawfile import RawFileError, read_raw_results
from circuitsim.spice.result import AnalysisResult, Result
from circuitsim.spice.toolchain import ngspice_environment, require_ngspice


class BatchEngine(Engine):
    """Run each netlist in a fresh ``ngspice -b`` process.

    Starts in about 10 ms and needs no shared library; a crash or a hang
    cannot touch the Python process.  On Linux ngspice is killed if the Python
    process dies (``PR_SET_PDEATHSIG``); elsewhere it runs on to its end or
    its timeout.  Partial waveforms survive a timeout or
    a convergence failure because ngspice writes the raw file as it goes.

    Parameters
    ----------
    executable
        ngspice program (default: found on ``PATH``, or ``$CIRCUITSIM_NGSPICE``).
    klu
        See :class:`~circuitsim.spice.engine.Engine`.
    keep_dir
        Keep the deck, log and raw file in this directory instead of a temporary one.
    """

    name = "batch"

    def __init__(self, executable: Optional[str] = None, klu: Optional[bool] = None,
                 keep_dir: Optional[str] = None):
        super().__init__(klu)
        self._executable = require_ngspice(executable).executable
        self._keep_dir = keep_dir

    def _execute(self, deck: Deck, timeout: Optional[float]) -> Tuple[List[AnalysisResult], List[str]]:
        if self._keep_dir is not None:
            os.makedirs(self._keep_dir, exist_ok=True)
            return self._execute_in(Path(self._keep_dir), deck, timeout)
        with tempfile.TemporaryDirectory(prefix="circuitsim-") as tmp:
            return self._execute_in(Path(tmp), deck, timeout)

    def _execute_in(self, folder: Path, deck: Deck, timeout: Optional[float]
                    ) -> Tuple[List[AnalysisResult], List[str]]:
        cir, raw, log = folder / "deck.cir", folder / "out.raw", folder / "out.log"
        for stale in (raw, log):
            if stale.exists():
                stale.unlink()
        lines = deck.with_raw_write(str(raw)) if deck.has_control else deck.lines
        cir.write_text("\n".join(lines) + "\n")
        # A control block writes the raw file itself; with `-r` on the same path ngspice leaves no file.
        raw_option = [] if deck.has_control else ["-r", str(raw)]
        command = [self._executable, "-b", *raw_option, "-o", str(log), str(cir)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, cwd=str(deck.base_dir or folder),
                                   env=ngspice_environment(self._executable),
                                   start_new_session=True,
                                   preexec_fn=die_with_parent if os.name == "posix" else None)
        # Load numpy (for the raw-file reader) while ngspice runs: waiting on the process releases the GIL.
        threading.Thread(target=importlib.import_module, args=("numpy",), daemon=True).start()
        timed_out = False
        try:
            console, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            if hasattr(os, "killpg"):
                os.killpg(process.pid, signal.SIGKILL)   # its own session: ngspice and anything it started
            else:  # Windows: no process groups of that kind; ngspice -b starts no children
                process.kill()
            console, _ = process.communicate()
        output = log.read_text(errors="replace").splitlines() if log.exists() else []
        output += console.decode(errors="replace").splitlines()
        output = [line for line in output if line.strip()]
        try:
            analyses = read_raw_results(raw) if raw.exists() else []
        except RawFileError:
            analyses = []
        if timed_out:
            partial = Result(analyses, output, self.name)
            raise SimulationTimeoutError(
                f"ngspice -b ran past the {timeout:g} s timeout and was stopped"
                + describe_progress(analyses), timeout=timeout, log=output,
                partial=partial if analyses else None)
        if process.returncode < 0:
            error = diagnose(output, deck)
            name = signal.Signals(-process.returncode).name
            message = f"ngspice crashed ({name})"
            if error is not None:
                message += f" after: {error.message}"
            raise SimulatorCrashError(message, exit_status=process.returncode, log=output,
                                      partial=Result(analyses, output, self.name) if analyses else None)
        if process.returncode not in (0, 1) and diagnose(output, deck) is None:
            # 0 and 1 are both normal ends of a batch run (1 after a .tran that
            # writes nothing); any other status is an explicit quit/exit.
            raise SimulatorCrashError(f"ngspice exited with status {process.returncode} (quit/exit in the "
                                      "deck, or an internal abort)", exit_status=process.returncode, log=output,
                                      partial=Result(analyses, output, self.name) if analyses else None)
        return analyses, output

