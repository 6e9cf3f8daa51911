"""The emitted model library (``models/``) and the device descriptions the CLI prints."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Union

from circuitsim.models.catalogue import DEVICES, get_device
from circuitsim.models.language import Device
from circuitsim.models.printers import subckt_text, verilog_a_text


def library_files() -> Dict[str, str]:
    """``{file name: text}`` of every ``.lib`` and ``.va`` file of the catalogue."""
    files: Dict[str, str] = {}
    for name, device in DEVICES.items():
        files[f"{name}.lib"] = subckt_text(device)
        files[f"{name}.va"] = verilog_a_text(device)
    return files


def export_library(folder: Union[str, Path]) -> List[Path]:
    """Write every device's ``.lib`` and ``.va`` into ``folder``; return the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in library_files().items():
        path = folder / name
        path.write_text(text)
        written.append(path)
    return written


def describe(device: Union[str, Device]) -> Dict[str, Any]:
    """The JSON description ``circuitsim models show NAME --json`` prints."""
    device = get_device(device) if isinstance(device, str) else device
    return {
        "name": device.name,
        "title": device.title,
        "ports": list(device.ports),
        "params": [{"name": p.name, "default": p.default, "unit": p.unit, "doc": p.doc, "source": p.source}
                   for p in device.params],
        "states": [{"name": s.name, "initial_param": s.initial_param, "lower": s.lower, "upper": s.upper,
                    "unit": s.unit, "doc": s.doc} for s in device.states],
        "reference": device.reference,
    }
