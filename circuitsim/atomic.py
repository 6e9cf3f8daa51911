"""Atomic file writes: a reader sees the old file or the complete new one, never a part.

Every writer of circuitsim that must survive being killed mid-write (sweep
point files, gathered netCDF datasets, checkpoints, run reports, ngspice's
``spinit`` copy) goes through this module:

* :func:`atomic_path` yields a temporary path in the target's folder for a
  writer that wants a file name (e.g. ``xarray.Dataset.to_netcdf``); on
  success the file is flushed to disk and moved over the target with
  :func:`os.replace`, on failure it is removed;
* :func:`write_atomic` writes bytes or text through :func:`atomic_path`.

Temporary files are named ``.<name>.<random>.tmp`` (hidden, in the same
folder, so that :func:`os.replace` never crosses a file system); a folder
left with such files by a killed process can be cleaned with
``folder.glob(".*.tmp")``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Iterator, Union

__all__ = ["atomic_path", "write_atomic"]

PathLike = Union[str, "os.PathLike[str]"]


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; silently skipped where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _create_temporary(path: Path) -> Path:
    """Create an empty ``.<name>.<random>.tmp`` next to ``path``, exclusively (never an existing file)."""
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"could not create a temporary file next to {path}")  # pragma: no cover


@contextlib.contextmanager
def atomic_path(path: PathLike, *, fsync: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it over ``path`` when the block succeeds.

    Parameters
    ----------
    path
        The file to (re)place.  Its folder is created if missing.
    fsync
        Flush the new file (and the folder entry) to disk before and after the
        rename, so that a power cut leaves the old or the new content.  Turn it
        off only for files that are cheap to recompute.

    Yields
    ------
    pathlib.Path
        A new, empty file in the same folder (created with the permissions of
        an ordinary new file, i.e. following the umask) for the block to
        overwrite.

    Examples
    --------
    >>> with atomic_path("results.nc") as tmp:          # doctest: +SKIP
    ...     dataset.to_netcdf(tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _create_temporary(path)
    try:
        yield tmp
        if fsync:
            _fsync_file(tmp)
        os.replace(tmp, path)
        if fsync:
            _fsync_folder(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: PathLike, data: Union[bytes, str], *, fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, fsync, :func:`os.replace`).

    Parameters
    ----------
    path
        The file to (re)place; its folder is created if missing.
    data
        Bytes, or text (written as UTF-8).
    fsync
        See :func:`atomic_path`.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    with atomic_path(path, fsync=False) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
    if fsync:
        _fsync_folder(path.parent)
    return path
