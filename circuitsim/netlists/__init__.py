"""Netlist text: the builder and the reference circuits.

This package only produces text; :mod:`circuitsim.spice` runs it.
"""

from circuitsim.netlists.netlist import Netlist, Pulse, Pwl, Sin
from circuitsim.numbers import plain_numbers

__all__ = ["Netlist", "Pulse", "Pwl", "Sin", "plain_numbers"]
