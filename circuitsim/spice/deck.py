"""Turn what the caller gave (text, a builder, a file) into the deck ngspice reads.

The user's lines keep their numbers: everything circuitsim adds (the analysis
line, ``.options klu``) goes just before ``.end``, so ngspice's line numbers
and ours agree, and an error can name the line the user wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Optional, Tuple, Union

from circuitsim.numbers import plain_numbers
from circuitsim.spice.errors import NetlistError

ANALYSIS_LINE = re.compile(r"^\s*\.(op|dc|tran|ac|noise|tf|sens|pz|disto|pss|sp)\b", re.IGNORECASE)
_END_LINE = re.compile(r"^\s*\.end\s*$", re.IGNORECASE)
_KLU_OPTION = re.compile(r"^\s*\.options?\b.*\bklu\b", re.IGNORECASE)
_CONTROL = re.compile(r"^\s*\.control\b", re.IGNORECASE)
_ENDC = re.compile(r"^\s*\.endc\b", re.IGNORECASE)
_QUIT = re.compile(r"^\s*(quit|exit)\b", re.IGNORECASE)


@dataclass
class Deck:
    """A netlist ready for ngspice.

    Attributes
    ----------
    source_lines
        The caller's lines, as given (line ``k`` is ``source_lines[k - 1]``).
    lines
        The lines sent to ngspice.
    has_control
        Whether the deck carries a ``.control`` block (it then runs itself).
    base_dir
        Directory relative ``.include`` paths are resolved from.
    """

    source_lines: List[str]
    lines: List[str]
    has_control: bool
    base_dir: Optional[Path] = None
    analyses: List[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def with_raw_write(self, raw_path: str) -> List[str]:
        """Lines for a batch run of a deck with a ``.control`` block.

        ``-r FILE`` is ignored when a control block runs, so a ``write`` of the
        current plot is added before the block's ``quit`` (or its ``.endc``).
        """
        out = list(self.lines)
        endc = [k for k, line in enumerate(out) if _ENDC.match(line)]
        if not endc:
            return out
        last = endc[-1]
        start = max(k for k, line in enumerate(out[:last]) if _CONTROL.match(line))
        quits = [k for k in range(start, last) if _QUIT.match(out[k])]
        at = quits[0] if quits else last
        out.insert(at, f"write {raw_path}")
        return out

    def locate(self, fragment: str) -> Optional[Tuple[int, str]]:
        """Find the caller's line that ngspice echoed (case and spacing ignored).

        Returns ``(line_number, line)`` or ``None``.
        """
        wanted = " ".join(fragment.lower().split())
        if not wanted:
            return None
        for number, line in enumerate(self.source_lines, start=1):
            if " ".join(line.lower().split()) == wanted:
                return number, line
        for number, line in enumerate(self.source_lines, start=1):
            if wanted in " ".join(line.lower().split()):
                return number, line
        return None

    def line_at(self, number: int) -> Optional[str]:
        """The caller's line ``number`` (1-based), if it exists."""
        if 1 <= number <= len(self.source_lines):
            return self.source_lines[number - 1]
        return None


def netlist_text(netlist: Any) -> str:
    """Text of a netlist given as ``str``, ``bytes``, a builder (anything with ``render()``) or a PySpice ``Circuit``."""
    if isinstance(netlist, bytes):
        try:
            return netlist.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NetlistError(f"the netlist is not text: byte 0x{netlist[exc.start]:02x} at offset {exc.start} "
                               "is not UTF-8") from None
    if isinstance(netlist, str):
        return netlist
    if type(netlist).__module__.startswith("PySpice"):
        # PySpice writes unit suffixes (2 A as "2A": two atto-amperes to SPICE); make them plain numbers.
        return plain_numbers(str(netlist))
    render = getattr(netlist, "render", None)
    if callable(render):
        return render()
    return str(netlist)


