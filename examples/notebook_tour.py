# %% [markdown]
# # circuitsim in a notebook
#
# A tour in `# %%` cells: open it in Jupyter (jupytext, VS Code or PyCharm read the cells) or run it as
# a plain script, `python examples/notebook_tour.py`. Every object below has a short representation: a
# notebook shows it (and a table for `Result`) instead of arrays and ngspice's log.

# %%
import numpy as np

from circuitsim.crossbar import CrossbarSpec, solve_crossbar
from circuitsim.interop import badcrossbar
from circuitsim.netlists import Netlist, Pulse
from circuitsim.spice import BatchEngine, Tran

try:                                   # in a notebook, show objects as the notebook does
    from IPython import get_ipython
    from IPython.display import display
    if get_ipython() is None:
        raise ImportError
except ImportError:                    # as a plain script, print their short representation
    display = print

# %% [markdown]
# ## An RC circuit in ngspice

# %%
net = Netlist("rc")
net.vsource("V1", "in", "0", waveform=Pulse(0, 1, rise=1e-9, fall=1e-9, width=1e-3, period=2e-3))
net.resistor("R1", "in", "out", 1e3)
net.capacitor("C1", "out", "0", 1e-6)
result = BatchEngine().run(net, Tran(1e-5, 5e-3), timeout=60)
display(result)                        # engine, analyses, vector count, elapsed: never the arrays or the log

# %%
display(result.last)                   # one analysis: its vectors by name
print(result.v("out")[-1], result.unit("v(out)"))
dataset = result.to_xarray()           # time as the coordinate, units as attributes
display(dataset)

# %% [markdown]
# ## A crossbar with wire resistance (the fast solver)

# %%
rng = np.random.default_rng(0)
conductance = rng.uniform(10e-6, 100e-6, (32, 16))
voltages = rng.uniform(0.0, 0.2, 32)
# 1 ohm per wire segment, and one segment from each driver and into each sense amplifier (badcrossbar's layout)
spec = CrossbarSpec(conductance, voltages, r_row=1.0, r_col=1.0, r_source=1.0, r_sense=1.0)
solution = solve_crossbar(spec)
display(solution)                      # size, method, what was kept, time
ds = solution.to_xarray()              # column currents, node voltages, cell currents on (row, column)
display(ds)
ideal = voltages @ conductance
print("largest column-current loss to IR drop: %.1f %%" % (100 * np.max(1 - solution.column_currents / ideal)))

# %% [markdown]
# ## The same array through badcrossbar's interface
#
# `from circuitsim.interop import badcrossbar` instead of `import badcrossbar`: same arguments, same
# result fields (`currents.output`, `.device`, `.word_line`, `.bit_line`; `voltages.word_line`, `.bit_line`).

# %%
bc = badcrossbar.compute(voltages[:, None], 1.0 / conductance, r_i=1.0)
print("output currents", bc.currents.output.shape, "device currents", bc.currents.device.shape)
print("same column currents as the solver:", np.allclose(bc.currents.output[0], solution.column_currents,
                                                         rtol=1e-9, atol=0))
