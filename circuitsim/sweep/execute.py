"""Running the points: the task wrapper that runs on a worker, and the serial and Dask executors.

An executor takes :class:`PointTask` objects and yields ``(task, result,
error)`` as each finishes, in completion order.  :class:`DaskExecutor`
submits one Dask task per point to a :class:`distributed.LocalCluster`
(one single-threaded worker process per core: libngspice allows one
instance per process) or to an existing scheduler.  A task whose worker dies
is rescheduled by Dask on another worker (up to
``distributed.scheduler.allowed-failures`` times, default 3); a task that
raises is retried ``retries`` times.  The client collects every result, so
each point is delivered once however often it ran.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Iterator, Mapping, Optional, Tuple

import numpy as np

from circuitsim.sweep.spec import Point
from circuitsim.sweep.variability import Variability, apply_spread

__all__ = ["DaskExecutor", "PointTask", "SerialExecutor", "default_workers", "make_executor", "run_point"]

Outcome = Tuple["PointTask", Optional[Dict[str, Any]], Optional[BaseException]]


@dataclass(frozen=True)
class PointTask:
    """What travels to a worker for one point: the kind's function and the point's inputs."""

    index: int
    function: Callable[..., Mapping[str, Any]]
    params: Dict[str, Any]
    spread: Dict[str, float]
    variability: Variability
    seed: int

    @classmethod
    def from_point(cls, point: Point, function: Callable[..., Mapping[str, Any]]) -> "PointTask":
        return cls(point.index, function, point.params, point.spread, point.variability, point.seed)


def _plain(name: str, value: Any) -> Any:
    """An output as a float, or a list of floats for an array."""
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"output {name!r} must be a number or a numeric array, got {type(value).__name__}")
    if arr.ndim == 0:
        return float(arr)
    if arr.ndim != 1:
        raise TypeError(f"output {name!r} must be a number or a 1-D array, got shape {arr.shape}")
    return arr.astype(float).tolist()


def run_point(task: PointTask) -> Dict[str, Any]:
    """Run one point (this is the function each Dask task calls).

    The point's generator is ``SeedSequence(seed, spawn_key=(index,))``; the
    parameter spread is drawn first, then the task function draws what it needs.

    Returns
    -------
    dict
        ``outputs`` (name -> float or list of floats), ``spread_params``
        (the spread parameters' values as used), ``seconds`` (the task's own
        wall time), ``cpu_seconds`` (CPU time of the worker process meanwhile),
        ``host`` and ``pid`` of the worker.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    rng = np.random.default_rng(np.random.SeedSequence(task.seed, spawn_key=(task.index,)))
    params = apply_spread(task.params, task.spread, rng)
    outputs = task.function(params, rng=rng, variability=task.variability)
    if not isinstance(outputs, Mapping):
        raise TypeError(f"a task function must return a mapping of outputs, got {type(outputs).__name__}")
    plain = {str(k): _plain(str(k), v) for k, v in outputs.items()}
    return {"outputs": plain, "spread_params": {k: params[k] for k in sorted(task.spread)},
            "seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
            "host": socket.gethostname(), "pid": os.getpid()}


