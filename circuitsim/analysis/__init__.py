"""Array-level analyses.

* ``devices``: the device testbench (Python reference, ngspice subckt, OSDI) and its comparison;
* ``datasheets``: one page per catalogue device;
* ``irdrop``: IR-drop reports, sweeps, maps and read margins (on :mod:`circuitsim.crossbar`: the spec,
  the cells, the generator and the fast solver);
* ``oscillators``, ``spintronics``: waveform analyses of the Mott and spintronic circuits.
"""

__all__ = ["datasheets", "devices", "irdrop", "oscillators", "spintronics"]
