"""Text only: the ngspice deck of a :class:`~circuitsim.crossbar.spec.CrossbarSpec`.

Layer: above the spec, the cells and the probes; it never imports the solver
(nor runs anything).  :func:`crossbar_deck` returns a :class:`CrossbarDeck`:
the text and the :class:`~circuitsim.crossbar.probes.CrossbarProbes` that
name its elements and vectors (the column currents ``i(vs<j>)``, the node
voltages, the state vectors of dynamic cells) and read them back from a result.

The text is built a row of the array at a time from per-row templates (one
``%`` formatting of a template per row), so a 1024 x 1024 array (3 million
elements) takes about a second.  Numbers are ``%.15g``
(:mod:`circuitsim.numbers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from circuitsim.crossbar import probes as names
from circuitsim.crossbar.probes import NEXT_ROW, ROW, CrossbarProbes, row_lines, save_lines
from circuitsim.crossbar.spec import CrossbarSpec
from circuitsim.numbers import spice_number

__all__ = ["CrossbarDeck", "crossbar_deck"]


@dataclass(frozen=True)
class CrossbarDeck:
    """A crossbar's deck and its names.

    Engines take it as it is (``str(deck)`` is the text).

    Attributes
    ----------
    text
        The deck, ending in ``.end``.
    probes
        Every element and vector name of the deck, and readers of its results.
    """

    text: str
    probes: CrossbarProbes

    def __str__(self) -> str:
        return self.text


def _ideal_prefix(ohms: float) -> str:
    """Prefix of a resistor's element name: ``"V"`` for an ideal (0 ohm) one, written as a 0 V source."""
    return "V" if ohms == 0 else ""


def _ohms(ohms: float) -> str:
    """A resistor's value, or ``0`` (volts) for an ideal one written as a 0 V source."""
    return "0" if ohms == 0 else spice_number(ohms)


def crossbar_deck(spec: CrossbarSpec, title: Optional[str] = None, analysis: Optional[str] = ".op",
                  save_currents_only: bool = True, *, options: Optional[str] = None) -> CrossbarDeck:
    """The ngspice deck of a crossbar, and its probes.

    Parameters
    ----------
    spec
        The array and its options (one input vector: for a batch, write a deck
        per :meth:`~circuitsim.crossbar.spec.CrossbarSpec.input_vector`).
    title
        First line of the deck.
    analysis
        Analysis line to include (``None`` for none).
    save_currents_only
        Add ``.save`` of the column currents (and TIA outputs) only (a 1024 x
        1024 array has two million node voltages; saving them all costs more
        than the solve).
    options
        Text of an ``.options`` line to add (e.g.
        :data:`~circuitsim.crossbar.cells.NONLINEAR_READ_OPTIONS`), or ``None``.

    Returns
    -------
    CrossbarDeck

    Raises
    ------
    ValueError
        A batch of input vectors, or ``drive="both"`` with ideal row wires and
        an ideal driver (a loop of voltage sources, which a deck cannot hold;
        the fast solver can).
    """
    if spec.is_batch:
        raise ValueError(f"a deck holds one input vector; spec.voltages holds {spec.voltages.shape[0]}: write one "
                         f"deck per spec.input_vector(k)")
    m, n = spec.shape
    r_source = np.broadcast_to(np.asarray(spec.r_source, dtype=float), (m,))
    r_sense = np.broadcast_to(np.asarray(spec.r_sense, dtype=float), (n,))
    probes = CrossbarProbes.of(spec)
    driven, sensed = probes.driven_rows, probes.sensed_columns
    if spec.drive == "both" and spec.r_row == 0 and n > 1 and np.any(r_source[list(driven)] == 0):
        raise ValueError("drive='both' with ideal row wires (r_row = 0) and an ideal driver (r_source = 0) is a "
                         "loop of voltage sources in the deck: make r_row or r_source positive")
    out = [title or f"{'passive ' if spec.cell.linear else ''}crossbar {m}x{n}: r_row={spice_number(spec.r_row)} "
           f"r_col={spice_number(spec.r_col)}"]
    out += _drivers(spec, driven, r_source)
    out += spec.cell.definitions()
    out += spec.cell.lines(m, n, spec.conductance)
    out += _wires(spec)
    out += _senses(spec, sensed, r_sense)
    if save_currents_only and sensed:
        out += save_lines(probes.saved_vectors())
    if options:
        out.append(".options " + options)
    if analysis:
        out.append(analysis)
    out.append(".end")
    return CrossbarDeck("\n".join(out) + "\n", probes)


