"""Reader and writer of ngspice raw files (binary and ASCII, one or many plots).

Written from the format ngspice documents: a text header of ``Key: value``
lines, a ``Variables:`` table (index, name, type), then ``Binary:`` followed by
float64 rows (pairs of float64 for complex plots) or ``Values:`` followed by
text rows.  A file that ngspice was still writing when it stopped (a timeout,
a crash) is read up to its last complete row, so partial waveforms survive.
:func:`write_raw` writes the binary form, one plot per analysis, as
``ngspice -b -r`` does.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Iterable, List, Optional, Tuple, Union

if TYPE_CHECKING:  # numpy is imported where used: the batch engine loads it while ngspice runs
    import numpy as np

from circuitsim.spice.result import UNIT_OF_TYPE, AnalysisResult, analysis_of_plot, build_analysis


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
    dtype = np.dtype("<c16" if is_complex else "<f8")  # little-endian whatever the machine
    data = np.array(values, dtype=dtype).reshape(len(values), n_vars)
    return data, (text_end + 1 if text_end >= 0 else len(blob))


def _ascii_value(token: str, is_complex: bool) -> complex:
    if is_complex:
        real, _, imag = token.partition(",")
        return complex(float(real), float(imag or 0.0))
    return float(token)


# -- writer ------------------------------------------------------------------------------------------------------
#: the ``Plotname:`` ngspice writes for each analysis kind
PLOTNAME_OF_ANALYSIS = {
    "op": "Operating Point",
    "tran": "Transient Analysis",
    "ac": "AC Analysis",
    "dc": "DC transfer characteristic",
    "noise": "Noise Spectral Density Curves",
    "tf": "Transfer Function",
    "sens": "Sensitivity Analysis",
    "pz": "Pole-Zero Analysis",
    "disto": "Distortion - 2nd harmonic",
}

_TYPE_OF_UNIT = {unit: vtype for vtype, unit in UNIT_OF_TYPE.items()}
#: rows written per block, so a long transient is never copied whole
_BLOCK_VALUES = 1 << 22


def write_raw(path: Union[str, "os.PathLike[str]", IO[bytes]], analyses: Iterable[AnalysisResult], *,
              title: str = "circuitsim", command: Optional[str] = None, date: Optional[str] = None) -> None:
    """Write analyses to an ngspice binary raw file, one plot each, in order.

    The file is what ``ngspice -b -r FILE`` writes: per plot the header lines ``Title:``, ``Date:``,
    ``Command:``, ``Plotname:``, ``Flags: real`` or ``complex``, ``No. Variables:``, ``No. Points:``, the
    ``Variables:`` table (index, name, type) and ``Binary:``, then the values point by point as
    little-endian float64 (real and imaginary parts for a complex plot).  :func:`read_raw` and spicelib's
    ``RawRead`` read it back with the same names and values.

    Parameters
    ----------
    path
        File name or a binary file object open for writing.
    analyses
        :class:`~circuitsim.spice.result.AnalysisResult` objects (``Result.analyses``).  Vector types are
        taken from the units (``V`` -> voltage, ``A`` -> current, ``s`` -> time, no unit -> notype).
    title
        The ``Title:`` line (ngspice writes the deck's first line).
    command
        The ``Command:`` line; it names ngspice, which is how spicelib recognises the dialect.
    date
        The ``Date:`` line; default now, as ``time.ctime()`` writes it.

    Raises
    ------
    ValueError
        A plot whose vectors have different lengths (a raw file has one length per plot; only one-point
        vectors are repeated, as ngspice does), or a name or title with a line break.
    """
    from circuitsim import __version__

    command = command or f"ngspice (shared library), raw file written by circuitsim {__version__}"
    date = date or time.ctime()
    for text, what in ((title, "title"), (command, "command"), (date, "date")):
        if "\n" in text or "\r" in text:
            raise ValueError(f"the raw file's {what} must be one line, got {text!r}")
    if isinstance(path, (str, os.PathLike)):
        with open(path, "wb", buffering=1 << 20) as handle:
            for analysis in analyses:
                _write_plot(handle, analysis, title, command, date)
    else:
        for analysis in analyses:
            _write_plot(path, analysis, title, command, date)


def _write_plot(handle: IO[bytes], analysis: AnalysisResult, title: str, command: str, date: str) -> None:
    import numpy as np

    vectors = list(analysis.vectors.values())
    lengths = [int(np.size(v.data)) for v in vectors]
    points = max(lengths, default=0)
    for vector, length in zip(vectors, lengths):
        if length not in (points, 1) or any(c.isspace() for c in vector.name):
            problem = f"has {length} points where the plot has {points}" if length not in (points, 1) \
                else "contains white space"
            raise ValueError(f"vector {vector.name!r} of plot {analysis.plot_name} {problem}: a raw file cannot "
                             "hold it; save that analysis as .npz")
    is_complex = any(np.iscomplexobj(v.data) for v in vectors)
    header = [f"Title: {title}", f"Date: {date}", f"Command: {command}",
              f"Plotname: {PLOTNAME_OF_ANALYSIS.get(analysis.analysis, analysis.plot_name)}",
              f"Flags: {'complex' if is_complex else 'real'}", f"No. Variables: {len(vectors)}",
              f"No. Points: {points}", "Variables:"]
    header += [f"\t{k}\t{v.name}\t{_TYPE_OF_UNIT.get(v.unit, 'notype')}" for k, v in enumerate(vectors)]
    header.append("Binary:")
    handle.write(("\n".join(header) + "\n").encode("utf-8"))
    if not vectors or not points:
        return
    dtype = np.dtype("<c16" if is_complex else "<f8")  # little-endian whatever the machine
    rows_per_block = max(1, _BLOCK_VALUES // len(vectors))
    for start in range(0, points, rows_per_block):
        stop = min(points, start + rows_per_block)
        block = np.empty((stop - start, len(vectors)), dtype=dtype)  # row-major: point by point
        for k, vector in enumerate(vectors):
            data = np.asarray(vector.data).reshape(-1)
            block[:, k] = data[0] if data.size == 1 else data[start:stop]
        handle.write(block.reshape(-1).view("u1"))
