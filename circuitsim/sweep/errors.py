"""The one error a sweep spec raises before anything runs."""

from __future__ import annotations

from typing import Optional

__all__ = ["SweepSpecError"]


class SweepSpecError(ValueError):
    """A sweep spec that cannot run, found before any point is submitted.

    A ``ValueError``, so the command line reports it as a one-paragraph
    message with exit status 2.

    Attributes
    ----------
    key
        The offending key as a dotted TOML path (``"grid.size"``,
        ``"montecarlo.device_sigma"``), or ``None`` for the file as a whole.
    """

    def __init__(self, message: str, key: Optional[str] = None):
        self.key = key
        super().__init__(f"{key}: {message}" if key else message)
