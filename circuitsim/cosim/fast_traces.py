"""State traces of a fast-engine step, stored as changes and read back per cell on demand.

A step of a large array takes thousands of time points; most cells do not
move during most of them (a write pulse moves the cells it selects).  The
:class:`TraceLog` keeps, per state, the initial value of every cell and then
only the cells whose value changed at each time point; :class:`StepVectors`
is the ``StepResult.vectors`` mapping of the fast engine: the column currents
as arrays, and each cell's state trace built from the log when it is looked
up (the same names as :meth:`CrossbarCircuit.state_vectors`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np

__all__ = ["StepVectors", "TraceLog"]


class TraceLog:
    """Changes of ``S`` states of ``cells`` cells over the time points of a step.

    Parameters
    ----------
    initial
        The states at the first time point, (S, cells).
    """

    def __init__(self, initial: np.ndarray):
        self.count = 1
        self._last = np.array(initial, dtype=float)
        cells = self._last.shape[1]
        self._steps: List[List[np.ndarray]] = [[np.zeros(cells, dtype=np.int64)] for _ in self._last]
        self._cells: List[List[np.ndarray]] = [[np.arange(cells)] for _ in self._last]
        self._values: List[List[np.ndarray]] = [[row.copy()] for row in self._last]
        self._sorted: Optional[List[Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = None

    def record(self, y: np.ndarray) -> None:
        """Append a time point with states ``y`` (S, cells): only the cells that changed are stored."""
        for s, row in enumerate(y):
            moved = np.flatnonzero(row != self._last[s])
            if moved.size:
                self._steps[s].append(np.full(moved.size, self.count, dtype=np.int64))
                self._cells[s].append(moved)
                self._values[s].append(row[moved])
                self._last[s, moved] = row[moved]
        self.count += 1
        self._sorted = None

    @property
    def stored(self) -> int:
        """Number of stored values (all states)."""
        return int(sum(sum(a.size for a in values) for values in self._values))

    def trace(self, state: int, cell: int) -> np.ndarray:
        """The values of ``cell``'s state ``state`` at every recorded time point, (count,)."""
        if self._sorted is None:
            self._sorted = []
            for s in range(len(self._values)):
                steps = np.concatenate(self._steps[s])
                cells = np.concatenate(self._cells[s])
                values = np.concatenate(self._values[s])
                order = np.argsort(cells, kind="stable")                # time order kept within a cell
                cells = cells[order]
                bounds = np.searchsorted(cells, np.arange(self._last.shape[1] + 1))
                self._sorted.append((steps[order], values[order], bounds, cells))
        steps, values, bounds, _ = self._sorted[state]
        a, b = bounds[cell], bounds[cell + 1]
        where = np.searchsorted(steps[a:b], np.arange(self.count), side="right") - 1
        return values[a:b][where]


class StepVectors(Mapping):
    """``StepResult.vectors`` of the fast engine: column currents (arrays) and state traces (built on lookup).

    Parameters
    ----------
    arrays
        Vectors held as arrays (the column currents ``i(vs<j>)``).
    state_names
        Per state index: the vector name of every cell, row-major (``CrossbarCircuit.state_vectors()``).
    log
        The :class:`TraceLog`, or ``None`` when the states were not recorded.
    offset
        Per state index: the value subtracted from every cell's trace (the step's initial state per cell,
        (cells,)), so a trace is what ngspice's state node holds (the change since the step's start), or
        ``None`` to return the states themselves.
    """

    def __init__(self, arrays: Dict[str, np.ndarray], state_names: List[List[str]], log: Optional[TraceLog],
                 offset: List[Optional[np.ndarray]]):
        self._arrays = arrays
        self._where: Dict[str, Tuple[int, int]] = {}
        if log is not None:
            for s, names in enumerate(state_names):
                for c, name in enumerate(names):
                    self._where[name] = (s, c)
        self._log = log
        self._offset = offset

    def __getitem__(self, name: str) -> np.ndarray:
        if name in self._arrays:
            return self._arrays[name]
        try:
            s, c = self._where[name]
        except KeyError:
            raise KeyError(name) from None
        trace = self._log.trace(s, c)
        off = self._offset[s]
        return trace if off is None else trace - off[c]

    def __iter__(self) -> Iterator[str]:
        yield from self._arrays
        yield from self._where

    def __len__(self) -> int:
        return len(self._arrays) + len(self._where)

    def __contains__(self, name: object) -> bool:
        return name in self._arrays or name in self._where
