"""Exceptions raised by the engine layer.

Every exception carries the cause in its message and, where ngspice produced
any data before failing, the partial result in ``partial``.  The CLI turns any
:class:`SpiceError` into a one-paragraph message and exit status 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from circuitsim.spice.result import Result

class SpiceError(RuntimeError):
    """Base class of every simulation error.

    Parameters
    ----------
    message
        What went wrong, in one paragraph.
    log
        The ngspice output lines that led to the error (for debugging).
    partial
        Whatever ngspice computed before it stopped, or ``None``.
    """

    def __init__(self, message: str, *, log: Sequence[str] = (), partial: Optional["Result"] = None):
        super().__init__(message)
        self.message = message
        self.log = list(log)
        self.partial = partial


class NgspiceNotFoundError(SpiceError):
    """ngspice (program or shared library) is missing or too old."""


class NetlistError(SpiceError, ValueError):
    """The netlist could not be parsed.

    Attributes
    ----------
    line_number
        1-based line number in the netlist as given by the caller, or ``None``
        when ngspice did not say which line.
    line
        The text of that line.
    """

    def __init__(self, message: str, *, line_number: Optional[int] = None, line: Optional[str] = None, **kwargs):
        super().__init__(message, **kwargs)
        self.line_number = line_number
        self.line = line


class ConvergenceError(SpiceError):
    """Newton or the time-step control failed.

    Attributes
    ----------
    analysis
        ``"op"``, ``"dc"``, ``"tran"``, ``"ac"``, ...
    time
        Simulated time (s) at which a transient gave up, else ``None``.
    """

    def __init__(self, message: str, *, analysis: str, time: Optional[float] = None, **kwargs):
        super().__init__(message, **kwargs)
        self.analysis = analysis
        self.time = time


class SimulationError(SpiceError):
    """ngspice reported an error that fits none of the narrower classes."""


class SimulatorCrashError(SpiceError):
    """ngspice crashed or asked to exit (``quit``/``exit``, a fatal error, a signal).

    The Python process lives on: the shared library runs in a worker process
    that is replaced, and the batch engine runs a subprocess.
    """

    def __init__(self, message: str, *, exit_status: Optional[int] = None, **kwargs):
        super().__init__(message, **kwargs)
        self.exit_status = exit_status


class SimulationTimeoutError(SpiceError):
    """The run took longer than its timeout and was stopped."""

    def __init__(self, message: str, *, timeout: float, **kwargs):
        super().__init__(message, **kwargs)
        self.timeout = timeout
