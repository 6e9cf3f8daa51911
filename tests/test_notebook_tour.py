"""examples/notebook_tour.py (a `# %%` notebook) runs as a plain script and shows the short representations."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TOUR = Path(__file__).resolve().parents[1] / "examples" / "notebook_tour.py"


def test_tour_is_in_percent_format():
    text = TOUR.read_text()
    assert text.startswith("# %%") and text.count("\n# %%") >= 5


@pytest.mark.ngspice
def test_notebook_tour_runs_and_prints_short_reprs():
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(TOUR)], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"^<Result engine=batch, 1 analysis \[tran1 \(tran\): \d+ vectors x \d+ points: time, ", out, re.M)
    assert re.search(r"^<AnalysisResult tran1 \(tran\)", out, re.M)
    assert re.search(r"^<CrossbarSolution 32 x 16, 1 input vector, cell LinearCell, method \w+", out, re.M)
    assert "xarray.Dataset" in out and "cell_currents" in out
    assert "same column currents as the solver: True" in out
    # short: no array dump or ngspice log in any representation line
    for line in out.splitlines():
        if line.startswith(("<Result", "<CrossbarSolution", "<AnalysisResult")):
            assert len(line) < 400 and "array(" not in line


def test_result_html_table_is_small_and_escaped():
    import numpy as np

    from circuitsim.spice.result import Result, build_analysis

    n = 100_000
    tran = build_analysis("tran1", [("time", "time", np.linspace(0, 1e-3, n)), ("a<b", "voltage", np.zeros(n))])
    result = Result([tran], log=["ngspice says hello"] * 1000, engine="shared", elapsed=1.5)
    html = result._repr_html_()
    assert html.startswith("<table>") and "tran1" in html and "v(a&lt;b)" in html and "100000" in html
    assert len(html) < 1000 and "ngspice says" not in html
    assert repr(result) == ("<Result engine=shared, 1 analysis [tran1 (tran): 2 vectors x 100000 points: time, "
                            "v(a<b)], 2 vectors, elapsed 1.5 s>")
