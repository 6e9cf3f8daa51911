"""The experiment-file tables every crossbar experiment shares: ``[device]``, ``[array]``, ``[write]``.

Each reader checks its table completely (through :class:`~circuitsim.cosim.config.Section`)
and raises :class:`~circuitsim.cosim.config.ConfigError` naming the key, before any SPICE run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from circuitsim.cosim.config import ConfigError, Section
from circuitsim.cosim.writes import WriteScheme

__all__ = ["DeviceTable", "VTEAM_SYNAPSE", "ArrayTable", "array_options", "array_table", "device_table", "initial_states",
           "pulse_fraction",
           "write_table"]

#: VTEAM as a synapse: 10 k / 100 kohm, +-0.5 V thresholds, linear rates; a 0.9 V, 1 us pulse moves ~2 % of the range
VTEAM_SYNAPSE: Dict[str, float] = {"ron": 1e4, "roff": 1e5, "v_off": 0.5, "v_on": -0.5, "k_off": 7.5e-5,
                                   "k_on": -7.5e-5, "alpha_off": 1.0, "alpha_on": 1.0}


@dataclass(frozen=True)
class DeviceTable:
    """``[device]``: the device, the initial-state band (fractions of the range) and parameter overrides."""

    name: str
    initial_range: List[float]
    params: Dict[str, float]
    device: Any = None


def device_table(config: Dict[str, Any], default_initial: List[float],
                 base_dir: Optional[Union[str, Path]] = None) -> DeviceTable:
    """Read ``[device]``: ``name`` ["vteam"], ``initial_state`` [``default_initial``], ``[device.params]``.

    ``name`` is a catalogue name, a user's device (``"my_devices.py:MYMEM"``,
    ``"package.module:MYMEM"``) or a user's Verilog-A file (``"my_model.va"``,
    ``"my_model.va:module"``), relative paths from ``base_dir`` (see
    :func:`circuitsim.models.sources.resolve_device`).  A Verilog-A file needs
    ``[device.state]``: ``node`` (the internal node holding the state),
    ``initial_param`` (the parameter that sets its initial value), ``lower``,
    ``upper`` (numbers or parameter names) and ``offset`` [false] (true: the
    node holds the change since the transient's start).  The device must have one
    state; the parameters must pass its ``validate``.  Without ``[device.params]``
    the VTEAM synapse set applies to ``vteam`` and the device's defaults to any other.
    """
    from circuitsim.models.sources import DeviceSourceError, resolve_device
    from circuitsim.models.verilog_a import VerilogAError, VerilogAState

    dev = Section(config, "device", required=False)
    name = dev.get("name", "vteam", str)
    initial = dev.get("initial_state", list(default_initial), list,
                      lambda v: len(v) == 2 and all(_is_number(x) for x in v) and 0 <= v[0] <= v[1] <= 1,
                      "be [low, high], two numbers: fractions of the state range, 0 <= low <= high <= 1")
    params = dev.get("params", dict(VTEAM_SYNAPSE) if name == "vteam" else {}, dict)
    dev.get("state", None)
    dev.finish()
    states = None
    if "state" in dev.table:
        state = Section(config, "device.state")
        states = [VerilogAState(node=state.get("node", kind=str), initial_param=state.get("initial_param", kind=str),
                                lower=_bound(state, "lower", 0.0), upper=_bound(state, "upper", 1.0),
                                offset=state.get("offset", False, bool))]
        state.finish()
    try:
        device = resolve_device(name, base_dir=base_dir, states=states)
    except (DeviceSourceError, VerilogAError) as exc:
        raise ConfigError(f"device.name: {exc}") from None
    if len(device.states) != 1:
        raise ConfigError(f"device.name: crossbar experiments need a one-state device; {device.name} has "
                          f"{len(device.states)}")
    try:
        device.validate(**params)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"device.params: {exc}") from None
    return DeviceTable(name, [float(v) for v in initial], dict(params), device)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _bound(section: Section, key: str, default: float) -> Any:
    """A state bound: a number, or the name of the parameter holding it."""
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"{section.name}.{key} must be a number or a parameter name, got {value!r}")
    return value if isinstance(value, str) else float(value)


@dataclass(frozen=True)
class ArrayTable:
    """``[array]``: the wire, driver and sense resistances (ohm) and the devices per synapse."""

    wires: Dict[str, float]
    devices_per_synapse: int = 1


def array_options(config: Dict[str, Any]) -> ArrayTable:
    """Read ``[array]``: ``r_row``, ``r_col``, ``r_source``, ``r_sense`` (ohm, > 0) [1 ohm each] and
    ``devices_per_synapse`` [1] (multi-device synapses: :class:`~circuitsim.cosim.synapses.MultiDeviceSynapses`)."""
    arr = Section(config, "array", required=False)
    wires = {k: arr.positive(k, 1.0) for k in ("r_row", "r_col", "r_source", "r_sense")}
    devices = arr.get("devices_per_synapse", 1, int, lambda v: 1 <= v <= 64, "be between 1 and 64")
    arr.finish()
    return ArrayTable(wires, devices)


def array_table(config: Dict[str, Any]) -> Dict[str, float]:
    """The resistances of ``[array]`` (see :func:`array_options`), for experiments with one device per synapse:
    ``devices_per_synapse`` other than 1 is refused here."""
    table = array_options(config)
    if table.devices_per_synapse != 1:
        raise ConfigError("array.devices_per_synapse: this experiment has one device per synapse")
    return table.wires


def write_table(config: Dict[str, Any]) -> Tuple[WriteScheme, float]:
    """Read ``[write]``: the pulse scheme and ``max_state_step``.

    Keys: ``scheme`` ["v/2"], ``v_potentiate`` [-0.9 V], ``v_depress`` [0.9 V], ``width`` [1 us],
    ``max_voltage`` [1.5 V: the device's safe range], ``max_state_step`` [0.25: the largest fraction of the
    state range one pulse may move].
    """
    write = Section(config, "write", required=False)
    scheme = write.choice("scheme", ("v/2", "v/3"), "v/2")
    v_pot = write.get("v_potentiate", -0.9, float)
    v_dep = write.get("v_depress", 0.9, float)
    width = write.positive("width", 1e-6)
    max_voltage = write.positive("max_voltage", 1.5)
    max_state_step = write.get("max_state_step", 0.25, float, lambda v: 0 < v <= 1, "be in (0, 1]")
    write.finish()
    for key, v in (("v_potentiate", v_pot), ("v_depress", v_dep)):
        if v == 0 or abs(v) > max_voltage:
            raise ConfigError(f"write.{key} = {v} V is outside the device's safe range "
                              f"(0 < |V| <= write.max_voltage = {max_voltage} V)")
    return WriteScheme(scheme, v_pot, v_dep, width), max_state_step


def initial_states(circuit: Any, initial_range: List[float], rng: Any) -> Dict[str, Any]:
    """Each cell's state drawn uniformly in ``initial_range`` (fractions of the state range) with ``rng``."""
    name = circuit.state_params[0]
    lo, hi = circuit.state_bounds()[name]
    frac = rng.uniform(initial_range[0], initial_range[1], circuit.shape)
    return {name: lo + frac * (hi - lo)}


def pulse_fraction(circuit: Any, scheme: WriteScheme, max_state_step: float) -> Dict[str, float]:
    """State change of one potentiating / depressing pulse at mid-range, checked against ``max_state_step``.

    Returns ``{"potentiate": change, "depress": change, "moved": largest |change| / range}``.
    """
    name = circuit.state_params[0]
    lo, hi = circuit.state_bounds()[name]
    steps = circuit.pulse_step({name: 0.5 * (lo + hi)}, scheme)
    moved = max(abs(steps["potentiate"][name]), abs(steps["depress"][name])) / (hi - lo)
    if moved > max_state_step:
        raise ConfigError(f"write.width / amplitude: one pulse moves the device state by {moved:.0%} of its "
                          f"range, more than write.max_state_step = {max_state_step:.0%} (the device's safe "
                          "step); shorten the pulse or lower its amplitude")
    if moved == 0:
        raise ConfigError("write: one pulse does not move the device state at all (below its threshold?)")
    return {"potentiate": steps["potentiate"][name], "depress": steps["depress"][name], "moved": moved}
