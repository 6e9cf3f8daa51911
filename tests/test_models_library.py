"""models/ equals what the generator writes; the .lib files work from plain ngspice; the models CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from circuitsim.models.catalogue import DEVICES
from circuitsim.models.library import library_files
from circuitsim.spice.rawfile import read_raw

MODELS = Path(__file__).resolve().parents[1] / "models"


def test_models_folder_matches_generator():
    expected = library_files()
    present = {p.name for p in MODELS.glob("*.lib")} | {p.name for p in MODELS.glob("*.va")}
    assert present == set(expected), "run `circuitsim models export models/ --overwrite` and commit the result"
    for name, text in expected.items():
        assert (MODELS / name).read_text() == text, \
            f"models/{name} is stale: run `circuitsim models export models/ --overwrite`"


@pytest.mark.ngspice
@pytest.mark.parametrize("name", sorted(DEVICES))
def test_lib_include_works_from_plain_ngspice(name, tmp_path, ngspice_path):
    device = DEVICES[name]
    stimulus = device.stimulus
    deck = tmp_path / "deck.cir"
    period = 1 / stimulus["frequency"]
    deck.write_text(
        f"include {name}\n.include {MODELS / (name + '.lib')}\n"
        f"V1 a 0 sin(0 {stimulus['amplitude']} {stimulus['frequency']})\n"
        f"X1 a 0 {name}\n.tran {period / 200} {period} 0 {period / 200} uic\n.end\n")
    raw = tmp_path / "out.raw"
    proc = subprocess.run([ngspice_path, "-b", "-r", str(raw), str(deck)], capture_output=True, text=True,
                          timeout=120)
    assert "error" not in (proc.stdout + proc.stderr).lower(), proc.stdout + proc.stderr
    (plot,) = read_raw(raw)
    names = [n for n, _ in plot.variables]
    assert "i(v1)" in names and any(n.startswith("v(x1.s_") for n in names)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "circuitsim", "models", *args], capture_output=True, text=True,
                          timeout=120)


def test_cli_list_and_show_json():
    listed = _cli("list")
    assert listed.returncode == 0 and listed.stdout.split() == sorted(DEVICES)
    shown = _cli("show", "lid_biolek", "--json")
    info = json.loads(shown.stdout)
    assert set(info) >= {"name", "ports", "params", "states", "reference"}
    assert info["ports"] == ["p", "n"]
    assert {"name", "default", "unit", "doc"} <= set(info["params"][0])
    (state,) = info["states"]
    assert state == {**state, "name": "x", "initial_param": "x0", "lower": 0.0, "upper": 1.0}
    missing = _cli("show", "no_such_device")
    assert missing.returncode == 2 and "no device 'no_such_device'" in missing.stderr


def test_every_device_has_a_datasheet():
    docs = MODELS.parent / "docs" / "models"
    for name, device in DEVICES.items():
        page = docs / f"{name}.md"
        assert page.exists() and (docs / f"{name}_iv.png").exists(), \
            f"run `circuitsim models datasheets docs/models` for {name}"
        text = page.read_text()
        assert all(p.name in text for p in device.params), f"{page} is stale: regenerate it"


@pytest.mark.slow
@pytest.mark.ngspice
def test_datasheet_generator_writes_pages_and_plots(tmp_path):
    from circuitsim.analysis.datasheets import write_datasheets

    written = write_datasheets(tmp_path)
    assert {p.name for p in written} >= {f"{n}.md" for n in DEVICES} | {f"{n}_iv.png" for n in DEVICES}
    assert "| `ron` |" in (tmp_path / "pershin.md").read_text()


def test_emitted_text_does_not_depend_on_sympy_global_settings():
    # lcapy changes sympy's global term order on import; the printers must not follow it.
    code = ("from circuitsim.models.library import library_files\nbefore = library_files()\nimport lcapy\n"
            "after = library_files()\nprint(sorted(n for n in before if before[n] != after[n]))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_datasheet_index_lists_every_device():
    from circuitsim.analysis.datasheets import datasheet_index

    assert (MODELS.parent / "docs" / "models" / "README.md").read_text() == datasheet_index(), \
        "run `circuitsim models datasheets docs/models` (or write datasheet_index()) and commit"
