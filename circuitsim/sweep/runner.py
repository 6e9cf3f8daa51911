"""``run_sweep``: validate, skip what is done, run the rest, write each point as it arrives, gather."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Union

from circuitsim.sweep.execute import PointTask, make_executor
from circuitsim.sweep.spec import SweepSpec, load_spec
from circuitsim.sweep.store import PointStore

__all__ = ["SweepRun", "run_sweep"]


@dataclass
class SweepRun:
    """What a call of :func:`run_sweep` did.

    Attributes
    ----------
    out
        The output folder.
    total, computed, skipped
        Points in the sweep, computed by this call, already on disk (``resume``).
    failed
        Index -> error text of the points that failed in this call.
    dataset_path, plot_paths
        ``results.nc`` and the summary plots (``None`` / empty with ``gather=False``).
    executor
        Where the points ran.
    seconds
        Wall time of the call (cluster start-up included).
    """

    out: Path
    total: int
    computed: int = 0
    skipped: int = 0
    failed: Dict[int, str] = field(default_factory=dict)
    dataset_path: Optional[Path] = None
    plot_paths: List[Path] = field(default_factory=list)
    executor: str = ""
    seconds: float = 0.0
    dataset: Any = None


def run_sweep(spec: Union[SweepSpec, str, Path], out: Union[str, Path], *, scheduler: Any = "local",
              workers: Optional[int] = None, resume: bool = False, retries: int = 2, progress: bool = False,
              gather: bool = True, on_point: Optional[Callable[[int, Dict[str, Any], Any], None]] = None) -> SweepRun:
    """Run a sweep and gather its results.

    Parameters
    ----------
    spec
        A :class:`SweepSpec` or the path of its TOML file (validated here,
        before anything is submitted).
    out
        Output folder (see :mod:`circuitsim.sweep.store`).
    scheduler
        ``"local"`` (a LocalCluster), ``"serial"`` (this process, no Dask), an
        address ``tcp://HOST:PORT``, or an executor object (entered here).
    workers
        Local workers (default: one per core).
    resume
        Compute only the points not yet on disk (same spec required).
    retries
        Extra attempts of a point that raised.
    progress
        Show a progress bar (tqdm, on stderr).
    gather
        Write ``results.nc`` and the plots at the end.
    on_point
        Called as ``on_point(index, record, executor)`` after each point is stored.

    Returns
    -------
    SweepRun
    """
    t0 = time.perf_counter()
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    kind = spec.get_kind()
    store = PointStore(out, spec, resume=resume)
    done = store.done() if resume else set()
    run = SweepRun(out=Path(out), total=spec.size, skipped=len(done))
    coords: Dict[int, Dict[str, Any]] = {}

    def tasks() -> Iterator[PointTask]:            # streamed: a point is built when it is submitted
        for i in range(spec.size):
            if i not in done:
                point = spec.point(i)
                coords[i] = point.coords
                yield PointTask.from_point(point, kind.function)

    todo = run.total > len(done)
    executor = make_executor(scheduler, workers, retries) if isinstance(scheduler, (str, type(None))) else scheduler
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=spec.size, initial=len(done), unit="pt", desc=f"sweep {spec.kind}", dynamic_ncols=True)
    try:
        if todo:
            with executor:
                run.executor = executor.description
                for task, result, error in executor.run(tasks()):
                    point_coords = coords.pop(task.index)
                    if error is None:
                        record = {"status": "ok", "coords": point_coords, **result}
                        run.computed += 1
                    else:
                        text = f"{type(error).__name__}: {error}"
                        record = {"status": "failed", "coords": point_coords, "error": text}
                        run.failed[task.index] = text
                    store.write(task.index, record)
                    if on_point is not None:
                        on_point(task.index, record, executor)
                    if bar is not None:
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    if gather:
        from circuitsim.sweep.gather import gather as gather_dataset
        from circuitsim.sweep.gather import save_dataset
        from circuitsim.sweep.plots import plot_dataset

        ds = gather_dataset(spec, store.read_all())
        run.dataset = ds
        run.dataset_path = save_dataset(ds, Path(out) / "results.nc")
        run.plot_paths = plot_dataset(ds, Path(out) / "plots", kind.plotted(spec.options))
    run.seconds = time.perf_counter() - t0
    return run
