"""Summary plots of a gathered sweep (matplotlib figures via :mod:`circuitsim.plotting`).

One PNG per plotted output: the output against the first numeric grid
dimension, one line per value of the second grid dimension, averaged over
the other dimensions; with Monte Carlo samples the line is their mean and
the band spans their minimum to maximum.  A sweep with Monte Carlo only
gets a histogram over the samples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional, Sequence, Union

import numpy as np

from circuitsim.plotting import new_figure, save_figure

__all__ = ["plot_dataset"]


def _numeric(values: np.ndarray) -> bool:
    return values.dtype.kind in "iuf" and values.size > 1


def _spans_decades(values: np.ndarray, ratio: float = 10.0) -> bool:
    values = values[np.isfinite(values)]
    return values.size > 1 and bool(np.all(values > 0)) and values.max() / values.min() >= ratio


def plot_variable(ds: Any, name: str, path: Union[str, Path]) -> Optional[Path]:
    """Plot one scalar output; ``None`` if it cannot be drawn (no finite value)."""
    var = ds[name]
    if not np.any(np.isfinite(var.values)):
        return None
    fig = new_figure(figsize=(6.4, 4.4))
    ax = fig.add_subplot()
    grid_dims = [d for d in var.dims if d != "sample"]
    x_dims = [d for d in grid_dims if _numeric(ds[d].values)]
    title = ds.attrs.get("title", "")
    if not x_dims:
        ax.hist(var.values[np.isfinite(var.values)].ravel(), bins=min(30, max(5, var.size // 3)))
        ax.set_xlabel(name)
        ax.set_ylabel("points")
    else:
        x = x_dims[0]
        line_dim = next((d for d in grid_dims if d != x), None)
        keep = [x] + ([line_dim] if line_dim else [])
        other = [d for d in grid_dims if d not in keep]
        reduced = var.mean(dim=other) if other else var
        lines = ds[line_dim].values if line_dim else [None]
        for value in lines:
            sel = reduced.sel({line_dim: value}) if line_dim else reduced
            if "sample" in sel.dims:
                mean, lo, hi = sel.mean("sample"), sel.min("sample"), sel.max("sample")
            else:
                mean = lo = hi = sel
            label = f"{line_dim} = {value:g}" if line_dim and not isinstance(value, str) else (
                f"{line_dim} = {value}" if line_dim else None)
            xs = ds[x].values
            ax.plot(xs, mean.values, "o-", label=label)
            if "sample" in sel.dims:
                ax.fill_between(xs, lo.values, hi.values, alpha=0.2)
        ax.set_xlabel(x)
        ax.set_ylabel(name)
        if _spans_decades(ds[x].values.astype(float), ratio=4.0):
            ax.set_xscale("log", base=2 if np.all(np.log2(ds[x].values) % 1 == 0) else 10)
            if ds.sizes[x] <= 12:
                ax.set_xticks(ds[x].values, [f"{v:g}" for v in ds[x].values])
                ax.minorticks_off()
        if _spans_decades(var.values.ravel()):
            ax.set_yscale("log")
        if line_dim:
            ax.legend(fontsize=8)
        notes = []
        if other:
            notes.append(f"mean over {', '.join(other)}")
        if "sample" in var.dims:
            notes.append(f"{ds.sizes['sample']} Monte Carlo samples: mean, band min..max")
        if notes:
            title = f"{title}\n({'; '.join(notes)})" if title else "; ".join(notes)
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_dataset(ds: Any, folder: Union[str, Path], names: Sequence[str] = ()) -> List[Path]:
    """Write ``folder/NAME.png`` for each name in ``names`` (default: the first three scalar outputs)."""
    dims = set(ds["status"].dims)
    scalar = [n for n in ds.data_vars if set(ds[n].dims) == dims and n not in ("status", "seconds", "index")
              and not n.endswith("_sampled")]
    chosen = [n for n in names if n in scalar] or scalar[:3]
    paths = []
    for name in chosen:
        path = plot_variable(ds, name, Path(folder) / f"{name}.png")
        if path is not None:
            paths.append(path)
    return paths
