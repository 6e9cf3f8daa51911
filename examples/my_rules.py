"""Learning rules of my own, for the perceptron experiment (example 3).

A rule is any class with ``update(x, delta)`` returning signed whole pulse
counts per weight; no circuitsim base class is needed.  Hyper-parameters go
in the constructor (the experiment file's ``[rule]`` keys), what the rule
learns goes in attributes ending in ``_`` (saved in checkpoints: numbers,
numpy arrays and numpy random generators).
"""

import numpy as np


class StochasticManhattan:
    """The Manhattan rule, each pulse issued only with probability ``probability``.

    Stochastic rounding of the sign update spreads the writes over epochs,
    which lowers the number of pulses per epoch (wear and disturbs) at the
    price of more epochs.
    """

    def __init__(self, probability: float = 0.5, seed: int = 0):
        if not 0 < probability <= 1:
            raise ValueError(f"probability must be in (0, 1], got {probability!r}")
        self.probability = probability
        self.seed = seed

    def update(self, x, delta):
        if not hasattr(self, "rng_"):
            self.rng_ = np.random.default_rng(self.seed)
        gradient = np.asarray(x).T @ np.asarray(delta)
        fire = self.rng_.random(gradient.shape) < self.probability
        return (np.sign(gradient) * fire).astype(int)


class ThresholdedManhattan:
    """A pulse only where the summed gradient exceeds ``fraction`` of its largest entry (per update)."""

    def __init__(self, fraction: float = 0.3):
        if not 0 <= fraction < 1:
            raise ValueError(f"fraction must be in [0, 1), got {fraction!r}")
        self.fraction = fraction

    def update(self, x, delta):
        gradient = np.asarray(x).T @ np.asarray(delta)
        keep = np.abs(gradient) > self.fraction * np.abs(gradient).max()
        return (np.sign(gradient) * keep).astype(int)
