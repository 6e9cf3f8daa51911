"""Device variability for Monte Carlo points: what a task function receives and how it applies it.

Three kinds of spread, all multiplicative and log-normal (a value ``x``
becomes ``x * exp(sigma * z)`` with ``z`` standard normal, so the *median*
stays at ``x`` and the value stays positive):

device-to-device, conductance (``device_sigma``)
    Each cell's conductance gets its own factor, drawn once per point (one
    chip / one programming of the array).
device-to-device, parameter (``[montecarlo.spread]``)
    A scalar parameter of the task (e.g. a wire resistance) gets one factor
    per point.  Applied by the runner before the task function is called.
cycle-to-cycle (``cycle_sigma``, ``pulses``)
    Each of ``pulses`` read pulses sees a fresh factor per cell on top of the
    device-to-device value; the task reports figures over the pulses.

Every random number of a point comes from the point's own generator (see
:mod:`circuitsim.sweep.spec`), drawn in a fixed order: parameter spread
first (parameters in sorted name order), then whatever the task draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterator, Mapping

import numpy as np

__all__ = ["VARIABILITY_KEYS", "Variability", "apply_spread", "lognormal"]

#: the variability settings; they may sit in ``[montecarlo]`` or be swept in ``[grid]``
VARIABILITY_KEYS = ("device_sigma", "cycle_sigma", "pulses")


def lognormal(x: Any, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """``x * exp(sigma * z)``, one standard-normal ``z`` per element of ``x`` (median-preserving).

    ``sigma = 0`` returns ``x`` as a float array without drawing anything.
    """
    x = np.asarray(x, dtype=float)
    if sigma == 0:
        return x.copy()
    return x * np.exp(sigma * rng.standard_normal(x.shape))


@dataclass(frozen=True)
class Variability:
    """The variability of one point, handed to the task function.

    Attributes
    ----------
    device_sigma
        Log-normal sigma of each cell's conductance, device-to-device (>= 0).
    cycle_sigma
        Log-normal sigma per cell and read pulse, cycle-to-cycle (>= 0).
    pulses
        Number of read pulses (>= 1); only meaningful with ``cycle_sigma > 0``.
    """

    device_sigma: float = 0.0
    cycle_sigma: float = 0.0
    pulses: int = 1

    @property
    def active(self) -> bool:
        return self.device_sigma > 0 or self.cycle_sigma > 0

    def device(self, g: Any, rng: np.random.Generator) -> np.ndarray:
        """The conductances of this point's device: ``g`` with the device-to-device spread."""
        return lognormal(g, self.device_sigma, rng)

    def cycles(self, g: Any, rng: np.random.Generator) -> Iterator[np.ndarray]:
        """The conductances seen by each read pulse (``pulses`` arrays; ``g`` itself once without spread)."""
        if self.cycle_sigma == 0:
            yield np.asarray(g, dtype=float)
            return
        for _ in range(self.pulses):
            yield lognormal(g, self.cycle_sigma, rng)


def apply_spread(params: Mapping[str, Any], spread: Mapping[str, float], rng: np.random.Generator) -> Dict[str, Any]:
    """Parameters with their device-to-device spread applied (one log-normal factor each, sorted by name)."""
    out = dict(params)
    for name in sorted(spread):
        sigma = float(spread[name])
        if sigma > 0:
            out[name] = float(out[name]) * float(np.exp(sigma * rng.standard_normal()))
    return out