def read_netlist_file(path: Union[str, Path]) -> str:
    """Read a netlist file, refusing missing, empty, binary or non-regular files (a FIFO would block) with a
    clear message."""
    from circuitsim.spice.checks import regular_file_problem

    path = Path(path)
    problem = regular_file_problem(path)
    if problem is not None and problem != "does not exist":
        raise NetlistError(f"netlist {str(path)!r} {problem}")
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise NetlistError(f"netlist file {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise NetlistError(f"{str(path)!r} is a directory, not a netlist file") from None
    except OSError as exc:
        raise NetlistError(f"cannot read netlist file {str(path)!r}: {exc.strerror}") from None
    return netlist_text(blob)


def prepare_deck(netlist: Any, analysis: Any = None, *, klu: bool = False,
                 base_dir: Optional[Union[str, Path]] = None, allow_shell: bool = True,
                 in_memory: bool = False) -> Deck:
    """Check a netlist and add what the run needs.

    Parameters
    ----------
    netlist
        Netlist text, bytes, a :class:`circuitsim.netlists.Netlist`, or a PySpice ``Circuit``.
    analysis
        An analysis object (:class:`~circuitsim.spice.analyses.Tran`, ...) to
        append, or ``None`` when the netlist carries its own analysis lines.
    klu
        Add ``.options klu`` (when the deck does not set it already).
    base_dir
        Directory for relative ``.include`` paths.
    allow_shell
        ``False`` for a deck from a file the caller did not write: refuse ``.control`` commands that run
        programs, load libraries or write outside ``base_dir`` (see :mod:`circuitsim.spice.checks`).
    in_memory
        The results stay in memory (shared engine): bound a sweep's output by memory, not disk.

    Raises
    ------
    NetlistError
        Empty or binary input, no analysis to run, an analysis given twice, or any problem of
        :func:`circuitsim.spice.checks.check_deck`.
    """
    text = netlist_text(netlist)
    if "\x00" in text:
        offset = text.index("\x00")
        raise NetlistError(f"the netlist is not text: it contains a NUL byte at offset {offset}")
    source_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if source_lines and source_lines[-1] == "":
        source_lines.pop()
    if not any(line.strip() for line in source_lines):
        raise NetlistError("the netlist is empty")
    # Only dot-lines matter below; find them once (a 1024 x 1024 crossbar has 3 million lines).
    dot_lines = [(k, line) for k, line in enumerate(source_lines) if line.lstrip()[:1] == "."]
    end_index = next((k for k, line in dot_lines if _END_LINE.match(line)), None)
    body = source_lines if end_index is None else source_lines[:end_index]
    dot_lines = [(k, line) for k, line in dot_lines if end_index is None or k < end_index]
    if len(body) < 2 or not any(line.strip() and not line.lstrip().startswith("*") for line in body[1:]):
        raise NetlistError("the netlist has a title line but no elements (the first line of a SPICE "
                           "netlist is always its title)")
    from circuitsim.spice.checks import check_deck

    check_deck(body, Path(base_dir) if base_dir is not None else None, allow_shell=allow_shell,
               in_memory=in_memory, text=text, dot_index=[k for k, _ in dot_lines])
    has_control = any(_CONTROL.match(line) for _, line in dot_lines)
    existing = [(k + 1, line.strip()) for k, line in dot_lines if ANALYSIS_LINE.match(line)]
    added: List[str] = []
    analyses = [ANALYSIS_LINE.match(line).group(1).lower() for _, line in existing]
    if analysis is not None:
        if existing:
            number, line = existing[0]
            raise NetlistError(f"line {number} ({line!r}) already sets an analysis and another was passed; "
                               "give the analysis once", line_number=number, line=line)
        added.append(analysis.line())
        analyses.append(analysis.kind)
    elif not existing and not has_control:
        raise NetlistError("the netlist has no analysis line (.op, .dc, .tran, .ac) and no .control block, "
                           "and no analysis was passed: nothing to simulate")
    if klu and not any(_KLU_OPTION.match(line) for _, line in dot_lines):
        added.append(".options klu")
    lines = body + added + [".end"]
    return Deck(source_lines=source_lines, lines=lines, has_control=has_control,
                base_dir=Path(base_dir) if base_dir is not None else None, analyses=analyses)
