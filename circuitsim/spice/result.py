"""Simulation results: named vectors as numpy arrays with units.

Both engines return the same objects.  Vector names follow the convention of
ngspice's raw files (what ``ngspice -b -r`` writes and ``print`` shows):
``time``, ``frequency``, ``v(node)`` for node voltages, ``i(vsource)`` for
branch currents of voltage sources and inductors, everything else verbatim
(``@r1[i]``).  Names are lower case, as ngspice stores them.
"""

from __future__ import annotations

import os
import re
import struct
import time
import zlib
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

if TYPE_CHECKING:  # numpy is imported where used: the batch engine loads it while ngspice runs
    import numpy as np

#: ngspice vector type name -> SI unit symbol.
UNIT_OF_TYPE = {
    "time": "s",
    "frequency": "Hz",
    "voltage": "V",
    "current": "A",
    "capacitance": "F",
    "temperature": "degC",
    "impedance": "Ohm",
    "admittance": "S",
    "power": "W",
}

#: analysis name for each ngspice plot-name prefix or raw-file plot title.
_ANALYSIS_OF_PLOT = (
    ("tran", "tran"),
    ("transient", "tran"),
    ("ac", "ac"),
    ("dc", "dc"),
    ("op", "op"),
    ("operating", "op"),
    ("noise", "noise"),
    ("sens", "sens"),
    ("tf", "tf"),
    ("transfer", "tf"),
    ("pz", "pz"),
    ("pole", "pz"),
    ("disto", "disto"),
)

_BRANCH = re.compile(r"^(.*)#branch$")


def analysis_of_plot(plot_name: str) -> str:
    """Return the analysis kind (``"tran"``, ``"op"``, ...) of an ngspice plot name.

    Accepts both the shared library's names (``tran1``) and raw-file titles
    (``Transient Analysis``).
    """
    key = plot_name.strip().lower()
    for prefix, analysis in _ANALYSIS_OF_PLOT:
        if key.startswith(prefix):
            return analysis
    return key


def canonical_name(name: str, vector_type: str) -> str:
    """Give a vector the name ngspice's raw file would give it.

    Parameters
    ----------
    name
        Vector name as the shared library reports it (``out``, ``v1#branch``)
        or as a raw file has it (``v(out)``, ``i(v1)``).
    vector_type
        ngspice type name: ``voltage``, ``current``, ``time``, ...
    """
    name = name.strip().lower()
    if "(" in name or name.startswith("@"):
        return name
    branch = _BRANCH.match(name)
    if branch:
        return f"i({branch.group(1)})"
    if vector_type == "voltage":
        return f"v({name})"
    return name


@dataclass(frozen=True)
class Vector:
    """One named vector.

    Attributes
    ----------
    name
        Canonical name, e.g. ``v(out)``.
    data
        Values (float64, complex128 for AC).
    unit
        SI unit symbol (``V``, ``A``, ``s``, ``Hz``) or ``""``.
    """

    name: str
    data: np.ndarray
    unit: str = ""

    def __repr__(self) -> str:
        unit = f" [{self.unit}]" if self.unit else ""
        return f"<Vector {self.name}{unit}, {_shape_text(self.data)}>"