def default_workers() -> int:
    """The cores this process may use (the default number of local workers)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class SerialExecutor:
    """Runs the points one after the other in this process (no Dask): the reference for comparisons."""

    description = "serial (this process)"

    def __enter__(self) -> "SerialExecutor":
        return self

    def __exit__(self, *exc: Any) -> None:
        pass

    def run(self, tasks: Iterable[PointTask]) -> Iterator[Outcome]:
        for task in tasks:
            try:
                result = run_point(task)
            except Exception as exc:  # noqa: BLE001 - reported per point
                yield task, None, exc
            else:
                yield task, result, None


def _probe() -> Dict[str, Any]:
    """Runs on each worker before the sweep: is circuitsim importable there, and which version."""
    import circuitsim

    return {"circuitsim": getattr(circuitsim, "__version__", "?"), "host": socket.gethostname(), "pid": os.getpid()}


class DaskExecutor:
    """Runs each point as one task on Dask distributed.

    Parameters
    ----------
    scheduler
        ``"local"`` (start a :class:`distributed.LocalCluster`) or an address
        such as ``"tcp://10.0.0.5:8786"`` of a running ``dask scheduler``.
    workers
        Local workers (default: one per core this process may use); ignored
        with an address.
    retries
        Extra attempts of a task that raised (Dask's ``retries=``).  A task
        whose worker died is rescheduled by Dask on its own.
    connect_timeout
        Seconds to wait for the scheduler to answer (nothing listening, or another service, fails within it).
    worker_timeout
        Seconds to wait for the scheduler's first worker.
    window
        Tasks in flight at once (default: 4 per worker, at least 64); the rest are submitted as tasks finish,
        so a sweep of millions of points never holds them all.
    """

    def __init__(self, scheduler: str = "local", workers: Optional[int] = None, retries: int = 2,
                 connect_timeout: float = 5.0, worker_timeout: float = 60.0, window: Optional[int] = None):
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        self.scheduler = scheduler
        self.workers = workers
        self.retries = retries
        self.connect_timeout = connect_timeout
        self.worker_timeout = worker_timeout
        self.window = window
        self.client: Any = None
        self.cluster: Any = None
        self.run_id = uuid.uuid4().hex[:12]
        self.description = ""
        self._depth = 0

    def __enter__(self) -> "DaskExecutor":
        from distributed import Client, LocalCluster

        if self.client is not None:      # already started: re-entering reuses the cluster
            self._depth += 1
            return self
        if self.scheduler == "local":
            n = self.workers or default_workers()
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                        silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
            self.description = f"{n} local worker process(es)"
        else:
            probe_scheduler(self.scheduler, self.connect_timeout)
            try:
                self.client = Client(self.scheduler, timeout=self.connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise OSError(f"cannot reach the Dask scheduler at {self.scheduler} within {self.connect_timeout:g} s "
                              f"({exc}); is `dask scheduler` running there?") from None
            except Exception as exc:  # noqa: BLE001 - another service's bytes read as a message (MemoryError...)
                raise OSError(f"{self.scheduler} does not answer like a Dask scheduler ({type(exc).__name__}); "
                              f"give the address of a running `dask scheduler` (default port 8786)") from None
            try:
                self.client.wait_for_workers(1, timeout=self.worker_timeout)
            except TimeoutError:
                self.client.close()
                raise OSError(f"the Dask scheduler at {self.scheduler} has no worker after "
                              f"{self.worker_timeout:g} s; start some with `dask worker {self.scheduler}`") from None
            try:
                self.check_workers()
            except BaseException:
                self.client.close()
                raise
            n = len(self.client.scheduler_info(n_workers=-1)["workers"])
            self.description = f"{n} worker(s) of {self.scheduler}"
        self._depth = 1
        return self

    def check_workers(self) -> Dict[str, Any]:
        """Ask every worker for its circuitsim version; a worker without the package is an error."""
        import circuitsim

        try:
            info = self.client.run(_probe)
        except Exception as exc:  # noqa: BLE001 - the worker's error, whatever it is
            raise RuntimeError(f"a Dask worker cannot run circuitsim ({type(exc).__name__}: {exc}); every worker "
                               f"needs the circuitsim package (and ngspice >= 42 for netlist tasks), "
                               f"see docs/sweep.md") from None
        mine = getattr(circuitsim, "__version__", "?")
        other = {addr: i["circuitsim"] for addr, i in info.items() if i["circuitsim"] != mine}
        if other:
            logging.getLogger(__name__).warning("workers run another circuitsim version than the client (%s): %s",
                                                mine, other)
        return info

    def __exit__(self, *exc: Any) -> None:
        self._depth -= 1
        if self._depth > 0:
            return
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None

    def worker_pids(self) -> Dict[str, int]:
        """Address -> process id of each worker (used by the tests to kill one)."""
        return self.client.run(os.getpid)

    def run(self, tasks: Iterable[PointTask]) -> Iterator[Outcome]:
        from distributed import as_completed

        futures: Dict[Any, PointTask] = {}
        pending = iter(tasks)
        workers = len(self.client.scheduler_info(n_workers=-1).get("workers", {})) or 1
        window = self.window or max(64, 4 * workers)

        def submit(task: PointTask) -> Any:
            future = self.client.submit(run_point, task, key=f"circuitsim-sweep-{self.run_id}-{task.index}",
                                        retries=self.retries, pure=False)
            futures[future] = task
            return future

        first = [submit(task) for task, _ in zip(pending, range(window))]
        if not first:
            return
        flow = as_completed(first)
        try:
            for future in flow:
                task = futures.pop(future)
                following = next(pending, None)         # streamed: one in, one out
                if following is not None:
                    flow.add(submit(following))
                if future.status == "finished":
                    outcome: Outcome = (task, future.result(), None)
                else:
                    try:
                        error = future.exception()
                    except BaseException as exc:  # noqa: BLE001 - cancelled: the scheduler dropped it
                        error = exc
                    outcome = (task, None, error)
                future.release()
                yield outcome
        finally:
            if futures and self.client is not None:
                self.client.cancel(list(futures))


def probe_scheduler(address: str, timeout: float = 5.0) -> None:
    """Fail fast, with the cause, when nothing listens at a scheduler address or another service does.

    A Dask scheduler waits for the client to speak first; a service that sends a banner (SSH, SMTP, FTP) is not
    one.  Raises ``OSError`` naming the address.
    """
    import socket as _socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls", ""):
        return                                           # inproc://, ucx://: leave it to distributed
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ValueError(f"--scheduler {address!r}: the port is not a number (tcp://HOST:PORT)") from None
    if not host or port is None:
        raise ValueError(f"--scheduler {address!r} needs a host and a port, like tcp://HOST:8786")
    try:
        conn = _socket.create_connection((host, port), timeout=timeout)
    except _socket.gaierror as exc:
        raise OSError(f"--scheduler {address}: unknown host {host!r} ({exc.strerror})") from None
    except (_socket.timeout, TimeoutError):
        raise OSError(f"--scheduler {address}: no answer from {host}:{port} within {timeout:g} s (a firewall, or a "
                      f"wrong address?)") from None
    except OSError as exc:
        raise OSError(f"--scheduler {address}: nothing listens on {host}:{port} ({exc.strerror}); start "
                      f"`dask scheduler --port {port}` there, or use --scheduler local") from None
    try:
        conn.settimeout(0.5)
        try:
            banner = conn.recv(64)
        except (_socket.timeout, TimeoutError):
            banner = None                                 # silent, as a Dask scheduler is
        except OSError:
            banner = None
    finally:
        conn.close()
    # distributed greets too, with a frame header: a little-endian 64-bit size (small); a text banner
    # read as that size is exabytes (distributed then tries to allocate it: MemoryError)
    if banner and (int.from_bytes(banner[:8].ljust(8, b"\0"), "little") > 2 ** 32 or len(banner) < 8):
        shown = banner.decode("ascii", "replace").strip()[:40]
        raise OSError(f"--scheduler {address}: the service on {host}:{port} is not a Dask scheduler (it greeted with "
                      f"{shown!r}); give the address of a running `dask scheduler` (default port 8786)")


def make_executor(scheduler: Optional[str] = "local", workers: Optional[int] = None, retries: int = 2) -> Any:
    """``"serial"`` -> :class:`SerialExecutor`; ``"local"`` or an address -> :class:`DaskExecutor`."""
    if scheduler in (None, "local"):
        return DaskExecutor("local", workers, retries)
    if scheduler == "serial":
        return SerialExecutor()
    if "://" not in scheduler and ":" not in scheduler:
        raise ValueError(f"--scheduler must be 'local', 'serial' or an address like tcp://HOST:PORT, got {scheduler!r}")
    return DaskExecutor(scheduler, workers, retries)