def _drivers(spec: CrossbarSpec, driven: tuple, r_source: np.ndarray) -> List[str]:
    """The row drivers and their resistors (both ends with ``drive="both"``)."""
    n = spec.shape[1]
    volts = ["%.15g" % v for v in spec.voltages.tolist()] if spec.sources is None else spec.sources.rows
    out = [f"{names.driver(i)} {names.driver_node(i)} 0 {volts[i]}" for i in driven]
    ends = [(False, 0)] + ([(True, n - 1)] if spec.drive == "both" else [])
    for far, column in ends:
        out += [f"{_ideal_prefix(r_source[i])}{names.source_resistor(i, far)} {names.driver_node(i)} "
                f"{names.row_node(i, column)} {_ohms(r_source[i])}" for i in driven]
    return out


def _wires(spec: CrossbarSpec) -> List[str]:
    """The row and column wire segments, a row of the array per text block."""
    m, n = spec.shape
    out: List[str] = []
    if n > 1:
        value, prefix = _ohms(spec.r_row), _ideal_prefix(spec.r_row)
        out += row_lines(m, "\n".join(f"{prefix}{names.row_wire(ROW, j)} {names.row_node(ROW, j)} "
                                      f"{names.row_node(ROW, j + 1)} {value}" for j in range(n - 1)))
    if m > 1:
        value, prefix = _ohms(spec.r_col), _ideal_prefix(spec.r_col)
        out += row_lines(m - 1, "\n".join(f"{prefix}{names.column_wire(ROW, j)} {names.column_node(ROW, j)} "
                                          f"{names.column_node(NEXT_ROW, j)} {value}" for j in range(n)))
    return out


def _senses(spec: CrossbarSpec, sensed: tuple, r_sense: np.ndarray) -> List[str]:
    """``R_sense`` to a node held at the column's voltage (0 V: the virtual ground), or to a TIA."""
    m = spec.shape[0]
    u = spec.sense_voltages.tolist()
    last = m - 1
    if spec.tia is None:
        column_text = (["0" if uj == 0 else "%.15g" % uj for uj in u] if spec.sources is None
                       else spec.sources.columns)
        out = [f"{_ideal_prefix(r_sense[j])}{names.sense_resistor(j)} {names.column_node(last, j)} "
               f"{names.sense_node(j)} {_ohms(r_sense[j])}" for j in sensed]
        return out + [f"{names.sense_source(j)} {names.sense_node(j)} 0 {column_text[j]}" for j in sensed]
    gain, r_f = spice_number(spec.tia.gain), spice_number(spec.tia.r_f)
    out = [f"{_ideal_prefix(r_sense[j])}{names.sense_resistor(j)} {names.column_node(last, j)} "
           f"{names.tia_input_node(j)} {_ohms(r_sense[j])}" for j in sensed]
    out += [f"{names.sense_source(j)} {names.tia_input_node(j)} {names.sense_node(j)} 0" for j in sensed]
    out += [f"{names.feedback_resistor(j)} {names.tia_output_node(j)} {names.sense_node(j)} {r_f}" for j in sensed]
    for j in sensed:
        if u[j] == 0:
            out.append(f"{names.tia_amplifier(j)} {names.tia_output_node(j)} 0 0 {names.sense_node(j)} {gain}")
        else:
            out.append(f"{names.tia_reference(j)} {names.tia_reference_node(j)} 0 {u[j]:.15g}")
            out.append(f"{names.tia_amplifier(j)} {names.tia_output_node(j)} 0 {names.tia_reference_node(j)} "
                       f"{names.sense_node(j)} {gain}")
    return out
