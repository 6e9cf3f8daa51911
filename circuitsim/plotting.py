"""Figures for files, without touching matplotlib's global state.

Every plot circuitsim writes (datasheets, sweep summaries, IR-drop maps,
co-simulation reports, the demo) is drawn on a :class:`matplotlib.figure.Figure`
created directly, not through :mod:`matplotlib.pyplot`: no backend is
selected (``matplotlib.use`` is never called), no figure is registered with
pyplot's figure manager, so writing a report from a Jupyter notebook or a GUI
session leaves the user's backend and open figures as they were.  The figure
is rendered by its own Agg canvas when saved::

    fig = new_figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    save_figure(fig, "out/line.png")
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Tuple, Union

from circuitsim.atomic import atomic_path

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["DPI", "new_figure", "save_figure"]

#: Resolution of the PNG files circuitsim writes (dots per inch).
DPI = 110


def new_figure(figsize: Tuple[float, float] = (6.4, 4.4), **kwargs: Any) -> "Figure":
    """A new :class:`matplotlib.figure.Figure`, not managed by pyplot.

    Parameters
    ----------
    figsize
        Width and height in inches.
    **kwargs
        Passed to :class:`matplotlib.figure.Figure` (e.g. ``layout="constrained"``).

    Returns
    -------
    matplotlib.figure.Figure
        Add axes with ``fig.add_subplot()`` or ``fig.subplots(rows, cols, ...)``.
    """
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, **kwargs)


def save_figure(fig: "Figure", path: Union[str, Path], *, dpi: float = DPI, **kwargs: Any) -> Path:
    """Write ``fig`` to ``path`` atomically (format from the suffix) and return the path.

    The folder is created if missing; the file appears complete or not at all
    (see :func:`circuitsim.atomic.atomic_path`).

    Parameters
    ----------
    fig
        A figure from :func:`new_figure`.
    path
        Target file; its suffix (``.png``, ``.pdf``, ``.svg``...) selects the format.
    dpi
        Resolution for raster formats.
    **kwargs
        Passed to :meth:`matplotlib.figure.Figure.savefig` (e.g. ``bbox_inches="tight"``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    kwargs.setdefault("format", path.suffix.lstrip(".").lower() or "png")
    with atomic_path(path, fsync=False) as tmp:
        fig.savefig(tmp, dpi=dpi, **kwargs)
    return path
