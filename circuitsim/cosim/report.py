"""Plots of a co-simulation run (matplotlib, Agg): learning curves and conductance maps."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Sequence

import numpy as np

__all__ = ["accuracy_plot", "conductance_maps", "weight_histogram"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def accuracy_plot(epochs: Sequence[int], accuracy: Sequence[float], loss: Sequence[float], path: Path) -> str:
    """Training accuracy and loss per epoch."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.plot(epochs, 100 * np.asarray(accuracy), "o-", label="accuracy")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training accuracy (%)")
    ax.set_ylim(0, 105)
    twin = ax.twinx()
    twin.plot(epochs, loss, "s--", color="tab:red", label="loss")
    twin.set_ylabel("mean squared error", color="tab:red")
    ax.set_title("in-situ training on the crossbar")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)


def conductance_maps(maps: Dict[str, np.ndarray], path: Path) -> str:
    """Side-by-side conductance maps (uS), one per entry, columns labelled as differential pairs."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(maps), figsize=(3.2 * len(maps) + 1, 3.6))
    axes = np.atleast_1d(axes)
    vmax = max(float(np.max(g)) for g in maps.values()) * 1e6
    vmin = min(float(np.min(g)) for g in maps.values()) * 1e6
    for ax, (title, g) in zip(axes, maps.items()):
        image = ax.imshow(np.asarray(g) * 1e6, vmin=vmin, vmax=vmax, cmap="viridis", aspect="auto")
        ax.set_title(f"{title} G (uS)")
        ax.set_xlabel("column (G+, G- pairs)")
        ax.set_ylabel("row (input)")
    fig.colorbar(image, ax=list(axes))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)


def weight_histogram(groups: Dict[str, np.ndarray], path: Path, xlabel: str = "conductance (uS)",
                     scale: float = 1e6) -> str:
    """Histograms of final weights per group (e.g. correlated vs uncorrelated synapses)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    for label, values in groups.items():
        ax.hist(np.asarray(values) * scale, bins=20, alpha=0.6, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("synapses")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)
