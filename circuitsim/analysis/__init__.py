"""Array-level analyses: fast quasi-static crossbar solver, IR drop, read margins, spike metrics.

Built so far: the device testbench (devices.py), datasheets, and the fast linear crossbar solver
(crossbar_solver.py).  IR-drop reports and read margins land with the rest of the crossbar issue.
"""
