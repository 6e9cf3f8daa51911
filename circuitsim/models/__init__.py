"""Compact models: the model language, its emitters (ngspice subckt, Verilog-A, numpy), the device catalogue,
and users' own devices.

* :mod:`circuitsim.models.language`: declare a device once (:class:`Device`);
* :mod:`circuitsim.models.catalogue`: the shipped devices, by name;
* :mod:`circuitsim.models.verilog_a`: a user's own Verilog-A file (:class:`VerilogADevice`, run through OSDI);
* :mod:`circuitsim.models.sources`: :func:`resolve_device` turns a reference (``"vteam"``,
  ``"my_devices.py:MYMEM"``, ``"model.va"``) into a device.

Names are imported on first use (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Device": "language",
    "VerilogADevice": "verilog_a",
    "VerilogAState": "verilog_a",
    "VerilogAError": "verilog_a",
    "DeviceCapabilities": "verilog_a",
    "device_capabilities": "verilog_a",
    "resolve_device": "sources",
    "list_devices": "sources",
    "DeviceSourceError": "sources",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted([*globals(), *_WHERE])


__all__ = sorted(_WHERE)
