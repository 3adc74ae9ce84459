"""Analyse an archive of mammograms on Dask: one task per image, a manifest updated as tasks finish, resume.

The driver (this process) only lists the inputs, submits tasks, records their results and assembles the tables at the
end; the images are read, segmented and written by the workers (:mod:`.image_task`). At most a bounded number of
tasks is in flight, so a million inputs do not become a million futures at once.

Faults: a worker that dies (killed, out of memory) loses its running task; Dask reruns it on another worker, and as
each image's files are put in place under temporary names, the rerun's complete set replaces whatever the dead
worker had placed, and temporaries of dead processes are removed (as by ``analyze``). A task whose image is bad
returns a ``failed`` record; the run goes on. Ctrl-C (KeyboardInterrupt) or a progress callback returning False
stops the running tasks between two steps (:mod:`.stop_requests`), cancels the rest, closes an embedded cluster,
keeps every completed image and its manifest record, and leaves the rest ``pending`` for a rerun.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ....core.atomic_files import remove_stale_temporaries
from ....core.errors import CancelledError, InputError
from ....core.interruption import deferred, raise_if_interrupted, test_point
from ....core.progress import ProgressCallback
from ....core.segmentation import SegmenterChoice
from ..file_workflow import prepare_output_folder
from .archive_inputs import collect_inputs
from .archive_jobs import ArchiveJob, file_jobs
from .dicomweb_inputs import DicomwebStudies
from .image_task import ArchiveSettings
from .manifest import DONE, FAILED, MANIFEST_NAME, PENDING, ImageRecord, ManifestLog, read_manifest, write_manifest
from .run_lock import archive_run_lock
from .stop_requests import forget_run, stop_tasks, task_key

#: Tasks in flight per worker thread: enough to keep every worker busy, few enough for millions of inputs.
TASKS_PER_THREAD = 4


@dataclass(frozen=True)
class ArchiveStart:
    """What a run is about to do, for the caller to show: image count, workers, the dashboard link ("" if none)."""

    images: int
    workers: int
    dashboard_link: str


@dataclass(frozen=True)
class ArchiveAnalysis:
    """The result of :func:`analyze_archive`: one record per input of this run (input order), the manifest and
    the tables written."""

    records: tuple[ImageRecord, ...]
    manifest_path: Path
    paths: tuple[Path, ...]

    def with_status(self, status: str) -> list[ImageRecord]:
        return [r for r in self.records if r.status == status]


def _submitted_record(future, job: ArchiveJob) -> ImageRecord:
    """The record a finished future carries, or a failed one when the task itself died (e.g. its worker was
    killed more often than Dask allows: ``KilledWorker``)."""
    if future.status == "finished":
        return future.result()
    exception = future.exception()
    text = " ".join(str(exception).split())
    return ImageRecord(
        input=job.input,
        name=job.name,
        source=job.source,
        status=FAILED,
        error=f"{type(exception).__name__}: {text}" if text else type(exception).__name__,
    )


def _run_tasks(
    client,
    jobs: Sequence[ArchiveJob],
    out_dir: Path,
    settings: ArchiveSettings,
    earlier: dict,
    log,
    progress: ProgressCallback,
    window: int,
) -> dict[str, ImageRecord]:
    """Submit one task per job, at most ``window`` at a time; log each record as it arrives."""
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]
    pending = iter(enumerate(jobs))
    finished: dict[str, ImageRecord] = {}
    futures = as_completed(loop=client.loop)
    inputs: dict = {}

    def submit_next() -> None:
        item = next(pending, None)
        if item is not None:
            index, job = item
            future = client.submit(
                job.task,
                *job.arguments,
                str(out_dir),
                settings,
                earlier.get(job.input),
                key=task_key(token, index),
                pure=False,
            )
            inputs[future.key] = job
            futures.add(future)

    def record_of(future) -> None:
        record = _submitted_record(future, inputs.pop(future.key))
        with deferred():  # a record that came back is always logged
            finished[record.input] = record
            log.append(record)

    for _ in range(window):
        submit_next()
    try:
        for future in futures:
            record_of(future)
            future.release()
            test_point("archive record")
            raise_if_interrupted()  # also a signal whose exception a library swallowed stops the run here
            submit_next()
            if (
                progress is not None
                and progress(len(finished) / len(jobs), f"{len(finished)} of {len(jobs)} images") is False
            ):
                raise CancelledError(
                    f"Stopped after {len(finished)} of {len(jobs)} images; run the same command again to resume."
                )
    except BaseException:
        running = [f for f in (*futures.futures, *list(futures.queue.queue)) if f.key in inputs]
        if running:  # stopped between two steps: each image complete and logged, or rolled back and pending
            stop_tasks(client, token, running, record_of)
        raise
    finally:
        remaining = list(futures.futures)
        if remaining:
            client.cancel(remaining)
        forget_run(client, token)
    return finished


def _window(client, policy) -> int:
    threads = sum(client.nthreads().values()) or policy.workers * policy.threads_per_worker or 1
    return max(8, TASKS_PER_THREAD * threads)


def analyze_archive(
    inputs: Iterable[os.PathLike | str],
    out_dir: os.PathLike | str,
    segmenter: SegmenterChoice | str | None = None,
    spacing_mm: Optional[tuple[float, float]] = None,
    classifier=None,
    *,
    list_files: Sequence[os.PathLike | str] = (),
    client=None,
    scheduler: Optional[str] = None,
    scheduler_file: Optional[str] = None,
    workers: Optional[int] = None,
    force: bool = False,
    progress: ProgressCallback = None,
    on_start: Optional[Callable[[ArchiveStart], None]] = None,
    dicomweb: Optional[DicomwebStudies] = None,
) -> ArchiveAnalysis:
    """Analyse every mammogram of ``inputs`` into ``out_dir`` on a Dask cluster (the files of ``analyze`` per
    image; ``features.csv``, ``summary.csv``, ``breasts.csv`` over the folder; ``manifest.jsonl``).

    Parameters
    ----------
    inputs : paths
        Mammogram files and folders (searched for mammogram files); ``list_files`` name more, one path per line.
    segmenter, spacing_mm, classifier
        As :func:`calcification.logic.workflows.analysis_files.analyze_files`; the segmenter's model and the
        classifier are names or folders every worker can read.
    client, scheduler, scheduler_file, workers
        The cluster: a ``distributed.Client``; else a scheduler address or file; else ``DASK_SCHEDULER_ADDRESS``;
        else an embedded ``LocalCluster`` of ``workers`` processes (default: one per core, see
        :func:`~.worker_setup.local_thread_policy`).
    force : bool
        Redo every image, even those with verified outputs from an earlier run.
    progress : callable, optional
        ``progress(fraction of images, "k of n images") -> bool``; False stops the run (CancelledError) keeping
        what is done.
    on_start : callable, optional
        Receives an :class:`ArchiveStart` once the cluster is up.
    dicomweb : DicomwebStudies, optional
        Also (or, with no ``inputs``, only) the mammograms of these studies on a DICOMweb server, one task per
        instance, keyed in the manifest by SOP Instance UID (see :mod:`.dicomweb_inputs`); a study that cannot be
        queried is a failed record of its own.

    Returns
    -------
    ArchiveAnalysis
        Every input's record: ``done`` (``reused`` when verified from an earlier run) or ``failed`` with why.

    Raises
    ------
    InputError
        Missing inputs, clashing output names, an unusable folder or an unreachable scheduler (nothing written);
        CancelledError / KeyboardInterrupt: stopped, completed images kept, a rerun resumes.
    """
    inputs = list(inputs)
    jobs: list[ArchiveJob] = []
    if dicomweb is None or inputs or list_files:
        jobs = file_jobs(collect_inputs(inputs, list_files, out_dir))
    if classifier is not False:  # a bad classifier name fails here, before any worker starts
        from ..analysis_workflow import resolve_classifier

        if not isinstance(classifier, str | os.PathLike | None):
            raise InputError("Give the classifier by name or folder: each Dask worker loads it itself.")
        resolve_classifier(classifier)
    classifier_name = None if classifier is None else (classifier if classifier is False else str(classifier))
    settings = ArchiveSettings(SegmenterChoice.of(segmenter), classifier_name, spacing_mm)
    refused: list[ImageRecord] = []
    answered: set[str] = set()  # studies queried now: an earlier run's failed record of one is out of date
    if dicomweb is not None:  # QIDO-RS here, on the driver; the workers fetch the instances
        found, refused = dicomweb.jobs(settings.fingerprint())
        jobs += found
        answered = set(dicomweb.study_uids) - {record.input for record in refused}
    from .worker_setup import archive_client, dashboard_link

    prepared = None
    try:
        with archive_client(client, scheduler, scheduler_file, workers) as (dask_client, policy), ExitStack() as lock:
            # Only once the cluster is reachable: a refused run writes nothing.
            out_dir = prepare_output_folder(out_dir)
            lock.enter_context(archive_run_lock(out_dir))  # a second archive run into the folder is refused
            prepared = out_dir  # its stale temporaries are this run's to remove, not a refused run's
            manifest_path = out_dir / MANIFEST_NAME
            earlier = _start_manifest(manifest_path, jobs, refused, settings.fingerprint(), force, answered)
            log = ManifestLog(manifest_path)
            try:
                _set_up_workers(dask_client, policy, settings)
                if on_start is not None:
                    on_start(ArchiveStart(len(jobs), len(dask_client.nthreads()), dashboard_link(dask_client)))
                finished = _run_tasks(
                    dask_client, jobs, out_dir, settings, earlier, log, progress, _window(dask_client, policy)
                )
            finally:
                with deferred():  # the manifest is compacted whole, whenever a signal comes
                    log.close()
                    records = read_manifest(manifest_path)  # the log's records, also of images done before a stop
                    write_manifest(manifest_path, records.values())
    finally:
        if prepared is not None:
            remove_stale_temporaries(prepared)  # of workers that died, or were stopped with the cluster
    raise_if_interrupted()  # a signal whose exception was lost: every image is done, the tables are left to a rerun
    done = [records[j.input] for j in jobs if records[j.input].status == DONE]
    written = []
    if done:
        from .archive_tables import write_archive_tables

        written = write_archive_tables(out_dir, done)
    return ArchiveAnalysis((*refused, *(finished[j.input] for j in jobs)), manifest_path, tuple(written))


def _start_manifest(
    manifest_path: Path,
    jobs: Sequence[ArchiveJob],
    refused: Sequence[ImageRecord],
    fingerprint: str,
    force: bool,
    answered: Iterable[str] = (),
) -> dict:
    """Mark this run's inputs ``pending`` in the manifest, except done ones that may be reused (returned: input ->
    earlier record, checked by its task), record the ``refused`` ones (failed before any task) and drop the records
    of ``answered`` studies (an earlier run could not query them); records of other inputs stay."""
    records = read_manifest(manifest_path)
    earlier = {} if force else {k: r for k, r in records.items() if r.status == DONE and r.settings == fingerprint}
    for job in jobs:
        if job.input not in earlier:
            records[job.input] = ImageRecord(
                input=job.input, name=job.name, source=job.source, status=PENDING, settings=fingerprint
            )
    records.update((record.input, record) for record in refused)
    for study_uid in answered:
        records.pop(study_uid, None)
    write_manifest(manifest_path, records.values())
    return earlier


def _set_up_workers(dask_client, policy, settings: ArchiveSettings) -> None:
    """Register the worker plugin (threads, model and classifier loaded once per worker, also on workers that
    join later)."""
    from .worker_setup import PLUGIN_NAME, ArchiveWorkerSetup, torch_threads_by_host, usable_cores

    by_host = {} if policy.workers else torch_threads_by_host(dask_client, usable_cores())
    dask_client.register_plugin(ArchiveWorkerSetup(settings, by_host, policy.torch_threads or 1), name=PLUGIN_NAME)
