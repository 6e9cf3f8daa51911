"""Array-level analyses.

* ``devices``: the device testbench (Python reference, ngspice subckt, OSDI) and its comparison;
* ``datasheets``: one page per catalogue device;
* ``crossbar_solver``: the fast quasi-static crossbar solver (linear and nonlinear cells, all options);
* ``irdrop``: IR-drop reports, sweeps, maps and read margins.
"""
