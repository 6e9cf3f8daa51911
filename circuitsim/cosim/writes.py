"""From pulse counts to what happens to the devices: write phases through the array, or the ideal update.

Physical path: :func:`write_phases` turns signed pulse counts per cell into
programming pulses of a V/2 or V/3 scheme, one column at a time (all rows to
potentiate on that column in one pulse, then all rows to depress), which the
next SPICE run applies through the array's drivers and wires.

Abstract path: :func:`ideal_update` integrates the device's own state
equations for the same pulses at the full amplitude on an isolated device (no
wire resistance, no half-selected neighbours): what the rule meant to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List

import numpy as np
from scipy.integrate import solve_ivp

from circuitsim.models.language import Device
from circuitsim.models.printers import numpy_functions
from circuitsim.crossbar import BiasScheme
from circuitsim.netlists.programming import Phase

__all__ = ["WriteScheme", "differential_pulses", "ideal_update", "pulse_step", "write_phases"]


@dataclass(frozen=True)
class WriteScheme:
    """How pulses are written.

    Attributes
    ----------
    kind
        ``"v/2"`` or ``"v/3"`` (unselected lines at a fraction of the amplitude).
    v_potentiate, v_depress
        Cell voltage (row minus column, V) of a pulse that raises / lowers the
        cell's conductance (opposite signs for a bipolar device).
    width
        Pulse width (s).
    """

    kind: str
    v_potentiate: float
    v_depress: float
    width: float

    def __post_init__(self) -> None:
        if self.kind not in ("v/2", "v/3"):
            raise ValueError(f"write scheme must be 'v/2' or 'v/3', got {self.kind!r}")
        for name in ("v_potentiate", "v_depress"):
            if not np.isfinite(getattr(self, name)) or getattr(self, name) == 0:
                raise ValueError(f"{name} must be a finite, non-zero voltage, got {getattr(self, name)!r}")
        if not (np.isfinite(self.width) and self.width > 0):
            raise ValueError(f"pulse width must be finite and > 0 s, got {self.width!r}")


def differential_pulses(weight_pulses: np.ndarray) -> np.ndarray:
    """Cell pulse counts (M, 2K) of differential pairs from weight pulse counts (M, K).

    Raising weight ``k`` potentiates its G+ column ``2k`` and depresses its G- column ``2k+1``.
    """
    w = np.asarray(weight_pulses, dtype=int)
    cells = np.zeros((w.shape[0], 2 * w.shape[1]), dtype=int)
    cells[:, 0::2] = w
    cells[:, 1::2] = -w
    return cells


def write_phases(cell_pulses: np.ndarray, scheme: WriteScheme) -> List[Phase]:
    """Programming pulses for signed counts per cell (M, N): column by column, potentiation then depression.

    Pulse ``p`` on column ``j`` selects every row whose count on that column is
    at least ``p`` in magnitude (in that direction), so a column takes
    ``max |count|`` pulses per direction.
    """
    counts = np.asarray(cell_pulses, dtype=int)
    m, n = counts.shape
    phases = []
    for j in range(n):
        for sign, amplitude in ((1, scheme.v_potentiate), (-1, scheme.v_depress)):
            wanted = np.maximum(sign * counts[:, j], 0)
            for p in range(1, int(wanted.max(initial=0)) + 1):
                rows = tuple(int(i) for i in np.flatnonzero(wanted >= p))
                phases.append(Phase.write(BiasScheme(scheme.kind, amplitude, rows, (j,)), m, n, scheme.width))
    return phases


def ideal_update(device: Device, params: Dict[str, float], states: Dict[str, np.ndarray],
                 cell_pulses: np.ndarray, scheme: WriteScheme) -> Dict[str, np.ndarray]:
    """States after the pulses, each applied at its full amplitude to an isolated device (the abstract path)."""
    counts = np.asarray(cell_pulses, dtype=int)
    _, rates, order = numpy_functions(device)
    values = device.validate(**params)
    init = {s.name: s.initial_param for s in device.states}
    y = np.stack([np.asarray(states[init[name]], dtype=float).ravel() for name in order])
    flat = counts.ravel()
    for p in range(1, int(np.abs(flat).max(initial=0)) + 1):
        active = np.flatnonzero(np.abs(flat) >= p)
        v = np.where(flat[active] > 0, scheme.v_potentiate, scheme.v_depress)
        y0 = y[:, active]

        def rhs(_t: float, z: np.ndarray, v: np.ndarray = v, k: int = len(active)) -> np.ndarray:
            return rates(v, list(z.reshape(len(order), k)), values).ravel()

        sol = solve_ivp(rhs, (0.0, scheme.width), y0.ravel(), method="LSODA", rtol=1e-8, atol=1e-14)
        if not sol.success:
            raise RuntimeError(f"ideal pulse update of {device.name} failed: {sol.message}")
        y[:, active] = sol.y[:, -1].reshape(len(order), len(active))
    out = {init[name]: y[k].reshape(counts.shape) for k, name in enumerate(order)}
    for name, (lo, hi) in device.state_bounds(values).items():      # the same bounds as the circuit's clamp
        out[name] = np.clip(out[name], lo, hi)
    return out


def pulse_step(device: Device, params: Dict[str, float], state: Dict[str, float],
               scheme: WriteScheme) -> Dict[str, Dict[str, float]]:
    """Change of each state from one potentiating and one depressing pulse on an isolated device at ``state``.

    Returns ``{"potentiate": {name: change}, "depress": {...}}`` keyed by initial-state parameter.
    """
    one = {k: np.array([[v]]) for k, v in state.items()}
    out = {}
    for label, count in (("potentiate", 1), ("depress", -1)):
        after = ideal_update(device, params, one, np.array([[count]]), scheme)
        out[label] = {k: float(after[k][0, 0] - one[k][0, 0]) for k in one}
    return out
