"""Experiment files (TOML): reading, with every mistake reported before any SPICE run.

An experiment file has an ``[experiment]`` table whose ``kind`` names the
experiment (``perceptron``, ``stdp_correlation``); each experiment reads its
own tables through :class:`Section`, which refuses unknown keys, reports
missing ones and checks values, always naming the key as ``table.key``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, Optional, Union

from circuitsim.userfiles import read_text_file

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = ["ConfigError", "Section", "load_config"]

_REQUIRED = object()


class ConfigError(ValueError):
    """A mistake in an experiment file (the message names the key)."""


def load_config(source: Union[str, Path, Dict[str, Any]]) -> Dict[str, Any]:
    """The experiment file as a dict (a path, TOML text starting with ``[``, or a dict, returned as is)."""
    if isinstance(source, dict):
        return source
    text: Optional[str] = None
    if isinstance(source, Path) or not str(source).lstrip().startswith("["):
        path = Path(source)
        if not path.exists():
            raise ConfigError(f"experiment file {path} does not exist")
        text = read_text_file(path, "experiment file", error=ConfigError)
        where = str(path)
    else:
        text, where = str(source), "experiment text"
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from None


class Section:
    """One table of an experiment file, read key by key.

    Parameters
    ----------
    config
        The whole file as a dict.
    name
        Table name (``"device"``, ``"write"``, ...; dots for nested tables).
    required
        Whether the table must be present.
    """

    def __init__(self, config: Dict[str, Any], name: str, required: bool = True):
        self.name = name
        table: Any = config
        for part in name.split("."):
            table = table.get(part) if isinstance(table, dict) else None
            if table is None:
                break
        if table is None:
            if required:
                raise ConfigError(f"missing table [{name}]")
            table = {}
        if not isinstance(table, dict):
            raise ConfigError(f"[{name}] must be a table")
        self.table = table
        self.used = set()

    def get(self, key: str, default: Any = _REQUIRED, kind: Optional[type] = None,
            check: Optional[Callable[[Any], bool]] = None, must: str = "") -> Any:
        """The value of ``key`` (``default`` when absent; required when no default).

        ``kind`` converts (``float``, ``int``, ``str``, ``bool``); ``check`` must
        hold, else the error says the key ``must ...`` (``must``).
        """
        self.used.add(key)
        if key not in self.table:
            if default is _REQUIRED:
                raise ConfigError(f"missing key {self.name}.{key}")
            return default
        value = self.table[key]
        if kind is not None:
            try:
                if kind is bool and not isinstance(value, bool):
                    raise TypeError
                if kind in (int, float) and isinstance(value, bool):
                    raise TypeError
                value = kind(value)
            except (TypeError, ValueError):
                raise ConfigError(f"{self.name}.{key} must be a {kind.__name__}, got {value!r}") from None
        if check is not None and not check(value):
            raise ConfigError(f"{self.name}.{key} must {must}, got {value!r}")
        return value

    def positive(self, key: str, default: Any = _REQUIRED) -> float:
        """A finite number > 0 (a duration, a resistance, ...)."""
        return self.get(key, default, float, lambda v: v > 0 and v != float("inf"), "be finite and > 0")

    def choice(self, key: str, choices: Any, default: Any = _REQUIRED) -> str:
        return self.get(key, default, str, lambda v: v in choices, f"be one of {tuple(choices)}")

    def rest(self) -> Dict[str, Any]:
        """Every key not read yet (marks them read)."""
        out = {k: v for k, v in self.table.items() if k not in self.used}
        self.used.update(out)
        return out

    def finish(self) -> None:
        """Refuse keys that no ``get`` asked for (typos)."""
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise ConfigError(f"unknown key{'s' if len(unknown) > 1 else ''} in [{self.name}]: "
                              f"{', '.join(unknown)}")
