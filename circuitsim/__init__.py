"""circuitsim: ngspice co-simulation for neuromorphic hardware.

Installed as the distribution ``circuitsim-ngspice`` (``pip install circuitsim-ngspice``); imported as
``circuitsim``.  The subpackages are the public interface: :mod:`circuitsim.spice` (engines and
results), :mod:`circuitsim.netlists`, :mod:`circuitsim.models`, :mod:`circuitsim.crossbar`,
:mod:`circuitsim.analysis`, :mod:`circuitsim.cosim`, :mod:`circuitsim.sweep` and
:mod:`circuitsim.interop`.
"""

# The one place the version is written: pyproject.toml reads it (dynamic version), and
# `circuitsim --version`, checkpoints and sweep provenance report it.
__version__ = "0.1.0"

__all__ = ["__version__"]
