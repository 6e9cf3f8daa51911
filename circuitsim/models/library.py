"""The emitted model library (``models/``) and the device descriptions the CLI prints.

The catalogue's by default; any devices (a user's, from
:func:`circuitsim.models.sources.list_devices`) when given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Union

from circuitsim.models.catalogue import DEVICES
from circuitsim.models.language import Device
from circuitsim.models.printers import subckt_text, verilog_a_text
from circuitsim.models.verilog_a import VerilogADevice, device_capabilities

AnyDevice = Union[Device, VerilogADevice]


def library_files(devices: Optional[Iterable[AnyDevice]] = None) -> Dict[str, str]:
    """``{file name: text}`` of the library of ``devices`` (default: the catalogue).

    A :class:`~circuitsim.models.language.Device` gives ``NAME.lib`` (ngspice subcircuit) and ``NAME.va``
    (Verilog-A); a :class:`~circuitsim.models.verilog_a.VerilogADevice` gives its own file, unchanged, under
    its file name (``NAME.va`` for text).

    Raises
    ------
    ValueError
        Two devices would write different text into the same file.
    """
    files: Dict[str, str] = {}

    def put(name: str, text: str, owner: str) -> None:
        if name in files and files[name] != text:
            raise ValueError(f"two devices write {name} ({owner} and another): give them different names")
        files[name] = text

    for device in (DEVICES.values() if devices is None else devices):
        if isinstance(device, VerilogADevice):
            put(device.path.name if device.path is not None else f"{device.name}.va", device.text, device.name)
        elif isinstance(device, Device):
            put(f"{device.name}.lib", subckt_text(device), device.name)
            put(f"{device.name}.va", verilog_a_text(device), device.name)
        else:
            raise TypeError(f"{device!r} is not a circuitsim Device or VerilogADevice")
    return files


def export_library(folder: Union[str, Path], devices: Optional[Iterable[AnyDevice]] = None, *,
                   overwrite: bool = False) -> List[Path]:
    """Write the library of ``devices`` (default: the catalogue) into ``folder``; return its files' paths.

    A file that already holds the same text is left as it is.  A file that holds *other* text is replaced
    only with ``overwrite=True``: without it nothing is written and ``FileExistsError`` names the files.

    Raises
    ------
    FileExistsError
        Files in ``folder`` would change and ``overwrite`` is false.
    """
    folder = Path(folder)
    files = library_files(devices)
    changed = sorted(name for name, text in files.items()
                     if (folder / name).exists() and (folder / name).read_text(errors="replace") != text)
    if changed and not overwrite:
        raise FileExistsError(f"{folder} already has {', '.join(changed)} with other content; nothing was written "
                              "(pass overwrite=True, or --overwrite on the command line, to replace them)")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = folder / name
        if not path.exists() or path.read_text(errors="replace") != text:
            path.write_text(text)
        written.append(path)
    return written


def describe(device: Union[str, Path, AnyDevice], *, base_dir: Optional[Union[str, Path]] = None) -> Dict[str, Any]:
    """The JSON description ``circuitsim models show NAME --json`` prints.

    ``device`` is a device or any reference :func:`circuitsim.models.sources.resolve_device` takes
    (``DeviceSourceError`` if it cannot be resolved).
    """
    from circuitsim.models.sources import resolve_device

    device = resolve_device(device, base_dir=base_dir)
    capabilities = device_capabilities(device)
    if isinstance(device, VerilogADevice):
        return {
            "name": device.name,
            "title": device.title,
            "kind": "verilog-a",
            "ports": list(device.ports),
            "params": [{"name": p.name, "default": p.default, "unit": p.unit, "doc": p.doc,
                        "source": f"line {p.line} of {device.path or 'the text'}", "kind": p.kind,
                        "default_text": p.default_text, "range": p.range_text()}
                       for p in device.parameters if p.kind != "string"],
            "states": [{"name": s.name, "initial_param": s.initial_param, "lower": s.lower, "upper": s.upper,
                        "unit": s.unit, "doc": s.doc, "node": s.node, "offset": s.offset} for s in device.states],
            "internal_nodes": list(device.nodes),
            "reference": str(device.path) if device.path is not None else "",
            "backends": list(capabilities.backends),
            "has_reference": capabilities.has_reference,
        }
    return {
        "name": device.name,
        "title": device.title,
        "kind": "model-language",
        "ports": list(device.ports),
        "params": [{"name": p.name, "default": p.default, "unit": p.unit, "doc": p.doc, "source": p.source}
                   for p in device.params],
        "states": [{"name": s.name, "initial_param": s.initial_param, "lower": s.lower, "upper": s.upper,
                    "unit": s.unit, "doc": s.doc} for s in device.states],
        "reference": device.reference,
        "backends": list(capabilities.backends),
        "has_reference": capabilities.has_reference,
    }
