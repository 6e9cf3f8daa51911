"""Parameter sweeps and Monte Carlo on Dask.

Not built yet: this lands with the scale-out issue.
"""
