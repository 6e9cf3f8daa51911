"""circuitsim.interop.badcrossbar.compute: badcrossbar's arguments, shapes, node/segment layout and signs.

Checked three ways: a hand-solved 1 x 1 and 1 x 2 array (the conventions), an independent dense
nodal solve of badcrossbar's circuit written here, and badcrossbar itself where it is installed
(scripts/setup.sh installs it without its plotting dependency pycairo).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

from circuitsim.interop import badcrossbar as ours

RTOL = 1e-9   # relative to the largest magnitude of each array: both sides solve the same linear system


def close(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.shape == expected.shape
    scale = max(float(np.max(np.abs(expected))), 1e-300)
    assert np.max(np.abs(actual - expected)) <= RTOL * scale


def nodal(v: np.ndarray, r: np.ndarray, r_word: float, r_bit: float):
    """Dense nodal analysis of badcrossbar's circuit, one example (v: (m,)), finite wires > 0.

    Unknowns: word-line node (i, j) at i*n + j, bit-line node (i, j) at m*n + i*n + j.
    Word line i: source -> r_word -> (i, 0) -> r_word -> (i, 1) ...; bit line j: (0, j) -> r_bit ->
    (1, j) ... (m-1, j) -> r_bit -> ground (the output).
    """
    m, n = r.shape
    size = 2 * m * n
    a = np.zeros((size, size))
    b = np.zeros(size)

    def w(i, j):
        return i * n + j

    def c(i, j):
        return m * n + i * n + j

    def stamp(x, y, g):
        a[x, x] += g
        a[y, y] += g
        a[x, y] -= g
        a[y, x] -= g

    gw, gb = 1.0 / r_word, 1.0 / r_bit
    for i in range(m):
        a[w(i, 0), w(i, 0)] += gw
        b[w(i, 0)] += gw * v[i]
        for j in range(n):
            if np.isfinite(r[i, j]):
                stamp(w(i, j), c(i, j), 1.0 / r[i, j])
            if j + 1 < n:
                stamp(w(i, j), w(i, j + 1), gw)
            if i + 1 < m:
                stamp(c(i, j), c(i + 1, j), gb)
    for j in range(n):
        a[c(m - 1, j), c(m - 1, j)] += gb
    x = np.linalg.solve(a, b)
    word = x[: m * n].reshape(m, n)
    bit = x[m * n:].reshape(m, n)
    device = np.where(np.isfinite(r), (word - bit) / r, 0.0)
    word_seg = np.empty((m, n))
    word_seg[:, 0] = (v - word[:, 0]) / r_word
    word_seg[:, 1:] = (word[:, :-1] - word[:, 1:]) / r_word
    bit_seg = np.empty((m, n))
    bit_seg[:-1] = (bit[:-1] - bit[1:]) / r_bit
    bit_seg[-1] = bit[-1] / r_bit
    return bit[-1] / r_bit, device, word_seg, bit_seg, word, bit


def test_one_cell_by_hand():
    # 1 V through r_i = 1 (word segment), 2 ohm (device), r_i = 1 (bit segment): 0.25 A everywhere.
    s = ours.compute(np.array([[1.0]]), np.array([[2.0]]), r_i=1.0)
    assert s.currents.output.shape == (1, 1) and s.currents.device.shape == (1, 1)
    for value in (s.currents.output, s.currents.device, s.currents.word_line, s.currents.bit_line):
        assert value[0, 0] == pytest.approx(0.25, rel=1e-12)
    assert s.voltages.word_line[0, 0] == pytest.approx(0.75, rel=1e-12)
    assert s.voltages.bit_line[0, 0] == pytest.approx(0.25, rel=1e-12)


def test_segments_run_away_from_the_source_and_towards_the_output():
    # One word line, two bit lines, ideal bit lines: word segment 0 carries both devices, segment 1 the second.
    s = ours.compute(np.array([[1.0]]), np.array([[10.0, 10.0]]), r_i_word_line=1.0, r_i_bit_line=0.0)
    i2 = s.currents.device[0, 1]
    assert s.currents.word_line[0, 0] == pytest.approx(s.currents.device.sum(), rel=1e-12)
    assert s.currents.word_line[0, 1] == pytest.approx(i2, rel=1e-12)
    assert s.currents.device[0, 0] > i2 > 0                  # the far device sees less voltage
    np.testing.assert_allclose(s.currents.output[0], s.currents.device[0], rtol=1e-12)
    np.testing.assert_allclose(s.voltages.bit_line, 0.0)


@pytest.mark.parametrize("r_word, r_bit", [(0.5, 0.5), (3.0, 0.2), (40.0, 40.0)])
def test_matches_an_independent_nodal_solve(r_word, r_bit):
    rng = np.random.default_rng(7)
    m, n, p = 6, 4, 3
    r = rng.uniform(1e3, 1e4, (m, n))
    r[1, 2] = np.inf                                            # an absent device
    v = rng.uniform(-0.3, 1.0, (m, p))
    s = ours.compute(v, r, r_i_word_line=r_word, r_i_bit_line=r_bit)
    assert s.currents.output.shape == (p, n)
    for k in range(p):
        out, device, word_seg, bit_seg, word, bit = nodal(v[:, k], r, r_word, r_bit)
        close(s.currents.output[k], out)
        close(s.currents.device[:, :, k], device)
        close(s.currents.word_line[:, :, k], word_seg)
        close(s.currents.bit_line[:, :, k], bit_seg)
        close(s.voltages.word_line[:, :, k], word)
        close(s.voltages.bit_line[:, :, k], bit)
    assert np.all(s.currents.device[1, 2] == 0.0)


def test_options_and_refusals():
    r = np.full((3, 2), 1e3)
    v = np.ones((3, 1))
    s = ours.compute(v, r, r_i=1.0, node_voltages=False, all_currents=False)
    assert s.voltages is None and s.currents.device is None and s.currents.output.shape == (1, 2)
    off = ours.compute(v, r, r_i=np.inf)
    assert np.all(off.currents.output == 0) and off.voltages.word_line is None
    with pytest.raises(ValueError, match="0 ohm"):
        ours.compute(v, np.zeros((3, 2)), r_i=1.0)
    with pytest.raises(ValueError, match="word lines"):
        ours.compute(np.ones((2, 1)), r, r_i=1.0)
    with pytest.raises(TypeError, match="r_i_bit_line"):
        ours.compute(v, r, r_i_word_line=1.0)
    spec = ours.crossbar_spec(v, r, r_i=2.0)
    assert spec.r_row == spec.r_source == spec.r_col == spec.r_sense == 2.0


def _badcrossbar():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # its plotting half needs pycairo, which it warns about
        bc = pytest.importorskip("badcrossbar", reason="badcrossbar not installed (scripts/setup.sh adds it)")
    logging.getLogger().setLevel(logging.WARNING)    # it configures the root logger at INFO on import
    return bc


@pytest.mark.parametrize("p", [1, 4])
@pytest.mark.parametrize("wires", [{"r_i": 0.5}, {"r_i_word_line": 0, "r_i_bit_line": 2.0},
                                   {"r_i_word_line": 3.0, "r_i_bit_line": 0}, {"r_i": 0}])
def test_matches_badcrossbar_itself(p, wires):
    bc = _badcrossbar()
    rng = np.random.default_rng(3)
    r = rng.uniform(1e3, 1e5, (9, 7))
    r[4, 0] = np.inf
    v = rng.uniform(-0.5, 1.0, (9, p))
    theirs = bc.compute(v, r, **wires)
    mine = ours.compute(v, r, **wires)
    for part in ("currents", "voltages"):
        for field in getattr(theirs, part)._fields:
            close(getattr(getattr(mine, part), field), getattr(getattr(theirs, part), field))
