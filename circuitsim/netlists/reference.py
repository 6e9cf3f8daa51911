"""The reference netlists kept in the repository's ``netlists/`` folder.

Each entry is generated here; ``circuitsim netlists export netlists/`` writes
them and a test fails when a file differs from what the generator writes now.
Every file runs as it is in ``ngspice -b``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List, Union

from circuitsim.netlists.mott_circuits import REFERENCE_DECKS as MOTT_DECKS
from circuitsim.netlists.neuron_synapse import NeuronSynapse
from circuitsim.netlists.spintronic_circuits import REFERENCE_DECKS as SPIN_DECKS


def _neuron_synapse_demo() -> str:
    net = NeuronSynapse().netlist()
    net.add(".tran 2e-05 0.03 0 2e-05")
    net.add(".meas tran membrane_peak MAX v(mem)")     # something to print, so plain `ngspice -b` runs it
    return net.render()


#: file name -> generator of its text
REFERENCE_NETLISTS: Dict[str, Callable[[], str]] = {
    "neuron_synapse_demo.cir": _neuron_synapse_demo,
    **MOTT_DECKS,  # Mott oscillators, neuristor and LIF neuron
    **SPIN_DECKS,  # p-bit and STNO injection locking
}


def export_reference_netlists(folder: Union[str, Path]) -> List[Path]:
    """Write every reference netlist into ``folder``; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, generate in REFERENCE_NETLISTS.items():
        path = folder / name
        path.write_text(generate())
        written.append(path)
    return written
