"""Multi-device synapses: N devices per synapse, read together, programmed one at a time (Boybat et al. 2018).

A synapse of ``N`` devices is ``N`` adjacent physical columns of the crossbar
(device ``k`` of logical column ``j`` is physical column ``j N + k``): a read
sums their column currents, so the synapse's conductance is the sum of its
devices'; a programming event goes to one device only, chosen by a global
arbitration counter that advances after every event.  Each device then sees
``1/N`` of the updates, so its programming noise and nonlinearity average out
over the synapse while the weight range grows ``N`` times (Boybat et al.,
"Neuromorphic computing with multi-memristive synapses", Nat. Commun. 9, 2514
(2018)).  With ``N = 1`` every mapping is the identity.

The counter is a learned attribute (``counter_``), so checkpoints carry it.
"""

from __future__ import annotations

from typing import Any, Tuple

import numpy as np

__all__ = ["MultiDeviceSynapses"]


class MultiDeviceSynapses:
    """The mapping between logical synapses and the physical devices that make them up.

    Parameters
    ----------
    devices
        Devices per synapse (``N >= 1``).
    """

    def __init__(self, devices: int = 1):
        if int(devices) != devices or devices < 1:
            raise ValueError(f"devices per synapse must be a whole number >= 1, got {devices!r}")
        self.devices = int(devices)
        self.counter_ = 0

    def physical_shape(self, logical_shape: Tuple[int, int]) -> Tuple[int, int]:
        """``(rows, columns * N)``: the crossbar that holds an array of synapses of ``logical_shape``."""
        m, n = (int(k) for k in logical_shape)
        return m, n * self.devices

    def pulses(self, logical: Any) -> np.ndarray:
        """Physical pulse counts ``(M, K N)`` of one programming event: every pulse goes to the device the
        arbitration counter selects (the same device index in every synapse); the counter then advances."""
        logical = np.asarray(logical, dtype=int)
        m, k = logical.shape
        out = np.zeros((m, k * self.devices), dtype=int)
        out[:, self.counter_ % self.devices::self.devices] = logical
        if np.any(logical):
            self.counter_ += 1
        return out

    def combine(self, physical: Any) -> np.ndarray:
        """Per-synapse sums (currents or conductances) over the last axis: ``(..., K N)`` -> ``(..., K)``."""
        physical = np.asarray(physical)
        shape = physical.shape[:-1] + (physical.shape[-1] // self.devices, self.devices)
        return physical.reshape(shape).sum(axis=-1)
