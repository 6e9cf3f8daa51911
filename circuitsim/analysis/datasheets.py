"""Datasheets: one Markdown page per device with its equations, parameters (with sources) and an I-V loop.

``circuitsim models datasheets docs/models`` writes ``NAME.md`` and ``NAME_iv.png``;
the loop is simulated in ngspice from the emitted subcircuit under the device's
standard sine stimulus, with the Python reference drawn over it.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Union

from circuitsim.analysis.devices import Stimulus, compare, simulate_ngspice, simulate_python
from circuitsim.models.catalogue import DEVICES
from circuitsim.models.language import Device
from circuitsim.plotting import new_figure, save_figure


def _plot(device: Device, path: Path) -> dict:
    stimulus = Stimulus.standard(device, "sine")
    spice = simulate_ngspice(device, stimulus)
    reference = simulate_python(device, stimulus)
    errors = compare(device, reference, spice)
    fig = new_figure(figsize=(9, 3.6))
    loop, state = fig.subplots(1, 2)
    loop.plot(spice.v, spice.i * 1e3, label="ngspice subckt")
    loop.plot(reference.v, reference.i * 1e3, "--", label="Python reference")
    loop.set_xlabel("V [V]")
    loop.set_ylabel("I [mA]")
    loop.legend(fontsize=8)
    for s in device.states:
        state.plot(spice.t, spice.states[s.name], label=f"{s.name} (ngspice)")
        state.plot(reference.t, reference.states[s.name], "--", label=f"{s.name} (Python)")
    state.set_xlabel("t [s]")
    state.set_ylabel(", ".join(f"{s.name} [{s.unit}]" if s.unit else s.name for s in device.states))
    state.legend(fontsize=8)
    fig.suptitle(f"{device.name}: {stimulus.amplitude:g} V, {stimulus.frequency:g} Hz sine")
    fig.tight_layout()
    save_figure(fig, path)
    return errors


def datasheet_text(device: Device, image: str, errors: dict) -> str:
    rows = "\n".join(f"| `{p.name}` | {p.default:g} | {p.unit} | {p.doc} | {p.source} |" for p in device.params)
    states = "\n".join(f"| `{s.name}` | [{s.lower}, {s.upper}] | `{s.initial_param}` | {s.unit} | {s.doc} |"
                       for s in device.states)
    agreement = ", ".join(f"{k} {v:.1e}" for k, v in errors.items())
    return f"""# {device.name}

{device.title}.

**Reference:** {device.reference}

**Ports:** {' '.join(device.ports)} (the current flows from `{device.ports[0]}` through the device to `{device.ports[1]}`).
Library files: `models/{device.name}.lib` (`.include` it, instantiate `X1 a b {device.name} param=value ...`)
and `models/{device.name}.va` (compile with `openvaf-r`, load with `pre_osdi`).

## Equations
{device.equations.strip()}

States are clamped to their bounds inside these equations and each rate is bounded smoothly near the
bounds (the rate is clamped, never the state); see `circuitsim/models/language.py`.

## Parameters

| name | default | unit | meaning | source of the default |
|---|---|---|---|---|
{rows}

## States

| name | bounds | initial value from | unit | meaning |
|---|---|---|---|---|
{states}

## I-V loop

![I-V loop]({image})

Standard sine stimulus, ngspice subckt against the Python reference; largest relative differences:
{agreement}.
"""


def write_datasheets(folder: Union[str, Path]) -> List[Path]:
    """Write ``NAME.md`` and ``NAME_iv.png`` for every device into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, device in DEVICES.items():
        image = folder / f"{name}_iv.png"
        errors = _plot(device, image)
        page = folder / f"{name}.md"
        page.write_text(datasheet_text(device, image.name, errors))
        written += [page, image]
    (folder / "README.md").write_text(datasheet_index())
    return written + [folder / "README.md"]


def datasheet_index() -> str:
    """The ``README.md`` of the datasheet folder: one row per catalogue device."""
    index = ["# Device datasheets", "", "| device | description |", "|---|---|"]
    index += [f"| [{name}]({name}.md) | {device.title} |" for name, device in DEVICES.items()]
    index += ["", "Tags in the parameter sources: **[V]** the value was read from the cited paper or public model "
              "file; **[M]** a value from the literature that was not re-read against its source (check it "
              "before relying on it); *circuitsim choice* marks a value chosen here, with the reason."]
    return "\n".join(index) + "\n"
