"""The reference netlists kept in the repository's ``netlists/`` folder.

Each entry is generated here; ``circuitsim netlists export netlists/`` writes
them and a test fails when a file differs from what the generator writes now.
Every file runs as it is in ``ngspice -b``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List, Union

from circuitsim.atomic import write_atomic
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


def export_reference_netlists(folder: Union[str, Path], overwrite: bool = False) -> List[Path]:
    """Write every reference netlist into ``folder``; return the paths.

    Files that already hold exactly the generated text are left alone; a file with other content (edited by
    hand, or of an older circuitsim) is replaced only with ``overwrite=True``.

    Raises
    ------
    FileExistsError
        Without ``overwrite``, naming the files that would change; nothing is written then.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder} is a file, not a folder: give the folder the netlists go into")
    texts = {folder / name: generate() for name, generate in REFERENCE_NETLISTS.items()}
    changed = []
    for path, text in texts.items():
        if path.is_dir():
            raise FileExistsError(f"{path} is a folder; move it away to export {path.name}")
        if path.exists():
            try:
                same = path.read_text(errors="replace") == text
            except OSError:
                same = False
            if not same:
                changed.append(path)
    if changed and not overwrite:
        names = ", ".join(p.name for p in changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        raise FileExistsError(f"{len(changed)} file(s) in {folder} hold other content than the generated netlists "
                              f"and would be replaced: {names}; pass --overwrite to replace them (your edits are "
                              f"lost), or export into another folder")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path, text in texts.items():
        if not path.exists() or path in changed:
            write_atomic(path, text, fsync=False)
        written.append(path)
    return written
