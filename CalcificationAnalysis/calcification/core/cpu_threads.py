"""How many CPU threads the product's heavy work uses: the one owner of the thread policy.

PyTorch, the BLAS under numpy / scipy / scikit-learn, ONNX Runtime and OpenVINO each start their own thread pool,
sized by default from the machine's core count, not from the cores this process may use (a container or a
``taskset`` limit) and not from each other: on a 2-core machine two pools of 2 threads each fight over the same
cores and the work gets slower, not faster. Every engine therefore asks :func:`cpu_threads` for its thread count,
and :func:`limited_threads` holds PyTorch and BLAS to it for the duration of one piece of work (restoring the
previous settings afterwards, so a Slicer session's own settings are untouched).

Override with the environment variable ``CALCIFICATION_THREADS`` (a positive integer).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import InputError

THREADS_ENV = "CALCIFICATION_THREADS"


def usable_cpu_count() -> int:
    """Cores this process may run on (its CPU affinity where the platform reports it), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS and Windows have no sched_getaffinity
        return max(1, os.cpu_count() or 1)


def cpu_threads() -> int:
    """Threads for one engine's compute pool: ``$CALCIFICATION_THREADS`` when set, else :func:`usable_cpu_count`.

    Raises
    ------
    InputError
        When ``CALCIFICATION_THREADS`` is set but is not a positive integer.
    """
    configured = os.environ.get(THREADS_ENV, "").strip()
    if not configured:
        return usable_cpu_count()
    try:
        value = int(configured)
    except ValueError:
        value = 0
    if value < 1:
        raise InputError(f"{THREADS_ENV} must be a positive whole number of threads, got {configured!r}.")
    return value


@contextmanager
def limited_threads(threads: int | None = None) -> Iterator[int]:
    """Hold PyTorch's intra-op pool and the BLAS / OpenMP pools (threadpoolctl) to ``threads`` (default
    :func:`cpu_threads`) inside the block; yields the count. PyTorch is only touched when it is already imported."""
    import sys

    threads = cpu_threads() if threads is None else int(threads)
    torch = sys.modules.get("torch")
    previous = torch.get_num_threads() if torch is not None else None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # threadpoolctl comes with scikit-learn; without it BLAS keeps its own default
        threadpool_limits = None
    try:
        if torch is not None:
            torch.set_num_threads(threads)
        if threadpool_limits is None:
            yield threads
        else:
            with threadpool_limits(limits=threads):
                yield threads
    finally:
        if torch is not None and previous is not None:
            torch.set_num_threads(previous)
