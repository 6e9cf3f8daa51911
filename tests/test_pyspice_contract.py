"""The shared engine's contract with PySpice's internals: the installed PySpice keeps it, pyproject pins the tested
series, and a PySpice that renames or re-signs a private member the worker replaces is refused, naming it."""

from __future__ import annotations

import sys
import types
from importlib.metadata import version
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib") if sys.version_info >= (3, 11) else pytest.importorskip("tomli")
from packaging.requirements import Requirement  # noqa: E402 - after the toml reader's skip

from circuitsim.spice import shared_worker  # noqa: E402
from circuitsim.spice.shared_worker import PYSPICE_TESTED, pyspice_contract_problems  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _pyspice_module():
    return pytest.importorskip("PySpice.Spice.NgSpice.Shared")


def test_installed_pyspice_keeps_the_contract():
    assert pyspice_contract_problems() == []


def test_pyproject_pins_the_tested_series_and_the_installed_version_is_in_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (pyspice,) = [Requirement(r) for r in project["dependencies"] if Requirement(r).name.lower() == "pyspice"]
    assert str(pyspice.specifier) == str(Requirement(f"PySpice{PYSPICE_TESTED}").specifier)
    assert any(spec.operator == "<" for spec in pyspice.specifier), "the PySpice dependency must have an upper bound"
    assert pyspice.specifier.contains(version("PySpice"))


def _changed_module(**changes):
    """A copy of PySpice's module whose NgSpiceShared has ``changes`` (None deletes a member)."""
    real = _pyspice_module()
    namespace = {k: v for k, v in vars(real.NgSpiceShared).items() if k not in ("__dict__", "__weakref__")}
    for name, value in changes.items():
        if value is None:
            namespace.pop(name, None)
        else:
            namespace[name] = value
    module = types.ModuleType("changed_pyspice")
    module.__file__ = real.__file__
    module.ffi = real.ffi
    module.NgSpiceShared = type("NgSpiceShared", (), namespace)
    return module


def test_a_removed_callback_is_named():
    problems = pyspice_contract_problems(_changed_module(_exit=None))
    assert problems == ["NgSpiceShared._exit is missing"]


def test_a_re_signed_callback_is_named_with_both_signatures():
    def _send_char(message, user_data):  # one parameter fewer than libngspice passes
        return 0

    problems = pyspice_contract_problems(_changed_module(_send_char=staticmethod(_send_char)))
    assert len(problems) == 1
    assert "NgSpiceShared._send_char takes (message, user_data)" in problems[0]
    assert "(message, ngspice_id, user_data)" in problems[0]


def test_a_callback_no_longer_registered_by_pyspice_is_named():
    def _init_ngspice(self, send_data):  # registers nothing: the worker's replacements would never run
        return None

    problems = pyspice_contract_problems(_changed_module(_init_ngspice=_init_ngspice))
    assert any("_init_ngspice no longer does 'self._exit)'" in p for p in problems)


def test_a_changed_api_header_is_named():
    api = (Path(_pyspice_module().__file__).parent / "api.h").read_text()
    changed = api.replace("bool ngSpice_SetBkpt (double);", "").replace("int v_length;", "long v_length;")
    problems = pyspice_contract_problems(_pyspice_module(), api_text=changed)
    assert "api.h no longer declares 'bool ngSpice_SetBkpt (double);'" in problems
    assert "api.h's vector_info.v_length is long, not int" in problems


class _Connection:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)


def test_the_worker_refuses_to_start_on_a_broken_contract_and_says_what_to_do(monkeypatch):
    monkeypatch.setattr(shared_worker, "pyspice_contract_problems", lambda: ["NgSpiceShared._exit is missing"])
    conn = _Connection()
    shared_worker.worker_main(conn, "/nonexistent/libngspice.so")
    (message,) = conn.sent
    assert message["contract"] is True
    assert "NgSpiceShared._exit is missing" in message["fatal"]
    assert f"pip install 'PySpice{PYSPICE_TESTED}'" in message["fatal"]
    assert "--engine batch" in message["fatal"]
