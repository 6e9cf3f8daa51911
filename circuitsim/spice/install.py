"""How to install ngspice and its shared library on this platform: one paragraph naming the command.

Every message that says ngspice is missing (``circuitsim doctor``, the engines, the toolchain) takes
its advice from :func:`install_hint`, so it names the right command per platform (Debian 12 with
backports, Debian 13 / Ubuntu, Fedora, Arch, macOS, conda-forge, Windows).  Only Linux is tested.
"""

from __future__ import annotations

import os
import sys
from typing import Dict, Mapping, Optional

__all__ = ["install_hint", "os_release"]

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
    from circuitsim.spice.toolchain import MIN_VERSION, library_names

    need = f"circuitsim needs ngspice >= {MIN_VERSION} (built with KLU) and its shared library."
    platform = platform or sys.platform
    environ = os.environ if environ is None else environ
    if release is None:
        release = os_release() if platform.startswith("linux") else {}
    ids = {release.get("ID", "").lower(), *release.get("ID_LIKE", "").lower().split()} - {""}
    conda = f"With conda (any platform): '{_CONDA}' (ngspice and libngspice from conda-forge)."
    if environ.get("CONDA_PREFIX"):
        return f"{need} In this conda environment: '{_CONDA}'."
    if platform.startswith("darwin"):
        text = "On macOS with Homebrew: 'brew install ngspice libngspice'."
    elif platform.startswith(("win32", "cygwin", "msys")):
        names = " or ".join(library_names("win32"))
        return (f"{need} On Windows: '{_CONDA}', or the 64-bit ngspice from ngspice.sourceforge.io with "
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
    return f"{need} {text} {conda}"
