"""Checkpoints of a co-simulation run in a format that cannot execute code.

A checkpoint is one ``.npz`` archive (numpy's zip of ``.npy`` arrays) read
with ``allow_pickle=False``: numbers, strings and arrays only, never
objects.  It holds

* ``meta``: a JSON document (UTF-8 bytes as a ``uint8`` array): the format
  number, the circuitsim version that wrote it, the experiment's kind and
  class, a fingerprint of the experiment file and coupling mode, the step,
  the per-step metrics, the random generator's state and the scalar values;
* ``states/<name>``, ``pending``, ``values/<name>`` and
  ``rules/<rule>/<attribute>``: the arrays.

:func:`load_checkpoint` refuses, with one :class:`CheckpointError` naming
the file, anything that is not a readable archive of this layout, that was
written by an incompatible circuitsim, or that belongs to another
experiment or mode.  The file is written atomically after every step.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any, Dict, Mapping, Tuple

import numpy as np

from circuitsim.atomic import write_atomic
from circuitsim.cosim.experiment import ExperimentState

__all__ = ["CHECKPOINT", "CHECKPOINT_FORMAT", "CheckpointError", "compatible_version", "describe_identity",
           "learned_attributes", "load_checkpoint", "restore_learned", "save_checkpoint"]

#: file name inside the output folder
CHECKPOINT = "checkpoint.npz"
#: layout number; a checkpoint of another layout is refused
CHECKPOINT_FORMAT = 1
#: marks a numpy Generator in the meta document
_GENERATOR = "__numpy_generator__"
#: bit generators a checkpoint may name (numpy's own)
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937")


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed (damaged, foreign, or from an incompatible version)."""


def compatible_version(a: str, b: str) -> bool:
    """Whether two circuitsim versions share a checkpoint's meaning: the same major.minor release."""
    return a.split(".")[:2] == b.split(".")[:2]


def _json_value(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.random.Generator):
        bit = value.bit_generator
        return {_GENERATOR: type(bit).__name__, "state": _json_value(bit.state, where)}
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v, where) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json_value(v, where) for k, v in value.items()}
    raise CheckpointError(f"{where} is a {type(value).__name__}; checkpoints hold numpy arrays, numbers, "
                          "strings, booleans, None and lists or dicts of those")


def learned_attributes(rule: Any) -> Dict[str, Any]:
    """A rule's learned attributes: public names ending in ``_`` (scikit-learn's convention)."""
    return {k: v for k, v in vars(rule).items() if k.endswith("_") and not k.startswith("_")}


def restore_learned(rule: Any, learned: Mapping[str, Any]) -> None:
    """Set learned attributes back on a freshly constructed rule."""
    for key, value in learned.items():
        setattr(rule, key, value)


def _split(values: Mapping[str, Any], prefix: str, arrays: Dict[str, np.ndarray], where: str) -> Dict[str, Any]:
    """Arrays into ``arrays`` under ``prefix/name``; the rest returned as JSON values."""
    scalars: Dict[str, Any] = {}
    for key, value in values.items():
        if "/" in key:
            raise CheckpointError(f"{where} name {key!r} contains '/'")
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                raise CheckpointError(f"{where} {key!r} is an object array; checkpoints hold numeric arrays")
            arrays[f"{prefix}/{key}"] = value
        else:
            scalars[key] = _json_value(value, f"{where} {key!r}")
    return scalars


