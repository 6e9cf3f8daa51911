"""Raw-file reader: binary and ASCII files written by ngspice itself agree; truncated files keep whole rows."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from circuitsim.spice.rawfile import RawFileError, read_raw, read_raw_results

pytestmark = pytest.mark.ngspice

DECK = """raw check
V1 in 0 dc 1 ac 1 sin(0 1 1e3)
R1 in out 1000
C1 out 0 1e-7
.control
set filetype={kind}
op
write {path}
set appendwrite
tran 1e-5 2e-3
write {path}
ac dec 10 10 1e5
write {path}
.endc
.end
"""


def _write(tmp_path, kind, ngspice_path):
    path = tmp_path / f"{kind}.raw"
    deck = tmp_path / f"{kind}.cir"
    deck.write_text(DECK.format(kind=kind, path=path))
    subprocess.run([ngspice_path, "-b", str(deck)], capture_output=True, check=False, timeout=60)
    return path


def test_binary_and_ascii_files_agree(tmp_path, ngspice_path):
    binary = read_raw(_write(tmp_path, "binary", ngspice_path))
    ascii_ = read_raw(_write(tmp_path, "ascii", ngspice_path))
    assert [p.plotname for p in binary] == ["Operating Point", "Transient Analysis", "AC Analysis"]
    assert [p.plotname for p in ascii_] == [p.plotname for p in binary]
    for b, a in zip(binary, ascii_):
        assert b.variables == a.variables
        assert b.complex_data == a.complex_data
        # Tolerance: ASCII files carry 15 significant digits.
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-300)
    assert binary[2].complex_data and np.iscomplexobj(binary[2].data)
    op = binary[0]
    v_out = op.data[0, [name for name, _ in op.variables].index("v(out)")]
    assert v_out == pytest.approx(1.0)


def test_results_get_shared_library_plot_names(tmp_path, ngspice_path):
    results = read_raw_results(_write(tmp_path, "binary", ngspice_path))
    assert [r.plot_name for r in results] == ["op1", "tran1", "ac1"]
    assert results[1].unit("time") == "s" and results[2].unit("frequency") == "Hz"


def test_truncated_file_keeps_complete_rows(tmp_path, ngspice_path):
    path = _write(tmp_path, "binary", ngspice_path)
    plots = read_raw(path)
    blob = path.read_bytes()
    tran_start = blob.index(b"Title:", blob.index(b"Binary:"))  # second plot header
    tran_data = blob.index(b"Binary:\n", tran_start) + len(b"Binary:\n")
    width = 8 * len(plots[1].variables)
    cut = tran_data + 7 * width + width // 2  # seven whole rows and half of the eighth
    truncated = tmp_path / "truncated.raw"
    truncated.write_bytes(blob[:cut])
    partial = read_raw(truncated)
    assert len(partial) == 2 and partial[1].data.shape == (7, len(plots[1].variables))
    np.testing.assert_array_equal(partial[1].data, plots[1].data[:7])


def test_garbage_is_refused(tmp_path):
    bad = tmp_path / "bad.raw"
    bad.write_bytes(b"Title: x\nno colon here\n")
    with pytest.raises(RawFileError):
        read_raw(bad)
