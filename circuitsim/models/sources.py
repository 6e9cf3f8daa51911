"""Where a device comes from: the catalogue, a user's Python file or module, or a user's Verilog-A file.

:func:`resolve_device` turns a *device reference* into a device object, the
same way everywhere a device can be named (experiment files, the CLI's
``--from``, Python code):

=====================================  ==================================================================
Reference                              Device
=====================================  ==================================================================
a ``Device`` or ``VerilogADevice``     itself
``"vteam"``                            the catalogue's device of that name (``circuitsim models list``)
``"path/to/my_devices.py:NAME"``       ``NAME`` in that file: a :class:`~circuitsim.models.language.Device`,
                                       a :class:`~circuitsim.models.verilog_a.VerilogADevice`, or a function
                                       taking no argument that returns one
``"path/to/my_devices.py"``            the only device the file defines
``"package.module:NAME"``              ``NAME`` in an importable module (same rules)
``"path/to/model.va"``                 the only module of a Verilog-A file (no states declared)
``"path/to/model.va:MODULE"``          that module of the file
=====================================  ==================================================================

Relative paths are resolved against ``base_dir`` (an experiment file's
folder), else the working folder.  A Verilog-A file named directly carries
no state declaration, so it serves plain netlists and lock-step
co-simulation; for restart-mode co-simulation declare its states in Python
(``MYMEM = VerilogADevice("mem.va", states=[VerilogAState(...)])`` in
``my_devices.py``, then ``"my_devices.py:MYMEM"``) or pass ``states=``.

.. warning::
   **A Python file named in a reference is code, and it is executed** (as
   ``import`` would execute it), with your permissions.  Name only files you
   trust.  It is imported by :func:`circuitsim.userfiles.load_module`, the
   loader of every user file: under a private module name derived from its
   path (``circuitsim_user_<hash>``), once per process, with its folder on
   ``sys.path`` only while it runs (so it can import its neighbours).

Every failure raises :class:`DeviceSourceError` (a ``ValueError``) whose
message quotes the reference and says what to do.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, Optional, Sequence, Union

from circuitsim.models.language import Device
from circuitsim.models.verilog_a import VerilogADevice, VerilogAError, VerilogAState
from circuitsim.userfiles import UserCodeError, load_module, split_reference

__all__ = ["DeviceSourceError", "AnyDevice", "resolve_device", "list_devices", "split_reference",
           "VERILOG_A_SUFFIXES"]

AnyDevice = Union[Device, VerilogADevice]

#: File name endings read as Verilog-A.
VERILOG_A_SUFFIXES = (".va", ".vams")


class DeviceSourceError(UserCodeError):
    """A device reference that cannot be resolved; the message names the reference and what to do.

    A :class:`circuitsim.userfiles.UserCodeError`, hence a ``ValueError``.
    """


def _is_device(obj: Any) -> bool:
    return isinstance(obj, (Device, VerilogADevice))


def _describe_type(obj: Any) -> str:
    """``"an int"``, ``"a numpy.ndarray"``: the object's type with its article."""
    name = f"{type(obj).__module__}.{type(obj).__qualname__}".replace("builtins.", "")
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _resolve_path(where: str, base_dir: Optional[Union[str, Path]]) -> Path:
    path = Path(where).expanduser()
    if not path.is_absolute():
        path = Path(base_dir if base_dir is not None else Path.cwd()) / path
    return path.resolve()


def _missing_file(reference: str, path: Path, base_dir: Optional[Union[str, Path]]) -> DeviceSourceError:
    if Path(split_reference(reference)[0]).expanduser().is_absolute():
        relative = ""
    else:
        against = Path(base_dir).resolve() if base_dir is not None else "the working folder"
        relative = f" (relative paths are resolved against {against})"
    return DeviceSourceError(f"device {reference!r}: the file {path} does not exist{relative}")


