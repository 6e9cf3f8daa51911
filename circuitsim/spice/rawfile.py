"""Reader for ngspice raw files (binary and ASCII, one or many plots).

Written from the format ngspice documents: a text header of ``Key: value``
lines, a ``Variables:`` table (index, name, type), then ``Binary:`` followed by
float64 rows (pairs of float64 for complex plots) or ``Values:`` followed by
text rows.  A file that ngspice was still writing when it stopped (a timeout,
a crash) is read up to its last complete row, so partial waveforms survive.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, List, Tuple, Union

if TYPE_CHECKING:  # numpy is imported where used: the batch engine loads it while ngspice runs
    import numpy as np

from circuitsim.spice.result import AnalysisResult, analysis_of_plot, build_analysis


class RawFileError(ValueError):
    """The file is not a raw file ngspice could have written."""


@dataclass
class RawPlot:
    """One plot of a raw file, before name normalisation."""

    title: str
    plotname: str
    complex_data: bool
    variables: List[Tuple[str, str]]
    data: np.ndarray  # shape (n_points, n_variables), float64 or complex128


def read_raw(path: Union[str, Path]) -> List[RawPlot]:
    """Read every plot of a raw file.

    Parameters
    ----------
    path
        File written by ``ngspice -b -r FILE`` or by the ``write`` command.

    Returns
    -------
    list of RawPlot
        In the order ngspice wrote them.  An empty file gives an empty list.
    """
    blob = Path(path).read_bytes()
    plots: List[RawPlot] = []
    pos = 0
    while pos < len(blob):
        if not blob[pos:].strip():
            break
        plot, pos = _read_plot(blob, pos)
        plots.append(plot)
    return plots


def read_raw_results(path: Union[str, Path]) -> List[AnalysisResult]:
    """Read a raw file into :class:`AnalysisResult` objects named like the shared library's plots.

    Plot names are ``tran1``, ``op1``, ``ac1``, ``op2``..., counted per kind in
    file order, the names the shared library gives the same plots.
    """
    results: List[AnalysisResult] = []
    counts: dict = {}
    for plot in read_raw(path):
        analysis = analysis_of_plot(plot.plotname)
        counts[analysis] = counts.get(analysis, 0) + 1
        columns = [(name, vtype, plot.data[:, k].copy()) for k, (name, vtype) in enumerate(plot.variables)]
        results.append(build_analysis(f"{analysis}{counts[analysis]}", columns, analysis))
    return results


def _read_plot(blob: bytes, pos: int) -> Tuple[RawPlot, int]:
    header = {}
    variables: List[Tuple[str, str]] = []
    n_vars = None
    while True:
        end = blob.find(b"\n", pos)
        if end < 0:
            raise RawFileError("raw file ends inside a header")
        line = blob[pos:end].decode("latin-1").rstrip("\r")
        pos = end + 1
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise RawFileError(f"unexpected header line {line!r}")
        key = key.strip().lower()
        if key == "variables":
            if n_vars is None:
                raise RawFileError("'Variables:' before 'No. Variables:'")
            for _ in range(n_vars):
                end = blob.find(b"\n", pos)
                fields = blob[pos:end if end >= 0 else len(blob)].decode("latin-1").split()
                pos = end + 1 if end >= 0 else len(blob)
                if len(fields) < 3:
                    raise RawFileError(f"bad variable line {fields!r}")
                variables.append((fields[1], fields[2]))
            continue
        if key in ("binary", "values"):
            break
        header[key] = value.strip()
        if key == "no. variables":
            n_vars = int(value)
    if n_vars is None:
        raise RawFileError("raw file header lacks 'No. Variables'")
    flags = header.get("flags", "real").lower()
    is_complex = "complex" in flags
    n_points = int(header.get("no. points", "0") or 0)
    title = header.get("title", "")
    plotname = header.get("plotname", "")
    if key == "binary":
        data, pos = _binary_rows(blob, pos, n_vars, n_points, is_complex)
    else:
        data, pos = _ascii_rows(blob, pos, n_vars, n_points, is_complex)
    return RawPlot(title, plotname, is_complex, variables, data), pos


def _binary_rows(blob: bytes, pos: int, n_vars: int, n_points: int, is_complex: bool) -> Tuple[np.ndarray, int]:
    import numpy as np

    width = n_vars * (2 if is_complex else 1) * 8
    available = (len(blob) - pos) // width if width else 0
    # n_points == 0 while ngspice is still writing; a stopped run leaves fewer rows than announced.
    rows = available if n_points == 0 else min(n_points, available)
    if n_points == 0:
        # Another plot may follow: only count rows up to the next header.
        nxt = blob.find(b"Title:", pos)
        while nxt >= 0 and (nxt - pos) % width:
            nxt = blob.find(b"Title:", nxt + 1)
        if nxt >= 0:
            rows = (nxt - pos) // width
    flat = np.frombuffer(blob, dtype="<f8", count=rows * width // 8, offset=pos)
    if is_complex:
        pairs = flat.reshape(rows, n_vars, 2)
        data = pairs[..., 0] + 1j * pairs[..., 1]
    else:
        data = flat.reshape(rows, n_vars).copy()
    if n_points and rows < n_points:
        return data, len(blob)  # truncated: the rest is a partial row, nothing follows
    return data, pos + rows * width


def _ascii_rows(blob: bytes, pos: int, n_vars: int, n_points: int, is_complex: bool) -> Tuple[np.ndarray, int]:
    import numpy as np

    text_end = blob.find(b"\nTitle:", pos)
    chunk = blob[pos:text_end if text_end >= 0 else len(blob)].decode("latin-1")
    tokens = chunk.split()
    values = []
    k = 0
    while k < len(tokens):
        # Each row starts with its index, then one value per variable.
        row = tokens[k + 1:k + 1 + n_vars]
        if len(row) < n_vars:
            break
        values.append([_ascii_value(tok, is_complex) for tok in row])
        k += 1 + n_vars
        if n_points and len(values) == n_points:
            break
    dtype = np.complex128 if is_complex else np.float64
    data = np.array(values, dtype=dtype).reshape(len(values), n_vars)
    return data, (text_end + 1 if text_end >= 0 else len(blob))


def _ascii_value(token: str, is_complex: bool) -> complex:
    if is_complex:
        real, _, imag = token.partition(",")
        return complex(float(real), float(imag or 0.0))
    return float(token)
