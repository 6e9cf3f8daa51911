"""The device catalogue: every registered compact model, by name.

Each module of this package declares its devices and lists them in a
module-level ``CATALOGUE`` tuple; they are collected here, so adding a device
means adding a module and nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Dict, List

from circuitsim.models.language import Device

__all__ = ["DEVICES", "device_names", "get_device"]


def _collect() -> Dict[str, Device]:
    devices: Dict[str, Device] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for device in getattr(module, "CATALOGUE", ()):
            if device.name in devices:
                raise ValueError(f"device name {device.name!r} is declared twice")
            devices[device.name] = device
    return dict(sorted(devices.items()))


DEVICES: Dict[str, Device] = _collect()


def get_device(name: str) -> Device:
    """The device called ``name``; ``KeyError`` listing the names otherwise."""
    try:
        return DEVICES[name]
    except KeyError:
        raise KeyError(f"no device {name!r} in the catalogue; devices: {', '.join(DEVICES)}") from None


def device_names() -> List[str]:
    """Names of every device, sorted."""
    return list(DEVICES)
