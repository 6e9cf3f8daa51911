"""circuitsim: ngspice co-simulation for neuromorphic hardware."""

__version__ = "0.1.0"
