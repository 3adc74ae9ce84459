"""The Dask side of an archive run: which cluster, how many threads, and what each worker holds once.

- Cluster: an embedded ``LocalCluster`` sized to this machine by default, an existing one by address
  (``tcp://HOST:PORT``), by scheduler file, or by Dask's own configuration (``DASK_SCHEDULER_ADDRESS``).
- Threads: each worker process runs one image at a time and its torch / BLAS thread pools get the cores left to it,
  so workers x torch threads never exceeds the cores (oversubscribed pools make every image slower). One image per
  worker also keeps a worker's memory to one image's (about 1.3 GB for a full-field DDSM image, under 2 GB).
- Model: :class:`ArchiveWorkerSetup`, a Dask worker plugin, loads the segmentation model (or candidate filter) and
  the classifier into the worker process when the worker joins; tasks then find them in the process caches
  (:func:`~calcification.core.segmentation.network_method.load_model_cached`, :func:`worker_classifier`), so the
  model is read once per worker and never travels through the scheduler.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Optional

from ....core.errors import InputError

#: Memory a worker is given room for (one full-field image with the five-fold ensemble peaks at about 1.3 GB).
WORKER_MEMORY_BYTES = 2 * 1024**3
#: Environment variables that size the OpenMP / BLAS thread pools of numpy, scipy and torch.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
PLUGIN_NAME = "calcification-archive"
#: Set in the embedded cluster's worker processes: Ctrl-C in a terminal reaches the whole process group, and a worker
#: that died of it mid-image would leave half of the image's files; the driver stops the tasks between two steps.
DRIVER_STOPS_WORKERS = "CALCIFICATION_DRIVER_STOPS_WORKERS"


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers and batch systems restrict)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


@dataclass(frozen=True)
class ThreadPolicy:
    """How the cores of one machine are shared: ``workers`` processes, each running ``threads_per_worker`` images
    at a time with ``torch_threads`` intra-op threads (and as many OpenMP / BLAS threads)."""

    workers: int
    threads_per_worker: int
    torch_threads: int


def local_thread_policy(
    workers: Optional[int] = None, cores: Optional[int] = None, memory_bytes: Optional[int] = None
) -> ThreadPolicy:
    """The policy of the embedded cluster: one worker per core (fewer if memory cannot give each
    :data:`WORKER_MEMORY_BYTES`), or ``workers`` workers sharing the cores; one image at a time per worker."""
    cores = cores or usable_cores()
    if workers is None:
        if memory_bytes is None:
            import psutil

            memory_bytes = psutil.virtual_memory().total
        workers = max(1, min(cores, memory_bytes // WORKER_MEMORY_BYTES))
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}.")
    return ThreadPolicy(workers=workers, threads_per_worker=1, torch_threads=max(1, cores // workers))


def set_thread_count(threads: int, with_torch: bool) -> None:
    """Size this process's OpenMP / BLAS pools (pools already started keep their size) and, ``with_torch``, torch's
    (not imported otherwise: Hessian-DoG runs need no torch)."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    if with_torch or "torch" in sys.modules:
        import torch

        torch.set_num_threads(threads)


_CLASSIFIERS: dict = {}  # classifier choice -> loaded classifier (or None), once per worker process


def worker_classifier(choice):
    """The classifier for ``choice`` (see :func:`~calcification.logic.workflows.analysis_workflow.resolve_classifier`),
    loaded once per process; False when none is to be used."""
    from ..analysis_workflow import resolve_classifier

    key = repr(choice)
    if key not in _CLASSIFIERS:
        _CLASSIFIERS[key] = resolve_classifier(choice) or False
    return _CLASSIFIERS[key]


def preload_segmenter(segmenter) -> None:
    """Load the segmenter's model or filter into this process's cache (nothing for plain Hessian-DoG)."""
    segmenter.check_ready()


def _plugin_base():
    from distributed.diagnostics.plugin import WorkerPlugin

    return WorkerPlugin


