"""What a deck may do and what cannot work, found before ngspice starts.

Two kinds of checks run on a deck (and on the files it ``.include``\\ s):

* **Trust** (:func:`control_violations`): a ``.control`` block is a program.
  ngspice runs ``shell`` commands, starts ``gnuplot``/``xgraph``/an editor,
  loads shared libraries (``pre_osdi``, ``codemodel``), writes files
  anywhere (``write``, ``wrdata``, ``> file``), runs other files
  (``source``), and with ``set unixcom`` any unknown command becomes a
  shell command.  A deck from a file (``circuitsim simulate``, a sweep
  template) may do none of that unless the user passes ``--allow-shell``:
  without it, ``shell``, ``gnuplot``, ``xgraph``, ``edit``, ``bug``,
  ``alias``, ``cd``, ``source``, ``set unixcom``/``sourcepath``/``editor``
  and a command named by a variable are refused, and files may be written or
  libraries loaded only inside the deck's own folder.  The same holds for
  ``.control`` blocks in included files, for a ``*ng_script`` file, and for
  a ``.spiceinit`` in the deck's folder (ngspice runs it from its working
  directory).
* **Soundness** (:func:`check_deck`): an ``.include`` of a
  folder, a FIFO or a file that includes itself; ``.ends`` without
  ``.subckt``; a subcircuit that instantiates itself (directly or through
  others); ``.control`` without ``.endc``; a number too large for a double
  (``1e400``); ``.ac`` with no points per interval; a temperature below
  absolute zero; ``.options`` whose tolerances are not positive numbers;
  and a ``.dc``/``.ac`` whose output cannot fit on disk.

Every problem is a :class:`~circuitsim.spice.errors.NetlistError` naming the
line (``file:line`` for an included file) and the way out.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from circuitsim.spice.errors import NetlistError

__all__ = ["ALLOW_HINT", "SourceLine", "check_deck", "control_violations", "quote_line", "regular_file_problem"]

#: how the user says a deck is trusted
ALLOW_HINT = ("a deck's .control block is code: if you trust this deck, pass --allow-shell (Python: "
              "allow_shell=True)")
#: longest part of a line quoted in a message
QUOTE_LIMIT = 160

#: control commands refused outright -> why
REFUSED_COMMANDS: Dict[str, str] = {
    "shell": "runs a shell command",
    "gnuplot": "starts the gnuplot program",
    "xgraph": "starts the xgraph program",
    "edit": "starts an editor",
    "bug": "starts a mail program",
    "alias": "can give any command (shell too) another name",
    "cd": "changes the folder relative paths are written to",
    "source": "runs the commands of another file, unchecked",
}
#: control commands whose first argument is a file they write -> what they do
WRITING_COMMANDS: Dict[str, str] = {
    "write": "writes", "wrdata": "writes", "wrs2p": "writes", "hardcopy": "writes", "snsave": "writes",
    "mdump": "writes", "mrdump": "writes",
}
#: control commands whose last argument is a shared library they load (code)
LOADING_COMMANDS = ("pre_osdi", "osdi", "codemodel", "pre_codemodel")
#: variables a ``set`` may not touch -> why
REFUSED_VARIABLES: Dict[str, str] = {
    "unixcom": "makes every unknown command a shell command",
    "sourcepath": "changes where files are read from",
    "editor": "names a program to start",
}

_CONTROL = re.compile(r"^\s*\.control\b", re.IGNORECASE)
_ENDC = re.compile(r"^\s*\.endc\b", re.IGNORECASE)
_INCLUDE = re.compile(r"^\s*\.(include|inc|lib)\s+(.*)$", re.IGNORECASE)
_SUBCKT = re.compile(r"^\s*\.subckt\s+(\S+)", re.IGNORECASE)
_ENDS = re.compile(r"^\s*\.ends\b", re.IGNORECASE)
_HUGE_EXPONENT = re.compile(r"[eE]\+?0*(?:309|3[1-9]\d|[4-9]\d\d|[1-9]\d{3,})")
_HUGE = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)[eE]\+?0*(?:309|3[1-9]\d|[4-9]\d\d|[1-9]\d{3,})(?!\d)")
_REDIRECT = re.compile(r"(>>?&?)\s*(\S*)")
_NUMBER = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_SUFFIX = {"t": 1e12, "g": 1e9, "meg": 1e6, "k": 1e3, "mil": 25.4e-6, "m": 1e-3, "u": 1e-6, "n": 1e-9,
           "p": 1e-12, "f": 1e-15, "a": 1e-18}
#: options that must be positive numbers
_POSITIVE_OPTIONS = ("reltol", "abstol", "vntol", "chgtol", "trtol", "gmin", "pivtol", "pivrel", "itl1", "itl2",
                     "itl4", "itl5", "gminsteps", "srcsteps", "maxord")
ABSOLUTE_ZERO_C = -273.15


@dataclass(frozen=True)
class SourceLine:
    """A line of the deck or of a file it includes: where it is (for messages) and its text."""

    where: str          # "netlist line 3" or "/path/lib.cir line 7"
    number: Optional[int]  # the caller's line number (None inside an included file)
    text: str


def quote_line(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``repr`` of a line, cut to ``limit`` characters (a 10 MB line is not echoed whole)."""
    text = text.strip()
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit]) + f" ... ({len(text):,} characters)"


