"""Interoperability with the tools crossbar users already have.

* :mod:`circuitsim.interop.badcrossbar`: :func:`~circuitsim.interop.badcrossbar.compute`, a drop-in for
  ``badcrossbar.compute`` (same arguments, shapes and result fields) on circuitsim's fast solver.
"""

from circuitsim.interop import badcrossbar

__all__ = ["badcrossbar"]
