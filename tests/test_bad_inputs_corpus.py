"""The hostile-input corpus of every entry point (tests/data/bad/manifest.toml).

Each case runs ``circuitsim ARGS`` (in this process, through :func:`circuitsim.cli.main`) in a fresh folder
holding the case's files, and asserts: its exit status (2 unless the case says otherwise), no traceback, its
specific message fragments on stderr (one paragraph), and that nothing in the folder or in
``tests/data/bad/`` was written, changed or removed.

Manifest keys of a ``[[case]]``: ``id``, ``entry`` (the entry point it exercises), ``args`` (``{work}``: the
case's folder, ``{bad}``: tests/data/bad, ``{port}``: a loopback port nobody listens on, ``{banner}``: a
loopback port whose service greets like SSH), ``expect`` (fragments of stderr, case and spacing ignored),
``stdout`` (fragments of stdout), ``status``, ``files`` (name -> text), ``latin1`` (name -> text written
as Latin-1), ``npy`` (name -> {shape, value, dtype, header_only}), ``fifos``, ``dirs``, ``env``,
``long_line`` (name -> [prefix, count, suffix]), ``slow``.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

pytestmark = pytest.mark.ngspice

BAD = Path(__file__).parent / "data" / "bad"
MANIFEST = tomllib.loads((BAD / "manifest.toml").read_text())
CASES = MANIFEST["case"]
ENTRY_POINTS = ("simulate", "crossbar", "irdrop", "run", "demo", "sweep", "models", "netlists", "doctor", "signals")


def _snapshot(folder: Path) -> Dict[str, str]:
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if "__pycache__" in rel:
            continue
        if path.is_fifo():
            out[rel] = "fifo"
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _BannerServer:
    """A loopback service that greets every connection like SSH (the wrong service for a scheduler)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            try:
                conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
                time.sleep(0.2)
            except OSError:
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


def _prepare(case: Dict[str, Any], work: Path, subst: Dict[str, str]) -> None:
    def fill(text: str) -> str:
        for key, value in subst.items():
            text = text.replace("{" + key + "}", value)
        return text

    for name in case.get("dirs", []):
        (work / name).mkdir(parents=True, exist_ok=True)
    for name, text in case.get("files", {}).items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(fill(text))
    for name, text in case.get("latin1", {}).items():
        (work / name).write_bytes(fill(text).encode("latin-1"))
    for name, (prefix, count, suffix) in case.get("long_line", {}).items():
        (work / name).write_text(fill(prefix) + "x" * int(count) + fill(suffix))
    for name, spec in case.get("npy", {}).items():
        shape = tuple(spec["shape"])
        dtype = np.dtype(spec.get("dtype", "float64"))
        if spec.get("header_only"):                       # a header claiming a huge array, no data
            with open(work / name, "wb") as fh:
                np.lib.format.write_array_header_1_0(fh, {"descr": dtype.str, "fortran_order": False, "shape": shape})
        elif dtype.kind == "O":
            np.save(work / name, np.array([{"a": 1}] * int(np.prod(shape)), dtype=object).reshape(shape),
                    allow_pickle=True)
        else:
            np.save(work / name, np.full(shape, float(spec.get("value", 1e-5))).astype(dtype))
    for name in case.get("fifos", []):
        os.mkfifo(work / name)
    for name, mode in case.get("modes", {}).items():
        os.chmod(work / name, int(mode, 8))


def _params() -> List[Any]:
    return [pytest.param(case, id=case["id"], marks=[pytest.mark.slow] if case.get("slow") else [])
            for case in CASES]


def test_manifest_is_a_corpus_of_every_entry_point():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    by_entry: Dict[str, int] = {}
    for case in CASES:
        assert case["entry"] in ENTRY_POINTS, case["id"]
        assert case.get("expect") or case.get("stdout"), f"{case['id']}: say what the message must contain"
        by_entry[case["entry"]] = by_entry.get(case["entry"], 0) + 1
    signal_cases = len(SIGNAL_CASES)
    assert len(CASES) + signal_cases >= 100
    missing = [e for e in ENTRY_POINTS if e not in by_entry and e != "signals"]
    assert not missing, f"no case for {missing}"