def _error(line: SourceLine, reason: str) -> NetlistError:
    return NetlistError(f"{line.where} ({quote_line(line.text)}): {reason}", line_number=line.number,
                        line=line.text if line.number is not None else None)


def regular_file_problem(path: Path) -> Optional[str]:
    """Why ``path`` cannot be read as a netlist (missing, a folder, a FIFO or device), or ``None``."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return "does not exist"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else "not a regular file (a device or socket)"
        return f"is {kind}: reading it could block for ever; save the netlist to a regular file"
    return None


# --------------------------------------------------------------------------- trust: control commands


def _commands(text: str) -> Iterable[str]:
    """The commands of one control line: split at ``;``, plus what back-quotes run."""
    for inner in re.findall(r"`([^`]*)`", text):
        yield from _commands(inner)
    for part in re.sub(r"`[^`]*`", " x ", text).split(";"):
        if part.strip():
            yield part.strip()


def _inside(path_text: str, folder: Optional[Path]) -> bool:
    """Whether a path a command names stays inside ``folder`` (relative, no ``..`` when the folder is unknown)."""
    path_text = path_text.strip().strip("'\"")
    if not path_text or "$" in path_text or "`" in path_text or path_text.startswith("~"):
        return False
    path = Path(path_text)
    if folder is None:
        return not path.is_absolute() and ".." not in path.parts
    try:
        (folder / path).resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _command_problem(command: str, folder: Optional[Path]) -> Optional[str]:
    for arrow, target in _REDIRECT.findall(command):
        if not _inside(target, folder):
            return f"'{arrow} {target}' writes outside the deck's folder"
    command = _REDIRECT.sub(" ", command)
    words = command.split()
    if not words:
        return None
    name = words[0].lower()
    if "$" in name or "&" in name:
        return f"the command name {words[0]!r} comes from a variable (it could be any command, shell too)"
    if name in REFUSED_COMMANDS:
        return f"'{name}' {REFUSED_COMMANDS[name]}"
    if name in WRITING_COMMANDS:
        if len(words) > 1 and not _inside(words[1], folder):
            return f"'{name}' writes {words[1]!r}, outside the deck's folder"
    if name in LOADING_COMMANDS:
        for target in words[1:]:
            if not _inside(target, folder):
                return f"'{name}' loads the shared library {target!r} (code) from outside the deck's folder"
    if name in ("set", "setcs"):
        for word in re.split(r"[\s=()]+", " ".join(words[1:]).lower()):
            if word in REFUSED_VARIABLES:
                return f"'set {word}' {REFUSED_VARIABLES[word]}"
    return None


def control_violations(lines: Sequence[SourceLine], folder: Optional[Path], script: bool = False
                       ) -> List[Tuple[SourceLine, str]]:
    """The control-language lines of ``lines`` that do something a deck from a file may not do.

    Parameters
    ----------
    lines
        A deck's lines (its ``.control`` blocks are checked), or a script's (``script=True``: every line).
    folder
        The deck's folder: writes and library loads must stay inside it (``None``: relative paths without ``..``).
    """
    found = []
    inside = script
    for line in lines:
        text = line.text
        if not script:
            if _CONTROL.match(text):
                inside = True
                continue
            if _ENDC.match(text):
                inside = False
                continue
        if not inside or not text.strip() or text.lstrip().startswith(("*", "#")):
            continue
        for command in _commands(text):
            problem = _command_problem(command, folder)
            if problem:
                found.append((line, problem))
                break
    return found


# --------------------------------------------------------------------------- soundness


def spice_value(token: str) -> Optional[float]:
    """A SPICE number with its scale suffix (``1k``, ``2.5meg``, ``1e-3``), or ``None`` if it is not one."""
    token = token.strip().lower()
    match = _NUMBER.match(token)
    if not match:
        return None
    value = float(match.group(0))
    rest = token[match.end():]
    for suffix in ("meg", "mil", "t", "g", "k", "m", "u", "n", "p", "f", "a"):
        if rest.startswith(suffix):
            return value * _SUFFIX[suffix]
    return value


def _include_target(text: str) -> Optional[str]:
    match = _INCLUDE.match(text)
    if not match:
        return None
    args = match.group(2).strip()
    if not args:
        return None
    if args[0] in "'\"":
        end = args.find(args[0], 1)
        return args[1:end] if end > 0 else args[1:]
    parts = args.split()
    if match.group(1).lower() == "lib" and len(parts) < 2:
        return None            # `.lib SECTION` opens a section inside a library file
    return parts[0]


def _walk_includes(lines: Sequence[SourceLine], here: Optional[Path], stack: Tuple[Path, ...],
                   out: List[SourceLine], scripts: List[Tuple[Path, List[SourceLine]]]) -> None:
    for line in lines:
        if line.text.lstrip()[:1] != ".":
            continue
        target = _include_target(line.text)
        if target is None:
            continue
        path = Path(os.path.expanduser(target))
        if not path.is_absolute():
            path = (here or Path.cwd()) / path
        if not path.exists():
            continue                                  # ngspice names a missing include itself
        problem = regular_file_problem(path)
        if problem:
            raise _error(line, f"the included {target!r} {problem}; .include takes a netlist file")
        resolved = path.resolve()
        if resolved in stack:
            chain = " -> ".join(p.name for p in (*stack[stack.index(resolved):], resolved))
            raise _error(line, f"recursive .include: {target!r} includes itself ({chain}), and ngspice would "
                               f"read it for ever; remove one .include of the cycle")
        if len(stack) > 32:
            raise _error(line, "includes nested more than 32 deep")
        try:
            text = resolved.read_text(errors="replace")
        except OSError as exc:
            raise _error(line, f"cannot read the included {target!r}: {exc.strerror}") from None
        inner = [SourceLine(f"{resolved} line {k}", None, t)
                 for k, t in enumerate(text.replace("\r\n", "\n").split("\n"), start=1)]
        if inner and inner[0].text.lower().startswith("*ng_script"):
            scripts.append((resolved, inner))
        out.extend(inner)
        _walk_includes(inner, resolved.parent, (*stack, resolved), out, scripts)


def _subckt_problems(lines: Sequence[SourceLine]) -> None:
    """``.ends`` without ``.subckt``, ``.subckt`` without ``.ends``, a subcircuit that instantiates itself."""
    stack: List[Tuple[str, SourceLine]] = []
    uses: Dict[str, List[Tuple[str, SourceLine]]] = {}
    defined: Dict[str, SourceLine] = {}
    for line in lines:
        text = line.text
        lead = text.lstrip()[:1].lower()
        if lead == ".":
            match = _SUBCKT.match(text)
            if match:
                name = match.group(1).lower()
                stack.append((name, line))
                defined.setdefault(name, line)
                continue
            if _ENDS.match(text):
                if not stack:
                    raise _error(line, ".ends without a .subckt before it: remove it, or add the .subckt NAME "
                                       "PORTS line that opens the subcircuit")
                stack.pop()
                continue
        elif lead == "x" and stack:
            words = [w for w in text.split() if "=" not in w]
            if "params:" in [w.lower() for w in words]:
                words = words[:[w.lower() for w in words].index("params:")]
            if len(words) >= 2:
                uses.setdefault(stack[-1][0], []).append((words[-1].lower(), line))
    if stack:
        name, line = stack[-1]
        raise _error(line, f".subckt {name} without a matching .ends")
    # a cycle in "subcircuit -> subcircuits it instantiates" never ends expanding
    state: Dict[str, int] = {}

    def visit(name: str, path: List[Tuple[str, SourceLine]]) -> None:
        state[name] = 1
        for used, line in uses.get(name, []):
            if used not in defined:
                continue
            if state.get(used) == 1:
                names = [n for n, _ in path] + [name, used]
                cycle = " -> ".join(names[names.index(used):])
                how = "itself" if used == name else f"itself through {cycle}"
                raise _error(line, f"subcircuit {used} instantiates {how}: its expansion never ends; a "
                                   f"subcircuit cannot contain an instance of itself")
            if state.get(used) is None:
                visit(used, path + [(name, line)])
        state[name] = 2

    for name in uses:
        if state.get(name) is None:
            visit(name, [])


def _analysis_problems(lines: Sequence[SourceLine], vectors: int, in_memory: bool) -> None:
    """``.ac`` with no points, a temperature below absolute zero, bad tolerances, a sweep too big to store."""
    for line in lines:
        text = line.text.strip()
        if text[:1] != ".":
            continue
        words = text.replace("=", " = ").split()
        head = words[0].lower()
        if head == ".ac" and len(words) >= 5:
            variation, count = words[1].lower(), spice_value(words[2])
            start, stop = spice_value(words[3]), spice_value(words[4])
            if variation in ("dec", "oct", "lin"):
                if count is None or count < 1 or count != int(count):
                    raise _error(line, f".ac {variation} needs a whole number of points >= 1 "
                                       f"{'per ' + ('decade' if variation == 'dec' else 'octave') if variation != 'lin' else 'in all'}"
                                       f", got {words[2]!r}")
                if start is not None and stop is not None:
                    if variation != "lin" and start <= 0:
                        raise _error(line, f"the start frequency of a logarithmic .ac must be > 0 Hz, got {words[3]!r}")
                    if stop < start:
                        raise _error(line, f"the stop frequency {words[4]!r} is below the start {words[3]!r}")
                    if variation == "lin":
                        points = count
                    else:
                        base = 10.0 if variation == "dec" else 2.0
                        points = count * max(math.log(stop / start, base), 0.0) + 1 if start > 0 else count
                    _check_output_size(line, points, vectors, in_memory)
        elif head == ".dc" and len(words) >= 5:
            points = 1.0
            for k in range(1, len(words) - 3, 4):
                start, stop, step = (spice_value(w) for w in words[k + 1:k + 4])
                if None in (start, stop, step):
                    break
                if step == 0:
                    raise _error(line, f"the .dc step of {words[k]} is 0: the sweep would never end")
                count = (stop - start) / step
                if count < -1e-9:
                    raise _error(line, f"the .dc step {words[k + 3]} of {words[k]} goes away from the stop value "
                                       f"{words[k + 2]} (start {words[k + 1]}): give the step the sign of stop - start")
                points *= math.floor(count + 1e-9) + 1
            _check_output_size(line, points, vectors, in_memory)
        elif head == ".temp" and len(words) >= 2:
            for word in words[1:]:
                value = spice_value(word)
                if value is not None and value < ABSOLUTE_ZERO_C:
                    raise _error(line, f"temperature {word} degC is below absolute zero ({ABSOLUTE_ZERO_C} degC); "
                                       f".temp takes degrees Celsius")
        elif head in (".options", ".option", ".opt", ".opts"):
            for k, word in enumerate(words):
                name = word.lower()
                if k + 2 >= len(words) or words[k + 1] != "=":
                    continue
                raw = words[k + 2]
                value = spice_value(raw)
                if name in ("temp", "tnom"):
                    if value is None:
                        raise _error(line, f"option {name} must be a number (degC), got {raw!r}")
                    if value < ABSOLUTE_ZERO_C:
                        raise _error(line, f"option {name} = {raw} degC is below absolute zero ({ABSOLUTE_ZERO_C} "
                                           "degC)")
                elif name in _POSITIVE_OPTIONS:
                    if value is None or not math.isfinite(value) or value <= 0:
                        raise _error(line, f"option {name} must be a positive number, got {raw!r} (ngspice would "
                                           f"ignore it or fail to converge); remove it to keep ngspice's default")


def _check_output_size(line: SourceLine, points: float, vectors: int, in_memory: bool) -> None:
    """Refuse a sweep whose output (points x vectors x 8 bytes) cannot fit on disk (or in memory)."""
    need = float(points) * max(vectors, 1) * 8.0
    if need < 1e8:
        return
    if in_memory:
        try:
            import psutil

            room, where = int(psutil.virtual_memory().available), "in memory"
        except Exception:  # noqa: BLE001 - unknown: do not refuse
            return
    else:
        try:
            room, where = shutil.disk_usage(tempfile.gettempdir()).free, f"on disk in {tempfile.gettempdir()}"
        except OSError:
            return
    if room is not None and need > room:
        raise _error(line, f"this sweep has {points:.3g} points; with about {vectors} vectors its output needs "
                           f"about {need / 1e9:.3g} GB, but only {room / 1e9:.3g} GB is free {where}: use a "
                           f"coarser step or fewer points")


def _overflows(source_lines: Sequence[str], text: Optional[str]) -> None:
    """A number beyond the largest double (``1e400``) would silently become infinite."""
    if text is None:
        text = "\n".join(source_lines)
    # one quick pass (a crossbar deck has 3 M lines): an exponent >= 309 after a digit
    if not any(m.start() > 0 and text[m.start() - 1] in "0123456789." for m in _HUGE_EXPONENT.finditer(text)):
        return
    for match in _HUGE.finditer(text):
        if math.isfinite(float(match.group(0))):
            continue
        k = text.count("\n", 0, match.start())
        if k == 0 or k >= len(source_lines) or source_lines[k].lstrip()[:1] == "*":
            continue                                   # the title line and comments are free text
        line = SourceLine(f"netlist line {k + 1}", k + 1, source_lines[k])
        raise _error(line, f"the number {match.group(0)} is beyond the largest double (about 1.8e308) and "
                           f"would be read as infinity; write the value you mean (an open circuit is a "
                           f"missing element)")


def check_deck(source_lines: Sequence[str], base_dir: Optional[Path], *, allow_shell: bool,
               in_memory: bool = False, text: Optional[str] = None,
               dot_index: Optional[Sequence[int]] = None) -> None:
    """Run every check of this module on a deck (see the module docstring).

    Parameters
    ----------
    source_lines
        The caller's lines (line ``k`` is ``source_lines[k - 1]``).
    base_dir
        The deck's folder (relative includes, writes); ``None`` for text without a file.
    allow_shell
        Skip the trust checks (the user trusts the deck).
    in_memory
        The results are kept in memory (the shared engine) rather than written to disk.
    text
        The deck as one string, if at hand (a faster search for huge numbers).
    dot_index
        The indices of the lines starting with ``.``, if at hand (a crossbar deck has 3 million lines).

    Raises
    ------
    NetlistError
        The first problem found, naming its line and the way out.
    """
    def own(k: int) -> SourceLine:
        return SourceLine(f"netlist line {k + 1}", k + 1, source_lines[k])

    if dot_index is None:
        dot_index = [k for k, t in enumerate(source_lines) if t.lstrip()[:1] == "."]
    dotted = [own(k) for k in dot_index]
    included: List[SourceLine] = []
    scripts: List[Tuple[Path, List[SourceLine]]] = []
    if any(_include_target(line.text) for line in dotted):
        _walk_includes(dotted, base_dir, (), included, scripts)
    # the lines of the deck's .control blocks (or all, for a *ng_script file), and of subcircuit bodies
    script = bool(source_lines) and source_lines[0].lower().startswith("*ng_script")
    control: List[SourceLine] = []
    bodies: List[SourceLine] = []
    opened: Optional[int] = None
    depth = 0
    for k in dot_index:
        line_text = source_lines[k]
        if _CONTROL.match(line_text):
            opened = k
        elif _ENDC.match(line_text) and opened is not None:
            control.extend(own(j) for j in range(opened, k + 1))
            opened = None
        elif opened is None and _SUBCKT.match(line_text):
            if depth == 0:
                start = k
            depth += 1
        elif opened is None and _ENDS.match(line_text) and depth > 0:
            depth -= 1
            if depth == 0:
                bodies.extend(own(j) for j in range(start + 1, k) if source_lines[j].lstrip()[:1] in ("x", "X"))
    if opened is not None:
        control.extend(own(j) for j in range(opened, len(source_lines)))
    if not allow_shell:
        if script:
            control = [own(k) for k in range(1, len(source_lines))]
        problems = control_violations(control, base_dir, script=script) + control_violations(included, base_dir)
        for path, lines in scripts:
            problems += control_violations(lines[1:], base_dir, script=True)
        if base_dir is not None and (base_dir / ".spiceinit").is_file():
            init = base_dir / ".spiceinit"
            lines = [SourceLine(f"{init} line {k}", None, t)
                     for k, t in enumerate(init.read_text(errors="replace").split("\n"), start=1)]
            problems += control_violations(lines, base_dir, script=True)
        if problems:
            line, problem = problems[0]
            raise _error(line, f"{problem}; refused because {ALLOW_HINT}")
    if opened is not None:
        raise _error(own(opened), ".control without .endc: ngspice would read the rest of the deck as commands "
                                  "and run nothing; close the block with .endc")
    structural = sorted(dotted + bodies, key=lambda line: line.number or 0) + \
        [line for line in included if line.text.lstrip()[:1] in (".", "x", "X")]
    checked: List[SourceLine] = []
    inside_control = False
    for line in structural:
        if _CONTROL.match(line.text):
            inside_control = True
        elif _ENDC.match(line.text):
            inside_control = False
        elif not inside_control:
            checked.append(line)
    _subckt_problems(checked)
    _analysis_problems(checked, len(source_lines) - len(dot_index), in_memory)
    _overflows(source_lines, text)
