"""Platform branches that only Linux runs here, tested by calling them with an explicit platform: the library
names and folders searched, the install hint per system, the worker's parent watch."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

import pytest

from circuitsim.doctor import install_hint, os_release
from circuitsim.spice.shared_worker import watch_parent
from circuitsim.spice.toolchain import find_library, library_candidates, library_names


@pytest.mark.parametrize("platform, names", [
    ("linux", ("libngspice.so", "libngspice.so.0")),
    ("darwin", ("libngspice.dylib", "libngspice.0.dylib")),
    ("win32", ("ngspice.dll", "libngspice-0.dll")),
    ("freebsd14", ("libngspice.so", "libngspice.so.0")),
])
def test_library_names_per_platform(platform, names):
    assert library_names(platform) == names


def test_library_candidates_search_conda_and_the_programs_prefix_first():
    darwin = library_candidates("darwin", {"CONDA_PREFIX": "/opt/conda/envs/cs"}, "/opt/tools/bin/ngspice")
    assert darwin[:4] == ["/opt/conda/envs/cs/lib/libngspice.dylib", "/opt/conda/envs/cs/lib/libngspice.0.dylib",
                          "/opt/tools/lib/libngspice.dylib", "/opt/tools/lib/libngspice.0.dylib"]
    assert "/opt/homebrew/lib/libngspice.dylib" in darwin
    windows = library_candidates("win32", {"CONDA_PREFIX": "C:\\conda\\envs\\cs"}, "C:\\Spice64\\bin\\ngspice.exe")
    assert windows[0] == "C:\\conda\\envs\\cs\\Library\\bin\\ngspice.dll"
    assert "C:\\Spice64\\bin\\ngspice.dll" in windows
    linux = library_candidates("linux", {}, None)
    assert "/usr/lib/x86_64-linux-gnu/libngspice.so" in linux and "/usr/lib64/libngspice.so.0" in linux
    assert not any(c.endswith((".dylib", ".dll")) for c in linux)


def test_circuitsim_libngspice_overrides_the_search(monkeypatch, tmp_path):
    library = tmp_path / "my-libngspice.so"
    library.write_bytes(b"")
    monkeypatch.setenv("CIRCUITSIM_LIBNGSPICE", str(library))
    monkeypatch.setenv("NGSPICE_LIBRARY_PATH", "/elsewhere/libngspice.so")
    assert find_library() == str(library)
    monkeypatch.setenv("CIRCUITSIM_LIBNGSPICE", str(tmp_path / "missing.so"))
    assert find_library() is None   # a wrong override is not silently replaced by another library


def test_a_wrong_override_is_named(monkeypatch, tmp_path):
    from circuitsim.spice.errors import NgspiceNotFoundError
    from circuitsim.spice.toolchain import require_library

    monkeypatch.setenv("CIRCUITSIM_LIBNGSPICE", str(tmp_path / "missing.so"))
    with pytest.raises(NgspiceNotFoundError, match=r"\$CIRCUITSIM_LIBNGSPICE names .*missing.so.*not a file"):
        require_library()


@pytest.mark.parametrize("platform, release, command", [
    ("linux", {"ID": "debian", "VERSION_ID": "12"}, "apt-get install -t bookworm-backports ngspice libngspice0"),
    ("linux", {"ID": "debian", "VERSION_ID": "13"}, "sudo apt-get install ngspice libngspice0 libngspice0-dev"),
    ("linux", {"ID": "ubuntu", "ID_LIKE": "debian", "VERSION_ID": "24.04"}, "sudo apt-get install ngspice"),
    ("linux", {"ID": "linuxmint", "ID_LIKE": "ubuntu debian"}, "sudo apt-get install ngspice"),
    ("linux", {"ID": "fedora", "VERSION_ID": "41"}, "sudo dnf install ngspice libngspice"),
    ("linux", {"ID": "arch"}, "sudo pacman -S ngspice"),
    ("linux", {"ID": "manjaro", "ID_LIKE": "arch"}, "sudo pacman -S ngspice"),
    ("darwin", {}, "brew install ngspice libngspice"),
    ("win32", {}, "conda install -c conda-forge ngspice"),
    ("linux", {"ID": "gentoo"}, "sudo dnf install ngspice libngspice"),   # unknown: the common commands
])
def test_install_hint_names_the_command_of_the_platform(platform, release, command):
    hint = install_hint(platform, release, environ={})
    assert command in hint
    assert "ngspice >= 42" in hint
    if platform == "win32":
        assert "CIRCUITSIM_LIBNGSPICE" in hint and "batch engine" in hint
    else:
        assert "conda install -c conda-forge ngspice" in hint          # the route that works everywhere
    if platform == "darwin":
        assert "apt-get" not in hint and "dnf" not in hint


def test_install_hint_inside_conda_names_conda_forge_only():
    hint = install_hint("linux", {"ID": "debian", "VERSION_ID": "12"}, environ={"CONDA_PREFIX": "/opt/conda"})
    assert "conda install -c conda-forge ngspice" in hint and "apt-get" not in hint


def test_os_release_reads_quoted_values(tmp_path):
    path = tmp_path / "os-release"
    path.write_text('NAME="Fedora Linux"\nID=fedora\nVERSION_ID=41\n# comment\nID_LIKE="rhel centos"\n')
    assert os_release(str(path)) == {"NAME": "Fedora Linux", "ID": "fedora", "VERSION_ID": "41",
                                     "ID_LIKE": "rhel centos"}
    assert os_release(str(tmp_path / "none")) == {}


def test_parent_watch_only_where_the_kernel_does_not_kill_the_worker():
    assert watch_parent(os.getppid(), platform="linux") is False


_GRANDCHILD = """
import os, sys, time
from circuitsim.spice.shared_worker import watch_parent
assert watch_parent(os.getppid(), platform="darwin", interval=0.05)   # the macOS branch, run here
print(os.getpid(), flush=True)
time.sleep(120)
"""
_CHILD = """
import subprocess, sys
fd = int(sys.argv[2])
grandchild = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=subprocess.PIPE, text=True, pass_fds=(fd,),
                              stderr=subprocess.DEVNULL)
print(grandchild.stdout.readline().strip(), flush=True)   # the watch runs: leave it orphaned
"""


def test_the_parent_watch_ends_an_orphaned_worker():
    # The grandchild holds the write end of a pipe: the read end sees end-of-file when it has ended.
    read_end, write_end = os.pipe()
    try:
        child = subprocess.run([sys.executable, "-c", _CHILD, _GRANDCHILD, str(write_end)], capture_output=True,
                               text=True, timeout=60, pass_fds=(write_end,))
        os.close(write_end)
        pid = int(child.stdout.strip())
        ready, _, _ = select.select([read_end], [], [], 60)  # not a speed requirement: it looks every 0.05 s
        if not ready:
            os.kill(pid, signal.SIGKILL)
            pytest.fail("the orphaned worker did not end")
        assert os.read(read_end, 1) == b""
    finally:
        os.close(read_end)
