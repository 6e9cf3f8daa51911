"""The crossbar cells: each implements :class:`~circuitsim.crossbar.cell.Cell` (deck text and currents).

Layer: above :mod:`~circuitsim.crossbar.cell`, :mod:`~circuitsim.crossbar.probes`
and the physics (:mod:`~circuitsim.crossbar.newton`, :mod:`~circuitsim.crossbar.mos1`);
below the spec, the generator and the solver.  The catalogue cell imports
:mod:`circuitsim.models` (lazily).

The cells (deck; fast solver):

* :class:`LinearCell` (``"linear"``): ``Rg<i>_<j> r c 1/G``; one factorisation.
* :class:`SinhSelector` (``"selector"``): B-source ``G v_s sinh(V / v_s)``; Newton.
* :class:`SinhMemristor` (``"memristor"``): B-source ``G/a sinh(a V) + chi (exp(gamma V) - 1)``; Newton.
* :class:`ThresholdSelector` (1S1R): ``1/G`` to ``m<i>_<j>``, a threshold-switch B-source; Newton with the
  internal node eliminated.
* :class:`OneTransistorOneResistor` (1T1R): ``1/G`` to ``m<i>_<j>``, a level-1 NMOS, word lines; Newton,
  three-terminal.
* :class:`CatalogueCell`: a language device (catalogue or a user's) or a user's Verilog-A file per cell
  (subckt or OSDI), its state from an array; static: Newton; dynamic: ngspice only.

:data:`NONLINEAR_READ_OPTIONS` is the one set of ngspice options for the read
(``.op``) decks of nonlinear cells (:func:`read_options`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from circuitsim.crossbar import mos1
from circuitsim.crossbar.cell import Cell, TerminalCurrents
from circuitsim.crossbar.newton import internal_node_root
from circuitsim.crossbar.probes import (ROW, cell_element, cell_model, column_node, internal_node, row_lines,
                                        row_node, word_line, word_line_source)
from circuitsim.numbers import spice_number

__all__ = [
    "CELL_NAMES",
    "DEFAULT_SELECTOR_V_S",
    "NGSPICE_GMIN",
    "NONLINEAR_READ_OPTIONS",
    "CatalogueCell",
    "LinearCell",
    "OneTransistorOneResistor",
    "SinhMemristor",
    "SinhSelector",
    "ThresholdSelector",
    "as_cell",
    "cell_by_name",
    "read_options",
]

#: voltage scale of the sinh selector, ``I = G v_s sinh(V / v_s)`` (V): 50 mV, a strongly nonlinear selector
#: (a V/2 half-selected cell at a 0.4 V read passes 1/55 of the selected cell's current)
DEFAULT_SELECTOR_V_S = 0.05
#: ngspice options (the text after ``.options``) for the read decks of nonlinear cells: ngspice's default
#: reltol (1e-3) stops Newton early; reltol 1e-9 converges every cell here to ~1e-12, abstol 1e-15 A resolves
#: the currents of OFF selectors, and vntol stays at its default (1e-6 V): lines floating behind OFF
#: selectors cannot settle much below 1e-8 V, so a smaller vntol stops ngspice's operating point converging
NONLINEAR_READ_OPTIONS = "reltol=1e-9 abstol=1e-15"
NGSPICE_GMIN = mos1.NGSPICE_GMIN


def read_options(cell: Cell) -> Optional[str]:
    """The ``.options`` text of a read deck for ``cell``: ``None`` for the linear cell, else
    :data:`NONLINEAR_READ_OPTIONS`."""
    return None if cell.linear else NONLINEAR_READ_OPTIONS


def _two_node_template(n: int, element: str, first: Any, second: Any, value: str) -> str:
    """A row template of one element per cell between ``first(ROW, j)`` and ``second(ROW, j)``."""
    return "\n".join(f"{cell_element(element, ROW, j)} {first(ROW, j)} {second(ROW, j)} {value}" for j in range(n))


# --------------------------------------------------------------------------- linear


@dataclass(frozen=True)
class LinearCell(Cell):
    """The linear conductance ``I = G V``: a resistor ``1/G`` per cell (the default cell)."""

    linear = True

    @property
    def name(self) -> str:
        return "linear"

    def lines(self, m: int, n: int, conductance: np.ndarray) -> List[str]:
        template = _two_node_template(n, "R", row_node, column_node, "%.15g")
        return row_lines(m, template, (1.0 / conductance).tolist())

    def current(self, v: np.ndarray, g: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        v = np.asarray(v, dtype=float)
        return g * v, np.broadcast_to(g, v.shape).copy()


# --------------------------------------------------------------------------- B-source cells


class _BSourceCell(Cell):
    """A two-terminal static I-V ``I = f(V; G)`` written as one B-source per cell.

    Subclasses give ``current``, ``_expression(vexpr)`` (the B-source's text,
    with ``%.15g`` slots filled per cell by ``_values``) and ``max_step``.
    """

    instance_element = "B"

    def lines(self, m: int, n: int, conductance: np.ndarray) -> List[str]:
        template = "\n".join(
            f"{cell_element('B', ROW, j)} {row_node(ROW, j)} {column_node(ROW, j)} I="
            + self._expression(f"V({row_node(ROW, j)},{column_node(ROW, j)})") for j in range(n))
        values = self._values(conductance)                    # (M, N, k) numbers per cell
        return row_lines(m, template, values.reshape(m, -1).tolist())

    def _expression(self, vexpr: str) -> str:
        raise NotImplementedError

    def _values(self, g: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@dataclass(frozen=True)
class SinhSelector(_BSourceCell):
    """A strongly nonlinear selector-type (1S1R) cell: ``I = G * v_s * sinh(V / v_s)``.

    ``G`` (the spec's conductance) is the small-signal conductance at 0 V; at
    ``|V| >> v_s`` the current grows by ``e`` every ``v_s`` volts.  The
    default ``v_s`` is :data:`DEFAULT_SELECTOR_V_S`.
    """

    v_s: float = DEFAULT_SELECTOR_V_S

    def __post_init__(self) -> None:
        if not (np.isfinite(self.v_s) and self.v_s > 0):
            raise ValueError(f"SinhSelector v_s must be finite and > 0 V, got {self.v_s!r}")

    @property
    def name(self) -> str:
        return "selector"

    @property
    def max_step(self) -> float:
        return 2.0 * self.v_s

    def current(self, v: np.ndarray, g: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        x = np.asarray(v, dtype=float) / self.v_s
        return g * self.v_s * np.sinh(x), g * np.cosh(x)

    def _expression(self, vexpr: str) -> str:
        return f"%.15g*sinh({vexpr}*{1.0 / self.v_s:.15g})"

    def _values(self, g: np.ndarray) -> np.ndarray:
        return (g * self.v_s)[:, :, None]


@dataclass(frozen=True)
class SinhMemristor(_BSourceCell):
    """A sinh-type memristor I-V (Yang et al., Nat. Nanotechnol. 3, 429 (2008)) at a fixed state per cell:

    ``I = (G / alpha) * sinh(alpha * V) + chi * (exp(gamma * V) - 1)``

    ``G = beta * w**n * alpha`` is the spec's conductance of each cell (the
    state-dependent small-signal conductance of the sinh term at 0 V; see
    :meth:`conductance`); ``chi * (exp(gamma V) - 1)`` is the rectifying
    (interface) term, the same for every cell.
    """

    alpha: float = 2.0
    chi: float = 0.0
    gamma: float = 4.0

    def __post_init__(self) -> None:
        for name in ("alpha", "gamma"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"SinhMemristor {name} must be finite and > 0 (1/V), got {value!r}")
        if not (np.isfinite(self.chi) and self.chi >= 0):
            raise ValueError(f"SinhMemristor chi must be finite and >= 0 A, got {self.chi!r}")

    @property
    def name(self) -> str:
        return "memristor"

    @staticmethod
    def conductance(state: Any, beta: float, n: float, alpha: float) -> np.ndarray:
        """``beta * w**n * alpha`` (S): the spec's conductance for states ``w`` in (0, 1]."""
        return beta * np.asarray(state, dtype=float) ** n * alpha

    @property
    def max_step(self) -> float:
        return 2.0 / max(self.alpha, self.gamma if self.chi > 0 else 0.0)

    def current(self, v: np.ndarray, g: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        v = np.asarray(v, dtype=float)
        a = self.alpha
        i = g / a * np.sinh(a * v)
        di = g * np.cosh(a * v)
        if self.chi:
            e = np.exp(self.gamma * v)
            i = i + self.chi * (e - 1.0)
            di = di + self.chi * self.gamma * e
        return i, di

    def _expression(self, vexpr: str) -> str:
        text = f"%.15g*sinh({vexpr}*{self.alpha:.15g})"
        if self.chi:
            text += f"+{self.chi:.15g}*(exp({vexpr}*{self.gamma:.15g})-1)"
        return text

    def _values(self, g: np.ndarray) -> np.ndarray:
        return (g / self.alpha)[:, :, None]


# --------------------------------------------------------------------------- 1S1R with a threshold switch


@dataclass(frozen=True)
class ThresholdSelector(Cell):
    """1S1R with a threshold-type selector: a volatile threshold switch in series with the memory element.

    The memory element is the linear conductance ``G`` (the spec's
    conductance) from the row node to an internal node ``m<i>_<j>``; the
    selector, from ``m<i>_<j>`` to the column node, is the quasi-static
    (DC) form of a volatile threshold switch: a conductance that goes from
    ``g_off`` below the threshold ``|u| < v_th`` to ``g_on`` above it over a
    smooth transition of width ``width``::

        I_s(u) = u * (g_off + (g_on - g_off) * (S((u - v_th)/width) + S((-u - v_th)/width)))

    with ``S`` the logistic function ``1 / (1 + exp(-x))``.  ``I_s`` is odd,
    smooth and strictly increasing (``d(u * s(u))/du = s + u s' > 0`` since
    ``s`` is even and grows with ``|u|``), so the series cell has a unique
    operating point.  The quasi-static form has no hysteresis and no
    snapback: the hold voltage equals ``v_th`` and the switch relaxes
    instantly (a read is much slower than its ON / OFF dynamics or, for a
    DC read, the selector is either held ON or OFF for the whole read).

    Deck: ``Rg<i>_<j> r<i>_<j> m<i>_<j> 1/G`` and
    ``Bg<i>_<j> m<i>_<j> c<i>_<j> I=...``.  Fast solver: the internal node is
    eliminated per cell (:meth:`split`, the safeguarded Newton of
    :mod:`circuitsim.crossbar.newton` on ``G (V - u) = I_s(u)``), so the cell
    is a two-terminal ``I(V)`` with ``dI/dV = G I_s'(u) / (G + I_s'(u))``.

    Defaults: threshold 0.3 V (a 0.4 V read turns the selected cell ON,
    V/2 = 0.2 V and V/3 leave the others OFF), 5 mV transition, ON 1e-2 S
    (100 ohm, negligible against a memory element of 10 kOhm ... 1 MOhm), OFF
    1e-9 S (1 GOhm).
    """

    v_th: float = 0.3
    width: float = 0.005
    g_on: float = 1e-2
    g_off: float = 1e-9
    instance_element = "B"

    def __post_init__(self) -> None:
        for name in ("v_th", "width", "g_on", "g_off"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"ThresholdSelector {name} must be finite and > 0, got {value!r}")
        if not self.g_off < self.g_on:
            raise ValueError(f"ThresholdSelector needs g_off < g_on, got g_off={self.g_off!r}, g_on={self.g_on!r}")

    @property
    def name(self) -> str:
        return "threshold"

    @property
    def max_step(self) -> float:
        return 5.0 * self.width

    def selector(self, u: Any) -> Tuple[np.ndarray, np.ndarray]:
        """The selector alone: current (A) and dI/du (S) at selector voltages ``u`` (V)."""
        from scipy.special import expit

        u = np.asarray(u, dtype=float)
        w = self.width
        sa, sb = expit((u - self.v_th) / w), expit((-u - self.v_th) / w)
        span = self.g_on - self.g_off
        gs = self.g_off + span * (sa + sb)
        ds = span * (sa * (1.0 - sa) - sb * (1.0 - sb)) / w
        return u * gs, gs + u * ds

    def split(self, v: Any, g: Any) -> np.ndarray:
        """Selector voltage ``u`` (V) of cells at voltage ``v`` with memory conductance ``g``: the root of
        ``g (v - u) = I_s(u)`` in ``[min(0, v), max(0, v)]``."""
        v = np.asarray(v, dtype=float)
        g = np.broadcast_to(np.asarray(g, dtype=float), v.shape)

        def evaluate(u: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
            i_s, di_s = self.selector(u)
            return g * (v - u) - i_s, g + di_s, g * (np.abs(v) + np.abs(u)) + np.abs(i_s)

        start = v * (g / (g + self.g_off))                 # the OFF solution (exact below the threshold)
        return internal_node_root(evaluate, np.minimum(v, 0.0), np.maximum(v, 0.0), start, 200, repr(self))

    def current(self, v: np.ndarray, g: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        v = np.asarray(v, dtype=float)
        g = np.broadcast_to(np.asarray(g, dtype=float), v.shape)
        u = self.split(v, g)
        i_s, di_s = self.selector(u)
        # the better-conditioned of the two equal currents: the selector's when it is the larger resistance
        i = np.where(di_s < g, i_s, g * (v - u))
        return i, g * di_s / (g + di_s)

    def _selector_expression(self, vexpr: str) -> str:
        w, span = self.width, self.g_on - self.g_off
        return (f"{vexpr}*({self.g_off:.15g}+{span:.15g}*(1/(1+exp(({self.v_th:.15g}-{vexpr})/{w:.15g}))"
                f"+1/(1+exp(({vexpr}+{self.v_th:.15g})/{w:.15g}))))")

    def lines(self, m: int, n: int, conductance: np.ndarray) -> List[str]:
        template = "\n".join(
            f"{cell_element('R', ROW, j)} {row_node(ROW, j)} {internal_node(ROW, j)} %.15g\n"
            f"{cell_element('B', ROW, j)} {internal_node(ROW, j)} {column_node(ROW, j)} I="
            + self._selector_expression(f"V({internal_node(ROW, j)},{column_node(ROW, j)})") for j in range(n))
        return row_lines(m, template, (1.0 / conductance).tolist())


# --------------------------------------------------------------------------- 1T1R


@dataclass(frozen=True)
class OneTransistorOneResistor(Cell):
    """1T1R cells: the resistor ``1/G`` from the row node to an internal node ``m<i>_<j>``, an NMOS
    (drain ``m<i>_<j>``, gate the word line ``w<i>`` of its row, source the column node, bulk 0) to
    the column node.

    ``gate_voltages`` (one value, or one per row, V) drive the word lines
    (``Vwl<i> w<i> 0``); ``model`` is the text of the ``.model`` card (default
    a level-1 NMOS, which ngspice ships); ``w`` and ``l`` (m) are the
    transistor size.

    Fast solver (:attr:`solvable` for an NMOS level-1 card with at most
    ``vto kp lambda ld is``): ngspice's level-1 equations and bulk junctions
    (:mod:`circuitsim.crossbar.mos1`), so the small leakage of each transistor
    to the bulk is in the solution too.  The internal node is eliminated per
    cell by the safeguarded Newton of :mod:`circuitsim.crossbar.newton`
    (``G (V_r - V_m) = I_drain(V_m, V_c)``), which leaves a three-terminal
    cell (row, column, ground) with a non-symmetric Jacobian.
    """

    gate_voltages: Any = 1.8
    w: float = 1e-6
    l: float = 1e-7
    model: str = ".model nmos1t1r nmos (level=1 vto=0.5 kp=2e-4 lambda=0.02)"
    instance_element = "M"
    two_terminal = False

    @property
    def name(self) -> str:
        return "1t1r"

    def check(self, m: int, n: int) -> None:
        gv = np.asarray(self.gate_voltages, dtype=float)
        if gv.ndim > 1 or (gv.ndim == 1 and gv.shape != (m,)):
            raise ValueError(f"1T1R gate_voltages must be one value or one per row: shape ({m},), got {gv.shape}")
        if not np.all(np.isfinite(gv)):
            raise ValueError("1T1R gate_voltages must be finite")
        for name in ("w", "l"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"1T1R {name} must be finite and > 0 m, got {value!r}")
        if not self.model.lower().lstrip().startswith(".model "):
            raise ValueError(f"model must be a .model card, got {self.model!r}")

    @property
    def model_name(self) -> str:
        return self.model.split()[1]

    def _mos1(self) -> Optional[Dict[str, float]]:
        return mos1.level1_parameters(self.model, self.l)

    @property
    def solvable(self) -> bool:
        """Whether the fast solver reproduces the card (NMOS level 1 with at most vto, kp, lambda, ld, is)."""
        return self._mos1() is not None

    def terminal_currents(self, v_row: Any, v_column: Any, g: Any) -> TerminalCurrents:
        """The cell seen from its row and column nodes (internal node eliminated), node voltages ``(..., M, N)``.

        ``row`` is the current from the row node into the cell (through
        ``1/G``), ``column`` the current from the cell into the column node
        (channel plus the source junction); they differ by the junction
        currents to the bulk.
        """
        p = self._mos1()
        if p is None:
            raise self.unsupported(f"fast-solver model of the card {self.model!r} (the fast solver reproduces "
                                   f"level-1 NMOS cards with at most {sorted(mos1.SOLVABLE)})")
        vr = np.asarray(v_row, dtype=float)
        vc = np.asarray(v_column, dtype=float)
        g = np.broadcast_to(np.asarray(g, dtype=float), vr.shape)
        rows = vr.shape[-2]
        gates = np.broadcast_to(np.asarray(self.gate_voltages, dtype=float), (rows,))
        vg = np.broadcast_to(gates[:, None], vr.shape)
        i_s = p["is"]

        def evaluate(vm: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
            ich, a_d, _ = mos1.channel(p, self.w, self.l, vm, vg, vc)
            ibd, gbd = mos1.junction(-vm, i_s)
            h = g * (vr - vm) - (ich - ibd)                   # decreasing in vm
            return h, g + a_d + gbd, g * (np.abs(vr) + np.abs(vm)) + np.abs(ich) + np.abs(ibd)

        lo = np.minimum(np.minimum(vr, vc), 0.0)
        hi = np.maximum(np.maximum(vr, vc), 0.0)
        vm = internal_node_root(evaluate, lo, hi, vr, 300, repr(self))
        ich, p_m, q_c = mos1.channel(p, self.w, self.l, vm, vg, vc)
        ibd, gbd = mos1.junction(-vm, i_s)
        ibs, gbs = mos1.junction(-vc, i_s)
        a = p_m + gbd                                         # d(I_ch - I_bd)/dvm
        den = g + a
        return TerminalCurrents(row=g * (vr - vm), column=ich + ibs, d_row_d_vrow=g * a / den,
                                d_row_d_vcol=g * q_c / den, d_col_d_vrow=p_m * g / den,
                                d_col_d_vcol=-p_m * q_c / den + q_c - gbs)

    def definitions(self) -> List[str]:
        return [self.model]

    def lines(self, m: int, n: int, conductance: np.ndarray) -> List[str]:
        gv = np.broadcast_to(np.asarray(self.gate_voltages, dtype=float), (m,)).tolist()
        out = [f"{word_line_source(i)} {word_line(i)} 0 {gv[i]:.15g}" for i in range(m)]
        size = f"W={spice_number(self.w)} L={spice_number(self.l)}"
        template = "\n".join(
            f"{cell_element('R', ROW, j)} {row_node(ROW, j)} {internal_node(ROW, j)} %.15g\n"
            f"{cell_element('M', ROW, j)} {internal_node(ROW, j)} {word_line(ROW)} {column_node(ROW, j)} 0 "
            f"{self.model_name} {size}" for j in range(n))
        return out + row_lines(m, template, (1.0 / conductance).tolist())


# --------------------------------------------------------------------------- catalogue / language devices

BACKENDS = ("subckt", "osdi")


class CatalogueCell(Cell):
    """A compact model (:class:`circuitsim.models.language.Device`, or a catalogue name) as the cell, its
    state per cell from an array.

    Parameters
    ----------
    device
        A :class:`~circuitsim.models.language.Device` (a catalogue device or
        one declared in your own script), a user's Verilog-A file
        (:class:`~circuitsim.models.verilog_a.VerilogADevice`: dynamic OSDI
        cells only), or a reference :func:`circuitsim.models.sources.resolve_device`
        resolves (a catalogue name, ``"my_devices.py:MYMEM"``, ...).
    state
        The state per cell, shape (M, N): for a one-state device an array of
        its initial-state parameter (``x0`` for the linear ion drift devices),
        or ``{initial-state parameter: array}`` for every state.
    params
        Other parameter overrides, the same for every cell (checked by
        ``device.validate``).
    dynamic
        ``False`` (default): a read-only cell, the state held at its array
        value (the subckt ``NAME_read`` is the device's current expression
        with the state replaced by its parameter: an ``.op`` reads the array,
        and the fast solver solves it by Newton with the device's I-V).
        ``True``: the device's own model, whose states integrate in a
        transient started with ``uic`` (writing / programming through the
        array); ngspice only.
    max_step
        Newton step limit on any cell voltage (V) in the fast solver.
    backend
        Dynamic cells: ``"subckt"`` (default; the catalogue subckt of
        :func:`circuitsim.models.printers.subckt_text`, instances ``Xg<i>_<j>``)
        or ``"osdi"`` (the device's compiled Verilog-A, one ``.model mg<i>_<j>``
        card per cell carrying its state and an instance ``Ng<i>_<j>``; the
        deck's runner loads the OSDI library).  Either way the probes name
        the state vectors (:meth:`CrossbarProbes.state_vectors`).
    """

    def __init__(self, device: Any, state: Any, params: Optional[Dict[str, float]] = None,
                 dynamic: bool = False, max_step: float = 0.2, backend: str = "subckt"):
        from circuitsim.models.sources import resolve_device

        self.device = resolve_device(device)
        self.has_reference = bool(getattr(self.device, "has_reference", False))
        if not self.has_reference and not (dynamic and backend == "osdi"):
            raise ValueError(f"{self.device.name} is a Verilog-A file: as a crossbar cell it runs in ngspice "
                             "through OSDI with its states integrating (dynamic=True, backend='osdi'); a read-only "
                             "cell at a fixed state, and the fast solver, need the device's Python expressions "
                             "(declare it with circuitsim.models.language.Device)")
        states = self.device.states
        if isinstance(state, dict):
            self.states = {k: np.asarray(v, dtype=float) for k, v in state.items()}
        else:
            if len(states) != 1:
                raise ValueError(f"{self.device.name} has {len(states)} states: give state as "
                                 f"{{initial parameter: array}} for {[s.initial_param for s in states]}")
            self.states = {states[0].initial_param: np.asarray(state, dtype=float)}
        wanted = {s.initial_param for s in states}
        if set(self.states) != wanted:
            raise ValueError(f"{self.device.name}: state arrays must be given for exactly {sorted(wanted)}, "
                             f"got {sorted(self.states)}")
        self.params = dict(params or {})
        clash = set(self.params) & wanted
        if clash:
            raise ValueError(f"{self.device.name}: {sorted(clash)} comes from the state array, not params")
        self.dynamic = bool(dynamic)
        self.max_step = float(max_step)
        if backend not in BACKENDS:
            raise ValueError(f"CatalogueCell backend must be one of {BACKENDS}, got {backend!r}")
        if backend == "osdi" and not self.dynamic:
            raise ValueError("backend='osdi' runs the device's Verilog-A (states integrating): it needs dynamic=True")
        self.backend = backend
        self._fns = None

    def __repr__(self) -> str:
        return f"CatalogueCell({self.device.name!r}, dynamic={self.dynamic}, backend={self.backend!r})"

    @property
    def name(self) -> str:
        return self.device.name

    @property
    def instance_element(self) -> str:        # type: ignore[override]
        return "N" if self.backend == "osdi" else "X"

    @property
    def solvable(self) -> bool:
        return not self.dynamic

    @property
    def subckt_name(self) -> str:
        return self.device.name if self.dynamic else f"{self.device.name}_read"

    def state_nodes(self) -> Dict[str, str]:
        if not self.dynamic:
            return {}
        if not self.has_reference:
            return {s.initial_param: self.device.state_node(s).lower() for s in self.device.states}
        from circuitsim.models.printers import state_node

        return {s.initial_param: state_node(s.name) for s in self.device.states}

    def states_from_nodes(self, node_values: Dict[str, np.ndarray], initial: Dict[str, np.ndarray]
                          ) -> Dict[str, np.ndarray]:
        """The states (by initial-state parameter) from their nodes' voltages at a transient's end.

        A model-language device's node holds the change since the transient's start (added to
        ``initial``); a Verilog-A file's node holds the state itself unless the user declared it an offset.
        """
        offset = {s.initial_param: (True if self.has_reference else bool(s.offset)) for s in self.device.states}
        return {k: initial[k] + v if offset[k] else np.asarray(v, dtype=float) for k, v in node_values.items()}

    @property
    def osdi_module(self) -> str:
        """The module name the compiled library defines (content-hashed: see
        :func:`circuitsim.models.printers.osdi_module_name`)."""
        if not self.has_reference:
            return self.device.osdi_module
        from circuitsim.models.printers import osdi_module_name

        return osdi_module_name(self.device)

    def osdi_file(self) -> str:
        """Compile the device's Verilog-A with ``openvaf-r`` (cached by content, per user); the library path."""
        if not self.has_reference:
            return str(self.device.osdi_file())
        from circuitsim.models.printers import verilog_a_text
        from circuitsim.spice.toolchain import compile_verilog_a

        return str(compile_verilog_a(verilog_a_text(self.device, module=self.osdi_module), name=self.device.name))

    def check(self, m: int, n: int) -> None:
        for name, arr in self.states.items():
            if arr.shape != (m, n) or not np.all(np.isfinite(arr)):
                raise ValueError(f"{self.device.name}: state array {name!r} must be finite, shape ({m}, {n}); "
                                 f"got {arr.shape}")
        # every parameter's range, the cross checks and the state bounds, at the extremes of the arrays
        for pick in (np.min, np.max):
            self.device.validate(**self.params, **{k: float(pick(a)) for k, a in self.states.items()})

    def definitions(self) -> List[str]:
        from circuitsim.models.printers import NgspicePrinter, subckt_text

        if self.dynamic:
            return [] if self.backend == "osdi" else subckt_text(self.device).rstrip("\n").splitlines()

        class _ReadPrinter(NgspicePrinter):
            def state_value(self, state) -> str:            # the state held at its initial-state parameter
                return self.param_name(state.initial_param)

            def noise_value(self, noise) -> str:
                return "0"

        device = self.device
        current, _ = device.target_expressions()
        p, q = device.ports[0], device.ports[1]
        params = " ".join(f"{prm.name}={spice_number(prm.default)}" for prm in device.params)
        return [f"* {device.name} at a fixed state per instance (read-only cell): {device.title}",
                f".subckt {self.subckt_name} {p} {q} params: {params}",
                f"Bdevice {p} {q} I={_ReadPrinter(device).doprint(current)}",
                f".ends {self.subckt_name}"]

    def lines(self, m: int, n: int, conductance: np.ndarray) -> List[str]:
        names = list(self.states)
        common = "".join(f" {k}={spice_number(v)}" for k, v in self.params.items())
        slots = "".join(f" {k}=%.15g" for k in names)
        if self.backend == "osdi":
            template = "\n".join(
                f".model {cell_model(ROW, j)} {self.osdi_module}{slots}{common}\n"
                f"{cell_element('N', ROW, j)} {row_node(ROW, j)} {column_node(ROW, j)} {cell_model(ROW, j)}"
                for j in range(n))
        else:
            template = "\n".join(f"{cell_element('X', ROW, j)} {row_node(ROW, j)} {column_node(ROW, j)} "
                                 f"{self.subckt_name}{slots}{common}" for j in range(n))
        values = np.stack([self.states[k] for k in names], axis=-1)
        return row_lines(m, template, values.reshape(m, -1).tolist())

    # -- the fast solver's I-V (read-only cells) ------------------------------------------------------
    def _functions(self):
        if self._fns is None:
            import sympy as sp

            from circuitsim.models.language import V, symbol
            from circuitsim.models.printers import _numpy_smooth_step

            device = self.device
            current, _ = device.target_expressions()
            current = current.subs({nz.symbol: 0 for nz in device.noises})
            raw = [symbol(f"{s.name}_raw") for s in device.states]
            args = [V, *raw, *[prm.symbol for prm in device.params]]
            modules = [{"SmoothStep": _numpy_smooth_step}, "numpy"]
            self._fns = (sp.lambdify(args, current, modules=modules),
                         sp.lambdify(args, sp.diff(current, V), modules=modules))
        return self._fns

    def current(self, v: np.ndarray, g: Any = None) -> Tuple[np.ndarray, np.ndarray]:
        """Cell current (A) and dI/dV (S) at cell voltages ``v`` (``(..., M, N)``); ``g`` is not used (the
        state arrays are)."""
        if self.dynamic:
            raise self.unsupported("static I-V for the fast solver (a dynamic cell's states integrate in a "
                                   "transient; use dynamic=False to read the array at its state)")
        return self._static(v)

    def _static(self, v: Any) -> Tuple[np.ndarray, np.ndarray]:
        f, df = self._functions()
        values = self.device.validate(**self.params)
        v = np.asarray(v, dtype=float)
        raw = [self.states[s.initial_param] for s in self.device.states]
        prm = [self.states[p_.name] if p_.name in self.states else values[p_.name] for p_ in self.device.params]
        with np.errstate(over="ignore", invalid="ignore"):
            i = np.broadcast_to(f(v, *raw, *prm), v.shape)
            di = np.broadcast_to(df(v, *raw, *prm), v.shape)
        return np.array(i, dtype=float), np.array(di, dtype=float)

    def conductance(self) -> np.ndarray:
        """Small-signal conductance at 0 V per cell at its state (S), shape (M, N)."""
        shape = next(iter(self.states.values())).shape
        return self._static(np.zeros(shape))[1]

    def own_conductance(self) -> Optional[np.ndarray]:
        return self.conductance()


# --------------------------------------------------------------------------- names

#: the cells a name selects (``"selector"`` etc. in the CLI and the read-margin tables)
CELL_NAMES: Dict[str, type] = {"linear": LinearCell, "selector": SinhSelector, "memristor": SinhMemristor,
                               "threshold": ThresholdSelector, "1t1r": OneTransistorOneResistor}


def cell_by_name(name: str, **params: Any) -> Cell:
    """The cell called ``name`` (see :data:`CELL_NAMES`, case-insensitive) with ``params`` (its fields).

    Raises
    ------
    ValueError
        An unknown name, or parameters the cell does not take.
    """
    key = str(name).strip().lower()
    if key not in CELL_NAMES:
        raise ValueError(f"unknown cell {name!r}; choose one of {', '.join(CELL_NAMES)}")
    try:
        return CELL_NAMES[key](**params)
    except TypeError as exc:
        raise ValueError(f"cell {key!r}: {exc}") from None


def as_cell(cell: Any) -> Cell:
    """``cell`` as a :class:`Cell`: ``None`` is the linear cell; anything that is not a Cell is a ``ValueError``."""
    if cell is None:
        return LinearCell()
    if isinstance(cell, Cell):
        return cell
    raise ValueError(f"cell must be a circuitsim.crossbar.Cell (e.g. SinhSelector(), CatalogueCell(...)) or None "
                     f"for the linear conductance, got {cell!r}")
