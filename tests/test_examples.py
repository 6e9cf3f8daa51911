"""Every script in examples/ runs (its fast variant) and prints what its README section promises.

The examples are users' code on the public interface; each comparison they print is checked here against
an independent figure: example 1's ngspice and OSDI runs against the Python reference (1e-3 of the range,
the three-way tolerance of the device tests), example 4's clustering purity against chance (1/3 of the
patterns per letter: a purity of 1.0 means every output holds one letter).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(script: str, tmp_path: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, script, "--out", str(tmp_path / "out"), *args], cwd=EXAMPLES,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_example_is_tested():
    scripts = sorted(p.name for p in EXAMPLES.glob("[0-9][0-9]_*.py"))
    tested = sorted(re.findall(r'"(\d\d_\w+\.py)"', Path(__file__).read_text()))
    assert scripts and scripts == sorted(set(tested))


@pytest.mark.ngspice
def test_example_1_own_memristor_matches_its_reference(tmp_path):
    out = _run("01_own_memristor.py", tmp_path, "--fast")
    errors = [float(v) for v in re.findall(r"current ([0-9.e+-]+), state x ([0-9.e+-]+)", out)[0]]
    assert max(errors) < 1e-3
    assert (tmp_path / "out" / "iv_loop.png").stat().st_size > 0


@pytest.mark.ngspice
def test_example_2_own_verilog_a_in_a_crossbar(tmp_path):
    """The fast solver on the Verilog-A cells' 1 mV conductances against a read of the real Verilog-A array
    in ngspice: equal up to the cells' sinh I-V, (v/v_nl)^2/6 = 2.7 % at 0.2 V, the same for every column
    (spread < 1e-2: the IR drop shifts cell voltages by < 3 %, changing that factor by < 0.2 %)."""
    out = _run("02_own_verilog_a.py", tmp_path, "--fast")
    ratio, spread = (float(v) for v in re.search(r"conductances: ([0-9.]+) .*spread over columns ([0-9.e+-]+)",
                                                 out).groups())
    assert ratio == pytest.approx(1 + 0.4 ** 2 / 6, abs=5e-3) and spread < 1e-2
    set_, reset = (float(v) for v in re.search(r"SET cells x \+([0-9.]+), RESET cells x (-[0-9.]+)", out).groups())
    assert set_ > 0.01 and reset < -0.01
    assert (tmp_path / "out" / "irdrop" / "effective_voltage_map.png").exists()


@pytest.mark.ngspice
def test_example_3_own_rules_train_the_perceptron(tmp_path):
    out = _run("03_own_learning_rule.py", tmp_path, "--fast")
    lines = {label: line for line in out.splitlines() for label in ("built-in", "stochastic", "thresholded")
             if label in line}
    assert len(lines) == 3
    pulses = {k: int(re.search(r"pulses (\d+)", v).group(1)) for k, v in lines.items()}
    assert 0 < pulses["stochastic"] < pulses["built-in"]          # p = 0.5 issues about half the pulses


@pytest.mark.ngspice
def test_example_4_own_experiment_clusters_the_letters(tmp_path):
    out = _run("04_own_experiment_wta.py", tmp_path, "--fast")
    purity = [float(v) for v in re.search(r"purity per step: ([0-9. ]+);", out).group(1).split()]
    assert len(purity) == 3 and purity[-1] > 1 / 3 and purity[-1] >= purity[0]
    assert (tmp_path / "out" / "report.json").exists() and (tmp_path / "out" / "templates.png").exists()