def _load(reference: str, where: Union[str, Path]) -> ModuleType:
    """Import a user's file or a module through :func:`circuitsim.userfiles.load_module` (the one loader)."""
    try:
        return load_module(where)
    except UserCodeError as exc:
        advice = "; fix the file" if str(where).endswith(".py") else ""
        raise DeviceSourceError(f"device {reference!r}: {exc}{advice}") from None
    except SyntaxError as exc:     # a module on the Python path
        raise DeviceSourceError(f"device {reference!r}: {exc.filename}, line {exc.lineno}: syntax error: "
                                f"{exc.msg}; fix the file") from None
    except Exception as exc:  # noqa: BLE001 - a module's own code may raise anything while it is imported
        raise DeviceSourceError(f"device {reference!r}: {type(exc).__name__} while importing {where}: "
                                f"{exc}") from None


def _module_devices(module: ModuleType) -> Dict[str, AnyDevice]:
    return {key: value for key, value in vars(module).items() if not key.startswith("_") and _is_device(value)}


def _from_module(reference: str, module: ModuleType, where: str, name: Optional[str]) -> AnyDevice:
    devices = _module_devices(module)
    if name is None:
        if len(devices) == 1:
            return next(iter(devices.values()))
        listed = ", ".join(devices) or "none"
        raise DeviceSourceError(f"device {reference!r}: {where} defines {len(devices)} devices ({listed}); "
                                f"name one as '{where}:NAME'")
    obj: Any = module
    try:
        for part in name.split("."):
            obj = getattr(obj, part)
    except AttributeError:
        raise DeviceSourceError(f"device {reference!r}: {where} defines no {name!r}; devices it defines: "
                                f"{', '.join(devices) or 'none'}") from None
    if _is_device(obj):
        return obj
    if callable(obj) and not isinstance(obj, type):
        try:
            signature = inspect.signature(obj)
        except (TypeError, ValueError):
            signature = None
        if signature is not None and any(
                p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD,
                                                                    p.KEYWORD_ONLY)
                for p in signature.parameters.values()):
            raise DeviceSourceError(f"device {reference!r}: {name!r} in {where} is a function that takes "
                                    f"arguments {signature}; name a Device, or a function taking none that "
                                    "returns one")
        try:
            made = obj()
        except Exception as exc:  # noqa: BLE001 - the user's code may raise anything
            raise DeviceSourceError(f"device {reference!r}: calling {name}() from {where} raised "
                                    f"{type(exc).__name__}: {exc}") from None
        if _is_device(made):
            return made
        raise DeviceSourceError(f"device {reference!r}: {name}() in {where} returned {_describe_type(made)}, "
                                "not a circuitsim Device or VerilogADevice")
    raise DeviceSourceError(f"device {reference!r}: {name!r} in {where} is {_describe_type(obj)}, not a "
                            "circuitsim Device or VerilogADevice (nor a function taking no argument that "
                            f"returns one); devices it defines: {', '.join(devices) or 'none'}")


def _verilog_a(reference: str, path: Path, module: Optional[str], states: Sequence[VerilogAState]
               ) -> VerilogADevice:
    try:
        return VerilogADevice(path, module, states)
    except VerilogAError as exc:
        message = str(exc)
        if module is None and "modules (" in message:
            message += f"; name one as '{split_reference(reference)[0]}:MODULE'"
        raise DeviceSourceError(f"device {reference!r}: {message}") from None