@dataclass
class AnalysisResult:
    """The vectors of one analysis (one ngspice *plot*).

    Attributes
    ----------
    analysis
        ``"op"``, ``"dc"``, ``"tran"``, ``"ac"``, ...
    plot_name
        ngspice's name of the plot (``tran1``) or its raw-file title.
    vectors
        Vectors by canonical name, in ngspice's order (the abscissa first).
    """

    analysis: str
    plot_name: str
    vectors: Dict[str, Vector] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<AnalysisResult {self.summary()}>"

    def summary(self) -> str:
        """One line: plot name, analysis, vector count, points and the first vector names (never the data)."""
        names = ", ".join(self.names[:_NAMES_SHOWN]) + (", ..." if len(self.names) > _NAMES_SHOWN else "")
        return f"{self.plot_name} ({self.analysis}): {_count(len(self.vectors), 'vector')} x {_count(self.points, 'point')}" \
               + (f": {names}" if names else "")

    @property
    def points(self) -> int:
        """Number of points per vector (1 for ``op``; 0 without vectors)."""
        first = next(iter(self.vectors.values()), None)
        return 0 if first is None else int(getattr(first.data, "size", len(first.data)))

    # -- access -------------------------------------------------------------
    @property
    def names(self) -> List[str]:
        """Vector names in ngspice's order."""
        return list(self.vectors)

    def __contains__(self, name: str) -> bool:
        return self._resolve(name, missing_ok=True) is not None

    def __getitem__(self, name: str) -> np.ndarray:
        return self.vectors[self._resolve(name)].data

    def __iter__(self) -> Iterator[str]:
        return iter(self.vectors)

    def __len__(self) -> int:
        return len(self.vectors)

    def _resolve(self, name: str, missing_ok: bool = False) -> Optional[str]:
        key = name.strip().lower()
        if key in self.vectors:
            return key
        for candidate in (f"v({key})", f"i({key})"):
            if candidate in self.vectors:
                return candidate
        if missing_ok:
            return None
        raise KeyError(f"no vector {name!r} in the {self.analysis} result; it has: {', '.join(self.names[:20])}"
                       + (" ..." if len(self.names) > 20 else ""))

    def unit(self, name: str) -> str:
        """SI unit of a vector."""
        return self.vectors[self._resolve(name)].unit

    def v(self, node: str, reference: Optional[str] = None) -> np.ndarray:
        """Voltage of ``node`` (minus ``reference`` when given)."""
        value = self[f"v({node.strip().lower()})"]
        if reference is not None and reference not in ("0", "gnd"):
            value = value - self[f"v({reference.strip().lower()})"]
        return value

    def i(self, source: str) -> np.ndarray:
        """Branch current through voltage source or inductor ``source``.

        ngspice's sign convention: positive current flows into the source's
        positive terminal.
        """
        return self[f"i({source.strip().lower()})"]

    @property
    def node_voltages(self) -> Dict[str, np.ndarray]:
        """``{node: voltage}`` for every node vector."""
        return {n[2:-1]: vec.data for n, vec in self.vectors.items() if n.startswith("v(") and n.endswith(")")}

    @property
    def branch_currents(self) -> Dict[str, np.ndarray]:
        """``{source: current}`` for every branch-current vector."""
        return {n[2:-1]: vec.data for n, vec in self.vectors.items() if n.startswith("i(") and n.endswith(")")}

    @property
    def abscissa(self) -> Optional[Vector]:
        """The swept variable (time, frequency, the DC sweep), ``None`` for ``op``."""
        if self.analysis == "op" or not self.vectors:
            return None
        return next(iter(self.vectors.values()))

    def to_dict(self) -> Dict[str, np.ndarray]:
        """``{name: array}`` of every vector."""
        return {n: vec.data for n, vec in self.vectors.items()}

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` with the abscissa as coordinate.

        Needs the optional dependency ``xarray`` (``pip install 'circuitsim-ngspice[xarray]'``).
        """
        import numpy as np

        try:
            import xarray as xr
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_xarray() needs xarray: pip install 'circuitsim-ngspice[xarray]'") from exc
        axis = self.abscissa
        if axis is None:
            data_vars = {n: ((), vec.data[0] if vec.data.size else np.nan, {"units": vec.unit})
                         for n, vec in self.vectors.items()}
            return xr.Dataset(data_vars, attrs={"analysis": self.analysis, "plot": self.plot_name})
        dim = axis.name
        coords = {dim: (dim, np.real(axis.data), {"units": axis.unit})}
        data_vars = {n: (dim, vec.data, {"units": vec.unit}) for n, vec in self.vectors.items() if n != dim}
        return xr.Dataset(data_vars, coords=coords, attrs={"analysis": self.analysis, "plot": self.plot_name})

    def plot(self, *names: str, ax: Any = None, **kwargs: Any) -> Any:
        """Plot vectors against the abscissa with matplotlib; returns the axes.

        With no names, plots every node voltage.  AC results plot magnitude.
        """
        import numpy as np

        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots()
        axis = self.abscissa
        selected = [self._resolve(n) for n in names] if names else [n for n in self.names if n.startswith("v(")]
        for name in selected:
            y = self.vectors[name].data
            y = np.abs(y) if np.iscomplexobj(y) else y
            if axis is None:
                ax.bar(name, float(y[0]), **kwargs)
            else:
                ax.plot(np.real(axis.data), y, label=name, **kwargs)
        if axis is not None:
            ax.set_xlabel(f"{axis.name} [{axis.unit}]" if axis.unit else axis.name)
            if self.analysis == "ac":
                ax.set_xscale("log")
            units = {self.vectors[n].unit for n in selected}
            ax.set_ylabel(" / ".join(sorted(u for u in units if u)) or "value")
            ax.legend()
        return ax


@dataclass
class Result:
    """What one engine run produced: every analysis of the deck, in order.

    Vector access (``result["v(out)"]``, ``result.v("out")``, ``result.i("v1")``,
    ``to_xarray()``, ``plot()``) goes to the last analysis; ``analyses``
    holds all of them.

    Attributes
    ----------
    analyses
        One :class:`AnalysisResult` per ngspice plot, in the order they ran.
    log
        ngspice's output lines (informational and warnings).
    engine
        ``"shared"`` or ``"batch"``.
    elapsed
        Wall time of the run in seconds.
    """

    analyses: List[AnalysisResult]
    log: List[str] = field(default_factory=list)
    engine: str = ""
    elapsed: float = 0.0

    # Short representations (a notebook shows them): never the arrays or the log ------------------
    def __repr__(self) -> str:
        parts = "; ".join(a.summary() for a in self.analyses) or "no analyses"
        return (f"<Result engine={self.engine or '?'}, {_count(len(self.analyses), 'analysis', 'analyses')} "
                f"[{parts}], {_count(sum(len(a) for a in self.analyses), 'vector')}, "
                f"elapsed {self.elapsed:.3g} s>")

    def _repr_html_(self) -> str:
        """A small table for Jupyter: one row per analysis (plot, kind, vectors, points, abscissa range)."""
        from html import escape

        rows = []
        for a in self.analyses:
            axis = a.abscissa
            span = ""
            if axis is not None and getattr(axis.data, "size", 0):
                import numpy as np

                x = np.real(axis.data)
                span = f"{escape(axis.name)}: {x.min():.4g} .. {x.max():.4g} {escape(axis.unit)}"
            names = ", ".join(a.names[:_NAMES_SHOWN]) + (", ..." if len(a.names) > _NAMES_SHOWN else "")
            rows.append(f"<tr><td>{escape(a.plot_name)}</td><td>{escape(a.analysis)}</td><td>{len(a)}</td>"
                        f"<td>{a.points}</td><td>{span}</td><td>{escape(names)}</td></tr>")
        return ("<table><caption>circuitsim Result: engine {}, {:.3g} s, {} log lines</caption>"
                "<tr><th>plot</th><th>analysis</th><th>vectors</th><th>points</th><th>abscissa</th>"
                "<th>names</th></tr>{}</table>").format(escape(self.engine or "?"), self.elapsed, len(self.log),
                                                          "".join(rows))

    @property
    def last(self) -> AnalysisResult:
        """The last analysis that ran."""
        if not self.analyses:
            raise KeyError("the run produced no vectors")
        return self.analyses[-1]

    def analysis(self, kind: str) -> AnalysisResult:
        """The last analysis of a kind (``"tran"``, ``"op"``...) or plot name (``"tran1"``)."""
        key = kind.lower()
        for result in reversed(self.analyses):
            if result.analysis == key or result.plot_name.lower() == key:
                return result
        raise KeyError(f"no {kind!r} analysis in this result (have: {[a.plot_name for a in self.analyses]})")

    # Forwarded helpers --------------------------------------------------------
    def __getitem__(self, name: str) -> np.ndarray:
        return self.last[name]

    def __contains__(self, name: str) -> bool:
        return bool(self.analyses) and name in self.last

    @property
    def names(self) -> List[str]:
        return self.last.names

    def v(self, node: str, reference: Optional[str] = None) -> np.ndarray:
        return self.last.v(node, reference)

    def i(self, source: str) -> np.ndarray:
        return self.last.i(source)

    def unit(self, name: str) -> str:
        return self.last.unit(name)

    def to_xarray(self) -> Any:
        return self.last.to_xarray()

    def plot(self, *names: str, ax: Any = None, **kwargs: Any) -> Any:
        return self.last.plot(*names, ax=ax, **kwargs)

    def flat_vectors(self) -> Dict[str, np.ndarray]:
        """Every vector by name, the last analysis under plain names.

        Earlier analyses of a multi-analysis deck appear as ``"PLOT/name"``
        (``"op1/v(out)"``) so nothing is lost.
        """
        flat: Dict[str, np.ndarray] = {}
        for result in self.analyses[:-1]:
            for name, vec in result.vectors.items():
                flat[f"{result.plot_name}/{name}"] = vec.data
        if self.analyses:
            flat.update(self.last.to_dict())
        return flat

    # Export ------------------------------------------------------------------
    def save_npz(self, path: Union[str, "os.PathLike[str]", IO[bytes]]) -> None:
        """Write :meth:`flat_vectors` to an ``.npz`` file (``numpy.load`` reads it, keys as the vector names).

        Uses :func:`write_npz`, which is 10-20x faster than ``numpy.savez`` for the tens of thousands of
        one-point vectors of an operating point that saves every node.
        """
        write_npz(path, self.flat_vectors())

    def save_raw(self, path: Union[str, "os.PathLike[str]", IO[bytes]], title: str = "circuitsim") -> None:
        """Write every analysis to an ngspice binary raw file (see :func:`circuitsim.spice.rawfile.write_raw`)."""
        from circuitsim.spice.rawfile import write_raw

        write_raw(path, self.analyses, title=title)


#: vector names a representation lists before "..."
_NAMES_SHOWN = 6


def _count(n: int, singular: str, plural: Optional[str] = None) -> str:
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def _shape_text(data: Any) -> str:
    shape = getattr(data, "shape", None)
    dtype = getattr(data, "dtype", None)
    if shape is None:
        return f"{len(data)} values"
    return f"{dtype} {tuple(shape)}"


def build_analysis(plot_name: str, columns: Sequence[Tuple[str, str, np.ndarray]], analysis: Optional[str] = None
                   ) -> AnalysisResult:
    """Assemble an :class:`AnalysisResult` from ``(name, type, data)`` columns."""
    vectors: Dict[str, Vector] = {}
    for name, vtype, data in columns:
        cname = canonical_name(name, vtype)
        vectors[cname] = Vector(cname, data, UNIT_OF_TYPE.get(vtype, ""))
    return AnalysisResult(analysis or analysis_of_plot(plot_name), plot_name, vectors)


# -- .npz writer -----------------------------------------------------------------------------------------------
#: zip field limits: past them a ZIP64 end record holds the real counts and offsets
_ZIP16, _ZIP32 = 0xFFFF, 0xFFFFFFFF
#: numpy aligns the data after an .npy header to this many bytes
_NPY_ALIGN = 64


def _npy_header(descr: str, shape: Tuple[int, ...]) -> bytes:
    """The header of an ``.npy`` file (format 1.0) for a C-ordered array, as ``numpy.save`` writes it."""
    text = "{'descr': %r, 'fortran_order': False, 'shape': %r, }" % (descr, tuple(shape))
    padding = -(10 + len(text) + 1) % _NPY_ALIGN
    text = text + " " * padding + "\n"
    if len(text) > _ZIP16:
        raise ValueError(f"an array of shape {shape} needs an .npy header of {len(text)} bytes (at most {_ZIP16})")
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin-1")


def write_npz(path: Union[str, "os.PathLike[str]", IO[bytes]], arrays: Mapping[str, Any]) -> None:
    """Write arrays to an uncompressed ``.npz`` file, the format of ``numpy.savez``, in one pass.

    ``numpy.load(path)[name]`` returns each array, exactly as after ``numpy.savez(path, **arrays)``.  The
    difference is speed with many small arrays: ``numpy.savez`` goes through ``zipfile`` member by
    member (seeks, header rewrites, about 40 us each), which made saving the 33,000 one-point vectors of
    an operating point take longer than ngspice's run.  Here each member is one ``.npy`` header (built
    once per dtype and shape) and the raw bytes, stored without compression, and the zip directory is
    written at the end; more than 65,535 members get a ZIP64 end record, as ``zipfile`` writes it.
    Totals beyond 4 GiB go to ``numpy.savez`` (which writes ZIP64 member sizes).

    Parameters
    ----------
    path
        File name or a binary file object open for writing.
    arrays
        ``{name: array}``; names become the members ``name.npy`` (UTF-8).  Object arrays are refused.

    Raises
    ------
    ValueError
        An object array (an ``.npz`` of them needs pickle, which ``numpy.load`` refuses by default).
    """
    import numpy as np

    prepared = []
    headers: Dict[Tuple[str, Tuple[int, ...]], bytes] = {}
    total = 0
    for name, value in arrays.items():
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise ValueError(f"{name!r} is an object array; an .npz of it would need pickle")
        if not array.flags.c_contiguous:
            array = np.ascontiguousarray(array)
        descr = np.lib.format.dtype_to_descr(array.dtype)
        key = (str(descr), array.shape)
        header = headers.get(key)
        if header is None:
            header = headers[key] = _npy_header(descr, array.shape)
        member = (str(name) + ".npy").encode("utf-8")
        prepared.append((member, header, array))
        total += 30 + 46 + 2 * len(member) + len(header) + array.nbytes
    if total >= _ZIP32:
        np.savez(path, **dict(arrays))
        return
    if isinstance(path, (str, os.PathLike)):
        with open(path, "wb", buffering=1 << 20) as handle:
            _write_zip(handle, prepared)
    else:
        _write_zip(path, prepared)


def _write_zip(handle: IO[bytes], members: Sequence[Tuple[bytes, bytes, Any]]) -> None:
    """Stored (uncompressed) zip members ``name -> header + array bytes``, then the central directory."""
    stamp = time.localtime()
    dos_time = (stamp.tm_hour << 11) | (stamp.tm_min << 5) | (stamp.tm_sec // 2)
    dos_date = ((max(stamp.tm_year, 1980) - 1980) << 9) | (stamp.tm_mon << 5) | stamp.tm_mday
    local = struct.Struct("<IHHHHHIIIHH")
    central = struct.Struct("<IHHHHHHIIIHHHHHII")
    directory = []
    offset = 0
    write = handle.write
    for name, header, array in members:
        payload = array.reshape(-1).view("u1") if array.nbytes else b""
        crc = zlib.crc32(payload, zlib.crc32(header))
        size = len(header) + array.nbytes
        flags = 0x800 if not name.isascii() else 0  # bit 11: the name is UTF-8
        write(local.pack(0x04034B50, 20, flags, 0, dos_time, dos_date, crc, size, size, len(name), 0))
        write(name)
        write(header)
        if array.nbytes:
            write(payload)
        directory.append(central.pack(0x02014B50, 20, 20, flags, 0, dos_time, dos_date, crc, size, size,
                                      len(name), 0, 0, 0, 0, 0o600 << 16, offset) + name)
        offset += local.size + len(name) + size
    directory_bytes = b"".join(directory)
    count = len(members)
    write(directory_bytes)
    end_offset = offset + len(directory_bytes)
    if count > _ZIP16:
        # ZIP64 end of central directory record and its locator: the real member count lives there.
        write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, len(directory_bytes), offset))
        write(struct.pack("<IIQI", 0x07064B50, 0, end_offset, 1))
    write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(count, _ZIP16), min(count, _ZIP16),
                      len(directory_bytes), offset, 0))
