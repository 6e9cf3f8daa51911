"""Plots of a co-simulation run: learning curves, conductance maps, weight histograms.

Figures are made with :class:`matplotlib.figure.Figure` (no pyplot), so
writing a report never switches the user's matplotlib backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Sequence

import numpy as np

from circuitsim.plotting import new_figure, save_figure

__all__ = ["accuracy_plot", "conductance_maps", "mean_weight_plot", "weight_histogram"]


def accuracy_plot(epochs: Sequence[int], accuracy: Sequence[float], loss: Sequence[float], path: Path) -> str:
    """Training accuracy and loss per epoch."""
    fig = new_figure(figsize=(5.5, 3.5))
    ax = fig.add_subplot()
    ax.plot(epochs, 100 * np.asarray(accuracy), "o-", label="accuracy")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training accuracy (%)")
    ax.set_ylim(0, 105)
    twin = ax.twinx()
    twin.plot(epochs, loss, "s--", color="tab:red", label="loss")
    twin.set_ylabel("mean squared error", color="tab:red")
    ax.set_title("in-situ training on the crossbar")
    fig.tight_layout()
    return str(save_figure(fig, path))


def conductance_maps(maps: Dict[str, np.ndarray], path: Path) -> str:
    """Side-by-side conductance maps (uS), one per entry, columns labelled as differential pairs."""
    fig = new_figure(figsize=(3.2 * len(maps) + 1, 3.6))
    axes = np.atleast_1d(fig.subplots(1, len(maps)))
    vmax = max(float(np.max(g)) for g in maps.values()) * 1e6
    vmin = min(float(np.min(g)) for g in maps.values()) * 1e6
    image = None
    for ax, (title, g) in zip(axes, maps.items()):
        image = ax.imshow(np.asarray(g) * 1e6, vmin=vmin, vmax=vmax, cmap="viridis", aspect="auto")
        ax.set_title(f"{title} G (uS)")
        ax.set_xlabel("column (G+, G- pairs)")
        ax.set_ylabel("row (input)")
    fig.colorbar(image, ax=list(axes))
    return str(save_figure(fig, path))


def weight_histogram(groups: Dict[str, np.ndarray], path: Path, xlabel: str = "conductance (uS)",
                     scale: float = 1e6) -> str:
    """Histograms of final weights per group (e.g. correlated vs uncorrelated synapses)."""
    fig = new_figure(figsize=(5.5, 3.5))
    ax = fig.add_subplot()
    for label, values in groups.items():
        ax.hist(np.asarray(values) * scale, bins=20, alpha=0.6, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("synapses")
    ax.legend()
    fig.tight_layout()
    return str(save_figure(fig, path))


def mean_weight_plot(steps: Sequence[int], groups: Dict[str, Sequence[float]], path: Path) -> str:
    """Mean conductance (uS) of each synapse group per step."""
    fig = new_figure(figsize=(5.5, 3.5))
    ax = fig.add_subplot()
    for (label, values), marker in zip(groups.items(), "os^v"):
        ax.plot(steps, np.asarray(values) * 1e6, f"{marker}-", label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("mean conductance (uS)")
    ax.legend()
    fig.tight_layout()
    return str(save_figure(fig, path))
