"""Stopping the running tasks of an interrupted archive run, so that no worker dies in the middle of an image.

Dask cannot interrupt a task's thread, and closing the cluster kills a worker process wherever it is (possibly
half-way through putting an image's files in place). Instead, on Ctrl-C or SIGTERM the driver asks every worker to
stop the tasks of its run (:func:`stop_tasks`): each task checks the request at every step of its work (progress
reports, before each file is put in place, before its commit; :func:`calcification.core.interruption.stoppable`),
rolls its files back and returns a ``pending`` record; a task that had committed returns its ``done`` record. The
driver logs what returns, then closes the cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

_LOG = logging.getLogger(__name__)

#: Seconds the driver waits for the stopped tasks to return before it closes the cluster anyway.
STOP_WAIT_S = 60.0
#: Prefix of the Dask keys of a run's image tasks: ``calcification-image-<run token>-<index>``.
KEY_PREFIX = "calcification-image-"

_STOPPED: set[str] = set()  # run tokens whose tasks must stop, in this (worker) process


def task_key(token: str, index: int) -> str:
    """The Dask key of the image task ``index`` of the run ``token``."""
    return f"{KEY_PREFIX}{token}-{index}"


def _request(token: str) -> None:
    _STOPPED.add(token)


def _forget(token: str) -> None:
    _STOPPED.discard(token)


def _current_token() -> str:
    """The run token of the task this worker thread runs ("" outside a Dask task)."""
    try:
        from distributed import get_worker

        key = str(get_worker().get_current_task())
    except (ImportError, ValueError, AttributeError, KeyError):
        return ""
    return key[len(KEY_PREFIX) :].rsplit("-", 1)[0] if key.startswith(KEY_PREFIX) else ""


@contextmanager
def stoppable_task() -> Iterator[None]:
    """Run the body as a task that stops (StopRequested) once its run is asked to stop."""
    from ....core.interruption import stoppable

    token = _current_token()
    with stoppable(lambda: token in _STOPPED):
        yield


def stop_tasks(client, token: str, futures, log_result) -> None:
    """Ask the workers to stop the run ``token``'s tasks, wait (at most :data:`STOP_WAIT_S`) for ``futures`` to
    return, and hand each future that returned to ``log_result``; a second signal ends the wait at once."""
    import time

    try:
        client.run(_request, token)
    except (OSError, TimeoutError) as exc:  # a worker gone: its tasks are redone by the next run
        _LOG.warning("Could not ask every worker to stop (%s).", exc)
    end = time.monotonic() + STOP_WAIT_S
    for future in futures:
        try:
            future.exception(timeout=max(0.0, end - time.monotonic()))
        except Exception:  # noqa: BLE001  (not back in time, cancelled or lost: the image stays pending)
            pass
    for future in futures:
        if future.status in ("finished", "error"):
            log_result(future)


def forget_run(client, token: str) -> None:
    """Drop the stop request of the run ``token`` (workers of an existing cluster serve later runs)."""
    try:
        client.run(_forget, token)
    except (OSError, TimeoutError):
        pass