@pytest.mark.parametrize("case", _params())
def test_hostile_input(case, tmp_path, monkeypatch, capsys):
    from circuitsim.cli import main
    from circuitsim.spice.toolchain import probe

    work = tmp_path / "work"
    work.mkdir()
    banner = _BannerServer() if any("{banner}" in a for a in case["args"]) else None
    subst = {"work": str(work), "bad": str(BAD), "port": str(_free_port()),
             "banner": str(banner.port if banner else 0), "python": sys.executable}
    try:
        _prepare(case, work, subst)
        for key, value in case.get("env", {}).items():
            for k, v in subst.items():
                value = value.replace("{" + k + "}", v)
            monkeypatch.setenv(key, value)
        probe.cache_clear()
        monkeypatch.chdir(work)
        before, bad_before = _snapshot(work), _snapshot(BAD)
        args = list(case["args"])
        for k, v in subst.items():
            args = [a.replace("{" + k + "}", v) for a in args]
        try:
            status = main(args)
        except SystemExit as exc:                          # argparse's own usage errors
            status = exc.code
        out, err = capsys.readouterr()
    finally:
        probe.cache_clear()
        if banner is not None:
            banner.close()
    assert status == case.get("status", 2), f"status {status}\nstdout: {out}\nstderr: {err}"
    assert "Traceback" not in err and "internal error" not in err, err
    text = " ".join(err.split()).lower()
    for fragment in case.get("expect", []):
        assert " ".join(fragment.lower().split()) in text, f"{fragment!r} not in:\n{err}"
    for fragment in case.get("stdout", []):
        assert " ".join(fragment.lower().split()) in " ".join(out.split()).lower(), f"{fragment!r} not in:\n{out}"
    if case.get("status", 2) == 2:
        assert err.startswith("circuitsim: error: ") or err.startswith("usage:"), err
        assert "\n\n" not in err.strip(), "one paragraph"
        assert len(err) < 4000, f"a message of {len(err)} characters"
    assert _snapshot(work) == before, "the command wrote, changed or removed files"
    assert _snapshot(BAD) == bad_before


# --------------------------------------------------------------------------- signals

ENDLESS = "endless\nV1 in 0 pulse(0 1 0 1e-9 1e-9 1e-6 2e-6)\nR1 in out 1000\nC1 out 0 1e-9\n.tran 1e-10 1e-2 0 1e-10\n.end\n"
#: (id, command after the deck and --out, the process to signal)
SIGNAL_CASES = [
    ("sigterm-simulate-batch", ["--engine", "batch"], signal.SIGTERM),
    pytest.param("sigterm-simulate-shared", ["--engine", "shared"], signal.SIGTERM, marks=pytest.mark.slow),
    pytest.param("sigint-simulate-batch", ["--engine", "batch"], signal.SIGINT, marks=pytest.mark.slow),
]


@pytest.mark.parametrize("name,extra,signum", SIGNAL_CASES,
                         ids=["sigterm-simulate-batch", "sigterm-simulate-shared", "sigint-simulate-batch"])
def test_signal_cleans_up_and_writes_nothing(name, extra, signum, tmp_path):
    import psutil

    deck = tmp_path / "endless.cir"
    deck.write_text(ENDLESS)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    proc = subprocess.Popen([sys.executable, "-m", "circuitsim", "simulate", str(deck), "--out",
                             str(tmp_path / "x.npz"), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:                 # until ngspice (or its worker) runs
            kids = psutil.Process(proc.pid).children(recursive=True)
            if any(k.name() == "ngspice" or "shared_worker" in " ".join(k.cmdline()) for k in kids):
                break
            time.sleep(0.1)
        time.sleep(0.5)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == (143 if signum == signal.SIGTERM else 130), err
    assert "Traceback" not in err
    assert not (tmp_path / "x.npz").exists()
    assert [p.name for p in scratch.iterdir() if p.name.startswith("circuitsim-")] == []
    gone, alive = psutil.wait_procs(kids, timeout=10)
    assert not alive