class ArchiveWorkerSetup(_plugin_base()):
    """Dask worker plugin: on each worker (also one that joins later) size the thread pools and load the model and
    classifier once. ``torch_threads_by_host`` maps a worker's host to its threads; other hosts get
    ``default_torch_threads``. Loading errors are kept for the tasks to report (a task then fails with the message)."""

    def __init__(self, settings, torch_threads_by_host: dict, default_torch_threads: int):
        self.settings = settings
        self.torch_threads_by_host = dict(torch_threads_by_host)
        self.default_torch_threads = default_torch_threads

    def setup(self, worker) -> None:
        _leave_ctrl_c_to_the_driver()
        threads = self.torch_threads_by_host.get(worker.address.rsplit(":", 1)[0], self.default_torch_threads)
        set_thread_count(threads, self.settings.segmenter.spec.takes_device)
        try:
            preload_segmenter(self.settings.segmenter)
            worker_classifier(self.settings.classifier)
        except Exception:  # noqa: BLE001  (the first task raises it again, with its message, for its image)
            pass


def _leave_ctrl_c_to_the_driver() -> None:
    """In a worker process of the embedded cluster, ignore SIGINT (see :data:`DRIVER_STOPS_WORKERS`)."""
    import signal
    import threading

    if os.environ.get(DRIVER_STOPS_WORKERS) == "1" and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def torch_threads_by_host(client, default_cores: int) -> dict[str, int]:
    """For an existing cluster: host -> torch threads, so each host's worker threads x torch threads fit its cores
    (each worker reports its host's cores)."""
    cores = client.run(usable_cores)  # worker address -> its host's usable cores
    threads: dict[str, int] = {}
    images: dict[str, int] = {}
    for address, info in client.scheduler_info(n_workers=-1)["workers"].items():
        host = address.rsplit(":", 1)[0]
        images[host] = images.get(host, 0) + int(info.get("nthreads", 1))
        threads[host] = cores.get(address, default_cores)
    return {host: max(1, threads[host] // images[host]) for host in threads}


def dashboard_link(client) -> str:
    """The Dask dashboard's address, or "" when there is none to show (its pages need bokeh; without it the
    scheduler's HTTP server only answers health and metrics requests)."""
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return ""
    return client.dashboard_link if client.scheduler_info().get("services", {}).get("dashboard") else ""


@contextmanager
def archive_client(
    client=None, scheduler: Optional[str] = None, scheduler_file: Optional[str] = None, workers: Optional[int] = None
) -> Iterator[tuple[object, ThreadPolicy]]:
    """Yield (Dask client, thread policy of the embedded cluster or a default for external workers).

    ``client`` given: used as it is. Else ``scheduler`` address, ``scheduler_file``, Dask's configured
    ``scheduler-address`` (``DASK_SCHEDULER_ADDRESS``), or else a new ``LocalCluster`` of ``workers`` processes
    (:func:`local_thread_policy`), closed when the block ends.

    Raises
    ------
    InputError
        The scheduler cannot be reached, or ``workers`` was given with an existing cluster.
    """
    import dask
    from distributed import Client, LocalCluster

    from .scheduler_address import scheduler_address

    external = scheduler or scheduler_file or dask.config.get("scheduler-address", None)
    if client is not None or external:
        if workers is not None:
            raise InputError("--workers sizes the embedded cluster; an existing cluster keeps its own workers.")
        policy = ThreadPolicy(workers=0, threads_per_worker=0, torch_threads=1)
        if client is not None:
            yield client, policy
            return
        address = scheduler_address(scheduler or (None if scheduler_file else external), scheduler_file)
        try:
            own = Client(address, timeout="20s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            where = scheduler or scheduler_file or external
            raise InputError(
                f"Cannot reach the Dask scheduler at {where} ({exc}); start it (dask scheduler) or check the address."
            ) from exc
        with own:
            yield own, policy
        return
    policy = local_thread_policy(workers)
    environment = {name: str(policy.torch_threads) for name in THREAD_VARIABLES} | {DRIVER_STOPS_WORKERS: "1"}
    with LocalCluster(
        n_workers=policy.workers,
        threads_per_worker=policy.threads_per_worker,
        processes=True,
        dashboard_address=":0",
        env=environment,
    ) as cluster:
        with Client(cluster, set_as_default=False) as own:
            yield own, policy
