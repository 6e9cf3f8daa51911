"""The output folder of a sweep: one small JSON file per finished point, written atomically.

Layout of ``OUT/``::

    sweep.json                  the spec (plain data + TOML text) and its fingerprint
    points/p0000012.json        point 12, written when its result reached the client
    points/p0000012.failed.json point 12 failed (error text); retried by --resume
    results.nc, plots/          written by the gather step

A point file is written with :func:`circuitsim.atomic.write_atomic` (a
temporary ``.*.tmp`` name in the same folder, flushed, then moved into place
with :func:`os.replace`), so a reader (or a resumed run) sees a point either
complete or not at all, whatever moment the writer was killed.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, Dict, Optional, Set, Union

from circuitsim.atomic import write_atomic
from circuitsim.sweep.spec import SweepSpec

__all__ = ["PointStore", "SweepFolderError"]


class SweepFolderError(ValueError):
    """The output folder holds another sweep, or points without ``--resume``."""


def _json_default(obj: Any) -> Any:
    try:
        import numpy as np

        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
    except ImportError:  # pragma: no cover
        pass
    return str(obj)


def _jsonable(obj: Any) -> Any:
    """Floats that JSON cannot hold (nan, inf) as strings "nan", "inf", "-inf"; read back by :func:`_restore`."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return repr(obj)
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


def _restore(obj: Any) -> Any:
    if isinstance(obj, str) and obj in ("nan", "inf", "-inf"):
        return float(obj)
    if isinstance(obj, dict):
        return {k: _restore(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_restore(v) for v in obj]
    return obj


class PointStore:
    """Point files of one sweep in ``folder``.

    Parameters
    ----------
    folder
        The output folder (created if missing).
    spec
        The sweep; its fingerprint is recorded in ``sweep.json``.
    resume
        Keep the finished points of an earlier run of the *same* spec.  Without
        it, a folder that already holds points is refused (nothing is deleted).

    Raises
    ------
    SweepFolderError
        Points present without ``resume``, or ``sweep.json`` of another spec.
    """

    def __init__(self, folder: Union[str, Path], spec: SweepSpec, resume: bool = False):
        self.folder = Path(folder)
        self.points_dir = self.folder / "points"
        self.spec = spec
        self.fingerprint = spec.fingerprint()
        self.points_dir.mkdir(parents=True, exist_ok=True)
        meta_path = self.folder / "sweep.json"
        existing = sorted(self.points_dir.glob("p*.json"))
        if meta_path.exists():
            try:
                old = json.loads(meta_path.read_text()).get("fingerprint")
            except (OSError, ValueError):
                old = None
            if existing and old != self.fingerprint:
                raise SweepFolderError(
                    f"{self.folder} holds points of a different sweep (its spec changed since); "
                    f"use another --out, or delete the folder to start again")
        if existing and not resume:
            raise SweepFolderError(f"{self.folder} already holds {len(existing)} point file(s) of this sweep; "
                                   f"pass --resume to compute only the missing points, or use another --out")
        for stale in self.points_dir.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        meta = {"fingerprint": self.fingerprint, "title": spec.title, "spec": spec.to_dict(),
                "spec_toml": spec.source, "dims": list(spec.dims), "shape": list(spec.shape),
                "points": spec.size, "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        write_atomic(meta_path, json.dumps(_jsonable(meta), indent=1, default=_json_default))

    def path(self, index: int, failed: bool = False) -> Path:
        return self.points_dir / (f"p{index:07d}.failed.json" if failed else f"p{index:07d}.json")

    def write(self, index: int, record: Dict[str, Any]) -> Path:
        """Store a finished point (``record["status"] == "ok"``) or a failure, atomically."""
        failed = record.get("status") != "ok"
        record = {"index": index, "fingerprint": self.fingerprint, **record}
        path = self.path(index, failed)
        write_atomic(path, json.dumps(_jsonable(record), default=_json_default))
        if not failed:
            self.path(index, True).unlink(missing_ok=True)
        return path

    def read(self, index: int) -> Optional[Dict[str, Any]]:
        """The finished record of point ``index``, or ``None`` (missing, failed or of another spec)."""
        try:
            record = _restore(json.loads(self.path(index).read_text()))
        except (OSError, ValueError):
            return None
        if record.get("index") != index or record.get("fingerprint") != self.fingerprint:
            return None
        return record

    def done(self) -> Set[int]:
        """Indices of the finished points on disk."""
        out = set()
        for path in self.points_dir.glob("p*.json"):
            stem = path.name[1:-len(".json")]
            if stem.isdigit() and 0 <= int(stem) < self.spec.size and self.read(int(stem)) is not None:
                out.add(int(stem))
        return out

    def read_all(self) -> Dict[int, Dict[str, Any]]:
        """Every finished point, by index."""
        return {i: rec for i in sorted(self.done()) if (rec := self.read(i)) is not None}

    def failures(self) -> Dict[int, str]:
        """Index -> error text of the points whose last attempt failed."""
        out = {}
        for path in self.points_dir.glob("p*.failed.json"):
            try:
                rec = json.loads(path.read_text())
                out[int(rec["index"])] = str(rec.get("error", ""))
            except (OSError, ValueError, KeyError):
                continue
        return out
