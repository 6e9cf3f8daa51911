"""Randomness tests of NIST SP 800-22 rev. 1a and the diffusive-memristor TRNG of Jiang et al. (2017).

The tests are implemented from the standard's formulas (A. Rukhin et al., NIST Special Publication
800-22 rev. 1a, 2010, sections 2.1-2.4): each returns its P-value; a sequence passes at significance
0.01 when P >= 0.01.

:func:`trng_bits` produces the bits of the true random number generator of H. Jiang et al., Nat. Commun.
8, 882 (2017): each bit is one voltage pulse on a fresh (relaxed) diffusive memristor; a counter counts
clock cycles from the switching (the stochastic delay) to the end of the pulse and the bit is the
counter's least significant bit.
"""

from __future__ import annotations

import math
from typing import Dict, Optional

import numpy as np
from scipy.special import erfc, gammaincc

__all__ = ["frequency_test", "block_frequency_test", "runs_test", "longest_run_test", "battery", "trng_bits"]


def _bits(bits) -> np.ndarray:
    array = np.asarray(bits, dtype=np.int64).ravel()
    if array.size == 0 or not np.all((array == 0) | (array == 1)):
        raise ValueError("bits must be a non-empty sequence of 0 and 1")
    return array


def frequency_test(bits) -> float:
    """Frequency (monobit) test, SP 800-22 section 2.1: ``P = erfc(|S_n| / sqrt(2 n))``."""
    b = _bits(bits)
    s = np.sum(2 * b - 1)
    return float(erfc(abs(s) / math.sqrt(b.size) / math.sqrt(2)))


def block_frequency_test(bits, block: int = 128) -> float:
    """Frequency test within blocks of ``block`` bits, section 2.2: chi^2 = 4 M sum (pi_i - 1/2)^2."""
    b = _bits(bits)
    n_blocks = b.size // block
    if n_blocks < 1:
        raise ValueError("fewer bits than one block")
    pi = b[: n_blocks * block].reshape(n_blocks, block).mean(axis=1)
    chi2 = 4.0 * block * np.sum((pi - 0.5) ** 2)
    return float(gammaincc(n_blocks / 2.0, chi2 / 2.0))


def runs_test(bits) -> float:
    """Runs test, section 2.3 (with its frequency prerequisite ``|pi - 1/2| < 2/sqrt(n)``; 0.0 if it fails)."""
    b = _bits(bits)
    n = b.size
    pi = b.mean()
    if abs(pi - 0.5) >= 2.0 / math.sqrt(n):
        return 0.0
    runs = 1 + int(np.count_nonzero(b[1:] != b[:-1]))
    return float(erfc(abs(runs - 2 * n * pi * (1 - pi)) / (2 * math.sqrt(2 * n) * pi * (1 - pi))))


#: Section 2.4's table for n >= 6272: block length 128, classes v <= 4 ... v >= 9 and their probabilities.
_LONGEST_RUN = (128, (4, 5, 6, 7, 8, 9), (0.1174, 0.2430, 0.2493, 0.1752, 0.1027, 0.1124))


def longest_run_test(bits) -> float:
    """Longest run of ones in blocks of 128 bits, section 2.4 (needs n >= 6272)."""
    b = _bits(bits)
    block, classes, probabilities = _LONGEST_RUN
    n_blocks = b.size // block
    if b.size < 6272:
        raise ValueError("the longest-run test with M = 128 needs at least 6272 bits")
    counts = np.zeros(len(classes))
    for row in b[: n_blocks * block].reshape(n_blocks, block):
        longest, current = 0, 0
        for bit in row:
            current = current + 1 if bit else 0
            longest = max(longest, current)
        k = min(max(longest, classes[0]), classes[-1]) - classes[0]
        counts[k] += 1
    expected = n_blocks * np.asarray(probabilities)
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    return float(gammaincc((len(classes) - 1) / 2.0, chi2 / 2.0))


def battery(bits) -> Dict[str, float]:
    """P-values of the four tests above (block frequency with M = 128)."""
    return {"frequency": frequency_test(bits), "block_frequency": block_frequency_test(bits),
            "runs": runs_test(bits), "longest_run": longest_run_test(bits)}


def trng_bits(n: int, seed: int, amplitude: float = 1.0, width: float = 1e-4, clock: float = 1e7,
              values: Optional[Dict[str, float]] = None) -> np.ndarray:
    """``n`` bits of the Jiang 2017 TRNG built on ``diffusive_ag`` (reference-driven, closed-form delays).

    Each bit is one pulse of ``amplitude`` and ``width`` on a relaxed device; the delay is the model's
    switching delay (:func:`~circuitsim.models.catalogue.diffusive_particle.switching_delay`: escape
    when the escape rate integrated over the pulse reaches the device's Exp(1) draw, then the push and the
    drift to x = 1/2).  The counter counts the ``clock`` cycles between the switching and the end of the
    pulse; the bit is its least significant bit (0 if the device did not switch).

    The Exp(1) draws come from one ``numpy.random.default_rng(seed)`` stream, one per pulse: the draw of a
    device with that first threshold (``th1``), the same law as ``seeded_params``.
    """
    from circuitsim.models.catalogue.diffusive_particle import switching_delay

    draws = np.random.default_rng(seed).exponential(1.0, size=n)
    fixed = switching_delay(amplitude, 0.0, values=values)
    per_unit = switching_delay(amplitude, 1.0, values=values) - fixed
    delays = fixed + per_unit * draws
    counts = np.where(delays < width, np.floor((width - delays) * clock), 0).astype(np.int64)
    return (counts & 1).astype(np.int8)
