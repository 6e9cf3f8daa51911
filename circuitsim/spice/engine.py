"""The engine interface shared by the batch and shared-library engines."""

from __future__ import annotations

import math
import signal
import sys
import time
from pathlib import Path
from typing import Any, List, Optional, Sequence, Union

from circuitsim.spice.deck import Deck, prepare_deck, read_netlist_file
from circuitsim.spice.errors import SimulationError, SpiceError
from circuitsim.spice.messages import diagnose
from circuitsim.spice.result import AnalysisResult, Result
from circuitsim.spice.toolchain import require_ngspice


class Engine:
    """Runs netlists in ngspice and returns :class:`~circuitsim.spice.result.Result` objects.

    Subclasses implement :meth:`_execute`; everything else (deck preparation,
    ``.options klu``, error diagnosis) is shared so both engines behave alike.

    Parameters
    ----------
    klu
        Add ``.options klu`` to decks: ``None`` (default) when the installed
        ngspice has KLU, or force ``True`` / ``False``.
    """

    name = "engine"

    def __init__(self, klu: Optional[bool] = None):
        self._klu = klu

    @property
    def klu(self) -> bool:
        if self._klu is None:
            self._klu = require_ngspice().klu
        return self._klu

    def run(self, netlist: Any, analysis: Any = None, *, timeout: Optional[float] = None,
            base_dir: Optional[Union[str, Path]] = None, allow_shell: bool = True,
            check_finite: bool = True) -> Result:
        """Simulate a netlist.

        Parameters
        ----------
        netlist
            Netlist text, a :class:`circuitsim.netlists.Netlist`, or a PySpice ``Circuit``.
        analysis
            :class:`~circuitsim.spice.analyses.Op`, ``Dc``, ``Tran`` or ``Ac``;
            ``None`` when the netlist carries its own analysis lines or ``.control`` block.
        timeout
            Seconds before the run is stopped (:class:`SimulationTimeoutError`); ``None`` waits.
        base_dir
            Directory relative ``.include`` paths are resolved from.
        allow_shell
            ``True`` (default; the caller wrote the netlist): its ``.control`` block may do anything.
            ``False`` for a deck the caller did not write: commands that run programs, load libraries or write
            outside ``base_dir`` are refused (:mod:`circuitsim.spice.checks`).
        check_finite
            Refuse results holding inf or NaN (:class:`SimulationError` naming the vector, the partial
            result kept).

        Raises
        ------
        NetlistError, ConvergenceError, SimulationError, SimulatorCrashError, SimulationTimeoutError
            With the cause in the message and the partial result in ``partial``.  A run that produced no
            vector at all is a :class:`SimulationError` too.
        """
        timeout = check_timeout(timeout)
        deck = prepare_deck(netlist, analysis, klu=self.klu, base_dir=base_dir, allow_shell=allow_shell,
                            in_memory=self.name == "shared")
        started = time.perf_counter()
        analyses, lines = self._execute(deck, timeout)
        result = Result(analyses, lines, self.name, time.perf_counter() - started)
        error = diagnose(lines, deck)
        if error is not None:
            raise _with_partial(error, result)
        if not any(len(a.vectors) for a in analyses):
            raise SimulationError("ngspice produced no vectors: the deck's analyses ran nothing (a .control block "
                                  "without an analysis command such as 'run', 'op' or 'tran'?)", log=lines)
        if check_finite:
            bad = nonfinite_vectors(result)
            if bad:
                raise SimulationError(f"the results are not finite numbers: {'; '.join(bad[:3])}"
                                      + (f" (and {len(bad) - 3} more)" if len(bad) > 3 else "")
                                      + ". An ideal loop (an inductor or a voltage source shorting a source at "
                                        "DC, a capacitor cut-set) or values beyond a double's range give inf/NaN; "
                                        "fix the circuit (e.g. a small series resistance)", log=lines, partial=result)
        return result

    def run_file(self, path: Union[str, Path], *, timeout: Optional[float] = None,
                 allow_shell: bool = False) -> Result:
        """Run a netlist file with its own analysis lines (relative includes from its folder).

        A file is not trusted unless ``allow_shell``: see :meth:`run`.
        """
        path = Path(path)
        return self.run(read_netlist_file(path), None, timeout=timeout, base_dir=path.resolve().parent,
                        allow_shell=allow_shell)

    def _execute(self, deck: Deck, timeout: Optional[float]) -> "tuple[List[AnalysisResult], List[str]]":
        raise NotImplementedError

    def close(self) -> None:
        """Release what the engine holds (worker processes)."""

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def check_timeout(timeout: Optional[float]) -> Optional[float]:
    """A timeout in seconds: ``None`` (wait) or a finite number > 0 (``inf``/NaN/<= 0 refused, naming it)."""
    if timeout is None:
        return None
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        raise ValueError(f"timeout must be a number of seconds, got {timeout!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"timeout must be a finite number of seconds > 0, got {timeout!r}; leave it out to wait "
                         "for the end of the run")
    return value


def nonfinite_vectors(result: Result) -> List[str]:
    """``"i(l1): +inf at 1 of 1 points (first at index 0)"`` for every vector holding inf or NaN."""
    import numpy as np

    found = []
    for analysis in result.analyses:
        for name, vector in analysis.vectors.items():
            data = np.asarray(vector.data)
            if data.dtype.kind not in "fc":
                continue
            finite = np.isfinite(data)
            if finite.all():
                continue
            bad = data[~finite]
            kinds = sorted({("NaN" if np.isnan(v) else ("+inf" if np.real(v) > 0 or np.imag(v) > 0 else "-inf"))
                            for v in bad[:1000]})
            first = int(np.flatnonzero(~finite)[0])
            prefix = f"{analysis.plot_name}/" if len(result.analyses) > 1 else ""
            found.append(f"{prefix}{name} is {'/'.join(kinds)} at {bad.size} of {data.size} point(s) (first at "
                         f"index {first})")
    return found


def _with_partial(error: SpiceError, result: Result) -> SpiceError:
    if error.partial is None and result.analyses and any(len(a) for a in result.analyses):
        error.partial = result
    return error


def die_with_parent() -> None:
    """``preexec_fn`` for ngspice children: on Linux, SIGKILL them when the parent dies.

    They run in a session of their own (so a timeout can kill the whole group),
    which also shields them from the terminal's Ctrl-C; without this a killed
    Python process left a long ``ngspice -b`` running on its own.  (The kernel
    sends the signal when the *thread* that started the child exits; the engines
    start and wait for their children in the same thread.)
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def describe_progress(analyses: Sequence[AnalysisResult]) -> str:
    """How far a stopped run got, for error messages ("; the tran analysis had reached time = 2e-3 s")."""
    if not analyses:
        return "; it produced no data"
    last = analyses[-1]
    axis = last.abscissa
    if axis is not None and len(axis.data):
        return f"; the {last.analysis} analysis had reached {axis.name} = {float(abs(axis.data[-1])):g} {axis.unit}"
    return ""
