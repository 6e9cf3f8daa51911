"""The safeguarded scalar Newton that eliminates a cell's internal node, vectorised over the cells.

Layer: physics below the cells (imports numpy only).  Used by the 1S1R
threshold cell and the 1T1R cell (:mod:`circuitsim.crossbar.cells`), whose
internal node ``x`` solves ``h(x) = 0`` for a function ``h`` that decreases
strictly inside a known bracket (the current into the node through the
memory element minus the current out of it).
"""

from __future__ import annotations

from typing import Callable, Tuple

import numpy as np

__all__ = ["EPS", "internal_node_root"]

EPS = float(np.finfo(float).eps)

#: ``evaluate(x) -> (h, slope, size)``: the residual, ``-dh/dx`` (> 0) and the sum of the magnitudes of
#: the terms of ``h`` (its rounding level)
Residual = Callable[[np.ndarray], Tuple[np.ndarray, np.ndarray, np.ndarray]]


def internal_node_root(evaluate: Residual, lo: np.ndarray, hi: np.ndarray, start: np.ndarray,
                       max_iterations: int, what: str) -> np.ndarray:
    """Root of a decreasing ``h`` in ``[lo, hi]`` for every cell at once (Newton safeguarded by bisection).

    Each iteration tightens the bracket with the sign of ``h`` and takes the
    Newton step ``h / slope``; it bisects instead when the step leaves the
    bracket or does not halve the previous step (the safeguard of Numerical
    Recipes' ``rtsafe``, which also breaks Newton's two-cycles across the knee
    of an I-V).  A cell has converged when its step is below rounding
    (``4 eps`` of the bracket's magnitude), its residual is at its rounding
    level (``8 eps`` of ``size``: in a flat region rounding in ``h`` alone
    moves the step by more than ``eps |x|``), or its bracket is closed to
    ``64 eps`` of its magnitude (rounding near a threshold puts ~1e-21 A of
    noise on ``h``).

    Parameters
    ----------
    evaluate
        ``x -> (h, slope, size)``, elementwise (see :data:`Residual`).
    lo, hi
        The bracket (``h(lo) >= 0 >= h(hi)``), any shape.
    start
        First iterate, inside the bracket.
    max_iterations
        Iteration limit (the bracket halves at least every other iteration).
    what
        The cell's name for the error message.

    Returns
    -------
    numpy.ndarray
        The root, shaped like ``start``.

    Raises
    ------
    RuntimeError
        If some cell has not converged after ``max_iterations`` (naming it).
    """
    lo = np.array(lo, dtype=float)
    hi = np.array(hi, dtype=float)
    x = np.array(start, dtype=float)
    magnitude = np.maximum(np.abs(hi), np.abs(lo))
    tol = 4 * EPS * magnitude
    width = 64 * EPS * magnitude
    last = 2 * (hi - lo) + 1.0
    for _ in range(max_iterations):
        h, slope, size = evaluate(x)
        lo = np.where(h > 0, x, lo)
        hi = np.where(h < 0, x, hi)
        step = h / slope
        new = x + step
        done = (np.abs(step) <= tol) | (np.abs(h) <= 8 * EPS * size) | (hi - lo <= width)
        out = (~((new > lo) & (new < hi)) | (np.abs(step) > 0.5 * last)) & ~done
        new = np.where(out, 0.5 * (lo + hi), new)
        last = np.abs(new - x)
        x = new
        if np.all(done):
            return x
    k = np.unravel_index(int(np.argmax(~done)), np.shape(done)) if np.ndim(done) else ()
    raise RuntimeError(f"{what}: the internal node did not converge in {max_iterations} iterations (cell {k}: "
                       f"bracket [{lo[k]!r}, {hi[k]!r}], last step {step[k]!r})")