def resolve_device(ref: Union[str, Path, AnyDevice], *, base_dir: Optional[Union[str, Path]] = None,
                   states: Optional[Sequence[VerilogAState]] = None) -> AnyDevice:
    """The device a reference names (see the module docstring for the syntax).

    Parameters
    ----------
    ref
        A device object, a catalogue name, ``"file.py:NAME"``, ``"file.py"``, ``"package.module:NAME"``,
        ``"model.va"`` or ``"model.va:MODULE"`` (a :class:`~pathlib.Path` is a file).
    base_dir
        Folder that relative file paths are resolved against (an experiment file's folder); default the
        working folder.
    states
        For a Verilog-A file only: where its states live (:class:`~circuitsim.models.verilog_a.VerilogAState`).

    Returns
    -------
    Device or VerilogADevice

    Raises
    ------
    DeviceSourceError
        Unknown catalogue name, missing file, a syntax error or an exception in the user's file (with its
        file and line), a name the file does not define, an object of the wrong type, a Verilog-A file that
        cannot be read or has several modules and none named, ``states`` for something that is not a
        Verilog-A file.
    """
    if _is_device(ref):
        if states is not None:
            raise DeviceSourceError(f"device {getattr(ref, 'name', ref)!r}: states= applies to a Verilog-A file "
                                    "reference only; declare them in the VerilogADevice")
        return ref  # type: ignore[return-value]
    if isinstance(ref, Path):
        where, name = str(ref), None
        reference = str(ref)
    elif isinstance(ref, str):
        reference = ref.strip()
        if not reference:
            raise DeviceSourceError("device '': give a catalogue name (circuitsim models list), "
                                    "'path/to/file.py:NAME' or 'path/to/model.va'")
        where, name = split_reference(reference)
    else:
        raise DeviceSourceError(f"device {ref!r}: {_describe_type(ref)} is not a device reference; give a Device, "
                                "a VerilogADevice, a catalogue name, 'path/to/file.py:NAME' or 'path/to/model.va'")
    suffix = Path(where).suffix.lower()
    if suffix in VERILOG_A_SUFFIXES:
        path = _resolve_path(where, base_dir)
        if not path.is_file():
            raise _missing_file(reference, path, base_dir)
        return _verilog_a(reference, path, name, states or ())
    if states is not None:
        raise DeviceSourceError(f"device {reference!r}: states= applies to a Verilog-A file (.va) only; a Python "
                                "device declares its states itself")
    if suffix == ".py":
        path = _resolve_path(where, base_dir)
        if not path.is_file():
            raise _missing_file(reference, path, base_dir)
        return _from_module(reference, _load(reference, path), where, name)
    if name is not None:
        return _from_module(reference, _load(reference, where), where, name)
    if "/" in where or "\\" in where or suffix:
        raise DeviceSourceError(f"device {reference!r}: not a device reference: a file must end in .py "
                                f"(Python, as 'file.py:NAME') or {' / '.join(VERILOG_A_SUFFIXES)} (Verilog-A)")
    from circuitsim.models.catalogue import DEVICES

    if where in DEVICES:
        return DEVICES[where]
    raise DeviceSourceError(f"device {reference!r}: no device {where!r} in the catalogue (devices: "
                            f"{', '.join(DEVICES)}); for your own device give 'path/to/file.py:NAME', "
                            "'package.module:NAME' or 'path/to/model.va'")


def list_devices(path: Union[str, Path], *, base_dir: Optional[Union[str, Path]] = None) -> Dict[str, AnyDevice]:
    """The devices a user's file defines, by the name a reference uses.

    Parameters
    ----------
    path
        A Python file (its module-level ``Device`` and ``VerilogADevice`` objects, by variable name; functions
        are not called), a Verilog-A file (every module, by module name, without states) or an importable
        module name.

    Raises
    ------
    DeviceSourceError
        As :func:`resolve_device`.
    """
    reference = str(path).strip()
    where = split_reference(reference)[0] if not isinstance(path, Path) else reference
    suffix = Path(where).suffix.lower()
    if suffix in VERILOG_A_SUFFIXES:
        file = _resolve_path(where, base_dir)
        if not file.is_file():
            raise _missing_file(reference, file, base_dir)
        first = _verilog_a(reference, file, _first_module(reference, file), ())
        return {m.name: (first if m.name == first.name else _verilog_a(reference, file, m.name, ()))
                for m in first.modules}
    if suffix == ".py":
        file = _resolve_path(where, base_dir)
        if not file.is_file():
            raise _missing_file(reference, file, base_dir)
        return _module_devices(_load(reference, file))
    if suffix or "/" in where or "\\" in where:
        raise DeviceSourceError(f"{reference!r}: give a .py file, a Verilog-A file "
                                f"({' / '.join(VERILOG_A_SUFFIXES)}) or a module name")
    return _module_devices(_load(reference, where))


def _first_module(reference: str, file: Path) -> Optional[str]:
    from circuitsim.models.verilog_a import parse_verilog_a

    try:
        return parse_verilog_a(file.read_text())[0].name
    except (VerilogAError, OSError, UnicodeDecodeError) as exc:
        raise DeviceSourceError(f"device {reference!r}: {file}: {exc}") from None