def save_checkpoint(path: Path, state: ExperimentState, rules: Mapping[str, Any], identity: Mapping[str, Any]) -> None:
    """Write ``state`` (and the rules' learned attributes) atomically to ``path``.

    ``identity`` goes into the meta document as is (kind, class, fingerprint, mode).
    """
    from circuitsim import __version__

    arrays: Dict[str, np.ndarray] = {}
    for name, value in state.states.items():
        arrays[f"states/{name}"] = np.asarray(value, dtype=float)
    if state.pending is not None:
        arrays["pending"] = np.asarray(state.pending)
    values = _split(state.values, "values", arrays, "state.values entry")
    rule_values = {name: _split(learned_attributes(rule), f"rules/{name}", arrays, f"rule {name!r} attribute")
                   for name, rule in rules.items()}
    bit = state.rng.bit_generator
    meta = {
        "format": CHECKPOINT_FORMAT, "circuitsim": __version__, **dict(identity),
        "step": int(state.step), "done": bool(state.done),
        "metrics": _json_value(state.metrics, "a metric"),
        "values": values, "rules": rule_values,
        "rng": {"bit_generator": type(bit).__name__, "state": _json_value(bit.state, "the generator state")},
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomic(path, buffer.getvalue())


def _refuse(path: Path, why: str) -> CheckpointError:
    return CheckpointError(f"{path} cannot be resumed: {why}. Start over with a new --out folder (or without "
                           "--resume and with --overwrite)")


def _generator(saved: Mapping[str, Any]) -> np.random.Generator:
    """A numpy Generator from its saved bit-generator name and state (numpy's own bit generators only)."""
    name = saved[_GENERATOR]
    if name not in _BIT_GENERATORS:
        raise ValueError(f"unknown bit generator {name!r}")
    bit = getattr(np.random, name)()
    bit.state = saved["state"]
    return np.random.Generator(bit)


def _revive(value: Any) -> Any:
    """Saved JSON values back: generators rebuilt, everything else as read."""
    if isinstance(value, dict) and _GENERATOR in value:
        return _generator(value)
    if isinstance(value, dict):
        return {k: _revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value


def _rng(path: Path, saved: Any) -> np.random.Generator:
    try:
        name = saved["bit_generator"]
        if name not in _BIT_GENERATORS:
            raise ValueError(name)
        bit = getattr(np.random, name)()
        bit.state = saved["state"]
        return np.random.Generator(bit)
    except (KeyError, TypeError, ValueError) as exc:
        raise _refuse(path, f"its random-generator state is not one numpy can take ({exc})") from None


def load_checkpoint(path: Path, identity: Mapping[str, Any]) -> Tuple[ExperimentState, Dict[str, Dict[str, Any]]]:
    """The state and the rules' learned attributes saved in ``path``, after checking whose checkpoint it is.

    Raises
    ------
    CheckpointError
        Unreadable, not a circuitsim checkpoint, another format or version,
        or written for another experiment file or coupling mode.
    """
    from circuitsim import __version__

    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise _refuse(path, f"it is not a readable checkpoint archive ({type(exc).__name__}: {exc})") from None
    try:
        meta = json.loads(arrays.pop("meta").tobytes().decode())
        if not isinstance(meta, dict):
            raise ValueError("meta is not an object")
    except (KeyError, ValueError, UnicodeDecodeError) as exc:
        raise _refuse(path, f"it has no circuitsim meta document ({exc})") from None
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise _refuse(path, f"it has checkpoint format {meta.get('format')!r}, this circuitsim reads "
                            f"{CHECKPOINT_FORMAT}")
    written_by = str(meta.get("circuitsim", "?"))
    if not compatible_version(written_by, __version__):
        raise _refuse(path, f"it was written by circuitsim {written_by}, incompatible with this version "
                            f"{__version__} (a resumed run must repeat the same simulation)")
    for key, expected in identity.items():
        if meta.get(key) != expected:
            raise _refuse(path, f"it belongs to another run ({key} {meta.get(key)!r}, this run {expected!r}): "
                                "a different experiment file, experiment class or coupling mode")
    try:
        states = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("states/")}
        values = _revive(dict(meta["values"]))
        values.update({k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("values/")})
        rules: Dict[str, Dict[str, Any]] = {name: _revive(dict(v)) for name, v in meta["rules"].items()}
        for key, value in arrays.items():
            if key.startswith("rules/"):
                _, rule, attr = key.split("/", 2)
                rules.setdefault(rule, {})[attr] = value
        state = ExperimentState(states=states, step=int(meta["step"]), metrics=list(meta["metrics"]),
                                done=bool(meta["done"]), pending=arrays.get("pending"), values=values,
                                rng=_rng(path, meta["rng"]))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _refuse(path, f"its layout is damaged ({type(exc).__name__}: {exc})") from None
    return state, rules


def describe_identity(experiment: Any, fingerprint: str, mode: str) -> Dict[str, Any]:
    """What a checkpoint must match to be resumed by this run: kind, class name, file fingerprint, mode."""
    return {"experiment": experiment.kind, "class": type(experiment).__qualname__, "fingerprint": fingerprint,
            "mode": mode}
