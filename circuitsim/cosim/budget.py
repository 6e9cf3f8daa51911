"""What a co-simulation run will cost, estimated before its first step: refuse what cannot finish.

Rough figures (within a factor of a few, measured on the perceptron and STDP experiments): one step is a
transient of the whole array, about ``SECONDS_PER_STEP`` plus ``SECONDS_PER_CELL_STEP`` per
device; ngspice holds about ``BYTES_PER_CELL`` per device, and the run keeps one metrics dict per step
(``BYTES_PER_STEP``) in its checkpoint and report.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Optional

__all__ = ["MAX_SECONDS", "RunEstimate", "check_run_budget", "estimate_run"]

SECONDS_PER_STEP = 0.02
SECONDS_PER_CELL_STEP = 2e-4
BYTES_PER_CELL = 50e3
BYTES_PER_STEP = 2e3
#: the share of the available memory a run may plan to use (the per-device figure cannot see the step's
#: time points: a 1,000,000-synapse STDP window grew past 20 GB before its first step ended)
MEMORY_SHARE = 0.5
#: a run estimated longer than this is refused (30 days); longer than WARN_SECONDS is announced
MAX_SECONDS = 30 * 24 * 3600.0
WARN_SECONDS = 3600.0


@dataclass(frozen=True)
class RunEstimate:
    """Expected cost of ``steps`` steps on ``cells`` devices."""

    steps: int
    cells: int
    seconds: float
    memory_bytes: float

    def describe(self) -> str:
        hours = self.seconds / 3600
        when = f"{hours / 24:.3g} days" if hours > 48 else f"{hours:.3g} h"
        return (f"{self.steps:,} steps on {self.cells:,} devices: about {when} and {self.memory_bytes / 1e9:.3g} GB "
                f"of memory")


def estimate_run(steps: int, cells: int) -> RunEstimate:
    """The :class:`RunEstimate` of ``steps`` steps of an array of ``cells`` devices."""
    steps, cells = int(steps), int(cells)
    seconds = steps * (SECONDS_PER_STEP + SECONDS_PER_CELL_STEP * cells)
    return RunEstimate(steps, cells, seconds, cells * BYTES_PER_CELL + steps * BYTES_PER_STEP)


def _available_memory() -> Optional[float]:
    try:
        import psutil

        return float(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001 - unknown: no limit
        return None


def check_run_budget(experiment: Any, done: int = 0) -> RunEstimate:
    """Refuse (``ValueError`` with the estimate) an experiment that cannot fit in memory or finish within
    :data:`MAX_SECONDS`; announce on stderr one longer than :data:`WARN_SECONDS`."""
    steps = max(int(getattr(experiment, "steps", 0) or 0) - int(done), 0)
    shape = getattr(getattr(experiment, "circuit", None), "shape", (0, 0))
    cells = int(shape[0]) * int(shape[1])
    est = estimate_run(steps, cells)
    memory = _available_memory()
    if memory is not None and est.memory_bytes > MEMORY_SHARE * memory:
        raise ValueError(f"this run cannot fit in memory: {est.describe()}, against {memory / 1e9:.3g} GB "
                         f"available (at most {MEMORY_SHARE:.0%} of it is planned: ngspice's saved vectors grow "
                         f"with the step's time points); use a smaller array or fewer steps")
    if est.seconds > MAX_SECONDS:
        raise ValueError(f"this run cannot finish: {est.describe()}, more than {MAX_SECONDS / 86400:g} days; use "
                         f"fewer steps or a smaller array")
    if est.seconds > WARN_SECONDS:
        print(f"circuitsim: a long run: {est.describe()}", file=sys.stderr)
    return est
