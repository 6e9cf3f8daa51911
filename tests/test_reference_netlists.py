"""The files in netlists/ equal what the generators write now, and run as they are in ngspice -b."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from circuitsim.netlists.reference import REFERENCE_NETLISTS
from circuitsim.spice.rawfile import read_raw

FOLDER = Path(__file__).resolve().parents[1] / "netlists"


@pytest.mark.parametrize("name", sorted(REFERENCE_NETLISTS))
def test_checked_in_file_matches_generator(name):
    path = FOLDER / name
    assert path.exists(), f"{path} missing: run `circuitsim netlists export netlists/`"
    assert path.read_text() == REFERENCE_NETLISTS[name](), (
        f"{path} is stale: run `circuitsim netlists export netlists/` and commit the result")


@pytest.mark.ngspice
@pytest.mark.parametrize("name", sorted(REFERENCE_NETLISTS))
def test_runs_in_plain_ngspice_batch(name, tmp_path, ngspice_path):
    raw = tmp_path / "out.raw"
    proc = subprocess.run([ngspice_path, "-b", "-r", str(raw), str(FOLDER / name)], capture_output=True, text=True,
                          timeout=300)
    assert "error" not in (proc.stdout + proc.stderr).lower(), proc.stdout + proc.stderr
    plots = read_raw(raw)
    assert plots and plots[-1].data.shape[0] > 10


@pytest.mark.ngspice
@pytest.mark.parametrize("name", sorted(REFERENCE_NETLISTS))
def test_runs_without_a_raw_file(name, ngspice_path):
    """`ngspice -b FILE` alone (no -r) must simulate: each deck prints something (.meas / .print)."""
    proc = subprocess.run([ngspice_path, "-b", str(FOLDER / name)], capture_output=True, text=True, timeout=300,
                          cwd=FOLDER)
    output = proc.stdout + proc.stderr
    assert "no simulations run" not in output and "error" not in output.lower(), output
