"""My own memristor, declared once from its equations (examples 1 and 2).

A bipolar oxide memristor in the "nonlinear drift" form of Yang et al.
(Nat. Nanotechnol. 3, 429 (2008)): the current is a weighted sum of a
tunnelling-like ON path and an ohmic OFF path, and the doped fraction ``x``
drifts with a sinh-type rate (fast above a few hundred mV, negligible below)
limited by a Joglekar window.  Every number here is an illustrative choice
for the example, not a fit to a device.

    I = x * g_on * sinh(a V) / a + (1 - x) * g_off * V
    dx/dt = k * sinh(V / v0) * (1 - (2x - 1)^2)

From this one declaration circuitsim emits an ngspice subckt, a Verilog-A
module and a Python reference (used by ``circuitsim models show MYMEM --from
examples/my_devices.py``, ``Netlist.device``, crossbar netlists, the fast
solver and co-simulation, where an experiment file says
``[device] name = "my_devices.py:MYMEM"``).
"""

import sympy as sp

from circuitsim.models.language import V, Device, State, param, symbol

MINE = "my lab's choice (example)"

x = symbol("x")
g_on, g_off, a, k, v0 = (symbol(n) for n in ("g_on", "g_off", "a", "k", "v0"))

MYMEM = Device(
    name="mymem",
    title="nonlinear-drift memristor (a user's example)",
    ports=("p", "n"),
    params=(
        param("g_on", 1e-4, "S", "ON-path conductance at low voltage", MINE, positive=True),
        param("g_off", 5e-6, "S", "OFF-path conductance", MINE, positive=True),
        param("a", 2.0, "1/V", "ON-path nonlinearity", MINE, positive=True),
        param("k", 1.0, "1/s", "drift rate scale", MINE, positive=True),
        param("v0", 0.25, "V", "drift voltage scale", MINE, positive=True),
        param("x0", 0.2, "", "initial doped fraction", MINE, minimum=0.0, maximum=1.0),
    ),
    states=(State("x", 0.0, 1.0, "x0", "", "doped fraction of the film"),),
    current=x * g_on * sp.sinh(a * V) / a + (1 - x) * g_off * V,
    rates={"x": k * sp.sinh(V / v0) * (1 - (2 * x - 1) ** 2)},
    reference="examples/my_devices.py (after Yang et al., Nat. Nanotechnol. 3, 429 (2008))",
    equations=r"$I = x g_{on} \sinh(aV)/a + (1-x) g_{off} V$, $\dot x = k \sinh(V/v_0)\,(1-(2x-1)^2)$",
    stimulus={"amplitude": 1.0, "frequency": 10.0, "cycles": 2, "pulse_high": 1.0, "pulse_low": -1.0,
              "pulse_width": 0.01, "period": 0.04},
)
