"""Read ngspice's output: tell information from warnings from errors, and name the cause.

ngspice writes its notes ("Using KLU", "Note: Starting dynamic gmin stepping",
"pause requested") on stderr beside its real errors, and some errors on
stdout.  PySpice raises on any stderr line; this module classifies each line
and turns the error lines into the narrowest :mod:`circuitsim.spice.errors`
exception, naming the netlist line or the analysis and the simulated time.
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence

from circuitsim.spice.checks import quote_line
from circuitsim.spice.deck import Deck
from circuitsim.spice.errors import ConvergenceError, NetlistError, SimulationError, SpiceError

INFO, WARNING, ERROR = "info", "warning", "error"

_ERROR_PREFIXES = (
    "error", "fatal error", "yyparse error", "doanalyses:", "run simulation(s) aborted",
    "simulation interrupted due to error", "mif-error",
)
_ERROR_CONTAINS = ("is not a valid", "could not find include file", "timestep too small")
_ANALYSIS_NAMES = {"tran": "transient", "op": "operating-point", "dc": "DC sweep", "ac": "AC",
                   "noise": "noise", "tf": "transfer-function", "sens": "sensitivity", "pz": "pole-zero"}


def classify(line: str) -> str:
    """Return ``"error"``, ``"warning"`` or ``"info"`` for one ngspice output line."""
    text = line.strip().lower()
    if text.startswith(_ERROR_PREFIXES) or any(key in text for key in _ERROR_CONTAINS):
        return ERROR
    if text.startswith("warning"):
        return WARNING
    return INFO


def error_lines(lines: Sequence[str]) -> List[str]:
    """The lines :func:`classify` calls errors."""
    return [line for line in lines if classify(line) == ERROR]


def _next_nonblank(lines: Sequence[str], k: int, count: int = 1) -> List[str]:
    out = []
    for line in lines[k + 1:]:
        if line.strip():
            out.append(line.strip())
            if len(out) == count:
                break
    return out


def _netlist_error(deck: Deck, reason: str, echoed: Optional[str] = None, number: Optional[int] = None,
                   log: Sequence[str] = ()) -> NetlistError:
    where = deck.locate(echoed) if echoed else None
    if where is None and number is not None and deck.line_at(number) is not None:
        where = (number, deck.line_at(number))
    if where is not None:
        line_number, line = where
        return NetlistError(f"netlist line {line_number} ({quote_line(line)}): {quote_line(reason, 400)[1:-1]}",
                            line_number=line_number, line=line, log=log)
    suffix = f" (ngspice echoed {quote_line(echoed)})" if echoed else ""
    return NetlistError(f"netlist error: {reason}{suffix}", log=log)


def _locate_token(deck: Deck, token: str) -> Optional[int]:
    token = token.lower()
    for number, line in enumerate(deck.source_lines, start=1):
        if re.search(r"(?<![\w.])" + re.escape(token) + r"(?![\w.])", line.lower()):
            return number
    return None


def diagnose(lines: Sequence[str], deck: Deck) -> Optional[SpiceError]:
    """Turn ngspice's output into the exception that names the problem, or ``None``.

    Parameters
    ----------
    lines
        Everything ngspice printed during the run, in order.
    deck
        The deck that ran (to map echoed text back to the caller's line numbers).
    """
    log = list(lines)
    singular = None
    for k, raw in enumerate(lines):
        line = raw.strip()
        low = line.lower()

        match = re.match(r"error on line (\d+)", low)
        if match:
            following = _next_nonblank(lines, k, 2)
            echoed = following[0] if following else None
            reason = following[1] if len(following) > 1 else "ngspice could not parse it"
            return _netlist_error(deck, reason.strip(), echoed, int(match.group(1)), log)

        match = re.match(r"error in netlist line no\. (\d+)", low)
        if match:
            reason = (_next_nonblank(lines, k, 1) or ["ngspice could not parse it"])[0]
            token = re.search(r"\[(.+?)\]", reason)
            number = _locate_token(deck, token.group(1)) if token else None
            return _netlist_error(deck, reason, None, number or int(match.group(1)), log)

        match = re.match(r"error: unknown subckt: (.*)", line, re.IGNORECASE)
        if match:
            return _netlist_error(deck, "unknown subcircuit (no .subckt of that name)", match.group(1), None, log)

        match = re.match(r"warning: '(.*)' is not a valid (\w+) instance line", line, re.IGNORECASE)
        if match:
            return _netlist_error(deck, f"not a valid {match.group(2)} instance line (missing node or value?)",
                                  match.group(1), None, log)

        if low.startswith("error: mismatch of .subckt"):
            check = next((entry.strip()[len("check line "):] for entry in lines[k:]
                          if entry.strip().lower().startswith("check line ")), None)
            return _netlist_error(deck, ".subckt without a matching .ends", check, None, log)

        match = re.match(r"error: could not find include file (.*)", line, re.IGNORECASE)
        if match:
            name = match.group(1).strip()
            number = _locate_token(deck, name) if name else None
            return _netlist_error(deck, f"include file {name!r} not found", None, number, log)

        match = re.match(r"yyparse error.*parsing stopped at line (\d+)", low)
        if match:
            return _netlist_error(deck, "syntax error in an expression", None, int(match.group(1)), log)

        match = re.match(r"fatal error: (.*)", line, re.IGNORECASE)
        if match:
            reason = match.group(1)
            named = re.search(r'named "([^"]+)"', reason)
            number = None
            if named:
                number = next((n for n, text in enumerate(deck.source_lines, start=1)
                               if text.strip().lower().startswith(".") and named.group(1) in text.lower()), None)
            return _netlist_error(deck, reason, None, number, log)

        match = re.match(r"error: bad type given for option (\S+)", low)
        if match:
            name = match.group(1)
            number = next((n for n, text in enumerate(deck.source_lines, start=1)
                           if text.strip().lower().startswith(".opt") and name in text.lower()), None)
            return _netlist_error(deck, f"option {name} must be a number ({' '.join(_next_nonblank(lines, k, 1))})",
                                  None, number, log)

        if "singular matrix" in low and singular is None:
            node = re.search(r"check node (\S+)", line)
            singular = node.group(1) if node else "?"

        match = re.match(r"doanalyses: (\w+):\s*(.*)", low)
        if match:
            return _convergence_error(match.group(1), line.split(":", 2)[-1].strip(), singular, log)

    errors = error_lines(lines)
    if errors:
        fatal = [e for e in errors if "fatal error in ngspice" not in e.lower()]
        if any("operating point could not be simulated" in e.lower() for e in errors):
            return _convergence_error("op", "no convergence", singular, log)
        text = "; ".join(quote_line(e, 300)[1:-1] for e in (fatal or errors)[:3])
        if any(e.strip().lower().startswith("error: circuit not parsed") for e in errors):
            return NetlistError(f"ngspice could not parse the netlist: {text}", log=log)
        return SimulationError(f"ngspice reported: {text}", log=log)
    return None


def _convergence_error(kind: str, detail: str, singular: Optional[str], log: Sequence[str]) -> ConvergenceError:
    kind = kind.lower()
    name = _ANALYSIS_NAMES.get(kind, kind)
    time_match = re.search(r"time = ([-+0-9.eE]+)", detail)
    node_match = re.search(r'trouble with node "([^"]+)"', detail)
    time = float(time_match.group(1)) if time_match else None
    parts = [f"the {name} analysis did not converge"]
    if time is not None:
        parts.append(f"at simulated time t = {time:g} s (time step too small)")
    elif "timestep too small" in detail.lower() or "iteration limit" in detail.lower():
        parts.append("(Newton, gmin stepping, source stepping and the transient operating point all failed)")
    if node_match:
        parts.append(f"trouble with node {node_match.group(1)!r}")
    if singular:
        parts.append(f"singular matrix at node {singular!r} (a floating node or a loop of voltage sources?)")
    return ConvergenceError(", ".join(parts), analysis=kind, time=time, log=log)
