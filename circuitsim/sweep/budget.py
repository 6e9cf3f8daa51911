"""What a sweep will cost, estimated before anything runs: points, memory, disk, time; and how many local
workers this machine can hold.

The estimates are deliberately rough (within a factor of a few): they exist to refuse what cannot finish
(more memory or disk than there is, longer than :data:`MAX_SECONDS`) with the numbers, and to warn about
long sweeps, not to schedule.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

from circuitsim.sweep.spec import SweepSpec

__all__ = ["MAX_SECONDS", "SweepEstimate", "check_budget", "estimate", "worker_cap"]

#: a sweep estimated longer than this is refused (30 days)
MAX_SECONDS = 30 * 24 * 3600.0
#: ... and one longer than this gets a warning
WARN_SECONDS = 3600.0
#: one point file (JSON) on disk, plus its entry in the folder
POINT_FILE_BYTES = 600
#: the client's memory per point while gathering (records read back) and per output value
POINT_MEMORY_BYTES = 2000
#: memory of one local worker process (Python, numpy, scipy, distributed, an engine)
WORKER_BYTES = 300e6
#: file descriptors one local worker costs the client (sockets, pipes)
WORKER_FDS = 24
#: seconds of one point when the kind says nothing (an ngspice run of a small deck, with its start-up)
DEFAULT_POINT_SECONDS = 0.05


@dataclass(frozen=True)
class SweepEstimate:
    """What a sweep is expected to need."""

    points: int
    todo: int
    seconds_per_point: float
    workers: int
    memory_bytes: float
    disk_bytes: float

    @property
    def seconds(self) -> float:
        """Wall time with ``workers`` busy all along."""
        return self.todo * self.seconds_per_point / max(self.workers, 1)

    def describe(self) -> str:
        return (f"{self.points:,} points ({self.todo:,} to compute), about {_duration(self.seconds)} on "
                f"{self.workers} worker(s) at ~{self.seconds_per_point:.2g} s per point, "
                f"{self.memory_bytes / 1e9:.3g} GB of memory to gather, {self.disk_bytes / 1e9:.3g} GB of point files")


def _duration(seconds: float) -> str:
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.2g} s"


def _point_cost(spec: SweepSpec) -> Tuple[float, int]:
    """(seconds, output values) of a typical point: the largest array of the grid for the crossbar kinds."""
    params = {**spec.options, **spec.parameters}
    pulses = (spec.montecarlo.pulses or 1) if spec.montecarlo else 1
    if spec.kind in ("irdrop", "crossbar_solve"):
        if spec.kind == "irdrop":
            sizes = spec.grid.get("size", [params.get("size", 32)])
            cells = max(float(s) ** 2 for s in sizes)
            columns = max(int(s) for s in sizes)
        else:
            rows = spec.grid.get("rows", [params.get("rows", 32)])
            cols = spec.grid.get("columns", [params.get("columns", 32)])
            cells = float(max(rows)) * float(max(cols))
            columns = int(max(cols))
        # the fast solver: ~1 us per cell and per pulse, plus Python overhead per point
        return 0.002 + 2e-6 * cells * max(pulses, 1), columns + 8
    return DEFAULT_POINT_SECONDS, max(len(params.get("outputs", {}) or {}), 8)


def _available_memory() -> Optional[float]:
    try:
        import psutil

        return float(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001 - unknown: no limit
        return None


def worker_cap() -> Tuple[int, str]:
    """The most local worker processes this machine can hold, and why: two per core, the memory at
    :data:`WORKER_BYTES` each, and the open-file limit at :data:`WORKER_FDS` each."""
    from circuitsim.sweep.execute import default_workers

    cores = default_workers()
    caps = [(2 * cores, f"2 per core ({cores} cores)")]
    memory = _available_memory()
    if memory is not None:
        caps.append((max(1, int(memory // WORKER_BYTES)), f"{memory / 1e9:.3g} GB available memory at "
                                                          f"~{WORKER_BYTES / 1e6:.0f} MB per worker"))
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY:
            caps.append((max(1, (soft - 64) // WORKER_FDS), f"the open-file limit of {soft}"))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not POSIX
        pass
    return min(caps)


def estimate(spec: SweepSpec, workers: int, done: int = 0) -> SweepEstimate:
    """The :class:`SweepEstimate` of ``spec`` on ``workers`` workers with ``done`` points already on disk."""
    seconds, outputs = _point_cost(spec)
    points = spec.size
    memory = float(points) * (POINT_MEMORY_BYTES + 8.0 * outputs)
    return SweepEstimate(points, max(points - done, 0), seconds, max(workers, 1), memory,
                         float(points) * POINT_FILE_BYTES)


def check_budget(spec: SweepSpec, out: Path, workers: int, done: int = 0) -> SweepEstimate:
    """Refuse (``ValueError`` with the estimate) a sweep that cannot fit in memory or on disk, or would run
    longer than :data:`MAX_SECONDS`; return the estimate otherwise."""
    est = estimate(spec, workers, done)
    memory = _available_memory()
    if memory is not None and est.memory_bytes > memory:
        raise ValueError(f"this sweep cannot be gathered in memory: {est.describe()}; only {memory / 1e9:.3g} GB "
                         f"is available. Split it into smaller sweeps (fewer grid values or samples)")
    existing = Path(out)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        free = shutil.disk_usage(existing).free
    except OSError:
        free = None
    if free is not None and est.disk_bytes > free:
        raise ValueError(f"this sweep's point files cannot fit on disk: {est.describe()}; only {free / 1e9:.3g} GB "
                         f"is free in {existing}. Split it into smaller sweeps, or choose another --out")
    if est.seconds > MAX_SECONDS:
        raise ValueError(f"this sweep cannot finish: {est.describe()}, more than {_duration(MAX_SECONDS)}. Split it "
                         f"into smaller sweeps (fewer grid values or samples), or run it on more workers "
                         f"(--scheduler)")
    return est


def writable_folder(out: Path) -> None:
    """Refuse an output folder that is a file or cannot be created/written, before any work."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a file, not a folder")
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"--out {str(out)!r} cannot be written (no write permission on {str(existing)!r})")
